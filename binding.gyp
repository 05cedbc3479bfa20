{
  # The source list and the defines live in sources.json, shared with CMakeLists.txt (cmake-js).
  "targets": [
    {
      "target_name": "packet_buffer_pool",
      "sources": [
        "<!@(node -p \"const s=require('./sources.json');s.core.concat(s.addon).join(' ')\")"
      ],
      "include_dirs": [
        "<!(node -p \"require('node-addon-api').include_dir\")"
      ],
      "defines": [
        "<!@(node -p \"require('./sources.json').defines.join(' ')\")"
      ],
      "cflags_cc": ["-std=c++17", "-O3", "-fvisibility=hidden"],
      "cflags_cc!": ["-fno-exceptions"],
      "conditions": [
        # libxdp/libbpf are dlopen()ed on first use (native/raw/xdp_library.h), never linked.
        ["OS=='linux'", { "libraries": ["-ldl"] }]
      ],
      "xcode_settings": {
        "CLANG_CXX_LANGUAGE_STANDARD": "c++17",
        "GCC_SYMBOLS_PRIVATE_EXTERN": "YES",
        "MACOSX_DEPLOYMENT_TARGET": "10.15"
      }
    }
  ]
}

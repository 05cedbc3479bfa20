// libxdp and libbpf, loaded at run time with dlopen instead of linked.
//
// Why dlopen: the prebuilt addon must load on machines without libxdp/libbpf (most of them: the
// pool itself needs neither). Linking would make the whole .node file fail to load there with a
// loader error about a missing libxdp.so.1; loading on first use confines the failure to opening
// an AF_XDP interface, which then answers kIOReturnUnsupported naming the library and how to get
// it, and AF_PACKET still works. The headers are needed at build time only (for the types and
// xsk.h's inline ring accessors); a build without them compiles the AF_XDP backend out.
//
// PBP_LIBXDP / PBP_LIBBPF in the environment name other files to load (tests use a missing path
// to check the error a machine without the libraries gets).
#pragma once

#if defined(__linux__) && __has_include(<xdp/xsk.h>) && __has_include(<bpf/bpf.h>)
#define PBP_HAVE_XDP_HEADERS 1
#include <bpf/bpf.h>
#include <xdp/xsk.h>
#else
#define PBP_HAVE_XDP_HEADERS 0
#endif

#include "../core/io_return.h"

namespace pbp::raw {

#if PBP_HAVE_XDP_HEADERS
struct XdpLibrary {
  decltype(&::xsk_umem__create) umemCreate = nullptr;
  decltype(&::xsk_umem__delete) umemDelete = nullptr;
  decltype(&::xsk_socket__create) socketCreate = nullptr;
  decltype(&::xsk_socket__delete) socketDelete = nullptr;
  decltype(&::xsk_socket__fd) socketFd = nullptr;
  decltype(&::bpf_map_create) mapCreate = nullptr;
  decltype(&::bpf_map_update_elem) mapUpdate = nullptr;
  decltype(&::bpf_prog_load) progLoad = nullptr;
  decltype(&::bpf_link_create) linkCreate = nullptr;
};
#else
struct XdpLibrary {};
#endif

// Loads both libraries once per process (thread-safe); later calls return the same answer.
// Unsupported, with the dlerror() text and the Debian package names, when either is missing.
Status loadXdpLibrary(const XdpLibrary*& out);

}  // namespace pbp::raw

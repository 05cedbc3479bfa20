#include "xdp_library.h"

#include <dlfcn.h>

#include <cstdlib>
#include <mutex>
#include <string>

namespace pbp::raw {

#if PBP_HAVE_XDP_HEADERS
namespace {

const char* libraryPath(const char* envName, const char* soname) {
  const char* v = getenv(envName);
  return v && *v ? v : soname;
}

template <typename Fn>
bool bind(void* handle, const char* symbol, Fn& out, std::string& error) {
  out = reinterpret_cast<Fn>(dlsym(handle, symbol));
  if (!out) error = std::string("symbol ") + symbol + " not found: " + dlerror();
  return out != nullptr;
}

Status load(XdpLibrary& lib) {
  const char* hint =
      " (AF_XDP needs libxdp.so.1 and libbpf.so.1 at run time: on Debian/Ubuntu `apt install "
      "libxdp1 libbpf1`; the AF_PACKET backend works without them)";
  // libbpf first: libxdp depends on it, and we take bpf_* from it.
  const char* bpfPath = libraryPath("PBP_LIBBPF", "libbpf.so.1");
  void* bpf = dlopen(bpfPath, RTLD_NOW | RTLD_LOCAL);
  if (!bpf) return Status::fail(IOReturn::Unsupported, std::string("cannot load ") + bpfPath + ": " + dlerror() + hint);
  const char* xdpPath = libraryPath("PBP_LIBXDP", "libxdp.so.1");
  void* xdp = dlopen(xdpPath, RTLD_NOW | RTLD_LOCAL);
  if (!xdp) return Status::fail(IOReturn::Unsupported, std::string("cannot load ") + xdpPath + ": " + dlerror() + hint);
  std::string error;
  bool ok =
      bind(xdp, "xsk_umem__create", lib.umemCreate, error) && bind(xdp, "xsk_umem__delete", lib.umemDelete, error) &&
      bind(xdp, "xsk_socket__create", lib.socketCreate, error) &&
      bind(xdp, "xsk_socket__delete", lib.socketDelete, error) && bind(xdp, "xsk_socket__fd", lib.socketFd, error) &&
      bind(bpf, "bpf_map_create", lib.mapCreate, error) && bind(bpf, "bpf_map_update_elem", lib.mapUpdate, error) &&
      bind(bpf, "bpf_prog_load", lib.progLoad, error) && bind(bpf, "bpf_link_create", lib.linkCreate, error);
  // The handles stay open for the life of the process: sockets made with them may outlive any
  // one caller, and unloading libxdp under them would be unsafe.
  if (!ok) return Status::fail(IOReturn::Unsupported, error + hint);
  return Status::ok();
}

}  // namespace

Status loadXdpLibrary(const XdpLibrary*& out) {
  static std::once_flag once;
  static XdpLibrary lib;
  static Status status;
  std::call_once(once, [] { status = load(lib); });
  out = status.isOk() ? &lib : nullptr;
  return status;
}
#else
Status loadXdpLibrary(const XdpLibrary*& out) {
  out = nullptr;
  return Status::fail(IOReturn::Unsupported,
                      "this build of packet-buffer-pool has no AF_XDP backend (built without the "
                      "libxdp/libbpf headers: install libxdp-dev and libbpf-dev and rebuild); the "
                      "AF_PACKET backend works");
}
#endif

}  // namespace pbp::raw

#ifdef __linux__  // Linux-only: elsewhere RawPort::open answers kIOReturnUnsupported
#include "xdp_program.h"

#include <linux/bpf.h>
#include <linux/if_link.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <map>
#include <mutex>

#include "net_interface.h"

namespace pbp::raw {

#if PBP_HAVE_XDP_HEADERS
namespace {

// Attachments of this process, by ifindex; weak so the last port closing detaches.
std::mutex registryMutex;
std::map<unsigned, std::weak_ptr<XdpRedirect>>& registry() {
  static auto* r = new std::map<unsigned, std::weak_ptr<XdpRedirect>>();
  return *r;
}

// int prog(struct xdp_md* ctx) { return bpf_redirect_map(&xsks, ctx->rx_queue_index, XDP_PASS); }
// Hand-assembled (six instructions) so that no BPF object file or clang is needed at run time.
// Frames of queues without a socket in the map pass on to the kernel stack.
int loadProgram(const XdpLibrary& lib, int mapFd) {
  bpf_insn insns[6];
  memset(insns, 0, sizeof insns);
  insns[0].code = BPF_LDX | BPF_MEM | BPF_W;  // r2 = ctx->rx_queue_index
  insns[0].dst_reg = BPF_REG_2;
  insns[0].src_reg = BPF_REG_1;
  insns[0].off = offsetof(xdp_md, rx_queue_index);
  insns[1].code = BPF_LD | BPF_DW | BPF_IMM;  // r1 = &xsks (two-slot instruction)
  insns[1].dst_reg = BPF_REG_1;
  insns[1].src_reg = BPF_PSEUDO_MAP_FD;
  insns[1].imm = mapFd;
  insns[3].code = BPF_ALU64 | BPF_MOV | BPF_K;  // r3 = XDP_PASS
  insns[3].dst_reg = BPF_REG_3;
  insns[3].imm = XDP_PASS;
  insns[4].code = BPF_JMP | BPF_CALL;  // r0 = bpf_redirect_map(r1, r2, r3)
  insns[4].imm = BPF_FUNC_redirect_map;
  insns[5].code = BPF_JMP | BPF_EXIT;
  return lib.progLoad(BPF_PROG_TYPE_XDP, "pbp_xsk_redir", "GPL", insns, 6, nullptr);
}

int createLink(const XdpLibrary& lib, int progFd, unsigned ifindex, uint32_t flags) {
  bpf_link_create_opts opts;
  memset(&opts, 0, sizeof opts);
  opts.sz = sizeof opts;
  opts.flags = flags;
  return lib.linkCreate(progFd, int(ifindex), BPF_XDP, &opts);
}

}  // namespace

Status XdpRedirect::attach(const XdpLibrary& lib, unsigned ifindex, const std::string& ifname, uint32_t mapEntries,
                           uint32_t queueId, int xskFd, XdpAttachMode requested, std::shared_ptr<XdpRedirect>& out) {
  std::lock_guard<std::mutex> lock(registryMutex);
  std::shared_ptr<XdpRedirect> r = registry()[ifindex].lock();
  if (!r) {
    r.reset(new XdpRedirect());
    r->ifindex_ = ifindex;
    r->mapFd_ = lib.mapCreate(BPF_MAP_TYPE_XSKMAP, "pbp_xsks", 4, 4, mapEntries, nullptr);
    if (r->mapFd_ < 0) return errnoStatus(-r->mapFd_, "creating the XSKMAP for " + ifname);
    r->progFd_ = loadProgram(lib, r->mapFd_);
    if (r->progFd_ < 0) return errnoStatus(-r->progFd_, "loading the XDP redirect program");
    int err = 0;
    if (requested != XdpAttachMode::Generic) {
      r->linkFd_ = createLink(lib, r->progFd_, ifindex, XDP_FLAGS_DRV_MODE);
      if (r->linkFd_ >= 0) r->mode_ = "native";
      else
        err = -r->linkFd_;
    }
    if (r->linkFd_ < 0 && requested != XdpAttachMode::Native &&
        (err == 0 || err == EOPNOTSUPP || err == EINVAL || err == 524 /* ENOTSUPP */)) {
      r->linkFd_ = createLink(lib, r->progFd_, ifindex, XDP_FLAGS_SKB_MODE);
      if (r->linkFd_ >= 0) r->mode_ = "generic";
      else
        err = -r->linkFd_;
    }
    if (r->linkFd_ < 0) {
      if (err == EBUSY || err == EEXIST)
        return Status::fail(IOReturn::ExclusiveAccess,
                            "another XDP program is attached to " + ifname + " (`ip link show " + ifname +
                                "` shows it; `ip link set dev " + ifname + " xdp off` removes it)");
      return errnoStatus(err, "attaching the XDP program to " + ifname);
    }
    registry()[ifindex] = r;
  }
  int rc = lib.mapUpdate(r->mapFd_, &queueId, &xskFd, 0);
  if (rc < 0) return errnoStatus(-rc, "adding the socket to the XSKMAP of " + ifname);
  out = r;
  return Status::ok();
}

XdpRedirect::~XdpRedirect() {
  // Closing the link's last fd detaches the program from the interface.
  if (linkFd_ >= 0) close(linkFd_);
  if (progFd_ >= 0) close(progFd_);
  if (mapFd_ >= 0) close(mapFd_);
}
#else
Status XdpRedirect::attach(const XdpLibrary&, unsigned, const std::string&, uint32_t, uint32_t, int, XdpAttachMode,
                           std::shared_ptr<XdpRedirect>&) {
  return Status::fail(IOReturn::Unsupported, "built without the AF_XDP backend");
}
XdpRedirect::~XdpRedirect() {}
#endif

}  // namespace pbp::raw
#endif  // __linux__

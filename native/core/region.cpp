#include "region.h"

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

namespace pbp {
namespace {

std::string errnoText(const char* what, int err) { return std::string(what) + " failed: " + std::strerror(err); }

// A shared-memory file descriptor that no other process can find by name: the only way in is
// to be handed the descriptor.
int openAnonymousSharedFile() {
#if defined(__linux__)
  return memfd_create("packet-buffer-pool", MFD_CLOEXEC | MFD_ALLOW_SEALING);
#else
  char name[64];
  for (int attempt = 0; attempt < 16; ++attempt) {
    snprintf(name, sizeof name, "/pbp-%d-%d-%d", int(getpid()), attempt, rand());
    int fd = shm_open(name, O_RDWR | O_CREAT | O_EXCL, 0600);
    if (fd >= 0) {
      shm_unlink(name);
      return fd;
    }
    if (errno != EEXIST) return -1;
  }
  return -1;
#endif
}

#if defined(__linux__)
// A mapped file that shrinks under us turns the next access past its new end into SIGBUS, in
// every process that maps it; one that grows is harmless but means someone else is changing it.
// The seals make both impossible for good (F_SEAL_SEAL: no one can add or remove seals later,
// including F_SEAL_FUTURE_WRITE, which would break later attachments).
constexpr int kSizeSeals = F_SEAL_SHRINK | F_SEAL_GROW;
constexpr int kPoolSeals = kSizeSeals | F_SEAL_SEAL;
#endif

}  // namespace

Status Region::create(size_t bytes, bool shared, bool lockInRam, std::unique_ptr<Region>& out) {
  int fd = -1;
  int flags = MAP_PRIVATE | MAP_ANONYMOUS;
  if (shared) {
    fd = openAnonymousSharedFile();
    if (fd < 0) return Status::fail(IOReturn::NoResources, errnoText("memfd_create", errno));
    if (ftruncate(fd, off_t(bytes)) != 0) {
      int err = errno;
      close(fd);
      return Status::fail(IOReturn::NoMemory, errnoText("ftruncate", err));
    }
#if defined(__linux__)
    if (fcntl(fd, F_ADD_SEALS, kPoolSeals) != 0) {
      int err = errno;
      close(fd);
      return Status::fail(IOReturn::NoResources, errnoText("sealing the memfd (F_ADD_SEALS)", err));
    }
#endif
    flags = MAP_SHARED;
  }
  void* p = mmap(nullptr, bytes, PROT_READ | PROT_WRITE, flags, fd, 0);
  if (p == MAP_FAILED) {
    int err = errno;
    if (fd >= 0) close(fd);
    return Status::fail(IOReturn::NoMemory, errnoText(("mmap of " + std::to_string(bytes) + " bytes").c_str(), err));
  }
  if (lockInRam && mlock(p, bytes) != 0) {
    int err = errno;
    munmap(p, bytes);
    if (fd >= 0) close(fd);
    return Status::fail(IOReturn::NoMemory, errnoText(("mlock of " + std::to_string(bytes) + " bytes").c_str(), err));
  }
  out.reset(new Region(static_cast<uint8_t*>(p), bytes, fd, lockInRam));
  return Status::ok();
}

Status Region::mapFd(int fd, std::unique_ptr<Region>& out) {
#if defined(__linux__)
  // Only a descriptor whose size can never change is mapped: otherwise whoever else holds it
  // could shrink it and crash us with SIGBUS on our next access. Checked before the size is read,
  // so the size we map is the size for good.
  int seals = fcntl(fd, F_GET_SEALS);
  if (seals < 0 && errno == EBADF)
    return Status::fail(IOReturn::BadArgument, "fd " + std::to_string(fd) + " is not an open descriptor");
  if (seals < 0 || (seals & kSizeSeals) != kSizeSeals)
    return Status::fail(IOReturn::BadArgument,
                        "fd " + std::to_string(fd) +
                            " is not sealed against resizing (F_SEAL_SHRINK | F_SEAL_GROW): only "
                            "the memfd of a shared pool (handle.fd) can be attached");
#endif
  struct stat st;
  if (fstat(fd, &st) != 0)
    return Status::fail(IOReturn::BadArgument, "fd " + std::to_string(fd) + ": " + errnoText("fstat", errno));
  if (st.st_size <= 0) return Status::fail(IOReturn::BadArgument, "fd " + std::to_string(fd) + " is empty");
  int own = fcntl(fd, F_DUPFD_CLOEXEC, 0);
  if (own < 0) return Status::fail(IOReturn::NoResources, errnoText("dup", errno));
  size_t bytes = size_t(st.st_size);
  void* p = mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_SHARED, own, 0);
  if (p == MAP_FAILED) {
    int err = errno;
    close(own);
    return Status::fail(IOReturn::NoMemory, errnoText("mmap", err));
  }
  out.reset(new Region(static_cast<uint8_t*>(p), bytes, own, false));
  return Status::ok();
}

void Region::releasePages() {
  // Swap the pool's pages for fresh zero pages in one step (MAP_FIXED replaces the old mapping
  // atomically): RAM, mlock and our reference to a memfd's pages go now, while the address range
  // stays valid until the destructor, so a late reader sees zeros instead of a fault. Another
  // process mapping the same memfd keeps its pages.
  void* p = mmap(base_, size_, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED | MAP_NORESERVE, -1, 0);
  if (p == MAP_FAILED) {
    // Cannot happen for a range we own; if it does, keep the old pages rather than lose the range.
    return;
  }
  locked_ = false;
  if (fd_ >= 0) {
    close(fd_);
    fd_ = -1;
  }
}

Region::~Region() {
  if (locked_) munlock(base_, size_);
  munmap(base_, size_);
  if (fd_ >= 0) close(fd_);
}

}  // namespace pbp

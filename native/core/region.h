// One contiguous mapping that holds a whole pool. Either private anonymous memory (threads of
// one process share it through the process) or a shared-memory file (memfd on Linux, an unlinked
// POSIX shm object elsewhere) whose descriptor another process can map.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "io_return.h"

namespace pbp {

class Region {
 public:
  // lockInRam: mlock the pages (PoolFlagPersistentMemory); failure is kIOReturnNoMemory.
  static Status create(size_t bytes, bool shared, bool lockInRam, std::unique_ptr<Region>& out);
  // Maps the whole shared-memory file behind `fd` (duplicated; the caller keeps its own fd).
  static Status mapFd(int fd, std::unique_ptr<Region>& out);

  ~Region();
  Region(const Region&) = delete;
  Region& operator=(const Region&) = delete;

  // Called when the last user in this process lets go while views of the memory may still exist
  // (ArrayBuffers V8 has not collected yet, an I/O request still pointing into a buffer): swaps
  // the pages for zero pages (RAM, mlock and the memfd reference go now) but keeps the address
  // range mapped so a late access reads zeros instead of faulting. The range goes in the
  // destructor.
  void releasePages();

  uint8_t* base() const { return base_; }
  size_t size() const { return size_; }
  int fd() const { return fd_; }  // -1 for private memory

 private:
  Region(uint8_t* base, size_t size, int fd, bool locked) : base_(base), size_(size), fd_(fd), locked_(locked) {}

  uint8_t* base_;
  size_t size_;
  int fd_;
  bool locked_;
};

}  // namespace pbp

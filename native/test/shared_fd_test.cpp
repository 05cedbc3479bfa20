// What a shared pool's descriptor guarantees (sealing, and the caller's own duplicate):
// - the memfd is sealed against shrinking and growing at creation, so no holder of the
//   descriptor (a peer, or the caller through handle.fd) can truncate the mapping under us and
//   turn our next access into SIGBUS; attachFd refuses descriptors without those seals;
// - every pool carries a random identity in its header, and attachFd with the identity a handle
//   carries refuses another pool (a stale handle whose fd number was reused).
#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cerrno>

#include "test_support.h"

namespace pbp::test {
namespace {

std::shared_ptr<Pool> sharedPool(uint32_t packets = 32) {
  PoolOptions o = smallOptions(packets, 8);
  o.shared = true;
  return makePool(o);
}

// An unsealed copy of `pool`'s whole region in a fresh memfd; sealed too when asked.
int copyOf(const Pool& pool, bool seal) {
  int fd = memfd_create("copy", MFD_CLOEXEC | MFD_ALLOW_SEALING);
  if (fd < 0) return -1;
  if (write(fd, pool.base(), pool.bytes()) != ssize_t(pool.bytes())) return -1;
  if (seal && fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW) != 0) return -1;
  return fd;
}

TEST(SharedFd, TheMemfdCannotBeResizedOrResealed) {
  auto pool = sharedPool();
  int fd = pool->fd();
  ASSERT_GE(fd, 0);
  int seals = fcntl(fd, F_GET_SEALS);
  EXPECT_EQ(seals & (F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL), F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL);
  EXPECT_EQ(ftruncate(fd, 4096), -1);
  EXPECT_EQ(errno, EPERM);
  EXPECT_EQ(ftruncate(fd, off_t(pool->bytes()) * 2), -1);
  EXPECT_EQ(errno, EPERM);
  EXPECT_EQ(fcntl(fd, F_ADD_SEALS, F_SEAL_WRITE), -1) << "F_SEAL_SEAL: no more seals";
  // So the last page stays mapped and usable.
  uint32_t s, p;
  ASSERT_TRUE(pool->claimSlot(1, s).isOk());
  ASSERT_TRUE(pool->allocateOne(s, p));
  pool->bufferAt(31)[0] = 1;
  EXPECT_TRUE(pool->deallocateOne(s, p).isOk());
  pool->releaseSlot(s);
}

TEST(SharedFd, AttachRefusesADescriptorThatIsNotSealed) {
  auto pool = sharedPool();
  int unsealed = copyOf(*pool, false);
  int sealed = copyOf(*pool, true);
  ASSERT_GE(unsealed, 0);
  ASSERT_GE(sealed, 0);
  std::shared_ptr<Pool> out;
  Status st = Pool::attachFd(unsealed, out);
  EXPECT_TRUE(isCode(st, IOReturn::BadArgument)) << st.message;
  EXPECT_NE(st.message.find("not sealed"), std::string::npos) << st.message;
  EXPECT_EQ(out, nullptr);
  // The same bytes, sealed: the seal was the only difference.
  st = Pool::attachFd(sealed, out);
  EXPECT_TRUE(st.isOk()) << st.message;
  close(unsealed);
  close(sealed);
}

TEST(SharedFd, EachPoolHasItsOwnIdentityAndAttachChecksIt) {
  auto a = sharedPool(), b = sharedPool();
  EXPECT_NE(a->identity(), 0u);
  EXPECT_NE(a->identity(), b->identity());
  std::shared_ptr<Pool> out;
  Status st = Pool::attachFd(b->fd(), out, a->identity());  // a handle of `a`, b's fd number
  EXPECT_TRUE(isCode(st, IOReturn::NotAttached)) << st.message;
  EXPECT_EQ(out, nullptr);
  st = Pool::attachFd(a->fd(), out, a->identity());
  ASSERT_TRUE(st.isOk()) << st.message;
  EXPECT_EQ(out->identity(), a->identity());
  // Read once at attach: a peer rewriting the header later changes nothing we answer.
  reinterpret_cast<RegionHeader*>(a->base())->identity ^= 1;
  EXPECT_EQ(out->identity(), a->identity());
}

}  // namespace
}  // namespace pbp::test

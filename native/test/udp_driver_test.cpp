// PacketDriver / UdpDriver over real packet queues and a loopback peer: packets go from the
// submission queues to the kernel and back on the completion queues exactly once, also when the
// kernel refuses them, when a completion queue is full, and when the driver shuts down with
// packets in flight.
#include <arpa/inet.h>
#include <poll.h>
#include <unistd.h>

#include <set>
#include <vector>

#include "../io/io_errno.h"
#include "../io/udp_driver.h"
#include "test_support.h"

namespace pbp::test {
namespace {

using io::DriverQueues;
using io::PacketAddressRecord;
using io::UdpDriver;
using io::UdpOptions;
using io::UdpSocket;

struct Peer {
  int fd = socket(AF_INET, SOCK_DGRAM, 0);
  uint16_t port = 0;
  Peer() {
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    EXPECT_EQ(bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
    socklen_t len = sizeof a;
    getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
    port = ntohs(a.sin_port);
    int big = 4 << 20;
    setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &big, sizeof big);
  }
  ~Peer() { close(fd); }
  int drain(int expected) {
    int got = 0;
    char buf[2048];
    while (got < expected) {
      pollfd p{fd, POLLIN, 0};
      if (poll(&p, 1, 2000) != 1) break;
      if (recv(fd, buf, sizeof buf, 0) >= 0) got++;
    }
    return got;
  }
};

PacketAddressRecord loopback4(uint16_t port) {
  PacketAddressRecord a{};
  a.family = io::kFamilyIPv4;
  a.port = port;
  a.addr[0] = 127;
  a.addr[3] = 1;
  return a;
}

struct Rig {
  std::shared_ptr<Pool> pool;
  uint32_t slot = 0;
  DriverQueues q;
  std::unique_ptr<UdpDriver> driver;
  uint16_t port = 0;

  explicit Rig(uint32_t completionCapacity = 256, bool toPool = false) {
    PoolOptions o = smallOptions(512);
    o.bufferSize = 2048;
    pool = makePool(o);
    EXPECT_TRUE(pool->claimSlot(0, slot).isOk());
    EXPECT_TRUE(pool->createQueue(QueueKind::TxSubmission, 0, 256, q.txSubmission).isOk());
    EXPECT_TRUE(pool->createQueue(QueueKind::TxCompletion, 1, completionCapacity, q.txCompletion).isOk());
    EXPECT_TRUE(pool->createQueue(QueueKind::RxSubmission, 2, 256, q.rxSubmission).isOk());
    EXPECT_TRUE(pool->createQueue(QueueKind::RxCompletion, 3, completionCapacity, q.rxCompletion).isOk());
    q.tx = q.rx = true;
    q.txCompleteToPool = toPool;
    std::unique_ptr<UdpSocket> s;
    int err = 0;
    UdpOptions uo;
    uo.local = loopback4(0);
    EXPECT_TRUE(UdpSocket::open(uo, s, err).isOk());
    port = s->localAddress().port;
    driver = std::make_unique<UdpDriver>(pool, slot, q, std::move(s));
  }
  uint32_t tag() const { return pool->tagOf(slot); }
  std::vector<uint32_t> submitTx(uint32_t n, const PacketAddressRecord& dest, uint32_t size = 100) {
    std::vector<uint32_t> idx(n);
    EXPECT_EQ(pool->allocateBurst(slot, idx.data(), n), n);
    for (uint32_t p : idx) {
      pool->metaOf(p)[meta::kDataLength] = size;
      io::addressTable(*pool)[p] = dest;
    }
    EXPECT_EQ(q.txSubmission.enqueue(idx.data(), n, tag()), n);
    return idx;
  }
  std::vector<uint32_t> take(PacketQueue& from) {
    std::vector<uint32_t> out(1024);
    out.resize(from.dequeue(out.data(), 1024, tag()));
    return out;
  }
  uint32_t status(uint32_t p) const {
    const uint32_t* m = pool->metaOf(p);
    return (m[meta::kFlags] & meta::kFlagCompletionStatus) ? m[meta::kCompletionStatus] : 0;
  }
};

TEST(UdpDriver, TransmitsEverySubmittedPacketOnceOntoTheCompletionQueue) {
  Peer peer;
  Rig r;
  auto sent = r.submitTx(200, loopback4(peer.port));
  EXPECT_EQ(r.driver->transmit(1000), 200u);
  auto done = r.take(r.q.txCompletion);
  EXPECT_EQ(done, sent) << "completions come back in submission order";
  for (uint32_t p : done) {
    EXPECT_EQ(r.status(p), 0u);
    EXPECT_EQ(r.pool->metaOf(p)[meta::kState], r.tag());
  }
  EXPECT_EQ(peer.drain(200), 200);
  EXPECT_EQ(r.driver->transmit(1000), 0u) << "nothing left";
}

TEST(UdpDriver, RefusedPacketsCompleteWithAStatus) {
  Peer peer;
  Rig r;
  auto sent = r.submitTx(4, loopback4(peer.port));
  io::addressTable(*r.pool)[sent[1]].family = 0;
  r.pool->metaOf(sent[2])[meta::kDataLength] = 5000;  // beyond its 2048-byte buffer
  EXPECT_EQ(r.driver->transmit(100), 4u);
  auto done = r.take(r.q.txCompletion);
  ASSERT_EQ(done.size(), 4u);
  EXPECT_EQ(r.status(done[0]), 0u);
  EXPECT_EQ(r.status(done[1]), uint32_t(IOReturn::BadArgument));
  EXPECT_EQ(r.status(done[2]), uint32_t(IOReturn::BadArgument));
  EXPECT_EQ(r.status(done[3]), 0u);
  EXPECT_EQ(peer.drain(2), 2);
}

TEST(UdpDriver, AFullCompletionQueueHoldsTheRestInTheBacklog) {
  Peer peer;
  Rig r(4);
  auto sent = r.submitTx(16, loopback4(peer.port));
  EXPECT_EQ(r.driver->transmit(100), 16u);
  EXPECT_EQ(r.driver->inFlight().txCompletion, 4u);
  EXPECT_EQ(r.driver->inFlight().txBacklog, 12u);
  std::vector<uint32_t> all;
  for (int i = 0; i < 10 && all.size() < 16; i++) {
    auto got = r.take(r.q.txCompletion);
    all.insert(all.end(), got.begin(), got.end());
    r.driver->transmit(100);
  }
  EXPECT_EQ(all, sent);
  EXPECT_EQ(r.driver->inFlight().txBacklog, 0u);
}

TEST(UdpDriver, CompletesStraightToThePoolWhenAskedTo) {
  Peer peer;
  Rig r(256, true);
  uint32_t freeBefore = r.pool->freePacketCount();
  r.submitTx(50, loopback4(peer.port));
  EXPECT_EQ(r.driver->transmit(100), 50u);
  EXPECT_EQ(r.q.txCompletion.size(), 0u);
  EXPECT_EQ(r.pool->freePacketCount(), freeBefore);
  EXPECT_EQ(peer.drain(50), 50);
}

TEST(UdpDriver, ReceivesIntoSubmittedPacketsAndDeliversThem) {
  Rig r;
  std::vector<uint32_t> empty(32);
  ASSERT_EQ(r.pool->allocateBurst(r.slot, empty.data(), 32), 32u);
  ASSERT_EQ(r.q.rxSubmission.enqueue(empty.data(), 32, r.tag()), 32u);
  int tx = socket(AF_INET, SOCK_DGRAM, 0);
  sockaddr_in to{};
  to.sin_family = AF_INET;
  to.sin_port = htons(r.port);
  to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  for (int k = 0; k < 10; k++) {
    char d[64];
    memset(d, k, sizeof d);
    ASSERT_EQ(sendto(tx, d, 20 + k, 0, reinterpret_cast<sockaddr*>(&to), sizeof to), 20 + k);
  }
  uint32_t got = 0;
  for (int i = 0; i < 100 && got < 10; i++) {
    got += r.driver->receive(100);
    if (got < 10) usleep(1000);
  }
  EXPECT_EQ(got, 10u);
  auto done = r.take(r.q.rxCompletion);
  ASSERT_EQ(done.size(), 10u);
  for (uint32_t k = 0; k < 10; k++) {
    EXPECT_EQ(r.pool->metaOf(done[k])[meta::kDataLength], 20 + k);
    EXPECT_EQ(r.pool->bufferAt(done[k])[r.pool->metaOf(done[k])[meta::kDataOffset]], uint8_t(k));
    EXPECT_EQ(io::addressTable(*r.pool)[done[k]].family, io::kFamilyIPv4);
  }
  EXPECT_EQ(r.driver->inFlight().rxHeld + r.q.rxSubmission.size(), 22u);
  close(tx);
}

TEST(UdpDriver, ShutdownHandsEveryPacketBackExactlyOnce) {
  Rig r(64);
  uint32_t total = r.pool->freePacketCount();
  PacketAddressRecord nowhere = loopback4(9);
  r.submitTx(100, nowhere);
  std::vector<uint32_t> empty(100);
  ASSERT_EQ(r.pool->allocateBurst(r.slot, empty.data(), 100), 100u);
  ASSERT_EQ(r.q.rxSubmission.enqueue(empty.data(), 100, r.tag()), 100u);
  r.driver->receive(10);  // holds some empty packets now
  r.driver->shutdown();
  r.driver->shutdown();  // idempotent
  EXPECT_EQ(r.driver->transmit(10), 0u);
  std::set<uint32_t> seen;
  auto tx = r.take(r.q.txCompletion);
  auto rx = r.take(r.q.rxCompletion);
  for (uint32_t p : tx) {
    EXPECT_TRUE(seen.insert(p).second);
    EXPECT_EQ(r.status(p), uint32_t(IOReturn::Aborted));
  }
  for (uint32_t p : rx) {
    EXPECT_TRUE(seen.insert(p).second);
    EXPECT_EQ(r.status(p), uint32_t(IOReturn::Aborted));
    EXPECT_EQ(r.pool->metaOf(p)[meta::kDataLength], 0u);
  }
  EXPECT_EQ(tx.size(), 64u) << "the completion queue's capacity";
  EXPECT_EQ(rx.size(), 64u);
  EXPECT_EQ(r.driver->counters().returnedToPool, 72u) << "what did not fit went back to the pool";
  EXPECT_EQ(r.pool->deallocateBulk(r.slot, tx.data(), uint32_t(tx.size())).code, IOReturn::Success);
  EXPECT_EQ(r.pool->deallocateBulk(r.slot, rx.data(), uint32_t(rx.size())).code, IOReturn::Success);
  EXPECT_EQ(r.pool->freePacketCount(), total);
  for (uint32_t p = 0; p < r.pool->layout().packetCount; p++) EXPECT_EQ(r.pool->metaOf(p)[meta::kState], 0u) << p;
}

TEST(IoErrno, MapsKernelErrorsToIOReturn) {
  EXPECT_EQ(io::ioReturnFromErrno(0), IOReturn::Success);
  EXPECT_EQ(io::ioReturnFromErrno(ECONNREFUSED), IOReturn::NotResponding);
  EXPECT_EQ(io::ioReturnFromErrno(EMSGSIZE), IOReturn::MessageTooLarge);
  EXPECT_EQ(io::ioReturnFromErrno(ENETUNREACH), IOReturn::Offline);
  EXPECT_EQ(io::ioReturnFromErrno(EHOSTUNREACH), IOReturn::Offline);
  EXPECT_EQ(io::ioReturnFromErrno(EIO), IOReturn::IOError);
}

}  // namespace
}  // namespace pbp::test

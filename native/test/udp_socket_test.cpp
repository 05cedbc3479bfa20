// The UDP engine (native/io/udp_socket.*) against plain sockets on loopback: bytes, lengths and
// addresses both ways, GSO and GRO on and off, and the per-packet errors (EMSGSIZE, ECONNREFUSED,
// no destination, bad metadata). Loopback only; every receive is bounded by a poll timeout.
#include <arpa/inet.h>
#include <netinet/udp.h>
#include <poll.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <vector>

#include "../io/udp_socket.h"
#include "test_support.h"

namespace pbp::test {
namespace {

using io::PacketAddressRecord;
using io::UdpOptions;
using io::UdpSocket;

struct Peer {  // a plain socket bound to 127.0.0.1 (or ::1) on an ephemeral port
  int fd = -1;
  uint16_t port = 0;
  explicit Peer(int family = AF_INET, bool gro = false) {
    fd = socket(family, SOCK_DGRAM, 0);
    sockaddr_in6 sa{};
    socklen_t len;
    if (family == AF_INET) {
      auto* a = reinterpret_cast<sockaddr_in*>(&sa);
      a->sin_family = AF_INET;
      a->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
      len = sizeof(sockaddr_in);
    } else {
      sa.sin6_family = AF_INET6;
      sa.sin6_addr = in6addr_loopback;
      len = sizeof sa;
    }
    EXPECT_EQ(bind(fd, reinterpret_cast<sockaddr*>(&sa), len), 0);
    len = sizeof sa;
    getsockname(fd, reinterpret_cast<sockaddr*>(&sa), &len);
    port = ntohs(sa.sin6_port);  // same offset in sockaddr_in
    int big = 4 << 20;
    setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &big, sizeof big);
    if (gro) {
      int one = 1;
      setsockopt(fd, SOL_UDP, UDP_GRO, &one, sizeof one);
    }
  }
  ~Peer() { close(fd); }
  // One datagram, or -1 after 2 s.
  ssize_t recv(std::vector<uint8_t>& out) {
    pollfd p{fd, POLLIN, 0};
    if (poll(&p, 1, 2000) != 1) return -1;
    out.resize(70000);
    ssize_t r = ::recv(fd, out.data(), out.size(), 0);
    if (r >= 0) out.resize(size_t(r));
    return r;
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

struct Fixture {
  std::shared_ptr<Pool> pool;
  std::vector<PacketAddressRecord> addresses;
  uint32_t slot = 0;
  explicit Fixture(uint32_t bufferSize = 2048, uint32_t packets = 512, uint32_t headroom = 16) {
    PoolOptions o = smallOptions(packets);
    o.bufferSize = bufferSize;
    o.headroom = headroom;
    pool = makePool(o);
    addresses.assign(packets, PacketAddressRecord{});
    EXPECT_TRUE(pool->claimSlot(0, slot).isOk());
  }
  // n packets of `size` bytes: byte j of packet k is (k * 7 + j) & 0xff, addressed to `dest`.
  std::vector<uint32_t> fill(uint32_t n, uint32_t size, const PacketAddressRecord& dest) {
    std::vector<uint32_t> idx(n);
    EXPECT_EQ(pool->allocateBurst(slot, idx.data(), n), n);
    for (uint32_t k = 0; k < n; k++) {
      uint32_t* m = pool->metaOf(idx[k]);
      m[meta::kDataLength] = size;
      uint8_t* d = pool->bufferAt(idx[k]) + m[meta::kDataOffset];
      for (uint32_t j = 0; j < size; j++) d[j] = uint8_t(k * 7 + j);
      addresses[idx[k]] = dest;
    }
    return idx;
  }
};

UdpSocket* openSocket(std::unique_ptr<UdpSocket>& s, const UdpOptions& o) {
  int err = 0;
  Status st = UdpSocket::open(o, s, err);
  EXPECT_TRUE(st.isOk()) << st.message;
  return s.get();
}

void sendAndCheck(bool gso, uint32_t size, uint32_t count) {
  Peer peer;
  Fixture f;
  UdpOptions o;
  o.gso = gso;
  std::unique_ptr<UdpSocket> s;
  ASSERT_NE(openSocket(s, o), nullptr);
  auto idx = f.fill(count, size, loopback4(peer.port));
  std::vector<int32_t> errs(count, -1);
  ASSERT_EQ(s->send(*f.pool, f.addresses.data(), idx.data(), count, errs.data()), count);
  for (uint32_t k = 0; k < count; k++) EXPECT_EQ(errs[k], 0) << "packet " << k;
  EXPECT_EQ(s->stats().txPackets, count);
  if (gso) {
    EXPECT_GT(s->stats().txGsoMessages, 0u);
  } else {
    EXPECT_EQ(s->stats().txGsoMessages, 0u);
  }
  std::vector<uint8_t> got;
  for (uint32_t k = 0; k < count; k++) {
    ASSERT_EQ(peer.recv(got), ssize_t(size)) << "datagram " << k;
    for (uint32_t j = 0; j < size; j++) ASSERT_EQ(got[j], uint8_t(k * 7 + j)) << "datagram " << k << " byte " << j;
  }
  EXPECT_EQ(f.pool->deallocateBulk(f.slot, idx.data(), count).code, IOReturn::Success);
}

TEST(UdpSocket, SendsEveryByteWithGso) { sendAndCheck(true, 512, 300); }
TEST(UdpSocket, SendsEveryByteWithoutGso) { sendAndCheck(false, 512, 300); }
TEST(UdpSocket, SendsSmallAndLargeDatagrams) {
  sendAndCheck(true, 1, 100);
  sendAndCheck(true, 1400, 100);
}

TEST(UdpSocket, MixedDestinationsAndLengthsArriveInOrder) {
  Peer a, b;
  Fixture f;
  std::unique_ptr<UdpSocket> s;
  ASSERT_NE(openSocket(s, UdpOptions{}), nullptr);
  // 0..9 to a (len 100), 10 to a (len 50: ends the run), 11..19 to b (len 100), 20..29 to a.
  auto idx = f.fill(30, 100, loopback4(a.port));
  f.pool->metaOf(idx[10])[meta::kDataLength] = 50;
  for (int k = 11; k < 20; k++) f.addresses[idx[k]] = loopback4(b.port);
  std::vector<int32_t> errs(30, -1);
  ASSERT_EQ(s->send(*f.pool, f.addresses.data(), idx.data(), 30, errs.data()), 30u);
  std::vector<uint8_t> got;
  for (int k = 0; k < 30; k++) {
    Peer& p = k >= 11 && k < 20 ? b : a;
    ASSERT_EQ(p.recv(got), k == 10 ? 50 : 100) << k;
    EXPECT_EQ(got[0], uint8_t(k * 7)) << k;
  }
  EXPECT_EQ(s->stats().txGsoMessages, 3u);  // 0..10, 11..19, 20..29
}

TEST(UdpSocket, PerPacketErrorsDoNotStopTheBatch) {
  Peer peer;
  Fixture f(65536, 8, 0);
  std::unique_ptr<UdpSocket> s;
  ASSERT_NE(openSocket(s, UdpOptions{}), nullptr);
  auto idx = f.fill(6, 64, loopback4(peer.port));
  f.pool->metaOf(idx[1])[meta::kDataLength] = 65536;  // larger than a UDP datagram
  f.addresses[idx[2]].family = 0;                     // no destination
  f.addresses[idx[3]].family = 5;                     // not a family
  f.pool->metaOf(idx[4])[meta::kDataOffset] = 70000;  // outside its buffer
  std::vector<int32_t> errs(6, -1);
  ASSERT_EQ(s->send(*f.pool, f.addresses.data(), idx.data(), 6, errs.data()), 6u);
  EXPECT_EQ(errs[0], 0);
  EXPECT_EQ(errs[1], EMSGSIZE);
  EXPECT_EQ(errs[2], EDESTADDRREQ);
  EXPECT_EQ(errs[3], EINVAL);
  EXPECT_EQ(errs[4], EINVAL);
  EXPECT_EQ(errs[5], 0);
  EXPECT_EQ(s->stats().txErrors, 4u);
  std::vector<uint8_t> got;
  EXPECT_EQ(peer.recv(got), 64);
  EXPECT_EQ(peer.recv(got), 64);
}

TEST(UdpSocket, ConnectedToAClosedPortReportsConnectionRefused) {
  uint16_t closedPort;
  {
    Peer gone;
    closedPort = gone.port;
  }
  Fixture f;
  UdpOptions o;
  o.remote = loopback4(closedPort);
  std::unique_ptr<UdpSocket> s;
  ASSERT_NE(openSocket(s, o), nullptr);
  EXPECT_TRUE(s->connected());
  PacketAddressRecord none{};
  std::vector<int32_t> errs(1);
  bool refused = false;
  for (int i = 0; i < 50 && !refused; i++) {  // the ICMP error arrives after the first send
    auto idx = f.fill(1, 32, none);
    ASSERT_EQ(s->send(*f.pool, f.addresses.data(), idx.data(), 1, errs.data()), 1u);
    refused = errs[0] == ECONNREFUSED;
    f.pool->deallocateBulk(f.slot, idx.data(), 1);
    usleep(1000);
  }
  EXPECT_TRUE(refused);
  EXPECT_EQ(s->stats().lastErrno, ECONNREFUSED);
}

void receiveAndCheck(bool gro, int family) {
  Fixture f(gro ? 65536 : 2048, 64, gro ? 0 : 16);
  UdpOptions o;
  o.family = family == AF_INET6 ? io::kFamilyIPv6 : io::kFamilyIPv4;
  o.gro = gro;
  o.receiveBufferBytes = 4 << 20;
  std::unique_ptr<UdpSocket> s;
  ASSERT_NE(openSocket(s, o), nullptr);
  uint16_t port = s->localAddress().port;
  ASSERT_NE(port, 0);
  // The sender: a plain socket, GSO super-packets of 10 x 300 bytes when testing GRO.
  int tx = socket(family, SOCK_DGRAM, 0);
  sockaddr_in6 to{};
  socklen_t toLen;
  if (family == AF_INET) {
    auto* a = reinterpret_cast<sockaddr_in*>(&to);
    a->sin_family = AF_INET;
    a->sin_port = htons(port);
    a->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    toLen = sizeof(sockaddr_in);
  } else {
    to.sin6_family = AF_INET6;
    to.sin6_port = htons(port);
    to.sin6_addr = in6addr_loopback;
    toLen = sizeof to;
  }
  ASSERT_EQ(connect(tx, reinterpret_cast<sockaddr*>(&to), toLen), 0);
  const uint32_t kSeg = 300, kSegs = 10;
  std::vector<uint8_t> data(kSeg * kSegs);
  for (size_t j = 0; j < data.size(); j++) data[j] = uint8_t(j * 13);
  if (gro) {
    int seg = kSeg;
    ASSERT_EQ(setsockopt(tx, SOL_UDP, UDP_SEGMENT, &seg, sizeof seg), 0);
    ASSERT_EQ(send(tx, data.data(), data.size(), 0), ssize_t(data.size()));
  } else {
    for (uint32_t k = 0; k < kSegs; k++) ASSERT_EQ(send(tx, data.data() + k * kSeg, kSeg, 0), ssize_t(kSeg));
  }
  sockaddr_in6 txName{};
  socklen_t txLen = sizeof txName;
  getsockname(tx, reinterpret_cast<sockaddr*>(&txName), &txLen);

  std::vector<uint32_t> idx(16);
  ASSERT_EQ(f.pool->allocateBurst(f.slot, idx.data(), 16), 16u);
  uint32_t got = 0, bytes = 0;
  for (int tries = 0; tries < 200 && bytes < data.size(); tries++) {
    pollfd p{s->fd(), POLLIN, 0};
    poll(&p, 1, 20);
    uint32_t r = s->receive(*f.pool, f.addresses.data(), idx.data() + got, 16 - got);
    for (uint32_t k = got; k < got + r; k++) {
      uint32_t* m = f.pool->metaOf(idx[k]);
      EXPECT_EQ(m[meta::kDataOffset], f.pool->layout().headroom);
      uint32_t len = m[meta::kDataLength];
      const uint8_t* d = f.pool->bufferAt(idx[k]) + m[meta::kDataOffset];
      for (uint32_t j = 0; j < len; j++) ASSERT_EQ(d[j], data[bytes + j]) << "byte " << bytes + j;
      bytes += len;
      EXPECT_NE(m[meta::kFlags] & meta::kFlagTimestamp, 0u);
      const PacketAddressRecord& a = f.addresses[idx[k]];
      EXPECT_EQ(a.family, family == AF_INET ? io::kFamilyIPv4 : io::kFamilyIPv6);
      EXPECT_EQ(a.port, ntohs(txName.sin6_port));
      EXPECT_EQ(a.segmentSize, gro && len > kSeg ? kSeg : 0u);
    }
    got += r;
  }
  EXPECT_EQ(bytes, data.size());
  if (gro) {
    EXPECT_LT(got, kSegs) << "GRO coalesces the super-packet";
  } else {
    EXPECT_EQ(got, kSegs);
  }
  EXPECT_EQ(s->stats().rxSegments, kSegs);
  close(tx);
}

TEST(UdpSocket, ReceivesIntoPacketsIPv4) { receiveAndCheck(false, AF_INET); }
TEST(UdpSocket, ReceivesIntoPacketsIPv6) { receiveAndCheck(false, AF_INET6); }
TEST(UdpSocket, ReceivesGroSuperPacketsWithTheirSegmentSize) { receiveAndCheck(true, AF_INET); }

TEST(UdpSocket, RefusesBadOptionsWithErrno) {
  std::unique_ptr<UdpSocket> s;
  int err = 0;
  UdpOptions o;
  o.family = 5;
  EXPECT_TRUE(isCode(UdpSocket::open(o, s, err), IOReturn::BadArgument));
  Peer taken;
  o = UdpOptions{};
  o.local = loopback4(taken.port);
  Status st = UdpSocket::open(o, s, err);
  EXPECT_TRUE(isCode(st, IOReturn::NotPermitted)) << st.message;
  EXPECT_EQ(err, EADDRINUSE);
  EXPECT_NE(st.message.find("errno"), std::string::npos);
}

}  // namespace
}  // namespace pbp::test

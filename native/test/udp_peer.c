// udp_peer: the outside end of the UDP interface tests (test/udp-*.test.ts), plain C sockets.
// Every datagram follows one pattern, so each byte can be checked on the other side:
//   bytes 0..3  sequence number (uint32, little endian)
//   bytes 4..7  datagram length (uint32, little endian)
//   byte j >= 8 (sequence * 31 + j) & 0xff
// (datagrams shorter than 8 bytes carry only the first bytes of that header).
//
//   udp_peer recv --bind 127.0.0.1:0 --count N [--gro 0|1] [--timeout-ms T]
//       prints the bound port on a line, then receives until N datagrams arrived or T ms passed
//       without one, and prints {"received","bad","bytes","duplicates","firstBad","maxSequence"}.
//   udp_peer send --dest HOST:PORT --count N --size S [--gso 0|1] [--first K]
//       sends sequences K..K+N-1 (GSO super-packets of up to 32 when --gso 1) and prints
//       {"sent","port"} (port: the source port the datagrams came from).
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/udp.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#ifndef UDP_SEGMENT
#define UDP_SEGMENT 103
#endif
#ifndef UDP_GRO
#define UDP_GRO 104
#endif

static void die(const char* what) {
  fprintf(stderr, "udp_peer: %s: %s\n", what, strerror(errno));
  exit(1);
}

static int parseAddress(const char* text, struct sockaddr_storage* out, socklen_t* len) {
  char host[128];
  const char* colon = strrchr(text, ':');
  if (!colon || (size_t)(colon - text) >= sizeof host) return -1;
  memcpy(host, text, colon - text);
  host[colon - text] = 0;
  char* h = host;
  if (h[0] == '[') {
    h++;
    h[strlen(h) - 1] = 0;
  }
  int port = atoi(colon + 1);
  memset(out, 0, sizeof *out);
  struct sockaddr_in* a4 = (struct sockaddr_in*)out;
  struct sockaddr_in6* a6 = (struct sockaddr_in6*)out;
  if (inet_pton(AF_INET, h, &a4->sin_addr) == 1) {
    a4->sin_family = AF_INET;
    a4->sin_port = htons(port);
    *len = sizeof *a4;
    return 0;
  }
  if (inet_pton(AF_INET6, h, &a6->sin6_addr) == 1) {
    a6->sin6_family = AF_INET6;
    a6->sin6_port = htons(port);
    *len = sizeof *a6;
    return 0;
  }
  return -1;
}

static unsigned portOf(int fd) {
  struct sockaddr_storage a;
  socklen_t len = sizeof a;
  getsockname(fd, (struct sockaddr*)&a, &len);
  return ntohs(a.ss_family == AF_INET ? ((struct sockaddr_in*)&a)->sin_port : ((struct sockaddr_in6*)&a)->sin6_port);
}

static void fillDatagram(uint8_t* d, uint32_t seq, uint32_t size) {
  uint8_t header[8];
  memcpy(header, &seq, 4);
  memcpy(header + 4, &size, 4);
  for (uint32_t j = 0; j < size; j++) d[j] = j < 8 ? header[j] : (uint8_t)(seq * 31 + j);
}

// 0 when the datagram follows the pattern; its sequence in *seq (or 0xffffffff if too short).
static int checkDatagram(const uint8_t* d, uint32_t size, uint32_t* seqOut) {
  uint32_t seq = 0xffffffff, len = size;
  if (size >= 4) memcpy(&seq, d, 4);
  if (size >= 8) memcpy(&len, d + 4, 4);
  *seqOut = seq;
  if (len != size) return -1;
  for (uint32_t j = 8; j < size; j++)
    if (d[j] != (uint8_t)(seq * 31 + j)) return -1;
  return 0;
}

static int recvMode(const char* bind_, uint32_t count, int gro, int timeoutMs) {
  struct sockaddr_storage addr;
  socklen_t len;
  if (parseAddress(bind_, &addr, &len) < 0) die("bad --bind");
  int fd = socket(addr.ss_family, SOCK_DGRAM, 0);
  if (fd < 0) die("socket");
  int big = 8 << 20;
  setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &big, sizeof big);
  if (gro) {
    int one = 1;
    if (setsockopt(fd, SOL_UDP, UDP_GRO, &one, sizeof one) < 0) die("UDP_GRO");
  }
  if (bind(fd, (struct sockaddr*)&addr, len) < 0) die("bind");
  printf("%u\n", portOf(fd));
  fflush(stdout);
  uint8_t* seen = calloc(count ? count : 1, 1);
  static uint8_t buf[65536];
  char control[64];
  uint64_t received = 0, bad = 0, bytes = 0, duplicates = 0;
  int64_t firstBad = -1;
  uint32_t maxSeq = 0;
  while (received < count) {
    struct pollfd p = {fd, POLLIN, 0};
    if (poll(&p, 1, timeoutMs) != 1) break;
    struct iovec iov = {buf, sizeof buf};
    struct msghdr h = {0};
    h.msg_iov = &iov;
    h.msg_iovlen = 1;
    h.msg_control = control;
    h.msg_controllen = sizeof control;
    ssize_t r = recvmsg(fd, &h, 0);
    if (r < 0) {
      if (errno == EINTR) continue;
      die("recvmsg");
    }
    uint32_t segment = (uint32_t)r;
    for (struct cmsghdr* c = CMSG_FIRSTHDR(&h); c; c = CMSG_NXTHDR(&h, c))
      if (c->cmsg_level == SOL_UDP && c->cmsg_type == UDP_GRO) {
        int s;
        memcpy(&s, CMSG_DATA(c), sizeof s);
        if (s > 0) segment = (uint32_t)s;
      }
    for (uint32_t off = 0; off < (uint32_t)r || (r == 0 && off == 0); off += segment ? segment : 1) {
      uint32_t size = (uint32_t)r - off < segment ? (uint32_t)r - off : segment;
      uint32_t seq;
      received++;
      bytes += size;
      if (checkDatagram(buf + off, size, &seq) != 0) {
        if (firstBad < 0) firstBad = (int64_t)received - 1;
        bad++;
      } else if (seq < count) {
        if (seen[seq]) duplicates++;
        seen[seq] = 1;
      }
      if (seq != 0xffffffff && seq > maxSeq) maxSeq = seq;
      if (r == 0) break;
    }
  }
  printf("{\"received\":%llu,\"bad\":%llu,\"bytes\":%llu,\"duplicates\":%llu,\"firstBad\":%lld,\"maxSequence\":%u}\n",
         (unsigned long long)received, (unsigned long long)bad, (unsigned long long)bytes,
         (unsigned long long)duplicates, (long long)firstBad, maxSeq);
  return 0;
}

static int sendMode(const char* dest, uint32_t count, uint32_t size, int gso, uint32_t first) {
  struct sockaddr_storage addr;
  socklen_t len;
  if (parseAddress(dest, &addr, &len) < 0) die("bad --dest");
  int fd = socket(addr.ss_family, SOCK_DGRAM, 0);
  if (fd < 0) die("socket");
  if (connect(fd, (struct sockaddr*)&addr, len) < 0) die("connect");
  const uint32_t perSend = gso ? 32 : 1;
  uint8_t* buf = malloc((size_t)perSend * (size ? size : 1));
  uint32_t sent = 0;
  while (sent < count) {
    uint32_t n = count - sent < perSend ? count - sent : perSend;
    for (uint32_t k = 0; k < n; k++) fillDatagram(buf + (size_t)k * size, first + sent + k, size);
    char control[CMSG_SPACE(sizeof(uint16_t))];
    struct iovec iov = {buf, (size_t)n * size};
    struct msghdr h = {0};
    h.msg_iov = &iov;
    h.msg_iovlen = 1;
    if (n > 1) {
      h.msg_control = control;
      h.msg_controllen = sizeof control;
      struct cmsghdr* c = CMSG_FIRSTHDR(&h);
      c->cmsg_level = SOL_UDP;
      c->cmsg_type = UDP_SEGMENT;
      c->cmsg_len = CMSG_LEN(sizeof(uint16_t));
      uint16_t s = (uint16_t)size;
      memcpy(CMSG_DATA(c), &s, sizeof s);
    }
    if (sendmsg(fd, &h, 0) < 0) {
      if (errno == ENOBUFS || errno == EAGAIN) {
        usleep(1000);
        continue;
      }
      die("sendmsg");
    }
    sent += n;
    // Paced a little so a test's receiver never drops: 32 datagrams, then a short pause.
    if (sent % 256 == 0) usleep(200);
  }
  printf("{\"sent\":%u,\"port\":%u}\n", sent, portOf(fd));
  return 0;
}

int main(int argc, char** argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: udp_peer recv|send ...\n");
    return 2;
  }
  const char* bind_ = "127.0.0.1:0";
  const char* dest = NULL;
  uint32_t count = 0, size = 64, first = 0;
  int gro = 0, gso = 0, timeoutMs = 2000;
  for (int i = 2; i + 1 < argc; i += 2) {
    const char* a = argv[i];
    const char* v = argv[i + 1];
    if (!strcmp(a, "--bind")) bind_ = v;
    else if (!strcmp(a, "--dest"))
      dest = v;
    else if (!strcmp(a, "--count"))
      count = (uint32_t)strtoul(v, NULL, 10);
    else if (!strcmp(a, "--size"))
      size = (uint32_t)strtoul(v, NULL, 10);
    else if (!strcmp(a, "--first"))
      first = (uint32_t)strtoul(v, NULL, 10);
    else if (!strcmp(a, "--gro"))
      gro = atoi(v);
    else if (!strcmp(a, "--gso"))
      gso = atoi(v);
    else if (!strcmp(a, "--timeout-ms"))
      timeoutMs = atoi(v);
    else {
      fprintf(stderr, "udp_peer: unknown option %s\n", a);
      return 2;
    }
  }
  if (!strcmp(argv[1], "recv")) return recvMode(bind_, count, gro, timeoutMs);
  if (!strcmp(argv[1], "send") && dest) return sendMode(dest, count, size, gso, first);
  fprintf(stderr, "usage: udp_peer recv|send ...\n");
  return 2;
}

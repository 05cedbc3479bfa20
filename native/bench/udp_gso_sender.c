// udp_gso_sender: the reference for the pool's UDP interface (bench wire.udp.c-tx, and the outside
// sender of wire.udp.*-rx). Plain C, the same technique the interface uses: datagrams in separate
// 2048-byte buffers, one iovec each, runs of up to --segments datagrams sent as one UDP GSO
// super-packet (a UDP_SEGMENT cmsg), many super-packets per sendmmsg call. Each datagram gets a
// 4-byte sequence number written into it before it is sent (the pool bench stamps its packets the
// same way), so the C side does the same per-packet work as the JavaScript one.
//
//   udp_gso_sender --dest 127.0.0.1:9000 --size 512 [--gso 0|1] [--segments 64] [--batch 1024]
//                  [--count N | --seconds S | --runs]
//   udp_gso_sender --sink 127.0.0.1:0      bind, print the port, hold the socket until stdin closes
//
// --count N / --seconds S: send, then print one JSON line {"sent","cpuNs","wallNs","errors"}.
// --runs: read lines "N" from stdin; for each, send N datagrams and print "sent cpuNs wallNs".
// Without --count/--seconds/--runs it sends until stdin closes (the rx benches' blast mode).
// --sink: a receiver nobody reads: the kernel drops at its full queue (tx benches' destination).
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/udp.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#ifndef UDP_SEGMENT
#define UDP_SEGMENT 103
#endif

#define BUFFER_STRIDE 2048
#define MAX_BATCH 4096

static void die(const char* what) {
  fprintf(stderr, "udp_gso_sender: %s: %s\n", what, strerror(errno));
  exit(1);
}

static void usage(void) {
  fprintf(stderr,
          "usage: udp_gso_sender --dest HOST:PORT --size N [--gso 0|1] [--segments N] [--batch N]\n"
          "                      [--count N | --seconds S | --runs]\n"
          "       udp_gso_sender --sink HOST:PORT\n");
  exit(2);
}

static int parseAddress(const char* text, struct sockaddr_storage* out, socklen_t* len) {
  char host[128];
  const char* colon = strrchr(text, ':');
  if (!colon || (size_t)(colon - text) >= sizeof host) return -1;
  memcpy(host, text, colon - text);
  host[colon - text] = 0;
  int port = atoi(colon + 1);
  char* h = host;
  if (h[0] == '[') {  // [::1]:9000
    h++;
    h[strlen(h) - 1] = 0;
  }
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

static uint64_t nowNs(clockid_t clock) {
  struct timespec t;
  clock_gettime(clock, &t);
  return (uint64_t)t.tv_sec * 1000000000ull + t.tv_nsec;
}

struct Sender {
  int fd;
  unsigned size, segments, batch;
  int gso;
  uint8_t* buffers;  // batch x BUFFER_STRIDE
  struct iovec* iov;
  struct mmsghdr* msgs;
  char (*control)[CMSG_SPACE(sizeof(uint16_t))];
  uint32_t sequence;
  uint64_t errors;
};

// Sends `n` datagrams; returns how many the kernel took (every one unless an error other than
// EAGAIN/ENOBUFS happened, which is counted and skipped).
static uint64_t sendDatagrams(struct Sender* s, uint64_t n) {
  uint64_t sent = 0;
  while (sent < n) {
    unsigned datagrams = (unsigned)(n - sent < s->batch ? n - sent : s->batch);
    unsigned perMsg = s->gso ? s->segments : 1;
    unsigned m = 0;
    for (unsigned first = 0; first < datagrams; first += perMsg, m++) {
      unsigned count = datagrams - first < perMsg ? datagrams - first : perMsg;
      for (unsigned k = 0; k < count; k++) {
        uint8_t* data = s->buffers + (size_t)(first + k) * BUFFER_STRIDE;
        uint32_t seq = s->sequence++;
        memcpy(data, &seq, sizeof seq);
        s->iov[first + k].iov_base = data;
        s->iov[first + k].iov_len = s->size;
      }
      struct msghdr* h = &s->msgs[m].msg_hdr;
      h->msg_iov = &s->iov[first];
      h->msg_iovlen = count;
      if (count > 1) {
        h->msg_control = s->control[m];
        h->msg_controllen = sizeof s->control[m];
        struct cmsghdr* c = CMSG_FIRSTHDR(h);
        c->cmsg_level = SOL_UDP;
        c->cmsg_type = UDP_SEGMENT;
        c->cmsg_len = CMSG_LEN(sizeof(uint16_t));
        uint16_t segment = (uint16_t)s->size;
        memcpy(CMSG_DATA(c), &segment, sizeof segment);
      } else {
        h->msg_control = NULL;
        h->msg_controllen = 0;
      }
    }
    unsigned done = 0;
    while (done < m) {
      int r = sendmmsg(s->fd, s->msgs + done, m - done, 0);
      if (r < 0) {
        if (errno == EINTR) continue;
        if (errno == EAGAIN || errno == ENOBUFS) {
          struct pollfd p = {s->fd, POLLOUT, 0};
          poll(&p, 1, 100);
          continue;
        }
        s->errors++;
        r = 1;  // the first message failed: skip it
      }
      done += (unsigned)r;
    }
    sent += datagrams;
  }
  return sent;
}

static uint64_t cpuNs(void) { return nowNs(CLOCK_PROCESS_CPUTIME_ID); }

static int sinkMode(const char* where) {
  struct sockaddr_storage addr;
  socklen_t len;
  if (parseAddress(where, &addr, &len) < 0) usage();
  int fd = socket(addr.ss_family, SOCK_DGRAM, 0);
  if (fd < 0) die("socket");
  if (bind(fd, (struct sockaddr*)&addr, len) < 0) die("bind");
  if (getsockname(fd, (struct sockaddr*)&addr, &len) < 0) die("getsockname");
  unsigned port = ntohs(addr.ss_family == AF_INET ? ((struct sockaddr_in*)&addr)->sin_port
                                                  : ((struct sockaddr_in6*)&addr)->sin6_port);
  printf("%u\n", port);
  fflush(stdout);
  char line[64];
  while (fgets(line, sizeof line, stdin)) {
  }
  return 0;
}

int main(int argc, char** argv) {
  const char* dest = NULL;
  struct Sender s = {0};
  s.size = 512;
  s.gso = 1;
  s.segments = 64;
  s.batch = 1024;
  uint64_t count = 0;
  double seconds = 0;
  int runs = 0;
  for (int i = 1; i < argc; i++) {
    const char* a = argv[i];
    const char* v = i + 1 < argc ? argv[i + 1] : NULL;
    if (!strcmp(a, "--sink") && v) return sinkMode(v);
    if (!strcmp(a, "--runs")) {
      runs = 1;
      continue;
    }
    if (!v) usage();
    i++;
    if (!strcmp(a, "--dest")) dest = v;
    else if (!strcmp(a, "--size"))
      s.size = (unsigned)atoi(v);
    else if (!strcmp(a, "--gso"))
      s.gso = atoi(v);
    else if (!strcmp(a, "--segments"))
      s.segments = (unsigned)atoi(v);
    else if (!strcmp(a, "--batch"))
      s.batch = (unsigned)atoi(v);
    else if (!strcmp(a, "--count"))
      count = strtoull(v, NULL, 10);
    else if (!strcmp(a, "--seconds"))
      seconds = atof(v);
    else
      usage();
  }
  if (!dest || s.size < 4 || s.size > BUFFER_STRIDE || s.batch == 0 || s.batch > MAX_BATCH || s.segments == 0 ||
      s.segments > 1024)
    usage();
  // A super-packet carries at most 64 KB of UDP payload.
  if (s.segments * s.size > 65507 - 8) s.segments = (65507 - 8) / s.size;

  struct sockaddr_storage addr;
  socklen_t len;
  if (parseAddress(dest, &addr, &len) < 0) usage();
  s.fd = socket(addr.ss_family, SOCK_DGRAM, 0);
  if (s.fd < 0) die("socket");
  if (connect(s.fd, (struct sockaddr*)&addr, len) < 0) die("connect");
  if (s.gso) {
    // Probe: a kernel without UDP GSO refuses the option; send without it then.
    int probe = 0;
    socklen_t plen = sizeof probe;
    if (getsockopt(s.fd, SOL_UDP, UDP_SEGMENT, &probe, &plen) < 0) s.gso = 0;
  }
  s.buffers = aligned_alloc(4096, (size_t)s.batch * BUFFER_STRIDE);
  s.iov = calloc(s.batch, sizeof *s.iov);
  s.msgs = calloc(s.batch, sizeof *s.msgs);
  s.control = calloc(s.batch, sizeof *s.control);
  if (!s.buffers || !s.iov || !s.msgs || !s.control) die("alloc");
  memset(s.buffers, 0xab, (size_t)s.batch * BUFFER_STRIDE);

  if (runs) {
    char line[64];
    while (fgets(line, sizeof line, stdin)) {
      uint64_t n = strtoull(line, NULL, 10);
      uint64_t c0 = cpuNs(), t0 = nowNs(CLOCK_MONOTONIC);
      uint64_t sent = sendDatagrams(&s, n);
      printf("%llu %llu %llu\n", (unsigned long long)sent, (unsigned long long)(cpuNs() - c0),
             (unsigned long long)(nowNs(CLOCK_MONOTONIC) - t0));
      fflush(stdout);
    }
    return 0;
  }
  uint64_t c0 = cpuNs(), t0 = nowNs(CLOCK_MONOTONIC), sent = 0;
  if (count) {
    sent = sendDatagrams(&s, count);
  } else {
    // Until the deadline (seconds) or until stdin closes (blast mode).
    uint64_t deadline = seconds > 0 ? t0 + (uint64_t)(seconds * 1e9) : UINT64_MAX;
    if (seconds <= 0) fcntl(0, F_SETFL, fcntl(0, F_GETFL) | O_NONBLOCK);
    for (;;) {
      sent += sendDatagrams(&s, s.batch);
      if (nowNs(CLOCK_MONOTONIC) >= deadline) break;
      if (seconds <= 0) {
        char b[64];
        ssize_t r = read(0, b, sizeof b);
        if (r == 0 || (r < 0 && errno != EAGAIN)) break;
      }
    }
  }
  printf("{\"sent\":%llu,\"cpuNs\":%llu,\"wallNs\":%llu,\"errors\":%llu,\"gso\":%d,\"segments\":%u}\n",
         (unsigned long long)sent, (unsigned long long)(cpuNs() - c0),
         (unsigned long long)(nowNs(CLOCK_MONOTONIC) - t0), (unsigned long long)s.errors, s.gso, s.segments);
  return 0;
}

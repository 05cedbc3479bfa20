// raw_xdp_ref: the C reference for the pool's raw interface (bench wire.raw.c-tx / c-rx, and the
// traffic generator of the wire.raw.*-rx scenarios). Plain C on libxdp, the same technique the
// interface uses: an AF_XDP socket in copy mode (veth has no zero-copy) over a UMEM of 2048-byte
// aligned frames, batches of 64 descriptors, a kick (sendto) repeated until the kernel has taken
// the TX ring (copy mode sends a bounded budget per kick), a 4-byte sequence number stamped into
// every frame before it is queued (the pool bench stamps its packets the same way), and for RX a
// poll() when the ring is empty. Runs inside the bench's network namespace.
//
//   raw_xdp_ref --tx IFNAME --size 64 --runs     per stdin line "N": send N frames, print
//                                                "N cpuNs wallNs"
//   raw_xdp_ref --rx IFNAME --runs               per stdin line "N": receive N frames, print
//                                                "N cpuNs wallNs"
//   raw_xdp_ref --tx IFNAME --size 64            send until stdin closes (the rx benches' traffic)
//
// The XDP program for --rx is libxdp's default (xsk_socket__create loads and attaches it).
#define _GNU_SOURCE
#include <errno.h>
#include <stdarg.h>
#include <fcntl.h>
#include <linux/if_link.h>
#include <linux/if_xdp.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <bpf/libbpf.h>
#include <xdp/libxdp.h>
#include <xdp/xsk.h>

#define FRAME 2048
#define FRAMES 4096
#define RING 2048
#define BATCH 64
#define MAX_KICKS 16

static struct xsk_ring_prod fill, tx;
static struct xsk_ring_cons comp, rx;
static struct xsk_umem* umem;
static struct xsk_socket* xsk;
static uint8_t* area;
static int fd;
static uint64_t freeFrames[FRAMES];
static uint32_t freeCount;
static uint32_t size = 64;

static void fail(const char* what, int err) {
  fprintf(stderr, "raw_xdp_ref: %s: %s\n", what, strerror(err));
  exit(1);
}

static uint64_t nowNs(clockid_t c) {
  struct timespec t;
  clock_gettime(c, &t);
  return (uint64_t)t.tv_sec * 1000000000ull + (uint64_t)t.tv_nsec;
}

static int quiet(enum libxdp_print_level level, const char* format, va_list args) {
  (void)level, (void)format, (void)args;
  return 0;
}
static int quietBpf(enum libbpf_print_level level, const char* format, va_list args) {
  (void)level, (void)format, (void)args;
  return 0;
}

static void setup(const char* ifname, int forRx) {
  // libxdp/libbpf chatter (no bpffs, falling back to a single program) is not an error here.
  libxdp_set_print(quiet);
  libbpf_set_print(quietBpf);
  area = mmap(NULL, (size_t)FRAME * FRAMES, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (area == MAP_FAILED) fail("mmap", errno);
  struct xsk_umem_config ucfg = {RING, RING, FRAME, 0, 0};
  int rc = xsk_umem__create(&umem, area, (uint64_t)FRAME * FRAMES, &fill, &comp, &ucfg);
  if (rc) fail("xsk_umem__create", -rc);
  struct xsk_socket_config scfg;
  memset(&scfg, 0, sizeof scfg);
  scfg.rx_size = RING;
  scfg.tx_size = RING;
  scfg.libxdp_flags = forRx ? 0 : XSK_LIBXDP_FLAGS__INHIBIT_PROG_LOAD;  // TX needs no program
  scfg.bind_flags = XDP_USE_NEED_WAKEUP;
  rc = xsk_socket__create(&xsk, ifname, 0, umem, &rx, &tx, &scfg);
  if (rc) fail("xsk_socket__create", -rc);
  fd = xsk_socket__fd(xsk);
  for (uint32_t i = 0; i < FRAMES; i++) freeFrames[freeCount++] = (uint64_t)i * FRAME;
}

// --- TX ------------------------------------------------------------------------------------
static uint32_t seq;

static void kick(void) {
  if (!xsk_ring_prod__needs_wakeup(&tx)) return;
  for (int i = 0; i < MAX_KICKS && *tx.producer != __atomic_load_n(tx.consumer, __ATOMIC_ACQUIRE); i++)
    if (sendto(fd, NULL, 0, MSG_DONTWAIT, NULL, 0) < 0 && errno != EINTR) break;
}

static uint32_t reap(void) {
  uint32_t idx, n = xsk_ring_cons__peek(&comp, RING, &idx);
  for (uint32_t i = 0; i < n; i++) freeFrames[freeCount++] = *xsk_ring_cons__comp_addr(&comp, idx + i);
  if (n) xsk_ring_cons__release(&comp, n);
  return n;
}

static void prepareFrames(void) {
  for (uint32_t i = 0; i < FRAMES; i++) {
    uint8_t* f = area + (size_t)i * FRAME;
    memset(f, 0x02, 12);
    f[5] = 0x02;
    f[11] = 0x01;
    f[12] = 0x88;
    f[13] = 0xb5;
    for (uint32_t j = 18; j < size; j++) f[j] = (uint8_t)j;
  }
}

// Sends n frames (counted when the kernel completes them).
static void sendFrames(uint64_t n) {
  uint64_t queued = 0, done = 0;
  while (done < n) {
    done += reap();
    uint32_t want = BATCH;
    if (want > freeCount) want = freeCount;
    if (want > n - queued) want = (uint32_t)(n - queued);
    uint32_t idx;
    if (want && xsk_ring_prod__reserve(&tx, want, &idx) == want) {
      for (uint32_t i = 0; i < want; i++) {
        uint64_t addr = freeFrames[--freeCount];
        memcpy(area + addr + 14, &seq, 4);
        seq++;
        struct xdp_desc* d = xsk_ring_prod__tx_desc(&tx, idx + i);
        d->addr = addr;
        d->len = size;
        d->options = 0;
      }
      xsk_ring_prod__submit(&tx, want);
      queued += want;
    }
    kick();
  }
}

// --- RX ------------------------------------------------------------------------------------
static void refill(void) {
  uint32_t idx, n = freeCount < RING ? freeCount : RING;
  n = xsk_prod_nb_free(&fill, n) < n ? xsk_prod_nb_free(&fill, n) : n;
  if (!n || xsk_ring_prod__reserve(&fill, n, &idx) != n) return;
  for (uint32_t i = 0; i < n; i++) *xsk_ring_prod__fill_addr(&fill, idx + i) = freeFrames[--freeCount];
  xsk_ring_prod__submit(&fill, n);
}

static uint64_t checksum;  // reads each frame's sequence number, as the pool bench does

static void receiveFrames(uint64_t n) {
  uint64_t got = 0;
  while (got < n) {
    uint32_t idx, k = xsk_ring_cons__peek(&rx, BATCH, &idx);
    if (!k) {
      struct pollfd p = {fd, POLLIN, 0};
      poll(&p, 1, 100);
      continue;
    }
    for (uint32_t i = 0; i < k; i++) {
      const struct xdp_desc* d = xsk_ring_cons__rx_desc(&rx, idx + i);
      uint32_t s;
      memcpy(&s, area + d->addr + 14, 4);
      checksum += s;
      freeFrames[freeCount++] = xsk_umem__extract_addr(d->addr);
    }
    xsk_ring_cons__release(&rx, k);
    got += k;
    refill();
  }
}

int main(int argc, char** argv) {
  const char* ifname = NULL;
  int isRx = 0, runs = 0;
  for (int i = 1; i < argc; i++) {
    if (!strcmp(argv[i], "--tx") && i + 1 < argc) ifname = argv[++i];
    else if (!strcmp(argv[i], "--rx") && i + 1 < argc)
      ifname = argv[++i], isRx = 1;
    else if (!strcmp(argv[i], "--size") && i + 1 < argc)
      size = (uint32_t)atoi(argv[++i]);
    else if (!strcmp(argv[i], "--runs"))
      runs = 1;
    else {
      fprintf(stderr, "usage: raw_xdp_ref (--tx IF [--size N] | --rx IF) [--runs]\n");
      return 2;
    }
  }
  if (!ifname || size < 18 || size > FRAME) {
    fprintf(stderr, "raw_xdp_ref: need --tx IF or --rx IF, --size 18..2048\n");
    return 2;
  }
  setup(ifname, isRx);
  if (isRx) refill();
  else
    prepareFrames();
  printf("ready\n");
  fflush(stdout);
  if (!runs) {
    // Generator: send until stdin closes.
    fcntl(0, F_SETFL, O_NONBLOCK);
    char buf[64];
    for (;;) {
      sendFrames(4096);
      ssize_t r = read(0, buf, sizeof buf);
      if (r == 0 || (r < 0 && errno != EAGAIN)) break;
    }
  } else {
    char line[64];
    while (fgets(line, sizeof line, stdin)) {
      uint64_t n = strtoull(line, NULL, 10);
      uint64_t c0 = nowNs(CLOCK_PROCESS_CPUTIME_ID), w0 = nowNs(CLOCK_MONOTONIC);
      if (isRx) receiveFrames(n);
      else
        sendFrames(n);
      printf("%llu %llu %llu\n", (unsigned long long)n, (unsigned long long)(nowNs(CLOCK_PROCESS_CPUTIME_ID) - c0),
             (unsigned long long)(nowNs(CLOCK_MONOTONIC) - w0));
      fflush(stdout);
    }
  }
  xsk_socket__delete(xsk);
  xsk_umem__delete(umem);
  return checksum == 1 ? 3 : 0;  // keeps the reads of the sequence numbers
}

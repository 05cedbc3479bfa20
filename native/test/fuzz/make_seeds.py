#!/usr/bin/env python3
"""Writes the hand-made seed corpus (corpus/seed-*) for pool_fuzzer.cpp, whose header comment
defines the byte encoding used here. Run it after changing that encoding; the fuzzer's own
finds stay in the gitignored corpus-work/, and regression inputs are corpus/regress-*."""
import os

HERE = os.path.dirname(os.path.abspath(__file__))

# Opcodes (see pool_fuzzer.cpp).
CLAIM, RELEASE, RECLAIM, ALLOC, FREE, BURST, BULK, ADDBUF, CLAIMPKT, REFILL, FLUSH, GONE, \
    RING_ENQ, RING_DEQ, ATTACH, SCRIBBLE, WAITER, PUBLISH = range(18)
HELD, ANY, BAD = 0x00, 0x80, 0xC0   # packet picker classes: held, any index, out of range
ANY_THREAD = 4


def header(packets, extra, size, headroom, chain, cache, threads, ring_cap_log2=3,
           shared=False, scribble=False, ring_start=0, flags=0):
    mode = (0x80 if scribble else 0) | (0x40 if shared else 0) | (ring_start << 2) | flags
    return bytes([mode, packets, extra, size, headroom, chain, cache, threads, ring_cap_log2])


def ops(*items):
    out = bytearray()
    for item in items:
        out += bytes(item)
    return bytes(out)


SEEDS = {
    # One thread: allocate through the cache, chain buffers, free (also twice and out of
    # range), bulk-free with a bad entry in the middle, refill/flush, then release with packets
    # still held so reclaim has work.
    "seed-basic": header(16, 8, 64, 4, 3, 8, 2) + ops(
        [CLAIM, 0], [ALLOC, 0], [ALLOC, 0], [ALLOC, 0], [ADDBUF, HELD | 1], [ADDBUF, HELD | 1],
        [ADDBUF, HELD | 1], [FREE, 0, HELD | 0], [FREE, 0, ANY | 0], [FREE, 0, BAD | 63],
        [BULK, 0, 3, HELD | 0, BAD | 1, HELD | 1], [BULK, 0, 2, HELD | 0, HELD | 0],
        [BULK, 0, 1, HELD | 0], [REFILL, 0], [FLUSH, 0, 1], [BURST, 0, 5], [ALLOC, 0],
        [SCRIBBLE, HELD | 2], [RELEASE, 0], [RECLAIM, 1], [RECLAIM, 0], [RECLAIM, ANY_THREAD]),
    # cacheSize 0: every call goes straight to the ring; exhaust the pool and fail.
    "seed-uncached": header(4, 0, 8, 0, 1, 0, 1) + ops(
        [CLAIM, 2], [ALLOC, 0], [ALLOC, 0], [ALLOC, 0], [ALLOC, 0], [ALLOC, 0], [BURST, 0, 3],
        [FREE, 0, HELD | 0], [BURST, 0, 6], [BULK, 0, 4, HELD | 0, HELD | 1, HELD | 2, HELD | 3],
        [ADDBUF, HELD | 0], [RELEASE, 0]),
    # Several slots: cross-slot frees and claims, a slot dying attached (reclaim by thread id,
    # refused while that thread is attached), a shared pool mapped a second time.
    "seed-threads": header(12, 6, 32, 0, 2, 4, 3, shared=True) + ops(
        [CLAIM, 1], [CLAIM, 2], [CLAIM, 3], [CLAIM, 0], [BURST, 0, 5], [BURST, 1, 4],
        [ALLOC, 2], [CLAIMPKT, 1, HELD | 0], [FREE, 2, HELD | 3], [ADDBUF, HELD | 2],
        [ATTACH], [GONE, 1], [RECLAIM, 1], [RECLAIM, 2], [RELEASE, 2], [RECLAIM, 3],
        [RECLAIM, ANY_THREAD], [CLAIM, 2], [ATTACH], [RELEASE, 0]),
    # Handing a packet over: another slot's claim and free are refused until the owner publishes
    # it (handOver); after a claim the old owner is refused in turn; a publish by a slot
    # that does not hold the packet does nothing.
    "seed-publish": header(8, 2, 16, 0, 2, 4, 2) + ops(
        [CLAIM, 0], [CLAIM, 1], [ALLOC, 0], [CLAIMPKT, 1, HELD | 0], [FREE, 1, HELD | 0],
        [PUBLISH, 1, HELD | 0], [CLAIMPKT, 1, HELD | 0], [PUBLISH, 0, HELD | 0],
        [CLAIMPKT, 1, HELD | 0], [FREE, 0, HELD | 0], [PUBLISH, 1, HELD | 0], [FREE, 0, HELD | 0],
        [ALLOC, 0], [PUBLISH, 0, HELD | 0], [BULK, 1, 1, HELD | 0], [BURST, 0, 3],
        [FREE, 1, HELD | 0], [CLAIMPKT, 1, HELD | 1], [RELEASE, 0], [RECLAIM, ANY_THREAD]),
    # Waiters force frees into the ring; removing them sends frees back to the cache.
    "seed-waiters": header(8, 2, 16, 1, 2, 6, 1) + ops(
        [CLAIM, 0], [BURST, 0, 6], [WAITER, 1], [FREE, 0, HELD | 0], [BULK, 0, 2, HELD | 0, HELD | 1],
        [WAITER, 0], [FREE, 0, HELD | 0], [BULK, 0, 1, HELD | 0], [ALLOC, 0], [REFILL, 0],
        [FLUSH, 0, 0]),
    # The standalone ring starting 9*15 before 2^32: bulk/burst through the counter wrap.
    "seed-ring-wrap": header(2, 0, 8, 0, 1, 2, 1, ring_cap_log2=3, ring_start=15) + ops(
        *[[RING_ENQ, i & 1, 5 + i % 7] for i in range(12)],
        *[[RING_DEQ, i & 1, 3 + i % 9] for i in range(12)],
        *[[RING_ENQ, 1, 17], [RING_DEQ, 0, 8], [RING_DEQ, 1, 17]] * 8),
    # Invalid options: each must be refused with kIOReturnBadArgument.
    "seed-invalid-zero-packets": header(0, 4, 64, 0, 1, 2, 1),
    "seed-invalid-odd-cache": header(8, 0, 64, 0, 1, 3, 1),
    "seed-invalid-headroom": header(8, 0, 4, 9, 1, 2, 1),
    "seed-invalid-flags": header(8, 0, 64, 0, 1, 2, 1, flags=3),
    "seed-invalid-buffers": header(8, 0xF0, 64, 0, 1, 2, 1),
    # Scribble mode (PBP_FUZZ_SCRIBBLE=1 only; otherwise op 15 rewrites payloads): junk cache
    # count and entries, metadata buffer count 0, a chain entry out of range, a NaN counter.
    "seed-scribble": header(8, 4, 32, 0, 3, 4, 2, scribble=True) + ops(
        [CLAIM, 0], [BURST, 0, 3], [ADDBUF, HELD | 0],
        [SCRIBBLE, 0, 0, 0xFF, 0xFF, 0, 0], [ALLOC, 0], [REFILL, 0], [FREE, 0, HELD | 1],
        [SCRIBBLE, 1, 0, 0x00, 0x00, 0x01, 0x00], [FLUSH, 0, 0], [ALLOC, 0],
        [SCRIBBLE, 2 | (7 << 3), 1, 0, 0, 0, 0], [ADDBUF, HELD | 1],
        [SCRIBBLE, 3, 0, 0x40, 0, 0, 0], [FREE, 0, HELD | 0], [ADDBUF, HELD | 2],
        [SCRIBBLE, 4 | (1 << 3), 0, 0, 0, 0, 0], [RELEASE, 0], [RECLAIM, ANY_THREAD]),
}


def main():
    corpus = os.path.join(HERE, "corpus")
    os.makedirs(corpus, exist_ok=True)
    for name, data in SEEDS.items():
        with open(os.path.join(corpus, name), "wb") as f:
            f.write(data)


if __name__ == "__main__":
    main()

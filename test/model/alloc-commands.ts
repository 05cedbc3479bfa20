/**
 * Model-run commands that take packets from the pool: one at a time, in batches (array or
 * Uint32Array of indices), and by index with newPacket; plus flush, a full audit of the free
 * list, and release().
 */
import fc from 'fast-check';

import { IONetworkPacketType, kIOReturnBadArgument, kIOReturnNotPermitted } from '../../lib';
import { expectOutcome } from './expect-call';
import { acceptFresh, PoolCommand, whenOpen } from './pool-command';
import { PoolModel, RealPools } from './pool-model';
import { isUint, NumArg, numArg, resolve, show, showArg } from './values';

/** allocatePacket(): a fresh packet while any is free, null when none is. */
export class AllocateCommand extends PoolCommand {
  check(): boolean {
    return true;
  }

  apply(m: PoolModel, r: RealPools): void {
    const p = expectOutcome('allocatePacket()', whenOpen(m, null), () => r.pool.allocatePacket());
    if (m.released) return;
    if (m.freeCount === 0) {
      if (p !== null) throw new Error(`allocatePacket() returned packet ${p?.getPacketIndex()} from an empty pool`);
      m.failedAllocations += 1;
      return;
    }
    acceptFresh(m, r, p, 'allocatePacket()');
  }

  toString(): string {
    return 'allocate';
  }
}

type OutKind = 'none' | 'array' | 'bad';

/**
 * allocatePackets(count[, out]): up to `count` packets in one native call; free packets parked in
 * this thread's cache count as free, so it returns exactly min(count, free).
 */
export class AllocateBatchCommand extends PoolCommand {
  constructor(
    readonly count: NumArg,
    readonly out: OutKind,
  ) {
    super();
  }

  check(): boolean {
    return true;
  }

  apply(m: PoolModel, r: RealPools): void {
    const count = resolve(this.count, m.config.packetCount);
    const ok = isUint(count, m.config.packetCount) && this.out !== 'bad';
    const out: unknown = this.out === 'array' ? [1, 'junk', null, 4, 5, 6, 7, 8] : this.out === 'bad' ? {} : undefined;
    const got = expectOutcome(
      `allocatePackets(${show(count)}, ${this.out})`,
      whenOpen(m, ok ? null : kIOReturnBadArgument),
      () =>
        out === undefined
          ? r.pool.allocatePackets(count as number)
          : r.pool.allocatePackets(count as number, out as []),
    );
    if (!got) return;
    const n = count as number;
    const want = Math.min(n, m.freeCount);
    if (got.length !== want)
      throw new Error(`allocatePackets(${n}) returned ${got.length} packets, ${m.freeCount} free`);
    if (out !== undefined && got !== out) throw new Error('allocatePackets did not fill the array passed as out');
    got.forEach((p) => acceptFresh(m, r, p, `allocatePackets(${n})`));
    m.failedAllocations += n - got.length;
  }

  toString(): string {
    return `allocatePackets(${showArg(this.count)}, ${this.out})`;
  }
}

/** allocatePacketIndices(Uint32Array), then newPacket for each index. */
export class AllocateIndicesCommand extends PoolCommand {
  constructor(
    readonly size: number,
    readonly badContainer: boolean,
  ) {
    super();
  }

  check(): boolean {
    return true;
  }

  apply(m: PoolModel, r: RealPools): void {
    const out: unknown = this.badContainer ? new Int32Array(this.size) : new Uint32Array(this.size);
    const got = expectOutcome(
      `allocatePacketIndices(${this.badContainer ? 'Int32Array' : 'Uint32Array'}(${this.size}))`,
      whenOpen(m, this.badContainer ? kIOReturnBadArgument : null),
      () => r.pool.allocatePacketIndices(out as Uint32Array),
    );
    if (got === undefined) return;
    const want = Math.min(this.size, m.freeCount);
    if (got !== want) throw new Error(`allocatePacketIndices(${this.size}) returned ${got}, ${m.freeCount} free`);
    const indices = out as Uint32Array;
    for (let k = 0; k < got; k++) {
      const p = expectOutcome(`newPacket(${indices[k]})`, null, () => r.pool.newPacket({ fPacketIndex: indices[k] }));
      acceptFresh(m, r, p, 'allocatePacketIndices');
    }
    m.failedAllocations += this.size - got;
  }

  toString(): string {
    return `allocateIndices(${this.size}${this.badContainer ? ', Int32Array' : ''})`;
  }
}

type DescriptorKind = 'held' | 'free' | 'index' | 'badDescriptor';
const BAD_DESCRIPTORS: readonly unknown[] = [
  null,
  undefined,
  5,
  'x',
  {},
  { fPacketIndex: '1' },
  { fPacketIndex: 1n },
  [],
];

/**
 * newPacket({ fPacketIndex }): the same object for a packet the test holds, kIOReturnNotPermitted
 * for a free one, kIOReturnBadArgument for a bad index or descriptor.
 */
export class NewPacketCommand extends PoolCommand {
  constructor(
    readonly kind: DescriptorKind,
    readonly selector: number,
    readonly index: NumArg,
  ) {
    super();
  }

  check(): boolean {
    return true;
  }

  apply(m: PoolModel, r: RealPools): void {
    const all = Array.from({ length: m.config.packetCount }, (_, i) => i);
    let descriptor: unknown;
    switch (this.kind) {
      case 'held':
        descriptor = { fPacketIndex: PoolModel.pick(m.heldIndices(), this.selector) ?? 0 };
        break;
      case 'free':
        descriptor = {
          fPacketIndex:
            PoolModel.pick(
              all.filter((i) => !m.held.has(i)),
              this.selector,
            ) ?? 0,
        };
        break;
      case 'index':
        descriptor = { fPacketIndex: resolve(this.index, m.config.packetCount - 1) };
        break;
      case 'badDescriptor':
        descriptor = PoolModel.pick(BAD_DESCRIPTORS, this.selector);
        break;
    }
    const index = (descriptor as { fPacketIndex?: unknown } | null)?.fPacketIndex;
    const valid = isUint(index, m.config.packetCount - 1);
    const expected = !valid ? kIOReturnBadArgument : m.held.has(index) ? null : kIOReturnNotPermitted;
    const p = expectOutcome(`newPacket(${show(descriptor)} ${show(index)})`, whenOpen(m, expected), () =>
      r.pool.newPacket(descriptor as { fPacketIndex: number }),
    );
    if (p !== undefined && p !== m.held.get(index as number)!.packet) {
      throw new Error(`newPacket(${String(index)}) returned another object than the held packet`);
    }
  }

  toString(): string {
    return `newPacket(${this.kind}, ${this.selector}, ${showArg(this.index)})`;
  }
}

/** flush(): this thread's cached free packets go back to the ring. */
export class FlushCommand extends PoolCommand {
  check(): boolean {
    return true;
  }

  apply(m: PoolModel, r: RealPools): void {
    expectOutcome('flush()', whenOpen(m, null), () => r.pool.flush());
    if (!m.released && r.pool.getStatistics().cached !== 0) throw new Error('flush() left packets in the cache');
  }

  toString(): string {
    return 'flush';
  }
}

/**
 * Takes every free packet (allocatePacket until null) and gives them back: the free list must
 * hold exactly the indices the test does not hold, each once.
 */
export class AuditCommand extends PoolCommand {
  check(m: Readonly<PoolModel>): boolean {
    return !m.released;
  }

  apply(m: PoolModel, r: RealPools): void {
    auditFreeList(m, r);
  }

  toString(): string {
    return 'audit';
  }
}

export function auditFreeList(m: PoolModel, r: RealPools): void {
  const taken = [];
  const seen = new Set<number>();
  for (let p = r.pool.allocatePacket(); p !== null; p = r.pool.allocatePacket()) {
    const i = p.getPacketIndex();
    if (m.held.has(i)) throw new Error(`audit: the free list handed out held packet ${i}`);
    if (seen.has(i)) throw new Error(`audit: the free list holds packet ${i} twice`);
    seen.add(i);
    if (p.getBufferCount() !== 1) throw new Error(`audit: free packet ${i} came with ${p.getBufferCount()} buffers`);
    taken.push(p);
    if (taken.length > m.config.packetCount) throw new Error('audit: more free packets than the pool has');
  }
  if (taken.length !== m.freeCount) throw new Error(`audit: ${taken.length} free packets, model says ${m.freeCount}`);
  m.allocations += taken.length;
  m.failedAllocations += 1;
  m.peakInUse = m.config.packetCount;
  for (const p of taken) {
    m.known.set(p.getPacketIndex(), p);
    r.pool.deallocatePacket(p);
  }
  m.deallocations += taken.length;
}

/** release() (or its aliases free() and [Symbol.dispose]()); idempotent. */
export class ReleaseCommand extends PoolCommand {
  constructor(readonly how: 'release' | 'free' | 'dispose') {
    super();
  }

  check(): boolean {
    return true;
  }

  apply(m: PoolModel, r: RealPools): void {
    expectOutcome(`${this.how}()`, null, () =>
      this.how === 'release' ? r.pool.release() : this.how === 'free' ? r.pool.free() : r.pool[Symbol.dispose](),
    );
    expectOutcome('init() after release', null, () => {
      if (r.pool.init()) throw new Error('init() is true after release');
    });
    expectOutcome('initWithName() after release', null, () => {
      const again = r.pool.initWithName('again', null, IONetworkPacketType.Network, {
        packetCount: 1,
        bufferCount: 1,
        bufferSize: 64,
      });
      if (again) throw new Error('initWithName() re-opened a released pool');
    });
    m.released = true;
  }

  toString(): string {
    return this.how;
  }
}

export function allocCommands(): { arbitrary: fc.Arbitrary<PoolCommand>; weight: number }[] {
  return [
    { weight: 8, arbitrary: fc.constant(new AllocateCommand()) },
    {
      weight: 2,
      arbitrary: fc
        .tuple(numArg(), fc.constantFrom<OutKind>('none', 'array', 'bad'))
        .map(([c, o]) => new AllocateBatchCommand(c, o)),
    },
    {
      weight: 1,
      arbitrary: fc
        .tuple(fc.integer({ min: 0, max: 70 }), fc.boolean())
        .map(([n, bad]) => new AllocateIndicesCommand(n, bad && n % 4 === 0)),
    },
    {
      weight: 2,
      arbitrary: fc
        .tuple(fc.constantFrom<DescriptorKind>('held', 'free', 'index', 'badDescriptor'), fc.nat(), numArg())
        .map(([k, s, i]) => new NewPacketCommand(k, s, i)),
    },
    { weight: 1, arbitrary: fc.constant(new FlushCommand()) },
    { weight: 1, arbitrary: fc.constant(new AuditCommand()) },
  ];
}

/** Rare on purpose: everything after it in a run exercises calls on a released pool. */
export function releaseCommand(): fc.Arbitrary<PoolCommand> {
  return fc
    .constantFrom<'release' | 'free' | 'dispose'>('release', 'free', 'dispose')
    .map((h) => new ReleaseCommand(h));
}

/**
 * Model-run commands that give packets back: one at a time (valid, double free, foreign packet,
 * things that are not packets) and in batches with one bad entry anywhere in the batch, which
 * must leave every packet of the batch held (all or nothing).
 */
import fc from 'fast-check';

import { IOUserNetworkPacket, kIOReturnBadArgument, kIOReturnNotPermitted } from '../../lib';
import { Expected, expectOutcome } from './expect-call';
import { PoolCommand, whenOpen } from './pool-command';
import { PoolModel, RealPools } from './pool-model';
import { isUint, NumArg, numArg, resolve, show, showArg } from './values';

/** deallocatePacket (or DeallocatePacket) of a packet the test holds. */
export class DeallocateCommand extends PoolCommand {
  constructor(
    readonly selector: number,
    readonly alias: boolean,
  ) {
    super();
  }

  check(m: Readonly<PoolModel>): boolean {
    return m.held.size > 0 || (m.released && m.known.size > 0);
  }

  apply(m: PoolModel, r: RealPools): void {
    const index = PoolModel.pick(m.released ? [...m.known.keys()] : m.heldIndices(), this.selector)!;
    const p = m.known.get(index)!;
    expectOutcome(`deallocatePacket(${index})`, whenOpen(m, null), () =>
      this.alias ? r.pool.DeallocatePacket(p) : r.pool.deallocatePacket(p),
    );
    if (m.released) return;
    m.drop(index);
    m.deallocations += 1;
  }

  toString(): string {
    return `deallocate(${this.selector}${this.alias ? ', alias' : ''})`;
  }
}

/** deallocatePacket of a packet already given back: kIOReturnNotPermitted, pool unchanged. */
export class DoubleFreeCommand extends PoolCommand {
  constructor(readonly selector: number) {
    super();
  }

  check(m: Readonly<PoolModel>): boolean {
    return m.freeKnownIndices().length > 0 || (m.released && m.known.size > 0);
  }

  apply(m: PoolModel, r: RealPools): void {
    const index = PoolModel.pick(m.released ? [...m.known.keys()] : m.freeKnownIndices(), this.selector)!;
    const p = m.known.get(index)!;
    expectOutcome(`double free of packet ${index}`, whenOpen(m, kIOReturnNotPermitted), () =>
      r.pool.deallocatePacket(p),
    );
  }

  toString(): string {
    return `doubleFree(${this.selector})`;
  }
}

type Bogus = 'foreign' | 'plain' | 'null' | 'undefined' | 'number' | 'string' | 'protoOnly' | 'lookalike';

function bogus(kind: Bogus, r: RealPools): unknown {
  switch (kind) {
    case 'foreign':
      return r.foreignPacket;
    case 'plain':
      return {};
    case 'null':
      return null;
    case 'undefined':
      return undefined;
    case 'number':
      return 0;
    case 'string':
      return 'packet';
    case 'protoOnly':
      // Passes instanceof but was never made by a pool.
      return Object.create(IOUserNetworkPacket.prototype);
    case 'lookalike':
      // Has the shape of a packet of this pool but is not one.
      return { _pool: r.pool, _index: 0, _m: 0, getPacketIndex: () => 0 };
  }
}

/** deallocatePacket of something that is not a packet of this pool: kIOReturnBadArgument. */
export class DeallocateBogusCommand extends PoolCommand {
  constructor(readonly kind: Bogus) {
    super();
  }

  check(): boolean {
    return true;
  }

  apply(m: PoolModel, r: RealPools): void {
    const value = bogus(this.kind, r);
    expectOutcome(`deallocatePacket(${this.kind})`, whenOpen(m, kIOReturnBadArgument), () =>
      r.pool.deallocatePacket(value as IOUserNetworkPacket),
    );
  }

  toString(): string {
    return `deallocateBogus(${this.kind})`;
  }
}

type BatchApi = 'deallocatePackets' | 'DeallocatePackets' | 'deallocatePackets(u32)' | 'deallocatePacketIndices';
type BadEntry = 'none' | 'plain' | 'null' | 'foreign' | 'freed' | 'duplicate' | 'outOfRange';
type Container = 'ok' | 'int32' | 'object' | 'string';
type Entry = { kind: 'packet'; index: number } | { kind: 'outOfRange'; index: number } | { kind: Bogus };

/**
 * A batch of held packets, optionally with one bad entry at any position, optionally in a wrong
 * container or with a count: an invalid batch throws and frees nothing.
 */
export class BatchDeallocateCommand extends PoolCommand {
  constructor(
    readonly api: BatchApi,
    readonly selectors: readonly number[],
    readonly bad: BadEntry,
    readonly position: number,
    readonly container: Container,
    readonly count: NumArg | null,
  ) {
    super();
  }

  check(): boolean {
    return true;
  }

  apply(m: PoolModel, r: RealPools): void {
    const byIndex = this.api === 'deallocatePackets(u32)' || this.api === 'deallocatePacketIndices';
    const entries = this.entries(m, byIndex);
    const count = this.count === null ? undefined : resolve(this.count, entries.length);
    const values = entries.map((e) => {
      if (e.kind === 'packet' || e.kind === 'outOfRange') return byIndex ? e.index : m.known.get(e.index);
      return bogus(e.kind, r);
    });
    const arg: unknown =
      this.container === 'int32'
        ? Int32Array.from(values as number[])
        : this.container === 'object'
          ? { length: values.length }
          : this.container === 'string'
            ? 'packets'
            : byIndex
              ? Uint32Array.from(values as number[])
              : values;
    const expected = this.expected(m, entries, count);
    const what = `${this.api}([${entries.map(showEntry).join(',')}], ${this.container}, count ${show(count)})`;
    expectOutcome(what, whenOpen(m, expected), () => {
      const list = arg as IOUserNetworkPacket[] & Uint32Array;
      if (this.api === 'deallocatePacketIndices') {
        return count === undefined
          ? r.pool.deallocatePacketIndices(list)
          : r.pool.deallocatePacketIndices(list, count as number);
      }
      const call = this.api === 'DeallocatePackets' ? r.pool.DeallocatePackets : r.pool.deallocatePackets;
      return count === undefined ? call.call(r.pool, list) : call.call(r.pool, list, count as number);
    });
    if (expected !== null || m.released) return;
    const n = count === undefined ? entries.length : (count as number);
    for (const e of entries.slice(0, n)) m.drop((e as { index: number }).index);
    m.deallocations += n;
  }

  private entries(m: PoolModel, byIndex: boolean): Entry[] {
    const held = m.heldIndices();
    const chosen = new Set<number>();
    for (const s of this.selectors) if (held.length > 0) chosen.add(held[s % held.length]);
    const entries: Entry[] = [...chosen].map((index) => ({ kind: 'packet', index }));
    let bad: Entry | undefined;
    switch (this.bad) {
      case 'none':
        break;
      case 'plain':
      case 'null':
      case 'foreign':
        bad = byIndex ? { kind: 'outOfRange', index: m.config.packetCount } : { kind: this.bad };
        break;
      case 'outOfRange':
        bad = byIndex ? { kind: 'outOfRange', index: 0xffffffff - (this.position % 2) } : { kind: 'plain' };
        break;
      case 'freed': {
        const candidates = byIndex
          ? Array.from({ length: m.config.packetCount }, (_, i) => i).filter((i) => !m.held.has(i))
          : m.freeKnownIndices();
        const index = PoolModel.pick(candidates, this.position);
        if (index !== undefined) bad = { kind: 'packet', index };
        break;
      }
      case 'duplicate':
        if (entries.length > 0) bad = entries[this.position % entries.length];
        break;
    }
    if (bad) entries.splice(this.position % (entries.length + 1), 0, bad);
    return entries;
  }

  private expected(m: PoolModel, entries: Entry[], count: unknown): Expected {
    if (this.container !== 'ok') return kIOReturnBadArgument;
    if (count !== undefined && !isUint(count, entries.length)) return kIOReturnBadArgument;
    const used = entries.slice(0, count === undefined ? entries.length : (count as number));
    // The array form checks every entry is a packet of this pool before the core sees any.
    if (used.some((e) => e.kind !== 'packet' && e.kind !== 'outOfRange')) return kIOReturnBadArgument;
    const seen = new Set<number>();
    for (const e of used) {
      const index = (e as { index: number }).index;
      if (index >= m.config.packetCount) return kIOReturnBadArgument;
      if (!m.held.has(index) || seen.has(index)) return kIOReturnNotPermitted;
      seen.add(index);
    }
    return null;
  }

  toString(): string {
    const count = this.count === null ? '' : `, count ${showArg(this.count)}`;
    return `batch(${this.api}, [${this.selectors.join(',')}], ${this.bad}@${this.position}, ${this.container}${count})`;
  }
}

function showEntry(e: Entry): string {
  return e.kind === 'packet' ? String(e.index) : e.kind === 'outOfRange' ? `#${e.index}` : e.kind;
}

export function deallocCommands(): { arbitrary: fc.Arbitrary<PoolCommand>; weight: number }[] {
  return [
    {
      weight: 7,
      arbitrary: fc.tuple(fc.nat(), fc.boolean()).map(([s, alias]) => new DeallocateCommand(s, alias)),
    },
    { weight: 2, arbitrary: fc.nat().map((s) => new DoubleFreeCommand(s)) },
    {
      weight: 2,
      arbitrary: fc
        .constantFrom<Bogus>('foreign', 'plain', 'null', 'undefined', 'number', 'string', 'protoOnly', 'lookalike')
        .map((k) => new DeallocateBogusCommand(k)),
    },
    {
      weight: 3,
      arbitrary: fc
        .tuple(
          fc.constantFrom<BatchApi>(
            'deallocatePackets',
            'DeallocatePackets',
            'deallocatePackets(u32)',
            'deallocatePacketIndices',
          ),
          fc.array(fc.nat(), { maxLength: 10 }),
          fc.constantFrom<BadEntry>('none', 'none', 'plain', 'null', 'foreign', 'freed', 'duplicate', 'outOfRange'),
          fc.nat(),
          fc.constantFrom<Container>('ok', 'ok', 'ok', 'ok', 'ok', 'int32', 'object', 'string'),
          fc.option(numArg(), { freq: 4 }),
        )
        .map(
          ([api, sel, bad, pos, container, count]) => new BatchDeallocateCommand(api, sel, bad, pos, container, count),
        ),
    },
  ];
}

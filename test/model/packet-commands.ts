/**
 * Model-run commands on one packet: the data-window setters with valid, boundary and wrong
 * values, writes into its buffers, chaining buffers, and accessors on packets the test does not
 * hold. Each command computes the expected outcome from the model first, then makes the call.
 */
import fc from 'fast-check';

import { kIOReturnBadArgument, kIOReturnNotPermitted, kIOReturnOverrun } from '../../lib';
import { Expected, expectOutcome } from './expect-call';
import { PoolCommand, whenOpen } from './pool-command';
import { HeldPacket, PoolModel } from './pool-model';
import { isUint, NumArg, numArg, resolve, show, showArg } from './values';

const U16 = 0xffff;
const U32 = 0xffffffff;

type Field = 'length' | 'offset' | 'offAndLen' | 'headroom' | 'linkHeader';

/** Sets one data-window field of a held packet (or a free one: kIOReturnNotPermitted). */
export class SetFieldCommand extends PoolCommand {
  constructor(
    readonly selector: number,
    readonly field: Field,
    readonly a: NumArg,
    readonly b: NumArg,
    readonly alias: boolean,
  ) {
    super();
  }

  check(m: Readonly<PoolModel>): boolean {
    return m.known.size > 0;
  }

  apply(m: PoolModel): void {
    const held = PoolModel.pick(m.heldIndices(), this.selector);
    const index = held ?? (PoolModel.pick([...m.known.keys()], this.selector) as number);
    const h = held === undefined ? undefined : m.held.get(held);
    const p = m.known.get(index)!;
    const cap = h ? m.capacity(h) : m.config.bufferSize;
    const off = h?.dataOffset ?? 0;
    const len = h?.dataLength ?? 0;
    const headroom = h?.headroom ?? 0; // setDataOffset* may not place the data inside it
    let expected: Expected;
    let call: () => void;
    let commit: (h: HeldPacket) => void;
    switch (this.field) {
      case 'length': {
        const v = resolve(this.a, cap - off);
        expected = !isUint(v, U32) ? kIOReturnBadArgument : off + v > cap ? kIOReturnOverrun : null;
        call = () => (this.alias ? p.SetDataLength(v as number) : p.setDataLength(v as number));
        commit = (x) => (x.dataLength = v as number);
        break;
      }
      case 'offset': {
        const v = resolve(this.a, Math.min(U16, cap - len));
        expected = !isUint(v, U16) ? kIOReturnBadArgument : v < headroom || v + len > cap ? kIOReturnOverrun : null;
        call = () => (this.alias ? p.setDataOff(v as number) : p.setDataOffset(v as number));
        commit = (x) => (x.dataOffset = v as number);
        break;
      }
      case 'offAndLen': {
        const o = resolve(this.a, Math.min(U16, cap));
        const l = resolve(this.b, typeof o === 'number' ? cap - o : cap);
        expected =
          !isUint(o, U16) || !isUint(l, U32)
            ? kIOReturnBadArgument
            : o < headroom || o + l > cap
              ? kIOReturnOverrun
              : null;
        call = () =>
          this.alias
            ? p.setDataOffAndLen(o as number, l as number)
            : p.setDataOffsetAndLength(o as number, l as number);
        commit = (x) => {
          x.dataOffset = o as number;
          x.dataLength = l as number;
        };
        break;
      }
      case 'headroom': {
        const v = resolve(this.a, Math.min(255, m.config.bufferSize - 1));
        expected = !isUint(v, 255) ? kIOReturnBadArgument : v >= m.config.bufferSize ? kIOReturnOverrun : null;
        call = () => (this.alias ? p.SetHeadroom(v as number) : p.setHeadroom(v as number));
        commit = (x) => (x.headroom = v as number);
        break;
      }
      case 'linkHeader': {
        const v = resolve(this.a, Math.min(255, cap - off));
        expected = !isUint(v, 255) ? kIOReturnBadArgument : off + v > cap ? kIOReturnOverrun : null;
        call = () => (this.alias ? p.SetLinkHeaderLength(v as number) : p.setLinkHeaderLength(v as number));
        commit = (x) => (x.linkHeaderLength = v as number);
        break;
      }
    }
    if (!h) expected = kIOReturnNotPermitted;
    expectOutcome(`packet ${index} ${this.field}`, whenOpen(m, expected), call);
    if (h && expected === null && !m.released) commit(h);
  }

  toString(): string {
    const b = this.field === 'offAndLen' ? `, ${showArg(this.b)}` : '';
    return `set(${this.selector}, ${this.field}${this.alias ? '*' : ''}, ${showArg(this.a)}${b})`;
  }
}

type Move = 'prepend' | 'adj' | 'append' | 'trim';

/**
 * Moves an edge of a held packet's data window (prepend / adj / append / trim) by a valid,
 * boundary or wrong amount; the model computes the new window, or the refusal, first.
 */
export class MoveWindowCommand extends PoolCommand {
  constructor(
    readonly selector: number,
    readonly move: Move,
    readonly a: NumArg,
  ) {
    super();
  }

  check(m: Readonly<PoolModel>): boolean {
    return m.held.size > 0 && !m.released;
  }

  apply(m: PoolModel): void {
    const index = PoolModel.pick(m.heldIndices(), this.selector)!;
    const h = m.held.get(index)!;
    const cap = m.capacity(h);
    const { dataOffset: off, dataLength: len } = h;
    // The largest valid n of each move (edge deltas probe one past it).
    const limit = { prepend: off, adj: Math.min(len, U16 - off), append: cap - off - len, trim: len }[this.move];
    const n = resolve(this.a, limit);
    const expected: Expected = !isUint(n, U32) ? kIOReturnBadArgument : n > limit ? kIOReturnOverrun : null;
    const returned = expectOutcome(`packet ${index} ${this.move}(${show(n)})`, expected, () =>
      h.packet[this.move](n as number),
    );
    if (expected !== null) return;
    const v = n as number;
    const want = { prepend: off - v, adj: off + v, append: off + len, trim: undefined }[this.move];
    if (returned !== want)
      throw new Error(`packet ${index} ${this.move}(${v}) returned ${show(returned)}, expected ${show(want)}`);
    if (this.move === 'prepend') {
      h.dataOffset = off - v;
      h.dataLength = len + v;
      h.headroom = Math.min(h.headroom, off - v);
    } else if (this.move === 'adj') {
      h.dataOffset = off + v;
      h.dataLength = len - v;
    } else {
      h.dataLength = this.move === 'append' ? len + v : len - v;
    }
  }

  toString(): string {
    return `${this.move}(${this.selector}, ${showArg(this.a)})`;
  }
}

/** Writes a pattern into a buffer of a held packet, through getBufferAt(i) or getData(). */
export class WriteCommand extends PoolCommand {
  constructor(
    readonly selector: number,
    readonly buffer: NumArg,
    readonly viaData: boolean,
    readonly from: number,
    readonly to: number,
  ) {
    super();
  }

  check(m: Readonly<PoolModel>): boolean {
    return m.held.size > 0 || (m.released && m.known.size > 0);
  }

  apply(m: PoolModel): void {
    const index = PoolModel.pick(m.released ? [...m.known.keys()] : m.heldIndices(), this.selector)!;
    const h = m.held.get(index);
    const p = m.known.get(index)!;
    if (this.viaData) {
      const view = expectOutcome(`packet ${index}.getData()`, whenOpen(m, null), () => p.getData());
      if (!view || !h) return;
      const start = h.dataOffset;
      const want = Math.max(0, Math.min(start + h.dataLength, m.config.bufferSize) - start);
      if (view.length !== want) throw new Error(`packet ${index}.getData() has ${view.length} bytes, want ${want}`);
      if (want === 0) return;
      m.fill(view);
      h.buffers[0].expected.set(view, start);
      return;
    }
    const count = h?.buffers.length ?? 1;
    const i = resolve(this.buffer, count - 1);
    const ok = typeof i === 'number' && Number.isInteger(i) && i >= 0 && i < count;
    const view = expectOutcome(
      `packet ${index}.getBufferAt(${show(i)})`,
      whenOpen(m, ok ? null : kIOReturnBadArgument),
      () => p.getBufferAt(i as number),
    );
    if (!view || !h) return;
    const b = h.buffers[i as number];
    if (view !== b.view) throw new Error(`packet ${index}.getBufferAt(${i}) is not the view handed out before`);
    const lo = Math.min(this.from, this.to) % (view.length + 1);
    const hi = Math.max(this.from, this.to) % (view.length + 1);
    m.fill(view, lo, Math.max(lo, hi));
    b.expected.set(view);
  }

  toString(): string {
    return `write(${this.selector}, ${this.viaData ? 'data' : showArg(this.buffer)}, ${this.from}..${this.to})`;
  }
}

/** Chains one more buffer to a held packet: a Buffer while the limit and the pool allow, else null. */
export class AddBufferCommand extends PoolCommand {
  constructor(readonly selector: number) {
    super();
  }

  check(m: Readonly<PoolModel>): boolean {
    return m.known.size > 0;
  }

  apply(m: PoolModel): void {
    const heldIndex = PoolModel.pick(m.heldIndices(), this.selector);
    const index = heldIndex ?? (PoolModel.pick([...m.known.keys()], this.selector) as number);
    const h = heldIndex === undefined ? undefined : m.held.get(heldIndex);
    const p = m.known.get(index)!;
    const result = expectOutcome(`packet ${index}.addBuffer()`, whenOpen(m, h ? null : kIOReturnNotPermitted), () =>
      p.addBuffer(),
    );
    if (!h || m.released) return;
    const fits = h.buffers.length < m.config.maxBuffersPerPacket && m.freeExtraBuffers > 0;
    if (!fits) {
      if (result !== null) throw new Error(`packet ${index}.addBuffer() returned a buffer beyond the limit`);
      return;
    }
    if (!Buffer.isBuffer(result) || result.length !== m.config.bufferSize) {
      throw new Error(`packet ${index}.addBuffer() returned ${show(result)} with a buffer free`);
    }
    m.chain(h, result);
  }

  toString(): string {
    return `addBuffer(${this.selector})`;
  }
}

/**
 * Sets the optional metadata (direction, timestamp, VLAN tag, trace id) of a held packet, so the
 * next allocation of its slot shows whether allocation resets them.
 */
export class MarkCommand extends PoolCommand {
  constructor(readonly selector: number) {
    super();
  }

  check(m: Readonly<PoolModel>): boolean {
    return m.held.size > 0 && !m.released;
  }

  apply(m: PoolModel): void {
    const p = m.held.get(PoolModel.pick(m.heldIndices(), this.selector)!)!.packet;
    p.setDirection(2);
    p.setTimestamp(BigInt(this.selector) + 1n);
    p.setVlanTag(this.selector & 0xfff);
    p.setTraceID(this.selector >>> 0);
  }

  toString(): string {
    return `mark(${this.selector})`;
  }
}

const FREED_ACCESSORS: Record<string, (p: import('../../lib').IOUserNetworkPacket) => unknown> = {
  getDataLength: (p) => p.getDataLength(),
  setDataLength: (p) => p.setDataLength(0),
  getDataOffset: (p) => p.getDataOffset(),
  setHeadroom: (p) => p.setHeadroom(0),
  getBuffer: (p) => p.getBuffer(),
  getData: (p) => p.getData(),
  getBufferAt: (p) => p.getBufferAt(0),
  addBuffer: (p) => p.addBuffer(),
  getBufferCount: (p) => p.getBufferCount(),
  setTimestamp: (p) => p.setTimestamp(1n),
  getDataVirtualAddress: (p) => p.getDataVirtualAddress(),
};

/** Uses a packet object the test gave back: every accessor throws kIOReturnNotPermitted. */
export class AccessFreedCommand extends PoolCommand {
  constructor(
    readonly selector: number,
    readonly accessor: string,
  ) {
    super();
  }

  check(m: Readonly<PoolModel>): boolean {
    return m.freeKnownIndices().length > 0 || (m.released && m.known.size > 0);
  }

  apply(m: PoolModel): void {
    const index = PoolModel.pick(m.released ? [...m.known.keys()] : m.freeKnownIndices(), this.selector)!;
    const p = m.known.get(index)!;
    expectOutcome(`freed packet ${index}.${this.accessor}`, whenOpen(m, kIOReturnNotPermitted), () =>
      FREED_ACCESSORS[this.accessor](p),
    );
  }

  toString(): string {
    return `accessFreed(${this.selector}, ${this.accessor})`;
  }
}

export function packetCommands(): fc.Arbitrary<PoolCommand>[] {
  const field = fc.constantFrom<Field>('length', 'offset', 'offAndLen', 'headroom', 'linkHeader');
  return [
    fc
      .tuple(fc.nat(), field, numArg(), numArg(), fc.boolean())
      .map(([s, f, a, b, alias]) => new SetFieldCommand(s, f, a, b, alias)),
    fc
      .tuple(fc.nat(), numArg(), fc.boolean(), fc.nat(), fc.nat())
      .map(([s, b, viaData, from, to]) => new WriteCommand(s, b, viaData, from, to)),
    fc
      .tuple(fc.nat(), fc.constantFrom<Move>('prepend', 'adj', 'append', 'trim'), numArg())
      .map(([s, move, a]) => new MoveWindowCommand(s, move, a)),
    fc.nat().map((s) => new AddBufferCommand(s)),
    fc.nat().map((s) => new MarkCommand(s)),
    fc.tuple(fc.nat(), fc.constantFrom(...Object.keys(FREED_ACCESSORS))).map(([s, a]) => new AccessFreedCommand(s, a)),
  ];
}

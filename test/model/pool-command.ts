/**
 * Base of every model-run command: run the step, then check the invariants against the real
 * pool, so a failure names the first step that broke something.
 */
import fc from 'fast-check';

import { IOUserNetworkPacket, kIOReturnNotAttached, kIOReturnNotFound } from '../../lib';
import { Expected, expectOutcome } from './expect-call';
import { checkInvariants } from './invariants';
import { PoolModel, RealPools } from './pool-model';

export abstract class PoolCommand implements fc.Command<PoolModel, RealPools> {
  abstract check(m: Readonly<PoolModel>): boolean;
  abstract apply(m: PoolModel, r: RealPools): void;
  abstract toString(): string;

  run(m: PoolModel, r: RealPools): void {
    this.apply(m, r);
    checkInvariants(m, r);
  }
}

/** After release() every call of the pool and its packets throws kIOReturnNotAttached. */
export function whenOpen(m: Readonly<PoolModel>, expected: Expected): Expected {
  return m.released ? kIOReturnNotAttached : expected;
}

/**
 * Checks a packet the pool just handed out: an index nobody holds, the one object of its slot,
 * fresh metadata (data offset = headroom, length 0, one buffer, no timestamp). Then the model
 * takes it and fills its buffer.
 */
export function acceptFresh(m: PoolModel, r: RealPools, p: unknown, via: string): void {
  if (!(p instanceof IOUserNetworkPacket)) throw new Error(`${via} returned ${String(p)}, not a packet`);
  const i = p.getPacketIndex();
  if (!Number.isInteger(i) || i < 0 || i >= m.config.packetCount) throw new Error(`${via} returned index ${i}`);
  if (m.held.has(i)) throw new Error(`${via} handed out packet ${i}, which the test already holds`);
  const previous = m.known.get(i);
  if (previous !== undefined && previous !== p) throw new Error(`${via}: slot ${i} has a second packet object`);
  if (p.getPacketBufferPool() !== r.pool) throw new Error(`${via}: packet ${i} names another pool`);
  const fields: [string, unknown, unknown][] = [
    ['dataOffset', p.getDataOffset(), m.config.headroom],
    ['dataLength', p.getDataLength(), 0],
    ['headroom', p.getHeadroom(), m.config.headroom],
    ['linkHeaderLength', p.getLinkHeaderLength(), 0],
    ['bufferCount', p.getBufferCount(), 1],
    ['direction', p.getDirection(), 0],
    ['timestamp', p.getTimestamp(), 0n],
    ['hasTimestamp', p.hasTimestamp(), false],
    ['traceID', p.getTraceID(), 0],
  ];
  for (const [name, actual, want] of fields) {
    if (actual !== want)
      throw new Error(`${via}: fresh packet ${i} has ${name} ${String(actual)}, want ${String(want)}`);
  }
  expectOutcome(`${via}: fresh packet ${i}.getVlanTag()`, kIOReturnNotFound, () => p.getVlanTag());
  m.acquire(p);
  m.allocations += 1;
}

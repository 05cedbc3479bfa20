/**
 * What must hold after every step of a model run, checked against the real pool:
 * - free packets + packets held === packetCount, and the statistics add up
 *   (allocations - deallocations - reclaimed === inUse === held) and match the model's counters;
 * - every held packet's metadata is what the test last set, and every byte of every buffer it
 *   holds is what the test last wrote (a buffer handed to two owners shows up here);
 * - no buffer belongs to two held packets;
 * - after release(), every call throws kIOReturnNotAttached and every view reads as empty.
 */
import { kIOReturnNotAttached } from '../../lib';
import { expectOutcome } from './expect-call';
import { PoolModel, RealPools } from './pool-model';

export function checkInvariants(model: PoolModel, real: RealPools): void {
  checkForeignPoolUntouched(real);
  if (model.released) return checkReleased(model, real);
  const { pool } = real;
  const { packetCount } = model.config;

  const free = pool.getFreePacketCount();
  if (free + model.held.size !== packetCount) {
    throw new Error(`free ${free} + held ${model.held.size} !== packetCount ${packetCount}`);
  }
  const st = pool.getStatistics();
  const expected = {
    allocations: model.allocations,
    deallocations: model.deallocations,
    failedAllocations: model.failedAllocations,
    reclaimed: 0,
    inUse: model.held.size,
    freeBuffers: model.freeExtraBuffers,
    liveThreads: 1,
    deadThreads: 0,
    orphanedPackets: 0,
  };
  for (const [key, value] of Object.entries(expected)) {
    const actual = st[key as keyof typeof st];
    if (actual !== value) throw new Error(`statistics.${key} is ${actual}, model says ${value}`);
  }
  if (st.allocations - st.deallocations - st.reclaimed !== st.inUse) {
    throw new Error(
      `allocations ${st.allocations} - deallocations ${st.deallocations} - reclaimed ${st.reclaimed} !== inUse ${st.inUse}`,
    );
  }
  if (st.cached + st.freeInRing !== free) {
    throw new Error(`cached ${st.cached} + freeInRing ${st.freeInRing} !== free ${free}`);
  }
  // The peak counts packets out of the shared ring (held + cached), so it can only be larger
  // than the peak held; with no cache the two are the same thing.
  if (st.highWaterMark < model.peakInUse || (model.config.cacheSize === 0 && st.highWaterMark !== model.peakInUse)) {
    throw new Error(`highWaterMark ${st.highWaterMark}, model peak in use ${model.peakInUse}`);
  }

  const owners = new Map<number, number>();
  for (const held of model.held.values()) {
    const p = held.packet;
    const i = held.index;
    const fields: [string, number, number][] = [
      ['dataOffset', p.getDataOffset(), held.dataOffset],
      ['dataLength', p.getDataLength(), held.dataLength],
      ['headroom', p.getHeadroom(), held.headroom],
      ['linkHeaderLength', p.getLinkHeaderLength(), held.linkHeaderLength],
      ['bufferCount', p.getBufferCount(), held.buffers.length],
    ];
    for (const [name, actual, want] of fields) {
      if (actual !== want) throw new Error(`packet ${i}: ${name} is ${actual}, model says ${want}`);
    }
    held.buffers.forEach((b, k) => {
      if (p.getBufferAt(k) !== b.view) throw new Error(`packet ${i}: getBufferAt(${k}) is not the view handed out`);
      if (!b.view.equals(b.expected)) {
        throw new Error(`packet ${i}: buffer ${k} bytes differ from what the test wrote (clobbered)`);
      }
      const other = owners.get(b.view.byteOffset);
      if (other !== undefined) {
        throw new Error(`buffer at region offset ${b.view.byteOffset} is held by packets ${other} and ${i}`);
      }
      owners.set(b.view.byteOffset, i);
    });
  }
}

function checkReleased(model: PoolModel, real: RealPools): void {
  const { pool } = real;
  expectOutcome('getFreePacketCount() after release', kIOReturnNotAttached, () => pool.getFreePacketCount());
  expectOutcome('getStatistics() after release', kIOReturnNotAttached, () => pool.getStatistics());
  for (const view of model.views) {
    if (view.length !== 0) throw new Error(`a Buffer view still reads ${view.length} bytes after release()`);
  }
  for (const held of model.held.values()) {
    expectOutcome(`packet ${held.index}.getDataLength() after release`, kIOReturnNotAttached, () =>
      held.packet.getDataLength(),
    );
  }
}

// The foreign pool's packet is thrown at this pool's calls; it must stay held by its own pool.
function checkForeignPoolUntouched(real: RealPools): void {
  const { other, foreignPacket } = real;
  const free = other.getFreePacketCount();
  if (free !== other.getPacketCount() - 1) throw new Error(`the foreign pool has ${free} free packets`);
  if (foreignPacket.getDataLength() !== 0) throw new Error('the foreign packet was modified');
}

/**
 * Debug mode (the `debug: true` creation option, or PACKET_BUFFER_POOL_DEBUG=1 in the
 * environment): what DPDK's debug builds do for mbufs, for a pool used from JavaScript.
 *
 * - Every allocation hands out a distinct packet object (a handle) carrying a generation. A
 *   handle kept past its packet's free is stale: any use of it, or a free through it, is refused
 *   with kIOReturnNotPermitted naming the packet, its generations, who holds the slot now and
 *   where it was freed (a stack captured at the free).
 * - Freed buffers are filled with a poison byte; the next allocation of the packet by this
 *   thread checks the poison is intact, so a Buffer kept past the free and written to is caught
 *   (at that allocation, naming the byte and where the packet was freed).
 * - Allocations record when and where they happened, for `getInUsePackets()`'s leak report.
 *
 * Nothing here runs for a pool without debug mode: the debug calls are installed as own
 * properties of a debug pool object, shadowing the prototype's, so the normal hot path and its
 * call sites never see them.
 */
import { fail, kIOReturnNotAttached, kIOReturnNotPermitted } from './io-return';
import { Meta, State } from './layout';
import { IOUserNetworkPacket, minted } from './packet';
import type { IOUserNetworkPacketBufferPool } from './pool';

/** The byte freed buffers are filled with (DPDK's and malloc debuggers' choice: easy to spot). */
export const POISON_BYTE = 0x6b;

/** The environment variable that turns debug mode on for every pool of a process. */
export const DEBUG_ENV = 'PACKET_BUFFER_POOL_DEBUG';

/** Whether the environment asks for debug mode ('1', 'true', 'yes', 'on'). */
export function debugFromEnvironment(): boolean {
  const value = typeof process !== 'undefined' ? process.env[DEBUG_ENV] : undefined;
  return value !== undefined && /^(1|true|yes|on)$/i.test(value.trim());
}

/** One entry of `getInUsePackets()`. */
export interface IOUserNetworkPacketInUse {
  /** The packet's index. */
  index: number;
  /** 'this thread' for packets held by the calling thread, else 'another thread'. */
  owner: 'this thread' | 'another thread';
  /** The owner's thread-slot tag (the packet's state word without the published bit). */
  ownerTag: number;
  /** Whether the owner handed it over (`handOver`, `publishPacketIndices`). */
  published: boolean;
  /** Debug mode, packets this thread allocated: milliseconds since the allocation. */
  ageMs?: number;
  /** Debug mode, packets this thread allocated: the stack of the allocation. */
  allocatedAt?: string;
}

/** Where something happened: a captured stack, formatted only when read (V8 does that lazily). */
interface Site {
  stack?: string;
}

// The stack of the caller of `api` (the frames of this file and of `api` itself left out).
function siteOf(api: (...args: never[]) => unknown): Site {
  const site: Site = {};
  Error.captureStackTrace(site, api);
  return site;
}

// The frames of a site, without the "Error" line.
function framesOf(site: Site | undefined): string | undefined {
  return site?.stack?.replace(/^[^\n]*\n/, '');
}

/** Per-pool debug state, per thread (it lives in the pool object of this attachment). */
export class DebugState {
  readonly generation: Uint32Array;
  readonly poisoned: Uint8Array;
  readonly freedAt: (Site | undefined)[];
  readonly allocatedAt: (Site | undefined)[];
  readonly allocatedTime: Float64Array;
  readonly poison: Buffer;

  constructor(packetCount: number, bufferSize: number) {
    this.generation = new Uint32Array(packetCount);
    this.poisoned = new Uint8Array(packetCount);
    this.freedAt = new Array(packetCount).fill(undefined);
    this.allocatedAt = new Array(packetCount).fill(undefined);
    this.allocatedTime = new Float64Array(packetCount);
    this.poison = Buffer.alloc(bufferSize, POISON_BYTE);
  }
}

/**
 * A packet handle of a debug pool: one per allocation, with the allocation's generation. Every
 * accessor checks that it is still the slot's live handle.
 */
export class IOUserNetworkDebugPacket extends IOUserNetworkPacket {
  /** @internal */ readonly _generation: number;

  /** @internal */
  constructor(pool: IOUserNetworkPacketBufferPool, index: number, metaWord: number, generation: number) {
    super(pool, index, metaWord);
    this._generation = generation;
  }

  /** @internal */
  override _rec(): number {
    const pool = this.getPacketBufferPool();
    if (pool._debug !== null && pool._packets[this._index] !== this) staleHandle(pool, this, 'used');
    return super._rec();
  }
}

/** Throws the stale-handle error: which packet, which generations, who holds it, where freed. */
export function staleHandle(
  pool: IOUserNetworkPacketBufferPool,
  packet: IOUserNetworkDebugPacket,
  what: string,
): never {
  const debug = pool._debug;
  if (debug === null) return fail(kIOReturnNotAttached, `pool "${pool._name}" has been released`);
  const index = packet._index;
  const freed = framesOf(debug.freedAt[index]) ?? '    (not freed by this thread)';
  return fail(
    kIOReturnNotPermitted,
    `stale packet ${index} (generation ${packet._generation}) ${what}: ${describeSlot(pool, index)}; ` +
      `generation ${packet._generation} was deallocated at\n${freed}\n`,
  );
}

// Who holds a slot now, in words.
function describeSlot(pool: IOUserNetworkPacketBufferPool, index: number): string {
  const state = pool._u32[pool._metaWordOf(index)];
  const live = pool._packets[index];
  const generation = live instanceof IOUserNetworkDebugPacket ? ` as generation ${live._generation}` : '';
  if (state === 0) return 'the packet is free now';
  const tag = (state & ~State.Published) >>> 0;
  if (pool._isOwnTag(state)) return `the packet is held by this thread now${generation}`;
  return `the packet is held by another thread (tag ${tag}) now`;
}

/** Installs the debug calls on a pool object (own properties shadowing the prototype's). */
export function installDebug(pool: IOUserNetworkPacketBufferPool): void {
  const proto = Object.getPrototypeOf(pool) as IOUserNetworkPacketBufferPool;
  const debug = new DebugState(pool._packetCount, pool._bufferSize);
  pool._debug = debug;

  // A fresh handle for a packet this thread just got: new generation, poison checked.
  const fresh = (index: number, api: (...args: never[]) => unknown): IOUserNetworkDebugPacket => {
    const generation = (debug.generation[index] = (debug.generation[index] + 1) >>> 0);
    const handle = minted(() => new IOUserNetworkDebugPacket(pool, index, pool._metaWordOf(index), generation));
    pool._packets[index] = handle;
    debug.allocatedTime[index] = performance.now();
    debug.allocatedAt[index] = siteOf(api);
    if (debug.poisoned[index] !== 0) {
      debug.poisoned[index] = 0;
      checkPoison(pool, debug, index);
    }
    return handle;
  };

  // Before a free by this thread of a packet it holds: poison its buffers (own and chained).
  const poisonHeld = (index: number): void => {
    if (!pool._isOwnTag(pool._u32[pool._metaWordOf(index)])) return; // the free will refuse it
    const count = pool._u32[pool._metaWordOf(index) + Meta.BufferCount];
    pool._bufferView(index).fill(POISON_BYTE);
    for (let i = 1; i < count; i++) pool._bufferView(pool._chainEntry(index, i - 1)).fill(POISON_BYTE);
  };
  const freed = (index: number, api: (...args: never[]) => unknown): void => {
    debug.poisoned[index] = 1;
    debug.freedAt[index] = siteOf(api);
    debug.allocatedAt[index] = undefined;
    pool._packets[index] = null;
  };

  // A batch free: the buffers are poisoned before the free (after it another thread may already
  // have the packets), but only when every entry is a distinct packet this thread holds, so a
  // batch the pool will refuse leaves every buffer as it was.
  const batchFree = (indices: number[], free: () => void, api: (...args: never[]) => unknown): void => {
    const u = pool._u32;
    const ours = indices.every(
      (i, k) => i >= 0 && i < pool._packetCount && pool._isOwnTag(u[pool._metaWordOf(i)]) && indices.indexOf(i) === k,
    );
    if (ours) for (const i of indices) poisonHeld(i);
    free();
    for (const i of indices) freed(i, api);
  };

  const checkHandle = (packet: unknown, what: string): void => {
    const fromThisPool = packet instanceof IOUserNetworkDebugPacket && packet._pool === pool;
    if (fromThisPool && pool._packets[packet._index] !== packet) {
      staleHandle(pool, packet, what);
    }
  };

  const calls = {
    allocatePacket(options?: number): IOUserNetworkPacket | null {
      const packet = proto.allocatePacket.call(pool, options);
      return packet === null ? null : fresh(packet._index, calls.allocatePacket);
    },
    deallocatePacket(packet: IOUserNetworkPacket): void {
      checkHandle(packet, 'deallocated again');
      const index = packet instanceof IOUserNetworkPacket && packet._pool === pool ? packet._index : -1;
      if (index >= 0) poisonHeld(index);
      proto.deallocatePacket.call(pool, packet);
      if (index >= 0) freed(index, calls.deallocatePacket);
    },
    allocatePackets(count: number, out: IOUserNetworkPacket[] = []): IOUserNetworkPacket[] {
      proto.allocatePackets.call(pool, count, out);
      for (let i = 0; i < out.length; i++) out[i] = fresh(out[i]._index, calls.allocatePackets);
      return out;
    },
    deallocatePackets(packets: readonly IOUserNetworkPacket[] | Uint32Array, count?: number): void {
      const isArray = Array.isArray(packets);
      const n = typeof count === 'number' ? count : (packets?.length ?? 0);
      for (let i = 0; isArray && i < n; i++) checkHandle(packets[i], `deallocated again (packets[${i}])`);
      const indices = isArray
        ? (packets as readonly IOUserNetworkPacket[])
            .slice(0, n)
            .map((p) => (p instanceof IOUserNetworkPacket ? p._index : -1))
        : Array.from((packets as Uint32Array).subarray(0, n));
      batchFree(indices, () => proto.deallocatePackets.call(pool, packets, count), calls.deallocatePackets);
    },
    deallocatePacketIndices(indices: Uint32Array, count?: number): void {
      const n = typeof count === 'number' ? count : (indices?.length ?? 0);
      const list = ArrayBuffer.isView(indices) ? Array.from(indices.subarray(0, n)) : [];
      batchFree(list, () => proto.deallocatePacketIndices.call(pool, indices, count), calls.deallocatePacketIndices);
    },
    allocatePacketIndices(out: Uint32Array): number {
      const got = proto.allocatePacketIndices.call(pool, out);
      for (let i = 0; i < got; i++) fresh(out[i], calls.allocatePacketIndices);
      return got;
    },
    newPacket(descriptor: { fPacketIndex: number }): IOUserNetworkPacket {
      const index = descriptor !== null && typeof descriptor === 'object' ? descriptor.fPacketIndex : -1;
      const wasOurs =
        Number.isInteger(index) &&
        index >= 0 &&
        index < pool._packetCount &&
        pool._isOwnTag(pool._u32[pool._metaWordOf(index)]);
      const packet = proto.newPacket.call(pool, descriptor);
      // Ours already: the live handle. Taken over from another thread: a new one.
      return wasOurs && packet instanceof IOUserNetworkDebugPacket ? packet : fresh(packet._index, calls.newPacket);
    },
  };
  Object.assign(pool, calls);
}

// The poison of a packet this thread freed must be intact when it allocates it again.
function checkPoison(pool: IOUserNetworkPacketBufferPool, debug: DebugState, index: number): void {
  const buffer = pool._bufferView(index);
  if (buffer.equals(debug.poison)) return;
  let at = 0;
  while (buffer[at] === POISON_BYTE) at++;
  const value = buffer[at];
  buffer.fill(POISON_BYTE);
  const freed = framesOf(debug.freedAt[index]) ?? '';
  // The packet is ours now: give it back so the refusal leaks nothing.
  pool._packets[index] = null;
  Object.getPrototypeOf(pool).deallocatePacketIndices.call(pool, Uint32Array.of(index));
  debug.poisoned[index] = 1;
  fail(
    kIOReturnNotPermitted,
    `packet ${index}'s buffer was written after it was freed (a Buffer kept past deallocatePacket?): ` +
      `byte ${at} reads 0x${value.toString(16)}, not the poison 0x${POISON_BYTE.toString(16)}; ` +
      `generation ${debug.generation[index] - 1} was deallocated at\n${freed}\n`,
  );
}

/** The leak report: every packet held by anyone, oldest first for this thread's (debug mode). */
export function inUsePackets(pool: IOUserNetworkPacketBufferPool): IOUserNetworkPacketInUse[] {
  const u = pool._u32;
  const debug = pool._debug;
  const now = performance.now();
  const out: IOUserNetworkPacketInUse[] = [];
  for (let index = 0; index < pool._packetCount; index++) {
    const state = u[pool._metaWordOf(index)];
    if (state === 0) continue;
    const ours = pool._isOwnTag(state);
    const entry: IOUserNetworkPacketInUse = {
      index,
      owner: ours ? 'this thread' : 'another thread',
      ownerTag: (state & ~State.Published) >>> 0,
      published: (state & State.Published) !== 0,
    };
    const allocated = ours && debug !== null ? debug.allocatedAt[index] : undefined;
    if (allocated !== undefined && debug !== null) {
      entry.ageMs = now - debug.allocatedTime[index];
      entry.allocatedAt = framesOf(allocated);
    }
    out.push(entry);
  }
  return out.sort((a, b) => (b.ageMs ?? -1) - (a.ageMs ?? -1));
}

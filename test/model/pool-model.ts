/**
 * The reference model the model-based tests run the real pool against: which packet indices the
 * test holds, what it last wrote into each held buffer, each packet's data window, and the
 * counters the pool's statistics must match. It knows nothing about rings or caches: only what
 * the public API promises.
 */
import { IOUserNetworkPacket, IOUserNetworkPacketBufferPool } from '../../lib';

/** One buffer of a held packet: the Buffer view the pool handed out and the bytes last written. */
export interface HeldBuffer {
  view: Buffer;
  expected: Uint8Array;
}

export interface HeldPacket {
  index: number;
  packet: IOUserNetworkPacket;
  dataOffset: number;
  dataLength: number;
  headroom: number;
  linkHeaderLength: number;
  /** [0] is the packet's own buffer, then the chained ones in order. */
  buffers: HeldBuffer[];
}

export interface PoolConfig {
  label: string;
  packetCount: number;
  bufferCount: number;
  bufferSize: number;
  maxBuffersPerPacket: number;
  headroom: number;
  /** undefined = the pool's default cache. */
  cacheSize?: number;
}

/** The objects under test: the pool, plus a second pool whose packet is "foreign". */
export interface RealPools {
  pool: IOUserNetworkPacketBufferPool;
  other: IOUserNetworkPacketBufferPool;
  foreignPacket: IOUserNetworkPacket;
}

export class PoolModel {
  readonly config: PoolConfig;
  readonly held = new Map<number, HeldPacket>();
  /** Every packet object seen, by index: the pool promises one object per slot. */
  readonly known = new Map<number, IOUserNetworkPacket>();
  /** Every Buffer view handed out; after release() each must read as empty. */
  readonly views = new Set<Buffer>();
  allocations = 0;
  deallocations = 0;
  failedAllocations = 0;
  peakInUse = 0;
  freeExtraBuffers: number;
  released = false;
  /** Makes every fill pattern different, so a buffer handed out twice shows up as clobbered. */
  private stamp = 1;

  constructor(config: PoolConfig) {
    this.config = config;
    this.freeExtraBuffers = config.bufferCount - config.packetCount;
  }

  get freeCount(): number {
    return this.config.packetCount - this.held.size;
  }

  /** Indices the test has seen but does not hold now (valid targets for double frees). */
  freeKnownIndices(): number[] {
    return [...this.known.keys()].filter((i) => !this.held.has(i)).sort((a, b) => a - b);
  }

  heldIndices(): number[] {
    return [...this.held.keys()].sort((a, b) => a - b);
  }

  /** Picks an element by a generated selector (any natural number). */
  static pick<T>(items: readonly T[], selector: number): T | undefined {
    return items.length === 0 ? undefined : items[selector % items.length];
  }

  /** Fills `view[from..to)` with a pattern no earlier fill used. */
  fill(view: Buffer, from = 0, to = view.length): void {
    const s = this.stamp++;
    for (let i = from; i < to; i++) view[i] = (s * 131 + i * 17 + 7) & 0xff;
  }

  /** Records a freshly allocated packet (its metadata checked by the caller) and fills its buffer. */
  acquire(packet: IOUserNetworkPacket): HeldPacket {
    const index = packet.getPacketIndex();
    const view = packet.getBuffer();
    this.fill(view);
    this.views.add(view);
    const held: HeldPacket = {
      index,
      packet,
      dataOffset: this.config.headroom,
      dataLength: 0,
      headroom: this.config.headroom,
      linkHeaderLength: 0,
      buffers: [{ view, expected: Uint8Array.from(view) }],
    };
    this.held.set(index, held);
    this.known.set(index, packet);
    this.peakInUse = Math.max(this.peakInUse, this.held.size);
    return held;
  }

  /** Records a chained buffer and fills it. */
  chain(held: HeldPacket, view: Buffer): void {
    this.fill(view);
    this.views.add(view);
    held.buffers.push({ view, expected: Uint8Array.from(view) });
    this.freeExtraBuffers -= 1;
  }

  /** Records a packet given back (its chained buffers go back to the pool). */
  drop(index: number): void {
    const held = this.held.get(index);
    if (!held) throw new Error(`model: dropping index ${index} that is not held`);
    this.freeExtraBuffers += held.buffers.length - 1;
    this.held.delete(index);
  }

  /** Usable bytes of a held packet: bufferSize per buffer in its chain. */
  capacity(held: HeldPacket): number {
    return this.config.bufferSize * held.buffers.length;
  }
}

/**
 * The practical limit: a pure JS free list doing the work the pool's hot path cannot avoid.
 * Preallocated packet objects, metadata in one ArrayBuffer (16 words per packet, as the pool's
 * layout), and a stack of free packets. Allocate pops and does the pool's 7 metadata stores
 * (state, data offset, data length, headroom, link header length, direction, flags); free does
 * the pool's checks (instanceof, owner, state) and clears the state. Compare lib/pool.ts
 * allocatePacket / deallocatePacket.
 */
import { PACKET_COUNT } from '../fixtures';
import type { ScenarioDefinition } from '../scenario';

const WORDS = 16;
const STATE = 0;
const DATA_OFFSET = 1;
const DATA_LENGTH = 2;
const HEADROOM = 3;
const LINK_HEADER_LENGTH = 4;
const DIRECTION = 5;
const FLAGS = 6;

// Fields are `declare`d: TypeScript then emits no field definitions, and the constructor's
// assignments build the same objects (hidden class, field representations) as the JavaScript did.
class FreeListPacket {
  declare readonly owner: FreeList;
  declare readonly index: number;
  declare readonly m: number;

  constructor(owner: FreeList, index: number) {
    this.owner = owner;
    this.index = index;
    this.m = index * WORDS;
  }
}

class FreeList {
  declare readonly u32: Uint32Array;
  declare readonly tag: number;
  declare readonly headroom: number;
  declare readonly packets: FreeListPacket[];
  declare readonly free: FreeListPacket[];
  declare top: number;

  constructor(count: number) {
    this.u32 = new Uint32Array(new ArrayBuffer(count * WORDS * 4));
    this.tag = 1;
    this.headroom = 0;
    this.packets = [];
    for (let i = 0; i < count; i++) this.packets.push(new FreeListPacket(this, i));
    // Fixed-length stack with its own top: no push/pop, so the backing store never changes.
    this.free = this.packets.slice().reverse();
    this.top = count;
  }

  allocate(): FreeListPacket | null {
    if (this.top === 0) return null;
    const p = this.free[--this.top];
    const u = this.u32;
    const m = p.m;
    const h = this.headroom;
    u[m + STATE] = this.tag;
    u[m + DATA_OFFSET] = h;
    u[m + DATA_LENGTH] = 0;
    u[m + HEADROOM] = h;
    u[m + LINK_HEADER_LENGTH] = 0;
    u[m + DIRECTION] = 0;
    u[m + FLAGS] = 0;
    return p;
  }

  deallocate(p: FreeListPacket): void {
    if (!(p instanceof FreeListPacket) || p.owner !== this) throw new Error('not a packet of this free list');
    const u = this.u32;
    if (u[p.m + STATE] !== this.tag) throw new Error(`packet ${p.index} is not allocated`);
    u[p.m + STATE] = 0;
    this.free[this.top++] = p;
  }
}

export const scenarios: ScenarioDefinition[] = [
  {
    name: 'baseline.js-freelist',
    minOps: 10_000_000,
    setup() {
      const list = new FreeList(PACKET_COUNT);
      return {
        run(iterations) {
          for (let i = 0; i < iterations; i++) {
            const p = list.allocate();
            list.deallocate(p!);
          }
        },
      };
    },
  },
];

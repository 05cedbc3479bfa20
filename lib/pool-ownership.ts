/**
 * The packet ownership rules of the JS hot path, as plain functions over the region's words. Each
 * is the JavaScript twin of a step of native/core/pool_alloc.cpp and must write the same words in the
 * same order (native/test/interruption_test.cpp replays these orders):
 *
 * | here | native/core/pool_alloc.cpp |
 * |---|---|
 * | `initPacket` | `Pool::initPacket` |
 * | `holdUnpublished` | the owner's half of `releaseOwnership` (used by `deallocateOne` / `deallocateBulk`) |
 * | `publishHeld` | `Pool::publish` |
 * | `isOwnState` | `mayTouch`'s test of the caller's own tag |
 * | `heldIndices` | `Pool::packetsHeldBy` |
 *
 * The state word (docs/architecture.md, "The state word"): 0 free, `tag` held unpublished by the
 * thread slot with that tag, `tag | State.Published` held and handed over, `State.Queued` in a
 * packet queue. `u` is the region as words, `m` the word index of a packet's metadata record.
 */
import { Meta } from './layout';

/**
 * Marks a packet taken from this thread's cache as ours (the state word first) and gives it fresh
 * metadata: the same words as `Pool::initPacket`. Clearing the flags word is enough for the
 * optional fields (timestamp, VLAN, checksum, service class, completion status, trace id): each
 * reads as 0 / absent unless its flag is set.
 */
export function initPacket(u: Uint32Array, m: number, tag: number, headroom: number): void {
  u[m + Meta.State] = tag;
  u[m + Meta.DataOffset] = headroom;
  u[m + Meta.DataLength] = 0;
  u[m + Meta.Headroom] = headroom;
  u[m + Meta.LinkHeaderLength] = 0;
  u[m + Meta.Direction] = 0;
  u[m + Meta.Flags] = 0;
}

/**
 * Makes sure this thread holds the packet whose state word is u[m] unpublished, so that nobody
 * else may write the word and it can be freed with plain stores in an interruption-safe order;
 * false, changing nothing, if it is not ours (free, another thread's, or taken first by the
 * thread it was handed to). Published: that thread may free or claim it at this very moment, so
 * taking it back is a CAS.
 */
export function holdUnpublished(u: Uint32Array, m: number, tag: number, published: number): boolean {
  const state = u[m];
  if (state === tag) return true;
  return state === published && Atomics.compareExchange(u, m, published, tag) === published;
}

/**
 * Marks a packet this thread holds as handed out (`Pool::publish`); false, changing nothing, when
 * this thread does not hold it. A plain store: only the owner writes the state of an unpublished
 * packet. The receiving thread learns the index through some release/acquire of the caller's
 * (postMessage, Atomics), which orders this store before its CAS.
 */
export function publishHeld(u: Uint32Array, m: number, tag: number, published: number): boolean {
  const state = u[m];
  if (state === tag) u[m] = published;
  else if (state !== published) return false;
  return true;
}

/** Whether a state word is this thread's (published or not). */
export function isOwnState(state: number, tag: number, published: number): boolean {
  return state === tag || state === published;
}

/**
 * Indices of the packets whose state word is `tag` or `published` (`Pool::packetsHeldBy`): pass
 * this thread's tag for all it holds, its published tag twice for those it handed over and nobody
 * has claimed or freed since. A scan of every record: for the slow paths only.
 */
export function heldIndices(
  u: Uint32Array,
  metaBase: number,
  packetCount: number,
  tag: number,
  published: number,
): number[] {
  const out: number[] = [];
  for (let i = 0, m = metaBase; i < packetCount; i++, m += Meta.Words) {
    const state = u[m];
    if (state === tag || state === published) out.push(i);
  }
  return out;
}

/**
 * The boundary to the native addon (native/addon): loads it, types everything it exports, and
 * makes the two checks every use depends on, once, at load time: the addon was built from the same
 * layout table as lib/layout.ts (`checkLayout`), and it throws this package's IOReturnError
 * (`setErrorClass`). Nothing else in lib/ loads the addon or names its methods untyped.
 *
 * Loading: a prebuilt binary from prebuilds/ when one matches, otherwise what `node-gyp rebuild`
 * or `cmake-js` put in build/. When neither exists the error says how to build it, because npm 11
 * skips dependencies' install scripts unless they were approved.
 */
import type { IOUserNetworkPacketBufferPoolStatistics } from './pool';
import * as path from 'node:path';

import { IOReturnError } from './io-return';
import { checkLayout, type NativeLayoutFields } from './layout';
import type { NativePoolOptions } from './options';
import type { IOUserNetworkUDPInterfaceStatistics } from './udp-interface';

/** What `NativePool#layoutInfo()` reports: the C++ LayoutFields plus this thread's view. */
export interface NativeLayoutInfo extends NativeLayoutFields {
  readonly name: string;
  readonly poolFlags: number;
  readonly shared: boolean;
  /** Where the region is mapped in this process. */
  readonly baseAddress: bigint;
  /** This thread's slot index and the tag its packets carry in their State word. */
  readonly slot: number;
  readonly tag: number;
  /** uint32 index of RegionHeader::waiters in the region. */
  readonly waitersWord: number;
}

/** `NativePool#stats()`: the core's PoolStats, exactly the public statistics (one definition). */
export type NativePoolStats = IOUserNetworkPacketBufferPoolStatistics;

/** `NativePool#createHandle()`. */
export interface NativePoolHandle {
  id: number;
  pid: number;
  /** Present for shared pools: the caller's own duplicate of the pool's memfd. */
  fd?: number;
  bytes: number;
  /** RegionHeader::identity as 16 hex digits. */
  identity: string;
}

/** What `new NativePool(...)` takes to attach to an existing pool instead of creating one. */
export interface NativeAttachOptions {
  attach: { id: number; pid: number; fd?: number; bytes?: number; identity?: string };
  threadId: number;
}

/**
 * One thread's attachment to a pool (native/addon/pool_wrap.cc). Every method throws
 * kIOReturnNotAttached after release().
 */
export interface NativePool {
  layoutInfo(): NativeLayoutInfo;
  /** The whole region as one external ArrayBuffer, detached by release(). */
  regionBuffer(): ArrayBuffer;
  /** The attachment's per-packet / per-batch native call (native/addon/hot_calls.h). */
  hotCall(): NativeHotCall;
  /** Takes over a packet another thread published. */
  claimPacket(packet: number): void;
  /** Chains one more buffer to the packet; its index, or -1 when none is free or the chain is full. */
  addBuffer(packet: number): number;
  stats(): NativePoolStats;
  freePacketCount(): number;
  /** Returns the packets of dead threads (or of `threadId`) to the pool; how many. */
  reclaim(threadId?: number): number;
  createHandle(): NativePoolHandle;
  copyMemoryDescriptor(): NativeMemoryDescriptor;
  release(): void;
  /** Calls `onFreed` once, on this thread, when the shared ring has a free packet. */
  waitForPacket(onFreed: () => void, keepAlive?: boolean): void;
  stopWaiting(): void;
}

/**
 * One plain function per attachment: words[0] is the operation (NativeBinding.hotOps), words[1]
 * its number in and its result out; `call(array)` for the index-batch operations.
 */
export interface NativeHotCall {
  call(array?: Uint32Array): void;
  words: Uint32Array;
}

/** The HotOp values of native/addon/hot_calls.h and kNoPacket. */
export type NativeHotOps = Readonly<
  Record<'allocOne' | 'deallocOne' | 'refill' | 'flush' | 'allocIndices' | 'deallocIndices' | 'noPacket', number>
>;

/** The region as an IOMemoryDescriptor (native/addon/memory_descriptor_wrap.cc). */
export interface NativeMemoryDescriptor {
  length(): number;
  address(): bigint;
  /** The ArrayBuffer over the whole region that mappings of [offset, offset + length) view; detached by release(). */
  map(offset: number, length: number): ArrayBuffer;
  release(): void;
}

/** What `new NativeRawInterface(pool, ...)` takes (lib/raw.ts maps the string options to these). */
export interface NativeRawInterfaceOptions {
  ifname: string;
  queueId: number;
  backend: number;
  xdpMode: number;
  zeroCopy: number;
  ringSize: number;
  threadId: number;
}

/** `NativeRawInterface#info()`. */
export interface NativeRawInterfaceInfo {
  backend: string;
  xdpMode: string;
  zeroCopy: boolean;
  chunkMode: string;
  chunkSize: number;
  rxDataOffset: number;
  maxFrameBytes: number;
  mtu: number;
  ifindex: number;
  fallbackReason: string;
  fd: number;
}

/** `NativeRawInterface#counters()`. */
export interface NativeRawInterfaceCounters {
  held: number;
  txInFlight: number;
  rxSpace: number;
  txSpace: number;
  droppedDescriptors: number;
  kernelDrops: number;
  /** With queues bound (bindQueues): the driver's counters. */
  txPosted?: number;
  txCompleted?: number;
  rxPosted?: number;
  rxCompleted?: number;
  driverHeld?: number;
}

/** A raw Ethernet port (native/addon/raw_interface_wrap.cc). */
export interface NativeRawInterface {
  info(): NativeRawInterfaceInfo;
  postRx(indices: Uint32Array, count: number): number;
  pollRx(out: Uint32Array, max: number): number;
  postTx(indices: Uint32Array, count: number): number;
  pollTxCompletions(out: Uint32Array, max: number): number;
  counters(): NativeRawInterfaceCounters;
  waitReadable(timeoutMs: number): boolean;
  /** Queue ids (0xffffffff: a direction left out); eventDriven runs it on this thread's loop. */
  bindQueues(
    txSubmission: number,
    txCompletion: number,
    rxSubmission: number,
    rxCompletion: number,
    eventDriven: boolean,
  ): void;
  /** One driver pass each way with queues bound; packets moved. */
  service(max: number): number;
  setRef(ref: boolean): void;
  /** Returns the packets it held to the pool; how many. */
  close(): number;
}

/** A UDP socket driving a pool's packet queues (native/addon/udp_interface_wrap.cc). */
export interface NativeUdpInterface {
  transmit(max?: number): number;
  receive(max?: number): number;
  stats(): IOUserNetworkUDPInterfaceStatistics;
  localAddress(): { family: number; port: number; scopeId: number; address: Buffer };
  setRef(ref: boolean): void;
  setCompletionAction(action: ((txCompleted: number, rxCompleted: number) => void) | null): void;
  close(): void;
}

/** `queueCreate` / `queueOpen`: where a packet queue lives. */
export interface NativeQueueDescription {
  queueId: number;
  kind: number;
  capacity: number;
  /** uint32 index of the queue's first word in the region. */
  word: number;
}

/** Wakes a thread's event loop when a packet queue has entries (native/addon/queue_watcher.cc). */
export interface NativeQueueWatcher {
  want(): void;
  stop(): void;
  ref(): void;
  unref(): void;
}

/** The addon's exports (native/addon/addon.cc). */
export interface NativeBinding {
  NativePool: new (options: NativePoolOptions | NativeAttachOptions) => NativePool;
  NativeMemoryDescriptor: abstract new () => NativeMemoryDescriptor;
  NativeRawInterface: new (pool: NativePool, options: NativeRawInterfaceOptions) => NativeRawInterface;
  /** Writes the file header; `format` 0 = classic pcap, 1 = pcapng. Returns the bytes written. */
  pcapBegin(fd: number, snapLength: number, format: number, linkType: number): number;
  pcapWrite(
    pool: NativePool,
    fd: number,
    snapLength: number,
    format: number,
    indices: Uint32Array,
    count: number,
  ): number;
  setErrorClass(cls: typeof IOReturnError): void;
  /** Every value of native/core/layout.json the binary was built with, keyed "group.Name". */
  layout: Readonly<Record<string, number>>;
  // Packet queues (native/addon/queue_wrap.cc); the first argument is the calling thread's pool.
  queueCreate(pool: NativePool, kind: number, queueId: number, capacity: number): NativeQueueDescription;
  queueOpen(pool: NativePool, queueId: number): NativeQueueDescription;
  queueDestroy(pool: NativePool, queueId: number): number;
  queueAcquireEnd(pool: NativePool, queueId: number, producer: boolean): void;
  queueReleaseEnd(pool: NativePool, queueId: number, producer: boolean): void;
  queueWake(pool: NativePool, queueId: number): void;
  queueWaitSync(pool: NativePool, queueId: number, timeoutMs: number): boolean;
  QueueWatcher: new (pool: NativePool, queueId: number, onData: () => void) => NativeQueueWatcher;
  /** The operations of a pool attachment's native call (native/addon/hot_calls.h). */
  hotOps: NativeHotOps;
  /** A no-op Node-API function: the bench's measure of a native call's own cost. */
  noop(): void;
  /** lib/udp-interface.ts checks the options and passes queue ids and plain values. */
  NativeUdpInterface: new (pool: NativePool, options: Readonly<Record<string, unknown>>) => NativeUdpInterface;
  /** uint32 offsets of a ring's head/tail counters from its start (for tests that overwrite them). */
  ringWords: { prodHead: number; prodTail: number; consHead: number; consTail: number };
}

function load(): NativeBinding {
  const root = path.join(__dirname, '..');
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const nodeGypBuild = require('node-gyp-build') as (dir: string) => NativeBinding;
    return nodeGypBuild(root);
  } catch (err) {
    const reason = err instanceof Error ? err.message : String(err);
    // A binary that exists but cannot load (a runtime permission, an ABI or libc mismatch) needs
    // its own message, not build instructions.
    if (!reason.startsWith('No native build was found')) {
      throw new Error(`packet-buffer-pool: the native binary failed to load: ${reason}`, { cause: err });
    }
    throw new Error(
      `packet-buffer-pool: no native binary for ${process.platform}-${process.arch} ` +
        `(node ${process.versions.node}, modules ${process.versions.modules}).\n` +
        `No prebuilt binary matched and none was compiled. npm 11 skips install scripts of ` +
        `dependencies unless approved; build it with:\n` +
        `  npm install-scripts approve packet-buffer-pool\n` +
        `  npm rebuild packet-buffer-pool\n` +
        `(needs python3, make and a C++17 compiler). Loader said: ${reason}`,
    );
  }
}

/** The loaded addon, checked against lib/layout.ts and throwing IOReturnError. */
export const binding: NativeBinding = load();
checkLayout(binding.layout);
binding.setErrorClass(IOReturnError);

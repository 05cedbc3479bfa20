/**
 * Raw Ethernet frames on a network interface queue, with the pool's buffers as the frames:
 * AF_XDP (the pool's region is registered as the UMEM, so the kernel reads and writes pool
 * buffers directly) or AF_PACKET where AF_XDP is not available.
 */
import { threadId } from 'node:worker_threads';

import { binding, type NativeRawInterface } from './native';
import { describe, fail, kIOReturnBadArgument, kIOReturnNotAttached } from './io-return';
import type { IOUserNetworkPacketBufferPool } from './pool';
import type {
  IOUserNetworkRxCompletionQueue,
  IOUserNetworkRxSubmissionQueue,
  IOUserNetworkTxCompletionQueue,
  IOUserNetworkTxSubmissionQueue,
} from './queue';

/** Which kernel interface carries the frames. */
export type RawBackend = 'auto' | 'af_xdp' | 'af_packet';
/** How the XDP program is attached: in the driver (native) or in the generic (skb) path. */
export type RawXdpMode = 'auto' | 'native' | 'generic';
/** AF_XDP zero-copy: tried and fallen back from (auto), never (off), or required. */
export type RawZeroCopy = 'auto' | 'off' | 'required';

/** Options of {@link RawEthernetInterface.Open}. */
export interface RawEthernetInterfaceOptions {
  /** The network interface, e.g. `'eth0'` (in this process's network namespace). */
  interfaceName: string;
  /** The interface's RX/TX queue (AF_XDP binds one queue; AF_PACKET sees all). Default 0. */
  queueId?: number;
  /** Default `'auto'`: AF_XDP, else AF_PACKET (the reason is in `getInfo().fallbackReason`). */
  backend?: RawBackend;
  /** Default `'auto'`: native, else generic. */
  xdpMode?: RawXdpMode;
  /** Default `'auto'`. */
  zeroCopy?: RawZeroCopy;
  /** Entries per kernel ring, a power of two in 64..16384. Default 2048. */
  ringSize?: number;
  /**
   * DriverKit packet queues that drive the interface (see {@link RawEthernetInterfaceQueues}).
   * Without them the interface is driven by index (`postTxPacketIndices` etc.).
   */
  queues?: RawEthernetInterfaceQueues;
  /**
   * With queues: the interface runs by itself on this thread's event loop (socket readiness, the
   * submission queues' wake-ups from any thread of this process). Default true. Set false for a
   * busy loop that calls `service()` (workers, benchmarks).
   */
  eventDriven?: boolean;
}

/**
 * The four DriverKit queues of a raw interface, created by the caller on the same pool. The
 * interface is the consumer of both submission queues and the producer of both completion
 * queues; leave out both queues of a direction the interface should not carry.
 *
 *   txSubmission  filled packets to send (the caller enqueues)
 *   txCompletion  packets sent, or refused with a completion status (the caller dequeues)
 *   rxSubmission  empty packets to receive into (the caller enqueues)
 *   rxCompletion  packets holding a received frame (the caller dequeues)
 *
 * The interface moves packets between the queues and the kernel by itself on this thread's event
 * loop (`eventDriven`, the default), or when `service()` is called.
 */
export interface RawEthernetInterfaceQueues {
  /** Filled packets to send. */
  txSubmission?: IOUserNetworkTxSubmissionQueue;
  /** Sent packets come back here. */
  txCompletion?: IOUserNetworkTxCompletionQueue;
  /** Empty packets to receive into. */
  rxSubmission?: IOUserNetworkRxSubmissionQueue;
  /** Packets that received a frame. */
  rxCompletion?: IOUserNetworkRxCompletionQueue;
}

/** What {@link RawEthernetInterface.Open} opened. */
export interface RawEthernetInterfaceInfo {
  /** `'af_xdp'` or `'af_packet'`. */
  backend: 'af_xdp' | 'af_packet';
  /** AF_XDP: `'native'` or `'generic'` XDP; `''` for AF_PACKET. */
  xdpMode: string;
  /** AF_XDP bound in zero-copy mode (the driver DMAs into pool buffers); false means copy mode. */
  zeroCopy: boolean;
  /** AF_XDP UMEM chunk mode: `'aligned'` (buffer stride 2048 or 4096) or `'unaligned'`. */
  chunkMode: string;
  /** AF_XDP UMEM chunk size. */
  chunkSize: number;
  /** Where received frames start inside a packet's buffer (256 for AF_XDP: XDP's headroom). */
  rxDataOffset: number;
  /** The largest frame the interface receives or sends. */
  maxFrameBytes: number;
  /** The interface's MTU. */
  mtu: number;
  /** The interface's index. */
  ifindex: number;
  /** Why `'auto'` chose AF_PACKET, or `''`. */
  fallbackReason: string;
  /** The socket's file descriptor (poll it for readability). */
  fd: number;
}

/** Live counters of a {@link RawEthernetInterface}. */
export interface RawEthernetInterfaceCounters {
  /** Packets inside the interface now (on the kernel's rings or waiting in it). */
  held: number;
  /** Frames queued for transmission that the kernel has not taken yet. */
  txInFlight: number;
  /** How many more packets postRxPacketIndices would take now. */
  rxSpace: number;
  /** How many more packets postTxPacketIndices would take now. */
  txSpace: number;
  /** Descriptors the kernel handed back for packets the interface did not hold (should stay 0). */
  droppedDescriptors: number;
  /**
   * Frames the kernel dropped for this socket (AF_XDP: no buffer in the fill ring, RX ring full;
   * AF_PACKET: every ring block still held by the reader).
   */
  kernelDrops: number;
  /** With queues: frames handed to the kernel for sending. */
  txPosted?: number;
  /** With queues: packets delivered to TX completion. */
  txCompleted?: number;
  /** With queues: empty buffers handed to the kernel. */
  rxPosted?: number;
  /** With queues: filled packets delivered to RX completion. */
  rxCompleted?: number;
  /** With queues: packets the driver and the kernel hold now. */
  driverHeld?: number;
}

const NO_QUEUE = 0xffffffff;

const BACKENDS: Record<RawBackend, number> = { auto: 0, af_xdp: 1, af_packet: 2 };
const XDP_MODES: Record<RawXdpMode, number> = { auto: 0, native: 1, generic: 2 };
const ZERO_COPY: Record<RawZeroCopy, number> = { auto: 0, off: 1, required: 2 };

function pick<T extends string>(table: Record<T, number>, value: T | undefined, what: string): number {
  if (value === undefined) return 0;
  const v = typeof value === 'string' ? table[value] : undefined;
  if (v === undefined) {
    fail(kIOReturnBadArgument, `${what} must be one of ${Object.keys(table).join(', ')}, got ${describe(value)}`);
  }
  return v;
}

function checkArray(a: unknown, what: string): Uint32Array {
  if (!(a instanceof Uint32Array)) fail(kIOReturnBadArgument, `${what} must be a Uint32Array, got ${describe(a)}`);
  return a;
}

/**
 * A raw Ethernet port on one queue of a network interface, moving pool packets by index.
 *
 * Packets posted to it (empty ones to receive into, full ones to send) belong to the interface
 * until they come back from `pollRxPacketIndices` / `pollTxCompletionIndices`: the calling thread
 * cannot free or reuse them meanwhile (a free is refused with kIOReturnNotPermitted). `close()`,
 * releasing the pool, or this thread exiting returns every one of them to the pool; if the
 * process dies, another process's `pool.reclaimPackets()` does. The XDP program the interface
 * attaches is detached by the kernel when the last socket using it closes, also on a crash.
 *
 * Needs CAP_NET_RAW (AF_PACKET) or CAP_NET_RAW + CAP_NET_ADMIN + CAP_BPF (AF_XDP); without them
 * `Open` throws kIOReturnNotPrivileged naming what is missing.
 */
export class RawEthernetInterface {
  private _native: NativeRawInterface | null;
  private readonly _pool: IOUserNetworkPacketBufferPool;
  private readonly _info: RawEthernetInterfaceInfo;
  private readonly _onPoolRelease = (): void => {
    this.close();
  };

  private constructor(pool: IOUserNetworkPacketBufferPool, native: NativeRawInterface) {
    this._pool = pool;
    this._native = native;
    this._info = native.info() as RawEthernetInterfaceInfo;
    pool._releaseHooks.add(this._onPoolRelease);
  }

  /**
   * Opens `options.interfaceName` queue `options.queueId` over `pool`. Errors:
   * kIOReturnNotPrivileged (capabilities), kIOReturnNoDevice (no such interface),
   * kIOReturnExclusiveAccess (the queue is bound by another socket, or another XDP program is
   * attached), kIOReturnMessageTooLarge (the MTU does not fit the pool's frames),
   * kIOReturnUnsupported (AF_XDP asked for explicitly but not available: libxdp missing, frames
   * below 2048 bytes), kIOReturnBadArgument (options).
   */
  static Open(pool: IOUserNetworkPacketBufferPool, options: RawEthernetInterfaceOptions): RawEthernetInterface {
    if (options === null || typeof options !== 'object') {
      fail(kIOReturnBadArgument, `options must be an object, got ${describe(options)}`);
    }
    const poolNative = pool?._native;
    if (!poolNative) fail(kIOReturnNotAttached, 'the pool has been released (or is not a pool)');
    const native = new binding.NativeRawInterface(poolNative, {
      ifname: options.interfaceName,
      queueId: options.queueId ?? 0,
      backend: pick(BACKENDS, options.backend, 'backend'),
      xdpMode: pick(XDP_MODES, options.xdpMode, 'xdpMode'),
      zeroCopy: pick(ZERO_COPY, options.zeroCopy, 'zeroCopy'),
      ringSize: options.ringSize ?? 2048,
      threadId,
    });
    const iface = new RawEthernetInterface(pool, native);
    if (options.queues !== undefined) {
      const q = options.queues;
      const id = (queue: { getQueueId(): number } | undefined): number => (queue ? queue.getQueueId() : NO_QUEUE);
      try {
        const eventDriven = options.eventDriven ?? true;
        if (typeof eventDriven !== 'boolean')
          fail(kIOReturnBadArgument, `eventDriven must be a boolean, got ${describe(eventDriven)}`);
        native.bindQueues(id(q.txSubmission), id(q.txCompletion), id(q.rxSubmission), id(q.rxCompletion), eventDriven);
      } catch (err) {
        iface.close();
        throw err;
      }
    }
    return iface;
  }

  /**
   * With queues: one pass each way (TX submission to the kernel and completions to TX completion,
   * RX submission to the kernel and received frames to RX completion), up to `max` packets per
   * step. Returns how many packets moved. One native call; call it after enqueueing a batch, or
   * in a loop. kIOReturnNotReady without queues.
   */
  service(max = 4096): number {
    this._checkOpen();
    return this._native!.service(max);
  }

  /** What was opened: backend, XDP mode, zero-copy or copy, chunk mode, frame limits. */
  getInfo(): RawEthernetInterfaceInfo {
    this._checkOpen();
    return { ...this._info };
  }

  /**
   * Posts empty packets to receive into (AF_XDP: the fill ring). Returns how many it took, in
   * order: it stops when the ring is full or at the first packet this thread does not hold.
   */
  postRxPacketIndices(indices: Uint32Array, count: number = indices?.length): number {
    this._checkOpen();
    return this._native!.postRx(checkArray(indices, 'indices'), count);
  }

  /**
   * Takes up to `max` packets that received a frame (data offset and length set); they are this
   * thread's again. Returns how many.
   */
  pollRxPacketIndices(out: Uint32Array, max: number = out?.length): number {
    this._checkOpen();
    return this._native!.pollRx(checkArray(out, 'out'), max);
  }

  /**
   * Posts packets to send, each from `[dataOffset, dataOffset + dataLength)` of its buffer.
   * Returns how many it took, in order (see {@link postRxPacketIndices}). A packet whose window
   * cannot be a frame (empty, longer than `maxFrameBytes`) is taken and completed with
   * completion status kIOReturnBadArgument instead of being sent.
   */
  postTxPacketIndices(indices: Uint32Array, count: number = indices?.length): number {
    this._checkOpen();
    return this._native!.postTx(checkArray(indices, 'indices'), count);
  }

  /**
   * Takes up to `max` sent packets back (completion status kIOReturnSuccess, or BadArgument for
   * a refused window); also nudges the kernel to send what is still queued. Returns how many.
   */
  pollTxCompletionIndices(out: Uint32Array, max: number = out?.length): number {
    this._checkOpen();
    return this._native!.pollTxCompletions(checkArray(out, 'out'), max);
  }

  /**
   * Blocks this thread until received frames are waiting or `timeoutMs` passes (poll(2) on the
   * socket); true when frames are waiting. For worker threads and command-line tools.
   */
  waitForFramesSync(timeoutMs: number): boolean {
    this._checkOpen();
    return this._native!.waitReadable(timeoutMs);
  }

  /** An event-driven interface keeps the process alive while open (the default). */
  ref(): void {
    this._checkOpen();
    this._native!.setRef(true);
  }

  /** Lets the process exit while the event-driven interface is open (like `socket.unref()`). */
  unref(): void {
    this._checkOpen();
    this._native!.setRef(false);
  }

  /** Live counters (packets held, frames in flight, ring space). */
  getCounters(): RawEthernetInterfaceCounters {
    this._checkOpen();
    return this._native!.counters();
  }

  /** True until {@link close}. */
  isOpen(): boolean {
    return this._native !== null;
  }

  /**
   * Closes the socket (and detaches the XDP program if no other queue of this interface is open
   * in this process) and returns every packet the interface held to the pool. Returns how many
   * went back. Idempotent.
   */
  close(): number {
    const native = this._native;
    if (!native) return 0;
    this._native = null;
    this._pool._releaseHooks.delete(this._onPoolRelease);
    return native.close();
  }

  /** `using iface = RawEthernetInterface.Open(...)` closes it at the end of the scope. */
  [Symbol.dispose](): void {
    this.close();
  }

  private _checkOpen(): void {
    if (!this._native) fail(kIOReturnNotAttached, 'the raw interface has been closed');
  }
}

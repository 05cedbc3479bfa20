/**
 * The UDP interface: the driver end of a pool's packet queues over a UDP socket the package opens.
 *
 *   TX  you enqueue filled packets on the TX submission queue; the interface sends them (runs of
 *       same-destination, same-length packets as one UDP GSO super-packet, many per sendmmsg) and
 *       puts them on the TX completion queue, or straight back in the pool
 *       (`txCompleteToPool`). A packet the kernel refused completes with its completion status
 *       set (`getCompletionStatus()`: kIOReturnNotResponding for ECONNREFUSED,
 *       kIOReturnMessageTooLarge for EMSGSIZE, kIOReturnOffline when unreachable, ...).
 *   RX  you enqueue empty packets on the RX submission queue; the interface receives datagrams
 *       into them (recvmmsg, data at the headroom) with length, source address
 *       (`getPacketAddress`), receive time (`getTimestamp()`, CLOCK_REALTIME ns) and, with `gro`,
 *       the segment size (`getPacketSegmentSize`), and puts them on the RX completion queue.
 *
 * It runs by itself on this thread's event loop (`eventDriven`, the default: socket readiness
 * plus a wake-up from the submission queues, no extra thread), and/or when you call
 * `transmit()` / `receive()` (busy loops in workers: set `eventDriven: false`). Completions
 * reach you through the completion queues (`setDequeueAction`, `waitForPackets`, or polling),
 * or on this thread through `setCompletionAction`.
 *
 * Nothing is lost: every packet handed to the interface comes back exactly once. `close()`, the
 * pool's `release()`, or the exit of the thread that created it return what it holds or what
 * waits in its submission queues on the completion queues with kIOReturnAborted (RX: length 0),
 * or to the pool when a completion queue is full then.
 */
import { binding, type NativeUdpInterface } from './native';
import { describe, fail, kIOReturnBadArgument, kIOReturnNotAttached } from './io-return';
import type { IOUserNetworkPacketAddress } from './packet-address';
import { IOUserNetworkPacketBufferPool } from './pool';
import {
  IOUserNetworkPacketQueue,
  IOUserNetworkPacketQueueKind,
  IOUserNetworkRxCompletionQueue,
  IOUserNetworkRxSubmissionQueue,
  IOUserNetworkTxCompletionQueue,
  IOUserNetworkTxSubmissionQueue,
} from './queue';

/** Options of `IOUserNetworkUDPInterface.Create`. */
export interface IOUserNetworkUDPInterfaceOptions {
  /** 'udp4' (default) or 'udp6' (an IPv6 socket also reaches IPv4 peers as v4-mapped addresses). */
  type?: 'udp4' | 'udp6';
  /** Address to bind (default: any address of the type). */
  localAddress?: string;
  /** Port to bind (default 0: the kernel picks one; see `getLocalAddress()`). */
  localPort?: number;
  /** Connect to this peer: every packet goes there and packets' own addresses are ignored. */
  remoteAddress?: string;
  /** The peer's port (with `remoteAddress`). */
  remotePort?: number;
  /** Filled packets to send: the interface is its consumer. */
  txSubmissionQueue?: IOUserNetworkTxSubmissionQueue;
  /** Needed with a TX submission queue unless `txCompleteToPool`. */
  txCompletionQueue?: IOUserNetworkTxCompletionQueue;
  /** Sent packets go straight back to the pool instead of the TX completion queue. */
  txCompleteToPool?: boolean;
  /** Empty packets to receive into: the interface is its consumer. */
  rxSubmissionQueue?: IOUserNetworkRxSubmissionQueue;
  /** Where received packets go (needed with `rxSubmissionQueue`): the interface is its producer. */
  rxCompletionQueue?: IOUserNetworkRxCompletionQueue;
  /**
   * Coalesce same-destination, same-length runs into UDP GSO sends (default true; off silently when
   * the kernel cannot).
   */
  gso?: boolean;
  /** Datagrams per GSO super-packet, 1..128 (default 64; the kernel's own limit may be lower). */
  maxSegments?: number;
  /**
   * Receive coalesced super-packets (UDP_GRO, default false): one packet then holds several
   * datagrams of `getPacketSegmentSize()` bytes. Needs 65507 bytes of room after the headroom.
   */
  gro?: boolean;
  /** Record the receive time (SO_TIMESTAMPNS) in each packet's timestamp (default true). */
  timestamps?: boolean;
  /** SO_SNDBUF / SO_RCVBUF in bytes (default: the kernel's). */
  sendBufferSize?: number;
  /** SO_RCVBUF in bytes (default: the kernel's; as root the interface may exceed net.core.rmem_max). */
  receiveBufferSize?: number;
  /** Run on this thread's event loop (default true). false: only `transmit()`/`receive()` move packets. */
  eventDriven?: boolean;
  /**
   * Receive coalescing for an event-driven interface, 0..100000 microseconds (default 0: off), like
   * a NIC's rx-usecs: after a wake-up that received data, the interface leaves the socket alone for
   * this long and then takes everything that arrived meanwhile at once. A datagram after a quiet
   * spell is still taken at once; under steady traffic it trades up to this much latency for fewer
   * event-loop iterations, and so for fewer GCs in this thread (see `getStatistics().eventLoop`).
   * Linux (a timerfd); elsewhere a non-zero value fails with kIOReturnNoResources, `errno` ENOSYS.
   */
  coalesceMicroseconds?: number;
}

/** Packets in each place, and counters since creation (`getStatistics()`). */
export interface IOUserNetworkUDPInterfaceStatistics {
  /** Datagrams the kernel accepted. */
  txPackets: number;
  /** Their payload bytes. */
  txBytes: number;
  /** Packets completed with an error status (the kernel refused them, or bad metadata/address). */
  txErrors: number;
  /** sendmmsg/sendmsg calls. */
  txSyscalls: number;
  /** UDP GSO super-packets sent (each counts its datagrams in txPackets). */
  txGsoMessages: number;
  /** Sends stopped by a full socket buffer (the packets stayed pending and went out later). */
  txWouldBlock: number;
  /** Packets filled (a GRO super-packet counts once). */
  rxPackets: number;
  /** Datagrams received (a GRO super-packet counts each of its segments). */
  rxSegments: number;
  /** Payload bytes received. */
  rxBytes: number;
  /** recvmmsg calls. */
  rxSyscalls: number;
  /** Datagrams larger than a packet's room, delivered cut with status kIOReturnOverrun. */
  rxTruncated: number;
  /** Errors the socket reported on receive (e.g. ICMP errors on a connected socket). */
  rxErrors: number;
  /** errno of the last failure the kernel reported (0: none). */
  lastErrno: number;
  /** GSO in use (false when off, unsupported, or after a route refused it). */
  gsoActive: boolean;
  /** GRO enabled on the socket. */
  groActive: boolean;
  /** TX packets handed back after a send attempt (sent or refused). */
  txCompleted: number;
  /** TX packets handed back unsent at close (kIOReturnAborted). */
  txAborted: number;
  /** RX packets delivered with data. */
  rxCompleted: number;
  /** Empty RX packets handed back at close (kIOReturnAborted). */
  rxAborted: number;
  /** Packets that found their completion queue full at close and went back to the pool. */
  returnedToPool: number;
  /** Packets per place now: in the queues, and held by the interface between them. */
  inFlight: IOUserNetworkUDPInterfaceInFlight;
  /** What the interface cost the event loop (all 0 unless `eventDriven`). */
  eventLoop: IOUserNetworkUDPInterfaceEventLoop;
}

/**
 * The event-driven interface's callbacks on the Node event loop (`getStatistics().eventLoop`).
 * Each wake-up is an event-loop iteration, and Node allocates a little JS heap in every iteration
 * whatever the callback does: wake-ups per packet, not packets, set the receiving thread's GCs.
 */
export interface IOUserNetworkUDPInterfaceEventLoop {
  /** The socket was readable (or writable after a full send buffer). */
  pollWakeups: number;
  /** A submission-queue producer signalled (outside the completion action), or a pass yielded. */
  asyncWakeups: number;
  /** Retries on the 1 ms timer (a full completion queue). */
  timerWakeups: number;
  /** Ends of a receive-coalescing interval (`coalesceMicroseconds`). */
  coalesceWakeups: number;
  /** Completion actions run (several per wake-up while each hands work back). */
  actionCalls: number;
}

/** Where the interface's packets are right now (`getStatistics().inFlight`). */
export interface IOUserNetworkUDPInterfaceInFlight {
  /** Waiting in the TX submission queue. */
  txSubmission: number;
  /** Taken by the interface, not sent yet (the socket buffer was full). */
  txPending: number;
  /** Sent, waiting for room in the TX completion queue. */
  txBacklog: number;
  /** In the TX completion queue (0 with `txCompleteToPool`). */
  txCompletion: number;
  /** Empty packets waiting in the RX submission queue. */
  rxSubmission: number;
  /** Empty packets the interface holds, ready for the next datagrams. */
  rxHeld: number;
  /** Filled, waiting for room in the RX completion queue. */
  rxBacklog: number;
  /** In the RX completion queue. */
  rxCompletion: number;
}

const QUEUE_OPTIONS: [keyof IOUserNetworkUDPInterfaceOptions, string, IOUserNetworkPacketQueueKind][] = [
  ['txSubmissionQueue', 'txSubmission', IOUserNetworkPacketQueueKind.TxSubmission],
  ['txCompletionQueue', 'txCompletion', IOUserNetworkPacketQueueKind.TxCompletion],
  ['rxSubmissionQueue', 'rxSubmission', IOUserNetworkPacketQueueKind.RxSubmission],
  ['rxCompletionQueue', 'rxCompletion', IOUserNetworkPacketQueueKind.RxCompletion],
];

function checkPort(name: string, value: unknown): number | undefined {
  if (value === undefined) return undefined;
  if (!Number.isInteger(value) || (value as number) < 0 || (value as number) > 65535) {
    fail(kIOReturnBadArgument, `${name} must be an integer port 0..65535, got ${describe(value)}`);
  }
  return value as number;
}

function checkBool(name: string, value: unknown): boolean | undefined {
  if (value !== undefined && typeof value !== 'boolean')
    fail(kIOReturnBadArgument, `${name} must be a boolean, got ${describe(value)}`);
  return value as boolean | undefined;
}

function checkSize(name: string, value: unknown, min: number, max: number): number | undefined {
  if (value === undefined) return undefined;
  if (!Number.isInteger(value) || (value as number) < min || (value as number) > max) {
    fail(kIOReturnBadArgument, `${name} must be an integer ${min}..${max}, got ${describe(value)}`);
  }
  return value as number;
}

/** A UDP interface over a pool's queues (see the module comment). */
export class IOUserNetworkUDPInterface {
  private _native: NativeUdpInterface | null;
  private readonly _pool: IOUserNetworkPacketBufferPool;

  private constructor(pool: IOUserNetworkPacketBufferPool, native: NativeUdpInterface) {
    this._pool = pool;
    this._native = native;
  }

  /**
   * Opens the socket (bind, and connect with `remoteAddress`) and becomes the driver end of the
   * queues given: the consumer of the submission queues and the producer of the completion
   * queues, on this thread. Throws IOReturnError (with `errno` for kernel failures such as
   * EADDRINUSE) for bad options, queues of another pool or of the wrong kind, or ends another
   * thread holds.
   */
  static Create(
    pool: IOUserNetworkPacketBufferPool,
    options: IOUserNetworkUDPInterfaceOptions,
  ): IOUserNetworkUDPInterface {
    if (!(pool instanceof IOUserNetworkPacketBufferPool)) {
      fail(kIOReturnBadArgument, `pool must be an IOUserNetworkPacketBufferPool, got ${describe(pool)}`);
    }
    if (options === null || typeof options !== 'object')
      fail(kIOReturnBadArgument, `options must be an object, got ${describe(options)}`);
    pool.getName(); // kIOReturnNotAttached after release
    const type = options.type ?? 'udp4';
    if (type !== 'udp4' && type !== 'udp6')
      fail(kIOReturnBadArgument, `type must be 'udp4' or 'udp6', got ${describe(type)}`);
    for (const key of ['localAddress', 'remoteAddress'] as const) {
      if (options[key] !== undefined && typeof options[key] !== 'string') {
        fail(kIOReturnBadArgument, `${key} must be a string, got ${describe(options[key])}`);
      }
    }
    const native: Record<string, unknown> = {
      family: type === 'udp6' ? 6 : 4,
      localAddress: options.localAddress,
      localPort: checkPort('localPort', options.localPort),
      remoteAddress: options.remoteAddress,
      remotePort: checkPort('remotePort', options.remotePort),
      gso: checkBool('gso', options.gso),
      gro: checkBool('gro', options.gro),
      timestamps: checkBool('timestamps', options.timestamps),
      txCompleteToPool: checkBool('txCompleteToPool', options.txCompleteToPool),
      eventDriven: checkBool('eventDriven', options.eventDriven),
      coalesceMicroseconds: checkSize('coalesceMicroseconds', options.coalesceMicroseconds, 0, 100_000),
      maxSegments: checkSize('maxSegments', options.maxSegments, 1, 128),
      sendBufferSize: checkSize('sendBufferSize', options.sendBufferSize, 1, 0x40000000),
      receiveBufferSize: checkSize('receiveBufferSize', options.receiveBufferSize, 1, 0x40000000),
    };
    for (const [key, nativeKey, kind] of QUEUE_OPTIONS) {
      const q = options[key] as unknown;
      if (q === undefined) continue;
      if (!(q instanceof IOUserNetworkPacketQueue) || q.getKind() !== kind) {
        fail(
          kIOReturnBadArgument,
          `${key} must be an IOUserNetwork${IOUserNetworkPacketQueueKind[kind]}Queue, got ${describe(q)}`,
        );
      }
      if (q.getPacketBufferPool() !== pool) fail(kIOReturnBadArgument, `${key} belongs to another pool`);
      native[nativeKey] = q.getQueueId();
    }
    return new IOUserNetworkUDPInterface(pool, new binding.NativeUdpInterface(pool._native!, native));
  }

  /**
   * Sends what waits in the TX submission queue (up to `max` packets) and completes it; returns
   * how many packets completed (sent or refused). Stops early when the socket buffer is full.
   */
  transmit(max?: number): number {
    return this._open().transmit(max);
  }

  /** Receives into packets from the RX submission queue (up to `max`); returns how many were delivered. */
  receive(max?: number): number {
    return this._open().receive(max);
  }

  /** Counters and packets in flight per place (a new object each call: not for the hot path). */
  getStatistics(): IOUserNetworkUDPInterfaceStatistics {
    return this._open().stats();
  }

  /** The bound address and port. */
  getLocalAddress(): IOUserNetworkPacketAddress {
    const a = this._open().localAddress();
    const bytes = [...a.address];
    const address =
      a.family === 4
        ? bytes.join('.')
        : Array.from({ length: 8 }, (_, i) => ((bytes[2 * i] << 8) | bytes[2 * i + 1]).toString(16)).join(':');
    return { family: a.family as 4 | 6, address, port: a.port, scopeId: a.scopeId };
  }

  /**
   * `action(txCompleted, rxCompleted)` runs on this thread's event loop right after the interface
   * completed packets (put them on the completion queues or back in the pool): the cheapest way
   * for the thread that runs the interface to learn about completions (no watcher thread, no
   * futex, unlike a completion queue's `setDequeueAction`, which works from any thread). `null`
   * removes it. Needs an event-driven interface (kIOReturnNotReady otherwise).
   */
  setCompletionAction(action: ((txCompleted: number, rxCompleted: number) => void) | null): void {
    if (action !== null && typeof action !== 'function') {
      fail(kIOReturnBadArgument, `action must be a function or null, got ${describe(action)}`);
    }
    this._open().setCompletionAction(action);
  }

  /** The pool whose queues the interface serves. */
  getPacketBufferPool(): IOUserNetworkPacketBufferPool {
    return this._pool;
  }

  /** Keeps the process alive while open (default). */
  ref(): void {
    this._open().setRef(true);
  }

  /** Lets the process exit while the interface is open (like `socket.unref()`). */
  unref(): void {
    this._open().setRef(false);
  }

  /** True until `close()` (or the pool's release). */
  isOpen(): boolean {
    if (this._native === null) return false;
    try {
      this._native.stats();
      return true;
    } catch {
      return false;
    }
  }

  /** Closes the socket and hands every packet the interface holds back (see the module comment). Idempotent. */
  close(): void {
    const n = this._native;
    this._native = null;
    if (n !== null) n.close();
  }

  /** `using iface = ...` closes the interface at the end of the scope. */
  [Symbol.dispose](): void {
    this.close();
  }

  private _open(): NativeUdpInterface {
    if (this._native === null) fail(kIOReturnNotAttached, 'the UDP interface is closed');
    return this._native;
  }
}

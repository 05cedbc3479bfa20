/**
 * What a run reports: one sender's numbers, one mode's, and the whole report `--json` prints
 * (the slow tests parse it). report.ts formats it as a table; index.ts and run-mode.ts fill it.
 */
import type { Mode } from './counters';
import type { ThreadMetrics } from './metrics';

/** One sending thread's outcome (runSender's result; a worker posts it back). */
export interface SenderResult extends ThreadMetrics {
  stream: number;
  sent: number;
  sendErrors: number;
  /** Turns on which the pool had no packet to give (pool and udp modes). */
  poolEmptyWaits: number;
  seconds: number;
}

/** A mode whose senders all finished. */
export interface MeasuredMode {
  mode: Mode;
  error?: undefined;
  senders: number;
  sent: number;
  sendErrors: number;
  received: number;
  drops: number;
  invalid: number;
  gaps: number;
  reordered: number;
  bytesSent: number;
  bytesReceived: number;
  seconds: number;
  pps: number;
  rxPps: number;
  mbps: number;
  gc: { count: number; ms: number };
  /** The worst sender thread's loop delay. */
  eventLoopDelay: ThreadMetrics['eventLoopDelay'];
  cpu: { userMs: number; systemMs: number; usPerPacket: number };
  receiverGcCount: number;
  poolEmptyWaits: number;
  /** Pool mode only: the shared pool's counters over the mode. */
  pool: {
    inUseAtEnd: number;
    allocations: number;
    deallocations: number;
    failedAllocations: number;
    highWaterMark: number;
  } | null;
}

/** A mode whose senders failed: the reason instead of numbers. */
export interface FailedMode {
  mode: Mode;
  error: string;
}

export type ModeResult = MeasuredMode | FailedMode;

export function isMeasured(r: ModeResult): r is MeasuredMode {
  return r.error === undefined;
}

/** The whole run, as `--json` prints it. */
export interface Report {
  node: string;
  config: {
    size: number;
    /** null: no --count. */
    count: number | null;
    durationS: number;
    workers: number;
    rate: number;
    burst: number;
    slotViews: boolean;
    inflightPerSender: number;
    dest: string;
    port: number;
    poolPackets: number;
    bufferSize: number;
    recvBufferSize: number;
  };
  results: ModeResult[];
  /** Present when both the pool and the buffer mode ran. */
  comparison: {
    ppsRatio: number;
    udpPpsRatio: number | null;
    gcUdp: number | null;
    gcPool: number;
    gcBuffer: number;
    gcMsPool: number;
    gcMsBuffer: number;
    p99Pool: number;
    p99Buffer: number;
  } | null;
  poolInUseAtEnd: number | null;
}

/**
 * What the threads of a run pass each other: the workerData each worker starts with and the
 * messages it posts back. The sinks (sink.ts, sink-udp.ts) also take the strings 'snapshot' and
 * 'stop' from the main thread.
 */
import type { IOUserNetworkPacketBufferPoolHandle } from 'packet-buffer-pool';

import type { Counters } from './counters';
import type { SenderResult } from './results';
import type { SenderOptions } from './sender';

export interface SinkWorkerData {
  /** UDP port to bind on 127.0.0.1; 0: any free port. */
  port: number;
  counters: Counters;
}

export type SinkMessage =
  | { type: 'ready'; port: number; recvBufferSize: number }
  | { type: 'snapshot'; gcCount: number }
  | { type: 'error'; message: string };

/** A sender worker's options: a sender's, with the pool as a handle to attach to (pool mode). */
export interface SenderWorkerData extends Omit<SenderOptions, 'pool'> {
  handle: IOUserNetworkPacketBufferPoolHandle | null;
}

export type SenderWorkerMessage = { type: 'done'; result: SenderResult } | { type: 'error'; message: string };

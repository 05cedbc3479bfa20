/** Starts a sink (sink.ts or sink-udp.ts) in a worker thread and talks to it (messages.ts). */
import * as path from 'node:path';
import { Worker } from 'node:worker_threads';

import type { Counters } from './counters';
import type { SinkMessage, SinkWorkerData } from './messages';

/** A running sink, seen from the main thread. */
export interface Sink {
  /** The UDP port it receives on, on 127.0.0.1. */
  port: number;
  /** Its socket's receive buffer, as the kernel granted it. */
  recvBufferSize: number;
  /** The sink thread's GC count so far (a postMessage round trip, so counters are current too). */
  snapshot(): Promise<{ gcCount: number }>;
  stop(): Promise<void>;
}

/** `script`: the worker's file name next to this one, as compiled ('sink.js' or 'sink-udp.js'). */
export function startSink(port: number, counters: Counters, script = 'sink.js'): Promise<Sink> {
  return new Promise((resolve, reject) => {
    const workerData: SinkWorkerData = { port, counters };
    const worker = new Worker(path.join(__dirname, script), { workerData });
    const waiting: ((m: { gcCount: number }) => void)[] = [];
    worker.once('error', reject);
    worker.on('message', (m: SinkMessage) => {
      if (m.type === 'ready') {
        resolve({
          port: m.port,
          recvBufferSize: m.recvBufferSize,
          snapshot: () =>
            new Promise((r) => {
              waiting.push(r);
              worker.postMessage('snapshot');
            }),
          stop: () =>
            new Promise((r) => {
              worker.once('exit', () => r());
              worker.postMessage('stop');
            }),
        });
      } else if (m.type === 'snapshot') {
        waiting.shift()?.(m);
      } else if (m.type === 'error') {
        reject(new Error(`sink: ${m.message}`));
      }
    });
  });
}

/**
 * A sender in a worker thread: its own socket, and in pool mode its own attachment to the pool
 * (IOUserNetworkPacketBufferPool.attach on the handle the main thread made with createHandle()),
 * so it allocates from its own cache of free packets. Posts { type: 'done', result } or
 * { type: 'error', message } (messages.ts).
 */
import { parentPort, workerData } from 'node:worker_threads';
import type { MessagePort } from 'node:worker_threads';

import { IOUserNetworkPacketBufferPool } from 'packet-buffer-pool';

import type { SenderWorkerData, SenderWorkerMessage } from './messages';
import { runSender } from './sender';

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

async function main(port: MessagePort, data: SenderWorkerData): Promise<void> {
  const post = (m: SenderWorkerMessage): void => port.postMessage(m);
  const { handle, ...options } = data;
  let pool: IOUserNetworkPacketBufferPool | null = null;
  if (data.mode === 'pool') {
    try {
      if (handle === null) throw new Error('no pool handle');
      pool = IOUserNetworkPacketBufferPool.attach(handle);
    } catch (err) {
      post({ type: 'error', message: `attach failed: ${messageOf(err)}` });
      return;
    }
  }
  try {
    const result = await runSender({ ...options, pool });
    post({ type: 'done', result });
  } catch (err) {
    post({ type: 'error', message: messageOf(err) });
  } finally {
    // Hands this thread's cached free packets back to the shared ring and detaches.
    if (pool !== null) pool.release();
  }
}

if (parentPort === null) throw new Error('sender-worker.js runs in a worker thread (run-mode.ts starts it)');
main(parentPort, workerData as SenderWorkerData);

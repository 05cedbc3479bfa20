'use strict';
/**
 * A sender in a worker thread: its own socket, and in pool mode its own attachment to the pool
 * (IOUserNetworkPacketBufferPool.attach on the handle the main thread made with createHandle()),
 * so it allocates from its own cache of free packets. Posts { type: 'done', result } or
 * { type: 'error', message }.
 */
const { parentPort, workerData } = require('node:worker_threads');

const { IOUserNetworkPacketBufferPool } = require('../..');
const { runSender } = require('./sender');

async function main() {
  let pool = null;
  if (workerData.mode === 'pool') {
    try {
      pool = IOUserNetworkPacketBufferPool.attach(workerData.handle);
    } catch (err) {
      parentPort.postMessage({ type: 'error', message: `attach failed: ${err.message}` });
      return;
    }
  }
  try {
    const result = await runSender({ ...workerData, pool });
    parentPort.postMessage({ type: 'done', result });
  } catch (err) {
    parentPort.postMessage({ type: 'error', message: err.message });
  } finally {
    // Hands this thread's cached free packets back to the shared ring and detaches.
    if (pool !== null) pool.release();
  }
}

main();

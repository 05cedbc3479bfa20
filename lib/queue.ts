/**
 * DriverKit's packet queues (`IOUserNetworkTxSubmissionQueue`, `IOUserNetworkTxCompletionQueue`,
 * `IOUserNetworkRxSubmissionQueue`, `IOUserNetworkRxCompletionQueue`): the four kinds over
 * `IOUserNetworkPacketQueue` (lib/queue-base.ts), each with its `Create` and `Open`.
 *
 * Enqueue hands a packet over (the producer must not touch it afterwards); dequeue takes
 * ownership. Both run in JavaScript over the region's typed arrays with the protocol of
 * native/core/packet_queue.h (lib/queue-protocol.ts): no native call and no allocation per packet.
 */
import type { IOUserNetworkPacketBufferPool } from './pool';
import { IOUserNetworkPacketQueue, IOUserNetworkPacketQueueKind } from './queue-base';

export { IOUserNetworkPacketQueue, IOUserNetworkPacketQueueKind } from './queue-base';
export type { WaitForPacketsOptions } from './queue-waiting';

/** System -> driver: filled packets to transmit (DriverKit `IOUserNetworkTxSubmissionQueue`). */
export class IOUserNetworkTxSubmissionQueue extends IOUserNetworkPacketQueue {
  /** Creates queue `queueId` in the pool's region; `dispatchQueue` is accepted and unused. */
  static Create(
    pool: IOUserNetworkPacketBufferPool,
    owner: unknown,
    capacity: number,
    queueId: number,
    dispatchQueue?: unknown,
  ): IOUserNetworkTxSubmissionQueue {
    void dispatchQueue;
    const d = this._create(IOUserNetworkPacketQueueKind.TxSubmission, pool, capacity, queueId);
    return new IOUserNetworkTxSubmissionQueue(pool, owner, d);
  }

  /** This thread's (or process's) object for a queue created elsewhere. */
  static Open(pool: IOUserNetworkPacketBufferPool, queueId: number): IOUserNetworkTxSubmissionQueue {
    const d = this._open(IOUserNetworkPacketQueueKind.TxSubmission, pool, queueId);
    return new IOUserNetworkTxSubmissionQueue(pool, null, d);
  }
}

/** Driver -> system: packets sent, to recycle (DriverKit `IOUserNetworkTxCompletionQueue`). */
export class IOUserNetworkTxCompletionQueue extends IOUserNetworkPacketQueue {
  /** Creates queue `queueId` in the pool's region; `dispatchQueue` is accepted and unused. */
  static Create(
    pool: IOUserNetworkPacketBufferPool,
    owner: unknown,
    capacity: number,
    queueId: number,
    dispatchQueue?: unknown,
  ): IOUserNetworkTxCompletionQueue {
    void dispatchQueue;
    const d = this._create(IOUserNetworkPacketQueueKind.TxCompletion, pool, capacity, queueId);
    return new IOUserNetworkTxCompletionQueue(pool, owner, d);
  }

  /** This thread's (or process's) object for a queue created elsewhere. */
  static Open(pool: IOUserNetworkPacketBufferPool, queueId: number): IOUserNetworkTxCompletionQueue {
    const d = this._open(IOUserNetworkPacketQueueKind.TxCompletion, pool, queueId);
    return new IOUserNetworkTxCompletionQueue(pool, null, d);
  }
}

/** System -> driver: empty packets to receive into (DriverKit `IOUserNetworkRxSubmissionQueue`). */
export class IOUserNetworkRxSubmissionQueue extends IOUserNetworkPacketQueue {
  /** Creates queue `queueId` in the pool's region; `dispatchQueue` is accepted and unused. */
  static Create(
    pool: IOUserNetworkPacketBufferPool,
    owner: unknown,
    capacity: number,
    queueId: number,
    dispatchQueue?: unknown,
  ): IOUserNetworkRxSubmissionQueue {
    void dispatchQueue;
    const d = this._create(IOUserNetworkPacketQueueKind.RxSubmission, pool, capacity, queueId);
    return new IOUserNetworkRxSubmissionQueue(pool, owner, d);
  }

  /** This thread's (or process's) object for a queue created elsewhere. */
  static Open(pool: IOUserNetworkPacketBufferPool, queueId: number): IOUserNetworkRxSubmissionQueue {
    const d = this._open(IOUserNetworkPacketQueueKind.RxSubmission, pool, queueId);
    return new IOUserNetworkRxSubmissionQueue(pool, null, d);
  }
}

/** Driver -> system: packets filled with received data (DriverKit `IOUserNetworkRxCompletionQueue`). */
export class IOUserNetworkRxCompletionQueue extends IOUserNetworkPacketQueue {
  /** Creates queue `queueId` in the pool's region; `dispatchQueue` is accepted and unused. */
  static Create(
    pool: IOUserNetworkPacketBufferPool,
    owner: unknown,
    capacity: number,
    queueId: number,
    dispatchQueue?: unknown,
  ): IOUserNetworkRxCompletionQueue {
    void dispatchQueue;
    const d = this._create(IOUserNetworkPacketQueueKind.RxCompletion, pool, capacity, queueId);
    return new IOUserNetworkRxCompletionQueue(pool, owner, d);
  }

  /** This thread's (or process's) object for a queue created elsewhere. */
  static Open(pool: IOUserNetworkPacketBufferPool, queueId: number): IOUserNetworkRxCompletionQueue {
    const d = this._open(IOUserNetworkPacketQueueKind.RxCompletion, pool, queueId);
    return new IOUserNetworkRxCompletionQueue(pool, null, d);
  }
}

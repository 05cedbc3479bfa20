/**
 * The UDP interface with real peers on loopback (a C sender/receiver, native/test/udp_peer.c):
 * every byte, length and source address checked, GSO and GRO on and off, IPv4 and IPv6, per-packet
 * destinations; every packet handed to the interface comes back exactly once, also when the
 * kernel refuses it, when the interface closes with packets in flight and when the pool is
 * released; bad arguments are refused with IOReturnError. Bounded: each peer gives up after 2 s
 * without data, each wait below after a few seconds.
 */
import { createSocket } from 'node:dgram';

import {
  getPacketAddress,
  getPacketSegmentSize,
  IOUserNetworkPacket,
  IOUserNetworkPacketBufferPool,
  IOUserNetworkRxCompletionQueue,
  IOUserNetworkRxSubmissionQueue,
  IOUserNetworkTxCompletionQueue,
  IOUserNetworkTxSubmissionQueue,
  IOUserNetworkUDPInterface,
  IOUserNetworkUDPInterfaceOptions,
  kIOReturnAborted,
  kIOReturnBadArgument,
  kIOReturnMessageTooLarge,
  kIOReturnNotAttached,
  kIOReturnNotPermitted,
  kIOReturnNotReady,
  kIOReturnNotResponding,
  setPacketAddress,
} from '../lib';
import { expectIOReturn } from './helpers/io-return';
import { makePool, releasePools } from './helpers/pool';
import { checkPatternDatagram, fillPatternDatagram, runSender, startReceiver } from './helpers/udp-peer';

jest.setTimeout(30_000);

interface Rig {
  pool: IOUserNetworkPacketBufferPool;
  txs: IOUserNetworkTxSubmissionQueue;
  txc: IOUserNetworkTxCompletionQueue;
  rxs: IOUserNetworkRxSubmissionQueue;
  rxc: IOUserNetworkRxCompletionQueue;
  iface: IOUserNetworkUDPInterface;
}

const open: IOUserNetworkUDPInterface[] = [];
afterEach(() => {
  while (open.length) open.pop()!.close();
  releasePools();
});

function rig(options: Partial<IOUserNetworkUDPInterfaceOptions> = {}, poolOptions = {}): Rig {
  const pool = makePool({ packetCount: 1024, bufferCount: 1024, bufferSize: 2048, ...poolOptions });
  const capacity = pool.getPacketCount();
  const txs = IOUserNetworkTxSubmissionQueue.Create(pool, null, capacity, 0);
  const txc = IOUserNetworkTxCompletionQueue.Create(pool, null, capacity, 1);
  const rxs = IOUserNetworkRxSubmissionQueue.Create(pool, null, capacity, 2);
  const rxc = IOUserNetworkRxCompletionQueue.Create(pool, null, capacity, 3);
  const iface = IOUserNetworkUDPInterface.Create(pool, {
    localAddress: options.type === 'udp6' ? '::1' : '127.0.0.1',
    txSubmissionQueue: txs,
    txCompletionQueue: txc,
    rxSubmissionQueue: rxs,
    rxCompletionQueue: rxc,
    ...options,
  });
  open.push(iface);
  return { pool, txs, txc, rxs, rxc, iface };
}

/** n packets in udp_peer's pattern, sequences first.., each `size` bytes. */
function patternPackets(
  pool: IOUserNetworkPacketBufferPool,
  n: number,
  size: number,
  first = 0,
): IOUserNetworkPacket[] {
  const out = pool.allocatePackets(n, []);
  expect(out.length).toBe(n);
  out.forEach((p, i) => {
    p.setDataLength(size);
    fillPatternDatagram(p.getBuffer(), p.getDataOffset(), first + i, size);
  });
  return out;
}

/** Dequeues from `q` until `n` packets came (running the interface while waiting), or 5 s. */
async function collect<T extends { DequeuePackets(out: IOUserNetworkPacket[], max?: number): number }>(
  q: T,
  n: number,
  drive: () => void = () => {},
): Promise<IOUserNetworkPacket[]> {
  const got: IOUserNetworkPacket[] = [];
  const deadline = Date.now() + 5000;
  while (got.length < n && Date.now() < deadline) {
    drive();
    const out: IOUserNetworkPacket[] = [];
    q.DequeuePackets(out);
    got.push(...out);
    if (got.length < n) await new Promise((r) => setTimeout(r, 2));
  }
  return got;
}

describe.each([
  ['GSO on', true],
  ['GSO off', false],
])('transmit to a C receiver (%s)', (_label, gso) => {
  it.each([64, 512, 1400])(
    'delivers every byte of 300 datagrams of %i bytes, each packet completed once',
    async (size) => {
      const peer = await startReceiver({ count: 300 });
      const r = rig({ gso, remoteAddress: '127.0.0.1', remotePort: peer.port, eventDriven: false });
      const packets = patternPackets(r.pool, 300, size);
      expect(r.txs.EnqueuePackets(packets)).toBe(300);
      const done = await collect(r.txc, 300, () => r.iface.transmit());
      expect(done.map((p) => p.getPacketIndex())).toEqual(packets.map((p) => p.getPacketIndex()));
      for (const p of done) expect(p.getCompletionStatus()).toBe(0);
      const report = await peer.report;
      expect(report).toEqual(expect.objectContaining({ received: 300, bad: 0, duplicates: 0, maxSequence: 299 }));
      const stats = r.iface.getStatistics();
      expect(stats.txPackets).toBe(300);
      expect(stats.gsoActive).toBe(gso);
      if (gso) expect(stats.txGsoMessages).toBeGreaterThan(0);
      else expect(stats.txGsoMessages).toBe(0);
      r.pool.deallocatePackets(done);
    },
  );
});

it('sends each packet to its own address on an unconnected interface (IPv4 and IPv6 peers)', async () => {
  const a = await startReceiver({ count: 20, host: '::1' });
  const b = await startReceiver({ count: 20, host: '127.0.0.1' });
  const r = rig({ type: 'udp6', localAddress: '::', eventDriven: false });
  const packets = patternPackets(r.pool, 40, 100);
  packets.forEach((p, i) => (i % 2 ? setPacketAddress(p, '127.0.0.1', b.port) : setPacketAddress(p, '::1', a.port)));
  r.txs.EnqueuePackets(packets);
  const done = await collect(r.txc, 40, () => r.iface.transmit());
  expect(done.length).toBe(40);
  expect(await a.report).toEqual(expect.objectContaining({ received: 20, bad: 0, duplicates: 0 }));
  expect(await b.report).toEqual(expect.objectContaining({ received: 20, bad: 0, duplicates: 0 }));
  expect(getPacketAddress(done[1])).toEqual({ family: 4, address: '127.0.0.1', port: b.port, scopeId: 0 });
  expect(getPacketAddress(done[0])).toEqual({ family: 6, address: '::1', port: a.port, scopeId: 0 });
});

describe.each([
  ['IPv4, GRO off', 'udp4', false],
  ['IPv4, GRO on', 'udp4', true],
  ['IPv6, GRO off', 'udp6', false],
])('receive from a C sender (%s)', (_label, type, gro) => {
  it('fills packets with every byte, the length, the source and a receive time', async () => {
    const r = rig(
      { type: type as 'udp4' | 'udp6', gro, receiveBufferSize: 4 << 20 },
      gro ? { packetCount: 64, bufferCount: 64, bufferSize: 65536, headroom: 0 } : {},
    );
    const empty = new Uint32Array(64);
    r.rxs.enqueuePacketIndices(empty, r.pool.allocatePacketIndices(empty));
    const host = type === 'udp6' ? '::1' : '127.0.0.1';
    const before = BigInt(Date.now()) * 1_000_000n;
    const sender = await runSender({ host, port: r.iface.getLocalAddress().port, count: 500, size: 300, gso: gro });
    expect(sender.sent).toBe(500);
    const seen = new Set<number>();
    let datagrams = 0;
    let superPackets = 0;
    const deadline = Date.now() + 5000;
    while (datagrams < 500 && Date.now() < deadline) {
      const out: IOUserNetworkPacket[] = [];
      r.rxc.DequeuePackets(out);
      for (const p of out) {
        const len = p.getDataLength();
        const seg = getPacketSegmentSize(p) || len;
        if (seg !== len) superPackets++;
        for (let at = 0; at < len; at += seg) {
          const sequence = checkPatternDatagram(p.getBuffer(), p.getDataOffset() + at, Math.min(seg, len - at));
          expect(sequence).toBeGreaterThanOrEqual(0);
          expect(seen.has(sequence)).toBe(false);
          seen.add(sequence);
          datagrams++;
        }
        expect(p.getDataOffset()).toBe(p.getHeadroom());
        expect(getPacketAddress(p)).toEqual({
          family: type === 'udp6' ? 6 : 4,
          address: host,
          port: sender.port,
          scopeId: 0,
        });
        expect(p.getTimestamp()).toBeGreaterThanOrEqual(before);
        expect(p.getCompletionStatus()).toBe(0);
      }
      r.rxs.EnqueuePackets(out); // back for more
      if (datagrams < 500) await new Promise((res) => setTimeout(res, 2));
    }
    expect(datagrams).toBe(500);
    expect(seen.size).toBe(500);
    if (gro) expect(superPackets).toBeGreaterThan(0);
    else expect(superPackets).toBe(0);
    expect(r.iface.getStatistics().rxSegments).toBe(500);
  });
});

describe('nothing is lost', () => {
  it('completes packets the kernel refuses with a status: EMSGSIZE, no address, ECONNREFUSED', async () => {
    const r = rig({ eventDriven: false }, { packetCount: 64, bufferCount: 64, bufferSize: 65536, headroom: 0 });
    const peer = await startReceiver({ count: 1 });
    const [big, none, ok] = patternPackets(r.pool, 3, 100);
    big.setDataLength(65536); // more than a UDP datagram holds
    setPacketAddress(ok, '127.0.0.1', peer.port);
    setPacketAddress(big, '127.0.0.1', peer.port);
    r.txs.EnqueuePackets([big, none, ok]);
    const done = await collect(r.txc, 3, () => r.iface.transmit());
    expect(done.map((p) => p.getCompletionStatus())).toEqual([kIOReturnMessageTooLarge, kIOReturnBadArgument, 0]);
    expect((await peer.report).received).toBe(1);

    // A connected interface to a port nobody listens on: the ICMP error fails a later send.
    const closedPort = await new Promise<number>((resolve) => {
      const s = createSocket('udp4');
      s.bind(0, '127.0.0.1', () => {
        const port = s.address().port;
        s.close(() => resolve(port));
      });
    });
    const pool2 = makePool({ packetCount: 64, bufferCount: 64, bufferSize: 2048 });
    const txs = IOUserNetworkTxSubmissionQueue.Create(pool2, null, 64, 0);
    const txc = IOUserNetworkTxCompletionQueue.Create(pool2, null, 64, 1);
    const iface = IOUserNetworkUDPInterface.Create(pool2, {
      remoteAddress: '127.0.0.1',
      remotePort: closedPort,
      txSubmissionQueue: txs,
      txCompletionQueue: txc,
      eventDriven: false,
    });
    open.push(iface);
    const statuses: number[] = [];
    for (let i = 0; i < 50 && !statuses.includes(kIOReturnNotResponding); i++) {
      txs.EnqueuePackets(patternPackets(pool2, 1, 10));
      const [p] = await collect(txc, 1, () => iface.transmit());
      statuses.push(p.getCompletionStatus());
      pool2.deallocatePacket(p);
      await new Promise((res) => setTimeout(res, 2));
    }
    expect(statuses).toContain(kIOReturnNotResponding);
    expect(iface.getStatistics().lastErrno).toBeGreaterThan(0);
  });

  it('close() with packets in flight hands every one back once, aborted', async () => {
    const r = rig({ remoteAddress: '127.0.0.1', remotePort: 9 });
    const total = r.pool.getFreePacketCount();
    const tx = patternPackets(r.pool, 100, 64);
    r.txs.EnqueuePackets(tx);
    const empty = new Uint32Array(200);
    r.rxs.enqueuePacketIndices(empty, r.pool.allocatePacketIndices(empty));
    r.iface.close();
    r.iface.close();
    expectIOReturn(() => r.iface.transmit(), kIOReturnNotAttached);
    // Nothing was sent (the interface closed before its first pass on the loop).
    const txDone = await collect(r.txc, 100);
    const rxDone = await collect(r.rxc, 200);
    expect(txDone.length).toBe(100);
    expect(rxDone.length).toBe(200);
    const indices = new Set([...txDone, ...rxDone].map((p) => p.getPacketIndex()));
    expect(indices.size).toBe(300);
    for (const p of [...txDone, ...rxDone]) expect(p.getCompletionStatus()).toBe(kIOReturnAborted);
    for (const p of rxDone) expect(p.getDataLength()).toBe(0);
    r.pool.deallocatePackets(txDone);
    r.pool.deallocatePackets(rxDone);
    expect(r.pool.getFreePacketCount()).toBe(total);
  });

  it('the pool release closes the interface; its packets are accounted for', async () => {
    const r = rig({ eventDriven: false });
    const empty = new Uint32Array(10);
    r.rxs.enqueuePacketIndices(empty, r.pool.allocatePacketIndices(empty));
    r.iface.receive(); // holds them now
    expect(r.iface.getStatistics().inFlight.rxHeld).toBe(10);
    r.pool.release();
    expectIOReturn(() => r.iface.receive(), kIOReturnNotAttached);
    expect(r.iface.isOpen()).toBe(false);
  });

  it('statistics show packets in flight per place', () => {
    const r = rig({ eventDriven: false, remoteAddress: '127.0.0.1', remotePort: 9 });
    r.txs.EnqueuePackets(patternPackets(r.pool, 7, 64));
    const empty = new Uint32Array(5);
    r.rxs.enqueuePacketIndices(empty, r.pool.allocatePacketIndices(empty));
    expect(r.iface.getStatistics().inFlight).toEqual({
      txSubmission: 7,
      txPending: 0,
      txBacklog: 0,
      txCompletion: 0,
      rxSubmission: 5,
      rxHeld: 0,
      rxBacklog: 0,
      rxCompletion: 0,
    });
    expect(r.iface.transmit()).toBe(7);
    expect(r.iface.getStatistics().inFlight.txCompletion).toBe(7);
  });
});

describe('event-driven', () => {
  it('echoes datagrams back without a copy: RX completion -> TX submission -> RX submission', async () => {
    const r = rig();
    const empty = new Uint32Array(64);
    r.rxs.enqueuePacketIndices(empty, r.pool.allocatePacketIndices(empty));
    r.rxc.setDequeueAction((q) => {
      const out: IOUserNetworkPacket[] = [];
      q.DequeuePackets(out);
      r.txs.EnqueuePackets(out); // the source address is the destination: nothing to change
    });
    r.txc.setDequeueAction((q) => {
      const out: IOUserNetworkPacket[] = [];
      q.DequeuePackets(out);
      r.rxs.EnqueuePackets(out);
    });
    const client = createSocket('udp4');
    const replies: Buffer[] = [];
    client.on('message', (m) => replies.push(m));
    await new Promise<void>((res) => client.bind(0, '127.0.0.1', () => res()));
    for (let i = 0; i < 20; i++) client.send(Buffer.from(`ping ${i}`), r.iface.getLocalAddress().port, '127.0.0.1');
    const deadline = Date.now() + 5000;
    while (replies.length < 20 && Date.now() < deadline) await new Promise((res) => setTimeout(res, 5));
    client.close();
    r.rxc.setDequeueAction(null);
    r.txc.setDequeueAction(null);
    expect(replies.map(String).sort()).toEqual(Array.from({ length: 20 }, (_, i) => `ping ${i}`).sort());
  });
});

describe('bad arguments', () => {
  it('are refused with IOReturnError naming the value', () => {
    const pool = makePool({ packetCount: 64, bufferCount: 64, bufferSize: 2048 });
    const other = makePool({ packetCount: 64, bufferCount: 64, bufferSize: 2048 }, 'other');
    const txs = IOUserNetworkTxSubmissionQueue.Create(pool, null, 64, 0);
    const txc = IOUserNetworkTxCompletionQueue.Create(pool, null, 64, 1);
    const otherTxc = IOUserNetworkTxCompletionQueue.Create(other, null, 64, 1);
    const rxs = IOUserNetworkRxSubmissionQueue.Create(pool, null, 64, 2);
    const create = (o: object, p: unknown = pool) =>
      IOUserNetworkUDPInterface.Create(p as IOUserNetworkPacketBufferPool, o as IOUserNetworkUDPInterfaceOptions);
    expectIOReturn(() => create({ txSubmissionQueue: txs, txCompletionQueue: txc }, {}), kIOReturnBadArgument, /pool/);
    expectIOReturn(() => create({}), kIOReturnBadArgument, /txSubmission/);
    expectIOReturn(() => create({ txSubmissionQueue: txs }), kIOReturnBadArgument, /txCompletion/);
    expectIOReturn(
      () => create({ txSubmissionQueue: txs, txCompletionQueue: otherTxc }),
      kIOReturnBadArgument,
      /another pool/,
    );
    expectIOReturn(
      () => create({ txSubmissionQueue: txc, txCompletionQueue: txc }),
      kIOReturnBadArgument,
      /txSubmissionQueue/,
    );
    expectIOReturn(() => create({ rxSubmissionQueue: rxs }), kIOReturnBadArgument, /rxCompletion/);
    expectIOReturn(
      () => create({ txSubmissionQueue: txs, txCompleteToPool: true, localPort: 70000 }),
      kIOReturnBadArgument,
      /70000/,
    );
    expectIOReturn(
      () => create({ txSubmissionQueue: txs, txCompleteToPool: true, type: 'tcp' }),
      kIOReturnBadArgument,
      /tcp/,
    );
    expectIOReturn(
      () => create({ txSubmissionQueue: txs, txCompleteToPool: true, localAddress: 'not-an-ip' }),
      kIOReturnBadArgument,
      /not-an-ip/,
    );
    expectIOReturn(
      () => create({ txSubmissionQueue: txs, txCompleteToPool: true, maxSegments: 0 }),
      kIOReturnBadArgument,
      /maxSegments/,
    );
    const rxc = IOUserNetworkRxCompletionQueue.Create(pool, null, 64, 3);
    expectIOReturn(
      () => create({ rxSubmissionQueue: rxs, rxCompletionQueue: rxc, gro: true }),
      kIOReturnBadArgument,
      /65507/,
    );
    expectIOReturn(() => setPacketAddress(pool.allocatePacket()!, '1.2.3', 9), kIOReturnBadArgument, /1\.2\.3/);
  });

  it('a port in use fails with the errno', () => {
    const r = rig({ eventDriven: false });
    const pool = makePool({ packetCount: 64, bufferCount: 64, bufferSize: 2048 }, 'second');
    const txs = IOUserNetworkTxSubmissionQueue.Create(pool, null, 64, 0);
    const err = expectIOReturn(
      () =>
        IOUserNetworkUDPInterface.Create(pool, {
          localAddress: '127.0.0.1',
          localPort: r.iface.getLocalAddress().port,
          txSubmissionQueue: txs,
          txCompleteToPool: true,
        }),
      kIOReturnNotPermitted,
      /EADDRINUSE|in use/i,
    );
    expect((err as unknown as { errno: number }).errno).toBe(98); // EADDRINUSE on Linux
  });
});

describe('completion action', () => {
  it('runs on this thread after the interface completed packets, with the counts', async () => {
    const peer = await startReceiver({ count: 50 });
    const r = rig({ remoteAddress: '127.0.0.1', remotePort: peer.port });
    const calls: [number, number][] = [];
    r.iface.setCompletionAction((tx, rx) => calls.push([tx, rx]));
    r.txs.EnqueuePackets(patternPackets(r.pool, 50, 64));
    const deadline = Date.now() + 5000;
    while (calls.reduce((a, [tx]) => a + tx, 0) < 50 && Date.now() < deadline)
      await new Promise((res) => setTimeout(res, 5));
    expect(calls.reduce((a, [tx]) => a + tx, 0)).toBe(50);
    expect(r.txc.getCount()).toBe(50);
    expect((await peer.report).received).toBe(50);
    r.iface.setCompletionAction(null);
    expectIOReturn(() => r.iface.setCompletionAction(42 as unknown as null), kIOReturnBadArgument, /42/);
    const manual = rig({ eventDriven: false }, { packetCount: 64, bufferCount: 64, bufferSize: 2048 });
    expectIOReturn(() => manual.iface.setCompletionAction(() => {}), kIOReturnNotReady);
  });
});

describe('event-loop wake-ups', () => {
  // Node allocates on the JS heap in every event-loop iteration, so wake-ups per packet set the
  // receiving thread's GCs: the action's own hand-backs must not cost a wake-up of their own.
  async function until(what: () => boolean): Promise<void> {
    const deadline = Date.now() + 5000;
    while (!what() && Date.now() < deadline) await new Promise((res) => setTimeout(res, 2));
  }

  it('takes what the completion action hands back without another wake-up', async () => {
    const r = rig();
    let received = 0;
    const out = new Uint32Array(64);
    r.iface.setCompletionAction(() => {
      const got = r.rxc.dequeuePacketIndices(out);
      received += got;
      expect(r.rxs.enqueuePacketIndices(out, got)).toBe(got); // refilled: a producer seeing no waiter
    });
    const empty = new Uint32Array(16);
    r.rxs.enqueuePacketIndices(empty, r.pool.allocatePacketIndices(empty));
    const sender = createSocket('udp4');
    const port = r.iface.getLocalAddress().port;
    try {
      sender.send(Buffer.alloc(32), port, '127.0.0.1');
      await until(() => received === 1);
      const before = r.iface.getStatistics().eventLoop;
      for (let i = 2; i <= 40; i++) {
        sender.send(Buffer.alloc(32, i), port, '127.0.0.1');
        await until(() => received === i); // one datagram per wake-up
      }
      expect(received).toBe(40);
      const after = r.iface.getStatistics().eventLoop;
      expect(after.actionCalls - before.actionCalls).toBe(39);
      expect(after.pollWakeups - before.pollWakeups).toBeGreaterThanOrEqual(39);
      expect(after.asyncWakeups - before.asyncWakeups).toBe(0);
      expect(r.iface.getStatistics().inFlight.rxSubmission + r.iface.getStatistics().inFlight.rxHeld).toBe(16);
    } finally {
      sender.close();
    }
  });

  it('sends what the completion action submits while the loop is not listening', async () => {
    const peer = await startReceiver({ count: 3 });
    const r = rig(); // not connected: replies carry the peer's address
    let replies = 0;
    const out = new Uint32Array(8);
    r.iface.setCompletionAction((_tx, rx) => {
      if (rx === 0) return;
      const got = r.rxc.dequeuePacketIndices(out);
      r.pool.deallocatePacketIndices(out, got);
      const reply = patternPackets(r.pool, 1, 100, replies++);
      setPacketAddress(reply[0], '127.0.0.1', peer.port);
      expect(r.txs.EnqueuePackets(reply)).toBe(1); // no wake-up call: the loop looks after the action
    });
    const empty = new Uint32Array(4);
    r.rxs.enqueuePacketIndices(empty, r.pool.allocatePacketIndices(empty));
    const sender = createSocket('udp4');
    try {
      const port = r.iface.getLocalAddress().port;
      sender.send(Buffer.alloc(16), port, '127.0.0.1');
      await until(() => replies === 1 && r.txc.getCount() === 1);
      const before = r.iface.getStatistics().eventLoop;
      for (let i = 1; i < 3; i++) {
        sender.send(Buffer.alloc(16), port, '127.0.0.1');
        await until(() => replies === i + 1);
      }
      await until(() => r.txc.getCount() === 3);
      expect(r.txc.getCount()).toBe(3);
      expect((await peer.report).received).toBe(3);
      expect(r.iface.getStatistics().eventLoop.asyncWakeups - before.asyncWakeups).toBe(0);
    } finally {
      sender.close();
    }
  });
});

describe('receive coalescing', () => {
  it('takes datagrams that keep arriving in one wake-up per interval', async () => {
    const r = rig({ coalesceMicroseconds: 100_000 });
    let received = 0;
    const out = new Uint32Array(64);
    r.iface.setCompletionAction(() => {
      const got = r.rxc.dequeuePacketIndices(out);
      received += got;
      r.rxs.enqueuePacketIndices(out, got);
    });
    const empty = new Uint32Array(32);
    r.rxs.enqueuePacketIndices(empty, r.pool.allocatePacketIndices(empty));
    const sender = createSocket('udp4');
    const port = r.iface.getLocalAddress().port;
    const deadline = Date.now() + 5000;
    try {
      sender.send(Buffer.alloc(8), port, '127.0.0.1');
      while (received < 1 && Date.now() < deadline) await new Promise((res) => setTimeout(res, 1));
      expect(received).toBe(1); // after a quiet spell: at once, then an interval starts
      const before = r.iface.getStatistics().eventLoop;
      for (let i = 0; i < 10; i++) {
        sender.send(Buffer.alloc(8), port, '127.0.0.1');
        await new Promise((res) => setTimeout(res, 1));
      }
      while (received < 11 && Date.now() < deadline) await new Promise((res) => setTimeout(res, 5));
      expect(received).toBe(11);
      const after = r.iface.getStatistics().eventLoop;
      expect(after.coalesceWakeups - before.coalesceWakeups).toBeGreaterThanOrEqual(1);
      expect(after.actionCalls - before.actionCalls).toBeLessThanOrEqual(3); // not one per datagram
    } finally {
      sender.close();
    }
  });

  it('refuses an interval that is not an integer 0..100000', () => {
    for (const bad of [-1, 1.5, 100_001, '10']) {
      expectIOReturn(
        () => rig({ coalesceMicroseconds: bad as number }),
        kIOReturnBadArgument,
        /coalesceMicroseconds must be an integer 0\.\.100000/,
      );
    }
  });
});

/**
 * Debug mode (the `debug` option): distinct handles with generations, stale uses and frees refused
 * with the packet, its owner now and where it was freed; poisoned freed buffers catching a
 * Buffer kept past the free; the getInUsePackets() leak report; the environment variable; and
 * a normal pool that behaves as before (one object per slot, nothing poisoned).
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';

import {
  IOUserNetworkPacket,
  IOUserNetworkPacketBufferPool,
  kIOReturnBadArgument,
  kIOReturnNotPermitted,
} from '../lib';
import { expectIOReturn } from './helpers/io-return';
import { makePool, releasePools } from './helpers/pool';

afterEach(releasePools);

const debugPool = (extra = {}): IOUserNetworkPacketBufferPool => makePool({ debug: true, ...extra }, 'dbg');

/**
 * The line of this file that carries the comment `// freed: <name>`: where a test frees the packet
 * whose later misuse must name that line. Found, not written down, so reformatting or editing
 * the file cannot leave a stale number behind.
 */
function freedAtLine(name: string): number {
  const lines = fs.readFileSync(__filename, 'utf8').split('\n');
  const at = lines.flatMap((line, i) => (line.trimEnd().endsWith(`// freed: ${name}`) ? [i + 1] : []));
  if (at.length !== 1) throw new Error(`"// freed: ${name}" is on ${at.length} lines of ${__filename}`);
  return at[0];
}

describe('stale handles', () => {
  it('a second free through a stale handle is refused and the innocent owner keeps its packet', () => {
    const pool = debugPool({ cacheSize: 2, packetCount: 4, bufferCount: 4 });
    const p = pool.allocatePacket()!;
    pool.deallocatePacket(p); // freed: stale-free
    const q = pool.allocatePacket()!;
    expect(q.getPacketIndex()).toBe(p.getPacketIndex()); // the same slot, reused at once...
    expect(q).not.toBe(p); // ...but a distinct handle

    const err = expectIOReturn(() => pool.deallocatePacket(p), kIOReturnNotPermitted);
    const index = p.getPacketIndex();
    expect(err.message).toContain(
      `stale packet ${index} (generation 1) deallocated again: the packet is held by this thread now as generation 2`,
    );
    const line = freedAtLine('stale-free');
    expect(err.message).toMatch(
      new RegExp(`generation 1 was deallocated at\n\\s+at .*debug-mode\\.test\\.ts:${line}:`),
    );

    // q is untouched: still allocated, its owner's free works.
    q.setDataLength(8);
    pool.deallocatePacket(q);
    expect(pool.getStatistics()).toMatchObject({ allocations: 2, deallocations: 2, inUse: 0 });
  });

  it('any use of a stale handle is refused, also once the slot is free', () => {
    const pool = debugPool();
    const p = pool.allocatePacket()!;
    pool.deallocatePacket(p);
    for (const use of [
      () => p.getDataLength(),
      () => p.setDataLength(1),
      () => p.getBuffer(),
      () => p.handOver(),
      () => p.prepend(0),
    ]) {
      expectIOReturn(
        use,
        kIOReturnNotPermitted,
        `stale packet ${p.getPacketIndex()} (generation 1) used: the packet is free now`,
      );
    }
    // The index is a plain number: still readable.
    expect(typeof p.getPacketIndex()).toBe('number');
  });

  it('batch frees through stale handles are refused before anything is freed', () => {
    const pool = debugPool({ cacheSize: 0 });
    const [a, b] = pool.allocatePackets(2);
    pool.deallocatePacket(a);
    const again = pool.allocatePacket()!;
    expectIOReturn(() => pool.deallocatePackets([b, a]), kIOReturnNotPermitted, 'deallocated again (packets[1])');
    expect(pool.getStatistics()).toMatchObject({ inUse: 2 });
    pool.deallocatePackets([b, again]);
    expect(pool.getStatistics()).toMatchObject({ inUse: 0 });
  });

  it('newPacket of a packet this thread holds returns its live handle', () => {
    const pool = debugPool();
    const p = pool.allocatePacket()!;
    expect(pool.newPacket({ fPacketIndex: p.getPacketIndex() })).toBe(p);
  });
});

describe('poisoned buffers', () => {
  it('freed buffers read as the poison byte', () => {
    const pool = debugPool({ cacheSize: 2, packetCount: 4, bufferCount: 4 });
    const p = pool.allocatePacket()!;
    const kept = p.getBuffer();
    kept.fill(0x41);
    pool.deallocatePacket(p);
    expect(kept.every((b) => b === 0x6b)).toBe(true);
  });

  it('a Buffer kept past the free and written to is caught at the next allocation, naming the byte and the free', () => {
    const pool = debugPool({ cacheSize: 2, packetCount: 4, bufferCount: 4 });
    const p = pool.allocatePacket()!;
    const kept = p.getBuffer();
    pool.deallocatePacket(p); // freed: kept-buffer
    kept[12] = 0x41; // a write through the stale Buffer

    const err = expectIOReturn(() => pool.allocatePacket(), kIOReturnNotPermitted);
    expect(err.message).toContain(`packet ${p.getPacketIndex()}'s buffer was written after it was freed`);
    expect(err.message).toContain('byte 12 reads 0x41, not the poison 0x6b');
    const line = freedAtLine('kept-buffer');
    expect(err.message).toMatch(new RegExp(`was deallocated at\n\\s+at .*debug-mode\\.test\\.ts:${line}:`));
    // The refusal leaks nothing and the next allocation is clean.
    expect(pool.getStatistics()).toMatchObject({ inUse: 0 });
    const q = pool.allocatePacket()!;
    expect(q).toBeInstanceOf(IOUserNetworkPacket);
    pool.deallocatePacket(q);
  });

  it('the index batch calls poison and check too', () => {
    const pool = debugPool({ cacheSize: 2, packetCount: 4, bufferCount: 4 });
    const out = new Uint32Array(1);
    expect(pool.allocatePacketIndices(out)).toBe(1);
    const kept = pool.newPacket({ fPacketIndex: out[0] }).getBuffer();
    pool.deallocatePacketIndices(out);
    expect(kept[0]).toBe(0x6b);
    kept[100] = 1;
    expectIOReturn(() => pool.allocatePacketIndices(out), kIOReturnNotPermitted, 'byte 100 reads 0x1');
  });
});

describe('getInUsePackets', () => {
  it('lists every held packet with owner, published state and, in debug mode, age and allocation site', () => {
    const pool = debugPool();
    const a = pool.allocatePacket()!;
    const b = pool.allocatePacket()!;
    b.handOver();
    const c = pool.allocatePacket()!;
    pool.deallocatePacket(c);
    const report = pool.getInUsePackets();
    expect(report.map((e) => e.index).sort()).toEqual([a.getPacketIndex(), b.getPacketIndex()].sort());
    const byIndex = new Map(report.map((e) => [e.index, e]));
    expect(byIndex.get(a.getPacketIndex())).toMatchObject({ owner: 'this thread', published: false });
    expect(byIndex.get(b.getPacketIndex())).toMatchObject({ owner: 'this thread', published: true });
    for (const e of report) {
      expect(e.ageMs).toBeGreaterThanOrEqual(0);
      expect(e.allocatedAt).toMatch(/debug-mode\.test\.ts:\d+/);
      expect(e.ownerTag).toBeGreaterThan(0);
    }
  });

  it('works without debug mode too, without ages', () => {
    const pool = makePool();
    const a = pool.allocatePacket()!;
    expect(pool.getInUsePackets()).toEqual([
      { index: a.getPacketIndex(), owner: 'this thread', ownerTag: expect.any(Number), published: false },
    ]);
  });
});

describe('switching it on', () => {
  it('is off by default: one object per slot, nothing poisoned, a stale free frees the new owner (the behaviour debug mode exists for)', () => {
    const pool = makePool({ cacheSize: 2, packetCount: 4, bufferCount: 4 });
    expect(pool.isDebug()).toBe(false);
    const p = pool.allocatePacket()!;
    const kept = p.getBuffer();
    kept.fill(0x41);
    pool.deallocatePacket(p);
    expect(kept[0]).toBe(0x41);
    const q = pool.allocatePacket()!;
    expect(q).toBe(p);
  });

  it('debug must be a boolean', () => {
    expectIOReturn(() => makePool({ debug: 1 as never }), kIOReturnBadArgument, 'debug must be a boolean, got 1');
  });

  it('handles carry it to attachments', () => {
    const pool = debugPool();
    expect(pool.isDebug()).toBe(true);
    const handle = pool.createHandle();
    expect(handle.debug).toBe(true);
    const attached = IOUserNetworkPacketBufferPool.attach(handle);
    try {
      expect(attached.isDebug()).toBe(true);
    } finally {
      attached.release();
    }
  });

  it('PACKET_BUFFER_POOL_DEBUG=1 turns it on without code changes; debug: false still wins', () => {
    const script = `
      const { IOUserNetworkPacketBufferPool } = require(${JSON.stringify(path.join(__dirname, '..'))});
      const o = { packetCount: 8, bufferCount: 8, bufferSize: 64 };
      const on = IOUserNetworkPacketBufferPool.CreateWithOptions(null, 'env', o);
      const off = IOUserNetworkPacketBufferPool.CreateWithOptions(null, 'env-off', { ...o, debug: false });
      const p = on.allocatePacket();
      on.deallocatePacket(p);
      on.allocatePacket();
      let refused = 'no';
      try { on.deallocatePacket(p); } catch (e) { refused = e.code; }
      console.log(JSON.stringify({ on: on.isDebug(), off: off.isDebug(), refused }));
    `;
    const out = execFileSync(process.execPath, ['-e', script], {
      env: { ...process.env, PACKET_BUFFER_POOL_DEBUG: '1' },
      encoding: 'utf8',
    });
    expect(JSON.parse(out)).toEqual({ on: true, off: false, refused: 'kIOReturnNotPermitted' });
  });
});

/**
 * Creating, initialising and releasing pools: the DriverKit factories (Create, CreateWithOptions,
 * withName, initWithName), the sizes and identity getters, release/free/dispose, and the rule that
 * a released pool answers kIOReturnNotAttached to everything.
 */
import { execFileSync } from 'node:child_process';
import * as path from 'node:path';

import {
  IONetworkPacketType,
  IOUserNetworkPacket,
  IOUserNetworkPacketBufferPool,
  kIOReturnNotAttached,
  kIOReturnNotPermitted,
  kIOReturnNotReady,
  kIOReturnUnsupported,
  kIOUserNetworkNonBlocking,
  PoolFlagMapToDevice,
  PoolFlagMapToDext,
  PoolFlagSingleMemorySegment,
} from '../lib';
import { binding } from '../lib/native';
import * as layout from '../lib/layout';
import { expectIOReturn } from './helpers/io-return';
import { baseOptions, makePool, releasePools } from './helpers/pool';

afterEach(releasePools);

describe('Create / CreateWithOptions', () => {
  it('Create builds a pool with the given sizes and owner', () => {
    const owner = { kind: 'driver' };
    const pool = IOUserNetworkPacketBufferPool.Create(owner, 'tx', 32, 48, 512);
    try {
      expect(pool.getName()).toBe('tx');
      expect(pool.GetPacketCount()).toBe(32);
      expect(pool.GetBufferCount()).toBe(48);
      expect(pool.getBufferSize()).toBe(512);
      expect(pool.getPoolOwnerDevice()).toBe(owner);
      expect(pool.getFreePacketCount()).toBe(32);
    } finally {
      pool.release();
    }
  });

  it('CreateWithOptions takes the full DriverKit options struct', () => {
    const device = { name: 'en0' };
    const pool = IOUserNetworkPacketBufferPool.CreateWithOptions(device, 'rx', {
      packetCount: 1024,
      bufferCount: 1024,
      bufferSize: 2048,
      maxBuffersPerPacket: 1,
      memorySegmentSize: 0,
      poolFlags: PoolFlagSingleMemorySegment | PoolFlagMapToDext | PoolFlagMapToDevice,
      dmaSpecification: { options: 0, maxAddressBits: 64 },
    });
    try {
      expect(pool.getName()).toBe('rx');
      expect(pool.getPacketCount()).toBe(1024);
      expect(pool.getBufferCount()).toBe(1024);
      expect(pool.getBufferSize()).toBe(2048);
      expect(pool.getPoolOwnerDevice()).toBe(device);
      expect(pool.getFreePacketCount()).toBe(1024);
    } finally {
      pool.release();
    }
  });

  it('lower-case size getters agree with the deprecated capitalised ones', () => {
    const pool = makePool({ packetCount: 10, bufferCount: 17 });
    expect(pool.getPacketCount()).toBe(pool.GetPacketCount());
    expect(pool.getBufferCount()).toBe(pool.GetBufferCount());
    expect(pool.GetBufferCount()).toBe(17);
  });

  it('keeps names with multi-byte characters intact, up to 1023 bytes', () => {
    expect(makePool({}, 'rx-ünïcödé-€').getName()).toBe('rx-ünïcödé-€');
    const longest = 'é'.repeat(511) + 'x'; // 1022 + 1 bytes
    expect(Buffer.byteLength(longest)).toBe(1023);
    expect(makePool({}, longest).getName()).toBe(longest);
  });

  it('pools are independent of each other', () => {
    const a = makePool({ packetCount: 8, bufferCount: 8 }, 'a');
    const b = makePool({ packetCount: 8, bufferCount: 8 }, 'b');
    const held = a.allocatePackets(5);
    expect(held).toHaveLength(5);
    expect(a.getFreePacketCount()).toBe(3);
    expect(b.getFreePacketCount()).toBe(8);
    expect(b.getStatistics().allocations).toBe(0);
  });
});

describe('withName / initWithName / init', () => {
  it('withName returns a working pool', () => {
    const owner = {};
    const pool = IOUserNetworkPacketBufferPool.withName('wn', owner, IONetworkPacketType.Network, baseOptions);
    expect(pool).not.toBeNull();
    try {
      expect(pool!.getName()).toBe('wn');
      expect(pool!.getPoolOwnerDevice()).toBe(owner);
      expect(pool!.allocatePacket()).toBeInstanceOf(IOUserNetworkPacket);
    } finally {
      pool!.release();
    }
  });

  it.each([
    ['packetCount 0', 'p', IONetworkPacketType.Network, { ...baseOptions, packetCount: 0 }],
    ['bufferCount < packetCount', 'p', IONetworkPacketType.Network, { ...baseOptions, bufferCount: 1 }],
    ['a name over 1023 bytes', 'n'.repeat(1024), IONetworkPacketType.Network, baseOptions],
    ['a packet type other than Network', 'p', 2 as IONetworkPacketType, baseOptions],
    ['options that are not an object', 'p', IONetworkPacketType.Network, null as never],
  ])('withName returns null for %s', (_label, name, type, options) => {
    expect(IOUserNetworkPacketBufferPool.withName(name, null, type, options)).toBeNull();
  });

  it('initWithName initialises a pool made with new, once', () => {
    const pool = new IOUserNetworkPacketBufferPool();
    try {
      expect(pool.init()).toBe(true);
      expect(pool.initWithName('first', 'owner', IONetworkPacketType.Network, baseOptions)).toBe(true);
      expect(pool.getName()).toBe('first');
      expect(pool.getPoolOwnerDevice()).toBe('owner');
      // A second initialisation is refused and changes nothing.
      expect(pool.initWithName('second', null, IONetworkPacketType.Network, baseOptions)).toBe(false);
      expect(pool.getName()).toBe('first');
      expect(pool.getFreePacketCount()).toBe(baseOptions.packetCount);
    } finally {
      pool.release();
    }
  });

  it('a failed initWithName leaves the object uninitialised and retryable', () => {
    const pool = new IOUserNetworkPacketBufferPool();
    try {
      expect(pool.initWithName('bad', null, IONetworkPacketType.Network, { ...baseOptions, bufferSize: 0 })).toBe(
        false,
      );
      expect(pool.initWithName('bad', null, 7 as IONetworkPacketType, baseOptions)).toBe(false);
      expectIOReturn(() => pool.getName(), kIOReturnNotReady);
      expect(pool.initWithName('good', null, IONetworkPacketType.Network, baseOptions)).toBe(true);
      expect(pool.getName()).toBe('good');
    } finally {
      pool.release();
    }
  });

  it('an uninitialised pool answers kIOReturnNotReady', () => {
    const pool = new IOUserNetworkPacketBufferPool();
    expectIOReturn(() => pool.GetPacketCount(), kIOReturnNotReady);
    expectIOReturn(() => pool.allocatePacket(), kIOReturnNotReady);
    expectIOReturn(() => pool.CopyMemoryDescriptor(), kIOReturnNotReady);
  });

  it('init() is false once the pool is released, and initWithName cannot revive it', () => {
    const pool = makePool();
    expect(pool.init()).toBe(true);
    pool.release();
    expect(pool.init()).toBe(false);
    expect(pool.initWithName('again', null, IONetworkPacketType.Network, baseOptions)).toBe(false);
  });
});

describe('release / free / Symbol.dispose', () => {
  it('release is idempotent', () => {
    const pool = makePool();
    pool.release();
    expect(() => pool.release()).not.toThrow();
    expectIOReturn(() => pool.getName(), kIOReturnNotAttached, 'test-pool');
  });

  it('free() releases the pool', () => {
    const pool = makePool();
    pool.free();
    expect(pool.init()).toBe(false);
    expectIOReturn(() => pool.getFreePacketCount(), kIOReturnNotAttached);
  });

  // Jest runs tests in a separate realm whose Symbol has no `dispose` (Node 20 adds it to the
  // main realm only), so `using` cannot run in here: check the real Symbol.dispose in plain Node,
  // against the compiled package (dist/, built by `npm run build:ts`).
  it('Symbol.dispose releases the pool and the memory descriptor (plain Node)', () => {
    const script = `
      const { IOUserNetworkPacketBufferPool } = require(${JSON.stringify(path.join(__dirname, '..'))});
      const pool = IOUserNetworkPacketBufferPool.Create(null, 'scoped', 8, 8, 64);
      const md = pool.CopyMemoryDescriptor();
      const map = md.createMapping();
      pool[Symbol.dispose]();
      md[Symbol.dispose]();
      let code = 'none';
      try { pool.getName(); } catch (e) { code = e.code; }
      process.stdout.write(JSON.stringify({ init: pool.init(), code, mapLength: map.getBuffer().length }));
    `;
    const out = execFileSync(process.execPath, ['-e', script], { encoding: 'utf8', timeout: 30_000 });
    expect(JSON.parse(out)).toEqual({ init: false, code: 'kIOReturnNotAttached', mapLength: 0 });
  });

  it('release with packets still out: their Buffer views read as empty', () => {
    const pool = makePool();
    const packet = pool.allocatePacket()!;
    const buffer = packet.getBuffer();
    buffer[0] = 1;
    expect(buffer.length).toBe(baseOptions.bufferSize);
    pool.release();
    expect(buffer.length).toBe(0);
    expect(buffer[0]).toBeUndefined();
  });
});

describe('use after release: kIOReturnNotAttached everywhere', () => {
  // Each mode: the pool's own hot path (JS cache) and the uncached path that calls the core.
  describe.each([
    ['default cache', {}],
    ['cacheSize 0', { cacheSize: 0 }],
  ])('%s', (_label, overrides) => {
    let pool: IOUserNetworkPacketBufferPool;
    let held: IOUserNetworkPacket;
    let wasFree: IOUserNetworkPacket;

    beforeEach(() => {
      pool = makePool(overrides);
      held = pool.allocatePacket()!;
      wasFree = pool.allocatePacket()!;
      pool.deallocatePacket(wasFree);
      pool.release();
    });

    const poolCalls: [string, (p: IOUserNetworkPacketBufferPool, pkt: IOUserNetworkPacket) => unknown][] = [
      ['GetBufferCount', (p) => p.GetBufferCount()],
      ['GetPacketCount', (p) => p.GetPacketCount()],
      ['getBufferCount', (p) => p.getBufferCount()],
      ['getPacketCount', (p) => p.getPacketCount()],
      ['getBufferSize', (p) => p.getBufferSize()],
      ['getName', (p) => p.getName()],
      ['getPoolOwnerDevice', (p) => p.getPoolOwnerDevice()],
      ['getFreePacketCount', (p) => p.getFreePacketCount()],
      ['getStatistics', (p) => p.getStatistics()],
      ['allocatePacket', (p) => p.allocatePacket()],
      ['allocatePacket(kIOUserNetworkNonBlocking)', (p) => p.allocatePacket(kIOUserNetworkNonBlocking)],
      ['allocatePackets', (p) => p.allocatePackets(1)],
      ['allocatePacketIndices', (p) => p.allocatePacketIndices(new Uint32Array(1))],
      ['deallocatePacket', (p, pkt) => p.deallocatePacket(pkt)],
      ['DeallocatePacket', (p, pkt) => p.DeallocatePacket(pkt)],
      ['deallocatePackets', (p, pkt) => p.deallocatePackets([pkt])],
      ['DeallocatePackets', (p, pkt) => p.DeallocatePackets([pkt], 1)],
      ['deallocatePackets(Uint32Array)', (p, pkt) => p.deallocatePackets(Uint32Array.of(pkt.getPacketIndex()))],
      ['deallocatePacketIndices', (p, pkt) => p.deallocatePacketIndices(Uint32Array.of(pkt.getPacketIndex()))],
      ['publishPacketIndices', (p, pkt) => p.publishPacketIndices(Uint32Array.of(pkt.getPacketIndex()))],
      ['newPacket', (p, pkt) => p.newPacket({ fPacketIndex: pkt.getPacketIndex() })],
      ['flush', (p) => p.flush()],
      ['CopyMemoryDescriptor', (p) => p.CopyMemoryDescriptor()],
      ['createHandle', (p) => p.createHandle()],
      ['reclaimPackets', (p) => p.reclaimPackets()],
    ];
    it.each(poolCalls)('pool.%s', (_name, call) => {
      expectIOReturn(() => call(pool, held), kIOReturnNotAttached);
    });

    const packetCalls: [string, (pkt: IOUserNetworkPacket) => unknown][] = [
      ['getDataLength', (p) => p.getDataLength()],
      ['setDataLength', (p) => p.setDataLength(1)],
      ['getDataOffset', (p) => p.getDataOffset()],
      ['setDataOffset', (p) => p.setDataOffset(1)],
      ['setDataOffsetAndLength', (p) => p.setDataOffsetAndLength(0, 1)],
      ['getDataOff', (p) => p.getDataOff()],
      ['setDataOff', (p) => p.setDataOff(0)],
      ['setDataOffAndLen', (p) => p.setDataOffAndLen(0, 1)],
      ['getHeadroom', (p) => p.getHeadroom()],
      ['setHeadroom', (p) => p.setHeadroom(1)],
      ['getLinkHeaderLength', (p) => p.getLinkHeaderLength()],
      ['setLinkHeaderLength', (p) => p.setLinkHeaderLength(1)],
      ['getMemorySegmentOffset', (p) => p.getMemorySegmentOffset()],
      ['getDataVirtualAddress', (p) => p.getDataVirtualAddress()],
      ['getDataIOVirtualAddress', (p) => p.getDataIOVirtualAddress()],
      ['getBuffer', (p) => p.getBuffer()],
      ['getData', (p) => p.getData()],
      ['getBufferCount', (p) => p.getBufferCount()],
      ['addBuffer', (p) => p.addBuffer()],
      ['getBufferAt', (p) => p.getBufferAt(0)],
      ['getDirection', (p) => p.getDirection()],
      ['setDirection', (p) => p.setDirection(1)],
      ['getTimestamp', (p) => p.getTimestamp()],
      ['setTimestamp', (p) => p.setTimestamp(1n)],
      ['clearTimestamp', (p) => p.clearTimestamp()],
      ['getTraceID', (p) => p.getTraceID()],
      ['setCompletionStatus', (p) => p.setCompletionStatus(0)],
      ['getVlanTag', (p) => p.getVlanTag()],
      ['setVlanTag', (p) => p.setVlanTag(1)],
      ['isLinkBroadcast', (p) => p.isLinkBroadcast()],
      ['isLinkMulticast', (p) => p.isLinkMulticast()],
      ['setIsLinkMulticast', (p) => p.setIsLinkMulticast(true)],
      ['getRxChecksumInfo', (p) => p.getRxChecksumInfo()],
      ['setRxChecksumInfo', (p) => p.setRxChecksumInfo(1, 2)],
      ['getServiceClass', (p) => p.getServiceClass()],
      ['GetDataLength', (p) => p.GetDataLength()],
      ['SetDataLength', (p) => p.SetDataLength(1)],
      ['GetMemorySegmentOffset', (p) => p.GetMemorySegmentOffset()],
    ];
    it.each(packetCalls)('packet.%s on a packet held at release', (_name, call) => {
      expectIOReturn(() => call(held), kIOReturnNotAttached);
    });
    it.each(packetCalls)('packet.%s on a packet that was free at release', (_name, call) => {
      expectIOReturn(() => call(wasFree), kIOReturnNotAttached);
    });

    it('identity getters still answer (they touch no memory)', () => {
      expect(held.getPacketIndex()).toBeGreaterThanOrEqual(0);
      expect(held.getPacketBufferPool()).toBe(pool);
    });
  });
});

describe('native addon', () => {
  // The C++ constants and lib/layout.ts are both generated from native/core/layout.json; the JS
  // hot path reads the region with these indices, so a binary built from another table would
  // read the wrong fields.
  it('the layout constants compiled into the addon equal lib/layout.ts', () => {
    expect(binding.layout).toEqual(layout.expectedNativeLayout);
    // and the enums the hot path inlines are the values that table carries
    expect(layout.expectedNativeLayout['meta.Words']).toBe(layout.Meta.Words);
    expect(layout.expectedNativeLayout['meta.VlanTag']).toBe(layout.Meta.VlanTag);
    expect(layout.expectedNativeLayout['slot.CacheU32']).toBe(layout.Slot.CacheU32);
    expect(layout.expectedNativeLayout['ioReturn.NotPermitted']).toBe(kIOReturnNotPermitted);
  });

  it('checkLayout refuses an addon whose layout differs, lacks a value or has one more', () => {
    expect(() => layout.checkLayout(binding.layout)).not.toThrow();
    expectIOReturn(
      () => layout.checkLayout({ ...binding.layout, 'meta.VlanTag': layout.Meta.VlanTag + 1 }),
      kIOReturnUnsupported,
      'meta.VlanTag',
    );
    const { ['slot.CacheU32']: _dropped, ...missing } = binding.layout;
    expect(_dropped).toBe(layout.Slot.CacheU32);
    expectIOReturn(() => layout.checkLayout(missing), kIOReturnUnsupported, 'slot.CacheU32');
    expectIOReturn(
      () => layout.checkLayout({ ...binding.layout, 'meta.Extra': 16 }),
      kIOReturnUnsupported,
      'meta.Extra',
    );
  });
});

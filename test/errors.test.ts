/**
 * IOReturn codes and IOReturnError: the real IOKit values, the error object's shape (also for
 * errors raised inside the addon), every bad creation option with its code, and
 * deallocating something that is not an allocated packet of this pool. After each refusal the
 * pool is still consistent: every packet can still be handed out exactly once.
 */
import {
  IOReturnError,
  ioReturnName,
  IOUserNetworkPacket,
  IOUserNetworkPacketBufferPool,
  IOUserNetworkPacketBufferPoolOptions,
  kIOReturnAborted,
  kIOReturnBadArgument,
  kIOReturnError,
  kIOReturnNoMemory,
  kIOReturnNoResources,
  kIOReturnNotAttached,
  kIOReturnNotFound,
  kIOReturnIOError,
  kIOReturnOffline,
  kIOReturnMessageTooLarge,
  kIOReturnNotResponding,
  kIOReturnNotPermitted,
  kIOReturnNotReady,
  kIOReturnOverrun,
  kIOReturnSuccess,
  kIOReturnUnsupported,
} from '../lib';
import { expectIOReturn } from './helpers/io-return';
import { baseOptions, cacheModes, makePool, range, releasePools, sorted } from './helpers/pool';

afterEach(releasePools);

describe('IOReturn constants', () => {
  it("have IOKit's values and names", () => {
    const table: [number, number, string][] = [
      [kIOReturnSuccess, 0, 'kIOReturnSuccess'],
      [kIOReturnError, 0xe00002bc, 'kIOReturnError'],
      [kIOReturnNoMemory, 0xe00002bd, 'kIOReturnNoMemory'],
      [kIOReturnNoResources, 0xe00002be, 'kIOReturnNoResources'],
      [kIOReturnBadArgument, 0xe00002c2, 'kIOReturnBadArgument'],
      [kIOReturnUnsupported, 0xe00002c7, 'kIOReturnUnsupported'],
      [kIOReturnNotReady, 0xe00002d8, 'kIOReturnNotReady'],
      [kIOReturnNotAttached, 0xe00002d9, 'kIOReturnNotAttached'],
      [kIOReturnNotPermitted, 0xe00002e2, 'kIOReturnNotPermitted'],
      [kIOReturnOverrun, 0xe00002e8, 'kIOReturnOverrun'],
      [kIOReturnAborted, 0xe00002eb, 'kIOReturnAborted'],
      [kIOReturnNotFound, 0xe00002f0, 'kIOReturnNotFound'],
      [kIOReturnIOError, 0xe00002ca, 'kIOReturnIOError'],
      [kIOReturnOffline, 0xe00002d7, 'kIOReturnOffline'],
      [kIOReturnMessageTooLarge, 0xe00002e1, 'kIOReturnMessageTooLarge'],
      [kIOReturnNotResponding, 0xe00002ed, 'kIOReturnNotResponding'],
    ];
    for (const [constant, value, name] of table) {
      expect(constant).toBe(value);
      expect(ioReturnName(constant)).toBe(name);
    }
    expect(ioReturnName(0xe0000123)).toBe('0xe0000123');
  });
});

describe('IOReturnError', () => {
  it("has a string code (Node's convention), the numeric ioReturn, a name and a message naming the bad value (thrown by lib/)", () => {
    const err = expectIOReturn(() => makePool({ packetCount: 2.5 }), kIOReturnBadArgument);
    expect(err).toBeInstanceOf(Error);
    expect(err.name).toBe('IOReturnError');
    expect(err.code).toBe('kIOReturnBadArgument');
    expect(err.ioReturn).toBe(0xe00002c2);
    expect(err.codeName).toBe('kIOReturnBadArgument'); // the deprecated alias of code
    expect(err.message).toContain('packetCount');
    expect(err.message).toContain('2.5');
    expect(err.message).toContain('kIOReturnBadArgument');
    expect(err.stack).toContain('IOReturnError');
  });

  it('is the same class for errors raised inside the addon', () => {
    // bufferCount < packetCount is checked by the C++ core, not by lib/.
    const err = expectIOReturn(() => makePool({ packetCount: 16, bufferCount: 8 }), kIOReturnBadArgument);
    expect(err).toBeInstanceOf(Error);
    expect(err.code).toBe('kIOReturnBadArgument');
    expect(err.ioReturn).toBe(kIOReturnBadArgument);
    expect(err.message).toMatch(/bufferCount \(8\).*packetCount \(16\)/);
  });

  it('can be constructed and caught like any Error', () => {
    const err = new IOReturnError(kIOReturnOverrun, 'too long: 9');
    expect(err.message).toBe('too long: 9 (kIOReturnOverrun)');
    expect(err.code).toBe('kIOReturnOverrun');
    expect(err.ioReturn).toBe(kIOReturnOverrun);
    expect(() => {
      throw err;
    }).toThrow(IOReturnError);
  });
});

describe('bad creation options', () => {
  type Case = [string, Record<string, unknown>, number, string | RegExp];
  const cases: Case[] = [
    ['packetCount 0', { packetCount: 0 }, kIOReturnBadArgument, 'packetCount'],
    ['bufferCount 0', { bufferCount: 0 }, kIOReturnBadArgument, 'bufferCount'],
    ['bufferCount < packetCount', { packetCount: 64, bufferCount: 63 }, kIOReturnBadArgument, /bufferCount \(63\)/],
    ['bufferSize 0', { bufferSize: 0 }, kIOReturnBadArgument, 'bufferSize'],
    ['bufferSize 65537 (over 64 KiB)', { bufferSize: 65537 }, kIOReturnBadArgument, '65537'],
    ['packetCount 1.5', { packetCount: 1.5 }, kIOReturnBadArgument, '1.5'],
    ['bufferCount 64.25', { bufferCount: 64.25 }, kIOReturnBadArgument, '64.25'],
    ['bufferSize 256.5', { bufferSize: 256.5 }, kIOReturnBadArgument, '256.5'],
    ['packetCount -1', { packetCount: -1 }, kIOReturnBadArgument, '-1'],
    ['packetCount NaN', { packetCount: NaN }, kIOReturnBadArgument, 'NaN'],
    ['packetCount Infinity', { packetCount: Infinity }, kIOReturnBadArgument, 'Infinity'],
    ['packetCount 2^32', { packetCount: 2 ** 32 }, kIOReturnBadArgument, '4294967296'],
    ['packetCount as a string', { packetCount: '64' }, kIOReturnBadArgument, '"64"'],
    ['bufferSize null', { bufferSize: null }, kIOReturnBadArgument, 'null'],
    ['bufferCount missing', { bufferCount: undefined }, kIOReturnBadArgument, 'undefined'],
    ['packetCount as a bigint', { packetCount: 64n }, kIOReturnBadArgument, '64n'],
    ['maxBuffersPerPacket 0', { maxBuffersPerPacket: 0 }, kIOReturnBadArgument, 'maxBuffersPerPacket'],
    ['maxBuffersPerPacket 65', { maxBuffersPerPacket: 65 }, kIOReturnBadArgument, '65'],
    ['maxBuffersPerPacket 1.5', { maxBuffersPerPacket: 1.5 }, kIOReturnBadArgument, '1.5'],
    ['memorySegmentSize -1', { memorySegmentSize: -1 }, kIOReturnBadArgument, '-1'],
    ['poolFlags with unknown bits', { poolFlags: 0x1 }, kIOReturnBadArgument, 'poolFlags'],
    ['poolFlags as a boolean', { poolFlags: true }, kIOReturnBadArgument, 'true'],
    ['dmaSpecification not an object', { dmaSpecification: 5 }, kIOReturnBadArgument, 'dmaSpecification'],
    [
      'dmaSpecification.maxAddressBits 65',
      { dmaSpecification: { options: 0, maxAddressBits: 65 } },
      kIOReturnBadArgument,
      '65',
    ],
    ['headroom 256', { headroom: 256 }, kIOReturnBadArgument, '256'],
    ['headroom >= bufferSize', { bufferSize: 64, headroom: 64 }, kIOReturnBadArgument, 'headroom 64'],
    ['cacheSize odd', { cacheSize: 7 }, kIOReturnBadArgument, '7'],
    ['cacheSize 2.5', { cacheSize: 2.5 }, kIOReturnBadArgument, '2.5'],
    ['maxThreads 0', { maxThreads: 0 }, kIOReturnBadArgument, 'maxThreads'],
    ['shared as a string', { shared: 'yes' }, kIOReturnBadArgument, '"yes"'],
  ];

  it.each(cases)('%s', (_label, overrides, code, mention) => {
    const options = { ...baseOptions, ...overrides } as IOUserNetworkPacketBufferPoolOptions;
    expectIOReturn(() => IOUserNetworkPacketBufferPool.CreateWithOptions(null, 'bad', options), code, mention);
  });

  it.each([
    ['null', null],
    ['a number', 64],
    ['a string', 'packetCount=64'],
    ['an array', [64, 64, 256]],
  ])('options that are %s', (_label, options) => {
    expectIOReturn(
      () => IOUserNetworkPacketBufferPool.CreateWithOptions(null, 'bad', options as never),
      kIOReturnBadArgument,
    );
  });

  it.each([
    ['1024 ASCII bytes', 'n'.repeat(1024), '1024'],
    ['1024 UTF-8 bytes in 512 characters', 'é'.repeat(512), '1024'],
  ])('a name of %s', (_label, name, mention) => {
    expectIOReturn(
      () => IOUserNetworkPacketBufferPool.CreateWithOptions(null, name, baseOptions),
      kIOReturnBadArgument,
      mention,
    );
  });

  it.each([
    ['a number', 42, '42'],
    ['undefined', undefined, 'undefined'],
    ['null', null, 'null'],
    ['a string with NUL', 'a\0b', 'NUL'],
  ])('a name that is %s', (_label, name, mention) => {
    expectIOReturn(
      () => IOUserNetworkPacketBufferPool.CreateWithOptions(null, name as never, baseOptions),
      kIOReturnBadArgument,
      mention,
    );
  });

  it('Create checks its sizes the same way', () => {
    expectIOReturn(
      () => IOUserNetworkPacketBufferPool.Create(null, 'c', 0, 8, 64),
      kIOReturnBadArgument,
      'packetCount',
    );
    expectIOReturn(
      () => IOUserNetworkPacketBufferPool.Create(null, 'c', 8, 4, 64),
      kIOReturnBadArgument,
      /bufferCount \(4\)/,
    );
    expectIOReturn(() => IOUserNetworkPacketBufferPool.Create(null, 'c', 8, 8, 70000), kIOReturnBadArgument, '70000');
    expectIOReturn(() => IOUserNetworkPacketBufferPool.Create(null, 'c', 8, 8, 0.5), kIOReturnBadArgument, '0.5');
  });

  it('the limits themselves are accepted: bufferSize 65536, a 1023-byte name', () => {
    expect(makePool({ packetCount: 1, bufferCount: 1, bufferSize: 65536 }).getBufferSize()).toBe(65536);
    expect(makePool({}, 'n'.repeat(1023)).getName()).toHaveLength(1023);
  });

  it('memory the device cannot address is kIOReturnNoMemory (maxAddressBits 1)', () => {
    const options = { ...baseOptions, dmaSpecification: { options: 0, maxAddressBits: 1 } };
    expectIOReturn(
      () => IOUserNetworkPacketBufferPool.CreateWithOptions(null, 'dma', options),
      kIOReturnNoMemory,
      'maxAddressBits',
    );
  });
});

describe.each(cacheModes)('deallocating what is not an allocated packet of this pool (%s)', (_label, overrides) => {
  /** The pool is consistent: nothing counted as freed, and every index can be taken exactly once. */
  function expectIntact(pool: IOUserNetworkPacketBufferPool, held: IOUserNetworkPacket[]): void {
    expect(pool.getFreePacketCount()).toBe(64 - held.length);
    pool.deallocatePackets(held);
    const all = pool.allocatePackets(64);
    expect(sorted(all.map((p) => p.getPacketIndex()))).toEqual(range(64));
    expect(pool.allocatePacket()).toBeNull();
  }

  it('deallocating twice is kIOReturnNotPermitted and frees nothing more', () => {
    const pool = makePool(overrides);
    const [p, q] = pool.allocatePackets(2);
    pool.deallocatePacket(p);
    expectIOReturn(() => pool.deallocatePacket(p), kIOReturnNotPermitted, String(p.getPacketIndex()));
    expectIOReturn(() => pool.DeallocatePacket(p), kIOReturnNotPermitted);
    expectIOReturn(() => pool.deallocatePackets([p]), kIOReturnNotPermitted);
    expectIOReturn(() => pool.deallocatePacketIndices(Uint32Array.of(p.getPacketIndex())), kIOReturnNotPermitted);
    expectIntact(pool, [q]);
  });

  it('a packet of another pool is kIOReturnBadArgument, and the message names that pool', () => {
    const pool = makePool(overrides);
    const other = makePool(overrides, 'the-other-pool');
    const held = pool.allocatePackets(3);
    const foreign = other.allocatePacket()!;
    expectIOReturn(() => pool.deallocatePacket(foreign), kIOReturnBadArgument, 'the-other-pool');
    expectIOReturn(() => pool.DeallocatePacket(foreign), kIOReturnBadArgument, 'the-other-pool');
    // The other pool still holds it.
    expect(foreign.getDataLength()).toBe(0);
    other.deallocatePacket(foreign);
    expectIntact(pool, held);
  });

  it.each([
    ['a plain object', {}, 'a plain object'],
    ["a look-alike with a packet's fields", { _pool: null, _index: 0, _m: 0 }, 'a plain object'],
    ['null', null, 'null'],
    ['undefined', undefined, 'undefined'],
    ['an index number', 0, '0'],
  ])('%s is kIOReturnBadArgument', (_label, value, mention) => {
    const pool = makePool(overrides);
    const held = pool.allocatePackets(2);
    expectIOReturn(() => pool.deallocatePacket(value as never), kIOReturnBadArgument, mention);
    expectIntact(pool, held);
  });

  it.each([
    ['a plain object', {}],
    ['a string', 'packets'],
    ['an Int32Array', new Int32Array([0])],
    ['a Float64Array', new Float64Array([0])],
    ['a DataView', new DataView(new ArrayBuffer(4))],
  ])('deallocatePackets of %s is kIOReturnBadArgument', (_label, value) => {
    const pool = makePool(overrides);
    const held = pool.allocatePackets(1);
    expectIOReturn(() => pool.deallocatePackets(value as never), kIOReturnBadArgument);
    expectIntact(pool, held);
  });

  it('deallocatePacketIndices of something other than a Uint32Array is kIOReturnBadArgument', () => {
    const pool = makePool(overrides);
    const held = pool.allocatePackets(1);
    expectIOReturn(
      () => pool.deallocatePacketIndices([held[0].getPacketIndex()] as never),
      kIOReturnBadArgument,
      'Uint32Array',
    );
    expectIOReturn(
      () => pool.deallocatePacketIndices(new Int32Array([0]) as never),
      kIOReturnBadArgument,
      'Uint32Array',
    );
    expectIntact(pool, held);
  });
});

describe('bad batch and index arguments', () => {
  it.each([[-1], [1.5], [65], ['2']])('allocatePackets(%p) is kIOReturnBadArgument', (count) => {
    const pool = makePool();
    expectIOReturn(() => pool.allocatePackets(count as number), kIOReturnBadArgument, String(count));
    expect(pool.getFreePacketCount()).toBe(64);
  });

  it('allocatePackets with an `out` that is not an array is kIOReturnBadArgument', () => {
    const pool = makePool();
    expectIOReturn(() => pool.allocatePackets(1, {} as never), kIOReturnBadArgument, 'out');
    expect(pool.getFreePacketCount()).toBe(64);
  });

  it('allocatePacketIndices needs a Uint32Array', () => {
    const pool = makePool();
    expectIOReturn(() => pool.allocatePacketIndices([] as never), kIOReturnBadArgument, 'Uint32Array');
    expectIOReturn(() => pool.allocatePacketIndices(new Int32Array(2) as never), kIOReturnBadArgument, 'Uint32Array');
    expect(pool.getFreePacketCount()).toBe(64);
  });
});

describe('wrong argument types of the allocation calls', () => {
  it.each([['x'], [1.5], [-1], [2 ** 32], [null], [{}], [1n]])(
    'allocatePacket(%p) is kIOReturnBadArgument naming options, and takes nothing',
    (bits) => {
      const pool = makePool();
      const err = expectIOReturn(
        () => pool.allocatePacket(bits as number),
        kIOReturnBadArgument,
        'options must be IOOptionBits',
      );
      expect(err.message).toContain(
        typeof bits === 'string'
          ? '"x"'
          : typeof bits === 'bigint'
            ? '1n'
            : bits === null
              ? 'null'
              : typeof bits === 'object'
                ? 'object'
                : String(bits),
      );
      expect(pool.getStatistics()).toMatchObject({ allocations: 0, inUse: 0 });
    },
  );

  it('allocatePacket accepts IOOptionBits (kIOUserNetworkNonBlocking) and no argument', () => {
    const pool = makePool();
    expect(pool.allocatePacket(0x1)).toBeInstanceOf(IOUserNetworkPacket);
    expect(pool.allocatePacket(0)).toBeInstanceOf(IOUserNetworkPacket);
    expect(pool.allocatePacket()).toBeInstanceOf(IOUserNetworkPacket);
    expect(pool.getStatistics()).toMatchObject({ allocations: 3 });
  });

  it('allocatePacketAsync refuses unknown option keys and non-objects, naming them', async () => {
    const pool = makePool();
    const refused = async (options: unknown): Promise<IOReturnError> => {
      const err = await pool.allocatePacketAsync(options as never).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(IOReturnError);
      return err as IOReturnError;
    };
    const typo = await refused({ sginal: AbortSignal.timeout(10) });
    expect(typo.code).toBe('kIOReturnBadArgument');
    expect(typo.message).toContain('"sginal" (did you mean signal?)');
    for (const bad of ['x', 5, null, []]) {
      const err = await refused(bad);
      expect({ bad, code: err.code }).toEqual({ bad, code: 'kIOReturnBadArgument' });
      expect(err.message).toContain('options must be an object');
    }
    expect(pool.getStatistics()).toMatchObject({ allocations: 0, inUse: 0 });
    const packet = await pool.allocatePacketAsync({});
    expect(packet).toBeInstanceOf(IOUserNetworkPacket);
  });
});

/**
 * Bad creation input, as a table: every option field with a wrong type, zero (where zero is
 * invalid), negative, fractional, too large, plus combinations whose total size overflows 32- or
 * 64-bit arithmetic. Each row must throw IOReturnError(kIOReturnBadArgument) naming the field and
 * the value, before any memory is mapped, and withName must return null for it. Boundary rows
 * just inside each limit must succeed, so the table's limits are the real ones.
 */
import * as fs from 'node:fs';

import {
  IONetworkPacketType,
  IOReturnError,
  IOUserNetworkPacketBufferPool,
  IOUserNetworkPacketBufferPoolOptions,
  kIOReturnBadArgument,
  kIOReturnNoMemory,
} from '../lib';

const BASE = { packetCount: 8, bufferCount: 16, bufferSize: 256, maxBuffersPerPacket: 2 };

interface Row {
  what: string;
  name?: unknown;
  options: unknown;
  /** Substrings the error message must contain (field name and value). */
  says: string[];
}

/** How a bad value shows in an error message (enough to recognise it). */
function shown(value: unknown): string {
  if (typeof value === 'bigint') return `${value}n`;
  if (typeof value === 'string') return JSON.stringify(value);
  if (Array.isArray(value)) return 'array';
  if (value !== null && typeof value === 'object') return 'object';
  return String(value);
}

const WRONG_TYPES: unknown[] = ['8', 8n, null, {}, [], [8], true];
const NOT_UINT32: unknown[] = [-1, -0.5, 1.5, NaN, Infinity, -Infinity, 2 ** 32, 2 ** 53, 1e20];

function field(path: string, value: unknown): Row {
  const options: Record<string, unknown> = { ...BASE };
  if (path.startsWith('dmaSpecification.'))
    options.dmaSpecification = { options: 0, maxAddressBits: 64, [path.slice(17)]: value };
  else options[path] = value;
  return { what: `${path} = ${shown(value)}`, options, says: [path, shown(value)] };
}

function combo(what: string, options: Record<string, unknown>, says: string[]): Row {
  return { what, options: { ...BASE, ...options }, says };
}

const NUMERIC_FIELDS = [
  'packetCount',
  'bufferCount',
  'bufferSize',
  'maxBuffersPerPacket',
  'memorySegmentSize',
  'poolFlags',
  'dmaSpecification.maxAddressBits',
  'dmaSpecification.options',
  'headroom',
  'cacheSize',
  'maxThreads',
];

const ROWS: Row[] = [
  // Wrong type or not an unsigned 32-bit integer, every numeric field. (undefined is the
  // default for the optional fields, so it is bad only for the three required ones.)
  ...NUMERIC_FIELDS.flatMap((f) => [...WRONG_TYPES, ...NOT_UINT32].map((v) => field(f, v))),
  ...['packetCount', 'bufferCount', 'bufferSize'].map((f) => field(f, undefined)),
  // Zero where zero is not a size.
  ...['packetCount', 'bufferCount', 'bufferSize', 'maxBuffersPerPacket', 'maxThreads'].map((f) => field(f, 0)),
  // Too large, one past each limit.
  combo('bufferCount < packetCount', { packetCount: 17 }, ['bufferCount', '16', 'packetCount', '17']),
  combo('bufferCount 2^30 + 1', { bufferCount: 2 ** 30 + 1 }, ['bufferCount', String(2 ** 30 + 1)]),
  field('bufferSize', 65537),
  field('maxBuffersPerPacket', 65),
  field('headroom', 256),
  combo('headroom = bufferSize', { bufferSize: 64, headroom: 64 }, ['headroom', '64', 'bufferSize']),
  field('cacheSize', 4098),
  field('cacheSize', 7),
  field('maxThreads', 1025),
  field('dmaSpecification.maxAddressBits', 65),
  field('dmaSpecification.maxAddressBits', 2 ** 32 - 1),
  { ...field('poolFlags', 0x1), says: ['poolFlags', '0x1'] },
  { ...field('poolFlags', 0x8), says: ['poolFlags', '0x8'] },
  { ...field('poolFlags', 0x80000000), says: ['poolFlags', '0x80000000'] },
  // Wrong types of the non-numeric fields.
  ...[1, 'yes', null, {}].map((v) => field('shared', v)),
  ...[null, 5, 'x', true].map((v) => ({ ...field('dmaSpecification', v), says: ['dmaSpecification', shown(v)] })),
  ...[null, undefined, 5, 'options', true].map((v) => ({
    what: `options = ${shown(v)}`,
    options: v,
    says: ['options', shown(v)],
  })),
  ...[5, null, undefined, {}, 5n, ['x']].map((v) => ({
    what: `name = ${shown(v)}`,
    name: v,
    options: BASE,
    says: ['name', shown(v)],
  })),
  { what: 'name with NUL', name: 'a\0b', options: BASE, says: ['name', 'NUL'] },
  { what: 'name 1024 bytes', name: 'n'.repeat(1024), options: BASE, says: ['name', '1024'] },
  // 342 x 3-byte characters: 342 UTF-16 units but 1026 UTF-8 bytes.
  { what: 'name 1026 UTF-8 bytes', name: '\u20ac'.repeat(342), options: BASE, says: ['name', '1026'] },
  // Sizes whose product overflows 32 bits (wrapping to something small) or needs 64.
  combo('65536 x 65536 wraps to 0 in 32 bits', { packetCount: 1, bufferCount: 65536, bufferSize: 65536 }, [
    'bufferCount',
    '65536',
    'bufferSize',
  ]),
  combo('65537 x 65536 wraps to 64 KiB in 32 bits', { packetCount: 1, bufferCount: 65537, bufferSize: 65536 }, [
    'bufferCount',
    '65537',
  ]),
  combo('2^30 x 65536 = 2^46 bytes', { packetCount: 1, bufferCount: 2 ** 30, bufferSize: 65536 }, [
    'bufferCount',
    String(2 ** 30),
  ]),
  combo('2^30 packets: 64 GiB of metadata', { packetCount: 2 ** 30, bufferCount: 2 ** 30, bufferSize: 1 }, ['bytes']),
  combo('2^32-1 x 2^32-1 needs 64 bits', { bufferCount: 2 ** 32 - 1, bufferSize: 2 ** 32 - 1 }, [
    'bufferCount',
    String(2 ** 32 - 1),
  ]),
  combo(
    'every count at its uint32 maximum',
    {
      packetCount: 2 ** 32 - 1,
      bufferCount: 2 ** 32 - 1,
      bufferSize: 2 ** 32 - 1,
      maxBuffersPerPacket: 2 ** 32 - 1,
      cacheSize: 2 ** 32 - 2,
      maxThreads: 2 ** 32 - 1,
    },
    [String(2 ** 32 - 1)],
  ),
  // Keys this package does not read: a typo must not fall back to the default silently.
  combo('unknown key headRoom (a typo)', { headRoom: 64 }, ['headRoom', 'did you mean headroom?']),
  combo('unknown key packetcount', { packetcount: 8 }, ['packetcount', 'did you mean packetCount?']),
  combo('unknown key cachesize, value undefined', { cachesize: undefined }, ['cachesize', 'did you mean cacheSize?']),
  combo('unknown key with no near match', { frobnicate: 1 }, ['frobnicate', 'known keys: packetCount']),
  combo('unknown key in dmaSpecification', { dmaSpecification: { maxAddresBits: 32 } }, [
    'dmaSpecification',
    'maxAddresBits',
    'did you mean maxAddressBits?',
  ]),
  // Impossible combinations.
  combo('cacheSize 256 > packetCount 64', { packetCount: 64, bufferCount: 64, cacheSize: 256 }, [
    'cacheSize 256',
    'packetCount 64',
  ]),
  combo('cacheSize 10 > packetCount 8', { cacheSize: 10 }, ['cacheSize 10', 'packetCount 8']),
  combo(
    '64 chain slots x 2^26 packets',
    { packetCount: 2 ** 26, bufferCount: 2 ** 26, bufferSize: 64, maxBuffersPerPacket: 64 },
    ['bytes'],
  ),
];

/** Pool mappings show up by name only for shared pools (memfd); count them, and all mappings. */
function mappings(): { total: number; pools: number; poolFds: number } {
  const maps = fs.readFileSync('/proc/self/maps', 'utf8').trim().split('\n');
  const fds = fs.readdirSync('/proc/self/fd').filter((fd) => {
    try {
      return fs.readlinkSync(`/proc/self/fd/${fd}`).includes('memfd:packet-buffer-pool');
    } catch {
      return false; // the fd of readdir itself is gone by now
    }
  });
  return {
    total: maps.length,
    pools: maps.filter((line) => line.includes('memfd:packet-buffer-pool')).length,
    poolFds: fds.length,
  };
}

function create(row: Row, shared: boolean): IOUserNetworkPacketBufferPool {
  const name = 'name' in row ? row.name : 'table';
  const options =
    shared && row.options !== null && typeof row.options === 'object' && !('shared' in row.options)
      ? { ...row.options, shared: true }
      : row.options;
  return IOUserNetworkPacketBufferPool.CreateWithOptions(
    null,
    name as string,
    options as IOUserNetworkPacketBufferPoolOptions,
  );
}

function expectBadArgument(row: Row, call: () => unknown): void {
  let thrown: unknown;
  try {
    call();
  } catch (err) {
    thrown = err;
  }
  if (!(thrown instanceof IOReturnError)) throw new Error(`${row.what}: expected IOReturnError, got ${String(thrown)}`);
  expect({ row: row.what, code: thrown.code }).toEqual({ row: row.what, code: 'kIOReturnBadArgument' });
  expect(thrown.ioReturn).toBe(kIOReturnBadArgument);
  for (const s of row.says) {
    if (!thrown.message.includes(s)) throw new Error(`${row.what}: message "${thrown.message}" does not mention ${s}`);
  }
}

describe('bad creation options', () => {
  it('has a row for every option field', () => {
    const covered = new Set(ROWS.map((r) => r.what.split(/[ =<]/)[0]));
    for (const f of [...NUMERIC_FIELDS, 'shared', 'name', 'options', 'dmaSpecification']) expect(covered).toContain(f);
  });

  it.each(ROWS.map((r) => [r.what, r] as const))('CreateWithOptions throws kIOReturnBadArgument: %s', (_, row) => {
    expectBadArgument(row, () => create(row, false));
  });

  it.each(ROWS.map((r) => [r.what, r] as const))('withName returns null: %s', (_, row) => {
    const name = 'name' in row ? row.name : 'table';
    const options = row.options as IOUserNetworkPacketBufferPoolOptions;
    expect(
      IOUserNetworkPacketBufferPool.withName(name as string, null, IONetworkPacketType.Network, options),
    ).toBeNull();
    const pool = new IOUserNetworkPacketBufferPool();
    expect(pool.initWithName(name as string, null, IONetworkPacketType.Network, options)).toBe(false);
  });

  it('Create (positional) rejects the same sizes', () => {
    for (const row of ROWS) {
      const o = row.options as Record<string, unknown> | null;
      // Create takes only the three sizes: rows that differ from BASE elsewhere do not apply.
      const positional =
        o !== null &&
        typeof o === 'object' &&
        Object.keys(o).every((k) => k in BASE) &&
        o.maxBuffersPerPacket === BASE.maxBuffersPerPacket;
      if (!positional || 'name' in row) continue;
      expectBadArgument(row, () =>
        IOUserNetworkPacketBufferPool.Create(
          null,
          'table',
          o.packetCount as number,
          o.bufferCount as number,
          o.bufferSize as number,
        ),
      );
    }
  });

  it('maps no memory for any bad row (checked with shared pools, whose mappings are named)', () => {
    const before = mappings();
    for (let pass = 0; pass < 3; pass++) {
      for (const row of ROWS) {
        expect(() => create(row, false)).toThrow(IOReturnError);
        expect(() => create(row, true)).toThrow(IOReturnError);
      }
    }
    const after = mappings();
    // No pool region, no memfd: the options were rejected before Region::create.
    expect(after.pools).toBe(before.pools);
    expect(after.poolFds).toBe(before.poolFds);
    // Private pools are anonymous mappings the kernel may merge with their neighbours, so they
    // cannot be told apart by name, and V8 maps 256 KiB heap pages of its own while the table
    // runs (about 80 here). Leaked pools would add one mapping per failed creation (6 per row);
    // growth below one per row rules that out without depending on V8's heap.
    expect(after.total - before.total).toBeLessThan(ROWS.length);

    // The check can fail: one valid shared pool is one named mapping and one memfd.
    const pool = create({ what: 'valid', options: BASE, says: [] }, true);
    const live = mappings();
    expect(live.pools).toBe(after.pools + 1);
    expect(live.poolFds).toBe(after.poolFds + 1);
    pool.release();
  });

  const BOUNDARIES: [string, Record<string, unknown>, unknown?][] = [
    ['packetCount = bufferCount = 1', { packetCount: 1, bufferCount: 1, bufferSize: 1, maxBuffersPerPacket: 1 }],
    ['bufferSize 65536', { bufferSize: 65536, packetCount: 1, bufferCount: 1 }],
    ['maxBuffersPerPacket 64', { maxBuffersPerPacket: 64 }],
    ['headroom 255 < bufferSize 256', { headroom: 255 }],
    ['cacheSize 4096', { cacheSize: 4096, packetCount: 4096, bufferCount: 4096 }],
    ['cacheSize = packetCount', { cacheSize: 8 }],
    ['cacheSize 0', { cacheSize: 0 }],
    ['maxThreads 1024', { maxThreads: 1024 }],
    ['maxThreads 1', { maxThreads: 1 }],
    ['dmaSpecification.maxAddressBits 64', { dmaSpecification: { options: 0, maxAddressBits: 64 } }],
    ['dmaSpecification.maxAddressBits 0 (= 64)', { dmaSpecification: { options: 0, maxAddressBits: 0 } }],
    ['every known pool flag but persistent', { poolFlags: 0x2 | 0x10000000 | 0x20000000 }],
    ['memorySegmentSize 2^32-1 (ignored)', { memorySegmentSize: 2 ** 32 - 1 }],
    ['-0 counts as 0', { headroom: -0 }],
    ['name of 1023 bytes', {}, 'n'.repeat(1023)],
    ['name of 341 x 3-byte characters (1023 bytes)', {}, '\u20ac'.repeat(341)],
  ];

  it.each(BOUNDARIES)('accepts the value just inside the limit: %s', (_, options, name = 'edge') => {
    const pool = IOUserNetworkPacketBufferPool.CreateWithOptions(
      null,
      name as string,
      {
        ...BASE,
        ...options,
      } as IOUserNetworkPacketBufferPoolOptions,
    );
    try {
      expect(pool.getName()).toBe(name);
      expect(pool.getFreePacketCount()).toBe(pool.getPacketCount());
    } finally {
      pool.release();
    }
  });

  // Not a bad argument: the options are fine but the mapping lands above what the device can
  // address, which is only known after mapping. It must unmap and say kIOReturnNoMemory.
  it('a pool above dmaSpecification.maxAddressBits fails with kIOReturnNoMemory', () => {
    for (const bits of [1, 12, 32]) {
      let thrown: unknown;
      try {
        IOUserNetworkPacketBufferPool.CreateWithOptions(null, 'dma', {
          ...BASE,
          dmaSpecification: { options: 0, maxAddressBits: bits },
        });
      } catch (err) {
        thrown = err;
      }
      expect(thrown).toBeInstanceOf(IOReturnError);
      expect((thrown as IOReturnError).ioReturn).toBe(kIOReturnNoMemory);
      expect((thrown as IOReturnError).message).toContain('maxAddressBits');
    }
  });
});

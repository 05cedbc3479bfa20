/**
 * The data window's edges: headroom that setDataOffset respects, and DPDK-style prepend / adj /
 * append / trim that move one edge and refuse to cross the packet's buffers. (Random sequences of
 * the same calls run against the model in test/model.)
 */
import { kIOReturnBadArgument, kIOReturnOverrun } from '../lib';
import { expectIOReturn } from './helpers/io-return';
import { makePool, releasePools } from './helpers/pool';

afterEach(releasePools);

const ETHERNET = Buffer.from('ffffffffffff020000000001' + '0800', 'hex'); // broadcast, IPv4

describe('headroom', () => {
  it('setDataOffset and setDataOffsetAndLength refuse an offset inside the headroom, naming it', () => {
    const p = makePool({ headroom: 32 }).allocatePacket()!;
    expect([p.getHeadroom(), p.getDataOffset()]).toEqual([32, 32]);
    const err = expectIOReturn(
      () => p.setDataOffset(0),
      kIOReturnOverrun,
      "data offset 0 lies inside the packet's 32-byte headroom",
    );
    expect(err.message).toContain('prepend()');
    expectIOReturn(() => p.setDataOffsetAndLength(31, 10), kIOReturnOverrun, '32-byte headroom');
    expectIOReturn(() => p.setDataOff(1), kIOReturnOverrun, 'headroom');
    expectIOReturn(() => p.setDataOffAndLen(0, 0), kIOReturnOverrun, 'headroom');
    expect([p.getDataOffset(), p.getDataLength()]).toEqual([32, 0]); // nothing changed

    p.setDataOffsetAndLength(32, 10); // at the headroom's edge: allowed
    p.setDataOffset(40);
    // setHeadroom lowers (or raises) the floor for later offsets; it does not move the data.
    p.setHeadroom(0);
    p.setDataOffset(0);
    expect([p.getHeadroom(), p.getDataOffset(), p.getDataLength()]).toEqual([0, 0, 10]);
  });
});

describe('prepend / adj / append / trim', () => {
  it('prepend grows the window into the headroom for a header and returns where it goes', () => {
    const pool = makePool({ headroom: 32 });
    const p = pool.allocatePacket()!;
    const payload = Buffer.from('payload!');
    const at = p.append(payload.length);
    expect(at).toBe(32);
    p.getBuffer().set(payload, at);

    const start = p.prepend(ETHERNET.length);
    expect(start).toBe(18);
    p.getBuffer().set(ETHERNET, start);
    expect([p.getDataOffset(), p.getDataLength(), p.getHeadroom()]).toEqual([18, 22, 18]);
    expect(p.getData()).toEqual(Buffer.concat([ETHERNET, payload]));

    // Reading it back: adj strips the header, trim the tail.
    expect(p.adj(ETHERNET.length)).toBe(32);
    expect(p.getData()).toEqual(payload);
    p.trim(1);
    expect(p.getData().toString()).toBe('payload');
    expect([p.getDataOffset(), p.getDataLength(), p.getHeadroom()]).toEqual([32, 7, 18]);
  });

  it('refuses to cross the buffer edges, changing nothing', () => {
    const p = makePool({ headroom: 16, bufferSize: 64 }).allocatePacket()!;
    p.append(10);
    const before = (): number[] => [p.getDataOffset(), p.getDataLength(), p.getHeadroom()];
    const was = before();
    expectIOReturn(() => p.prepend(17), kIOReturnOverrun, 'prepend(17): only 16 bytes lie before the data');
    expectIOReturn(() => p.adj(11), kIOReturnOverrun, 'adj(11): packet');
    expectIOReturn(() => p.trim(11), kIOReturnOverrun, 'only 10 bytes of data');
    expectIOReturn(() => p.append(39), kIOReturnOverrun, 'append(39): only 38 bytes are left');
    expect(before()).toEqual(was);

    // Exactly to each edge is allowed.
    expect(p.append(38)).toBe(26);
    expect(p.prepend(16)).toBe(0);
    expect([p.getDataOffset(), p.getDataLength()]).toEqual([0, 64]);
    p.trim(64);
    expect(p.getDataLength()).toBe(0);
    expect(p.adj(0)).toBe(0);
  });

  it('append runs on into chained buffers', () => {
    const pool = makePool({ packetCount: 4, bufferCount: 8, bufferSize: 64, maxBuffersPerPacket: 2 });
    const p = pool.allocatePacket()!;
    p.append(60);
    expectIOReturn(() => p.append(5), kIOReturnOverrun, 'only 4 bytes');
    expect(p.addBuffer()).not.toBeNull();
    expect(p.append(5)).toBe(60);
    expect(p.getDataLength()).toBe(65);
  });

  it.each([['prepend'], ['adj'], ['append'], ['trim']] as const)(
    '%s refuses what is not a uint32, naming it',
    (move) => {
      const p = makePool({ headroom: 8 }).allocatePacket()!;
      for (const bad of [-1, 1.5, NaN, '1', 1n, null, 2 ** 32]) {
        expectIOReturn(() => (p[move] as (n: unknown) => unknown)(bad), kIOReturnBadArgument, `${move} length`);
      }
      expect([p.getDataOffset(), p.getDataLength()]).toEqual([8, 0]);
    },
  );
});

/**
 * CopyMemoryDescriptor: the pool's whole region as one IOMemoryDescriptor, its mappings, that the
 * bytes packets see are the bytes the mapping sees, and that a descriptor keeps the memory alive
 * after the pool is released (as "Copy" implies) until it is released itself.
 */
import { IOMemoryDescriptor, IOMemoryMap, kIOReturnBadArgument, kIOReturnNotAttached } from '../lib';
import { expectIOReturn } from './helpers/io-return';
import { baseOptions, makePool, releasePools } from './helpers/pool';

afterEach(releasePools);

// Descriptors hold the memory until released, so release them after every test too.
const descriptors: IOMemoryDescriptor[] = [];
function copy(pool: ReturnType<typeof makePool>): IOMemoryDescriptor {
  const md = pool.CopyMemoryDescriptor();
  descriptors.push(md);
  return md;
}
afterEach(() => {
  while (descriptors.length > 0) descriptors.pop()!.release();
});

describe('IOMemoryDescriptor', () => {
  it('describes the whole region: every packet buffer lies inside it', () => {
    const pool = makePool();
    const md = copy(pool);
    const length = md.getLength();
    expect(length).toBeGreaterThanOrEqual(baseOptions.bufferCount * baseOptions.bufferSize);
    const range = md.getAddressRange();
    expect(typeof range.address).toBe('bigint');
    expect(range.address).toBeGreaterThan(0n);
    expect(range.length).toBe(length);

    for (const p of pool.allocatePackets(64)) {
      const offset = p.getMemorySegmentOffset();
      expect(offset).toBeGreaterThan(0); // the header comes first
      expect(offset + baseOptions.bufferSize).toBeLessThanOrEqual(length);
      expect(p.getDataVirtualAddress()).toBe(range.address + BigInt(offset));
      expect(p.getDataIOVirtualAddress()).toBe(p.getDataVirtualAddress());
    }
  });

  it('packet buffers have distinct, non-overlapping segment offsets', () => {
    const pool = makePool();
    const offsets = pool
      .allocatePackets(64)
      .map((p) => p.getMemorySegmentOffset())
      .sort((a, b) => a - b);
    for (let i = 1; i < offsets.length; i++) {
      expect(offsets[i] - offsets[i - 1]).toBeGreaterThanOrEqual(baseOptions.bufferSize);
    }
  });

  it('two copies are independent: releasing one leaves the other usable', () => {
    const pool = makePool();
    const a = copy(pool);
    const b = copy(pool);
    expect(b.getAddressRange()).toEqual(a.getAddressRange());
    const mapB = b.createMapping();
    a.release();
    expect(b.getLength()).toBe(mapB.getLength());
    expect(mapB.getBuffer().length).toBe(mapB.getLength());
  });
});

describe('createMapping', () => {
  it('with no arguments maps the whole region', () => {
    const pool = makePool();
    const md = copy(pool);
    const map = md.createMapping();
    expect(map).toBeInstanceOf(IOMemoryMap);
    expect(map.getAddress()).toBe(md.getAddressRange().address);
    expect(map.getOffset()).toBe(0);
    expect(map.getLength()).toBe(md.getLength());
    expect(map.getBuffer().length).toBe(md.getLength());
  });

  it('(options, offset, length) maps a sub-range', () => {
    const pool = makePool();
    const md = copy(pool);
    const p = pool.allocatePacket()!;
    const offset = p.getMemorySegmentOffset();
    const map = md.createMapping(0, offset, baseOptions.bufferSize);
    expect(map.getOffset()).toBe(offset);
    expect(map.getLength()).toBe(baseOptions.bufferSize);
    expect(map.getAddress()).toBe(md.getAddressRange().address + BigInt(offset));
    expect(map.getAddress()).toBe(p.getDataVirtualAddress());
    expect(map.getBuffer().length).toBe(baseOptions.bufferSize);
    // Offset alone maps to the end.
    const tail = md.createMapping(0, offset);
    expect(tail.getLength()).toBe(md.getLength() - offset);
    // A zero-length mapping at the very end is a valid, empty range.
    expect(md.createMapping(0, md.getLength(), 0).getBuffer().length).toBe(0);
  });

  it('bytes written through a packet are visible through the mapping, and back', () => {
    const pool = makePool({ headroom: 32 });
    const md = copy(pool);
    const map = md.createMapping();
    const packets = pool.allocatePackets(8);
    packets.forEach((p, i) => {
      p.setDataOffsetAndLength(p.getHeadroom(), 60);
      p.getBuffer().fill(0xa0 + i, p.getDataOffset(), p.getDataOffset() + 60);
    });
    packets.forEach((p, i) => {
      const at = p.getMemorySegmentOffset() + p.getDataOffset();
      const seen = map.getBuffer().subarray(at, at + 60);
      expect(seen.every((byte) => byte === 0xa0 + i)).toBe(true);
      // Just before the window: headroom bytes, untouched.
      expect(map.getBuffer()[at - 1]).toBe(0);
    });

    const p = packets[3];
    const at = p.getMemorySegmentOffset() + p.getDataOffset();
    map.getBuffer().write('hello', at, 'latin1');
    expect(p.getData().subarray(0, 5).toString('latin1')).toBe('hello');
  });

  it('a sub-range mapping sees the packet bytes at offset 0', () => {
    const pool = makePool();
    const md = copy(pool);
    const p = pool.allocatePacket()!;
    p.getBuffer().write('abc', 7, 'latin1');
    const map = md.createMapping(0, p.getMemorySegmentOffset(), 16);
    expect(map.getBuffer().subarray(7, 10).toString('latin1')).toBe('abc');
  });

  it.each([
    ['offset past the end', (md: IOMemoryDescriptor) => md.createMapping(0, md.getLength() + 1), 'offset'],
    ['negative offset', (md: IOMemoryDescriptor) => md.createMapping(0, -1), '-1'],
    ['non-integer offset', (md: IOMemoryDescriptor) => md.createMapping(0, 1.5), '1.5'],
    ['offset + length past the end', (md: IOMemoryDescriptor) => md.createMapping(0, 4096, md.getLength()), 'exceeds'],
    ['negative length', (md: IOMemoryDescriptor) => md.createMapping(0, 0, -1), '-1'],
    ['non-integer length', (md: IOMemoryDescriptor) => md.createMapping(0, 0, 2.5), '2.5'],
    ['string offset', (md: IOMemoryDescriptor) => md.createMapping(0, '8' as never), '"8"'],
  ])('refuses %s with kIOReturnBadArgument', (_label, call, mention) => {
    const md = copy(makePool());
    expectIOReturn(() => call(md), kIOReturnBadArgument, mention);
  });
});

describe('lifetime', () => {
  it('a descriptor outlives pool.release(): its bytes stay readable and mappable', () => {
    const pool = makePool();
    const md = copy(pool);
    const map = md.createMapping();
    const p = pool.allocatePacket()!;
    const at = p.getMemorySegmentOffset();
    const packetView = p.getBuffer();
    packetView.fill(0x7e, 0, 32);
    const length = md.getLength();

    pool.release();
    // The pool's own views are detached...
    expect(packetView.length).toBe(0);
    // ...but the descriptor still holds the memory.
    expect(md.getLength()).toBe(length);
    expect(map.getBuffer().length).toBe(length);
    expect(
      map
        .getBuffer()
        .subarray(at, at + 32)
        .every((b) => b === 0x7e),
    ).toBe(true);
    const late = md.createMapping(0, at, 32);
    expect(late.getBuffer().every((b) => b === 0x7e)).toBe(true);
  });

  it('release() empties its mappings and later calls throw kIOReturnNotAttached', () => {
    const pool = makePool();
    const md = pool.CopyMemoryDescriptor();
    const whole = md.createMapping();
    const part = md.createMapping(0, 4096, 64);
    md.release();
    expect(whole.getBuffer().length).toBe(0);
    expect(part.getBuffer().length).toBe(0);
    // The map object still reports what it described.
    expect(part.getOffset()).toBe(4096);
    expect(part.getLength()).toBe(64);
    expectIOReturn(() => md.getLength(), kIOReturnNotAttached);
    expectIOReturn(() => md.getAddressRange(), kIOReturnNotAttached);
    expectIOReturn(() => md.createMapping(), kIOReturnNotAttached);
    expect(() => md.release()).not.toThrow();
    // The pool itself is untouched by a descriptor's release.
    const p = pool.allocatePacket()!;
    p.getBuffer()[0] = 1;
    expect(p.getBuffer()[0]).toBe(1);
  });

  it('releasing the descriptor after the pool empties the mapping too', () => {
    const pool = makePool();
    const md = pool.CopyMemoryDescriptor();
    const map = md.createMapping();
    pool.release();
    expect(map.getBuffer().length).toBeGreaterThan(0);
    md.release();
    expect(map.getBuffer().length).toBe(0);
  });
});

/**
 * What a shared pool's handle guarantees (the fd it carries, and its identity):
 * - handle.fd is the caller's own duplicate of the memfd: closing it leaves the pool alone;
 * - the memfd is sealed against resizing, so ftruncate on handle.fd (or by any peer holding it)
 *   fails instead of shrinking the mapping under every process (SIGBUS on the next access);
 *   attach refuses a descriptor without those seals;
 * - each pool has a random identity carried in the handle, and attach refuses a pool with
 *   another one, so a stale handle whose fd number was reused cannot attach to a new pool.
 * Attaching with pid 0 forces the descriptor path inside this process.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

import { IOUserNetworkPacketBufferPool, kIOReturnBadArgument, kIOReturnNotAttached } from '../lib';
import { expectIOReturn } from './helpers/io-return';
import { makePool, releasePools } from './helpers/pool';

afterEach(releasePools);

const opened: number[] = [];
afterEach(() => {
  while (opened.length > 0) {
    try {
      fs.closeSync(opened.pop()!);
    } catch {
      // already closed by the test
    }
  }
});

function sharedHandle(pool: IOUserNetworkPacketBufferPool) {
  const handle = pool.createHandle();
  expect(handle.fd).toEqual(expect.any(Number));
  opened.push(handle.fd!);
  return handle;
}

/** Uses the pool end to end: a packet from each end of the region, written and given back. */
function exercise(pool: IOUserNetworkPacketBufferPool): void {
  const packets = [];
  for (let p = pool.allocatePacket(); p !== null; p = pool.allocatePacket()) packets.push(p);
  for (const p of packets) p.getBuffer().fill(0x5a);
  for (const p of packets) pool.deallocatePacket(p);
}

describe('handle.fd', () => {
  it('is a descriptor of the caller: each handle gets its own, and closing them leaves the pool working', () => {
    const pool = makePool({ shared: true });
    const a = sharedHandle(pool);
    const b = sharedHandle(pool);
    expect(a.fd).not.toBe(b.fd);
    fs.closeSync(a.fd!);
    fs.closeSync(b.fd!);
    exercise(pool);
    const c = sharedHandle(pool);
    const other = IOUserNetworkPacketBufferPool.attach({ ...c, pid: 0 });
    try {
      expect(other.getName()).toBe(pool.getName());
      exercise(other);
    } finally {
      other.release();
    }
  });

  it('cannot shrink or grow the pool: ftruncate fails with EPERM and every packet stays usable', () => {
    const pool = makePool({ shared: true });
    const handle = sharedHandle(pool);
    expect(() => fs.ftruncateSync(handle.fd!, 0)).toThrow(expect.objectContaining({ code: 'EPERM' }));
    expect(() => fs.ftruncateSync(handle.fd!, handle.bytes * 2)).toThrow(expect.objectContaining({ code: 'EPERM' }));
    expect(fs.fstatSync(handle.fd!).size).toBe(handle.bytes);
    exercise(pool);
  });
});

describe('attach', () => {
  it('refuses a descriptor that is not sealed against resizing', () => {
    const pool = makePool({ shared: true });
    const handle = sharedHandle(pool);
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'pbp-')), 'region');
    fs.writeFileSync(file, Buffer.alloc(handle.bytes));
    const fd = fs.openSync(file, 'r+');
    opened.push(fd);
    expectIOReturn(
      () => IOUserNetworkPacketBufferPool.attach({ ...handle, pid: 0, fd }),
      kIOReturnBadArgument,
      /not sealed/,
    );
    fs.rmSync(path.dirname(file), { recursive: true });
  });

  it('refuses a handle without the identity createHandle() put there', () => {
    const pool = makePool({ shared: true });
    const handle = sharedHandle(pool);
    const { identity, ...rest } = handle;
    expect(identity).toMatch(/^[0-9a-f]{16}$/);
    expectIOReturn(() => IOUserNetworkPacketBufferPool.attach(rest as typeof handle), kIOReturnBadArgument, /identity/);
    expectIOReturn(
      () => IOUserNetworkPacketBufferPool.attach({ ...handle, identity: 'zz' }),
      kIOReturnBadArgument,
      /identity/,
    );
  });

  it('gives every pool its own identity', () => {
    const ids = new Set([1, 2, 3, 4].map(() => sharedHandle(makePool({ shared: true })).identity));
    expect(ids.size).toBe(4);
  });

  it('refuses a stale handle whose fd number now belongs to another pool', () => {
    const first = makePool({ shared: true });
    const stale = sharedHandle(first);
    first.release();
    fs.closeSync(stale.fd!);
    // The lowest free numbers go to the next descriptors opened: the new pool's memfd and the
    // duplicate in its handle.
    const second = makePool({ shared: true });
    const fresh = sharedHandle(second);
    expect(fs.readlinkSync(`/proc/self/fd/${stale.fd}`)).toContain('memfd:packet-buffer-pool');
    expectIOReturn(
      () => IOUserNetworkPacketBufferPool.attach({ ...stale, pid: 0 }),
      kIOReturnNotAttached,
      /not the pool/,
    );
    // The same number with the new pool's own identity attaches: the identity made the difference.
    const other = IOUserNetworkPacketBufferPool.attach({ ...stale, pid: 0, identity: fresh.identity });
    other.release();
  });

  it('refuses a handle of this process whose identity names another pool', () => {
    const a = makePool({ shared: true });
    const b = makePool({ shared: true });
    const ha = sharedHandle(a);
    const hb = sharedHandle(b);
    // a's registry id and descriptor with b's identity: neither way in may reach a.
    expectIOReturn(() => IOUserNetworkPacketBufferPool.attach({ ...ha, identity: hb.identity }), kIOReturnNotAttached);
  });
});

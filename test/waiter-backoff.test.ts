/**
 * The async waiter on a ring whose consumer tail was scribbled: the ring's
 * count says packets are free that no one can take. The waiter used to call back at once after
 * every fruitless call (1.7 s of CPU per 2 s between its thread and JS); now it backs off (1, 2,
 * 4 ... 100 ms) until something is freed; a real free then ends the wait (here with
 * kIOReturnIOError: the scribble is one the ring recognises as broken once it is used).
 */
import { IOUserNetworkPacket, kIOReturnIOError } from '../lib';
import { binding } from '../lib/native';
import { expectIOReturn } from './helpers/io-return';
import { makePool, releasePools } from './helpers/pool';

afterEach(releasePools);

it('backs off after wake-ups that found nothing, and still resolves on a real free', async () => {
  const pool = makePool({ packetCount: 8, bufferCount: 8, cacheSize: 0 });
  const held: IOUserNetworkPacket[] = [];
  for (let p = pool.allocatePacket(); p !== null; p = pool.allocatePacket()) held.push(p);
  expect(held).toHaveLength(8);

  // The consumer tail 4 behind its head: count() says 4 free, a dequeue finds none.
  const descriptor = pool.CopyMemoryDescriptor();
  const region = descriptor.createMapping().getBuffer();
  const words = new Uint32Array(region.buffer, region.byteOffset, region.byteLength / 4);
  const native = pool._native!;
  const ringWord = native.layoutInfo().packetRingOffset / 4;
  words[ringWord + binding.ringWords.consTail] -= 4;
  expect(pool.getStatistics().freeInRing).toBe(4);

  // Count the waits JS asks for (each follows a call back that found nothing). The native
  // method is read-only on the prototype, so the count goes on the instance.
  const original = native.waitForPacket;
  let waits = 0;
  Object.defineProperty(native, 'waitForPacket', {
    configurable: true,
    value(...args: Parameters<typeof original>) {
      waits += 1;
      return original.apply(native, args);
    },
  });
  const pending = pool.allocatePacketAsync();
  await new Promise((resolve) => setTimeout(resolve, 1000));
  // Without the backoff: a call back per loop of the two threads, thousands a second. With it:
  // about log2(100) + 10 in the first second.
  expect(waits).toBeGreaterThan(1); // it did look, more than once
  expect(waits).toBeLessThan(60);

  // A real free wakes it at once. The packet goes in, but taking it means waiting for the 4
  // consumer reservations the scribbled tail pretends are in flight: they never finish, so after
  // the ring's wait limit the pool is broken and the wait ends with kIOReturnIOError (no hang).
  pool.deallocatePacket(held.pop()!);
  await expect(pending).rejects.toMatchObject({ code: 'kIOReturnIOError', message: expect.stringMatching(/broken/) });
  expectIOReturn(() => pool.allocatePacket(), kIOReturnIOError);
  descriptor.release();
}, 60_000);

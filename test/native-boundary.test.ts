/**
 * lib/native.ts types everything the addon exports. These tests fail when the addon gains,
 * loses or renames an export or a method that the interfaces do not (or the other way round), so
 * the typed boundary cannot drift from native/addon.
 */
import { binding } from '../lib/native';
import type {
  NativeBinding,
  NativeMemoryDescriptor,
  NativePool,
  NativeQueueWatcher,
  NativeRawInterface,
  NativeUdpInterface,
} from '../lib/native';

// An object literal typed Record<keyof T, true> must name every key of T and nothing else, so
// these lists are the interfaces' keys, checked by the compiler.
function keysOf<T>(keys: Record<keyof T, true>): string[] {
  return Object.keys(keys).sort();
}

function methodsOf(cls: unknown): string[] {
  const proto = (cls as { prototype: object }).prototype;
  return Object.getOwnPropertyNames(proto)
    .filter((name) => name !== 'constructor')
    .sort();
}

describe('the typed addon boundary (lib/native.ts)', () => {
  it("the addon's exports are NativeBinding's keys", () => {
    const expected = keysOf<NativeBinding>({
      NativePool: true,
      NativeMemoryDescriptor: true,
      NativeRawInterface: true,
      pcapBegin: true,
      pcapWrite: true,
      setErrorClass: true,
      layout: true,
      ringWords: true,
      queueCreate: true,
      queueOpen: true,
      queueDestroy: true,
      queueAcquireEnd: true,
      queueReleaseEnd: true,
      queueWake: true,
      queueWaitSync: true,
      QueueWatcher: true,
      hotOps: true,
      noop: true,
      NativeUdpInterface: true,
    });
    expect(Object.keys(binding).sort()).toEqual(expected);
  });

  it("NativePool's methods are the interface's", () => {
    expect(methodsOf(binding.NativePool)).toEqual(
      keysOf<NativePool>({
        layoutInfo: true,
        regionBuffer: true,
        hotCall: true,
        claimPacket: true,
        addBuffer: true,
        stats: true,
        freePacketCount: true,
        reclaim: true,
        createHandle: true,
        copyMemoryDescriptor: true,
        release: true,
        waitForPacket: true,
        stopWaiting: true,
      }),
    );
  });

  it("the other classes' methods are the interfaces'", () => {
    expect(methodsOf(binding.NativeMemoryDescriptor)).toEqual(
      keysOf<NativeMemoryDescriptor>({ length: true, address: true, map: true, release: true }),
    );
    expect(methodsOf(binding.NativeRawInterface)).toEqual(
      keysOf<NativeRawInterface>({
        info: true,
        postRx: true,
        pollRx: true,
        postTx: true,
        pollTxCompletions: true,
        counters: true,
        waitReadable: true,
        bindQueues: true,
        service: true,
        setRef: true,
        close: true,
      }),
    );
    expect(methodsOf(binding.NativeUdpInterface)).toEqual(
      keysOf<NativeUdpInterface>({
        transmit: true,
        receive: true,
        stats: true,
        localAddress: true,
        setRef: true,
        setCompletionAction: true,
        close: true,
      }),
    );
    expect(methodsOf(binding.QueueWatcher)).toEqual(
      keysOf<NativeQueueWatcher>({ want: true, stop: true, ref: true, unref: true }),
    );
  });

  it('the export values have the kinds the interface says', () => {
    const classes = [
      'NativePool',
      'NativeMemoryDescriptor',
      'NativeRawInterface',
      'NativeUdpInterface',
      'QueueWatcher',
    ] as const;
    for (const name of classes) {
      expect([name, typeof binding[name]]).toEqual([name, 'function']);
    }
    expect(Object.values(binding.layout).every((v) => typeof v === 'number')).toBe(true);
    expect(Object.values(binding.hotOps).every((v) => Number.isInteger(v))).toBe(true);
  });
});

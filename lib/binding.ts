/**
 * Loads the native addon: a prebuilt binary from prebuilds/ when one matches, otherwise what
 * `node-gyp rebuild` or `cmake-js` put in build/. When neither exists the error says how to
 * build it, because npm 11 skips dependencies' install scripts unless they were approved.
 */
import * as path from 'node:path';

/* eslint-disable @typescript-eslint/no-explicit-any */
export interface NativeBinding {
  NativePool: any;
  NativeMemoryDescriptor: any;
  NativeRawInterface: any;
  pcapBegin(fd: number, snapLength: number, linkType: number): number;
  pcapWrite(pool: any, fd: number, snapLength: number, indices: Uint32Array, count: number): number;
  setErrorClass(cls: unknown): void;
  layout: Record<string, number>;
  // Packet queues (native/addon/queue_wrap.cc); the first argument is the thread's NativePool.
  queueCreate(pool: any, kind: number, queueId: number, capacity: number): any;
  queueOpen(pool: any, queueId: number): any;
  queueDestroy(pool: any, queueId: number): number;
  queueAcquireEnd(pool: any, queueId: number, producer: boolean): void;
  queueReleaseEnd(pool: any, queueId: number, producer: boolean): void;
  queueWake(pool: any, queueId: number): void;
  queueWaitSync(pool: any, queueId: number, timeoutMs: number): boolean;
  QueueWatcher: any;
  /** The operations of a pool attachment's native call (native/addon/hot_calls.h). */
  hotOps: Record<'allocOne' | 'deallocOne' | 'refill' | 'flush' | 'allocIndices' | 'deallocIndices' | 'noPacket', number>;
  /** A no-op Node-API function: the bench's measure of a native call's own cost. */
  noop(): void;
  // The UDP interface (native/addon/udp_interface_wrap.cc): new NativeUdpInterface(pool, options).
  NativeUdpInterface: any;
}

function load(): NativeBinding {
  const root = path.join(__dirname, '..');
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const nodeGypBuild = require('node-gyp-build') as (dir: string) => NativeBinding;
    return nodeGypBuild(root);
  } catch (err) {
    const reason = err instanceof Error ? err.message : String(err);
    // A binary that exists but cannot load (a runtime permission, an ABI or libc mismatch) needs
    // its own message, not build instructions.
    if (!reason.startsWith('No native build was found')) {
      throw new Error(`packet-buffer-pool: the native binary failed to load: ${reason}`, { cause: err });
    }
    throw new Error(
      `packet-buffer-pool: no native binary for ${process.platform}-${process.arch} ` +
        `(node ${process.versions.node}, modules ${process.versions.modules}).\n` +
        `No prebuilt binary matched and none was compiled. npm 11 skips install scripts of ` +
        `dependencies unless approved; build it with:\n` +
        `  npm install-scripts approve packet-buffer-pool\n` +
        `  npm rebuild packet-buffer-pool\n` +
        `(needs python3, make and a C++17 compiler). Loader said: ${reason}`,
    );
  }
}

export const binding: NativeBinding = load();

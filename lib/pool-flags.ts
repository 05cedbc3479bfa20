// GENERATED from native/core/layout.json by scripts/generate-layout.js. Do not edit: edit the table and
// run `npm run generate:layout`.

/** Upstream pool flag: the pool's memory is one segment (it always is here). */
export const PoolFlagSingleMemorySegment = 0x2;
/** Lock the pool's memory in RAM (`mlock`); creation fails with kIOReturnNoMemory if it cannot. */
export const PoolFlagPersistentMemory = 0x4;
/** Accepted for compatibility; no effect in user space. */
export const PoolFlagMapToDext = 0x10000000;
/** Accepted for compatibility; no effect in user space. */
export const PoolFlagMapToDevice = 0x20000000;

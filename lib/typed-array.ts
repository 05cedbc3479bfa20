/**
 * Realm-safe brand checks for typed arrays. `instanceof` misses arrays from another realm (jest
 * runs each test file in its own), and `Object.prototype.toString` trusts `Symbol.toStringTag`,
 * which any plain object can forge. The getter of `%TypedArray%.prototype[Symbol.toStringTag]`
 * reads the internal slot instead: it answers a real typed array's kind and `undefined` for
 * everything else. Looked up once: fetching the descriptor per call would allocate.
 */
const typedArrayKind = Object.getOwnPropertyDescriptor(
  Object.getPrototypeOf(Uint8Array.prototype) as object,
  Symbol.toStringTag,
)!.get! as (this: unknown) => string | undefined;

/** True only for a real Uint32Array (of any realm). */
export function isUint32Array(value: unknown): value is Uint32Array {
  return typedArrayKind.call(value) === 'Uint32Array';
}

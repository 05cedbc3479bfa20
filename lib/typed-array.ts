/**
 * Realm-safe brand checks for typed arrays. `instanceof` misses arrays from another realm (jest
 * runs each test file in its own), and `Object.prototype.toString` trusts `Symbol.toStringTag`,
 * which any plain object can forge. The getter of `%TypedArray%.prototype[Symbol.toStringTag]`
 * reads the internal slot instead: it answers a real typed array's kind and `undefined` for
 * everything else. Looked up once: fetching the descriptor per call would allocate. The `length`
 * getter likewise reads the real element count, which an own `length` property cannot change.
 */
const TypedArrayPrototype = Object.getPrototypeOf(Uint8Array.prototype) as object;
const typedArrayKind = Object.getOwnPropertyDescriptor(TypedArrayPrototype, Symbol.toStringTag)!.get! as (
  this: unknown,
) => string | undefined;
const typedArrayLength = Object.getOwnPropertyDescriptor(TypedArrayPrototype, 'length')!.get! as (
  this: unknown,
) => number;

/** True only for a real Uint32Array (of any realm). */
export function isUint32Array(value: unknown): value is Uint32Array {
  return typedArrayKind.call(value) === 'Uint32Array';
}

/** The element count of a real typed array (not an own `length` property a caller defined). */
export function lengthOf(array: Uint32Array): number {
  return typedArrayLength.call(array);
}

/**
 * Adding methods written in other files to a class's one prototype (as lmdb-js does), so that a
 * class split across files by concern still has one prototype and its objects one hidden class.
 * The methods' types join the class through declaration merging (`declare module` in the file
 * that writes them); this puts the functions there.
 */

/**
 * @internal Defines each own property of `methods` on `klass.prototype` as a class body would:
 * writable, configurable, not enumerable.
 */
export function addMethods(klass: { prototype: object }, methods: object): void {
  for (const key of Reflect.ownKeys(methods)) {
    const descriptor = Object.getOwnPropertyDescriptor(methods, key)!;
    descriptor.enumerable = false;
    Object.defineProperty(klass.prototype, key, descriptor);
  }
}

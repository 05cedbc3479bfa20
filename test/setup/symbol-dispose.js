// Jest runs tests in a vm context whose Symbol lacks Node's Symbol.dispose (Node defines it on
// its own realm only); lib/ computes `[Symbol.dispose]` method names at class definition, so
// define it here the way Node does before any test module loads.
if (typeof Symbol.dispose !== 'symbol') {
  Object.defineProperty(Symbol, 'dispose', { value: Symbol.for('nodejs.dispose') });
}
if (typeof Symbol.asyncDispose !== 'symbol') {
  Object.defineProperty(Symbol, 'asyncDispose', { value: Symbol.for('nodejs.asyncDispose') });
}

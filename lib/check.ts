/**
 * Refusing what a caller did not mean: option objects with keys this package does not know (a
 * typo such as `headRoom` would otherwise fall back to the default without a word).
 */
import { describe, fail, kIOReturnBadArgument } from './io-return';

/**
 * Throws kIOReturnBadArgument naming the first own key of `object` that is not in `known`, with
 * the known key it most likely meant. `where` prefixes the key in the message (`'options'`,
 * `'options.dmaSpecification'`).
 */
export function checkKnownKeys(object: object, known: readonly string[], where: string): void {
  for (const key of Object.keys(object)) {
    if (known.includes(key)) continue;
    const guess = closest(key, known);
    const hint = guess === undefined ? `known keys: ${known.join(', ')}` : `did you mean ${guess}?`;
    fail(kIOReturnBadArgument, `${where} has an unknown key ${JSON.stringify(key)} (${hint})`);
  }
}

/** Throws kIOReturnBadArgument unless `value` is undefined or a plain object (not an array). */
export function checkOptionalObject(value: unknown, what: string): Record<string, unknown> | undefined {
  if (value === undefined) return undefined;
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    fail(kIOReturnBadArgument, `${what} must be an object, got ${describe(value)}`);
  }
  return value as Record<string, unknown>;
}

// The known key a misspelt one most likely meant: the same letters in another case, or at most
// two edits away.
function closest(key: string, known: readonly string[]): string | undefined {
  const lower = key.toLowerCase();
  const sameLetters = known.find((k) => k.toLowerCase() === lower);
  if (sameLetters !== undefined) return sameLetters;
  let best: string | undefined;
  let bestDistance = 3;
  for (const k of known) {
    const d = editDistance(lower, k.toLowerCase());
    if (d < bestDistance) {
      best = k;
      bestDistance = d;
    }
  }
  return best;
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) {
      row[j] = Math.min(previous[j] + 1, row[j - 1] + 1, previous[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    previous = row;
  }
  return previous[b.length];
}

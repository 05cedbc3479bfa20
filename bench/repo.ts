/**
 * Where the bench finds the repository it measures, the same from bench/*.ts and from the compiled
 * build-ts/bench/ (whose depth differs): the package resolves itself through its own "exports"
 * (./package.json is exported). The repository's Node scripts in scripts/ are JavaScript shared
 * with the tests and examples; they are loaded from there at run time, typed here by what the
 * bench uses of them.
 */
import * as path from 'node:path';

export const ROOT = path.dirname(require.resolve('packet-buffer-pool/package.json'));

/** A network namespace holding a veth pair va <-> vb (scripts/netns.js). */
export interface Namespace {
  name: string;
  remove(): void;
}

/* eslint-disable @typescript-eslint/no-require-imports */
/** Path of the executable built from a C source relative to ROOT, compiled on first use (scripts/c-tools.js). */
export const { cTool } = require(path.join(ROOT, 'scripts', 'c-tools')) as {
  cTool(source: string, libs?: string[]): string;
};
/** A fresh namespace named `${prefix}-...` (root only) (scripts/netns.js). */
export const { createNamespace } = require(path.join(ROOT, 'scripts', 'netns')) as {
  createNamespace(prefix?: string): Namespace;
};
/** lib/*.ts files whose dist/*.js is missing or older (scripts/dist-freshness.js). */
export const { staleDistFiles } = require(path.join(ROOT, 'scripts', 'dist-freshness')) as {
  staleDistFiles(root?: string): string[];
};
/* eslint-enable @typescript-eslint/no-require-imports */

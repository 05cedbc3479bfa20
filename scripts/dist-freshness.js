'use strict';
/**
 * Whether dist/ (what the fixtures, examples, benches and packaging tests load) is the compiled
 * form of lib/ as it is now: one check, used by jest's global setup (which rebuilds dist/ when
 * it is stale) and by the bench runner (which warns).
 */
const fs = require('node:fs');
const path = require('node:path');

const ROOT = path.join(__dirname, '..');

/** lib/*.ts files whose dist/*.js is missing or older than the source. */
function staleDistFiles(root = ROOT) {
  const lib = path.join(root, 'lib');
  return fs
    .readdirSync(lib)
    .filter((file) => file.endsWith('.ts'))
    .filter((file) => {
      const built = path.join(root, 'dist', file.replace(/\.ts$/, '.js'));
      return !fs.existsSync(built) || fs.statSync(built).mtimeMs < fs.statSync(path.join(lib, file)).mtimeMs;
    });
}

module.exports = { staleDistFiles };

'use strict';
/**
 * jest globalSetup: compiles lib/ into dist/ once per run when dist/ is older than lib/, then
 * examples/ against dist/'s declarations (compile-examples.js). The unit tests run lib/ through
 * ts-jest, but the slow tests' fixtures, worker scripts, child processes, examples and the bench
 * smoke test load dist/: both must be the same code (and the same region layout), so no test file
 * checks dist/ on its own.
 */
const { execFileSync } = require('node:child_process');
const path = require('node:path');

const { staleDistFiles } = require('../../scripts/dist-freshness');
const { compileExamples } = require('./compile-examples');

module.exports = async function buildOnce() {
  buildDistIfStale();
  compileExamples();
};

function buildDistIfStale() {
  const stale = staleDistFiles();
  if (stale.length === 0) return;
  const root = path.join(__dirname, '..', '..');
  process.stderr.write(`\njest global setup: dist/ is older than lib/${stale[0]}; running npm run build:ts\n`);
  execFileSync('npm', ['run', '-s', 'build:ts'], { cwd: root, stdio: 'inherit' });
  const still = staleDistFiles();
  if (still.length > 0) throw new Error(`npm run build:ts left dist/ older than lib/${still[0]}`);
}

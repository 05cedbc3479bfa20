'use strict';
/**
 * Scenario registry: every other .js file in this folder exports an array of scenarios, so adding
 * a scenario family is adding one file. A scenario is
 *   { name, opsPerIteration = 1, minOps = 0,
 *     setup() -> { run(iterations), teardown?(), externalGcCount?() } }
 * `run(iterations)` performs iterations * opsPerIteration operations (it may return a promise,
 * e.g. for scenarios that wait on worker threads); `minOps` is the least number of operations the
 * measured samples must cover in each round. `setup` may be async. `externalGcCount()` (may be
 * async) returns collections that happened elsewhere during the measured runs, e.g. counted by
 * worker threads themselves, since this thread's PerformanceObserver cannot see theirs.
 * Files load in name order (hence the numeric prefixes) and scenarios keep their order within a
 * file; that is the table order. A workers family would be e.g. 50-pool-workers.js.
 *
 * A family that cannot run here (wire.raw.* without root) exports an empty array carrying
 * `skipped = { group, names, reason }`: `skippedScenarios()` lists those names with the reason.
 */
const fs = require('node:fs');
const path = require('node:path');

function loadScenarios() {
  const files = scenarioFiles();
  const all = [];
  const seen = new Set();
  for (const file of files) {
    const list = require(path.join(__dirname, file));
    if (!Array.isArray(list)) throw new Error(`bench/scenarios/${file} must export an array of scenarios`);
    for (const s of list) {
      if (typeof s.name !== 'string' || typeof s.setup !== 'function') {
        throw new Error(`bench/scenarios/${file}: every scenario needs a name and a setup()`);
      }
      if (seen.has(s.name)) throw new Error(`duplicate scenario name ${s.name}`);
      seen.add(s.name);
      all.push({ opsPerIteration: 1, minOps: 0, ...s, file });
    }
  }
  return all;
}

function scenarioFiles() {
  return fs
    .readdirSync(__dirname)
    .filter((f) => f.endsWith('.js') && f !== 'index.js')
    .sort();
}

/** [{ name, group, reason }]: the scenarios a family left out, and why. */
function skippedScenarios() {
  const out = [];
  for (const file of scenarioFiles()) {
    const { skipped } = require(path.join(__dirname, file));
    if (!skipped) continue;
    const { group, names, reason } = skipped;
    if (typeof group !== 'string' || !Array.isArray(names) || typeof reason !== 'string') {
      throw new Error(`bench/scenarios/${file}: skipped must be { group, names, reason }`);
    }
    for (const name of names) out.push({ name, group, reason });
  }
  return out;
}

module.exports = { loadScenarios, skippedScenarios };

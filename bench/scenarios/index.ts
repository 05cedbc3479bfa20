/**
 * Scenario registry: every other .js file of the compiled folder (build-ts/bench/scenarios, from
 * bench/scenarios/*.ts) is a family exporting `scenarios`, an array of scenarios, so adding a
 * scenario family is adding one file. A scenario (bench/scenario.ts) is
 *   { name, opsPerIteration = 1, minOps = 0,
 *     setup() -> { run(iterations), teardown?(), externalGcCount?(), cpuMsOfLastRun?() } }
 * `run(iterations)` performs iterations * opsPerIteration operations (it may return a promise,
 * e.g. for scenarios that wait on worker threads); `minOps` is the least number of operations the
 * measured samples must cover in each round. `setup` may be async. `externalGcCount()` (may be
 * async) returns collections that happened elsewhere during the measured runs, e.g. counted by
 * worker threads themselves, since this thread's PerformanceObserver cannot see theirs.
 * Files load in name order (hence the numeric prefixes) and scenarios keep their order within a
 * file; that is the table order. A workers family would be e.g. 50-pool-workers.ts. Files that are
 * no family (the worker threads' entry and control block) are .cts, compiled to .cjs, which the
 * registry leaves alone.
 *
 * A family that cannot run here (wire.raw.* without root) exports an empty `scenarios` and
 * `skipped = { group, names, reason }`: `skippedScenarios()` lists those names with the reason.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

import type { Scenario, ScenarioFamily } from '../scenario';

function loadFamily(file: string): ScenarioFamily {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return require(path.join(__dirname, file)) as ScenarioFamily;
}

export function loadScenarios(): Scenario[] {
  const files = scenarioFiles();
  const all: Scenario[] = [];
  const seen = new Set<string>();
  for (const file of files) {
    const list = loadFamily(file).scenarios;
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

function scenarioFiles(): string[] {
  return fs
    .readdirSync(__dirname)
    .filter((f) => f.endsWith('.js') && f !== 'index.js')
    .sort();
}

/** [{ name, group, reason }]: the scenarios a family left out, and why. */
export function skippedScenarios(): { name: string; group: string; reason: string }[] {
  const out: { name: string; group: string; reason: string }[] = [];
  for (const file of scenarioFiles()) {
    const { skipped } = loadFamily(file);
    if (!skipped) continue;
    const { group, names, reason } = skipped;
    if (typeof group !== 'string' || !Array.isArray(names) || typeof reason !== 'string') {
      throw new Error(`bench/scenarios/${file}: skipped must be { group, names, reason }`);
    }
    for (const name of names) out.push({ name, group, reason });
  }
  return out;
}

'use strict';
/**
 * Child process entry: measures one scenario and prints its result as one JSON line. Each
 * scenario runs in a fresh process (started by run.js with --expose-gc) so that one scenario's
 * garbage, heap growth and JIT feedback cannot leak into another's numbers.
 * Usage: node --expose-gc bench/run-scenario.js <name> '<config json>'
 */
const { loadScenarios } = require('./scenarios');
const { measure } = require('./measure');

async function main() {
  const [name, configJson] = process.argv.slice(2);
  const scenario = loadScenarios().find((s) => s.name === name);
  if (!scenario) throw new Error(`unknown scenario ${name}`);
  const result = await measure(scenario, JSON.parse(configJson));
  process.stdout.write(`${JSON.stringify(result)}\n`);
}

main().catch((err) => {
  process.stderr.write(`${err && err.stack ? err.stack : err}\n`);
  process.exitCode = 1;
});

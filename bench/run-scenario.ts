/**
 * Child process entry: measures one scenario and prints its result as one JSON line. Each
 * scenario runs in a fresh process (started by run.js with --expose-gc) so that one scenario's
 * garbage, heap growth and JIT feedback cannot leak into another's numbers.
 * Usage: node --expose-gc build-ts/bench/run-scenario.js <name> '<config json>'
 */
import { measure } from './measure';
import type { MeasureConfig } from './scenario';
import { loadScenarios } from './scenarios';

async function main(): Promise<void> {
  const [name, configJson] = process.argv.slice(2);
  const scenario = loadScenarios().find((s) => s.name === name);
  if (!scenario) throw new Error(`unknown scenario ${name}`);
  const result = await measure(scenario, JSON.parse(configJson) as MeasureConfig);
  process.stdout.write(`${JSON.stringify(result)}\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error && err.stack ? err.stack : String(err)}\n`);
  process.exitCode = 1;
});

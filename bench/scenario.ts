/**
 * What a scenario is (bench/scenarios/index.ts loads them; measure.ts runs one) and what a family
 * that cannot run here reports instead. Types only: nothing here is emitted.
 */

/** What `setup()` returns: the measured code and its optional hooks. */
export interface ScenarioInstance {
  /** Performs iterations * opsPerIteration operations; may return a promise (worker threads, I/O). */
  run(iterations: number): void | Promise<void>;
  teardown?(): void | Promise<void>;
  /** Collections that happened elsewhere during the measured runs (worker threads, child processes). */
  externalGcCount?(): number | Promise<number>;
  /** CPU milliseconds of the last run when the work ran elsewhere (a C sender in a child process). */
  cpuMsOfLastRun?(): number;
}

/** One scenario as a family file lists it. */
export interface ScenarioDefinition {
  name: string;
  /** Operations per iteration of run() (default 1). */
  opsPerIteration?: number;
  /** The least number of operations the measured samples must cover in each round (default 0). */
  minOps?: number;
  setup(): ScenarioInstance | Promise<ScenarioInstance>;
}

/** A scenario with its defaults filled in and the file it came from (loadScenarios). */
export interface Scenario extends ScenarioDefinition {
  opsPerIteration: number;
  minOps: number;
  file: string;
}

/** A family left out here: its scenario names and why (wire.raw.* without root). */
export interface SkippedFamily {
  group: string;
  names: string[];
  reason: string;
}

/** What every bench/scenarios/*.ts family file exports. */
export interface ScenarioFamily {
  scenarios: ScenarioDefinition[];
  skipped?: SkippedFamily;
}

/** How one scenario is measured (run.ts FULL / QUICK). */
export interface MeasureConfig {
  warmMs: number;
  samples: number;
  sampleMs: number;
  /** Whether to honour the scenario's minOps. */
  minOps: boolean;
}

/** One scenario's measurement, as run-scenario.ts prints it (one JSON line). */
export interface Measurement {
  name: string;
  /** Wall-clock ns per operation of each sample. */
  samples: number[];
  /** The same in CPU time of the measuring process (or of the process that did the work). */
  cpuSamples: number[];
  gcCount: number;
  ops: number;
}

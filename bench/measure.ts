/**
 * Timing and GC counting for one scenario in this process: warm up (so the measured code is
 * optimised), size the samples, then time `samples` back-to-back samples and count the garbage
 * collections whose start falls inside the measured window (PerformanceObserver 'gc' entries
 * carry their start time, so late delivery of an entry cannot move it into the wrong window).
 */
import { performance, PerformanceObserver } from 'node:perf_hooks';

import type { Measurement, MeasureConfig, Scenario } from './scenario';

type Run = (iterations: number) => unknown;

/** Lets pending 'gc' entries (created from a setImmediate after each GC) reach the observer. */
async function settle(): Promise<void> {
  for (let i = 0; i < 2; i++) {
    await new Promise((resolve) => setTimeout(resolve, 5));
    await new Promise((resolve) => setImmediate(resolve));
  }
}

function startGcRecorder(): { countBetween(t0: number, t1: number): Promise<number>; stop(): void } {
  const starts: number[] = [];
  const observer = new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) starts.push(entry.startTime);
  });
  observer.observe({ entryTypes: ['gc'] });
  return {
    async countBetween(t0: number, t1: number): Promise<number> {
      await settle();
      for (const entry of observer.takeRecords()) starts.push(entry.startTime);
      return starts.filter((s) => s >= t0 && s <= t1).length;
    },
    stop() {
      observer.disconnect();
    },
  };
}

// Only a run that returns a promise is awaited: awaiting a plain value would allocate a promise
// per sample inside the measured window of the synchronous scenarios.
function isThenable(value: unknown): value is PromiseLike<unknown> {
  return value !== null && typeof value === 'object' && typeof (value as { then?: unknown }).then === 'function';
}

/**
 * Wall-clock milliseconds of run(iterations); its CPU milliseconds go to cpuOut[0]: this process's,
 * or what `cpuMsOfLastRun()` says when the work ran elsewhere (a C sender in a child process).
 */
async function timeRun(
  run: Run,
  iterations: number,
  cpuOut?: Float64Array,
  cpuMsOfLastRun?: (() => number) | null,
): Promise<number> {
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  const result = run(iterations);
  if (isThenable(result)) await result;
  const wall = performance.now() - t0;
  const cpu = process.cpuUsage(c0);
  if (cpuOut) cpuOut[0] = cpuMsOfLastRun ? cpuMsOfLastRun() : (cpu.user + cpu.system) / 1000;
  return wall;
}

/** Runs for about warmMs with growing batches; returns the last estimate of ns per iteration. */
async function warmUp(run: Run, warmMs: number): Promise<number> {
  const end = performance.now() + warmMs;
  let iterations = 1;
  let nsPerIteration = 1e6;
  for (;;) {
    const ms = await timeRun(run, iterations);
    if (ms > 0) nsPerIteration = (ms * 1e6) / iterations;
    if (performance.now() >= end) return nsPerIteration;
    if (ms < warmMs / 20) iterations *= 2;
  }
}

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/**
 * Measures one scenario. config: { warmMs, samples, sampleMs, minOps (whether to honour scenario.minOps) }.
 * Returns { name, samples, cpuSamples, gcCount, ops }: samples are wall-clock ns per operation of
 * each sample; cpuSamples the same in CPU time of this process (all its threads, GC helpers
 * included), which a busy shared machine inflates far less than wall-clock time.
 */
export async function measure(scenario: Scenario, config: MeasureConfig): Promise<Measurement> {
  const gc = startGcRecorder();
  const instance = await scenario.setup();
  const run = instance.run.bind(instance);
  const cpuMsOfLastRun = typeof instance.cpuMsOfLastRun === 'function' ? instance.cpuMsOfLastRun.bind(instance) : null;
  const opsPerIteration = scenario.opsPerIteration;

  const nsPerIteration = await warmUp(run, config.warmMs);
  let iterations = Math.max(1, Math.round((config.sampleMs * 1e6) / nsPerIteration));
  if (config.minOps && scenario.minOps > 0) {
    const needed = Math.ceil(scenario.minOps / (opsPerIteration * config.samples));
    iterations = Math.max(iterations, needed);
  }

  // Start the window from a clean young generation, so garbage left by setup and warm-up cannot
  // trigger a collection that the scenario itself did not cause (the child runs with --expose-gc).
  if (typeof global.gc === 'function') global.gc();
  await settle();

  const samples = new Float64Array(config.samples);
  const cpuSamples = new Float64Array(config.samples);
  const cpuMs = new Float64Array(1);
  const opsPerSample = iterations * opsPerIteration;
  const windowStart = performance.now();
  for (let i = 0; i < samples.length; i++) {
    const ms = await timeRun(run, iterations, cpuMs, cpuMsOfLastRun);
    samples[i] = (ms * 1e6) / opsPerSample;
    cpuSamples[i] = (cpuMs[0] * 1e6) / opsPerSample;
  }
  const windowEnd = performance.now();

  // PerformanceObserver sees this thread's collections only; a scenario running code in worker
  // threads counts theirs during its runs and reports them through externalGcCount().
  let gcCount = await gc.countBetween(windowStart, windowEnd);
  if (typeof instance.externalGcCount === 'function') gcCount += await instance.externalGcCount();
  gc.stop();
  if (typeof instance.teardown === 'function') await instance.teardown();
  return {
    name: scenario.name,
    samples: Array.from(samples),
    cpuSamples: Array.from(cpuSamples),
    gcCount,
    ops: opsPerSample * samples.length,
  };
}

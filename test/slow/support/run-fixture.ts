/**
 * Runs a fixture script (test/slow/fixtures/*.js, which loads the compiled package) in a child
 * node process, so a crash fails the test instead of killing the runner, and returns the JSON
 * report the fixture printed as its last stdout line.
 */
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';

export const FIXTURES = path.join(__dirname, '..', 'fixtures');
const ROOT = path.join(__dirname, '..', '..', '..');

export interface FixtureRun {
  status: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface RunOptions {
  args?: string[];
  /** A command line the node process runs under, e.g. ['prlimit', '--memlock=1048576']. */
  wrapper?: string[];
  timeoutMs?: number;
}

export function runFixture(script: string, options: RunOptions = {}): FixtureRun {
  const node = [process.execPath, '--expose-gc', path.join(FIXTURES, script), ...(options.args ?? [])];
  const [command, ...args] = [...(options.wrapper ?? []), ...node];
  const run = spawnSync(command, args, { encoding: 'utf8', timeout: options.timeoutMs ?? 60_000, cwd: ROOT });
  if (run.error) throw run.error;
  return { status: run.status, signal: run.signal, stdout: run.stdout, stderr: run.stderr };
}

/** Asserts the child exited 0 on its own (no signal, no crash) and returns its report. */
export function reportOf<T>(run: FixtureRun): T {
  const detail = `exit ${run.status}, signal ${run.signal}\nstderr: ${run.stderr.slice(-2000)}`;
  if (run.signal !== null || run.status !== 0) throw new Error(`fixture did not exit cleanly: ${detail}`);
  const last = run.stdout.trim().split('\n').pop() ?? '';
  try {
    return JSON.parse(last) as T;
  } catch {
    throw new Error(`fixture printed no JSON report: ${JSON.stringify(run.stdout.slice(-500))}\n${detail}`);
  }
}

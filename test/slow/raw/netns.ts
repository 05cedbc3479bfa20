/**
 * The test's network namespace with a veth pair (va <-> vb) inside (scripts/netns.js, shared
 * with the examples and benches), created for one test file and removed after it: raw-interface
 * traffic never leaves it. Needs root; without it `createVethNamespace` throws saying so (the
 * tests fail, they are not skipped: CI runs as root).
 */
import { spawn, ChildProcess } from 'node:child_process';

const { createNamespace } = require('../../../scripts/netns') as {
  createNamespace(prefix: string): { name: string; exec: string[]; ip(...args: string[]): string; remove(): void };
};

export interface VethNamespace {
  ns: string;
  /** Runs `ip <args>` inside the namespace (`ip -n ns ...`). */
  ip(...args: string[]): string;
  /** argv prefix that runs a command inside the namespace. */
  exec: string[];
  remove(): void;
}

export function createVethNamespace(): VethNamespace {
  if (process.getuid?.() !== 0) {
    throw new Error(
      'the raw-interface tests need root (they create a network namespace and a veth pair); run them as root, as CI does',
    );
  }
  const n = createNamespace('pbp-test');
  return { ns: n.name, ip: n.ip, exec: n.exec, remove: n.remove };
}
/** Starts a command inside the namespace; resolves once `readyText` shows on stdout or stderr. */
export function startIn(
  n: VethNamespace,
  argv: string[],
  readyText: string,
  timeoutMs = 15_000,
): Promise<{ child: ChildProcess; output: () => { stdout: string; stderr: string }; exited: Promise<number | null> }> {
  const child = spawn(n.exec[0], [...n.exec.slice(1), ...argv], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${argv.join(' ')} did not print "${readyText}" within ${timeoutMs} ms: ${stderr.slice(-500)}`));
    }, timeoutMs);
    const check = (): void => {
      if (stdout.includes(readyText) || stderr.includes(readyText)) {
        clearTimeout(timer);
        resolve({ child, output: () => ({ stdout, stderr }), exited });
      }
    };
    child.stdout!.on('data', (d) => {
      stdout += d;
      check();
    });
    child.stderr!.on('data', (d) => {
      stderr += d;
      check();
    });
    child.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    exited.then((code) => {
      clearTimeout(timer);
      if (!stdout.includes(readyText) && !stderr.includes(readyText)) {
        reject(new Error(`${argv.join(' ')} exited (${code}) before "${readyText}": ${stderr.slice(-500)}`));
      }
    });
  });
}

/**
 * A network namespace with a veth pair (va <-> vb) inside, created for one test file and removed
 * after it: raw-interface traffic never leaves it. Needs root (CAP_SYS_ADMIN + CAP_NET_ADMIN);
 * without it `createVethNamespace` throws saying so (the tests fail, they are not skipped: CI runs
 * as root).
 */
import { execFileSync, spawn, ChildProcess } from 'node:child_process';

export interface VethNamespace {
  ns: string;
  /** Runs `ip <args>` inside the namespace (`ip -n ns ...`). */
  ip(...args: string[]): string;
  /** argv prefix that runs a command inside the namespace. */
  exec: string[];
  remove(): void;
}

let counter = 0;

export function createVethNamespace(): VethNamespace {
  if (process.getuid?.() !== 0) {
    throw new Error('the raw-interface tests need root (they create a network namespace and a veth pair); run them as root, as CI does');
  }
  const ns = `pbp-test-${process.pid}-${counter++}`;
  const run = (...args: string[]): string => execFileSync('ip', args, { encoding: 'utf8' });
  run('netns', 'add', ns);
  const ip = (...args: string[]): string => run('-n', ns, ...args);
  try {
    ip('link', 'add', 'va', 'type', 'veth', 'peer', 'name', 'vb');
    // No IPv6 (no router solicitations or DAD frames in the captures), no IPv4 addresses.
    execFileSync('ip', ['netns', 'exec', ns, 'sysctl', '-qw', 'net.ipv6.conf.all.disable_ipv6=1', 'net.ipv6.conf.default.disable_ipv6=1']);
    ip('link', 'set', 'va', 'up');
    ip('link', 'set', 'vb', 'up');
  } catch (err) {
    run('netns', 'del', ns);
    throw err;
  }
  return {
    ns,
    ip,
    exec: ['ip', 'netns', 'exec', ns],
    remove: () => run('netns', 'del', ns),
  };
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
    child.stdout!.on('data', (d) => { stdout += d; check(); });
    child.stderr!.on('data', (d) => { stderr += d; check(); });
    child.on('error', (err) => { clearTimeout(timer); reject(err); });
    exited.then((code) => {
      clearTimeout(timer);
      if (!stdout.includes(readyText) && !stderr.includes(readyText)) {
        reject(new Error(`${argv.join(' ')} exited (${code}) before "${readyText}": ${stderr.slice(-500)}`));
      }
    });
  });
}

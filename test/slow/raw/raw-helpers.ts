/** What the raw-interface test files share: injecting frames on the peer, waiting for a child. */
import { ChildProcess, execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

import type { VethNamespace } from './netns';

/** Waits for a child process to exit, killing it after `ms`. */
export function waitExit(child: ChildProcess, exited: Promise<number | null>, ms: number): Promise<number | null> {
  const timer = setTimeout(() => child.kill('SIGKILL'), ms);
  return exited.finally(() => clearTimeout(timer));
}

/** Sends `frames` out of `ifname` in the namespace from a Python AF_PACKET socket. */
export function inject(n: VethNamespace, frames: Buffer[], ifname = 'vb'): void {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pbp-inject-'));
  const file = path.join(dir, 'frames.bin');
  try {
    fs.writeFileSync(file, Buffer.concat(frames.flatMap((f) => [Buffer.from([f.length >> 8, f.length & 0xff]), f])));
    const script = [
      'import socket',
      's = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)',
      `s.bind((${JSON.stringify(ifname)}, 0))`,
      `b = open(${JSON.stringify(file)}, "rb").read()`,
      'o = 0',
      'while o < len(b):',
      '    l = b[o] << 8 | b[o + 1]',
      '    s.send(b[o + 2:o + 2 + l])',
      '    o += 2 + l',
    ].join('\n');
    execFileSync(n.exec[0], [...n.exec.slice(1), 'python3', '-c', script]);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

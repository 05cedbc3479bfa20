/**
 * examples/udp-echo.ts, run as a user runs it: compiled by TypeScript (tsconfig.examples.json,
 * which jest's global setup runs), then node in a child process on build-ts/examples/udp-echo.js,
 * importing 'packet-buffer-pool' by name (resolved to this checkout's compiled package through
 * its "exports"). It must echo every datagram byte for byte and exit after --count echoes.
 * Loopback only, bounded.
 */
import { spawn } from 'node:child_process';
import { createSocket } from 'node:dgram';
import * as path from 'node:path';

const ECHO = path.join(__dirname, '..', '..', 'build-ts', 'examples', 'udp-echo.js');

it('echoes 50 datagrams byte for byte, then exits', async () => {
  const child = spawn(process.execPath, [ECHO, '0', '--count', '50'], { stdio: ['ignore', 'pipe', 'inherit'] });
  try {
    let stdout = '';
    child.stdout.setEncoding('utf8');
    const port = await new Promise<number>((resolve, reject) => {
      child.stdout.on('data', (chunk: string) => {
        stdout += chunk;
        const m = /echoing on 127\.0\.0\.1:(\d+)/.exec(stdout);
        if (m) resolve(Number(m[1]));
      });
      child.once('exit', (code) => reject(new Error(`echo exited early (${code}): ${stdout}`)));
    });
    const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));

    const client = createSocket('udp4');
    const replies: Buffer[] = [];
    client.on('message', (m) => replies.push(m));
    await new Promise<void>((resolve) => client.bind(0, '127.0.0.1', () => resolve()));
    const sent = Array.from({ length: 50 }, (_, i) => Buffer.alloc(20 + i, i));
    for (const b of sent) client.send(b, port, '127.0.0.1');
    const deadline = Date.now() + 10_000;
    while (replies.length < 50 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    client.close();
    expect(replies.length).toBe(50);
    const key = (b: Buffer) => b.toString('hex');
    expect(replies.map(key).sort()).toEqual(sent.map(key).sort());
    expect(await exited).toBe(0);
    expect(JSON.parse(stdout.trim().split('\n').pop()!)).toEqual(
      expect.objectContaining({ echoed: 50, rxPackets: 50, txPackets: 50, txErrors: 0 }),
    );
  } finally {
    // A failed expectation must not leave the echo running (it exits by itself after 50 echoes).
    if (child.exitCode === null) child.kill('SIGKILL');
  }
}, 60_000);

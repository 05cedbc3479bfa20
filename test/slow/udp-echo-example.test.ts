/**
 * examples/udp-echo.ts, run as a user runs it: compiled by TypeScript, then node in a child
 * process importing 'packet-buffer-pool' (resolved to this checkout's compiled package). It must
 * echo every datagram byte for byte and exit after --count echoes. Loopback only, bounded.
 */
import { spawn } from 'node:child_process';
import { createSocket } from 'node:dgram';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as ts from 'typescript';

const ROOT = path.join(__dirname, '..', '..');

it('echoes 50 datagrams byte for byte, then exits', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'udp-echo-'));
  try {
    const source = fs.readFileSync(path.join(ROOT, 'examples', 'udp-echo.ts'), 'utf8');
    const out = ts.transpileModule(source, {
      compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022 },
    });
    fs.writeFileSync(path.join(dir, 'udp-echo.js'), out.outputText);
    fs.mkdirSync(path.join(dir, 'node_modules'));
    fs.symlinkSync(ROOT, path.join(dir, 'node_modules', 'packet-buffer-pool'));

    const child = spawn(process.execPath, [path.join(dir, 'udp-echo.js'), '0', '--count', '50'], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
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
    fs.rmSync(dir, { recursive: true, force: true });
  }
}, 60_000);

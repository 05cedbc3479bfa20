/**
 * The guide pages (guides/*.md, published with the typedoc site) stay true: every ```ts block is
 * a whole program that is type-checked against lib/ with the project's compiler settings and
 * then run in its own node process, where its `assert`s check what the guide claims. A block
 * imports 'packet-buffer-pool' as a user would; its body may use top-level await.
 */
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as ts from 'typescript';

const ROOT = path.resolve(__dirname, '../..');
const GUIDES = path.join(ROOT, 'guides');
const PACKAGE = "'packet-buffer-pool'";

interface Block {
  guide: string;
  n: number;
  code: string;
}

function blocks(): Block[] {
  const out: Block[] = [];
  for (const guide of fs
    .readdirSync(GUIDES)
    .filter((f) => f.endsWith('.md'))
    .sort()) {
    const text = fs.readFileSync(path.join(GUIDES, guide), 'utf8');
    let n = 0;
    for (const match of text.matchAll(/^```ts\n([\s\S]*?)^```$/gm)) out.push({ guide, n: ++n, code: match[1] });
  }
  return out;
}

/** The block as a module: its imports at the top (the package named by `specifier`), the rest in an async main. */
function program(code: string, specifier: string): string {
  const lines = code.split('\n');
  const imports = lines.filter((l) => l.startsWith('import '));
  const body = lines.filter((l) => !l.startsWith('import '));
  return [
    ...imports,
    'async function main(): Promise<void> {',
    ...body,
    '}',
    'main().catch((err) => { console.error(err); process.exit(1); });',
    '',
  ]
    .join('\n')
    .split(PACKAGE)
    .join(JSON.stringify(specifier));
}

const ALL = blocks();
let dir: string;

beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pbp-guides-'));
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

it('has the six guides, each with code', () => {
  expect(new Set(ALL.map((b) => b.guide))).toEqual(
    new Set(['ownership.md', 'sizing.md', 'leak-checks.md', 'dgram-vs-own-io.md', 'sharing.md', 'debug-mode.md']),
  );
});

it('the typedoc site publishes every guide', () => {
  const config = JSON.parse(fs.readFileSync(path.join(ROOT, 'typedoc.json'), 'utf8')) as { projectDocuments: string[] };
  expect([...config.projectDocuments].sort()).toEqual(
    fs
      .readdirSync(GUIDES)
      .filter((f) => f.endsWith('.md'))
      .map((f) => `guides/${f}`)
      .sort(),
  );
});

it('every block type-checks against lib/', () => {
  const config = ts.readConfigFile(path.join(ROOT, 'tsconfig.json'), ts.sys.readFile);
  const options = ts.parseJsonConfigFileContent(config.config, ts.sys, ROOT).options;
  const files = ALL.map((b) => {
    const file = path.join(dir, `${b.guide.replace('.md', '')}-${b.n}.ts`);
    fs.writeFileSync(file, program(b.code, path.join(ROOT, 'lib', 'index')));
    return file;
  });
  const p = ts.createProgram({ rootNames: files, options: { ...options, noEmit: true, rootDir: undefined } });
  const problems = ts.getPreEmitDiagnostics(p).map((d) => {
    const where = d.file && d.start !== undefined ? d.file.getLineAndCharacterOfPosition(d.start) : undefined;
    return `${d.file ? path.basename(d.file.fileName) : ''}:${where ? where.line - 1 : 0} ${ts.flattenDiagnosticMessageText(d.messageText, '\n')}`;
  });
  expect(problems).toEqual([]);
});

it.each(ALL.map((b) => [`${b.guide} block ${b.n}`, b] as const))('runs: %s', async (_, b) => {
  const js = ts.transpileModule(program(b.code, ROOT), {
    compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022, esModuleInterop: true },
  }).outputText;
  const file = path.join(dir, `${b.guide.replace('.md', '')}-${b.n}.js`);
  fs.writeFileSync(file, js);
  const outcome = await new Promise<{ code: number | string | null; stderr: string }>((resolve) => {
    // Raw I/O runs in a network namespace of its own, whose loopback gets a 1500-byte MTU.
    const [command, args] = b.code.includes('RawEthernetInterface')
      ? ['unshare', ['--net', 'sh', '-c', `ip link set lo mtu 1500 up && exec "${process.execPath}" "${file}"`]]
      : [process.execPath, [file]];
    execFile(
      command,
      args,
      { timeout: 60_000, env: { ...process.env, PACKET_BUFFER_POOL_DEBUG: '' } },
      (err, _stdout, stderr) => resolve({ code: err ? (err.code ?? err.signal ?? -1) : 0, stderr }),
    );
  });
  expect(outcome).toEqual({ code: 0, stderr: outcome.code === 0 ? outcome.stderr : '' });
});

'use strict';
/**
 * Compiles examples/ (tsconfig.examples.json, what `npm run build:examples` runs) into
 * build-ts/examples/ for the tests that run them, and so type-checks them on every jest run: a
 * type error in an example, or a change to the package's public declarations that breaks one,
 * fails the run (CI's `npm test`). Skipped when the last successful compile is newer than every
 * input, so a run with nothing changed costs a few stat calls instead of a tsc start.
 */
const { execFileSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const ROOT = path.join(__dirname, '..', '..');
const STAMP = path.join(ROOT, 'build-ts', 'examples.ok');

/** Every file whose change can change the examples' compile: sources, configs, the public .d.ts. */
function inputs() {
  const files = ['tsconfig.examples.json', 'tsconfig.json', 'package.json', 'scripts/netns.js'].map((f) =>
    path.join(ROOT, f),
  );
  const walk = (dir, suffix) => {
    if (!fs.existsSync(dir)) return;
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(full, suffix);
      else if (entry.name.endsWith(suffix)) files.push(full);
    }
  };
  walk(path.join(ROOT, 'examples'), '.ts');
  walk(path.join(ROOT, 'dist'), '.d.ts');
  return files;
}

function compileExamples() {
  if (fs.existsSync(STAMP)) {
    const built = fs.statSync(STAMP).mtimeMs;
    if (inputs().every((f) => fs.statSync(f).mtimeMs < built)) return;
  }
  fs.rmSync(STAMP, { force: true });
  // The stamp gets the time the compile started: a file saved during it counts as newer.
  const started = new Date();
  try {
    execFileSync(process.execPath, [require.resolve('typescript/bin/tsc'), '-p', 'tsconfig.examples.json'], {
      cwd: ROOT,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
    });
  } catch (err) {
    throw new Error(`the examples do not compile (tsc -p tsconfig.examples.json):\n${err.stdout}${err.stderr}`);
  }
  fs.writeFileSync(STAMP, `${started.toISOString()}\n`);
  fs.utimesSync(STAMP, started, started);
}

module.exports = { compileExamples };

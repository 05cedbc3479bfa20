#!/usr/bin/env node
'use strict';
/**
 * clang-format over the C and C++ sources in native/ (.clang-format holds the style).
 *   node scripts/clang-format.js --check   exits 1 naming each file clang-format would change
 *                                          (`npm run lint`, and so CI)
 *   node scripts/clang-format.js --write   reformats them in place (`npm run format`)
 * The files are the ones git tracks or would track (so build outputs and the fuzzer's work corpus
 * are skipped, and a new file is covered before it is committed). CI uses Debian's clang-format
 * 14; another version may lay some lines out differently, so the script says which one it ran.
 * $CLANG_FORMAT names the binary to use.
 */
const { execFileSync, spawnSync } = require('node:child_process');
const path = require('node:path');

const ROOT = path.join(__dirname, '..');
const FOLDERS = ['native/core', 'native/addon', 'native/io', 'native/raw', 'native/test', 'native/bench'];
const SOURCE = /\.(c|cc|cpp|h|hpp)$/;
const CI_MAJOR = 14;
// Files per clang-format run, well under any command-line length limit.
const CHUNK = 40;

function nativeSources() {
  const out = execFileSync('git', ['ls-files', '--cached', '--others', '--exclude-standard', '-z', '--', ...FOLDERS], {
    cwd: ROOT,
    encoding: 'utf8',
  });
  return [...new Set(out.split('\0'))].filter((f) => SOURCE.test(f)).sort();
}

function findClangFormat() {
  const candidates = process.env.CLANG_FORMAT
    ? [process.env.CLANG_FORMAT]
    : [`clang-format-${CI_MAJOR}`, 'clang-format'];
  for (const bin of candidates) {
    const r = spawnSync(bin, ['--version'], { encoding: 'utf8' });
    if (r.status === 0) return { bin, version: r.stdout.trim() };
  }
  console.error(`clang-format not found (tried ${candidates.join(', ')}): apt-get install clang-format`);
  process.exit(2);
}

function main() {
  const mode = process.argv[2];
  if (mode !== '--check' && mode !== '--write') {
    console.error('usage: node scripts/clang-format.js --check | --write');
    process.exit(2);
  }
  const { bin, version } = findClangFormat();
  const major = Number(/version (\d+)/.exec(version)?.[1]);
  if (major !== CI_MAJOR) console.warn(`note: ${version}; CI checks with clang-format ${CI_MAJOR}`);
  const files = nativeSources();
  const args = mode === '--check' ? ['--dry-run', '-Werror', '--ferror-limit=1'] : ['-i'];
  const unformatted = new Set();
  for (let i = 0; i < files.length; i += CHUNK) {
    const r = spawnSync(bin, [...args, ...files.slice(i, i + CHUNK)], { cwd: ROOT, encoding: 'utf8' });
    if (r.error) throw r.error;
    // --dry-run reports "file:line:col: error: code should be clang-formatted" per file it would change.
    const found = [...r.stderr.matchAll(/^(.+?):\d+:\d+: error: code should be clang-formatted/gm)];
    for (const m of found) unformatted.add(m[1]);
    if (r.status !== 0 && found.length === 0) {
      process.stderr.write(r.stderr);
      process.exit(r.status ?? 1);
    }
  }
  if (unformatted.size > 0) {
    console.error(`clang-format: ${unformatted.size} of ${files.length} files are not formatted (npm run format):`);
    for (const f of [...unformatted].sort()) console.error(`  ${f}`);
    process.exit(1);
  }
  console.log(`clang-format: ${files.length} files ${mode === '--check' ? 'formatted' : 'written'} (${bin})`);
}

main();

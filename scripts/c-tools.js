'use strict';
/**
 * The small C programs that benches and tests run as outside peers (native/bench/udp_gso_sender.c,
 * native/test/udp_peer.c): compiled on first use with the system C compiler into build/c-tools/,
 * again whenever the source is newer than the binary. Compiling to a temporary name and renaming
 * keeps two processes that build at once (jest workers) from running a half-written file.
 */
const { execFileSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const ROOT = path.join(__dirname, '..');
const OUT_DIR = path.join(ROOT, 'build', 'c-tools');

/**
 * Path of the executable built from `source` (relative to the repository root); `libs` are extra
 * link arguments (e.g. ['-lxdp', '-lbpf']).
 */
function cTool(source, libs = []) {
  const src = path.join(ROOT, source);
  const exe = path.join(OUT_DIR, path.basename(source, '.c'));
  const fresh = fs.existsSync(exe) && fs.statSync(exe).mtimeMs >= fs.statSync(src).mtimeMs;
  if (fresh) return exe;
  fs.mkdirSync(OUT_DIR, { recursive: true });
  const tmp = `${exe}.${process.pid}.tmp`;
  execFileSync(process.env.CC || 'cc', ['-O2', '-Wall', '-Wextra', '-o', tmp, src, ...libs], { stdio: 'inherit' });
  fs.renameSync(tmp, exe);
  return exe;
}

module.exports = { cTool };

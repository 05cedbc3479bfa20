/**
 * The region layout has one source, native/core/layout.json; lib/layout.ts, lib/io-return-codes.ts,
 * lib/pool-flags.ts and the C++ headers are generated from it. These tests fail when a generated
 * file was edited by hand or the table changed without regenerating, and check that the generated
 * TypeScript carries every entry of the table.
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';

import * as ioReturnCodes from '../lib/io-return-codes';
import { expectedNativeLayout, LAYOUT_VERSION } from '../lib/layout';
import * as poolFlags from '../lib/pool-flags';

const root = path.join(__dirname, '..');
const script = path.join(root, 'scripts', 'generate-layout.js');

interface TableEntry {
  name: string;
  value: number | string | { bit: number };
}
interface TableGroup {
  key: string;
  entries: TableEntry[];
}
const table = JSON.parse(fs.readFileSync(path.join(root, 'native', 'core', 'layout.json'), 'utf8')) as {
  version: number;
  groups: TableGroup[];
};

function numeric(value: TableEntry['value']): number {
  if (typeof value === 'number') return value;
  if (typeof value === 'string') return Number(value);
  return 2 ** value.bit;
}

describe('generated layout files', () => {
  it('are what the table gives (npm run generate:layout -- --check passes)', () => {
    expect(() => execFileSync(process.execPath, [script, '--check'], { stdio: 'pipe' })).not.toThrow();
  });

  it('--check names a stale file and exits 1', () => {
    const { generate } = require(script) as { generate: () => Record<string, string> };
    const files = generate();
    expect(Object.keys(files).sort()).toEqual(
      [
        'lib/io-return-codes.ts',
        'lib/layout.ts',
        'lib/pool-flags.ts',
        'native/core/io_return_codes.h',
        'native/core/layout_table.h',
      ].sort(),
    );
    // Run the check on a copy of the tree where one generated file lost a line.
    const tmp = fs.mkdtempSync(path.join(require('node:os').tmpdir(), 'pbp-layout-'));
    try {
      fs.mkdirSync(path.join(tmp, 'scripts'));
      fs.copyFileSync(script, path.join(tmp, 'scripts', 'generate-layout.js'));
      for (const [file, text] of Object.entries(files)) {
        fs.mkdirSync(path.dirname(path.join(tmp, file)), { recursive: true });
        const damaged = file === 'lib/layout.ts' ? text.replace(/\n {2}VlanTag = \d+,/, '') : text;
        fs.writeFileSync(path.join(tmp, file), damaged);
      }
      const table = path.join('native', 'core', 'layout.json');
      fs.copyFileSync(path.join(root, table), path.join(tmp, table));
      let failure: { status: number; stderr: Buffer } | undefined;
      try {
        const copy = path.join(tmp, 'scripts', 'generate-layout.js');
        execFileSync(process.execPath, [copy, '--check'], { stdio: 'pipe' });
      } catch (err) {
        failure = err as { status: number; stderr: Buffer };
      }
      expect(failure?.status).toBe(1);
      expect(failure?.stderr.toString()).toContain('lib/layout.ts');
      expect(failure?.stderr.toString()).not.toContain('lib/pool-flags.ts');
    } finally {
      fs.rmSync(tmp, { recursive: true, force: true });
    }
  });

  it('carry every entry of the table, with its value', () => {
    expect(LAYOUT_VERSION).toBe(table.version);
    const expectedKeys = ['version'];
    for (const group of table.groups) {
      for (const entry of group.entries) {
        const key = `${group.key}.${entry.name}`;
        expectedKeys.push(key);
        expect([key, expectedNativeLayout[key]]).toEqual([key, numeric(entry.value)]);
      }
    }
    expect(Object.keys(expectedNativeLayout).sort()).toEqual(expectedKeys.sort());
  });

  it('export the public constants under their upstream names', () => {
    expect(poolFlags.PoolFlagPersistentMemory).toBe(expectedNativeLayout['poolFlag.PersistentMemory']);
    expect(ioReturnCodes.kIOReturnBadArgument).toBe(0xe00002c2);
    expect(Object.keys(ioReturnCodes).length).toBe(table.groups.find((g) => g.key === 'ioReturn')?.entries.length);
  });
});

#!/usr/bin/env node
'use strict';
/**
 * `npm run generate:layout`: writes the C++ and TypeScript views of the region layout from its
 * one source, native/core/layout.json. `npm run generate:layout -- --check` writes nothing and
 * exits 1, naming the files, when a generated file differs from what the table gives (CI runs
 * it, and so does test/generated-layout.test.ts).
 *
 * Outputs (all committed, none to be edited by hand):
 *   native/core/layout_table.h    constants in their namespaces, PBP_LAYOUT_FIELDS, kLayoutConstants
 *   native/core/io_return_codes.h enum class IOReturn and PBP_IORETURN_CODES
 *   lib/layout.ts                 const enums (inlined by tsc on the hot path), NativeLayoutFields,
 *                                 expectedNativeLayout and checkLayout
 *   lib/io-return-codes.ts        the public kIOReturn* constants and the IOReturnCode type
 *   lib/pool-flags.ts             the public PoolFlag* constants
 */
const fs = require('node:fs');
const path = require('node:path');

const ROOT = path.join(__dirname, '..');
const TABLE = 'native/core/layout.json';
const BANNER =
  `GENERATED from ${TABLE} by scripts/generate-layout.js. Do not edit: edit the table and\n` +
  '// run `npm run generate:layout`.';
const WIDTH = 100;
// .clang-format's ColumnLimit.
const CPP_COLUMNS = 120;

function numericValue(entry) {
  const v = entry.value;
  if (typeof v === 'number') return v;
  if (typeof v === 'string' && /^0x[0-9a-f]+$/i.test(v)) return Number(v);
  if (v && typeof v === 'object' && Number.isInteger(v.bit)) return 2 ** v.bit;
  throw new Error(`${TABLE}: ${entry.name} has an unreadable value ${JSON.stringify(v)}`);
}

/** How the value is spelled in source: hex when the table spells it hex or as a bit. */
function spell(entry, lang) {
  const n = numericValue(entry);
  const v = entry.value;
  if (typeof v === 'object') return lang === 'cpp' ? `1u << ${v.bit}` : `1 << ${v.bit}`;
  const text = typeof v === 'string' ? `0x${n.toString(16)}` : String(n);
  return lang === 'cpp' ? `${text}u` : text;
}

function cppName(group, entry) {
  return entry.cpp ?? `${group.cppPrefix ?? 'k'}${entry.name}${group.cppSuffix ?? ''}`;
}

function wrap(text, width, prefix) {
  const lines = [];
  let line = '';
  for (const word of text.split(/\s+/)) {
    if (line && prefix.length + line.length + 1 + word.length > width) {
      lines.push(prefix + line);
      line = word;
    } else line = line ? `${line} ${word}` : word;
  }
  if (line) lines.push(prefix + line);
  return lines;
}

/** `line` with `doc` after it when that fits in WIDTH, else with the doc on lines above it. */
function commented(line, doc, gap) {
  if (!doc) return [line];
  if (`${line}${gap}// ${doc}`.length <= WIDTH) return [`${line}${gap}// ${doc}`];
  const indent = line.match(/^\s*/)[0];
  return [...wrap(doc, WIDTH, `${indent}// `), line];
}

function jsdoc(text, indent = '') {
  const body = wrap(text, WIDTH, `${indent} * `);
  if (`${indent}/** ${text} */`.length <= WIDTH) return [`${indent}/** ${text} */`];
  return [`${indent}/**`, ...body, `${indent} */`];
}

/**
 * `head a | b | c;` as clang-format lays it out (.clang-format): on one line when it fits, else
 * the operands on continuation lines indented by four, as many to a line as fit.
 */
function cppOrExpression(head, names) {
  const oneLine = `${head} ${names.join(' | ')};`;
  if (oneLine.length <= CPP_COLUMNS) return [oneLine];
  const lines = [head];
  let line = '   ';
  names.forEach((name, i) => {
    const word = ` ${name}${i === names.length - 1 ? ';' : ' |'}`;
    if (line.length + word.length > CPP_COLUMNS && line.trim()) {
      lines.push(line);
      line = '   ';
    }
    line += word;
  });
  lines.push(line);
  return lines;
}

/**
 * The two alignments clang-format (Google style, .clang-format) makes in the generated headers, so
 * `npm run lint` finds them formatted: trailing comments of consecutive lines start in one column
 * (two spaces after the longest code), and a macro's line-continuation backslashes line up one
 * space after its longest line.
 */
function clangFormatted(text) {
  const lines = text.split('\n');
  const trailing = /^(\s*[^\s/}].*?[;,]) {2}\/\/ (.*)$/;
  for (let i = 0; i < lines.length;) {
    let j = i;
    while (j < lines.length && trailing.test(lines[j])) j++;
    if (j === i) {
      i++;
      continue;
    }
    const run = lines.slice(i, j).map((l) => trailing.exec(l));
    const column = Math.max(...run.map((m) => m[1].length)) + 2;
    run.forEach((m, k) => (lines[i + k] = `${m[1].padEnd(column)}// ${m[2]}`));
    i = j;
  }
  for (let i = 0; i < lines.length; i++) {
    if (!/^#define .* \\$/.test(lines[i])) continue;
    let j = i;
    while (j < lines.length && lines[j].endsWith(' \\')) j++;
    const bodies = lines.slice(i, j).map((l) => l.slice(0, -2));
    const width = Math.max(...bodies.map((b) => b.length));
    bodies.forEach((b, k) => (lines[i + k] = `${b.padEnd(width)} \\`));
    i = j;
  }
  return lines.join('\n');
}

function validate(table) {
  if (!Number.isInteger(table.version) || table.version < 1) throw new Error(`${TABLE}: bad version`);
  const keys = new Set();
  for (const group of table.groups) {
    if (keys.has(group.key)) throw new Error(`${TABLE}: group ${group.key} twice`);
    keys.add(group.key);
    const names = new Set();
    for (const entry of group.entries) {
      if (names.has(entry.name)) throw new Error(`${TABLE}: ${group.key}.${entry.name} twice`);
      names.add(entry.name);
      const n = numericValue(entry);
      if (!Number.isInteger(n) || n < 0 || n > 0xffffffff) {
        throw new Error(`${TABLE}: ${group.key}.${entry.name} = ${n} is not a uint32`);
      }
    }
  }
  const { uint32, uint64 } = table.layoutFields;
  if (uint32.length % 2 !== 0) {
    throw new Error(`${TABLE}: an odd number of uint32 layout fields pads the struct`);
  }
  const all = [...uint32, ...uint64];
  if (new Set(all).size !== all.length) throw new Error(`${TABLE}: a layout field is listed twice`);
}

function cppLayoutTable(table) {
  const out = [`// ${BANNER}`, '#pragma once', '', '#include <cstddef>', '#include <cstdint>', ''];
  out.push('#include "io_return_codes.h"', '', 'namespace pbp {', '');
  out.push(...wrap(`Layout versions: ${table.versionHistory.join('; ')}.`, WIDTH, '// '));
  out.push(`constexpr uint32_t kLayoutVersion = ${table.version};`, '');
  const constants = [['version', 'kLayoutVersion']];
  for (const group of table.groups) {
    if (group.cppEnum) {
      for (const e of group.entries) {
        constants.push([`${group.key}.${e.name}`, `uint32_t(${group.cppEnum}::${e.name})`]);
      }
      continue;
    }
    out.push(...wrap(group.doc, WIDTH, '// '));
    const ns = group.cppNamespace;
    if (ns) out.push(`namespace ${ns} {`);
    for (const e of group.entries) {
      const name = cppName(group, e);
      out.push(...commented(`constexpr uint32_t ${name} = ${spell(e, 'cpp')};`, e.doc, '  '));
      constants.push([`${group.key}.${e.name}`, ns ? `${ns}::${name}` : name]);
    }
    if (group.cppAll) {
      const names = group.entries.map((e) => cppName(group, e));
      out.push(...cppOrExpression(`constexpr uint32_t ${group.cppAll} =`, names));
    }
    if (ns) out.push(`}  // namespace ${ns}`);
    out.push('');
  }
  const { uint32, uint64 } = table.layoutFields;
  out.push(...wrap(table.layoutFields.$comment, WIDTH, '// '));
  out.push('#define PBP_LAYOUT_FIELDS(X) \\');
  for (const f of uint32) out.push(`  X(uint32_t, ${f}) \\`);
  for (const f of uint64) out.push(`  X(uint64_t, ${f}) \\`);
  out.push('  /* end */');
  out.push(`constexpr size_t kLayoutFieldsBytes = ${uint32.length * 4 + uint64.length * 8};`, '');
  out.push('// Every value above by "group.Name": the addon exports them as `layout`, and lib/layout.ts');
  out.push('// compares them with its own (generated from the same table) once at load time, so a binary');
  out.push('// built from another version of the table is refused instead of misreading the region.');
  out.push('struct LayoutConstant {', '  const char* key;', '  uint32_t value;', '};');
  out.push('inline constexpr LayoutConstant kLayoutConstants[] = {');
  for (const [key, expr] of constants) out.push(`    {"${key}", ${expr}},`);
  out.push('};', '', '}  // namespace pbp', '');
  return clangFormatted(out.join('\n'));
}

function cppIoReturnCodes(table) {
  const group = table.groups.find((g) => g.cppEnum === 'IOReturn');
  const out = [`// ${BANNER}`, '#pragma once', '', '#include <cstdint>', '', 'namespace pbp {', ''];
  out.push(`// ${group.doc}`, `enum class ${group.cppEnum} : uint32_t {`);
  for (const e of group.entries) out.push(...commented(`  ${e.name} = ${spell(e, 'cpp')},`, e.doc, '  '));
  out.push('};', '', '// X(Name) for every code, in table order.', `#define PBP_IORETURN_CODES(X) \\`);
  for (const e of group.entries) out.push(`  X(${e.name}) \\`);
  out.push('  /* end */', '', '}  // namespace pbp', '');
  return clangFormatted(out.join('\n'));
}

function tsPublicConstants(group) {
  const { prefix, codeType } = group.public;
  const out = [`// ${BANNER}`, ''];
  for (const e of group.entries) {
    out.push(...jsdoc(e.doc), `export const ${prefix}${e.name} = ${spell(e, 'ts')};`);
  }
  if (codeType) {
    out.push('', ...jsdoc(`The names \`IOReturnError.code\` takes: one per ${prefix} constant this package exports.`));
    out.push(`export type ${codeType} =`);
    group.entries.forEach((e, i) => out.push(`  | '${prefix}${e.name}'${i === group.entries.length - 1 ? ';' : ''}`));
  }
  out.push('');
  return out.join('\n');
}

function publicModule(group) {
  return `./${path.basename(group.public.file, '.ts')}`;
}

function tsLayout(table) {
  const out = [`// ${BANNER}`, '/**'];
  out.push(
    ...wrap(
      'Word indices, bits and codes of the region, from the table the C++ core is built from. They are ' +
        '`const enum`s so tsc writes them into the hot path as literals (imported plain consts compile ' +
        'to property loads on the module object, measured ~15% of allocatePacket+deallocatePacket); ' +
        '`checkLayout` compares them with what the addon was compiled with, once, at load time.',
      WIDTH,
      ' * ',
    ),
    ' */',
  );
  out.push("import { fail } from './io-return';");
  for (const group of table.groups) {
    if (group.public) out.push(`import * as ${group.key} from '${publicModule(group)}';`);
  }
  out.push('', `export const LAYOUT_VERSION = ${table.version};`, '');
  const pairs = [['version', 'LAYOUT_VERSION']];
  for (const group of table.groups) {
    if (group.public) {
      for (const e of group.entries) {
        pairs.push([`${group.key}.${e.name}`, `${group.key}.${group.public.prefix}${e.name}`]);
      }
      continue;
    }
    out.push(...jsdoc(group.doc), `export const enum ${group.tsEnum} {`);
    for (const e of group.entries) {
      out.push(...commented(`  ${e.name} = ${spell(e, 'ts')},`, e.doc, ' '));
      pairs.push([`${group.key}.${e.name}`, `${group.tsEnum}.${e.name}`]);
    }
    out.push('}', '');
  }
  const { uint32, uint64 } = table.layoutFields;
  out.push("/** The fields of the C++ LayoutFields struct, as the addon's layoutInfo() reports them. */");
  out.push('export interface NativeLayoutFields {');
  for (const f of [...uint32, ...uint64]) out.push(`  readonly ${f}: number;`);
  out.push('}', '');
  out.push('/** The values the addon must report in `binding.layout`, keyed "group.Name". */');
  out.push('export const expectedNativeLayout: Readonly<Record<string, number>> = {');
  // Quoted only where the key is not an identifier, as Prettier writes object keys.
  for (const [key, expr] of pairs) out.push(`  ${/^[A-Za-z_$][\w$]*$/.test(key) ? key : `'${key}'`}: ${expr},`);
  out.push('};', '');
  out.push(
    '/** Throws kIOReturnUnsupported if the addon was built from another version of the layout table. */',
    'export function checkLayout(native: Readonly<Record<string, number>>): void {',
    '  const keys = new Set([...Object.keys(expectedNativeLayout), ...Object.keys(native)]);',
    '  for (const key of keys) {',
    '    if (native[key] !== expectedNativeLayout[key]) {',
    '      fail(',
    '        ioReturn.kIOReturnUnsupported,',
    '        `native layout mismatch: ${key} is ${native[key]} in the addon, ${expectedNativeLayout[key]} in lib`,',
    '      );',
    '    }',
    '  }',
    '}',
    '',
  );
  return out.join('\n');
}

function generate() {
  const table = JSON.parse(fs.readFileSync(path.join(ROOT, TABLE), 'utf8'));
  validate(table);
  const files = {
    'native/core/layout_table.h': cppLayoutTable(table),
    'native/core/io_return_codes.h': cppIoReturnCodes(table),
    'lib/layout.ts': tsLayout(table),
  };
  for (const group of table.groups) if (group.public) files[group.public.file] = tsPublicConstants(group);
  return files;
}

function main() {
  const check = process.argv.includes('--check');
  const files = generate();
  const stale = [];
  for (const [file, text] of Object.entries(files)) {
    const at = path.join(ROOT, file);
    const current = fs.existsSync(at) ? fs.readFileSync(at, 'utf8') : null;
    if (current === text) continue;
    stale.push(file);
    if (!check) fs.writeFileSync(at, text);
  }
  if (check && stale.length > 0) {
    process.stderr.write(
      `generate:layout: stale generated file(s): ${stale.join(', ')}\n` +
        `edit ${TABLE} and run \`npm run generate:layout\`, never the generated files.\n`,
    );
    process.exit(1);
  }
  if (!check) process.stdout.write(stale.length ? `wrote ${stale.join(', ')}\n` : 'up to date\n');
}

if (require.main === module) main();
module.exports = { generate };

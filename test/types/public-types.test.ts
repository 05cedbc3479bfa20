/**
 * The public types, checked with the TypeScript compiler itself (in-process, as `tsc --noEmit`
 * would): public-api.ts must compile with the project's settings, the check must be able to fail,
 * deprecated members must carry `@deprecated` (and only they), and every exported member must
 * have TSDoc (what typedoc's `notDocumented` validation asks for).
 */
import * as path from 'node:path';
import * as ts from 'typescript';

const ROOT = path.join(__dirname, '..', '..');
const API_FILE = path.join(__dirname, 'public-api.ts');
const ENTRY = path.join(ROOT, 'lib', 'index.ts');

function compilerOptions(): ts.CompilerOptions {
  const configPath = path.join(ROOT, 'tsconfig.json');
  const config = ts.readConfigFile(configPath, ts.sys.readFile);
  const parsed = ts.parseJsonConfigFileContent(config.config, ts.sys, ROOT, undefined, configPath);
  return { ...parsed.options, noEmit: true, sourceMap: false, declaration: false };
}

/** A program over public-api.ts (and lib/ through its imports); `replace` edits its text first. */
function program(replace?: (text: string) => string, old?: ts.Program): ts.Program {
  const options = compilerOptions();
  const host = ts.createCompilerHost(options);
  if (replace) {
    const getSourceFile = host.getSourceFile.bind(host);
    host.getSourceFile = (fileName, language, ...rest) =>
      path.resolve(fileName) === API_FILE
        ? ts.createSourceFile(fileName, replace(ts.sys.readFile(API_FILE)!), language)
        : getSourceFile(fileName, language, ...rest);
  }
  return ts.createProgram({ rootNames: [API_FILE], options, host, oldProgram: old });
}

function errors(p: ts.Program): string[] {
  return ts.getPreEmitDiagnostics(p).map((d) => {
    const where = d.file && d.start !== undefined ? d.file.getLineAndCharacterOfPosition(d.start) : undefined;
    const file = d.file ? path.relative(ROOT, d.file.fileName) : '';
    return `${file}:${where ? where.line + 1 : 0} TS${d.code} ${ts.flattenDiagnosticMessageText(d.messageText, '\n')}`;
  });
}

function edit(text: string, from: string, to: string): string {
  if (!text.includes(from)) throw new Error(`public-api.ts no longer contains: ${from}`);
  return text.replace(from, to);
}

/**
 * Public members declared in lib/ (not inherited from Error and the like) of a class (instance
 * and static, including late-bound ones such as [Symbol.dispose]), interface or enum.
 */
function publicMembers(checker: ts.TypeChecker, symbol: ts.Symbol): ts.Symbol[] {
  let all: ts.Symbol[];
  if (symbol.flags & ts.SymbolFlags.Enum) {
    all = [...(symbol.exports?.values() ?? [])];
  } else {
    all = checker.getPropertiesOfType(checker.getDeclaredTypeOfSymbol(symbol));
    if (symbol.flags & ts.SymbolFlags.Class)
      all = all.concat(checker.getPropertiesOfType(checker.getTypeOfSymbol(symbol)));
  }
  return all.filter((member) => {
    const decl = member.declarations?.[0];
    if (!decl || !decl.getSourceFile().fileName.startsWith(path.join(ROOT, 'lib'))) return false;
    if (member.name === 'prototype' || (member.name.startsWith('_') && !member.name.startsWith('__@'))) return false;
    const flags = ts.getCombinedModifierFlags(decl as ts.Declaration);
    if (flags & (ts.ModifierFlags.Private | ts.ModifierFlags.Protected)) return false;
    return !ts.getJSDocTags(decl).some((tag) => tag.tagName.text === 'internal');
  });
}

function memberName(member: ts.Symbol): string {
  return member.name.startsWith('__@') ? `[${member.name.slice(3).replace(/@\d+$/, '')}]` : member.name;
}

let checked: ts.Program;
let checker: ts.TypeChecker;
let exported: ts.Symbol[];

beforeAll(() => {
  checked = program();
  checker = checked.getTypeChecker();
  const entry = checker.getSymbolAtLocation(checked.getSourceFile(ENTRY)!)!;
  exported = checker
    .getExportsOfModule(entry)
    .map((s) => (s.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(s) : s));
});

function exportedClass(name: string): ts.Symbol {
  const symbol = exported.find((s) => s.name === name);
  if (!symbol) throw new Error(`${name} is not exported from lib/index.ts`);
  return symbol;
}

describe('public types (test/types/public-api.ts)', () => {
  test('compile with the project settings: every Expect<Equal<...>> holds, every @ts-expect-error is an error', () => {
    expect(errors(checked)).toEqual([]);
  });

  test('the check can fail: a wrong expected type and a line that is no longer an error are reported', () => {
    const broken = program(
      (text) =>
        edit(
          edit(
            text,
            "Expect<Equal<Returns<'allocatePacket'>, Packet | null>>",
            "Expect<Equal<Returns<'allocatePacket'>, Packet>>",
          ),
          'const held: Packet = pool.allocatePacket();',
          'const held: Packet | null = pool.allocatePacket();',
        ),
      checked,
    );
    const codes = errors(broken).map((e) => e.split(' ')[1]);
    // TS2344: Expect<false>; TS2578: unused '@ts-expect-error' directive.
    expect(codes.sort()).toEqual(['TS2344', 'TS2578']);
  });
});

describe('@deprecated', () => {
  // Upstream deprecates Create and the capitalised DeallocatePacket(s) on the pool (its
  // GetBufferCount/GetPacketCount are current API), and the capitalised Get*/Set* accessors of
  // packets (lower-case twins replace them); nothing else may be struck out in editors.
  const upstreamDeprecated: Record<string, (name: string) => boolean> = {
    IOUserNetworkPacketBufferPool: (name) => ['Create', 'DeallocatePacket', 'DeallocatePackets'].includes(name),
    IOUserNetworkPacket: (name) => /^(Get|Set)[A-Z]/.test(name),
  };

  test.each(Object.keys(upstreamDeprecated))(
    '%s: exactly the upstream-deprecated members carry @deprecated',
    (className) => {
      const members = publicMembers(checker, exportedClass(className));
      const deprecated = members.filter((m) =>
        (m.declarations ?? []).some((d) => ts.getJSDocDeprecatedTag(d) !== undefined),
      );
      expect(members.length).toBeGreaterThan(10);
      expect(deprecated.map(memberName).sort()).toEqual(
        members.map(memberName).filter(upstreamDeprecated[className]).sort(),
      );
    },
  );
});

describe('TSDoc', () => {
  test('every exported declaration and each of its public members is documented', () => {
    const missing: string[] = [];
    const documented = (symbol: ts.Symbol): boolean =>
      ts.displayPartsToString(symbol.getDocumentationComment(checker)).trim().length > 0 ||
      (symbol.declarations ?? []).some((d) => ts.getJSDocTags(d).some((t) => t.tagName.text === 'deprecated'));
    for (const symbol of exported) {
      if (!documented(symbol)) missing.push(symbol.name);
      if (symbol.flags & (ts.SymbolFlags.Class | ts.SymbolFlags.Interface | ts.SymbolFlags.Enum)) {
        for (const member of publicMembers(checker, symbol)) {
          if (!documented(member)) missing.push(`${symbol.name}.${memberName(member)}`);
        }
      }
    }
    expect(exported.length).toBeGreaterThan(20);
    expect(missing).toEqual([]);
  });
});

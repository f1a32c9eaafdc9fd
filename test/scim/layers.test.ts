/**
 * The SCIM layer stands on its store interface alone.
 *
 * src/scim speaks the protocol; where users and groups live is behind src/scim/store.ts (as
 * elimity-com/scim's ResourceHandler), implemented at the composition level over the directory
 * (src/directory-store.ts). So no file under src/scim imports, even for a type, a module of
 * src/directory, src/sync, src/forge or any other layer, nor a Forge package. The one
 * exception, with its reason, is ALLOWED below.
 *
 * What this checks, in every .ts file under src/scim: each `import`, `export … from`, dynamic
 * `import()` and `require()` with a relative specifier resolves inside src/scim (or is
 * ALLOWED), and no specifier names an `@forge/` package.
 */
import fs from 'node:fs';
import path from 'node:path';
import ts from 'typescript';
import { ROOT } from '../support/forge-runtime';

const SCIM = path.join(ROOT, 'src', 'scim');

/** Modules outside src/scim the SCIM layer may import, each with why. */
const ALLOWED: Record<string, string> = {
  'src/storage/port.ts':
    "storage's own errors (a lost race, a rate limit): the SCIM layer answers them 503 Retry-After",
};

function sourceFiles(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(full);
    return entry.name.endsWith('.ts') ? [full] : [];
  });
}

/** Every module specifier a source names: static, type-only, re-exports, dynamic, require. */
function specifiers(fileName: string, text: string): string[] {
  const source = ts.createSourceFile(fileName, text, ts.ScriptTarget.Latest, true);
  const found: string[] = [];
  const visit = (node: ts.Node): void => {
    if (
      (ts.isImportDeclaration(node) || ts.isExportDeclaration(node)) &&
      node.moduleSpecifier &&
      ts.isStringLiteral(node.moduleSpecifier)
    ) {
      found.push(node.moduleSpecifier.text);
    } else if (
      ts.isCallExpression(node) &&
      (node.expression.kind === ts.SyntaxKind.ImportKeyword ||
        (ts.isIdentifier(node.expression) && node.expression.text === 'require')) &&
      node.arguments.length > 0 &&
      ts.isStringLiteralLike(node.arguments[0])
    ) {
      found.push(node.arguments[0].text);
    } else if (
      ts.isImportTypeNode(node) &&
      ts.isLiteralTypeNode(node.argument) &&
      ts.isStringLiteral(node.argument.literal)
    ) {
      found.push(node.argument.literal.text);
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return found;
}

/** What a file under src/scim imports from outside the SCIM layer, one line each. */
function reachesOut(file: string, text: string): string[] {
  const relative = path.relative(ROOT, file).split(path.sep).join('/');
  return specifiers(file, text).flatMap((specifier) => {
    if (specifier.startsWith('@forge/')) return [`${relative} imports the Forge package ${specifier}`];
    if (!specifier.startsWith('.')) return [];
    const target = path.resolve(path.dirname(file), specifier);
    if (target === SCIM || target.startsWith(SCIM + path.sep)) return [];
    const module = path
      .relative(ROOT, target)
      .split(path.sep)
      .join('/')
      .replace(/(\.js)?$/, '.ts');
    return ALLOWED[module] ? [] : [`${relative} imports ${module}`];
  });
}

describe('the SCIM layer imports only its store interface (src/scim/store.ts)', () => {
  const files = sourceFiles(SCIM);

  it('reads every file of the layer', () => {
    const names = files.map((file) => path.relative(ROOT, file).split(path.sep).join('/'));
    expect(names).toEqual(
      expect.arrayContaining([
        'src/scim/store.ts',
        'src/scim/service.ts',
        'src/scim/resources/search.ts',
        'src/scim/resources/members.ts',
      ]),
    );
  });

  it('imports nothing from src/directory, src/sync, src/forge or any other layer', () => {
    const problems = files.flatMap((file) => reachesOut(file, fs.readFileSync(file, 'utf8')));
    expect(problems).toEqual([]);
  });

  it('would catch a type-only, dynamic or re-exported reach into another layer', () => {
    const file = path.join(SCIM, 'resources', 'example.ts');
    const text = [
      "import type { Directory } from '../../directory/directory';",
      "export { fold } from '../../directory/keys';",
      "const sync = () => import('../../sync/service');",
      "type Kvs = import('../../forge/kvs-store').KvsStore;",
      "import { storage } from '@forge/kvs';",
      "import { ScimError } from '../errors';",
      "import { FORGE_LIMITS } from '../../storage/port';",
    ].join('\n');
    expect(reachesOut(file, text)).toEqual([
      'src/scim/resources/example.ts imports src/directory/directory.ts',
      'src/scim/resources/example.ts imports src/directory/keys.ts',
      'src/scim/resources/example.ts imports src/sync/service.ts',
      'src/scim/resources/example.ts imports src/forge/kvs-store.ts',
      'src/scim/resources/example.ts imports the Forge package @forge/kvs',
    ]);
  });
});

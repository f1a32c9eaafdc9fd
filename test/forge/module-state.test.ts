/**
 * No customer's state at module level in code Forge loads.
 *
 * Forge serves several installations from one warm process and does not clear the module
 * cache between their invocations (`tenant-data-isolation`): a module-level variable, cache or
 * timer is shared by every customer. State an instance keeps between invocations goes through
 * `perInstallation` (src/forge/installation.ts), keyed by the invocation's installation.
 *
 * What this checks, in every module reachable by relative imports from the functions
 * manifest.yml names (the code Forge bundles; src/frontend runs in the browser, src/local never
 * ships), at the top level of each file:
 *   - no `let` or `var`: a binding that can change is state shared by every customer;
 *   - no timers (`setInterval`, `setTimeout`) started on load;
 *   - a `Map`, `Set`, `WeakMap`, `WeakSet`, array or object literal bound at module level is
 *     never changed anywhere in its file (set/add/delete/clear/push/splice..., or an assignment
 *     to one of its members): read-only lookup tables are fine, caches are not;
 *   - no other object built with `new` at module level, except the classes in STATELESS below,
 *     each with the reason it holds nothing of a customer's;
 *   - no `static` class field that is not `readonly`.
 * What it cannot see: state hidden inside a function's closure created at module level, or a
 * class whose own fields change. Those are left to review; the rule is the same.
 */
import fs from 'node:fs';
import path from 'node:path';
import ts from 'typescript';
import { readManifest, resolveHandler } from '../../src/local/forge-runtime';
import { ROOT } from '../support/forge-runtime';

/** Classes whose module-level instances hold no state that depends on a customer. */
const STATELESS: Record<string, string> = {
  Queue: "@forge/events' queue: its key only; each push names the invocation's installation",
};

const MUTATORS = new Set([
  'set',
  'add',
  'delete',
  'clear',
  'push',
  'pop',
  'shift',
  'unshift',
  'splice',
  'sort',
  'reverse',
  'fill',
  'copyWithin',
]);
const COLLECTIONS = new Set(['Map', 'Set', 'WeakMap', 'WeakSet', 'Array']);

/** Every module Forge loads: relative imports followed from the manifest's handlers. */
function forgeModules(): string[] {
  const manifest = readManifest(path.join(ROOT, 'manifest.yml'));
  const sourceRoot = path.join(ROOT, 'src');
  const pending = [...manifest.functions.values()].map((fn) => resolveHandler(sourceRoot, fn.handler).module);
  const seen = new Set<string>();
  while (pending.length > 0) {
    const next = pending.pop() as string;
    const file = resolveSource(next);
    if (!file || seen.has(file)) continue;
    seen.add(file);
    const source = ts.createSourceFile(file, fs.readFileSync(file, 'utf8'), ts.ScriptTarget.Latest, true);
    for (const statement of source.statements) {
      const specifier =
        (ts.isImportDeclaration(statement) || ts.isExportDeclaration(statement)) &&
        statement.moduleSpecifier &&
        ts.isStringLiteral(statement.moduleSpecifier)
          ? statement.moduleSpecifier.text
          : undefined;
      if (specifier?.startsWith('.')) pending.push(path.resolve(path.dirname(file), specifier));
    }
  }
  return [...seen].sort();
}

function resolveSource(modulePath: string): string | undefined {
  const base = modulePath.replace(/\.(js|ts|tsx)$/, '');
  return [`${base}.ts`, `${base}.tsx`, path.join(base, 'index.ts')].find((f) => fs.existsSync(f));
}

/** What a file keeps at module level that could hold a customer's state, one line each. */
function moduleState(file: string): string[] {
  const relative = path.relative(ROOT, file).split(path.sep).join('/');
  const source = ts.createSourceFile(file, fs.readFileSync(file, 'utf8'), ts.ScriptTarget.Latest, true);
  const problems: string[] = [];
  const where = (node: ts.Node) =>
    `${relative}:${source.getLineAndCharacterOfPosition(node.getStart()).line + 1}`;
  const collections = new Map<string, ts.Node>();

  for (const statement of source.statements) {
    if (ts.isVariableStatement(statement)) {
      const flags = statement.declarationList.flags;
      if (!(flags & ts.NodeFlags.Const)) {
        problems.push(`${where(statement)}: module-level \`let\`/\`var\` is shared by every customer`);
        continue;
      }
      for (const declaration of statement.declarationList.declarations) {
        const init = declaration.initializer;
        if (!init || !ts.isIdentifier(declaration.name)) continue;
        const name = declaration.name.text;
        const built = unwrap(init);
        if (ts.isNewExpression(built)) {
          const className = built.expression.getText(source);
          if (COLLECTIONS.has(className)) collections.set(name, declaration);
          else if (!STATELESS[className]) {
            problems.push(
              `${where(declaration)}: module-level \`new ${className}\` (${name}) may hold state`,
            );
          }
        } else if (ts.isArrayLiteralExpression(built) || ts.isObjectLiteralExpression(built)) {
          collections.set(name, declaration);
        }
      }
    }
    if (ts.isExpressionStatement(statement) && ts.isCallExpression(statement.expression)) {
      const callee = statement.expression.expression.getText(source);
      if (callee === 'setInterval' || callee === 'setTimeout') {
        problems.push(`${where(statement)}: a timer started on load runs for every customer`);
      }
    }
    if (ts.isClassDeclaration(statement)) {
      for (const member of statement.members) {
        const modifiers = ts.canHaveModifiers(member) ? (ts.getModifiers(member) ?? []) : [];
        const isStatic = modifiers.some((m) => m.kind === ts.SyntaxKind.StaticKeyword);
        const isReadonly = modifiers.some((m) => m.kind === ts.SyntaxKind.ReadonlyKeyword);
        if (ts.isPropertyDeclaration(member) && isStatic && !isReadonly) {
          problems.push(`${where(member)}: a static field that can change is shared by every customer`);
        }
      }
    }
  }

  // Changes to a module-level collection anywhere in the file.
  const visit = (node: ts.Node): void => {
    const target = mutatedName(node);
    if (target && collections.has(target)) {
      problems.push(
        `${where(node)}: module-level \`${target}\` is changed (a cache shared by every customer)`,
      );
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return problems;
}

function unwrap(expression: ts.Expression): ts.Expression {
  let current = expression;
  while (
    ts.isAsExpression(current) ||
    ts.isSatisfiesExpression(current) ||
    ts.isParenthesizedExpression(current) ||
    ts.isTypeAssertionExpression(current)
  ) {
    current = current.expression;
  }
  return current;
}

/** The name a node changes: `x.set(...)`, `x[k] = v`, `x.field = v`, `delete x.field`. */
function mutatedName(node: ts.Node): string | undefined {
  const root = (expression: ts.Expression): string | undefined =>
    ts.isIdentifier(expression)
      ? expression.text
      : ts.isPropertyAccessExpression(expression) || ts.isElementAccessExpression(expression)
        ? root(expression.expression)
        : undefined;
  if (
    ts.isCallExpression(node) &&
    ts.isPropertyAccessExpression(node.expression) &&
    MUTATORS.has(node.expression.name.text) &&
    ts.isIdentifier(node.expression.expression)
  ) {
    return node.expression.expression.text;
  }
  if (
    ts.isBinaryExpression(node) &&
    node.operatorToken.kind >= ts.SyntaxKind.FirstAssignment &&
    node.operatorToken.kind <= ts.SyntaxKind.LastAssignment &&
    (ts.isPropertyAccessExpression(node.left) || ts.isElementAccessExpression(node.left))
  ) {
    return root(node.left);
  }
  if (ts.isDeleteExpression(node)) return root(node.expression);
  return undefined;
}

describe('module-level state in code Forge loads (tenant-data-isolation)', () => {
  const modules = forgeModules();

  it('follows the handlers into the whole app', () => {
    const names = modules.map((file) => path.relative(ROOT, file).split(path.sep).join('/'));
    expect(names).toEqual(
      expect.arrayContaining(['src/forge/index.ts', 'src/forge/tokens.ts', 'src/app.ts']),
    );
    expect(names.some((name) => name.startsWith('src/directory/'))).toBe(true);
    expect(names.some((name) => name.startsWith('src/local/'))).toBe(false);
  });

  it('keeps no customer state at module level', () => {
    expect(modules.flatMap(moduleState)).toEqual([]);
  });

  it('catches each kind of module-level state it promises to', () => {
    const dir = fs.mkdtempSync(path.join(ROOT, 'test', '.module-state-'));
    try {
      const file = path.join(dir, 'sample.ts');
      fs.writeFileSync(
        file,
        [
          'let lastPush = 0;',
          'const cache = new Map<string, number>();',
          'const table = new Set(["a"]);',
          'const seen: string[] = [];',
          'const client = new Client();',
          'setInterval(() => undefined, 1000);',
          'class Holder { static current = 1; static readonly fixed = 2; }',
          'export function f(k: string) { cache.set(k, 1); seen.push(k); lastPush = 1; return table.has(k); }',
        ].join('\n'),
      );
      const problems = moduleState(file).map((p) => p.replace(/^.*sample\.ts:/, ''));
      expect(problems).toEqual([
        expect.stringMatching(/^1: module-level `let`/),
        expect.stringMatching(/^5: module-level `new Client`/),
        expect.stringMatching(/^6: a timer/),
        expect.stringMatching(/^7: a static field/),
        expect.stringMatching(/^8: module-level `cache` is changed/),
        expect.stringMatching(/^8: module-level `seen` is changed/),
      ]);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

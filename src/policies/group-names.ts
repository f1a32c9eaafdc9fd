/**
 * The Atlassian name of a SCIM group, as the group-name policies say (src/policies/policies.ts):
 * the explicit map first, exactly; otherwise the regular-expression rewrite, then the prefix.
 * Pure, so the worker, the admin page's preview and the tests agree on every name.
 *
 * A name Atlassian would refuse (empty, longer than it allows) is answered as a refusal with
 * the reason, so the worker reports it instead of sending it.
 *
 * The rewrite runs on RE2 (re2js, a pure-JavaScript port of Google's RE2), never on the
 * JavaScript engine: the identity provider chooses the names, and a backtracking engine takes
 * exponential time on patterns such as `(\w|\d)*$` (122 s on a 29-character name, during which
 * the single-threaded runtime answers nothing else). RE2 matches in time linear in the name.
 * The pattern keeps JavaScript's syntax and the replacement String.prototype.replace's
 * (`$1`, `$<name>`, `$&`, `$$`); what RE2 cannot run is refused by name (compileRewrite).
 */
import { RE2JS } from 're2js';
import type { Policies } from './policies';

/** Atlassian group names are at most 255 characters (Organizations API, Jira group API). */
export const MAX_GROUP_NAME = 255;

/**
 * Instructions of the compiled RE2 program. Matching costs about (name length × program size)
 * steps, and counted repetition multiplies the size (`\w{1,1000}` is 2,001 instructions). The
 * bound fits the longest plain pattern the policy allows (1,000 characters: about 1,002), with
 * room for anchors and groups; at it, a 10,000-character name takes well under a second, a
 * 255-character one a few milliseconds.
 */
export const MAX_REWRITE_PROGRAM = 1_100;

export type GroupName = { ok: true; name: string } | { ok: false; reason: string };

type Rewrite = NonNullable<Policies['groups']['rewrite']>;

/** A rewrite ready to run, or why it cannot run and which field to fix. */
export type CompiledRewrite =
  | { ok: true; apply: (name: string) => string }
  | {
      ok: false;
      field: 'pattern' | 'flags';
      /** `syntax`: not valid JavaScript; `engine`: valid, but RE2 cannot run it. */
      kind: 'syntax' | 'engine';
      reason: string;
    };

/**
 * JavaScript flags and what they are on RE2. `u` changes nothing (RE2 always reads code points)
 * and `d` only adds match indices, which a replace does not use.
 */
const FLAGS: Record<string, number | 'global' | 'none'> = {
  g: 'global',
  i: RE2JS.CASE_INSENSITIVE,
  m: RE2JS.MULTILINE,
  s: RE2JS.DOTALL,
  u: 'none',
  d: 'none',
};
const UNSUPPORTED_FLAGS: Record<string, string> = {
  y: 'the sticky flag (y) has no RE2 equivalent: anchor the pattern with ^ instead',
  v: 'the unicodeSets flag (v) has no RE2 equivalent: use u (class set operations are not supported)',
};

/** Escaped letters JavaScript gives a meaning (outside u mode every other one is the letter itself). */
const JS_LETTER_ESCAPES = new Set('bBdDsSwWfnrtvcxuk');

/**
 * The first construct of a JavaScript pattern that RE2 cannot run, or reads differently from
 * JavaScript, named so the admin knows what to change. RE2's own parser reports the rest.
 */
function unsupportedConstruct(pattern: string, unicode: boolean): string | undefined {
  let inClass = false;
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i];
    if (c === '\\') {
      const next = pattern[i + 1] ?? '';
      if (/[1-9]/.test(next) && !inClass)
        return `the backreference \\${next} needs a backtracking engine; RE2 has none`;
      if (next === 'k' && pattern[i + 2] === '<')
        return 'the named backreference \\k<…> needs a backtracking engine; RE2 has none';
      if ((next === 'p' || next === 'P') && unicode) {
        i++;
        continue;
      }
      if ((next === 'u' || next === 'x') && pattern[i + 2] === '{' && !unicode)
        return `\\${next}{…} is the letter ${next} repeated in JavaScript without the u flag, a character code in RE2: write \\u followed by four hex digits, or add the u flag`;
      if (/[A-Za-z]/.test(next) && !JS_LETTER_ESCAPES.has(next))
        return `\\${next} is the letter ${next} in JavaScript but not in RE2: write ${next} without the backslash`;
      i++;
      continue;
    }
    if (inClass) {
      if (c === ']') inClass = false;
      else if (c === '[' && /^\[:[a-z]+:\]/.test(pattern.slice(i)))
        return 'POSIX classes such as [:alpha:] are not JavaScript syntax: list the characters, e.g. [a-zA-Z]';
      continue;
    }
    if (c === '[') {
      inClass = true;
      // A `]` right after `[` or `[^` is a character of the class in RE2, the end in JavaScript.
      if (pattern[i + 1] === ']' || (pattern[i + 1] === '^' && pattern[i + 2] === ']')) {
        if (pattern[i + 1] === ']') return '[] matches nothing in JavaScript and is not valid RE2: remove it';
        i += 2;
        inClass = false;
      }
      continue;
    }
    if (c === '(' && pattern[i + 1] === '?') {
      const rest = pattern.slice(i + 2);
      if (rest.startsWith('=') || rest.startsWith('!'))
        return `the lookahead (?${rest[0]}…) is not supported by RE2: match the text and keep it with a group and $1`;
      if (rest.startsWith('<=') || rest.startsWith('<!'))
        return `the lookbehind (?${rest.slice(0, 2)}…) is not supported by RE2: match the text and keep it with a group and $1`;
    }
  }
  return undefined;
}

/**
 * Compiles a rewrite for RE2. The pattern must first be valid JavaScript (the documented
 * syntax; the JavaScript engine's message says why not), then free of what RE2 cannot run.
 */
export function compileRewrite(rewrite: Rewrite): CompiledRewrite {
  const flags = rewrite.flags ?? '';
  try {
    // Syntax only: this RegExp is never run.
    new RegExp(rewrite.pattern, flags);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    return {
      ok: false,
      field: /flag/i.test(message) ? 'flags' : 'pattern',
      kind: 'syntax',
      reason: `does not compile: ${message}`,
    };
  }
  let engineFlags = 0;
  let global = false;
  for (const flag of flags) {
    const unsupported = UNSUPPORTED_FLAGS[flag];
    if (unsupported) return { ok: false, field: 'flags', kind: 'engine', reason: unsupported };
    const meaning = FLAGS[flag];
    if (meaning === 'global') global = true;
    else if (typeof meaning === 'number') engineFlags |= meaning;
  }
  const construct = unsupportedConstruct(rewrite.pattern, flags.includes('u'));
  if (construct)
    return { ok: false, field: 'pattern', kind: 'engine', reason: `cannot run in linear time: ${construct}` };
  let engine: RE2JS;
  try {
    // translateRegExp turns JavaScript-only spellings into RE2's: (?<name>, \uXXXX, \cX, [^].
    engine = RE2JS.compile(RE2JS.translateRegExp(rewrite.pattern), engineFlags);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    return {
      ok: false,
      field: 'pattern',
      kind: 'engine',
      reason: `RE2, the linear-time engine rewrites run on, refuses it: ${message}`,
    };
  }
  const size = engine.programSize();
  if (size > MAX_REWRITE_PROGRAM)
    return {
      ok: false,
      field: 'pattern',
      kind: 'engine',
      reason: `compiles to ${size} instructions; at most ${MAX_REWRITE_PROGRAM} (large repeat counts such as {500} cost one each): simplify it`,
    };
  const { replacement } = rewrite;
  return {
    ok: true,
    // Not Java mode: the replacement is expanded as String.prototype.replace expands it.
    apply: (name) =>
      global ? engine.matcher(name).replaceAll(replacement) : engine.matcher(name).replaceFirst(replacement),
  };
}

export function atlassianGroupName(displayName: string, policy: Policies['groups']): GroupName {
  const mapped = Object.prototype.hasOwnProperty.call(policy.nameMap, displayName)
    ? policy.nameMap[displayName]
    : undefined;
  let name: string;
  if (mapped !== undefined) {
    name = mapped.trim();
  } else {
    let rewritten = displayName;
    if (policy.rewrite) {
      // Compiled per name, not cached: a module-level cache would be shared by every
      // installation Forge serves from this process (test/forge/module-state.test.ts), and
      // compiling a pattern of at most 1,000 characters costs far less than the Atlassian call
      // the name is for.
      const rewrite = compileRewrite(policy.rewrite);
      // Validated when saved; a document saved before RE2, or edited by hand, may still hold
      // a pattern RE2 cannot run: the group waits rather than being sent under another name.
      if (!rewrite.ok)
        return {
          ok: false,
          reason: `the group-name rewrite /${policy.rewrite.pattern}/ is not valid: ${rewrite.field} ${rewrite.reason}`,
        };
      rewritten = rewrite.apply(displayName);
    }
    rewritten = rewritten.trim();
    if (rewritten === '') {
      return { ok: false, reason: `"${displayName}" is empty after the group-name rewrite` };
    }
    name = `${policy.prefix}${rewritten}`.trim();
  }
  if (name === '') return { ok: false, reason: `"${displayName}" maps to an empty group name` };
  if (name.length > MAX_GROUP_NAME) {
    return {
      ok: false,
      reason: `"${name.slice(0, 40)}…" is ${name.length} characters; Atlassian allows at most ${MAX_GROUP_NAME}`,
    };
  }
  return { ok: true, name };
}

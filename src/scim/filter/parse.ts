/**
 * SCIM filter parsing (RFC 7644 §3.4.2.2).
 *
 * The grammar work is done by scim2-parse-filter's parser. In front of it sits our own
 * lexer, because identity providers send filters the RFC grammar does not allow and the
 * library's lexer rejects:
 *   - unquoted values: `externalId eq jyoung` (Entra), `userName sw O`,
 *     `meta.created gt 2015-10-10T14:38:21.8617979-07:00` (Microsoft's test collection);
 *   - a sub-attribute after a value filter: `emails[type eq "work"].value eq "a@b.c"`
 *     (Entra). The library turns that into two independent conditions; we rewrite it to
 *     `emails[(type eq "work") and value eq "a@b.c"]`, which keeps "the same e-mail" semantics.
 * What the tolerance for unquoted values must not swallow: typographic quotes. A filter
 * typed in a word processor or chat tool arrives as `title eq “bob”`; read as the unquoted
 * value `“bob”` it would match nothing and answer 200 with an empty list, which an identity
 * provider takes as "no such user" and creates a duplicate. Such a quote where a value
 * starts, or inside an unquoted value, is a 400 invalidFilter (RFC 7644 §3.4.2.2: strings
 * are JSON strings, delimited by '"' only; §3.12). Inside an ASCII-quoted string they are
 * ordinary characters.
 */
import type { Filter } from 'scim2-parse-filter';
import { parseFilter, Token, Tokens } from 'scim2-parse-filter/lib/src/parser';
import { badRequest } from '../errors';

export type { Filter } from 'scim2-parse-filter';

export const MAX_FILTER_LENGTH = 4096;
const MAX_NESTING = 32;

const COMPARISON = new Set(['eq', 'ne', 'co', 'sw', 'ew', 'gt', 'lt', 'ge', 'le']);
const NUMBER = /^-?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?$/;
const WORD = /^[A-Za-z_$][\w$:.\-/]*/;
/**
 * Quotation marks that are not the ASCII '"': curly single and double quotes (U+2018–U+201F),
 * primes (U+2032–U+2037), guillemets (U+00AB, U+00BB, U+2039, U+203A), CJK corner brackets
 * and quotes (U+300C–U+300F, U+301D–U+301F), fullwidth '"' and "'" (U+FF02, U+FF07).
 */
const NON_ASCII_QUOTE =
  /[\u00ab\u00bb\u2018-\u201f\u2032-\u2037\u2039\u203a\u300c-\u300f\u301d-\u301f\uff02\uff07]/;

type State = 'attribute' | 'operator' | 'value' | 'logical';

export function parseScimFilter(text: string): Filter {
  if (text.length > MAX_FILTER_LENGTH) {
    throw badRequest(
      'invalidFilter',
      `Filters longer than ${MAX_FILTER_LENGTH} characters are not accepted.`,
    );
  }
  const tokens = lex(text);
  const list = new Tokens(tokens);
  let filter: Filter;
  try {
    filter = parseFilter(list);
  } catch (error) {
    throw badRequest('invalidFilter', `Invalid filter: ${describe(error)}`);
  }
  if (list.peek().type !== 'EOT') {
    throw badRequest('invalidFilter', `Invalid filter: unexpected "${list.peek().literal}".`);
  }
  return filter;
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

const word = (literal: string): Token => ({ type: 'Word', literal });
const bracket = (literal: string): Token => ({ type: 'Bracket', literal });
const quoted = (value: string): Token => ({ type: 'Quoted', literal: JSON.stringify(value) });

function lex(text: string): Token[] {
  const tokens: Token[] = [];
  const openBrackets: number[] = [];
  let depth = 0;
  let state: State = 'attribute';
  let i = 0;
  const fail = (why: string): never => {
    throw badRequest('invalidFilter', `Invalid filter at position ${i + 1}: ${why}.`);
  };

  while (i < text.length) {
    const char = text[i];
    if (/\s/.test(char)) {
      i++;
      continue;
    }
    if (state === 'value') {
      const value = readValue(text, i, fail);
      tokens.push(value.token);
      i = value.end;
      state = 'logical';
      continue;
    }
    if (char === '(') {
      if (state !== 'attribute') fail('unexpected "("');
      if (++depth > MAX_NESTING) fail('filter nested too deeply');
      tokens.push(bracket('('));
      i++;
      continue;
    }
    if (char === ')') {
      if (state !== 'logical') fail('unexpected ")"');
      depth--;
      tokens.push(bracket(')'));
      i++;
      continue;
    }
    if (char === '[') {
      if (state !== 'operator' || openBrackets.length > 0) fail('unexpected "["');
      openBrackets.push(tokens.length);
      tokens.push(bracket('['));
      i++;
      state = 'attribute';
      continue;
    }
    if (char === ']') {
      if (state !== 'logical' || openBrackets.length === 0) fail('unexpected "]"');
      const open = openBrackets.pop() as number;
      i++;
      if (text[i] === '.') {
        // attr[filter].sub op value  →  attr[(filter) and sub op value]
        i++;
        const sub = WORD.exec(text.slice(i));
        if (!sub) fail('expected a sub-attribute after "]."');
        i += (sub as RegExpExecArray)[0].length;
        tokens.splice(open + 1, 0, bracket('('));
        tokens.push(bracket(')'), word('and'), word((sub as RegExpExecArray)[0]));
        const operator = readWord(text, i, fail);
        i = operator.end;
        const op = operator.literal.toLowerCase();
        tokens.push(word(op));
        if (COMPARISON.has(op)) {
          const value = readValue(text, i, fail);
          tokens.push(value.token);
          i = value.end;
        } else if (op !== 'pr') {
          fail(`unknown operator "${operator.literal}"`);
        }
      }
      tokens.push(bracket(']'));
      state = 'logical';
      continue;
    }
    const next = readWord(text, i, fail);
    i = next.end;
    const lowered = next.literal.toLowerCase();
    switch (state) {
      case 'attribute':
        if (lowered === 'not') {
          tokens.push(word('not'));
        } else {
          tokens.push(word(next.literal));
          state = 'operator';
        }
        break;
      case 'operator':
        if (COMPARISON.has(lowered)) state = 'value';
        else if (lowered === 'pr') state = 'logical';
        else fail(`unknown operator "${next.literal}"`);
        tokens.push(word(lowered));
        break;
      case 'logical':
        if (lowered !== 'and' && lowered !== 'or') fail(`expected "and" or "or", found "${next.literal}"`);
        tokens.push(word(lowered));
        state = 'attribute';
        break;
    }
  }
  if (state !== 'logical' || depth !== 0 || openBrackets.length > 0) {
    throw badRequest('invalidFilter', 'Invalid filter: incomplete expression.');
  }
  tokens.push({ type: 'EOT', literal: '' });
  return tokens;
}

function readWord(
  text: string,
  start: number,
  fail: (why: string) => never,
): { literal: string; end: number } {
  let i = start;
  while (i < text.length && /\s/.test(text[i])) i++;
  rejectNonAsciiQuote(text, i, i + 1, fail);
  const match = WORD.exec(text.slice(i));
  if (!match) return fail(`unexpected "${text.slice(i, i + 10)}"`);
  return { literal: match[0], end: i + match[0].length };
}

/** A comparison value: a JSON string, or a bare word we treat as the IdP meant it. */
function readValue(text: string, start: number, fail: (why: string) => never): { token: Token; end: number } {
  let i = start;
  while (i < text.length && /\s/.test(text[i])) i++;
  if (i >= text.length) return fail('missing comparison value');
  if (text[i] === '"') {
    let j = i + 1;
    while (j < text.length && text[j] !== '"') j += text[j] === '\\' ? 2 : 1;
    if (j >= text.length) return fail('unterminated string');
    const raw = text.slice(i, j + 1);
    let value: string;
    try {
      value = JSON.parse(raw) as string;
    } catch {
      // Not a valid JSON escape: keep the characters as they were typed.
      value = raw.slice(1, -1).replace(/\\"/g, '"');
    }
    return { token: quoted(value), end: j + 1 };
  }
  let j = i;
  while (j < text.length && !/[\s()\]]/.test(text[j])) j++;
  rejectNonAsciiQuote(text, i, j, fail);
  const bare = text.slice(i, j);
  const lowered = bare.toLowerCase();
  if (lowered === 'true' || lowered === 'false' || lowered === 'null') {
    return { token: word(lowered), end: j };
  }
  if (NUMBER.test(bare)) return { token: { type: 'Number', literal: bare }, end: j };
  return { token: quoted(bare), end: j };
}

/** Fails on the first non-ASCII quotation mark in text[start, end), naming it and the fix. */
function rejectNonAsciiQuote(text: string, start: number, end: number, fail: (why: string) => never): void {
  const found = NON_ASCII_QUOTE.exec(text.slice(start, end));
  if (!found) return;
  const code = (found[0].codePointAt(0) as number).toString(16).toUpperCase().padStart(4, '0');
  fail(
    `${found[0]} (U+${code}) is not a string delimiter; put values in ASCII double quotes ("), e.g. title eq "bob"`,
  );
}

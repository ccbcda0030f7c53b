/**
 * What JSON.parse lets through but the layers downstream would read differently:
 * - a key repeated in one object: JSON.parse keeps the last value, while the raw zone stores the
 *   text as sent and DuckDB's raw views read the first (raw_geo.latitude 999 where curated says 10.5);
 * - a string with an unpaired UTF-16 surrogate ("\ud800"): JSON.parse accepts it, UTF-8 cannot
 *   hold it, and DuckDB cannot read the line.
 *
 * Both are ruled out cheaply for ordinary bodies (the API's hot path), from the text and the
 * parsed value together: no "\u" escape of a surrogate in the text means no lone surrogate; and when
 * the parsed objects hold as many keys as the text has `":` (and no key is followed by space
 * before its colon), no key was repeated: every key of the text ends with `"` then `:`, so a
 * repeated key would leave fewer parsed keys than `":` (see keysUnique). Only otherwise is the
 * text scanned (scanDuplicateKeys) to name the repeated keys.
 */

export type JsonPath = (string | number)[];

export interface JsonProblem {
  path: JsonPath;
  message: string;
}

const DUPLICATE = 'appears more than once in its object (readers of the JSON disagree on which value counts): send each key once';
const SURROGATE = 'holds an unpaired UTF-16 surrogate (a \\ud800-\\udfff escape without its pair), which is not Unicode text';

/**
 * Values nested deeper than this are not checked here: the API refuses records nested more than
 * 8 levels anyway (validate.ts), and a 100,000-level body must not cost a deep recursion.
 */
const MAX_DEPTH = 32;

/** Every repeated key and every string (or key) with an unpaired surrogate; empty for ordinary JSON. `value` is JSON.parse(text). */
export function jsonTextProblems(text: string, value: unknown): JsonProblem[] {
  const out: JsonProblem[] = [];
  const keys = countKeys(value, 0);
  if (keys < 0) return out;
  if (!keysUnique(text, value, keys)) out.push(...scanDuplicateKeys(text).map((path) => ({ path, message: DUPLICATE })));
  if (mayHoldSurrogate(text)) unpairedSurrogates(value, [], out);
  return out;
}

/** Field name of a path: `latitude`, `records[3].record.latitude`, `tags[0]`. */
export function pathText(path: JsonPath): string {
  let s = '';
  for (const p of path) s += typeof p === 'number' ? `[${p}]` : s ? `.${p}` : p;
  return s || '(record)';
}

/** Keys in every object of a parsed value; -1 when it is nested deeper than MAX_DEPTH. */
function countKeys(v: unknown, depth: number): number {
  if (typeof v !== 'object' || v === null) return 0;
  if (depth > MAX_DEPTH) return -1;
  let n = 0;
  if (Array.isArray(v)) {
    for (let i = 0; i < v.length; i++) {
      const k = countKeys(v[i], depth + 1);
      if (k < 0) return -1;
      n += k;
    }
    return n;
  }
  for (const key in v) {
    const k = countKeys((v as Record<string, unknown>)[key], depth + 1);
    if (k < 0) return -1;
    n += 1 + k;
  }
  return n;
}

/**
 * True when the text certainly repeats no key. Each key of the text is a string followed by its
 * colon; without whitespace between them (no `"\s+:`) each contributes one `":` occurrence, so
 * (keys in the text) <= count(`":`). Parsed keys = keys in the text - repeats. If parsed keys equal
 * count(`":`), repeats = 0 (any `":` inside a string only adds to the count, i.e. to "not sure").
 */
export function keysUnique(text: string, value: unknown, keys = countKeys(value, 0)): boolean {
  let colons = 0;
  for (let i = text.indexOf('":'); i >= 0; i = text.indexOf('":', i + 2)) colons++;
  if (colons !== keys) return false;
  return !/"[ \t\r\n]+:/.test(text);
}

function mayHoldSurrogate(text: string): boolean {
  return text.includes('\\u') && /\\u[dD][89abcdefABCDEF]/.test(text);
}

/** In unicode mode a surrogate pair is one code point: only a lone surrogate matches \p{Cs}. */
const LONE_SURROGATE = /\p{Cs}/u;
const wellFormed = (s: string): boolean => !LONE_SURROGATE.test(s);

function unpairedSurrogates(v: unknown, path: JsonPath, out: JsonProblem[]): void {
  if (typeof v === 'string') {
    if (!wellFormed(v)) out.push({ path, message: SURROGATE });
    return;
  }
  if (typeof v !== 'object' || v === null) return;
  if (Array.isArray(v)) {
    for (let i = 0; i < v.length; i++) unpairedSurrogates(v[i], [...path, i], out);
    return;
  }
  for (const k in v) {
    if (!wellFormed(k)) out.push({ path: [...path, k], message: `(the key) ${SURROGATE}` });
    unpairedSurrogates((v as Record<string, unknown>)[k], [...path, k], out);
  }
}

const isWs = (c: number): boolean => c === 32 || c === 10 || c === 13 || c === 9;

/**
 * The paths of repeated keys (each repeat once), by a scan of text that JSON.parse accepted. Keys
 * are compared as JSON.parse decodes them ("l\u0061t" repeats "lat").
 */
export function scanDuplicateKeys(text: string): JsonPath[] {
  const out: JsonPath[] = [];
  // one frame per open container: its path, and for objects the keys seen and the current key
  const stack: { path: JsonPath; keys?: Set<string>; key?: string; index: number }[] = [];
  let expectKey = false;
  let i = 0;
  const here = (): JsonPath => {
    const top = stack[stack.length - 1];
    if (!top) return [];
    return [...top.path, top.keys ? top.key! : top.index];
  };
  while (i < text.length) {
    const c = text.charCodeAt(i);
    if (c === 34) {
      let j = i + 1;
      let escaped = false;
      for (;;) {
        const d = text.charCodeAt(j);
        if (d === 92) {
          escaped = true;
          j += 2;
        } else if (d === 34 || j >= text.length) break;
        else j++;
      }
      const top = stack[stack.length - 1];
      if (expectKey && top?.keys) {
        const key = escaped ? (JSON.parse(text.slice(i, j + 1)) as string) : text.slice(i + 1, j);
        if (top.keys.has(key)) out.push([...top.path, key]);
        else top.keys.add(key);
        top.key = key;
        expectKey = false;
      }
      i = j + 1;
      continue;
    }
    if (c === 123 || c === 91) {
      stack.push({ path: here(), keys: c === 123 ? new Set() : undefined, index: 0 });
      expectKey = c === 123;
    } else if (c === 125 || c === 93) {
      stack.pop();
    } else if (c === 44) {
      const top = stack[stack.length - 1];
      if (top?.keys) expectKey = true;
      else if (top) top.index++;
    } else if (!isWs(c) && c !== 58) {
      // a number or a literal: skip to its end
      while (i + 1 < text.length && !isWs(text.charCodeAt(i + 1)) && ',}]'.indexOf(text[i + 1]!) < 0) i++;
    }
    i++;
  }
  return out;
}

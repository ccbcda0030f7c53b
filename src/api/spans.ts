/**
 * The raw JSON text of each record of a request, so that the log value can be the record exactly
 * as sent plus the stamps (no re-serialization of the parsed object on the hot path).
 *
 * Only for text that JSON.parse has already accepted. Anything unusual (a key written with escapes,
 * a repeated "records"/"record" key, line breaks in a record) gives null for that record or for
 * the whole request, and the caller falls back to JSON.stringify of the parsed record.
 */

const QUOTE = 34; // "
const BACKSLASH = 92;
const OPEN_OBJ = 123; // {
const CLOSE_OBJ = 125; // }
const OPEN_ARR = 91; // [
const CLOSE_ARR = 93; // ]
const COMMA = 44;

const isWs = (c: number): boolean => c === 32 || c === 10 || c === 13 || c === 9;

function skipWs(s: string, i: number): number {
  while (i < s.length && isWs(s.charCodeAt(i))) i++;
  return i;
}

/** i at an opening quote: the index after the closing quote. */
function skipString(s: string, i: number): number {
  for (;;) {
    const q = s.indexOf('"', i + 1);
    if (q < 0) return s.length;
    let b = q - 1;
    while (s.charCodeAt(b) === BACKSLASH) b--;
    // an even number of backslashes before the quote: it closes the string
    if ((q - 1 - b) % 2 === 0) return q + 1;
    i = q;
  }
}

/** i at the start of any value: the index after it. */
function skipValue(s: string, i: number): number {
  const c = s.charCodeAt(i);
  if (c === QUOTE) return skipString(s, i);
  if (c !== OPEN_OBJ && c !== OPEN_ARR) {
    // number, true, false, null
    while (i < s.length) {
      const d = s.charCodeAt(i);
      if (d === COMMA || d === CLOSE_OBJ || d === CLOSE_ARR || isWs(d)) break;
      i++;
    }
    return i;
  }
  let depth = 0;
  while (i < s.length) {
    const d = s.charCodeAt(i);
    if (d === QUOTE) {
      i = skipString(s, i);
      continue;
    }
    if (d === OPEN_OBJ || d === OPEN_ARR) depth++;
    else if (d === CLOSE_OBJ || d === CLOSE_ARR) {
      depth--;
      if (depth === 0) return i + 1;
    }
    i++;
  }
  return i;
}

/** i at '"' of a key: [key text (null if it holds escapes), index after the ':' and whitespace]. */
function readKey(s: string, i: number): [string | null, number] {
  const end = skipString(s, i);
  const raw = s.slice(i + 1, end - 1);
  const j = skipWs(s, end);
  return [raw.includes('\\') ? null : raw, skipWs(s, j + 1)];
}

/** A record's text if it is usable as is: an object without line breaks. */
function usable(text: string): string | null {
  return text.charCodeAt(0) === OPEN_OBJ && !text.includes('\n') && !text.includes('\r') ? text : null;
}

/** The body of a single-record request, if usable as is (an object, no surrounding space or line breaks). */
export function singleRecordText(text: string): string | null {
  return text.charCodeAt(text.length - 1) === CLOSE_OBJ ? usable(text) : null;
}

/**
 * `{"records": [{"record": {...}, ...}, ...]}`: the text of each item's "record" value, in order
 * (null for an item where it cannot be told), or null when the request's shape is unusual.
 */
export function bulkRecordTexts(text: string): (string | null)[] | null {
  let i = skipWs(text, 0);
  if (text.charCodeAt(i) !== OPEN_OBJ) return null;
  let out: (string | null)[] | null = null;
  i = skipWs(text, i + 1);
  while (i < text.length && text.charCodeAt(i) === QUOTE) {
    const [key, at] = readKey(text, i);
    if (key === null) return null;
    if (key === 'records') {
      if (out !== null || text.charCodeAt(at) !== OPEN_ARR) return null;
      out = [];
      i = readItems(text, at, out);
    } else i = skipValue(text, at);
    i = skipWs(text, i);
    if (text.charCodeAt(i) === COMMA) i = skipWs(text, i + 1);
  }
  return out;
}

/** i at '[' of the records array: pushes each item's record text, returns the index after ']'. */
function readItems(s: string, i: number, out: (string | null)[]): number {
  i = skipWs(s, i + 1);
  while (i < s.length && s.charCodeAt(i) !== CLOSE_ARR) {
    if (s.charCodeAt(i) !== OPEN_OBJ) {
      out.push(null);
      i = skipWs(s, skipValue(s, i));
    } else {
      let found: string | null = null;
      let seen = 0;
      let ok = true;
      i = skipWs(s, i + 1);
      while (i < s.length && s.charCodeAt(i) === QUOTE) {
        const [key, at] = readKey(s, i);
        i = skipValue(s, at);
        if (key === null) ok = false;
        else if (key === 'record') {
          seen++;
          found = s.slice(at, i);
        }
        i = skipWs(s, i);
        if (s.charCodeAt(i) === COMMA) i = skipWs(s, i + 1);
      }
      i = skipWs(s, i + 1); // past '}'
      out.push(ok && seen === 1 && found !== null ? usable(found) : null);
    }
    if (s.charCodeAt(i) === COMMA) i = skipWs(s, i + 1);
  }
  return i + 1;
}

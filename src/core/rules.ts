/**
 * Data contract §2 as data: the one definition of the cleaning rules. Every cleaned column names
 * the raw field(s) it comes from, one rule kind and that kind's parameters (placeholders,
 * patterns, multipliers, the media map, age bands, the save-location prefix...). Two compilers
 * read this table and nothing else: src/core/clean.ts builds the JavaScript cleaner of each record
 * type (the stream's transform), src/engine/clean-sql.ts the SQL that batch-run evaluates in the
 * engine, where the raw data is. Neither writes a rule by hand; each rule kind has one
 * implementation per layer, and the two are proven equal on generated dirty input
 * (test/unit/clean-sql.test.ts).
 */
import type { RecordType } from './records.js';

/**
 * Every UTF-16 code unit that String.prototype.trim removes (ECMAScript WhiteSpace and
 * LineTerminator: \t \n \v \f \r, space, U+00A0, U+1680, U+2000–U+200A, U+2028, U+2029, U+202F,
 * U+205F, U+3000, U+FEFF), taken from the running engine so that both layers trim the same set.
 * "Empty or whitespace-only" and every trim of §2 mean this set (JS `\s` is the same set).
 */
export const WHITESPACE: string = (() => {
  let s = '';
  for (let c = 0; c <= 0xffff; c++) if (String.fromCharCode(c).trim() === '') s += String.fromCharCode(c);
  return s;
})();

/** A cleaned column and how it is made (the kinds are described in clean.ts and clean-sql.ts). */
export type Rule =
  /** the join key: the raw integer (validated ≥ 0), renamed */
  | { kind: 'key'; from: string }
  /** trimmed; empty, whitespace-only or a known placeholder → null */
  | { kind: 'text'; from: string; placeholders?: readonly string[] }
  /**
   * `^\d+(\.\d+)?[suffix]?$` (suffixes case-insensitive) → the number times the suffix's
   * multiplier, rounded half up to an integer (null beyond 2^53 - 1); a placeholder → null;
   * anything else → null and a quality issue on the raw field
   */
  | { kind: 'count'; from: string; placeholders: readonly string[]; multipliers: Readonly<Record<string, number>> }
  /** a placeholder → null; else split on the separator, each part trimmed, empties dropped (none left → null) */
  | { kind: 'list'; from: string; separator: string; placeholders: readonly string[] }
  /** the trimmed text looked up in the map; not found → null, and a quality issue when the text was not empty */
  | { kind: 'map'; from: string; map: Readonly<Record<string, string>> }
  /** the raw number equals `value` */
  | { kind: 'flag'; from: string; value: number }
  /** trimmed; a leading `prefix` (its trailing spaces standing for any whitespace or the end) removed, then trimmed again */
  | { kind: 'strip'; from: string; prefix: string }
  /** the raw number as validated */
  | { kind: 'number'; from: string }
  /** the raw numbers of two fields as a pair */
  | { kind: 'pair'; from: readonly [string, string] }
  /** a date-time (`YYYY-MM-DD HH:MM:SS` or ISO 8601) → its UTC instant; not one → the record is a dead letter with `dead` */
  | { kind: 'instant'; from: string; dead: string }
  /** the cleaned texts of the fields joined with the separator, then cleaned as text */
  | { kind: 'join'; from: readonly string[]; separator: string }
  /** the raw integer's band: the first whose `upTo` (inclusive) it does not exceed, else `over` */
  | { kind: 'bands'; from: string; bands: readonly (readonly [upTo: number, label: string])[]; over: string };

export interface Column {
  /** the cleaned column's name (data contract §2) */
  name: string;
  rule: Rule;
}

/** The stamps every cleaned record carries: event_id as sent, ingested_at as a UTC instant. */
export const STAMPS = {
  event_id: 'event_id',
  ingested_at: 'ingested_at',
  /** a record without both is a dead letter with this reason */
  dead: 'missing event_id or ingested_at stamp',
} as const;

/** The cleaning rules of data contract §2, per record type, in the order of the cleaned record's columns. */
export const RULES: Record<RecordType, readonly Column[]> = {
  pin: [
    { name: 'ind', rule: { kind: 'key', from: 'index' } },
    { name: 'unique_id', rule: { kind: 'text', from: 'unique_id' } },
    { name: 'title', rule: { kind: 'text', from: 'title', placeholders: ['No Title Data Available'] } },
    { name: 'description', rule: { kind: 'text', from: 'description', placeholders: ['No description available Story format', 'No description available'] } },
    { name: 'poster_name', rule: { kind: 'text', from: 'poster_name', placeholders: ['User Info Error'] } },
    { name: 'follower_count', rule: { kind: 'count', from: 'follower_count', placeholders: ['User Info Error'], multipliers: { k: 1e3, m: 1e6, b: 1e9 } } },
    { name: 'tag_list', rule: { kind: 'list', from: 'tag_list', separator: ',', placeholders: ['N,o, ,T,a,g,s, ,A,v,a,i,l,a,b,l,e'] } },
    {
      name: 'media_type',
      rule: { kind: 'map', from: 'is_image_or_video', map: { image: 'image', video: 'video', 'multi-video(story page format)': 'story' } },
    },
    { name: 'image_src', rule: { kind: 'text', from: 'image_src', placeholders: ['Image src error.'] } },
    { name: 'downloaded', rule: { kind: 'flag', from: 'downloaded', value: 1 } },
    { name: 'save_location', rule: { kind: 'strip', from: 'save_location', prefix: 'Local save in ' } },
    { name: 'category', rule: { kind: 'text', from: 'category' } },
  ],
  geo: [
    { name: 'ind', rule: { kind: 'key', from: 'ind' } },
    { name: 'timestamp', rule: { kind: 'instant', from: 'timestamp', dead: 'timestamp is not a date-time' } },
    { name: 'latitude', rule: { kind: 'number', from: 'latitude' } },
    { name: 'longitude', rule: { kind: 'number', from: 'longitude' } },
    { name: 'coordinates', rule: { kind: 'pair', from: ['latitude', 'longitude'] } },
    { name: 'country', rule: { kind: 'text', from: 'country' } },
  ],
  user: [
    { name: 'ind', rule: { kind: 'key', from: 'ind' } },
    { name: 'user_name', rule: { kind: 'join', from: ['first_name', 'last_name'], separator: ' ' } },
    { name: 'age', rule: { kind: 'number', from: 'age' } },
    {
      name: 'age_group',
      rule: {
        kind: 'bands',
        from: 'age',
        bands: [
          [17, 'under-18'],
          [24, '18-24'],
          [35, '25-35'],
          [50, '36-50'],
        ],
        over: '50+',
      },
    },
    { name: 'date_joined', rule: { kind: 'instant', from: 'date_joined', dead: 'date_joined is not a date-time' } },
  ],
};

/** The rule of a type's cleaned column, which must be of this kind (the helpers of clean.ts). */
export function ruleOf<K extends Rule['kind']>(type: RecordType, name: string, kind: K): Extract<Rule, { kind: K }> {
  const col = RULES[type].find((c) => c.name === name);
  if (col?.rule.kind !== kind) throw new Error(`no ${kind} rule for ${type}.${name}`);
  return col.rule as Extract<Rule, { kind: K }>;
}

/** The pattern of a count rule: digits, an optional fraction, an optional suffix (either case). */
export function countPattern(rule: Extract<Rule, { kind: 'count' }>): string {
  const letters = Object.keys(rule.multipliers).flatMap((k) => [k.toLowerCase(), k.toUpperCase()]);
  return `^\\d+(\\.\\d+)?[${letters.join('')}]?$`;
}

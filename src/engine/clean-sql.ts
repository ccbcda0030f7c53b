/**
 * The cleaning rules of data contract §2 (src/core/rules.ts) compiled to SQL, for batch-run to
 * clean raw records in the engine, where they are: DuckDB reads each raw NDJSON line as a map of
 * its members (key → JSON text), and one SELECT per record type yields the staged columns
 * (src/engine/schema.ts STAGE_COLUMNS), the quality issues and whether the SQL vouches for the row.
 *
 * The SQL is a fast path, never the judge. It vouches for a row only when the line is a JSON
 * object whose members are exactly known fields (no repeated key: JavaScript keeps the last of
 * repeated keys, DuckDB the first; no other member, so nothing that JSON.parse would refuse, such as
 * NaN or a trailing comma, hides in one), each of the JSON type and range that the raw schema asks
 * (records.ts), with date-times in the data set's or the API's own form. For such a row JSON.parse
 * and clean.ts read the same values and the rules below give the same results; batch-run cleans
 * every other line with clean.ts (dead letters and their reasons come from there only). test/unit/clean-sql.test.ts proves both paths give
 * identical rows on generated dirty lines.
 */
import type { RecordType } from '../core/records.js';
import { RULES, STAMPS, WHITESPACE, countPattern, type Rule } from '../core/rules.js';
import { STAGE_COLUMNS, ident } from './schema.js';

/** What the SQL checks of a raw field before vouching (data contract §1, records.ts). */
export type FieldCheck =
  | { json: 'int'; max: number; oneOf?: readonly number[] }
  | { json: 'number'; min: number; max: number }
  | { json: 'string'; optional?: boolean; uuid?: boolean; nonEmpty?: boolean }
  | { json: 'datetime' }
  /** the log position consume-batch adds (clean.ts keeps a safe integer); int32: the staged column's range */
  | { json: 'position'; max: number };

const TEXT: FieldCheck = { json: 'string' };
const KEY: FieldCheck = { json: 'int', max: Number.MAX_SAFE_INTEGER };

/**
 * The raw fields of each record type as the SQL vouches for them: the keys of records.ts's schemas,
 * each with a subset of its checks (integers are vouched from 0 up, which every minimum there is).
 */
export const RAW_CHECKS: Record<RecordType, Readonly<Record<string, FieldCheck>>> = {
  pin: {
    index: KEY,
    unique_id: { json: 'string', uuid: true },
    title: TEXT,
    description: TEXT,
    poster_name: { json: 'string', optional: true },
    follower_count: TEXT,
    tag_list: TEXT,
    is_image_or_video: TEXT,
    image_src: TEXT,
    downloaded: { json: 'int', max: 1, oneOf: [0, 1] },
    save_location: TEXT,
    category: TEXT,
  },
  geo: {
    ind: KEY,
    timestamp: { json: 'datetime' },
    latitude: { json: 'number', min: -90, max: 90 },
    longitude: { json: 'number', min: -180, max: 180 },
    country: TEXT,
  },
  user: { ind: KEY, first_name: TEXT, last_name: TEXT, age: { json: 'int', max: 130 }, date_joined: { json: 'datetime' } },
};

/** The members every raw line carries besides its record's fields: the stamps and the log position. */
export const ENVELOPE_CHECKS: Readonly<Record<string, FieldCheck>> = {
  [STAMPS.event_id]: { json: 'string', nonEmpty: true },
  [STAMPS.ingested_at]: { json: 'datetime' },
  _partition: { json: 'position', max: 2_147_483_647 },
  _offset: { json: 'position', max: Number.MAX_SAFE_INTEGER },
};

const MAX_SAFE = Number.MAX_SAFE_INTEGER;
const UUID = '[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}';

export const sqlText = (s: string): string => `'${s.replaceAll("'", "''")}'`;
const reEscape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

// column names of the layers below
const J = (f: string) => ident(`j:${f}`); // the member's JSON text (null: absent, or JSON null)
const S = (f: string) => ident(`s:${f}`); // the JSON string's value (meaningful when J is a JSON string)
const N = (f: string) => ident(`n:${f}`); // the JSON number as DOUBLE (meaningful when J is a JSON number)
const T = (f: string) => ident(`t:${f}`); // the string trimmed, empty → null (the text rule's base)
const I = (f: string) => ident(`i:${f}`); // the date-time as TIMESTAMP (null: not one the SQL vouches for)
const P = (f: string) => ident(`p:${f}`); // a rule's intermediate value

const isString = (f: string) => `ord(${J(f)}) = 34`;
const isDigits = (f: string) => `ord(${J(f)}) BETWEEN 48 AND 57`; // a JSON number ≥ 0
const isNumber = (f: string) => `(ord(${J(f)}) = 45 OR ${isDigits(f)})`;
const WS = sqlText(WHITESPACE);
/** printable ASCII other than space at both ends: trimming would change nothing, and it is not empty */
const plainEnds = (s: string) => `ord(${s}) BETWEEN 33 AND 126 AND ord(${s}[-1]) BETWEEN 33 AND 126`;
const isInteger = (f: string) => `${N(f)} = floor(${N(f)})`;

/**
 * text: trimmed (the whitespace set of rules.ts), empty → null. The engine's trim of a character
 * set is slow, so a string with printable ASCII ends is taken as it is, one that only spaces pad
 * is trimmed of spaces (its ends are then those of trimming the whole set), and only the rest is
 * trimmed of the whole set.
 */
export function trimSql(s: string): string {
  return `CASE WHEN ${plainEnds(s)} THEN ${s} WHEN ${plainEnds(`trim(${s})`)} THEN trim(${s}) ELSE nullif(trim(${s}, ${WS}), '') END`;
}

/** A text without its placeholders (null for one). */
const dropSql = (t: string, placeholders: readonly string[] | undefined) => (placeholders ?? []).reduce((acc, p) => `nullif(${acc}, ${sqlText(p)})`, t);

/**
 * `YYYY-MM-DD HH:MM:SS` (or with T) and `YYYY-MM-DDTHH:MM:SS.mmmZ`, real date-times from year 100 on
 * (time.ts's fast forms). The pattern fixes the form (hours 00-23); the engine's own cast then
 * checks the date and time and reads them, the same instants as strptime with these formats
 * (compared on every month, day, hour, minute and second value from 00 to 99 over 18 years from
 * 0099 to 9999) at a third of the cost.
 */
export function instantSql(s: string): string {
  const hms = '([01]\\d|2[0-3]):\\d{2}:\\d{2}';
  return (
    `CASE WHEN strlen(${s}) = 19 AND ${s} >= '0100' AND regexp_full_match(${s}, '\\d{4}-\\d{2}-\\d{2}[ T]${hms}') THEN TRY_CAST(${s} AS TIMESTAMP) ` +
    `WHEN strlen(${s}) = 24 AND ${s} >= '0100' AND regexp_full_match(${s}, '\\d{4}-\\d{2}-\\d{2}T${hms}\\.\\d{3}Z') THEN TRY_CAST(${s} AS TIMESTAMP) END`
  );
}

interface Compiled {
  /** raw fields whose trimmed texts (T) the rule reads */
  texts: string[];
  /** intermediate columns (name → SQL over the typed layer) */
  pre?: Record<string, string>;
  /** the staged value (over the intermediate layer), for a vouched row */
  value: string;
  /** the raw field's quality issue: the value is null though the text was no placeholder */
  issue?: { field: string; sql: string };
}

/** One rule as SQL over the typed (S, N), trimmed (T) and date-time (I) columns. */
function ruleSql(rule: Rule): Compiled {
  switch (rule.kind) {
    case 'key':
      return { texts: [], value: N(rule.from) };
    case 'number':
      // JSON.parse gives -0 for "-0", which clean.ts's staged CSV text wrote as 0
      return { texts: [], value: `CASE WHEN ${N(rule.from)} = 0 THEN 0 ELSE ${N(rule.from)} END` };
    case 'flag':
      return { texts: [], value: `${N(rule.from)} = ${rule.value}` };
    case 'text':
      return { texts: [rule.from], value: dropSql(T(rule.from), rule.placeholders) };
    case 'count': {
      const t = T(rule.from);
      const suffixes = Object.keys(rule.multipliers);
      const mult = `CASE ${suffixes.map((k) => `WHEN suffix(${t}, ${sqlText(k.toLowerCase())}) OR suffix(${t}, ${sqlText(k.toUpperCase())}) THEN ${rule.multipliers[k]}::DOUBLE`).join(' ')} ELSE 1::DOUBLE END`;
      const digits = `rtrim(${t}, ${sqlText(suffixes.map((k) => k.toLowerCase() + k.toUpperCase()).join(''))})`;
      const x = P(rule.from);
      return {
        texts: [rule.from],
        // the number times its multiplier, for a text of the rule's pattern (regexp_full_match anchors it)
        pre: { [x]: `CASE WHEN regexp_full_match(${t}, ${sqlText(countPattern(rule).slice(1, -1))}) THEN TRY_CAST(${digits} AS DOUBLE) * ${mult} END` },
        // Math.round (x >= 0), kept when a safe integer: x rounds to at most 2^53 - 1 exactly when x <= 2^53 - 1
        value: `CASE WHEN ${x} <= ${MAX_SAFE} THEN CASE WHEN ${x} - floor(${x}) >= 0.5 THEN floor(${x}) + 1 ELSE floor(${x}) END END`,
        issue: { field: rule.from, sql: `(${x} IS NULL OR ${x} > ${MAX_SAFE}) AND ${dropSql(t, rule.placeholders)} IS NOT NULL` },
      };
    }
    case 'list': {
      const p = P(rule.from);
      const sep = sqlText(rule.separator);
      const re = reEscape(rule.separator);
      const ws = '[\\t\\n\\x{b}\\f\\r \\x{a0}\\x{1680}\\x{2000}-\\x{200a}\\x{2028}\\x{2029}\\x{202f}\\x{205f}\\x{3000}\\x{feff}]';
      // items with whitespace at an end or empty ones: whitespace around separators removed, runs of
      // separators made one, separators at the ends removed; otherwise the text is the items joined
      const loose = `regexp_matches(${p}, ${sqlText(`${ws}${re}|${re}${ws}|^${re}|${re}$|${re}${re}`)})`;
      const items = `trim(regexp_replace(regexp_replace(${p}, ${sqlText(`${ws}*${re}${ws}*`)}, ${sep}, 'g'), ${sqlText(`(${re})+`)}, ${sep}, 'g'), ${sep})`;
      return {
        texts: [rule.from],
        pre: { [p]: dropSql(T(rule.from), rule.placeholders) },
        value: `CASE WHEN ${loose} THEN nullif(${items}, '') ELSE ${p} END`,
      };
    }
    case 'map': {
      const t = T(rule.from);
      return {
        texts: [rule.from],
        value: `CASE ${t} ${Object.entries(rule.map)
          .map(([k, v]) => `WHEN ${sqlText(k)} THEN ${sqlText(v)}`)
          .join(' ')} END`,
        issue: { field: rule.from, sql: `${t} NOT IN (${Object.keys(rule.map).map(sqlText).join(', ')})` },
      };
    }
    case 'strip': {
      // the prefix, its trailing spaces standing for any whitespace or the end: the rest, trimmed
      // (its end is the trimmed text's: only its start needs trimming)
      const t = T(rule.from);
      const core = rule.prefix.trimEnd();
      const rest = P(rule.from);
      const ws = [...WHITESPACE].map((c) => c.codePointAt(0)).join(', ');
      const stripped = `starts_with(${t}, ${sqlText(core)}) AND (strlen(${t}) = ${core.length} OR ord(substr(${t}, ${core.length + 1}, 1)) IN (${ws}))`;
      return {
        texts: [rule.from],
        pre: { [rest]: `CASE WHEN ${stripped} THEN ltrim(substr(${t}, ${core.length + 1})) END` },
        value: `CASE WHEN ${rest} IS NULL THEN ${t} WHEN ord(${rest}) BETWEEN 33 AND 126 THEN ${rest} ELSE nullif(ltrim(${rest}, ${WS}), '') END`,
      };
    }
    case 'instant':
      return { texts: [], value: I(rule.from) };
    case 'join':
      return { texts: [...rule.from], value: trimSql(`(${rule.from.map((f) => `coalesce(${T(f)}, '')`).join(` || ${sqlText(rule.separator)} || `)})`) };
    case 'bands':
      return {
        texts: [],
        value: `CASE ${rule.bands.map(([upTo, label]) => `WHEN ${N(rule.from)} <= ${upTo} THEN ${sqlText(label)}`).join(' ')} ELSE ${sqlText(rule.over)} END`,
      };
    case 'pair':
      return { texts: [], value: '' }; // not staged: the curated table rebuilds it (schema.ts curatedFromStage)
  }
}

/** The SQL's verdict on one raw field. */
function checkSql(field: string, c: FieldCheck): string {
  const n = N(field);
  switch (c.json) {
    case 'int':
      return `${isDigits(field)} AND ${isInteger(field)} AND ${n} <= ${c.max}${c.oneOf ? ` AND ${n} IN (${c.oneOf.join(', ')})` : ''}`;
    case 'number':
      return `${isNumber(field)} AND ${n} BETWEEN ${c.min} AND ${c.max}`;
    case 'string': {
      const parts = [isString(field)];
      if (c.uuid) parts.push(`regexp_full_match(${S(field)}, '${UUID}')`);
      if (c.nonEmpty) parts.push(`${S(field)} <> ''`);
      return c.optional ? `(${J(field)} IS NULL OR ${parts.join(' AND ')})` : parts.join(' AND ');
    }
    case 'datetime':
      return `${isString(field)} AND ${I(field)} IS NOT NULL`;
    case 'position':
      // absent, or an integer clean.ts keeps as it is (others: rare, left to clean.ts)
      return `(${J(field)} IS NULL OR (${isDigits(field)} AND ${isInteger(field)} AND ${n} <= ${c.max}))`;
  }
}

export interface CleanSql {
  /** the SELECT */
  sql: string;
  /** the raw fields whose quality issues the flag columns count (`_issue:<field>`), in their order */
  issues: string[];
}

/**
 * One SELECT cleaning the raw lines of a record type, over `source`: a relation with the columns
 * `m` (each line's members as MAP(VARCHAR, JSON); null for a line that is not one JSON object)
 * and `file_id`. Output: the STAGE_COLUMNS of the type in their order, then `_file` (file_id),
 * `_vouched` and one BOOLEAN per quality issue (`_issue:<raw field>`). The values of a row the SQL
 * does not vouch for mean nothing.
 */
export function cleanSelectSql(type: RecordType, source: string): CleanSql {
  const checks: Record<string, FieldCheck> = { ...RAW_CHECKS[type], ...ENVELOPE_CHECKS };
  const fields = Object.keys(checks);
  const compiled = new Map(RULES[type].map(({ name, rule }) => [name, ruleSql(rule)]));
  const texts = [...new Set([...compiled.values()].flatMap((c) => c.texts))];
  const strings = fields.filter((f) => ['string', 'datetime'].includes(checks[f]!.json));
  const numbers = fields.filter((f) => !['string', 'datetime'].includes(checks[f]!.json));
  const datetimes = fields.filter((f) => checks[f]!.json === 'datetime');

  // layer 1: each known member's JSON text
  const l1 = ['file_id AS _file', 'cardinality(m) AS _members', ...fields.map((f) => `m[${sqlText(f)}] AS ${J(f)}`)];
  // layer 2: how many known members there are, strings decoded, numbers as DOUBLE
  const l2 = [
    '*',
    `${fields.map((f) => `(${J(f)} IS NOT NULL)::INTEGER`).join(' + ')} AS _known`,
    // (substring by position and length: a third of the cost of the slice [2:-2] on long texts)
    ...strings.map((f) => `CASE WHEN contains(${J(f)}, '\\') THEN ${J(f)}->>'$' ELSE substring(${J(f)}, 2, length(${J(f)}) - 2) END AS ${S(f)}`),
    ...numbers.map((f) => `TRY_CAST(${J(f)}::VARCHAR AS DOUBLE) AS ${N(f)}`),
  ];
  // layer 3: texts trimmed, date-times parsed
  const l3 = ['*', ...texts.map((f) => `${trimSql(S(f))} AS ${T(f)}`), ...datetimes.map((f) => `${instantSql(S(f))} AS ${I(f)}`)];
  // layer 4: the rules' intermediate values
  const l4 = ['*', ...[...compiled.values()].flatMap((c) => Object.entries(c.pre ?? {}).map(([name, sql]) => `${sql} AS ${name}`))];
  // layer 5: the staged columns, the verdict, the issues
  const staged = STAGE_COLUMNS[type].map(([name, duckType]) => {
    if (name === STAMPS.event_id) return `${S(name)} AS ${ident(name)}`;
    if (name === STAMPS.ingested_at) return `${I(name)} AS ${ident(name)}`;
    if (name === '_partition' || name === '_offset') return `TRY_CAST(${N(name)} AS ${duckType}) AS ${ident(name)}`;
    const c = compiled.get(name);
    if (!c) throw new Error(`no rule for the staged column ${type}.${name}`);
    // TRY_CAST: the values of a row the SQL does not vouch for may be anything
    return `TRY_CAST(${c.value} AS ${duckType}) AS ${ident(name)}`;
  });
  const vouched = ['_members = _known', ...fields.map((f) => checkSql(f, checks[f]!))];
  const issues = [...compiled.values()].flatMap((c) => (c.issue ? [c.issue] : []));
  const l5 = [
    ...staged,
    '_file',
    `coalesce(${vouched.join(' AND ')}, false) AS _vouched`,
    ...issues.map((i) => `coalesce(${i.sql}, false) AS ${ident(`_issue:${i.field}`)}`),
  ];
  const from = (cols: string[], rel: string) => `SELECT ${cols.join(',\n  ')}\nFROM ${rel}`;
  return { sql: from(l5, `(${from(l4, `(${from(l3, `(${from(l2, `(${from(l1, source)})`)})`)})`)})`), issues: issues.map((i) => i.field) };
}

/**
 * The cleaning transform of data contract §2 in JavaScript: the stream's transform, and batch-run's
 * for the records its SQL does not vouch for. The rules themselves are data (src/core/rules.ts);
 * this file holds one JavaScript implementation per rule kind and builds each record type's
 * cleaner from the table (the same table compiles to SQL in src/engine/clean-sql.ts). None of the
 * functions throws: a record that cannot be cleaned yields `{ ok: false, reason }` and goes to the
 * dead letters.
 */
import { plainDateTimeIso, toIsoInstant } from './time.js';
import { type RecordType, passesRawSchemaFast, rawSchemas } from './records.js';
import { RULES, STAMPS, countPattern, ruleOf, type Rule } from './rules.js';

export type MediaType = 'image' | 'video' | 'story';
export type AgeGroup = 'under-18' | '18-24' | '25-35' | '36-50' | '50+';

interface Stamps {
  event_id: string;
  ingested_at: string;
}

export interface CleanPin extends Stamps {
  ind: number;
  unique_id: string | null;
  title: string | null;
  description: string | null;
  poster_name: string | null;
  follower_count: number | null;
  tag_list: string[] | null;
  media_type: MediaType | null;
  image_src: string | null;
  downloaded: boolean;
  save_location: string | null;
  category: string | null;
}

export interface CleanGeo extends Stamps {
  ind: number;
  timestamp: string; // ISO 8601 UTC
  latitude: number;
  longitude: number;
  coordinates: [number, number];
  country: string | null;
}

export interface CleanUser extends Stamps {
  ind: number;
  user_name: string | null;
  age: number;
  age_group: AgeGroup;
  date_joined: string; // ISO 8601 UTC
}

export type CleanRecord = CleanPin | CleanGeo | CleanUser;

/** A value that became null because it matched no rule (not a known placeholder). */
export interface QualityIssue {
  field: string;
  value: string;
}

export type CleanResult<T> = { ok: true; value: T; issues: QualityIssue[] } | { ok: false; reason: string };

type Of<K extends Rule['kind']> = Extract<Rule, { kind: K }>;

// ---- one implementation per rule kind ---------------------------------------------------------

/** text: trim; empty or whitespace-only (or not a string) → null. */
export function cleanText(v: unknown): string | null {
  if (typeof v !== 'string') return null;
  const t = v.trim();
  return t === '' ? null : t;
}

/** text with placeholders: a known placeholder → null, else the trimmed text. */
export function dropPlaceholder(v: unknown, placeholders: readonly string[]): string | null {
  const t = cleanText(v);
  return t !== null && placeholders.includes(t) ? null : t;
}

/** count: `"940"` → 940, `"124k"` → 124000, `"1.5k"` → 1500; anything else → null. */
function countOf(rule: Of<'count'>): (v: unknown) => number | null {
  const pattern = new RegExp(countPattern(rule));
  const mult: Record<string, number> = Object.fromEntries(Object.entries(rule.multipliers).map(([k, m]) => [k.toLowerCase(), m]));
  return (v) => {
    const t = cleanText(v);
    if (t === null || !pattern.test(t)) return null;
    const m = mult[t[t.length - 1]!.toLowerCase()];
    const n = Number(m ? t.slice(0, -1) : t);
    const r = Math.round(n * (m ?? 1));
    return Number.isSafeInteger(r) ? r : null;
  };
}

/** Non-empty and both ends printable ASCII other than space: trim() would leave it as it is. */
function hasPlainEnds(s: string): boolean {
  if (s.length === 0) return false;
  const a = s.charCodeAt(0);
  const z = s.charCodeAt(s.length - 1);
  return a > 32 && a < 127 && z > 32 && z < 127;
}

/** list: a placeholder → null; else split on the separator, trim, drop empties (none left → null). */
function listOf(rule: Of<'list'>): (v: unknown) => string[] | null {
  return (v) => {
    const t = dropPlaceholder(v, rule.placeholders);
    if (t === null) return null;
    const items: string[] = [];
    for (const part of t.split(rule.separator)) {
      const item = hasPlainEnds(part) ? part : part.trim();
      if (item !== '') items.push(item);
    }
    return items.length ? items : null;
  };
}

/** map: the trimmed text looked up; not found → null. */
function mapOf(rule: Of<'map'>): (v: unknown) => string | null {
  const map = new Map(Object.entries(rule.map));
  return (v) => {
    const t = cleanText(v);
    return t === null ? null : (map.get(t) ?? null);
  };
}

/** strip: trimmed, the prefix removed (its trailing spaces stand for any whitespace or the end), trimmed again. */
function stripOf(rule: Of<'strip'>): (v: unknown) => string | null {
  const core = rule.prefix.trimEnd();
  const loose = new RegExp(`^${core.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}(\\s+|$)`);
  return (v) => {
    const t = cleanText(v);
    if (t === null) return null;
    // the prefix and the spaces after it: trimming the rest removes those spaces too
    if (t.startsWith(rule.prefix)) return cleanText(t.slice(rule.prefix.length));
    return cleanText(t.replace(loose, ''));
  };
}

/** bands: the first band whose upper bound (inclusive) the number does not exceed. */
function bandsOf(rule: Of<'bands'>): (n: number) => string {
  return (n) => {
    for (const [upTo, label] of rule.bands) if (n <= upTo) return label;
    return rule.over;
  };
}

/** join: the cleaned texts joined with the separator, cleaned as text. */
function joinOf(rule: Of<'join'>): (...values: unknown[]) => string | null {
  return (...values) => cleanText(values.map((v) => cleanText(v) ?? '').join(rule.separator));
}

/** instant: a date-time text → ISO 8601 UTC with milliseconds, else null. */
function toIso(v: unknown): string | null {
  return typeof v === 'string' ? (plainDateTimeIso(v) ?? toIsoInstant(v)) : null;
}

// ---- the helpers of the rules of §2 (each built from its rule in the table) -------------------

/** `"940"` → 940, `"124k"` → 124000, `"6M"` → 6000000, `"1.5k"` → 1500; anything else → null. */
export const parseFollowerCount: (v: unknown) => number | null = countOf(ruleOf('pin', 'follower_count', 'count'));
/** Split a tag list on commas, trim, drop empties; the "No Tags Available" placeholder → null. */
export const splitTags: (v: unknown) => string[] | null = listOf(ruleOf('pin', 'tag_list', 'list'));
export const toMediaType = mapOf(ruleOf('pin', 'media_type', 'map')) as (v: unknown) => MediaType | null;
export const stripSaveLocation: (v: unknown) => string | null = stripOf(ruleOf('pin', 'save_location', 'strip'));
export const toAgeGroup = bandsOf(ruleOf('user', 'age_group', 'bands')) as (age: number) => AgeGroup;
const userName = joinOf(ruleOf('user', 'user_name', 'join'));
export function joinUserName(first: unknown, last: unknown): string | null {
  return userName(first, last);
}

// ---- the cleaners, compiled from the table ------------------------------------------------------

/** The function (or constant) each kind applies to its raw field(s); null: the raw value itself. */
function implementation(rule: Rule): unknown {
  switch (rule.kind) {
    case 'key':
    case 'number':
    case 'pair':
    case 'flag':
      return null;
    case 'text':
      return rule.placeholders?.length ? (v: unknown) => dropPlaceholder(v, rule.placeholders!) : cleanText;
    case 'count':
      return countOf(rule);
    case 'list':
      return listOf(rule);
    case 'map':
      return mapOf(rule);
    case 'strip':
      return stripOf(rule);
    case 'instant':
      return toIso;
    case 'join':
      return joinOf(rule);
    case 'bands':
      return bandsOf(rule);
  }
}

const q = JSON.stringify;

/**
 * The source of a record type's cleaner: one statement per column in the table's order (an
 * instant that does not parse returns its dead letter at once), the stamps, then one object
 * literal (a single shape per type, as fast as a hand-written cleaner). F[i] is column i's
 * implementation, D[i] what its quality issue reports (the text before the rule, without
 * placeholders). With `columns`, the projected cleaner of the stream: only those columns, ind and
 * the instants (which decide a dead letter) are computed, no quality issues, and the result is
 * `{ ok, ind, event_id, ingested_at, vals }` with the columns' values in that order (Z: a missing
 * value as null, -0 as 0, as staging gives it to the engine).
 */
export function cleanerSource(type: RecordType, columns?: readonly string[]): string {
  const want = columns && new Set([...columns, 'ind']);
  const out: string[] = columns ? [] : ['const issues = [];'];
  RULES[type].forEach(({ name, rule }, i) => {
    if (want && !want.has(name) && rule.kind !== 'instant') return;
    const raw = (f: string) => `raw[${q(f)}]`;
    switch (rule.kind) {
      case 'key':
      case 'number':
        out.push(`const v${i} = ${raw(rule.from)};`);
        break;
      case 'flag':
        out.push(`const v${i} = ${raw(rule.from)} === ${q(rule.value)};`);
        break;
      case 'pair':
        out.push(`const v${i} = [${rule.from.map(raw).join(', ')}];`);
        break;
      case 'join':
        out.push(`const v${i} = F[${i}](${rule.from.map(raw).join(', ')});`);
        break;
      default:
        out.push(`const v${i} = F[${i}](${raw(rule.from)});`);
    }
    if (rule.kind === 'instant') out.push(`if (v${i} === null) return { ok: false, reason: ${q(rule.dead)} };`);
    if (!columns && (rule.kind === 'count' || rule.kind === 'map')) {
      out.push(`if (v${i} === null) { const t = D[${i}](${raw(rule.from)}); if (t !== null) issues.push({ field: ${q(rule.from)}, value: t }); }`);
    }
  });
  out.push(`const event_id = typeof raw[${q(STAMPS.event_id)}] === 'string' ? raw[${q(STAMPS.event_id)}] : null;`);
  out.push(`const ingested_at = toIso(raw[${q(STAMPS.ingested_at)}]);`);
  out.push(`if (!event_id || !ingested_at) return { ok: false, reason: ${q(STAMPS.dead)} };`);
  if (columns) {
    const at = (c: string) => RULES[type].findIndex((x) => x.name === c);
    const value = (c: string) => (c === STAMPS.event_id ? 'event_id' : c === STAMPS.ingested_at ? 'ingested_at' : at(c) < 0 ? 'null' : `Z(v${at(c)})`);
    out.push(`return { ok: true, ind: v${at('ind')}, event_id, ingested_at, vals: [${columns.map(value).join(', ')}] };`);
    return out.join('\n');
  }
  const fields = RULES[type].map(({ name }, i) => `${q(name)}: v${i}`);
  out.push(`return { ok: true, issues, value: { ${[...fields, `${q(STAMPS.event_id)}: event_id`, `${q(STAMPS.ingested_at)}: ingested_at`].join(', ')} } };`);
  return out.join('\n');
}

const Z = (v: unknown): unknown => (v === undefined || v === null ? null : v === 0 ? 0 : v);

function compile<T>(type: RecordType, columns?: readonly string[]): (raw: Record<string, unknown>) => T {
  const F = RULES[type].map(({ rule }) => implementation(rule));
  const D = RULES[type].map(({ rule }) => (rule.kind === 'count' ? (v: unknown) => dropPlaceholder(v, rule.placeholders) : cleanText));
  const name = columns ? `project_${type}` : `clean_${type}`;
  return new Function('F', 'D', 'toIso', 'Z', `return function ${name}(raw) {\n${cleanerSource(type, columns)}\n};`)(F, D, toIso, Z) as (
    raw: Record<string, unknown>,
  ) => T;
}

export const cleanPin = compile<CleanResult<CleanPin>>('pin');
export const cleanGeo = compile<CleanResult<CleanGeo>>('geo');
export const cleanUser = compile<CleanResult<CleanUser>>('user');

const CLEANERS: Record<RecordType, (raw: Record<string, unknown>) => CleanResult<CleanRecord>> = { pin: cleanPin, geo: cleanGeo, user: cleanUser };

/**
 * Clean one stamped raw record of a type. Validates against the raw schema first, so a record
 * that somehow bypassed the API's validation becomes a dead letter with a reason, never a throw.
 */
export function cleanRecord(type: RecordType, raw: unknown): CleanResult<CleanRecord> {
  return guarded(type, raw, CLEANERS[type]);
}

/** A cleaned record as the stream's metrics read it: ind, the stamps, and the projected columns' values. */
export type Projected = { ok: true; ind: number; event_id: string; ingested_at: string; vals: unknown[] } | { ok: false; reason: string };

/**
 * The cleaner of the stream: cleanRecord's verdict (the same dead letters, with the same reasons)
 * and the values of `columns` as cleanRecord gives them (missing → null, -0 → 0), without
 * cleaning the columns no metric reads.
 */
export function projectCleaner(type: RecordType, columns: readonly string[]): (raw: unknown) => Projected {
  const fn = compile<Projected>(type, columns);
  return (raw) => guarded(type, raw, fn);
}

function guarded<T extends { ok: boolean }>(type: RecordType, raw: unknown, fn: (raw: Record<string, unknown>) => T): T | { ok: false; reason: string } {
  try {
    if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return { ok: false, reason: 'record is not a JSON object' };
    // the schema is asked only when the fast check cannot vouch for the record (same verdicts)
    if (!passesRawSchemaFast(type, raw as Record<string, unknown>)) {
      const parsed = rawSchemas[type].safeParse(raw);
      if (!parsed.success) {
        const i = parsed.error.issues[0]!;
        return { ok: false, reason: `invalid ${type} record: ${i.path.join('.') || '(record)'} ${i.message}` };
      }
    }
    return fn(raw as Record<string, unknown>);
  } catch (e) {
    return { ok: false, reason: `cleaning failed: ${e instanceof Error ? e.message : String(e)}` };
  }
}

/**
 * The stream's join, in SQL, for the batch layer's recomputation of realtime metrics (docs/design.md
 * "Stream semantics"): every pin of a range with its geo and user partners, defined once for
 * batch-run and `query --metric ID --source lake`. The metrics themselves come from their files
 * (src/metrics/realtime/sql.ts prints a plan over these relations).
 *
 * Inputs are three relations of cleaned records, already de-duplicated by event_id (one copy
 * per event_id: the smallest ingested_at, then the smallest log position), with the curated
 * column names (event_id, ind, ingested_at, category, country, age_group, ...).
 * - windows: tumbling minutes on ingested_at (UTC);
 * - a pin's partner is the geo/user record with the same ind whose ingested_at is closest to the
 *   pin's, |Δ| <= joinWindow (inclusive), ties by the smaller event_id; a pin without a partner is
 *   unmatched (an inner join leaves it out, a left join keeps it with null partner columns).
 *
 * The same SQL in Spark's dialect (`dialect: 'spark'`, for batch-run --engine spark; ANSI mode,
 * double-quoted identifiers): unix_millis for epoch_ms, DIV for //, min_by over named structs for
 * arg_min over a struct and a tuple, the pin's event_id (unique after de-duplication) for its
 * row number, no MATERIALIZED, TIMESTAMP_NTZ literals.
 */
import { sqlInstant } from '../duckdb.js';
import { ident } from '../schema.js';

export interface RealtimeInputs {
  /** relation names (tables or views) of the de-duplicated cleaned records */
  pin: string;
  geo: string;
  user: string;
  /** stream.joinWindow in ms */
  joinWindowMs: number;
  /**
   * relations (column ind) holding exactly the inds with more than one geo / user record, when the
   * caller has them already (else they are found here); null: the caller knows that no ind has
   * more than one (then the general matching is left out)
   */
  repeated?: { geo: string | null; user: string | null };
  /** only windows whose minute lies in [from, to) (epoch ms, whole minutes); all when absent */
  from?: number;
  to?: number;
  /** the SQL dialect: DuckDB's (default) or Spark's */
  dialect?: 'duckdb' | 'spark';
}

const isSpark = (i: RealtimeInputs) => i.dialect === 'spark';
/** an instant as a literal of the engine's zone-less timestamp type */
const instant = (i: RealtimeInputs, ms: number) => (isSpark(i) ? sqlInstant(ms).replace(/^TIMESTAMP /, 'TIMESTAMP_NTZ ') : sqlInstant(ms));

/** The columns of each record type that the pin-matches relation carries (p_*, g_*, u_*). */
export interface MatchColumns {
  pin: string[];
  geo: string[];
  user: string[];
}

/** `WHERE ingested_at in [from, to)` of a relation, or '' */
export function inRange(i: RealtimeInputs): string {
  const parts: string[] = [];
  if (i.from !== undefined) parts.push(`ingested_at >= ${instant(i, i.from)}`);
  if (i.to !== undefined) parts.push(`ingested_at < ${instant(i, i.to)}`);
  return parts.length ? `WHERE ${parts.join(' AND ')}` : '';
}

function windowMs(i: RealtimeInputs): number {
  if (!Number.isInteger(i.joinWindowMs) || i.joinWindowMs < 1) throw new Error(`joinWindowMs must be a positive integer, got ${i.joinWindowMs}`);
  return i.joinWindowMs;
}

export const matchColumn = (prefix: 'p' | 'g' | 'u', name: string): string => ident(`${prefix}_${name}`);

/** whether some ind may have several records of the partner (else only the equality join is needed) */
const general = (i: RealtimeInputs, partner: 'geo' | 'user') => i.repeated?.[partner] !== null;

/**
 * Partners of the pins `p` (same ind, |Δ ingested_at| <= W; the closest wins, then the smaller
 * event_id). An ind with a single partner record (the common case) needs no choice: a pin is
 * matched to it by an equality join on ind when it lies within W (s_*). Pins of inds with several
 * partner records go the general way (m_*): partners are bucketed by ingested_at // W and listed
 * in their bucket and both neighbours, so an equality join on (ind, bucket) finds every partner
 * within W (work: the partners of the same ind within 3 W), and arg_min over (distance, event_id)
 * chooses (the columns are wrapped in a struct so that a null value is still chosen).
 */
function matchCtes(i: RealtimeInputs, partner: 'geo' | 'user', columns: string[]): string {
  const w = windowMs(i);
  const d = dialect(i);
  const rel = partner === 'geo' ? i.geo : i.user;
  const list = columns.map((c) => `, ${ident(c)} AS ${ident(`c_${c}`)}`).join('');
  const fields: [string, string][] = [['event_id', 'q.event_id'], ...columns.map((c): [string, string] => [`c_${c}`, `q.${ident(`c_${c}`)}`])];
  const struct = isSpark(i)
    ? `named_struct(${fields.map(([k, v]) => `${sqlKey(k)}, ${v}`).join(', ')})`
    : `{${fields.map(([k, v]) => `${sqlKey(k)}: ${v}`).join(', ')}}`;
  if (!general(i, partner)) return `s_${partner} AS (SELECT ind, ${d.ms('ingested_at')} AS ms${list} FROM ${rel})`;
  const repeated = i.repeated ? `SELECT ind FROM ${i.repeated[partner]}` : `SELECT ind FROM ${rel} GROUP BY ind HAVING count(*) > 1`;
  return `n_${partner} AS${d.materialized} (${repeated}),
s_${partner} AS (SELECT ind, ${d.ms('ingested_at')} AS ms${list} FROM ${rel} WHERE ind NOT IN (SELECT ind FROM n_${partner})),
q_${partner} AS (
  SELECT event_id, ind, ${d.ms('ingested_at')} AS ms${list}, ${d.ms('ingested_at')} ${d.div} ${w} + s.d AS bucket
  FROM (SELECT * FROM ${rel} WHERE ind IN (SELECT ind FROM n_${partner})) r CROSS JOIN (VALUES (-1), (0), (1)) s(d)),
m_${partner} AS (
  SELECT p.pid, ${d.argMin(struct, 'abs(p.ms - q.ms)', 'q.event_id')} AS v
  FROM p JOIN q_${partner} q ON q.ind = p.ind AND q.bucket = p.ms ${d.div} ${w}
  WHERE abs(p.ms - q.ms) <= ${w}
  GROUP BY p.pid)`;
}

/** the constructs of the pin-matches SQL that differ between DuckDB and Spark */
function dialect(i: RealtimeInputs) {
  return isSpark(i)
    ? {
        materialized: '',
        ms: (c: string) => `unix_millis(CAST(${c} AS TIMESTAMP))`,
        div: 'DIV',
        argMin: (v: string, a: string, b: string) => `min_by(${v}, named_struct('d', ${a}, 'e', ${b}))`,
        pid: 'event_id',
      }
    : {
        materialized: ' MATERIALIZED',
        ms: (c: string) => `epoch_ms(${c})`,
        div: '//',
        argMin: (v: string, a: string, b: string) => `arg_min(${v}, (${a}, ${b}))`,
        pid: 'row_number() OVER ()',
      };
}

const sqlKey = (name: string) => `'${name.replaceAll("'", "''")}'`;

/**
 * One row per pin in range with its partners: ingested_at, the pin's columns that `cols.pin` names
 * (p_*), geo_matched and the geo partner's columns (g_*), user_matched and the user partner's
 * (u_*). When some partner goes the general way, the pins are numbered once, in a materialized
 * CTE, so that its matching joins on integer keys. batch-run materializes the relation once for
 * every joined metric and the unmatched counts: it carries only the columns asked for.
 */
export function pinMatchesSql(i: RealtimeInputs, cols: MatchColumns): string {
  const w = windowMs(i);
  const d = dialect(i);
  const numbered = general(i, 'geo') || general(i, 'user');
  const pinCols = [...new Set(['ind', 'ingested_at', ...cols.pin])];
  const out: string[] = ['ingested_at', ...cols.pin.map((c) => `${ident(c)} AS ${matchColumn('p', c)}`)];
  const inner = pinCols.map((c) => `p.${ident(c)}`);
  const joins = ['FROM p'];
  for (const [partner, g, list] of [
    ['geo', 'g', cols.geo],
    ['user', 'u', cols.user],
  ] as const) {
    const [flag, s, m] = [`${g}1`, `s${g}`, `m${g}`];
    const gen = general(i, partner);
    out.push(`${flag}${gen ? ` OR ${m} IS NOT NULL` : ''} AS ${partner}_matched`);
    for (const c of list) {
      out.push(`CASE WHEN ${flag} THEN ${ident(`${s}_${c}`)}${gen ? ` ELSE ${m}_v.${ident(`c_${c}`)}` : ''} END AS ${matchColumn(g, c)}`);
    }
    inner.push(`coalesce(abs(p.ms - ${s}.ms) <= ${w}, false) AS ${flag}`, ...list.map((c) => `${s}.${ident(`c_${c}`)} AS ${ident(`${s}_${c}`)}`));
    joins.push(`LEFT JOIN s_${partner} ${s} ON ${s}.ind = p.ind`);
    if (gen) {
      inner.push(`${m}.pid AS ${m}, ${m}.v AS ${m}_v`);
      joins.push(`LEFT JOIN m_${partner} ${m} ON ${m}.pid = p.pid`);
    }
  }
  const p = `SELECT ${numbered ? `${d.pid} AS pid, ` : ''}${pinCols.map(ident).join(', ')}, ${d.ms('ingested_at')} AS ms FROM ${i.pin} ${inRange(i)}`;
  return `WITH p AS${numbered ? d.materialized : ''} (${p}),
${matchCtes(i, 'geo', cols.geo)},
${matchCtes(i, 'user', cols.user)}
SELECT ${out.join(', ')}
FROM (
  -- s_* hold one row per ind: these joins are plain equality joins (the window is checked after)
  SELECT ${inner.join(', ')}
  ${joins.join('\n  ')})`;
}

/** Pins without a geo partner and without a user partner (the stream's "unmatched"). */
export function unmatchedSql(i: RealtimeInputs, pinMatches?: string): string {
  const withPm = pinMatches ? '' : `WITH pm AS (${pinMatchesSql(i, { pin: [], geo: [], user: [] })})\n`;
  return `${withPm}SELECT count(*) FILTER (WHERE NOT geo_matched) AS unmatched_geo, count(*) FILTER (WHERE NOT user_matched) AS unmatched_user FROM ${pinMatches ?? 'pm'}`;
}

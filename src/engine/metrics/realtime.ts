/**
 * R1–R5 (data contract §5) recomputed in SQL with the stream's semantics (docs/design.md "Stream
 * semantics"), defined once for batch-run and `query --metric Rn --source lake`.
 *
 * Inputs are three relations of cleaned records, already de-duplicated by event_id (one copy
 * per event_id: the smallest ingested_at, then the smallest log position):
 *   pin (event_id, ind, ingested_at, category, media_type, follower_count)
 *   geo (event_id, ind, ingested_at, country)
 *   user (event_id, ind, ingested_at, age_group, user_name)
 * - windows: tumbling minutes on ingested_at (UTC); a null key is reported as '';
 * - R1 by pin category and R5 by pin media_type / follower_count count the pin alone;
 * - R2/R3: the pin's minute; its partner is the geo/user record with the same ind whose
 *   ingested_at is closest to the pin's, |Δ| <= joinWindow (inclusive), ties by the smaller
 *   event_id; a pin without a partner is unmatched and not counted in R2/R3;
 * - R4: distinct non-null user_name among user records ingested in the minute (a row for every
 *   minute with at least one user record);
 * - R5: images, videos, stories and the mean of non-null follower counts (exact sum / count,
 *   null when none), a row for every minute with at least one pin.
 * Every row is final (the batch layer sees whole days). Columns are exactly those of
 * src/core/tables.ts REALTIME_BATCH.
 */
import type { RealtimeId } from '../../core/tables.js';
import { sqlInstant } from '../duckdb.js';

export interface RealtimeInputs {
  /** relation names (tables or views) of the de-duplicated cleaned records */
  pin: string;
  geo: string;
  user: string;
  /** stream.joinWindow in ms */
  joinWindowMs: number;
  /**
   * relations (column ind) holding exactly the inds with more than one geo / user record, when the
   * caller has them already (else they are found here)
   */
  repeated?: { geo: string; user: string };
  /** only windows whose minute lies in [from, to) (epoch ms, whole minutes); all when absent */
  from?: number;
  to?: number;
}

const MINUTE = "date_trunc('minute', ingested_at)";

function inRange(i: RealtimeInputs): string {
  const parts: string[] = [];
  if (i.from !== undefined) parts.push(`ingested_at >= ${sqlInstant(i.from)}`);
  if (i.to !== undefined) parts.push(`ingested_at < ${sqlInstant(i.to)}`);
  return parts.length ? `WHERE ${parts.join(' AND ')}` : '';
}

function windowMs(i: RealtimeInputs): number {
  if (!Number.isInteger(i.joinWindowMs) || i.joinWindowMs < 1) throw new Error(`joinWindowMs must be a positive integer, got ${i.joinWindowMs}`);
  return i.joinWindowMs;
}

/**
 * Partners of the pins `p` (same ind, |Δ ingested_at| <= W; the closest wins, then the smaller
 * event_id). An ind with a single partner record (the common case) needs no choice: a pin is
 * matched to it by an equality join on ind when it lies within W (s_*). Pins of inds with several
 * partner records go the general way (m_*): partners are bucketed by ingested_at // W and listed
 * in their bucket and both neighbours, so an equality join on (ind, bucket) finds every partner
 * within W (work: the partners of the same ind within 3 W), and arg_min over (distance, event_id)
 * chooses (the value is wrapped in a struct so that a null country or age group is still chosen).
 */
function matchCtes(i: RealtimeInputs, partner: 'geo' | 'user', column: string): string {
  const w = windowMs(i);
  const rel = partner === 'geo' ? i.geo : i.user;
  const repeated = i.repeated ? `SELECT ind FROM ${i.repeated[partner]}` : `SELECT ind FROM ${rel} GROUP BY ind HAVING count(*) > 1`;
  return `n_${partner} AS MATERIALIZED (${repeated}),
s_${partner} AS (SELECT ind, epoch_ms(ingested_at) AS ms, ${column} FROM ${rel} WHERE ind NOT IN (SELECT ind FROM n_${partner})),
q_${partner} AS (
  SELECT event_id, ind, epoch_ms(ingested_at) AS ms, ${column}, epoch_ms(ingested_at) // ${w} + s.d AS bucket
  FROM (SELECT * FROM ${rel} WHERE ind IN (SELECT ind FROM n_${partner})), (VALUES (-1), (0), (1)) s(d)),
m_${partner} AS (
  SELECT p.pid, arg_min({'v': q.${column}}, (abs(p.ms - q.ms), q.event_id)).v AS ${column}
  FROM p JOIN q_${partner} q ON q.ind = p.ind AND q.bucket = p.ms // ${w}
  WHERE abs(p.ms - q.ms) <= ${w}
  GROUP BY p.pid)`;
}

/**
 * One row per pin in range with its partners (pins are numbered once, in a materialized CTE, so
 * the general matching joins on integer keys): event_id, ingested_at, category, media_type,
 * follower_count, geo_matched, country, user_matched, age_group. batch-run materializes it once
 * for R1, R2, R3, R5 and the unmatched counts.
 */
export function pinMatchesSql(i: RealtimeInputs): string {
  const w = windowMs(i);
  return `WITH p AS MATERIALIZED (SELECT row_number() OVER () AS pid, event_id, ind, ingested_at, epoch_ms(ingested_at) AS ms, category, media_type, follower_count FROM ${i.pin} ${inRange(i)}),
${matchCtes(i, 'geo', 'country')},
${matchCtes(i, 'user', 'age_group')}
SELECT event_id, ingested_at, category, media_type, follower_count,
       g1 OR mg IS NOT NULL AS geo_matched, CASE WHEN g1 THEN sg_country ELSE mg_country END AS country,
       u1 OR mu IS NOT NULL AS user_matched, CASE WHEN u1 THEN su_age_group ELSE mu_age_group END AS age_group
FROM (
  -- s_* hold one row per ind: these joins are plain equality joins (the window is checked after)
  SELECT p.event_id, p.ingested_at, p.category, p.media_type, p.follower_count,
         coalesce(abs(p.ms - sg.ms) <= ${w}, false) AS g1, sg.country AS sg_country, mg.pid AS mg, mg.country AS mg_country,
         coalesce(abs(p.ms - su.ms) <= ${w}, false) AS u1, su.age_group AS su_age_group, mu.pid AS mu, mu.age_group AS mu_age_group
  FROM p
  LEFT JOIN s_geo sg ON sg.ind = p.ind
  LEFT JOIN m_geo mg ON mg.pid = p.pid
  LEFT JOIN s_user su ON su.ind = p.ind
  LEFT JOIN m_user mu ON mu.pid = p.pid)`;
}

/**
 * The SQL of one metric. `pinMatches` names a relation already holding pinMatchesSql(i) (else it
 * is computed inline).
 */
export function realtimeSql(id: RealtimeId, i: RealtimeInputs, pinMatches?: string): string {
  const pm = pinMatches ?? 'pm';
  const withPm = pinMatches ? '' : `WITH pm AS (${pinMatchesSql(i)})\n`;
  switch (id) {
    case 'R1':
      return `SELECT ${MINUTE} AS minute, coalesce(category, '') AS category, count(*) AS postings, true AS final
FROM ${i.pin} ${inRange(i)} GROUP BY ALL ORDER BY minute, category`;
    case 'R2':
      return `${withPm}SELECT ${MINUTE} AS minute, coalesce(country, '') AS country, count(*) AS postings, true AS final
FROM ${pm} WHERE geo_matched GROUP BY ALL ORDER BY minute, country`;
    case 'R3':
      return `${withPm}SELECT ${MINUTE} AS minute, coalesce(age_group, '') AS age_group, count(*) AS postings, true AS final
FROM ${pm} WHERE user_matched GROUP BY ALL ORDER BY minute, age_group`;
    case 'R4':
      return `SELECT ${MINUTE} AS minute, count(DISTINCT user_name) AS distinct_posters, true AS final
FROM ${i.user} ${inRange(i)} GROUP BY ALL ORDER BY minute`;
    case 'R5':
      return `SELECT ${MINUTE} AS minute,
  count(*) FILTER (WHERE media_type = 'image') AS images,
  count(*) FILTER (WHERE media_type = 'video') AS videos,
  count(*) FILTER (WHERE media_type = 'story') AS stories,
  CASE WHEN count(follower_count) = 0 THEN NULL ELSE CAST(sum(follower_count) AS DOUBLE) / count(follower_count) END AS mean_follower_count,
  true AS final
FROM ${i.pin} ${inRange(i)} GROUP BY ALL ORDER BY minute`;
  }
}

/** Pins without a geo partner and without a user partner (the stream's "unmatched"). */
export function unmatchedSql(i: RealtimeInputs, pinMatches?: string): string {
  const withPm = pinMatches ? '' : `WITH pm AS (${pinMatchesSql(i)})\n`;
  return `${withPm}SELECT count(*) FILTER (WHERE NOT geo_matched) AS unmatched_geo, count(*) FILTER (WHERE NOT user_matched) AS unmatched_user FROM ${pinMatches ?? 'pm'}`;
}

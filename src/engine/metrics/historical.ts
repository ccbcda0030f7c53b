/**
 * Q1–Q8 (data contract §4) as DuckDB SQL over the curated views pins, geo, users (one row per
 * ind), defined once: batch-run writes them to the store, `query --metric Qn --source lake` and
 * the tests run the same text.
 *
 * - postings = the inner join of pins, geo and users on ind;
 * - "most popular" keeps every row that ties for first (rank() = 1);
 * - medians are the lower median: the ⌈n/2⌉-th smallest value (quantile_disc(x, 0.5)), an actual
 *   value from the data;
 * - null follower counts are left out of maxima and medians; a group with none has no median row;
 * - years are calendar years of the UTC instant (the engine runs with TimeZone=UTC and stores
 *   TIMESTAMP in UTC);
 * - other nulls (a null country, category or poster_name) form their own group, as SQL GROUP BY;
 * - rows are ordered by their key columns, nulls first (as the stores' select orders them).
 * Output columns and order are exactly those of src/core/tables.ts HISTORICAL.
 */
import type { HistoricalId } from '../../core/tables.js';

/** The postings: pins, geo and users inner-joined on ind, with the columns the metrics read. */
export const POSTINGS_SELECT = `SELECT p.ind, p.category, p.poster_name, p.follower_count, g.country, g."timestamp" AS posted_at,
         u.age_group, u.date_joined
  FROM pins p JOIN geo g ON g.ind = p.ind JOIN users u ON u.ind = p.ind`;

/** most popular value of `item` per `group`, ties kept */
const mostPopular = (groupExpr: string, groupName: string, filter = '') => `counts AS (
  SELECT ${groupExpr} AS ${groupName}, category, count(*) AS category_count
  FROM postings ${filter} GROUP BY ALL)
SELECT ${groupName}, category, category_count FROM counts
QUALIFY rank() OVER (PARTITION BY ${groupName} ORDER BY category_count DESC) = 1
ORDER BY ${groupName} NULLS FIRST, category NULLS FIRST`;

/**
 * lower median of non-null follower_count per the given group columns: quantile_disc(x, 0.5) is
 * the ⌈n/2⌉-th smallest value (an actual value; no interpolation)
 */
const lowerMedian = (groupExprs: [expr: string, name: string][], filter: string) => {
  const names = groupExprs.map(([, n]) => n).join(', ');
  return `vals AS (
  SELECT ${groupExprs.map(([e, n]) => `${e} AS ${n}`).join(', ')}, follower_count
  FROM postings WHERE follower_count IS NOT NULL ${filter ? `AND ${filter}` : ''})
SELECT ${names}, quantile_disc(follower_count, 0.5) AS median_follower_count FROM vals
GROUP BY ${names}
ORDER BY ${groupExprs.map(([, n]) => `${n} NULLS FIRST`).join(', ')}`;
};

const JOIN_YEARS = 'year(date_joined) BETWEEN 2015 AND 2020';

/** The body of each metric, after `WITH postings AS (...),`. */
const BODY: Record<HistoricalId, string> = {
  Q1: mostPopular('country', 'country'),
  Q2: mostPopular('CAST(year(posted_at) AS INTEGER)', 'post_year', 'WHERE year(posted_at) BETWEEN 2018 AND 2022'),
  // the largest follower count per country (a null country is a group too), then its posters
  Q3a: `tops AS (SELECT country, max(follower_count) AS top FROM postings WHERE follower_count IS NOT NULL GROUP BY country)
SELECT DISTINCT p.country, p.poster_name, p.follower_count
FROM postings p JOIN tops t ON t.country IS NOT DISTINCT FROM p.country AND t.top = p.follower_count
ORDER BY country NULLS FIRST, poster_name NULLS FIRST`,
  Q3b: `top AS (SELECT max(follower_count) AS top FROM postings)
SELECT DISTINCT country, follower_count FROM postings WHERE follower_count = (SELECT top FROM top)
ORDER BY country NULLS FIRST`,
  Q4: mostPopular('age_group', 'age_group'),
  Q5: lowerMedian([['age_group', 'age_group']], ''),
  Q6: `years AS (SELECT CAST(year(date_joined) AS INTEGER) AS join_year FROM postings WHERE ${JOIN_YEARS})
SELECT join_year, count(*) AS number_users_joined FROM years
GROUP BY ALL ORDER BY join_year`,
  Q7: lowerMedian([['CAST(year(date_joined) AS INTEGER)', 'join_year']], JOIN_YEARS),
  Q8: lowerMedian([['age_group', 'age_group'], ['CAST(year(date_joined) AS INTEGER)', 'join_year']], JOIN_YEARS),
};

/**
 * The SQL of a metric over the relations pins, geo and users, or (with `postings`) over a relation
 * that already holds POSTINGS_SELECT (batch-run materializes it once for all eight).
 */
export function historicalSql(id: HistoricalId, postings?: string): string {
  return `WITH postings AS (${postings ? `SELECT * FROM ${postings}` : POSTINGS_SELECT}),\n${BODY[id]}`;
}

export const HISTORICAL_SQL = Object.fromEntries(Object.keys(BODY).map((id) => [id, historicalSql(id as HistoricalId)])) as Record<HistoricalId, string>;

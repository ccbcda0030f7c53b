/**
 * Q1–Q8 (data contract §4) as DuckDB SQL over the curated views pins, geo, users (one row per
 * ind), defined once: batch-run writes them to the store, `query --metric Qn --source lake` and
 * the tests run the same text.
 *
 * - postings = the inner join of pins, geo and users on ind;
 * - "most popular" keeps every row that ties for first (rank() = 1);
 * - medians are the lower median: the ⌈n/2⌉-th smallest value (row_number over the ordered
 *   values, rn = (n + 1) // 2), an actual value from the data;
 * - null follower counts are left out of maxima and medians; a group with none has no median row;
 * - years are calendar years of the UTC instant (the engine runs with TimeZone=UTC and stores
 *   TIMESTAMP in UTC);
 * - other nulls (a null country, category or poster_name) form their own group, as SQL GROUP BY;
 * - rows are ordered by their key columns, nulls first (as the stores' select orders them).
 * Output columns and order are exactly those of src/core/tables.ts HISTORICAL.
 */
import type { HistoricalId } from '../../core/tables.js';

const POSTINGS = `postings AS (
  SELECT p.ind, p.category, p.poster_name, p.follower_count, g.country, g."timestamp" AS posted_at,
         u.age_group, u.date_joined
  FROM pins p JOIN geo g ON g.ind = p.ind JOIN users u ON u.ind = p.ind)`;

/** most popular value of `item` per `group`, ties kept */
const mostPopular = (groupExpr: string, groupName: string, filter = '') => `WITH ${POSTINGS},
counts AS (
  SELECT ${groupExpr} AS ${groupName}, category, count(*) AS category_count
  FROM postings ${filter} GROUP BY ALL)
SELECT ${groupName}, category, category_count FROM counts
QUALIFY rank() OVER (PARTITION BY ${groupName} ORDER BY category_count DESC) = 1
ORDER BY ${groupName} NULLS FIRST, category NULLS FIRST`;

/** lower median of non-null follower_count per the given group columns */
const lowerMedian = (groupExprs: [expr: string, name: string][], filter: string) => {
  const names = groupExprs.map(([, n]) => n).join(', ');
  return `WITH ${POSTINGS},
vals AS (
  SELECT ${groupExprs.map(([e, n]) => `${e} AS ${n}`).join(', ')}, follower_count
  FROM postings WHERE follower_count IS NOT NULL ${filter ? `AND ${filter}` : ''}),
ranked AS (
  SELECT *, row_number() OVER (PARTITION BY ${names} ORDER BY follower_count) AS rn,
         count(*) OVER (PARTITION BY ${names}) AS n
  FROM vals)
SELECT ${names}, follower_count AS median_follower_count FROM ranked
WHERE rn = (n + 1) // 2
ORDER BY ${groupExprs.map(([, n]) => `${n} NULLS FIRST`).join(', ')}`;
};

const JOIN_YEARS = 'year(date_joined) BETWEEN 2015 AND 2020';

export const HISTORICAL_SQL: Record<HistoricalId, string> = {
  Q1: mostPopular('country', 'country'),
  Q2: mostPopular('CAST(year(posted_at) AS INTEGER)', 'post_year', 'WHERE year(posted_at) BETWEEN 2018 AND 2022'),
  Q3a: `WITH ${POSTINGS},
posters AS (SELECT DISTINCT country, poster_name, follower_count FROM postings WHERE follower_count IS NOT NULL)
SELECT country, poster_name, follower_count FROM posters
QUALIFY rank() OVER (PARTITION BY country ORDER BY follower_count DESC) = 1
ORDER BY country NULLS FIRST, poster_name NULLS FIRST`,
  Q3b: `WITH ${POSTINGS},
tops AS (SELECT DISTINCT country, follower_count FROM postings WHERE follower_count IS NOT NULL)
SELECT country, follower_count FROM tops
QUALIFY rank() OVER (ORDER BY follower_count DESC) = 1
ORDER BY country NULLS FIRST`,
  Q4: mostPopular('age_group', 'age_group'),
  Q5: lowerMedian([['age_group', 'age_group']], ''),
  Q6: `WITH ${POSTINGS}
SELECT CAST(year(date_joined) AS INTEGER) AS join_year, count(*) AS number_users_joined
FROM postings WHERE ${JOIN_YEARS}
GROUP BY ALL ORDER BY join_year`,
  Q7: lowerMedian([['CAST(year(date_joined) AS INTEGER)', 'join_year']], JOIN_YEARS),
  Q8: lowerMedian([['age_group', 'age_group'], ['CAST(year(date_joined) AS INTEGER)', 'join_year']], JOIN_YEARS),
};

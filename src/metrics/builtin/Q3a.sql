-- title: Poster with the most followers per country
-- keys: country, poster_name
-- table: q3a_top_poster_by_country
-- description: Data contract §4 Q3a. The largest follower count per country (nulls left out), then its posters.
WITH tops AS (
  SELECT country, max(follower_count) AS top
  FROM postings
  WHERE follower_count IS NOT NULL
  GROUP BY country
)
SELECT DISTINCT p.country, p.poster_name, p.follower_count
FROM postings p
JOIN tops t ON t.country IS NOT DISTINCT FROM p.country AND t.top = p.follower_count
ORDER BY country NULLS FIRST, poster_name NULLS FIRST

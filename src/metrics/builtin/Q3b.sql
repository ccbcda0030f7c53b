-- title: The country whose poster has the most followers
-- keys: country
-- table: q3b_top_country_by_poster
-- description: Data contract §4 Q3b.
WITH top AS (SELECT max(follower_count) AS top FROM postings)
SELECT DISTINCT country, follower_count
FROM postings
WHERE follower_count = (SELECT top FROM top)
ORDER BY country NULLS FIRST

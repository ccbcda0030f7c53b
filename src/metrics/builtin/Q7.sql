-- title: Median follower count by joining year (2015–2020)
-- keys: join_year
-- table: q7_median_followers_by_join_year
-- description: Data contract §4 Q7. Lower median; null follower counts left out.
SELECT CAST(year(date_joined) AS INTEGER) AS join_year, CAST(percentile_disc(0.5) WITHIN GROUP (ORDER BY follower_count) AS BIGINT) AS median_follower_count
FROM postings
WHERE follower_count IS NOT NULL AND year(date_joined) BETWEEN 2015 AND 2020
GROUP BY join_year
ORDER BY join_year NULLS FIRST

-- title: Median follower count by joining year and age group (2015–2020)
-- keys: age_group, join_year
-- table: q8_median_followers_by_join_year_age_group
-- description: Data contract §4 Q8. Lower median; null follower counts left out.
SELECT age_group, CAST(year(date_joined) AS INTEGER) AS join_year, CAST(percentile_disc(0.5) WITHIN GROUP (ORDER BY follower_count) AS BIGINT) AS median_follower_count
FROM postings
WHERE follower_count IS NOT NULL AND year(date_joined) BETWEEN 2015 AND 2020
GROUP BY age_group, join_year
ORDER BY age_group NULLS FIRST, join_year NULLS FIRST

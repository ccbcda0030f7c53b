-- title: Median follower count per age group
-- keys: age_group
-- table: q5_median_followers_by_age_group
-- description: Data contract §4 Q5. Lower median (the ⌈n/2⌉-th smallest value); null follower counts left out.
SELECT age_group, CAST(percentile_disc(0.5) WITHIN GROUP (ORDER BY follower_count) AS BIGINT) AS median_follower_count
FROM postings
WHERE follower_count IS NOT NULL
GROUP BY age_group
ORDER BY age_group NULLS FIRST

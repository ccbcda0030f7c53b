-- title: Most popular category per age group
-- keys: age_group, category
-- table: q4_category_by_age_group
-- description: Data contract §4 Q4. Ties are kept.
WITH counts AS (
  SELECT age_group, category, count(*) AS category_count
  FROM postings
  GROUP BY ALL
)
SELECT age_group, category, category_count
FROM (SELECT *, rank() OVER (PARTITION BY age_group ORDER BY category_count DESC) AS rnk FROM counts) ranked
WHERE rnk = 1
ORDER BY age_group NULLS FIRST, category NULLS FIRST

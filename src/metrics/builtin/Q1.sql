-- title: Most popular category per country
-- keys: country, category
-- table: q1_category_by_country
-- description: Data contract §4 Q1. Ties are kept (rank = 1); a null country is a group of its own.
WITH counts AS (
  SELECT country, category, count(*) AS category_count
  FROM postings
  GROUP BY ALL
)
SELECT country, category, category_count
FROM (SELECT *, rank() OVER (PARTITION BY country ORDER BY category_count DESC) AS rnk FROM counts) ranked
WHERE rnk = 1
ORDER BY country NULLS FIRST, category NULLS FIRST

-- title: Most popular category per year (2018–2022)
-- keys: post_year, category
-- table: q2_category_by_year
-- description: Data contract §4 Q2. The year of the geolocation timestamp (UTC); ties are kept.
WITH counts AS (
  SELECT CAST(year("timestamp") AS INTEGER) AS post_year, category, count(*) AS category_count
  FROM postings
  WHERE year("timestamp") BETWEEN 2018 AND 2022
  GROUP BY ALL
)
SELECT post_year, category, category_count
FROM (SELECT *, rank() OVER (PARTITION BY post_year ORDER BY category_count DESC) AS rnk FROM counts) ranked
WHERE rnk = 1
ORDER BY post_year NULLS FIRST, category NULLS FIRST

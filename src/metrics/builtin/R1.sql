-- title: Postings per minute by category
-- kind: realtime
-- keys: category
-- table: r1_postings_by_category
-- description: Data contract §5 R1, counted from the pin alone.
SELECT category, count(*) AS postings
FROM pins
GROUP BY category

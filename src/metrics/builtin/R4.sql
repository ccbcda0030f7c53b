-- title: Distinct posters per minute
-- kind: realtime
-- table: r4_distinct_posters
-- description: Data contract §5 R4: distinct user_name among the user records ingested in the minute.
SELECT count(DISTINCT user_name) AS distinct_posters
FROM users

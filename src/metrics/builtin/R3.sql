-- title: Postings per minute by age group
-- kind: realtime
-- keys: age_group
-- table: r3_postings_by_age_group
-- description: Data contract §5 R3: the pin joined to its poster (closest within the join window), in the pin's minute.
SELECT u.age_group, count(*) AS postings
FROM pins p
JOIN users u ON u.ind = p.ind
GROUP BY u.age_group

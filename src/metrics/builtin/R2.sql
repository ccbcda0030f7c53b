-- title: Postings per minute by country
-- kind: realtime
-- keys: country
-- table: r2_postings_by_country
-- description: Data contract §5 R2: the pin joined to its geolocation (closest within the join window), in the pin's minute.
SELECT g.country, count(*) AS postings
FROM pins p
JOIN geo g ON g.ind = p.ind
GROUP BY g.country

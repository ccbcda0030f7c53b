-- title: Users joined per year (2015–2020)
-- keys: join_year
-- table: q6_users_joined_by_year
-- description: Data contract §4 Q6. Joined postings (one per ind) per calendar year of date_joined (UTC).
SELECT CAST(year(date_joined) AS INTEGER) AS join_year, count(*) AS number_users_joined
FROM postings
WHERE year(date_joined) BETWEEN 2015 AND 2020
GROUP BY ALL
ORDER BY join_year

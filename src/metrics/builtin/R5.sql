-- title: Media mix per minute
-- kind: realtime
-- table: r5_media_mix
-- description: Data contract §5 R5: images, videos and stories among the pins, and their mean follower count (nulls left out).
SELECT count(*) FILTER (WHERE media_type = 'image') AS images,
       count(*) FILTER (WHERE media_type = 'video') AS videos,
       count(*) FILTER (WHERE media_type = 'story') AS stories,
       avg(follower_count) AS mean_follower_count
FROM pins

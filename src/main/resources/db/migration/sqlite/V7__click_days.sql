-- One statistics row per link and UTC day: the day's human and bot totals as columns, its hours
-- and dimension values as JSON text (LinkDay reads and writes them).
-- It replaces click_counts (a row per link and hour) and click_dims (a row per link, day,
-- dimension and value): a link clicked once cost a fold six row writes into six indexes; now it
-- costs one row (and its total).
--   hours: {"13": [5, 1]}                  hour of the day (0-23) -> [human, bot]
--   dims:  {"referrer": {"direct": 5}, "browser": {"Chrome": 4}, ...}   bots included
-- A rowid table, not WITHOUT ROWID: a busy link's dims can be kilobytes.
CREATE TABLE click_days (
    link_id INTEGER NOT NULL,
    day     INTEGER NOT NULL, -- epoch days (UTC)
    clicks  INTEGER NOT NULL, -- human clicks that day (what links.clicks and maxClicks count)
    bots    INTEGER NOT NULL,
    hours   TEXT    NOT NULL,
    dims    TEXT    NOT NULL,
    PRIMARY KEY (link_id, day)
);
-- Instance-wide statistics and the purge read a range of days across all links.
CREATE INDEX click_days_day ON click_days (day);

INSERT INTO click_days (link_id, day, clicks, bots, hours, dims)
SELECT k.link_id, k.day, COALESCE(h.clicks, 0) AS clicks, COALESCE(h.bots, 0) AS bots,
       COALESCE(h.hours, '{}') AS hours, COALESCE(d.dims, '{}') AS dims
FROM (SELECT link_id, hour / 24 AS day FROM click_counts UNION SELECT link_id, day FROM click_dims) k
LEFT JOIN (SELECT link_id, hour / 24 AS day, SUM(clicks) AS clicks, SUM(bots) AS bots,
                  json_group_object(CAST(hour % 24 AS TEXT), json_array(clicks, bots)) AS hours
           FROM click_counts GROUP BY link_id, hour / 24) h ON h.link_id = k.link_id AND h.day = k.day
LEFT JOIN (SELECT link_id, day, json_group_object(dim, json(v)) AS dims
           FROM (SELECT link_id, day, dim, json_group_object(value, clicks) AS v
                 FROM click_dims GROUP BY link_id, day, dim) per_dim
           GROUP BY link_id, day) d ON d.link_id = k.link_id AND d.day = k.day;

DROP TABLE click_counts;
DROP TABLE click_dims;

-- Rows that are updated again and again (a link's click total every second it is clicked; this
-- hour's and today's roll-up rows) get room in their page for their next version. PostgreSQL then
-- updates them in place on the page (a HOT update) and touches none of the table's indexes; in a
-- full page every update also writes a new entry into every index. Applies to pages written from
-- now on (VACUUM FULL rewrites the older ones).
ALTER TABLE links SET (fillfactor = 90);
ALTER TABLE click_counts SET (fillfactor = 70);
ALTER TABLE click_dims SET (fillfactor = 70);

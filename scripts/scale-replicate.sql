-- Grows a callqa PostgreSQL database made by callqa-scale by copying its
-- results, findings, reviews and verdicts COPIES times under new recording
-- keys (c1/..., c2/...) and call ids (...-c1), so that every day holds
-- COPIES + 1 times its calls with the same agents, teams, queues and
-- spreads; then `callqa rollup rebuild` recomputes the rollups from the
-- rows. It is how scripts/scale.sh reaches 11 million results on a 2-core
-- machine in minutes instead of the hours that saving each result through
-- SaveResults takes (about 2,000 a second here); the queries measured read
-- the same tables either way.
--
--   psql "$DB" -v copies=10 -f scripts/scale-replicate.sql
SET synchronous_commit = off;
SELECT set_config('callqa.copies', :'copies', false);

DO $$
DECLARE
    copies int := current_setting('callqa.copies')::int;
    t text;
    cols text;
    sel text;
BEGIN
    FOR k IN 1..copies LOOP
        FOREACH t IN ARRAY ARRAY['results', 'findings', 'reviews', 'verdicts'] LOOP
            SELECT string_agg(quote_ident(column_name), ', ' ORDER BY ordinal_position),
                   string_agg(CASE column_name
                       WHEN 'recording' THEN format('%L || recording', 'c' || k || '/')
                       WHEN 'call_id' THEN format('call_id || %L', '-c' || k)
                       ELSE quote_ident(column_name) END, ', ' ORDER BY ordinal_position)
              INTO cols, sel
              FROM information_schema.columns
             WHERE table_schema = current_schema() AND table_name = t;
            EXECUTE format('INSERT INTO %I (%s) SELECT %s FROM %I WHERE recording !~ %L',
                           t, cols, sel, t, '^c[0-9]+/');
        END LOOP;
        RAISE NOTICE 'copy % of %: done', k, copies;
    END LOOP;
END
$$;

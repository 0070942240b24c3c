-- Monthly range partitions on created_at, made ahead of time so that a write
-- never lands in the default partition for want of its month.

-- Creates the monthly partitions of `parent` from first_month to last_month
-- (inclusive); returns how many it created. Bounds are UTC month starts, so the
-- partition layout does not depend on the session's TimeZone. Rows already
-- sitting in the default partition for a new month are moved into it (a
-- partition cannot be created over rows the default partition holds).
CREATE OR REPLACE FUNCTION ensure_monthly_partitions(parent regclass, first_month date, last_month date)
RETURNS integer
LANGUAGE plpgsql AS $fn$
DECLARE
    parent_name text := (SELECT relname FROM pg_class WHERE oid = parent);
    parent_schema text := (SELECT nspname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.oid = parent);
    default_name text := parent_name || '_default';
    month_start date := date_trunc('month', first_month)::date;
    lower_bound timestamptz;
    upper_bound timestamptz;
    partition_name text;
    created integer := 0;
    has_rows boolean;
BEGIN
    IF first_month IS NULL OR last_month IS NULL OR last_month < first_month THEN
        RAISE EXCEPTION 'ensure_monthly_partitions: need first_month <= last_month, got % and %', first_month, last_month;
    END IF;
    WHILE month_start <= last_month LOOP
        partition_name := parent_name || '_' || to_char(month_start, 'YYYY_MM');
        lower_bound := month_start::timestamp AT TIME ZONE 'UTC';
        upper_bound := (month_start + interval '1 month')::timestamp AT TIME ZONE 'UTC';
        IF to_regclass(format('%I.%I', parent_schema, partition_name)) IS NULL THEN
            has_rows := false;
            IF to_regclass(format('%I.%I', parent_schema, default_name)) IS NOT NULL THEN
                EXECUTE format('SELECT EXISTS (SELECT 1 FROM %I.%I WHERE created_at >= $1 AND created_at < $2)',
                               parent_schema, default_name)
                   INTO has_rows USING lower_bound, upper_bound;
            END IF;
            IF has_rows THEN
                EXECUTE format('CREATE TABLE %I.%I (LIKE %s INCLUDING DEFAULTS INCLUDING CONSTRAINTS)',
                               parent_schema, partition_name, parent);
                EXECUTE format('WITH moved AS (DELETE FROM %I.%I WHERE created_at >= $1 AND created_at < $2 RETURNING *) '
                               'INSERT INTO %I.%I SELECT * FROM moved',
                               parent_schema, default_name, parent_schema, partition_name)
                   USING lower_bound, upper_bound;
                EXECUTE format('ALTER TABLE %s ATTACH PARTITION %I.%I FOR VALUES FROM (%L) TO (%L)',
                               parent, parent_schema, partition_name, lower_bound, upper_bound);
            ELSE
                EXECUTE format('CREATE TABLE %I.%I PARTITION OF %s FOR VALUES FROM (%L) TO (%L)',
                               parent_schema, partition_name, parent, lower_bound, upper_bound);
            END IF;
            created := created + 1;
        END IF;
        month_start := (month_start + interval '1 month')::date;
    END LOOP;
    RETURN created;
END
$fn$;

-- Makes partitions from the current month to `months_ahead` months ahead for
-- every monthly-partitioned table of this schema; returns how many it created.
-- Meant to run from the maintenance command (`bi-workbench db partitions`) or
-- any scheduler; needs no pg_cron.
CREATE OR REPLACE FUNCTION ensure_partitions_ahead(months_ahead integer DEFAULT 3)
RETURNS integer
LANGUAGE plpgsql AS $fn$
DECLARE
    parent regclass;
    created integer := 0;
    this_month date := date_trunc('month', now() AT TIME ZONE 'UTC')::date;
BEGIN
    IF months_ahead IS NULL OR months_ahead < 0 THEN
        RAISE EXCEPTION 'ensure_partitions_ahead: months_ahead must be 0 or more, got %', months_ahead;
    END IF;
    FOR parent IN
        SELECT pt.partrelid::regclass
        FROM pg_partitioned_table pt
        JOIN pg_class c ON c.oid = pt.partrelid
        WHERE pt.partstrat = 'r' AND c.relnamespace = current_schema()::regnamespace
    LOOP
        created := created + ensure_monthly_partitions(parent, this_month, (this_month + make_interval(months => months_ahead))::date);
    END LOOP;
    RETURN created;
END
$fn$;

-- Vince.FeatureStore: Supabase bootstrap (FORMATS §5). Idempotent: safe to run again.
-- Run it once in the Supabase SQL editor (or psql) before enabling the Supabase sink.

-- One row per feature record id, holding its latest version.
CREATE TABLE IF NOT EXISTS public.vince_paper_bot_features (
    id         text        PRIMARY KEY,
    created_at timestamptz NOT NULL,
    payload    jsonb       NOT NULL
);

-- Reads page in decision-time order; training filters by asset and by completeness.
CREATE INDEX IF NOT EXISTS vince_paper_bot_features_created_at_idx
    ON public.vince_paper_bot_features (created_at);
CREATE INDEX IF NOT EXISTS vince_paper_bot_features_asset_idx
    ON public.vince_paper_bot_features ((payload ->> 'asset'), created_at);
CREATE INDEX IF NOT EXISTS vince_paper_bot_features_complete_idx
    ON public.vince_paper_bot_features (created_at)
    WHERE (payload -> 'outcome') IS NOT NULL AND (payload -> 'labels') IS NOT NULL;

-- Ordered upserts: a stored row is never replaced by an older version of the same id (two writers, a sync beside the
-- sink, a replay from an old cursor). A PostgREST upsert cannot carry a condition, so this trigger keeps the stored row
-- when the incoming version is older: ordered by the payload's updatedAt, a version without one older than any with one,
-- on a tie the incoming version wins.
CREATE OR REPLACE FUNCTION public.vince_paper_bot_features_keep_newer() RETURNS trigger
    LANGUAGE plpgsql SET search_path = '' AS $$
BEGIN
    IF NOT ({{incoming NEW.payload replaces stored OLD.payload}}) THEN
        RETURN NULL; -- the stored version is newer: leave the row as it is
    END IF;
    RETURN NEW;
END
$$;
DROP TRIGGER IF EXISTS vince_paper_bot_features_keep_newer ON public.vince_paper_bot_features;
CREATE TRIGGER vince_paper_bot_features_keep_newer
    BEFORE UPDATE ON public.vince_paper_bot_features
    FOR EACH ROW EXECUTE FUNCTION public.vince_paper_bot_features_keep_newer();

-- Row level security on, with no policy: only the service-role key (which bypasses RLS) can read or write.
ALTER TABLE public.vince_paper_bot_features ENABLE ROW LEVEL SECURITY;

-- The private model bucket, when Supabase Storage is installed.
DO $$
BEGIN
    IF to_regclass('storage.buckets') IS NOT NULL THEN
        INSERT INTO storage.buckets (id, name, public) VALUES ('vince-ml-models', 'vince-ml-models', false)
        ON CONFLICT (id) DO NOTHING;
    END IF;
END
$$;

-- Make PostgREST see the table now rather than at its next schema reload.
NOTIFY pgrst, 'reload schema';


-- Writes with the anon key (SUPABASE_ANON_KEY). Row level security refuses every anon write unless a policy allows it:
-- these let the anon role insert and update rows, and see them, which the sink's upsert needs (PostgreSQL checks an
-- INSERT ... ON CONFLICT DO UPDATE against the SELECT policies too). Anyone holding the anon key (it is public in
-- browser apps) can then read and write this table: prefer the service-role key where you can.
GRANT SELECT, INSERT, UPDATE ON public.vince_paper_bot_features TO anon;
DROP POLICY IF EXISTS vince_paper_bot_features_anon_insert ON public.vince_paper_bot_features;
CREATE POLICY vince_paper_bot_features_anon_insert ON public.vince_paper_bot_features
    FOR INSERT TO anon WITH CHECK (true);
DROP POLICY IF EXISTS vince_paper_bot_features_anon_update ON public.vince_paper_bot_features;
CREATE POLICY vince_paper_bot_features_anon_update ON public.vince_paper_bot_features
    FOR UPDATE TO anon USING (true) WITH CHECK (true);
DROP POLICY IF EXISTS vince_paper_bot_features_anon_select ON public.vince_paper_bot_features;
CREATE POLICY vince_paper_bot_features_anon_select ON public.vince_paper_bot_features
    FOR SELECT TO anon USING (true);

-- Row-level security, same rule, cheaper: the policies of 003/004 called atom_tenant_in_scope(t)
-- per row, which read the setting atom.tenant_scope twice per row (a seq scan of 300k rollup
-- rows spent ~0.3 s in it). Here the scope is read by uncorrelated sub-selects, which PostgreSQL
-- evaluates once per statement (InitPlan); per row only `= '*'` or `= ANY(array)` remains.
-- Same meaning: '*' is every tenant, otherwise the comma-separated ids; unset or empty is none.
CREATE OR REPLACE FUNCTION atom_scope_is_all() RETURNS BOOLEAN
LANGUAGE sql STABLE AS $$
  SELECT coalesce(current_setting('atom.tenant_scope', true), '') = '*'
$$;

CREATE OR REPLACE FUNCTION atom_scope_ids() RETURNS TEXT[]
LANGUAGE sql STABLE AS $$
  SELECT string_to_array(nullif(current_setting('atom.tenant_scope', true), ''), ',')
$$;

ALTER POLICY tenant_scope ON tenants USING ((SELECT atom_scope_is_all()) OR tenant_id = ANY (CAST((SELECT atom_scope_ids()) AS TEXT[])));
ALTER POLICY tenant_scope ON workflow_runs USING ((SELECT atom_scope_is_all()) OR tenant_id = ANY (CAST((SELECT atom_scope_ids()) AS TEXT[])));
ALTER POLICY tenant_scope ON incidents USING ((SELECT atom_scope_is_all()) OR tenant_id = ANY (CAST((SELECT atom_scope_ids()) AS TEXT[])));
ALTER POLICY tenant_scope ON metric_samples USING ((SELECT atom_scope_is_all()) OR tenant_id = ANY (CAST((SELECT atom_scope_ids()) AS TEXT[])));
ALTER POLICY tenant_scope ON predictions USING ((SELECT atom_scope_is_all()) OR tenant_id = ANY (CAST((SELECT atom_scope_ids()) AS TEXT[])));
ALTER POLICY tenant_scope ON rollup_runs USING ((SELECT atom_scope_is_all()) OR tenant_id = ANY (CAST((SELECT atom_scope_ids()) AS TEXT[])));
ALTER POLICY tenant_scope ON rollup_durations_day USING ((SELECT atom_scope_is_all()) OR tenant_id = ANY (CAST((SELECT atom_scope_ids()) AS TEXT[])));
ALTER POLICY tenant_scope ON rollup_metrics USING ((SELECT atom_scope_is_all()) OR tenant_id = ANY (CAST((SELECT atom_scope_ids()) AS TEXT[])));
ALTER POLICY tenant_scope ON rollup_predictions USING ((SELECT atom_scope_is_all()) OR tenant_id = ANY (CAST((SELECT atom_scope_ids()) AS TEXT[])));
ALTER POLICY tenant_scope ON tenant_services USING ((SELECT atom_scope_is_all()) OR tenant_id = ANY (CAST((SELECT atom_scope_ids()) AS TEXT[])));

-- Defence in depth for tenancy: row-level security on every tenant table. Report queries run
-- as the role atom_app inside a transaction that sets atom.tenant_scope (a comma-separated list
-- of tenant ids, or '*' for the admin's all-tenant scope), so even a query that forgot its
-- WHERE tenant_id sees only the tenants in scope. atom_app cannot read API keys at all.
DO $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'atom_app') THEN
    CREATE ROLE atom_app NOLOGIN NOINHERIT NOBYPASSRLS;
  END IF;
EXCEPTION WHEN insufficient_privilege THEN
  RAISE NOTICE 'cannot create role atom_app (needs CREATEROLE); row-level security is not enforced for this database user';
END
$$;

DO $$
BEGIN
  IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'atom_app') THEN
    EXECUTE 'GRANT atom_app TO ' || quote_ident(current_user);
    EXECUTE 'GRANT USAGE ON SCHEMA public TO atom_app';
    EXECUTE 'GRANT SELECT ON tenants, workflow_runs, incidents, metric_samples, predictions TO atom_app';
  END IF;
EXCEPTION WHEN insufficient_privilege THEN
  RAISE NOTICE 'cannot grant atom_app; row-level security is not enforced for this database user';
END
$$;

CREATE OR REPLACE FUNCTION atom_tenant_in_scope(t TEXT) RETURNS BOOLEAN
LANGUAGE sql STABLE AS $$
  SELECT coalesce(current_setting('atom.tenant_scope', true), '') = '*'
      OR t = ANY (string_to_array(nullif(current_setting('atom.tenant_scope', true), ''), ','))
$$;

ALTER TABLE tenants ENABLE ROW LEVEL SECURITY;
ALTER TABLE workflow_runs ENABLE ROW LEVEL SECURITY;
ALTER TABLE incidents ENABLE ROW LEVEL SECURITY;
ALTER TABLE metric_samples ENABLE ROW LEVEL SECURITY;
ALTER TABLE predictions ENABLE ROW LEVEL SECURITY;

-- The owner (the application's own writes, migrations) is not subject to RLS; atom_app is.
CREATE POLICY tenant_scope ON tenants TO atom_app USING (atom_tenant_in_scope(tenant_id));
CREATE POLICY tenant_scope ON workflow_runs TO atom_app USING (atom_tenant_in_scope(tenant_id));
CREATE POLICY tenant_scope ON incidents TO atom_app USING (atom_tenant_in_scope(tenant_id));
CREATE POLICY tenant_scope ON metric_samples TO atom_app USING (atom_tenant_in_scope(tenant_id));
CREATE POLICY tenant_scope ON predictions TO atom_app USING (atom_tenant_in_scope(tenant_id));

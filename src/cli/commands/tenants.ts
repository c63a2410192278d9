import { createTenant, createTenantKey, listTenants, revokeKey, toTenantJson } from '../../tenancy/tenant-service.ts';
import { optionalString, UsageError, type CommandSpec } from '../args.ts';
import { withAdminContext } from '../context.ts';

export const tenantsCommand: CommandSpec = {
  name: 'tenants',
  summary: 'create or list tenants (directly on the database)',
  usage: 'atom-analytics tenants create --name "Acme" [--id acme] | atom-analytics tenants list [--json]',
  options: {
    name: { type: 'string', description: 'tenant display name (create)' },
    id: { type: 'string', description: 'tenant id, ^[A-Za-z0-9_-]{1,64}$; a UUID when absent (create)' },
    json: { type: 'boolean', description: 'print JSON instead of a table (list)' },
  },
  async run({ values, positionals }) {
    const [action] = positionals;
    if (action === 'create') {
      const row = await withAdminContext((ctx) => createTenant(ctx, { id: optionalString(values, 'id'), name: optionalString(values, 'name') }));
      process.stdout.write(JSON.stringify(toTenantJson(row), null, 2) + '\n');
      return 0;
    }
    if (action === 'list') {
      const rows = await withAdminContext((ctx) => listTenants(ctx, { limit: 100_000 }));
      if (values.json) process.stdout.write(JSON.stringify(rows.map(toTenantJson), null, 2) + '\n');
      else for (const r of rows) process.stdout.write(`${r.tenant_id.padEnd(40)} ${r.name}\n`);
      return 0;
    }
    throw new UsageError('tenants needs an action: create or list. See: atom-analytics tenants --help');
  },
};

export const keysCommand: CommandSpec = {
  name: 'keys',
  summary: 'create or revoke tenant API keys (directly on the database)',
  usage: 'atom-analytics keys create --tenant <id> [--name ci] | atom-analytics keys revoke <key_id>',
  options: {
    tenant: { type: 'string', description: 'tenant id (create)' },
    name: { type: 'string', description: 'a label for the key (create)' },
  },
  async run({ values, positionals }) {
    const [action, keyId] = positionals;
    if (action === 'create') {
      if (typeof values.tenant !== 'string') throw new UsageError('keys create needs --tenant <id>');
      const created = await withAdminContext((ctx) => createTenantKey(ctx, values.tenant as string, { name: optionalString(values, 'name') }));
      process.stdout.write(JSON.stringify(created, null, 2) + '\n');
      process.stderr.write('The key is shown once; only its hash is stored.\n');
      return 0;
    }
    if (action === 'revoke') {
      if (!keyId) throw new UsageError('keys revoke needs a key id: atom-analytics keys revoke <key_id>');
      const { keyHash: _h, ...result } = await withAdminContext((ctx) => revokeKey(ctx, keyId));
      process.stdout.write(JSON.stringify(result) + '\n');
      return 0;
    }
    throw new UsageError('keys needs an action: create or revoke. See: atom-analytics keys --help');
  },
};

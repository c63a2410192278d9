import { TenantNotFoundError, ValidationError } from '../../domain/errors.ts';
import { createTenant, createTenantKey, listTenants, revokeKey, TENANT_ID_PATTERN, toTenantJson } from '../../tenancy/tenant-service.ts';
import { optionalString, UsageError, type CommandSpec } from '../args.ts';
import { NO_INGEST, withAdminContext } from '../context.ts';
import { formatTable } from '../table.ts';

/** Rewords a validation error of the service with the command's flags (`--id`, not `id`). */
function asUsageError(command: string, err: unknown): unknown {
  if (!(err instanceof ValidationError) || !err.details.length) return err;
  return new UsageError(`${command}: ${err.details.map((d) => (d.field ? `--${d.field}: ${d.message}` : d.message)).join('; ')}`);
}

export const tenantsCommand: CommandSpec = {
  name: 'tenants',
  summary: 'create or list tenants (directly on the database)',
  usage: 'atom-analytics tenants create --name "Acme" [--id acme] | atom-analytics tenants list [--json]',
  maxPositionals: 1,
  options: {
    name: { type: 'string', description: 'tenant display name (create)' },
    id: { type: 'string', description: 'tenant id, ^[A-Za-z0-9_-]{1,64}$; a UUID when absent (create)' },
    json: { type: 'boolean', description: 'print JSON instead of a table (list)' },
  },
  async run({ values, positionals }) {
    const [action] = positionals;
    if (action === 'create') {
      const name = optionalString(values, 'name');
      const id = optionalString(values, 'id');
      if (name === undefined) throw new UsageError('tenants create needs --name "<display name>"');
      if (typeof values.id === 'string' && !TENANT_ID_PATTERN.test(values.id)) {
        throw new UsageError(`tenants create: --id ${JSON.stringify(values.id)} is not a valid tenant id: use 1 to 64 letters, digits, _ or - (or leave --id out for a generated UUID)`);
      }
      const row = await withAdminContext((ctx) => createTenant(ctx, { id, name }), undefined, NO_INGEST).catch((err: unknown) => {
        throw asUsageError('tenants create', err);
      });
      process.stdout.write(JSON.stringify(toTenantJson(row), null, 2) + '\n');
      return 0;
    }
    if (action === 'list') {
      const rows = (await withAdminContext((ctx) => listTenants(ctx, { limit: 100_000 }), undefined, NO_INGEST)).map(toTenantJson);
      if (values.json) process.stdout.write(JSON.stringify(rows, null, 2) + '\n');
      else process.stdout.write(formatTable(['id', 'name', 'created_at'], rows));
      return 0;
    }
    throw new UsageError('tenants needs an action: create or list. See: atom-analytics tenants --help');
  },
};

export const keysCommand: CommandSpec = {
  name: 'keys',
  summary: 'create or revoke tenant API keys (directly on the database)',
  usage: 'atom-analytics keys create --tenant <id> [--name ci] | atom-analytics keys revoke <key_id>',
  maxPositionals: 2,
  options: {
    tenant: { type: 'string', description: 'tenant id (create)' },
    name: { type: 'string', description: 'a label for the key (create)' },
  },
  async run({ values, positionals }) {
    const [action, keyId] = positionals;
    if (action === 'create') {
      if (positionals.length > 1) throw new UsageError(`unexpected argument "${positionals[1]}" for keys create. See: atom-analytics keys --help`);
      if (typeof values.tenant !== 'string') throw new UsageError('keys create needs --tenant <id>');
      const created = await withAdminContext((ctx) => createTenantKey(ctx, values.tenant as string, { name: optionalString(values, 'name') }), undefined, NO_INGEST).catch(
        (err: unknown) => {
          if (err instanceof TenantNotFoundError) throw new UsageError(`unknown tenant "${values.tenant as string}" (atom-analytics tenants list shows them)`);
          throw asUsageError('keys create', err);
        },
      );
      process.stdout.write(JSON.stringify(created, null, 2) + '\n');
      process.stderr.write('The key is shown once; only its hash is stored.\n');
      return 0;
    }
    if (action === 'revoke') {
      if (!keyId) throw new UsageError('keys revoke needs a key id: atom-analytics keys revoke <key_id>');
      const { keyHash: _h, ...result } = await withAdminContext((ctx) => revokeKey(ctx, keyId), undefined, NO_INGEST);
      process.stdout.write(JSON.stringify(result) + '\n');
      return 0;
    }
    throw new UsageError('keys needs an action: create or revoke. See: atom-analytics keys --help');
  },
};

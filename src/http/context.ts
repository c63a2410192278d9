import type { FastifyRequest } from 'fastify';
import type { ReportCache } from '../cache/index.ts';
import type { Config } from '../config.ts';
import type { AuditStore } from '../export/audit-store.ts';
import type { AppMetrics } from '../observability/metrics.ts';
import type { Storage } from '../storage/types.ts';
import type { Authenticator } from '../tenancy/authenticate.ts';
import type { ServiceContext } from '../tenancy/context.ts';
import { actorOf } from './plugins/auth.ts';

/** What server.ts (or a test) wires into the app. The app owns none of it and closes none of it. */
export interface AppDeps {
  config: Config;
  storage: Storage;
  auth: Authenticator;
  cache: ReportCache;
  auditStore: AuditStore;
  metrics: AppMetrics;
  /** Server version, reported in audit manifests and /healthz. */
  version: string;
}

export function serviceContext(deps: AppDeps, req: FastifyRequest): ServiceContext {
  return { actor: actorOf(req), storage: deps.storage };
}

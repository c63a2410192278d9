import './styles.css';

import {
  aucFigure,
  change,
  costBreakdown,
  failureRateFigure,
  foldHourOfWeek,
  MAX_TREND_TENANTS,
  mttrFigure,
  openIncidentsFigure,
  sumTrends,
  totalCostFigure,
  workflowsFigure,
  type Change,
  type Figure,
} from './aggregate.ts';
import { ApiError, AuthError, clearKey, downloadCsv, getJson, getKey, isAbort, NetworkError, setKey, setUnauthorizedHandler, type Query } from './api.ts';
import { calibrationOption, ChartHost, costOption, heatmapOption, mttrOption, trendsOption } from './charts.ts';
import { DASH, formatAuc, formatDuration, formatDurationShort, formatInstant, formatInt, formatMs, formatPercent, formatUsd, signed } from './format.ts';
import { addDays, browserTimeZone, daysBetween, defaultInputs, periodFromInputs, previousPeriod, timeZones, validateInputs, type QueryPeriod } from './period.ts';
import type { CostReport, HealthRow, MttrRow, OverviewRow, PredictionRow, Report, Tenant, TrendReport } from './types.ts';

// ---------------------------------------------------------------- elements

function byId<T extends HTMLElement>(id: string): T {
  const el = document.getElementById(id);
  if (!el) throw new Error(`#${id} missing from index.html`);
  return el as T;
}

const ui = {
  session: byId('session'),
  scope: byId('scope'),
  signOut: byId<HTMLButtonElement>('sign-out'),
  signin: byId('signin'),
  signinForm: byId<HTMLFormElement>('signin-form'),
  signinMessage: byId('signin-message'),
  signinSubmit: byId<HTMLButtonElement>('signin-submit'),
  keyInput: byId<HTMLInputElement>('api-key'),
  dashboard: byId('dashboard'),
  filters: byId<HTMLFormElement>('filters'),
  filtersMessage: byId('filters-message'),
  tenantField: byId('tenant-field'),
  tenant: byId<HTMLSelectElement>('tenant'),
  from: byId<HTMLInputElement>('from'),
  to: byId<HTMLInputElement>('to'),
  tz: byId<HTMLSelectElement>('tz'),
  status: byId('status'),
  banner: byId('banner'),
  bannerText: byId('banner-text'),
  bannerRetry: byId<HTMLButtonElement>('banner-retry'),
  onboarding: byId('onboarding'),
  onboardingTitle: byId('onboarding-title'),
  onboardingText: byId('onboarding-text'),
  onboardingCurl: byId('onboarding-curl'),
};

interface Panel {
  section: HTMLElement;
  note: HTMLElement;
  message: HTMLElement;
  chart: ChartHost | null;
  table: HTMLElement | null;
}

function panel(name: string): Panel {
  const section = document.querySelector<HTMLElement>(`[data-panel="${name}"]`);
  if (!section) throw new Error(`panel ${name} missing from index.html`);
  const chartEl = section.querySelector<HTMLElement>('[data-chart]');
  return {
    section,
    note: section.querySelector<HTMLElement>('[data-note]')!,
    message: section.querySelector<HTMLElement>('[data-message]')!,
    chart: chartEl ? new ChartHost(chartEl) : null,
    table: section.querySelector<HTMLElement>('[data-table]'),
  };
}

const panels = {
  trends: panel('trends'),
  mttr: panel('mttr'),
  costs: panel('costs'),
  health: panel('health'),
  calibration: panel('calibration'),
  heatmap: panel('heatmap'),
};

// ---------------------------------------------------------------- session

interface Session {
  role: 'admin' | 'tenant';
  tenants: Tenant[];
}

let session: Session | null = null;
let controller: AbortController | null = null;
let generation = 0;

const MSG_REJECTED = 'Your key was not accepted — sign in again';
const MSG_NO_ANSWER = 'The server did not answer — check that it is running and your connection, then retry.';

function parseTenants(body: unknown): Tenant[] {
  const obj = body as Record<string, unknown> | null;
  const list = Array.isArray(body) ? body : (obj?.tenants ?? obj?.rows ?? obj?.items ?? obj?.data ?? []);
  if (!Array.isArray(list)) return [];
  return list
    .filter((t): t is { id: string; name?: unknown } => typeof t?.id === 'string')
    .map((t) => ({ id: t.id, name: typeof t.name === 'string' && t.name ? t.name : t.id }));
}

/** All tenants, following `next_after` pages (`{"tenants": [...], "next_after": id | null}`). */
async function listAllTenants(): Promise<Tenant[]> {
  const all: Tenant[] = [];
  let after: string | undefined;
  for (let page = 0; page < 20; page++) {
    const body = await getJson<{ next_after?: unknown }>('/tenants', { after });
    all.push(...parseTenants(body));
    const next = body?.next_after;
    if (typeof next !== 'string' || !next || next === after) break;
    after = next;
  }
  const unique = new Map(all.map((t) => [t.id, t]));
  return [...unique.values()].sort((a, b) => a.name.localeCompare(b.name) || a.id.localeCompare(b.id));
}

/** 200 on GET /tenants: admin key. 403: tenant key, whose tenant the overview names. */
async function whoAmI(): Promise<Session> {
  try {
    return { role: 'admin', tenants: await listAllTenants() };
  } catch (err) {
    if (!(err instanceof ApiError && err.status === 403)) throw err;
  }
  const overview = await getJson<Report<OverviewRow>>('/reports/overview');
  const row = overview.rows[0];
  if (!row) throw new ApiError(200, 'no_tenant', 'This key does not see any tenant.');
  return { role: 'tenant', tenants: [{ id: row.tenant_id, name: row.tenant_name || row.tenant_id }] };
}

function showSignIn(message?: string): void {
  controller?.abort();
  generation++;
  session = null;
  ui.dashboard.hidden = true;
  ui.session.hidden = true;
  ui.signin.hidden = false;
  ui.signinSubmit.disabled = false;
  ui.signinMessage.textContent = message ?? '';
  ui.signinMessage.hidden = !message;
  if (message === MSG_REJECTED) ui.keyInput.value = '';
  ui.keyInput.focus();
}

async function startSession(): Promise<void> {
  const fromForm = !ui.signin.hidden;
  ui.signinSubmit.disabled = true;
  ui.signinSubmit.textContent = 'Checking…';
  try {
    session = await whoAmI();
  } catch (err) {
    ui.signinSubmit.textContent = 'Sign in';
    if (err instanceof AuthError) return; // sign-in already shown with the message
    const key = getKey();
    showSignIn(err instanceof NetworkError ? MSG_NO_ANSWER : `Could not sign in: ${(err as Error).message}`);
    if (key) ui.keyInput.value = key;
    return;
  }
  ui.signin.hidden = true;
  ui.signinMessage.hidden = true;
  ui.keyInput.value = '';
  ui.signinSubmit.disabled = false;
  ui.signinSubmit.textContent = 'Sign in';
  openDashboard(session);
  if (fromForm) byId('main').focus({ preventScroll: true });
}

setUnauthorizedHandler(() => {
  // Several requests may fail at once; the sign-in form is shown (and the key cleared) each time.
  if (!ui.signin.hidden && ui.signinMessage.textContent === MSG_REJECTED && !ui.signinSubmit.disabled) return;
  showSignIn(MSG_REJECTED);
});

ui.signinForm.addEventListener('submit', (event) => {
  event.preventDefault();
  const key = ui.keyInput.value.trim();
  if (!key) {
    ui.signinMessage.textContent = 'Enter an API key.';
    ui.signinMessage.hidden = false;
    ui.keyInput.focus();
    return;
  }
  setKey(key);
  void startSession();
});

ui.signOut.addEventListener('click', () => {
  clearKey();
  showSignIn();
});

// ---------------------------------------------------------------- filters

let pickersReady = false;

function openDashboard(s: Session): void {
  const tz = ui.tz.value || browserTimeZone();
  if (!pickersReady) {
    for (const zone of timeZones(tz)) ui.tz.add(new Option(zone, zone, zone === tz, zone === tz));
    const { from, through } = defaultInputs(tz);
    ui.from.value = from;
    ui.to.value = through;
    pickersReady = true;
  }
  ui.tenant.replaceChildren(new Option('All tenants', ''), ...s.tenants.map((t) => new Option(t.name === t.id ? t.id : `${t.name} (${t.id})`, t.id)));
  ui.tenantField.hidden = s.role !== 'admin';
  ui.scope.textContent = s.role === 'admin' ? 'Admin key' : `Tenant: ${s.tenants[0]?.name ?? ''}`;
  ui.session.hidden = false;
  ui.dashboard.hidden = false;
  void refresh();
}

interface Scope {
  /** Tenants whose data is shown. */
  tenantIds: string[];
  /** `tenant_id` query parameter (admin with a tenant picked). */
  tenantParam?: string;
  /** The one tenant in scope, when there is exactly one (trend and export paths need it). */
  single?: string;
  all: boolean;
}

function currentScope(s: Session): Scope {
  if (s.role === 'tenant') return { tenantIds: [s.tenants[0].id], single: s.tenants[0].id, all: false };
  const picked = ui.tenant.value;
  if (picked) return { tenantIds: [picked], tenantParam: picked, single: picked, all: false };
  return { tenantIds: s.tenants.map((t) => t.id), all: true };
}

function readFilters(): { period: QueryPeriod; tz: string; days: number } | string {
  const problem = validateInputs(ui.from.value, ui.to.value);
  if (problem) return problem;
  const period = periodFromInputs(ui.from.value, ui.to.value);
  return { period, tz: ui.tz.value || 'UTC', days: daysBetween(period.from, period.to) };
}

let debounce: ReturnType<typeof setTimeout> | undefined;
function refreshSoon(): void {
  clearTimeout(debounce);
  debounce = setTimeout(() => void refresh(), 350);
}

ui.tenant.addEventListener('change', () => void refresh());
ui.tz.addEventListener('change', () => void refresh());
ui.from.addEventListener('change', refreshSoon);
ui.to.addEventListener('change', refreshSoon);
ui.filters.addEventListener('submit', (event) => {
  event.preventDefault();
  void refresh();
});
ui.bannerRetry.addEventListener('click', () => void refresh());

// ---------------------------------------------------------------- loading

type Result<T> = { ok: true; value: T } | { ok: false; error: unknown };

function settle<T>(promise: Promise<T>): Promise<Result<T>> {
  return promise.then(
    (value) => ({ ok: true as const, value }),
    (error: unknown) => ({ ok: false as const, error }),
  );
}

function setStatus(text: string): void {
  ui.status.textContent = text;
}

function setBusy(busy: boolean): void {
  ui.dashboard.dataset.state = busy ? 'loading' : 'ready'; // browser tests wait for "ready"
  for (const p of Object.values(panels)) p.section.setAttribute('aria-busy', String(busy));
  document.getElementById('kpis')?.setAttribute('aria-busy', String(busy));
}

async function refresh(): Promise<void> {
  const s = session;
  if (!s) return;
  const filters = readFilters();
  if (typeof filters === 'string') {
    ui.filtersMessage.textContent = filters;
    ui.filtersMessage.hidden = false;
    return;
  }
  ui.filtersMessage.hidden = true;
  const { period, tz, days } = filters;
  const scope = currentScope(s);
  const prev = previousPeriod(period);
  const query: Query = { ...period, tz, tenant_id: scope.tenantParam };
  const prevQuery: Query = { ...prev, tz, tenant_id: scope.tenantParam };

  controller?.abort();
  controller = new AbortController();
  const signal = controller.signal;
  const gen = ++generation;
  setBusy(true);
  setStatus('Loading…');
  updateExportButtons(scope);

  const trendIds = scope.tenantIds.slice(0, MAX_TREND_TENANTS);
  const trends = (granularity: 'day' | 'hour') =>
    Promise.all(trendIds.map((id) => getJson<TrendReport>(`/reports/trends/${encodeURIComponent(id)}`, { ...period, tz, granularity }, signal)));

  const [overview, mttr, costs, health, predictions, prevOverview, prevMttr, prevCosts, prevHealth, prevPredictions, mttrByService, trendsDay, trendsHour] =
    await Promise.all([
      settle(getJson<Report<OverviewRow>>('/reports/overview', query, signal)),
      settle(getJson<Report<MttrRow>>('/reports/mttr', query, signal)),
      settle(getJson<CostReport>('/reports/costs', query, signal)),
      settle(getJson<Report<HealthRow>>('/reports/health', query, signal)),
      settle(getJson<Report<PredictionRow>>('/reports/predictions', query, signal)),
      settle(getJson<Report<OverviewRow>>('/reports/overview', prevQuery, signal)),
      settle(getJson<Report<MttrRow>>('/reports/mttr', prevQuery, signal)),
      settle(getJson<CostReport>('/reports/costs', prevQuery, signal)),
      settle(getJson<Report<HealthRow>>('/reports/health', prevQuery, signal)),
      settle(getJson<Report<PredictionRow>>('/reports/predictions', prevQuery, signal)),
      settle(getJson<Report<MttrRow>>('/reports/mttr', { ...query, group_by: 'service' }, signal)),
      settle(trends('day')),
      settle(trends('hour')),
    ]);
  if (gen !== generation) return; // superseded by a newer refresh or a sign-out
  const results = [overview, mttr, costs, health, predictions, prevOverview, prevMttr, prevCosts, prevHealth, prevPredictions, mttrByService, trendsDay, trendsHour];
  const errors = results.flatMap((r) => (r.ok ? [] : [r.error]));
  if (errors.some((e) => e instanceof AuthError || isAbort(e))) return;
  setBusy(false);

  const rows = <T>(r: Result<{ rows: T[] }>): T[] | null => (r.ok ? r.value.rows : null);
  const periodWord = `previous ${days} ${days === 1 ? 'day' : 'days'}`;
  const lastPrevDay = addDays(prev.to, -1);
  byId('kpi-compare').textContent = `Changes against the ${periodWord} (${prev.from === lastPrevDay ? prev.from : `${prev.from} to ${lastPrevDay}`}).`;

  renderKpi('kpi-workflows', figure(overview, workflowsFigure), figure(prevOverview, workflowsFigure), periodWord, KPI.workflows);
  renderKpi('kpi-failure-rate', figure(overview, failureRateFigure), figure(prevOverview, failureRateFigure), periodWord, KPI.failureRate);
  renderKpi('kpi-mttr-median', figure(mttr, (r) => mttrFigure(r, 'mttr_median_seconds')), figure(prevMttr, (r) => mttrFigure(r, 'mttr_median_seconds')), periodWord, KPI.duration);
  renderKpi('kpi-mttr-p95', figure(mttr, (r) => mttrFigure(r, 'mttr_p95_seconds')), figure(prevMttr, (r) => mttrFigure(r, 'mttr_p95_seconds')), periodWord, KPI.duration);
  renderKpi('kpi-total-cost', figure(costs, totalCostFigure), figure(prevCosts, totalCostFigure), periodWord, KPI.cost);
  renderKpi('kpi-open-incidents', figure(health, openIncidentsFigure), figure(prevHealth, openIncidentsFigure), periodWord, KPI.openIncidents);
  renderKpi('kpi-auc', figure(predictions, aucFigure), figure(prevPredictions, aucFigure), periodWord, KPI.auc);

  const tenantsNote = trendNote(scope, trendIds.length);
  renderTrends(trendsDay, tenantsNote);
  renderHeatmap(trendsHour, tenantsNote, tz);
  renderMttr(mttrByService);
  renderCosts(costs);
  renderHealth(health, scope, tz);
  renderCalibration(predictions);
  renderOnboarding(rows(overview), rows(health), s, scope);

  if (errors.some((e) => e instanceof NetworkError)) {
    ui.bannerText.textContent = MSG_NO_ANSWER;
    ui.banner.hidden = false;
    setStatus('Some figures could not be loaded.');
  } else {
    ui.banner.hidden = true;
    const time = new Intl.DateTimeFormat(undefined, { hour: '2-digit', minute: '2-digit', second: '2-digit' }).format(new Date());
    setStatus(`Updated at ${time}: ${ui.from.value} to ${ui.to.value} inclusive, ${tz}.`);
  }
}

function figure<T>(result: Result<{ rows: T[] }>, compute: (rows: T[]) => Figure): Figure | Error {
  return result.ok ? compute(result.value.rows) : (result.error as Error);
}

// ---------------------------------------------------------------- KPI tiles

interface KpiStyle {
  show: (v: number | null) => string;
  /** The precise reading, as a tooltip, when `show` rounds for space. */
  exact?: (v: number | null) => string;
  showChange: (c: Change) => string;
  /** +1: higher is better, −1: higher is worse, 0: neither */
  polarity: 1 | -1 | 0;
}

// No-break spaces keep "(+48.5 %)" and "1.07 pp" whole when a narrow tile wraps the line.
const relative = (c: Change) => (c.relative == null ? '' : ` (${signed(`${Math.abs(c.relative).toFixed(1)}\u00a0%`, c.relative)})`);

const KPI = {
  workflows: { show: formatInt, showChange: (c) => signed(formatInt(Math.abs(c.delta)), c.delta) + relative(c), polarity: 0 },
  failureRate: { show: (v) => formatPercent(v, 2), showChange: (c) => signed(`${Math.abs(c.delta).toFixed(2)}\u00a0pp`, c.delta), polarity: -1 },
  duration: { show: formatDurationShort, exact: formatDuration, showChange: (c) => signed(formatDurationShort(Math.abs(c.delta)), c.delta) + relative(c), polarity: -1 },
  cost: { show: formatUsd, showChange: (c) => signed(formatUsd(Math.abs(c.delta)), c.delta) + relative(c), polarity: 0 },
  openIncidents: { show: formatInt, showChange: (c) => signed(formatInt(Math.abs(c.delta)), c.delta), polarity: -1 },
  auc: { show: formatAuc, showChange: (c) => signed(Math.abs(c.delta).toFixed(3), c.delta), polarity: 1 },
} satisfies Record<string, KpiStyle>;

function renderKpi(testId: string, current: Figure | Error, previous: Figure | Error, periodWord: string, style: KpiStyle): void {
  const tile = document.querySelector<HTMLElement>(`[data-testid="${testId}"]`)!;
  const valueEl = tile.querySelector<HTMLElement>('.kpi-value')!;
  const changeEl = tile.querySelector<HTMLElement>('.kpi-change')!;
  const noteEl = tile.querySelector<HTMLElement>('.kpi-note')!;
  changeEl.className = 'kpi-change';
  if (current instanceof Error) {
    tile.dataset.value = 'null';
    tile.dataset.previous = 'null';
    tile.dataset.state = 'error';
    valueEl.textContent = DASH;
    valueEl.removeAttribute('title');
    changeEl.textContent = current instanceof NetworkError ? 'Not loaded — retry' : notAvailable(current) ? 'Not available on this server' : `Not loaded: ${current.message}`;
    noteEl.textContent = '';
    return;
  }
  tile.dataset.state = current.value == null ? 'empty' : 'ok';
  tile.dataset.value = current.value == null ? 'null' : String(current.value);
  valueEl.textContent = style.show(current.value);
  if (style.exact && current.value != null) valueEl.title = style.exact(current.value);
  else valueEl.removeAttribute('title');
  noteEl.textContent = current.note ?? '';
  const prevValue = previous instanceof Error ? null : previous.value;
  tile.dataset.previous = prevValue == null ? 'null' : String(prevValue);
  const c = change(current.value, prevValue);
  if (!c) {
    changeEl.textContent = current.value == null ? 'No data in this period' : `No data for the ${periodWord}`;
    return;
  }
  const direction = c.delta > 0 ? 1 : c.delta < 0 ? -1 : 0;
  const mood = direction === 0 || style.polarity === 0 ? 'neutral' : direction === style.polarity ? 'good' : 'bad';
  changeEl.classList.add(`change-${mood}`);
  const arrow = direction > 0 ? '▲' : direction < 0 ? '▼' : '■';
  // The period compared with is named once above the tiles; screen readers get it on each tile.
  changeEl.replaceChildren(el('span', { 'aria-hidden': 'true', class: 'arrow' }, arrow), ` ${style.showChange(c)}`, el('span', { class: 'visually-hidden' }, ` vs the ${periodWord}`));
}

// ---------------------------------------------------------------- panels

function el(tag: string, attrs: Record<string, string> = {}, ...children: Array<Node | string>): HTMLElement {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) node.setAttribute(name, value);
  node.append(...children);
  return node;
}

function showMessage(p: Panel, kind: 'empty' | 'error', text: string, retry = false): void {
  p.chart?.hide();
  if (p.table) p.table.hidden = true;
  p.message.className = `panel-message ${kind}`;
  p.message.replaceChildren(el('p', {}, text));
  if (retry) {
    const button = el('button', { type: 'button', class: 'button' }, 'Retry');
    button.addEventListener('click', () => void refresh());
    p.message.append(button);
  }
  p.message.hidden = false;
}

/** A 404 for the report itself (not a tenant): this server does not offer that report. */
function notAvailable(error: unknown): boolean {
  return error instanceof ApiError && error.status === 404 && error.code !== 'tenant_not_found';
}

function showError(p: Panel, error: unknown): void {
  if (error instanceof NetworkError) showMessage(p, 'error', 'The server did not answer — retry.', true);
  else if (notAvailable(error)) showMessage(p, 'error', `This report is not available on this server (${(error as ApiError).message}).`, true);
  else showMessage(p, 'error', `Could not load this panel: ${(error as Error).message}`, true);
}

function clearMessage(p: Panel): void {
  p.message.hidden = true;
  p.message.replaceChildren();
}

/** What to do about an empty panel: widen the period, or send that kind of record. */
const noData = (kind: 'workflow_runs' | 'incidents' | 'metrics' | 'predictions') => `pick a longer period, or send ${kind.replace('_', ' ')} with POST /ingest/${kind}.`;

function trendNote(scope: Scope, fetched: number): string {
  if (!scope.all) return '';
  const total = scope.tenantIds.length;
  if (total <= 1) return '';
  return fetched < total ? `Sum of the first ${fetched} of ${total} tenants.` : `Sum of all ${total} tenants.`;
}

function renderTrends(result: Result<TrendReport[]>, note: string): void {
  const p = panels.trends;
  p.note.textContent = note;
  if (!result.ok) return showError(p, result.error);
  const points = sumTrends(result.value);
  if (points.length === 0 || points.every((x) => x.workflows === 0)) return showMessage(p, 'empty', `No workflow runs in this period — ${noData('workflow_runs')}`);
  clearMessage(p);
  p.chart!.show(trendsOption(points));
}

function renderHeatmap(result: Result<TrendReport[]>, note: string, tz: string): void {
  const p = panels.heatmap;
  p.note.textContent = [`Local time in ${tz}.`, note].filter(Boolean).join(' ');
  if (!result.ok) return showError(p, result.error);
  const grid = foldHourOfWeek(sumTrends(result.value));
  if (grid.every((row) => row.every((v) => v === 0))) return showMessage(p, 'empty', `No workflow runs in this period — ${noData('workflow_runs')}`);
  clearMessage(p);
  p.chart!.show(heatmapOption(grid));
}

function renderMttr(result: Result<Report<MttrRow>>): void {
  const p = panels.mttr;
  if (!result.ok) {
    p.note.textContent = '';
    return showError(p, result.error);
  }
  const rows = result.value.rows;
  const resolved = rows.filter((r) => r.mttr_median_seconds != null || r.mttr_p95_seconds != null);
  const multiTenant = new Set(rows.map((r) => r.tenant_id)).size > 1;
  const open = rows.reduce((acc, r) => acc + r.open_count, 0);
  p.note.textContent = [
    'Resolved incidents opened in the period; longest p95 first.',
    multiTenant ? 'Bars are service · tenant.' : '',
    resolved.length > 12 ? `Top 12 of ${resolved.length}.` : '',
  ]
    .filter(Boolean)
    .join(' ');
  if (resolved.length === 0) {
    const text = open > 0 ? `No incident opened in this period is resolved yet (${formatInt(open)} still open).` : `No incidents in this period — ${noData('incidents')}`;
    return showMessage(p, 'empty', text);
  }
  clearMessage(p);
  p.chart!.show(mttrOption(resolved, multiTenant));
}

function renderCosts(result: Result<CostReport>): void {
  const p = panels.costs;
  if (!result.ok) {
    p.note.textContent = '';
    return showError(p, result.error);
  }
  const breakdown = costBreakdown(result.value.rows);
  p.note.textContent = `Total ${formatUsd(breakdown.total)}${result.value.rows.length > 1 ? ` over ${result.value.rows.length} tenants` : ''}.`;
  if (breakdown.total === 0) return showMessage(p, 'empty', `Nothing billable in this period — ${noData('workflow_runs')}`);
  clearMessage(p);
  p.chart!.show(costOption(breakdown));
}

const STATUS_ORDER: Record<string, number> = { down: 0, degraded: 1, healthy: 2 };

function renderHealth(result: Result<Report<HealthRow>>, scope: Scope, tz: string): void {
  const p = panels.health;
  const table = p.table!;
  if (!result.ok) {
    p.note.textContent = '';
    return showError(p, result.error);
  }
  const rows = [...result.value.rows].sort((a, b) => (STATUS_ORDER[a.status] ?? 3) - (STATUS_ORDER[b.status] ?? 3));
  const counts = { healthy: 0, degraded: 0, down: 0 } as Record<string, number>;
  for (const r of rows) counts[r.status] = (counts[r.status] ?? 0) + 1;
  p.note.textContent = rows.length ? `At the end of the period: ${counts.down} down, ${counts.degraded} degraded, ${counts.healthy} healthy.` : '';
  if (rows.length === 0) return showMessage(p, 'empty', 'No services yet — a service appears once a run, incident or metric sample names it: send them with POST /ingest/workflow_runs, /ingest/incidents or /ingest/metrics.');
  const multiTenant = scope.all && new Set(rows.map((r) => r.tenant_id)).size > 1;
  const headers = [...(multiTenant ? ['Tenant'] : []), 'Service', 'Status', 'Uptime', 'Open incidents', 'p95 latency', 'Error rate', 'Latest sample'];
  const numeric = new Set(['Uptime', 'Open incidents', 'p95 latency', 'Error rate']);
  const head = el('thead', {}, el('tr', {}, ...headers.map((h) => el('th', { scope: 'col', class: numeric.has(h) ? 'num' : '' }, h))));
  const body = el(
    'tbody',
    {},
    ...rows.map((r) =>
      el(
        'tr',
        {},
        ...(multiTenant ? [el('td', {}, r.tenant_id)] : []),
        el('th', { scope: 'row' }, r.service),
        el('td', {}, el('span', { class: `badge status-${r.status}` }, el('span', { class: 'dot', 'aria-hidden': 'true' }), r.status)),
        el('td', { class: 'num' }, formatPercent(r.uptime_percent, 2)),
        el('td', { class: 'num' }, formatInt(r.open_incidents)),
        el('td', { class: 'num' }, formatMs(r.latest_p95_latency_ms)),
        el('td', { class: 'num' }, r.latest_error_rate == null ? DASH : formatPercent(r.latest_error_rate * 100, 2)),
        el('td', {}, formatInstant(r.latest_ts, tz)),
      ),
    ),
  );
  table.replaceChildren(el('table', { 'data-testid': 'health-table' }, el('caption', { class: 'visually-hidden' }, 'Service health at the end of the period'), head, body));
  table.hidden = false;
  clearMessage(p);
}

function renderCalibration(result: Result<Report<PredictionRow>>): void {
  const p = panels.calibration;
  if (!result.ok) {
    p.note.textContent = '';
    return showError(p, result.error);
  }
  const rows = result.value.rows;
  const evaluated = rows.filter((r) => r.evaluated > 0);
  const shown = Math.min(evaluated.length, 6);
  const brier = evaluated.length === 1 && evaluated[0].brier_score != null ? ` Brier score ${evaluated[0].brier_score.toFixed(3)}.` : '';
  p.note.textContent = evaluated.length
    ? `${formatInt(evaluated.reduce((a, r) => a + r.evaluated, 0))} evaluated predictions; dashed line = perfect calibration.${brier}${evaluated.length > shown ? ` First ${shown} of ${evaluated.length} models.` : ''}`
    : '';
  if (evaluated.length === 0) {
    const total = rows.reduce((a, r) => a + r.predictions, 0);
    const text = total > 0 ? `${formatInt(total)} predictions, none with a known outcome yet — send outcomes or link them to finished runs.` : `No predictions in this period — ${noData('predictions')}`;
    return showMessage(p, 'empty', text);
  }
  clearMessage(p);
  p.chart!.show(calibrationOption(evaluated));
}

function renderOnboarding(overview: OverviewRow[] | null, health: HealthRow[] | null, s: Session, scope: Scope): void {
  if (!overview || !health) {
    ui.onboarding.hidden = true;
    return;
  }
  const inPeriod = overview.some((r) => r.total_workflows > 0 || r.total_predictions > 0);
  const ever = health.length > 0;
  if (inPeriod || ever) {
    ui.onboarding.hidden = true;
    return;
  }
  if (s.role === 'admin' && s.tenants.length === 0) {
    ui.onboardingTitle.textContent = 'No tenants yet';
    ui.onboardingText.textContent = 'Create a tenant and a key for it, then send data with that key:';
    ui.onboardingCurl.textContent = [
      `curl -X POST ${location.origin}/tenants -H "Authorization: Bearer $ATOM_ADMIN_KEY" \\`,
      `  -H "Content-Type: application/json" -d '{"id": "acme", "name": "Acme"}'`,
      `curl -X POST ${location.origin}/tenants/acme/keys -H "Authorization: Bearer $ATOM_ADMIN_KEY"`,
    ].join('\n');
  } else {
    ui.onboardingTitle.textContent = 'No data yet';
    ui.onboardingText.textContent = 'Nothing has been ingested for this scope. Send workflow runs (and incidents, metrics, predictions) and they show up here at once:';
    const tenant = s.role === 'admin' ? `"tenant_id": "${scope.single ?? s.tenants[0]?.id ?? 'acme'}", ` : '';
    const now = new Date();
    const started = new Date(now.getTime() - 5 * 60_000).toISOString().replace(/\.\d{3}Z$/, 'Z');
    const finished = now.toISOString().replace(/\.\d{3}Z$/, 'Z');
    ui.onboardingCurl.textContent = [
      `curl -X POST ${location.origin}/ingest/workflow_runs \\`,
      `  -H "Authorization: Bearer $ATOM_KEY" -H "Content-Type: application/json" \\`,
      `  -d '[{${tenant}"id": "run-1", "workflow_id": "nightly-etl", "service": "billing",`,
      `       "status": "succeeded", "started_at": "${started}", "finished_at": "${finished}"}]'`,
    ].join('\n');
  }
  ui.onboarding.hidden = false;
}

// ---------------------------------------------------------------- CSV exports

function updateExportButtons(scope: Scope): void {
  for (const button of document.querySelectorAll<HTMLButtonElement>('[data-export="trends"]')) {
    const needsTenant = !scope.single;
    button.disabled = needsTenant;
    button.title = needsTenant ? 'Pick one tenant to download its trends' : '';
  }
}

document.addEventListener('click', (event) => {
  const button = (event.target as Element | null)?.closest<HTMLButtonElement>('button[data-export]');
  if (!button || !session) return;
  void exportCsv(button);
});

async function exportCsv(button: HTMLButtonElement): Promise<void> {
  const s = session;
  const filters = readFilters();
  if (!s || typeof filters === 'string') return;
  const type = button.dataset.export!;
  const scope = currentScope(s);
  const query: Query = { ...filters.period, tz: filters.tz, tenant_id: scope.tenantParam };
  if (type === 'trends') {
    if (!scope.single) return;
    query.tenant_id = scope.single;
    query.granularity = button.dataset.granularity ?? 'day';
  }
  if (type === 'mttr') query.group_by = 'service';
  button.disabled = true;
  button.setAttribute('aria-busy', 'true');
  setStatus(`Preparing ${type} CSV…`);
  try {
    const filename = await downloadCsv(type, query);
    setStatus(`Downloaded ${filename}.`);
  } catch (err) {
    if (err instanceof AuthError) return;
    setStatus(err instanceof NetworkError ? 'The server did not answer — retry the download.' : `The download failed: ${(err as Error).message}`);
  } finally {
    button.disabled = false;
    button.removeAttribute('aria-busy');
    if (session) updateExportButtons(currentScope(session));
  }
}

// ---------------------------------------------------------------- start

if (getKey()) void startSession();
else showSignIn();

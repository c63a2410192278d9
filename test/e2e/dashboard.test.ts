/**
 * The dashboard in a real browser against a real server (embedded DuckDB): sign-in, KPI tiles
 * equal to the API for the period the page shows, tenant and zone pickers, CSV download, empty
 * tenant, revoked key, no foreign hosts, layout at desktop and phone widths, screenshots.
 *
 *   node --import tsx --test test/e2e/dashboard.test.ts
 *
 * Needs Chromium at /usr/bin/chromium (or ATOM_CHROMIUM): missing, the suite is skipped with a
 * notice, unless ATOM_REQUIRE_SERVICES=1 (CI), which fails instead.
 * Screenshots go to test-artifacts/ (git-ignored). docs/dashboard.png (committed, for the README)
 * is written when it is missing or with ATOM_UPDATE_SCREENSHOTS=1, so a plain test run leaves
 * the working tree clean.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { DEMO_TENANTS } from '../../src/demo/seed.ts';
import { generateTenant, type DatasetSpec, type GenRecord } from '../../src/demo/generate.ts';
import { startTestApp, type TestApp } from '../helpers/app.ts';
import { REQUIRE_SERVICES } from '../helpers/services.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const ARTIFACTS = join(ROOT, 'test-artifacts');
const CHROMIUM = process.env.ATOM_CHROMIUM ?? '/usr/bin/chromium';
const UPDATE_DOCS_SCREENSHOT = process.env.ATOM_UPDATE_SCREENSHOTS === '1' || !existsSync(join(ROOT, 'docs/dashboard.png'));
const REJECTED = 'Your key was not accepted — sign in again';
const DAY_MS = 86_400_000;

const KPI_IDS = ['kpi-workflows', 'kpi-failure-rate', 'kpi-mttr-median', 'kpi-mttr-p95', 'kpi-total-cost', 'kpi-open-incidents', 'kpi-auc'] as const;
type KpiId = (typeof KPI_IDS)[number];
type Tiles = Record<KpiId, { value: number | null; state: string }>;

function chromiumSkip(): string | false {
  if (existsSync(CHROMIUM)) return false;
  const msg = `Chromium is not installed at ${CHROMIUM}`;
  if (REQUIRE_SERVICES) throw new Error(`${msg} and ATOM_REQUIRE_SERVICES=1`);
  process.stderr.write(`\n*** NOTICE: ${msg}; skipping the dashboard browser tests (set ATOM_REQUIRE_SERVICES=1 to fail instead) ***\n`);
  return `${msg} (skipped locally)`;
}

const skip = chromiumSkip();

// The demo tenants, 60 days (the page's 30 days and the 30 before, for the change figures),
// metric samples every 30 minutes: the demo's look at a fraction of its size.
function demoDataset(endMs: number) {
  const spec: DatasetSpec = {
    seed: 42,
    tenants: DEMO_TENANTS.map((t) => ({ ...t, runs: Math.round((t.runs * 2) / 3) })),
    endMs,
    days: 60,
    metricIntervalMs: 30 * 60_000,
    predictionRate: 0.7,
    incidentsPerThousandRuns: 20,
    models: ['gbm-failure', 'logreg-baseline'],
  };
  return spec.tenants.map((t, i) => {
    const d = generateTenant(spec, t, i);
    return { tenant: t, runs: d.runs, incidents: d.incidents, predictions: d.predictions, metrics: [...d.metrics()] };
  });
}

describe('dashboard in a browser [duckdb]', { skip }, () => {
  let app: TestApp;
  let browser: Browser;
  let origin: string;
  let runs: GenRecord[] = [];
  const requested: string[] = [];
  const pageErrors: string[] = [];
  const contexts: BrowserContext[] = [];

  async function ingest(kind: string, records: GenRecord[]): Promise<void> {
    for (let i = 0; i < records.length; i += 5000) {
      const res = await app.request('POST', `/ingest/${kind}`, { body: records.slice(i, i + 5000) });
      assert.equal(res.status, 200, `ingest ${kind}: ${res.status} ${res.text.slice(0, 300)}`);
    }
  }

  before(async () => {
    // A fresh clone has no web/dist: build it (a no-op when it is up to date).
    execFileSync(process.execPath, [join(ROOT, 'scripts/build-web.mjs')], { cwd: ROOT, stdio: 'inherit' });
    mkdirSync(ARTIFACTS, { recursive: true });
    const [started, launched] = await Promise.all([
      startTestApp('duckdb'),
      chromium.launch({
        executablePath: CHROMIUM,
        args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic'],
      }),
    ]);
    app = started;
    browser = launched;
    origin = new URL(app.url).origin;
    const data = demoDataset(Math.floor(Date.now() / 60_000) * 60_000);
    for (const { tenant } of data) {
      const res = await app.request('POST', '/tenants', { body: { id: tenant.id, name: tenant.name } });
      assert.equal(res.status, 201, res.text);
    }
    for (const kind of ['workflow_runs', 'incidents', 'predictions', 'metrics'] as const) {
      const key = kind === 'workflow_runs' ? 'runs' : kind;
      await ingest(kind, data.flatMap((d) => d[key]));
    }
    runs = data.flatMap((d) => d.runs);
  });

  after(async () => {
    await browser?.close();
    await app?.close();
  });

  async function newPage(viewport = { width: 1280, height: 900 }, timezoneId = 'UTC'): Promise<Page> {
    const context = await browser.newContext({ viewport, timezoneId, locale: 'en-US', acceptDownloads: true });
    contexts.push(context);
    context.on('request', (req) => requested.push(req.url()));
    const page = await context.newPage();
    page.on('pageerror', (err) => pageErrors.push(String(err)));
    page.setDefaultTimeout(30_000); // generous: CI machines run other suites beside this one
    await page.goto(`${app.url}/`);
    return page;
  }

  async function signIn(page: Page, key: string): Promise<void> {
    await page.locator('#signin').waitFor({ state: 'visible' });
    await page.fill('#api-key', key);
    await page.click('#signin-submit');
    await settled(page);
  }

  /** Waits for the refresh in flight (if any) to finish drawing. */
  async function settled(page: Page): Promise<void> {
    await page.waitForFunction(() => {
      const d = document.getElementById('dashboard')!;
      return !d.hidden && d.dataset.state === 'ready';
    });
  }

  /** Picks a value in a filter and waits for the overview asked with it, then for the page to draw. */
  async function pick(page: Page, select: '#tenant' | '#tz', value: string): Promise<void> {
    const param = select === '#tenant' ? 'tenant_id' : 'tz';
    await Promise.all([
      page.waitForRequest((r) => new URL(r.url()).pathname === '/reports/overview' && new URL(r.url()).searchParams.get(param) === value),
      page.selectOption(select, value),
    ]);
    await settled(page);
  }

  async function tiles(page: Page): Promise<Tiles> {
    return page.$$eval('[data-testid^="kpi-"]', (els) =>
      Object.fromEntries(
        els.map((e) => {
          const el = e as HTMLElement;
          return [el.dataset.testid, { value: el.dataset.value === 'null' || el.dataset.value == null ? null : Number(el.dataset.value), state: el.dataset.state ?? '' }];
        }),
      ),
    ) as Promise<Tiles>;
  }

  /** The API query for the period the page shows: its inputs, `to` inclusive on screen, exclusive in the API. */
  async function pageQuery(page: Page): Promise<{ from: string; to: string; tz: string; tenant_id?: string }> {
    const { from, through, tz, tenant } = await page.evaluate(() => ({
      from: (document.getElementById('from') as HTMLInputElement).value,
      through: (document.getElementById('to') as HTMLInputElement).value,
      tz: (document.getElementById('tz') as HTMLSelectElement).value,
      tenant: (document.getElementById('tenant-field') as HTMLElement).hidden ? '' : (document.getElementById('tenant') as HTMLSelectElement).value,
    }));
    const to = new Date(Date.parse(`${through}T00:00:00Z`) + DAY_MS).toISOString().slice(0, 10);
    return { from, to, tz, ...(tenant ? { tenant_id: tenant } : {}) };
  }

  async function api(path: string, query: Record<string, string | undefined>, key?: string) {
    const qs = new URLSearchParams(Object.entries(query).filter((e): e is [string, string] => e[1] !== undefined)).toString();
    return app.request('GET', `${path}?${qs}`, { key });
  }

  /**
   * Compares a tile with its report. A report this server does not have yet (404 not_found) must
   * show as an error on the tile, not as a number.
   */
  async function checkTile(t: Tiles, id: KpiId, path: string, query: Record<string, string | undefined>, expected: (body: any) => number | null, key?: string, tolerance = 0) {
    const res = await api(path, query, key);
    if (res.status === 404 && res.body?.error?.code === 'not_found') {
      assert.equal(t[id].state, 'error', `${id}: ${path} is missing, the tile should say so`);
      assert.equal(t[id].value, null);
      return;
    }
    assert.equal(res.status, 200, `${path}: ${res.text.slice(0, 200)}`);
    const want = expected(res.body);
    if (tolerance === 0 || want == null || t[id].value == null) assert.equal(t[id].value, want, `${id} vs ${path}`);
    else assert.ok(Math.abs(t[id].value! - want) <= tolerance * Math.max(1, Math.abs(want)), `${id}: ${t[id].value} vs ${want} from ${path}`);
  }

  /** Every tile against the API; one tenant in scope: the row's own numbers, exactly. */
  async function checkSingleTenant(page: Page, key?: string) {
    const q = await pageQuery(page);
    const t = await tiles(page);
    const one = (b: any) => {
      assert.equal(b.rows.length, 1, 'one tenant in scope, one row');
      return b.rows[0];
    };
    await checkTile(t, 'kpi-workflows', '/reports/overview', q, (b) => one(b).total_workflows, key);
    await checkTile(t, 'kpi-failure-rate', '/reports/overview', q, (b) => one(b).failure_rate_percent, key);
    await checkTile(t, 'kpi-mttr-median', '/reports/mttr', q, (b) => one(b).mttr_median_seconds, key);
    await checkTile(t, 'kpi-mttr-p95', '/reports/mttr', q, (b) => one(b).mttr_p95_seconds, key);
    await checkTile(t, 'kpi-total-cost', '/reports/costs', q, (b) => one(b).total_cost, key);
    await checkTile(t, 'kpi-open-incidents', '/reports/health', q, (b) => b.rows.reduce((a: number, r: any) => a + r.open_incidents, 0), key);
    await checkTile(
      t,
      'kpi-auc',
      '/reports/predictions',
      q,
      (b) => {
        const scored = b.rows.filter((r: any) => r.roc_auc != null && r.evaluated > 0);
        if (scored.length === 0) return null;
        if (scored.length === 1) return scored[0].roc_auc;
        const w = scored.reduce((a: number, r: any) => a + r.evaluated, 0);
        return scored.reduce((a: number, r: any) => a + r.roc_auc * r.evaluated, 0) / w;
      },
      key,
      1e-12,
    );
    return { q, t };
  }

  it('signs in with the admin key; the tiles for all tenants equal the API (and the raw data) for the period shown', async () => {
    const page = await newPage();
    await signIn(page, app.adminKey);
    assert.equal(await page.textContent('#scope'), 'Admin key');
    const q = await pageQuery(page);
    assert.equal(q.tz, 'UTC', 'the zone picker starts at the browser zone');
    assert.equal(q.tenant_id, undefined, 'All tenants');
    const t = await tiles(page);

    // Ground truth from the records sent: runs started in [from, to) UTC.
    const fromMs = Date.parse(`${q.from}T00:00:00Z`);
    const toMs = Date.parse(`${q.to}T00:00:00Z`);
    const inPeriod = runs.filter((r) => Date.parse(String(r.started_at)) >= fromMs && Date.parse(String(r.started_at)) < toMs);
    const failed = inPeriod.filter((r) => r.status === 'failed').length;
    const finished = inPeriod.filter((r) => r.status === 'failed' || r.status === 'succeeded').length;
    assert.ok(inPeriod.length > 1000, 'the period holds the seeded runs');
    assert.equal(t['kpi-workflows'].value, inPeriod.length);
    assert.ok(Math.abs(t['kpi-failure-rate'].value! - (100 * failed) / finished) < 1e-9, `failure rate ${t['kpi-failure-rate'].value} vs ${(100 * failed) / finished}`);

    const overview = await api('/reports/overview', q);
    assert.equal(overview.status, 200);
    assert.equal(overview.body.rows.length, DEMO_TENANTS.length);
    assert.equal(t['kpi-workflows'].value, overview.body.rows.reduce((a: number, r: any) => a + r.total_workflows, 0));
    await checkTile(t, 'kpi-total-cost', '/reports/costs', q, (b) => b.rows.reduce((a: number, r: any) => a + Math.round(r.total_cost * 1e6), 0) / 1e6);
    await checkTile(t, 'kpi-open-incidents', '/reports/health', q, (b) => b.rows.reduce((a: number, r: any) => a + r.open_incidents, 0));
    for (const id of KPI_IDS) assert.notEqual(t[id].state, 'error', `${id} loaded`);

    // Every panel drew something (a chart or the health table), none shows an empty or error state.
    for (const name of ['trends', 'mttr', 'costs', 'calibration', 'heatmap']) {
      assert.equal(await page.locator(`[data-panel="${name}"] [data-message]`).isVisible(), false, `${name} panel has no message`);
      assert.ok((await page.locator(`[data-panel="${name}"] [data-chart] svg`).count()) > 0, `${name} chart drawn`);
    }
    assert.equal(await page.locator('[data-testid="health-table"] tbody tr').count(), 7, 'one row per service');
    assert.equal(await page.locator('#onboarding').isVisible(), false);

    assert.ok(await page.evaluate(() => document.documentElement.scrollWidth <= innerWidth), 'no horizontal scroll at 1280 px');
    await page.waitForTimeout(400); // chart animations
    const shot = join(ARTIFACTS, 'dashboard.png');
    await page.screenshot({ path: shot });
    await page.screenshot({ path: join(ARTIFACTS, 'dashboard-full.png'), fullPage: true });
    if (UPDATE_DOCS_SCREENSHOT) copyFileSync(shot, join(ROOT, 'docs/dashboard.png'));
  });

  it('follows the tenant and zone pickers: each tile equals that tenant’s API row', async () => {
    const page = await newPage();
    await signIn(page, app.adminKey);
    const all = await tiles(page);

    await pick(page, '#tenant', 'acme');
    const { q, t } = await checkSingleTenant(page);
    assert.equal(q.tenant_id, 'acme');
    assert.ok(t['kpi-workflows'].value! < all['kpi-workflows'].value!, 'one tenant has fewer runs than all');
    assert.equal(await page.locator('[data-testid="health-table"] tbody tr').count(), 3, 'acme has 3 services');

    await pick(page, '#tenant', 'globex');
    assert.equal((await checkSingleTenant(page)).q.tenant_id, 'globex');

    await pick(page, '#tz', 'Asia/Kolkata');
    const inKolkata = await checkSingleTenant(page);
    assert.equal(inKolkata.q.tz, 'Asia/Kolkata');
    assert.match((await page.textContent('[data-panel="heatmap"] [data-note]')) ?? '', /Asia\/Kolkata/);
    const trend = await api(`/reports/trends/globex`, { from: inKolkata.q.from, to: inKolkata.q.to, tz: 'Asia/Kolkata' });
    if (trend.status === 200) assert.match(trend.body.points[0].bucket_start, /T00:00:00\+05:30$/, 'buckets start at local midnight');
  });

  it('downloads CSVs with the contract header and file name', async () => {
    const page = await newPage();
    await signIn(page, app.adminKey);
    await pick(page, '#tenant', 'acme');
    const q = await pageQuery(page);

    const save = async (selector: string) => {
      const [download] = await Promise.all([page.waitForEvent('download'), page.click(selector)]);
      const text = readFileSync((await download.path())!, 'utf8');
      return { name: download.suggestedFilename(), lines: text.split('\r\n').filter((l) => l !== '') };
    };

    const overview = await save('.kpi-section button[data-export="overview"]');
    assert.equal(overview.name, 'overview_report.csv');
    assert.equal(
      overview.lines[0],
      'tenant_id,tenant_name,total_workflows,failed_workflows,failure_rate_percent,avg_duration_ms,p95_duration_ms,avg_p95_latency_ms,avg_throughput_rps,total_predictions,avg_failure_probability',
    );
    assert.equal(overview.lines.length, 2, 'the picked tenant only');
    const api1 = (await api('/reports/overview', q)).body.rows[0];
    assert.ok(overview.lines[1].startsWith(`acme,Acme Corp,${api1.total_workflows},${api1.failed_workflows},`), overview.lines[1]);

    const trendsProbe = await api('/reports/trends/acme', q);
    if (trendsProbe.status === 200) {
      const daily = await save('[data-panel="trends"] button[data-export="trends"]');
      assert.equal(daily.name, 'trends_report.csv');
      assert.equal(daily.lines[0], 'tenant_id,bucket_start,workflows,failed_workflows,failure_rate_percent,avg_duration_ms,incidents_opened,predictions,avg_p95_latency_ms');
      assert.equal(daily.lines.length, 1 + trendsProbe.body.points.length, 'one line per day of the period');
    }
    assert.match((await page.textContent('#status')) ?? '', /Downloaded trends_report\.csv|Downloaded overview_report\.csv/);
  });

  it('shows a report the server does not offer as an error on its tile and panel, the rest still loads', async () => {
    const page = await newPage();
    await page.route(/\/reports\/costs(\?|$)/, (route) =>
      route.fulfill({ status: 404, contentType: 'application/json', body: JSON.stringify({ error: { code: 'not_found', message: 'No route for GET /reports/costs', details: [] } }) }),
    );
    await signIn(page, app.adminKey);
    const t = await tiles(page);
    assert.equal(t['kpi-total-cost'].state, 'error');
    assert.equal(t['kpi-total-cost'].value, null);
    assert.match((await page.textContent('[data-testid="kpi-total-cost"] .kpi-change')) ?? '', /Not available/);
    const message = page.locator('[data-panel="costs"] [data-message]');
    assert.ok(await message.isVisible());
    assert.match((await message.getAttribute('class')) ?? '', /\berror\b/);
    assert.match((await message.textContent()) ?? '', /not available on this server/);
    assert.equal(t['kpi-workflows'].state, 'ok', 'other tiles still load');
  });

  it('shows the onboarding empty state to an empty tenant, and sends a revoked key back to sign-in with the message', async () => {
    const empty = await app.createTenant('newco', 'NewCo');
    const page = await newPage();
    await signIn(page, empty.key);
    assert.equal(await page.textContent('#scope'), 'Tenant: NewCo');
    assert.equal(await page.locator('#tenant-field').isVisible(), false, 'no tenant picker for a tenant key');
    assert.ok(await page.locator('#onboarding').isVisible(), 'onboarding shown');
    assert.match((await page.textContent('#onboarding-curl')) ?? '', /\/ingest\/workflow_runs/);
    await checkSingleTenant(page, empty.key);
    const t = await tiles(page);
    assert.equal(t['kpi-workflows'].value, 0);
    assert.equal(t['kpi-failure-rate'].value, null, 'a rate over nothing is null, not 0');
    const trendsMessage = page.locator('[data-panel="trends"] [data-message]');
    assert.ok(await trendsMessage.isVisible());
    assert.match((await trendsMessage.getAttribute('class')) ?? '', /\bempty\b/);
    await page.screenshot({ path: join(ARTIFACTS, 'dashboard-empty.png') });

    // Revoke the key while the page is open: the next refresh lands on the sign-in form.
    assert.equal((await app.request('DELETE', `/keys/${empty.keyId}`)).status, 200);
    await page.click('#refresh');
    await page.locator('#signin').waitFor({ state: 'visible' });
    assert.equal(await page.textContent('#signin-message'), REJECTED);
    assert.ok(await page.locator('#signin-message').isVisible());
    assert.equal(await page.locator('#dashboard').isVisible(), false);
    assert.equal(await page.evaluate(() => sessionStorage.length), 0, 'the rejected key is forgotten');
  });

  it('fits a phone screen without horizontal scrolling', async () => {
    // A phone in India: Chromium reports the zone as "Asia/Calcutta"; the picker shows the IANA name.
    const page = await newPage({ width: 390, height: 844 }, 'Asia/Kolkata');
    await signIn(page, app.adminKey);
    assert.equal((await pageQuery(page)).tz, 'Asia/Kolkata');
    await pick(page, '#tenant', 'acme');
    await page.waitForTimeout(400);
    const width = await page.evaluate(() => ({ page: document.documentElement.scrollWidth, viewport: window.innerWidth }));
    assert.ok(width.page <= width.viewport, `page is ${width.page}px wide in a ${width.viewport}px viewport`);
    for (const sel of ['.kpis', '.panels', '.filters']) {
      const box = await page.locator(sel).boundingBox();
      assert.ok(box && box.x >= 0 && box.x + box.width <= 390 + 0.5, `${sel} inside the screen`);
    }
    await page.screenshot({ path: join(ARTIFACTS, 'dashboard-phone.png'), fullPage: true });
  });

  it('talked to no host but the server and threw no script errors', () => {
    assert.ok(requested.length > 20);
    const foreign = requested.filter((u) => {
      const url = new URL(u);
      return url.protocol !== 'data:' && url.origin !== origin;
    });
    assert.deepEqual(foreign, []);
    assert.deepEqual(
      requested.filter((u) => u.includes(app.adminKey)),
      [],
      'the key travels in the Authorization header only, never in a URL',
    );
    assert.deepEqual(pageErrors, []);
  });
});

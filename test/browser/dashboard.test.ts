/**
 * The dashboard in a real browser: Debian's chromium (scripts/browser.sh, run by npm test) driven
 * by playwright-core, against the built CLI on the embedded stack with the user metric files of
 * test/fixtures/metrics. The log is filled with 25 minutes of postings; consume-batch and
 * batch-run compute the historical metrics; api, consume-stream and the dashboard then run.
 *   - the page loads with no console error and nothing from another origin; every metric (built-in
 *     and the user's) has its card;
 *   - a posting sent to the API shows up in the live R1 chart's data, pushed (no reload);
 *   - every historical table equals `pinpipe query --metric ID --json`;
 *   - at 1280 and 390 px wide the page does not overflow sideways.
 * Screenshots go to a temp dir, or to docs/ with TEST_SCREENSHOTS=docs (how docs/dashboard*.png
 * are made).
 */
import { afterAll, beforeAll, expect, test } from '@jest/globals';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { prefillLog } from '../../src/bench/prefill.js';
import { generatePosting } from '../../src/connectors/source/generator.js';
import { dayOf } from '../../src/core/time.js';
import { BIN, ROOT, configFor, requireBuild, runCli, tmpDir } from '../integration/consume-stream.helpers.js';

const CHROMIUM = process.env.TEST_CHROMIUM ?? '/usr/bin/chromium';
const ENV = { PINPIPE_METRICS_DIR: path.join(ROOT, 'test/fixtures/metrics') };
const SHOTS = process.env.TEST_SCREENSHOTS === 'docs' ? path.join(ROOT, 'docs') : mkdtempSync(path.join(os.tmpdir(), 'pinpipe-shots-'));

const t = tmpDir();
const children: ChildProcess[] = [];
let browser: Browser;
let page: Page;
let apiUrl: string;
let dashUrl: string;
const consoleErrors: string[] = [];
const foreign: string[] = [];

/** start a long-running role; resolves with the first match of `ready` in its output */
function startRole(args: string[], ready: RegExp): Promise<string> {
  const child = spawn(process.execPath, [BIN, ...args, '--data-dir', t.dir], { cwd: t.dir, env: { PATH: process.env.PATH ?? '', NO_COLOR: '1', ...ENV }, stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  let out = '';
  return new Promise((resolve, reject) => {
    const look = (d: Buffer) => {
      out += d;
      const m = ready.exec(out);
      if (m) resolve(m[1]!);
    };
    child.stdout!.on('data', look);
    child.stderr!.on('data', look);
    child.on('exit', (code) => reject(new Error(`pinpipe ${args[0]} exited ${code}: ${out}`)));
  });
}

async function cli(args: string[]): Promise<string> {
  const r = await runCli(t.dir, args, 120_000, ENV);
  if (r.code !== 0) throw new Error(`pinpipe ${args.join(' ')} exited ${r.code}: ${r.stderr}`);
  return r.stdout;
}

async function until<T>(what: string, fn: () => Promise<T | undefined>, ms = 60_000): Promise<T> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    const v = await fn().catch(() => undefined);
    if (v !== undefined) return v;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out waiting for ${what}`);
}

beforeAll(async () => {
  requireBuild();
  if (!existsSync(CHROMIUM)) throw new Error(`no browser at ${CHROMIUM}: run bash scripts/browser.sh (npm test does)`);
  const { firstMs, lastMs } = await prefillLog(configFor(t.dir), 12_000, { ratePerSecond: 8 });
  await cli(['consume-batch', '--until-idle']);
  await cli(['batch-run', '--from', dayOf(firstMs), '--to', dayOf(lastMs)]);
  apiUrl = await startRole(['api', '--port', '0'], /listening on (http:\/\/[^\s"]+)/);
  await startRole(['consume-stream'], /"msg":"[^"]*(consum|stream)/);
  dashUrl = await startRole(['dashboard', '--port', '0'], /dashboard at (http:\/\/[^\s"]+)/);
  // consume-stream has read the backlog
  await until('consume-stream to catch up', async () => {
    const s = (await (await fetch(`${dashUrl}api/status`)).json()) as { groups: { role: string; lag: number }[]; stream: { counters: { accepted: number } } };
    return s.groups.find((g) => g.role === 'consume-stream')!.lag === 0 && s.stream.counters.accepted === 12_000 ? true : undefined;
  });
  browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'] });
  page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  page.on('console', (m) => m.type() === 'error' && consoleErrors.push(m.text()));
  page.on('pageerror', (e) => consoleErrors.push(String(e)));
  page.on('request', (r) => !r.url().startsWith(dashUrl) && !r.url().startsWith('data:') && foreign.push(r.url()));
}, 240_000);

afterAll(async () => {
  await browser?.close();
  for (const c of children) if (c.exitCode === null) c.kill('SIGTERM');
  await Promise.all(children.map((c) => (c.exitCode === null ? new Promise((r) => c.on('exit', r)) : null)));
  t.cleanup();
});

test('the page loads with no console error, nothing from elsewhere, a card for every metric (built-in and the user\'s files)', async () => {
  await page.goto(dashUrl);
  await page.waitForFunction(() => (window as unknown as { pinpipeDashboard?: { state: { ready: boolean } } }).pinpipeDashboard?.state.ready === true, null, { timeout: 30_000 });
  const ids = (JSON.parse(await cli(['metrics', 'list', '--json'])) as { id: string }[]).map((m) => m.id);
  expect(ids).toEqual(expect.arrayContaining(['Q1', 'R1', 'R5', 'tag_by_category', 'media_per_minute', 'big_posters_by_country']));
  expect(await page.$$eval('[data-metric]', (els) => els.map((e) => e.getAttribute('data-metric')))).toEqual(expect.arrayContaining(ids));
  expect((await page.$$('[data-metric]')).length).toBe(ids.length);
  await page.waitForSelector('#conn.live');
  expect(await page.textContent('#health-badge')).toBe('healthy');
  expect(consoleErrors).toEqual([]);
  expect(foreign).toEqual([]);
}, 60_000);

test('a posting sent to the API shows up in the live R1 chart once consume-stream wrote its window, pushed without a reload', async () => {
  await page.evaluate(() => ((window as unknown as { notReloaded: boolean }).notReloaded = true));
  const category = `posted-by-the-test-${Date.now().toString(36)}`;
  const p = generatePosting(99, 17, 11_000);
  const ind = 5_000_000 + Math.floor(Math.random() * 1_000_000);
  const sent = Date.now();
  for (const [type, record] of [['pin', { ...p.pin, index: ind, category }], ['geo', { ...p.geo, ind }], ['user', { ...p.user, ind }]] as const) {
    const res = await fetch(`${apiUrl}/${type}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(record) });
    expect(res.status).toBe(201);
  }
  await page.waitForFunction(
    (cat) => {
      const d = (window as unknown as { pinpipeDashboard: { chartData(id: string): { series?: { label: string; values: (number | null)[] }[] } | null } }).pinpipeDashboard.chartData('R1');
      return d?.series?.some((s) => s.label === cat && s.values.some((v) => (v ?? 0) >= 1)) ?? false;
    },
    category,
    { timeout: 30_000, polling: 50 },
  );
  const seenAfter = Date.now() - sent;
  process.stderr.write(`dashboard: a posting was in the R1 chart ${seenAfter} ms after it was sent (consume-stream flush + dashboard poll + push)\n`);
  expect(await page.evaluate(() => (window as unknown as { notReloaded?: boolean }).notReloaded)).toBe(true);
  // the legend names it, in an open window
  expect(await page.textContent('#metric-R1 .legend')).toContain(`${category} 1 (open)`);
  expect(consoleErrors).toEqual([]);
}, 60_000);

test('every historical table equals pinpipe query --metric ID --json', async () => {
  const historical = (JSON.parse(await cli(['metrics', 'list', '--json'])) as { id: string; kind: string }[]).filter((m) => m.kind === 'historical');
  expect(historical.map((m) => m.id)).toEqual(['Q1', 'Q2', 'Q3a', 'Q3b', 'Q4', 'Q5', 'Q6', 'Q7', 'Q8', 'tag_by_category']);
  for (const { id } of historical) {
    const rows = JSON.parse(await cli(['query', '--metric', id, '--json'])) as Record<string, unknown>[];
    const card = page.locator(`[data-metric="${id}"]`);
    const more = card.locator('button.more');
    if (await more.count()) await more.click();
    const table = await card.locator(`table[data-table="${id}"]`).evaluate((el) => ({
      head: [...el.querySelectorAll('thead th')].map((th) => th.textContent),
      body: [...el.querySelectorAll('tbody tr')].map((tr) => [...tr.querySelectorAll('td')].map((td) => (td.querySelector('[data-null]') ? null : td.textContent))),
    }));
    const columns = table.head as string[];
    expect([id, rows.length]).toEqual([id, table.body.length]);
    expect([id, columns]).toEqual([id, Object.keys(rows[0] ?? {}).length ? Object.keys(rows[0]!) : columns]);
    expect([id, table.body]).toEqual([id, rows.map((r) => columns.map((c) => (r[c] === null ? null : String(r[c]))))]);
    expect(await card.locator('.meta').first().textContent()).toMatch(/^computed by batch-run at \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC/);
  }
}, 120_000);

test('usable at 1280 and 390 pixels wide: no sideways overflow, charts within the page; screenshots', async () => {
  for (const [width, height, name] of [[1280, 900, 'dashboard.png'], [390, 844, 'dashboard-mobile.png']] as const) {
    await page.setViewportSize({ width, height });
    await page.evaluate(() => window.scrollTo(0, 0));
    await page.waitForFunction((w) => [...document.querySelectorAll('.uplot')].every((u) => u.getBoundingClientRect().right <= w), width);
    const m = await page.evaluate(() => ({ scroll: document.documentElement.scrollWidth, client: document.documentElement.clientWidth, body: document.body.scrollWidth }));
    expect([width, m.scroll, m.body]).toEqual([width, m.client, m.client]);
    expect(await page.isVisible('#metric-R1 canvas')).toBe(true);
    await page.screenshot({ path: path.join(SHOTS, name) });
    if (width === 1280) await page.locator('#health').screenshot({ path: path.join(SHOTS, 'dashboard-health.png') });
  }
  expect(consoleErrors).toEqual([]);
  expect(foreign).toEqual([]);
}, 60_000);

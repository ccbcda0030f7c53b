/**
 * The dashboard page: one card per metric, built from GET /api/metrics (never from a list of
 * ids), kept live by the server's events (GET /api/events): `window` (a realtime metric's changed
 * windows; on connect, all of them), `status` (the health report), `metric` (batch-run recomputed
 * a historical metric: its table is fetched again), `batch` (a day's run finished).
 * window.pinpipeDashboard exposes what the charts draw, for tests and the curious.
 */
import { LiveChart, h, liveModel, renderBars } from './charts.js';
import { HealthView, table } from './health.js';

const HOUR = 3_600_000;
const ROWS_SHOWN = 200;
const $ = (id) => /** @type {HTMLElement} */ (document.getElementById(id));

const state = {
  /** @type {any[]} the metric listing */
  metrics: [],
  /** metric id → (minute + key) → row */
  live: new Map(),
  /** metric id → {metric, body, chart, model, column} */
  cards: new Map(),
  events: 0,
  lastWindowEvent: 0,
  ready: false,
  status: null,
};

/** what a metric's card draws now: {mode: 'lines', minutes, series} or {mode: 'bars', items} */
function chartData(id) {
  const c = state.cards.get(id);
  return c?.model ? JSON.parse(JSON.stringify(c.model)) : null;
}
Object.assign(window, { pinpipeDashboard: { state, chartData } });

async function getJson(url) {
  const res = await fetch(url, { credentials: 'same-origin', headers: { accept: 'application/json' } });
  if (!res.ok) throw new Error(`${url}: HTTP ${res.status}`);
  return res.json();
}

const utc = (iso) => (iso ? `${iso.replace('T', ' ').slice(0, 19)} UTC` : '–');

function card(m, extra = []) {
  const body = h('div', { class: 'body' }, h('div', { class: 'empty' }, 'loading…'));
  const meta = h('div', { class: 'meta' });
  const el = h('article', { class: 'card', id: `metric-${m.id}`, 'data-metric': m.id }, h('h3', {}, h('span', { class: 'id' }, m.id), m.title), meta, ...extra, body);
  return { el, body, meta };
}

// ---- live ---------------------------------------------------------------------------------------
function liveCard(m) {
  const entry = { metric: m, chart: null, model: null, column: m.value_columns[0], pending: false };
  const picker =
    m.key_columns.length && m.value_columns.length > 1
      ? h('select', { 'aria-label': 'value column', onchange: (e) => ((entry.column = e.target.value), renderLive(m.id)) }, m.value_columns.map((c) => h('option', { value: c }, c)))
      : null;
  const { el, body, meta } = card(m, picker ? [picker] : []);
  meta.textContent = `${m.key_columns.length ? `by ${m.key_columns.join(', ')}` : 'per minute'} · ${m.value_columns.join(', ')}${m.stream_from ? ` · streamed since ${utc(m.stream_from === 'start of the log' ? null : m.stream_from) === '–' ? 'the start of the log' : utc(m.stream_from)}` : ''} · `;
  meta.append(h('a', { href: m.href }, 'JSON'));
  Object.assign(entry, { body });
  state.cards.set(m.id, entry);
  return el;
}

const rowKey = (m, r) => `${r.minute}|${m.key_columns.map((c) => r[c]).join('\u0000')}`;

function applyWindows(ev) {
  const m = state.metrics.find((x) => x.id === ev.metric);
  if (!m) return;
  let rows = state.live.get(m.id);
  if (!rows || ev.replace) state.live.set(m.id, (rows = new Map()));
  for (const r of ev.rows) rows.set(rowKey(m, r), r);
  const horizon = new Date(Date.now() - HOUR - 60_000).toISOString();
  for (const [k, r] of rows) if (r.minute < horizon) rows.delete(k);
  renderLive(m.id);
}

function renderLive(id) {
  const entry = state.cards.get(id);
  if (!entry) return;
  const rows = [...(state.live.get(id)?.values() ?? [])].sort((a, b) => (a.minute < b.minute ? -1 : a.minute > b.minute ? 1 : 0));
  if (!rows.length) {
    entry.chart = null;
    entry.model = null;
    entry.body.replaceChildren(h('div', { class: 'empty' }, 'no window in the last hour yet (consume-stream writes them)'));
    return;
  }
  const model = liveModel(entry.metric, rows, entry.column);
  entry.model = model;
  if (model.mode === 'lines') {
    entry.chart ??= new LiveChart(entry.body);
    entry.chart.update(model);
  } else {
    entry.chart = null;
    renderBars(entry.body, model.items);
    entry.body.append(h('div', { class: 'meta' }, `${model.column}, total over the last hour; hatched: from open windows`));
  }
}

// ---- historical ---------------------------------------------------------------------------------
function histCard(m) {
  const { el, body, meta } = card(m);
  state.cards.set(m.id, { metric: m, body, meta, model: null });
  return el;
}

const cell = (v) => (v === null || v === undefined ? h('span', { class: 'null', 'data-null': '' }) : String(v));

async function loadHistorical(id) {
  const entry = state.cards.get(id);
  const m = entry.metric;
  let p;
  try {
    p = await getJson(m.href);
  } catch (e) {
    entry.body.replaceChildren(h('div', { class: 'empty' }, `cannot load: ${e.message}`));
    return;
  }
  entry.meta.replaceChildren(p.computed_at ? `computed by batch-run at ${utc(p.computed_at)} · ${p.rows.length} rows · ` : 'not computed yet with this definition: the next batch-run computes it · ', h('a', { href: m.href }, 'JSON'));
  if (!p.rows.length) {
    entry.model = { mode: 'table', rows: [] };
    entry.body.replaceChildren(h('div', { class: 'empty' }, p.computed_at ? 'no rows' : 'no rows yet'));
    return;
  }
  const numeric = p.columns.filter((c) => ['int', 'bigint', 'double'].includes(c.type));
  const value = numeric.find((c) => !p.keys.includes(c.name)) ?? numeric[0];
  const labels = p.keys.length ? p.keys.filter((k) => k !== value?.name) : p.columns.filter((c) => c !== value).map((c) => c.name);
  const parts = [];
  if (value) {
    const items = p.rows.map((r) => ({ label: labels.map((k) => (r[k] === null || r[k] === '' ? '(none)' : r[k])).join(' · ') || value.name, final: Number(r[value.name] ?? 0), open: 0 })).sort((a, b) => b.final - a.final);
    const bars = h('div', {});
    renderBars(bars, items);
    parts.push(h('div', { class: 'meta' }, `${value.name}, largest first`), bars);
    entry.model = { mode: 'bars', column: value.name, items };
  } else entry.model = { mode: 'table' };
  const cols = p.columns.map((c) => ({ name: c.name, num: ['int', 'bigint', 'double'].includes(c.type) }));
  const rowsOf = (n) => p.rows.slice(0, n).map((r) => p.columns.map((c) => cell(r[c.name])));
  const tbl = h('div', {}, table(cols, rowsOf(ROWS_SHOWN), { 'data-table': m.id }));
  parts.push(tbl);
  if (p.rows.length > ROWS_SHOWN) {
    const more = h('button', { class: 'more', onclick: () => (tbl.replaceChildren(table(cols, rowsOf(p.rows.length), { 'data-table': m.id })), more.remove()) }, `show all ${p.rows.length} rows`);
    parts.push(more);
  }
  entry.body.replaceChildren(...parts);
}

// ---- wiring -------------------------------------------------------------------------------------
function toast(text) {
  const el = h('div', { class: 'toast', role: 'status' }, text);
  document.body.append(el);
  setTimeout(() => el.remove(), 4000);
}

function subscribe(health) {
  const conn = $('conn');
  const es = new EventSource('/api/events');
  es.onopen = () => ((conn.textContent = 'live'), (conn.className = 'conn live'));
  es.onerror = () => ((conn.textContent = 'reconnecting…'), (conn.className = 'conn'));
  es.addEventListener('window', (e) => {
    state.events++;
    state.lastWindowEvent = Date.now();
    applyWindows(JSON.parse(e.data));
  });
  es.addEventListener('status', (e) => {
    state.status = JSON.parse(e.data);
    health.render(state.status);
  });
  es.addEventListener('metric', (e) => {
    const { id } = JSON.parse(e.data);
    if (state.cards.has(id)) void loadHistorical(id);
  });
  es.addEventListener('batch', (e) => {
    const b = JSON.parse(e.data);
    toast(`batch-run: ${b.day} ${b.state}`);
  });
}

async function main() {
  const health = new HealthView($('summary'), $('health-grid'), $('health-badge'));
  const { metrics } = await getJson('/api/metrics');
  state.metrics = metrics;
  const realtime = metrics.filter((m) => m.kind === 'realtime');
  const historical = metrics.filter((m) => m.kind === 'historical');
  $('live-grid').replaceChildren(...realtime.map(liveCard));
  $('hist-grid').replaceChildren(...historical.map(histCard));
  for (const m of realtime) renderLive(m.id);
  subscribe(health);
  await Promise.all(historical.map((m) => loadHistorical(m.id)));
  state.ready = true;
}

main().catch((e) => {
  document.querySelector('main')?.prepend(h('div', { class: 'card wide problems' }, `The dashboard could not load: ${e.message}`));
});

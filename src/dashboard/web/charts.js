/**
 * Charts of the dashboard, chosen from a metric's shape (never from its id):
 *   - a time series (uPlot) of the last hour: one line per key of a one-key metric with few keys
 *     (R1 by category, R3 by age group), or one line per value column of a metric without keys
 *     (R4, R5's media mix; averages on a right-hand axis). Final windows are solid lines; open
 *     windows (not final yet) dashed, over a shaded band;
 *   - ranked bars (plain HTML) for metrics with many keys or several key columns (R2 by country):
 *     totals over the hour, the part from open windows hatched; and for historical tables.
 */
import uPlot from './uPlot.esm.js';

export const PALETTE = ['#2f5fd0', '#e0672b', '#1a9e6a', '#c2378f', '#8a6d00', '#6b4fc8', '#0f8ea3', '#c62828', '#5b7d1f', '#9c5a3c', '#3e4a61', '#d4a017', '#00897b', '#7e57c2', '#ef6c00', '#546e7a'];
/** a one-key metric with at most this many keys in the hour is drawn as lines */
export const MAX_LINES = 16;
const BARS_SHOWN = 15;
/** times on the axes in UTC, like the windows (minutes of ingested_at, UTC) */
const tzDate = (ts) => uPlot.tzDate(new Date(ts * 1e3), 'Etc/UTC');

/** create an element: h('div', {class: 'x'}, child, 'text') */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null || v === false) continue;
    if (k === 'class') el.className = String(v);
    else if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
    else el.setAttribute(k, String(v));
  }
  for (const c of children.flat()) if (c !== null && c !== undefined) el.append(c instanceof Node ? c : String(c));
  return el;
}

const keyOf = (metric, row) => metric.key_columns.map((c) => (row[c] === '' ? '(none)' : row[c])).join(' · ') || '(all)';
const fmt = (v) => (v === null || v === undefined ? '–' : Number.isInteger(v) ? v.toLocaleString('en-US') : v.toLocaleString('en-US', { maximumFractionDigits: 2 }));

/**
 * What to draw for a realtime metric's rows: {mode: 'lines', minutes, series: [{label, axis, values, final}]}
 * or {mode: 'bars', items: [{label, final, open}]}.
 */
export function liveModel(metric, rows, valueColumn) {
  const types = Object.fromEntries(metric.columns.map((c) => [c.name, c.type]));
  const keys = new Set(rows.map((r) => keyOf(metric, r)));
  const col = valueColumn ?? metric.value_columns[0];
  if (metric.key_columns.length > 1 || keys.size > MAX_LINES) {
    const totals = new Map();
    for (const r of rows) {
      const t = totals.get(keyOf(metric, r)) ?? { label: keyOf(metric, r), final: 0, open: 0 };
      t[r.final ? 'final' : 'open'] += Number(r[col] ?? 0);
      totals.set(t.label, t);
    }
    return { mode: 'bars', column: col, items: [...totals.values()].sort((a, b) => b.final + b.open - (a.final + a.open) || (a.label < b.label ? -1 : 1)) };
  }
  const minutes = [...new Set(rows.map((r) => Date.parse(r.minute)))].sort((a, b) => a - b);
  const at = new Map(minutes.map((m, i) => [m, i]));
  const lines = metric.key_columns.length
    ? [...keys].sort().map((k) => ({ label: k, pick: (r) => (keyOf(metric, r) === k ? r[col] : undefined), axis: 'y', zero: types[col] !== 'double' }))
    : metric.value_columns.map((c) => ({ label: c, pick: (r) => r[c], axis: types[c] === 'double' && metric.value_columns.some((x) => types[x] !== 'double') ? 'y2' : 'y', zero: types[c] !== 'double' }));
  const series = lines.map((l) => {
    const values = minutes.map(() => (l.zero ? 0 : null));
    const final = minutes.map(() => true);
    for (const r of rows) {
      const v = l.pick(r);
      if (v === undefined) continue;
      const i = at.get(Date.parse(r.minute));
      values[i] = v;
      final[i] = r.final;
    }
    // a minute without a row of this key is open when other keys' rows of that minute are
    for (const r of rows) if (!r.final) final[at.get(Date.parse(r.minute))] = false;
    return { label: l.label, axis: l.axis, values, final };
  });
  return { mode: 'lines', column: metric.key_columns.length ? col : null, minutes, series };
}

/** ranked horizontal bars: items [{label, final, open}] (open part hatched) */
export function renderBars(container, items, opts = {}) {
  const shown = items.slice(0, opts.max ?? BARS_SHOWN);
  const max = Math.max(1e-9, ...shown.map((i) => Math.abs(i.final) + Math.abs(i.open ?? 0)));
  const grid = h('div', { class: 'bars', role: 'list' });
  for (const i of shown) {
    const open = i.open ?? 0;
    grid.append(
      h('span', { class: 'label', title: i.label }, i.label),
      h('span', { class: 'track' }, h('span', { class: 'fin', style: `width:${(100 * Math.abs(i.final)) / max}%` }), open ? h('span', { class: 'opn', style: `width:${(100 * Math.abs(open)) / max}%`, title: `${fmt(open)} in open windows` }) : null),
      h('span', { class: 'num' }, fmt(i.final + open)),
    );
  }
  const more = items.length > shown.length ? h('div', { class: 'meta' }, `top ${shown.length} of ${items.length}`) : null;
  container.replaceChildren(grid, ...(more ? [more] : []));
}

/** A live uPlot time series with its own legend (latest or hovered values; click a key to hide it). */
export class LiveChart {
  constructor(container) {
    this.container = container;
    this.plotEl = h('div', { class: 'chart' });
    this.legendEl = h('div', { class: 'legend' });
    container.replaceChildren(this.plotEl, this.legendEl);
    this.model = null;
    this.plot = null;
    this.hidden = new Set();
    this.resize = new ResizeObserver(() => this.plot?.setSize(this.size()));
    this.resize.observe(container);
  }

  size() {
    const width = Math.max(200, this.container.clientWidth);
    return { width, height: width < 420 ? 170 : 210 };
  }

  /** uPlot's data: x (s), then per series its final values and its open values (dashed) */
  data(model) {
    const xs = model.minutes.map((m) => m / 1000);
    const out = [xs];
    for (const s of model.series) {
      const fin = s.values.map((v, i) => (s.final[i] ? v : null));
      const opn = s.values.map((v, i) => (!s.final[i] || (s.final[i] && i + 1 < s.final.length && !s.final[i + 1]) ? v : null));
      out.push(fin, opn);
    }
    return out;
  }

  update(model) {
    const labels = model.series.map((s) => `${s.label}|${s.axis}`).join('\n');
    const same = this.plot && this.model && this.model.series.map((s) => `${s.label}|${s.axis}`).join('\n') === labels;
    this.model = model;
    if (same) this.plot.setData(this.data(model));
    else this.build(model);
    this.legend(null);
  }

  build(model) {
    this.plot?.destroy();
    const hasY2 = model.series.some((s) => s.axis === 'y2');
    const series = [{}];
    model.series.forEach((s, i) => {
      const stroke = PALETTE[i % PALETTE.length];
      const show = !this.hidden.has(s.label);
      series.push({ label: s.label, stroke, width: 2, scale: s.axis, show, points: { show: false } }, { label: `${s.label} (open)`, stroke, width: 2, dash: [5, 4], scale: s.axis, show, points: { show: false } });
    });
    const now = () => Date.now() / 1000;
    const opts = {
      ...this.size(),
      tzDate,
      legend: { show: false },
      cursor: { drag: { x: false, y: false } },
      scales: { x: { time: true, range: () => [Math.floor(now() / 60) * 60 - 3600, Math.floor(now() / 60) * 60 + 60] }, y: { range: (_u, _min, max) => [0, Math.max(1, max * 1.1)] }, ...(hasY2 ? { y2: { range: (_u, min, max) => [Math.min(0, min), Math.max(1, max * 1.1)] } } : {}) },
      axes: [{}, { scale: 'y', size: 50 }, ...(hasY2 ? [{ scale: 'y2', side: 1, grid: { show: false }, size: 50 }] : [])],
      series,
      hooks: {
        drawClear: [(u) => this.shadeOpen(u)],
        setCursor: [(u) => this.legend(u.cursor.idx ?? null)],
      },
    };
    this.plot = new uPlot(opts, this.data(model), this.plotEl);
  }

  /** the band of open windows: from the first minute not final to the right edge */
  shadeOpen(u) {
    const m = this.model;
    const first = m.minutes.findIndex((_, i) => m.series.some((s) => !s.final[i]));
    if (first < 0) return;
    const x0 = u.valToPos(m.minutes[first] / 1000, 'x', true);
    const { left, top, width, height } = u.bbox;
    const ctx = u.ctx;
    ctx.save();
    ctx.fillStyle = 'rgba(47, 95, 208, 0.08)';
    ctx.fillRect(Math.max(left, x0), top, left + width - Math.max(left, x0), height);
    ctx.fillStyle = 'rgba(47, 95, 208, 0.6)';
    ctx.font = `${Math.round(10 * devicePixelRatio)}px system-ui, sans-serif`;
    ctx.fillText('open', Math.max(left, x0) + 3 * devicePixelRatio, top + 11 * devicePixelRatio);
    ctx.restore();
  }

  legend(idx) {
    const m = this.model;
    const i = idx ?? m.minutes.length - 1;
    const when = m.minutes[i] ? new Date(m.minutes[i]).toISOString().slice(11, 16) + ' UTC' : '';
    const items = m.series.map((s, k) => {
      const el = h('span', { class: this.hidden.has(s.label) ? 'off' : '', title: `click to ${this.hidden.has(s.label) ? 'show' : 'hide'}` }, h('i', { style: `background:${PALETTE[k % PALETTE.length]}` }), `${s.label} ${fmt(s.values[i])}${s.final[i] === false ? ' (open)' : ''}`);
      el.addEventListener('click', () => {
        if (this.hidden.has(s.label)) this.hidden.delete(s.label);
        else this.hidden.add(s.label);
        const show = !this.hidden.has(s.label);
        this.plot.setSeries(1 + 2 * k, { show });
        this.plot.setSeries(2 + 2 * k, { show });
        this.legend(idx);
      });
      return el;
    });
    this.legendEl.replaceChildren(h('span', { class: 'meta' }, when), ...items);
  }
}

/** a small uPlot chart of the last `spanMs`: points [[t ms, value]] */
export class Sparkline {
  constructor(container, label, spanMs = 600_000) {
    const size = () => ({ width: Math.max(160, container.clientWidth), height: 110 });
    const x = { time: true, range: () => [(Date.now() - spanMs) / 1000, Date.now() / 1000] };
    this.plot = new uPlot({ ...size(), tzDate, legend: { show: false }, cursor: { show: false }, scales: { x, y: { range: (_u, _min, max) => [0, Math.max(1, max * 1.1)] } }, axes: [{ size: 32, grid: { show: false } }, { size: 44 }], series: [{}, { label, stroke: PALETTE[0], fill: 'rgba(47,95,208,.12)', width: 1.5, points: { show: false } }] }, [[], []], container);
    new ResizeObserver(() => this.plot.setSize(size())).observe(container);
  }

  update(points) {
    this.plot.setData([points.map((p) => p[0] / 1000), points.map((p) => p[1])]);
  }
}

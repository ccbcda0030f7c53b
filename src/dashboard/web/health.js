/**
 * The pipeline-health view: a summary strip (health, ingest rate, lag, watermark, freshness,
 * late / unmatched / dead-lettered) and cards for lag per group and partition, the latest
 * windows, the ledger's days and the last batch runs. Input: the status report (/api/status,
 * `status` events), the same object `pinpipe status --json` prints.
 */
import { Sparkline, h } from './charts.js';

const n = (v) => (v === null || v === undefined ? '–' : Number(v).toLocaleString('en-US'));
const secs = (s) => (s === null || s === undefined ? '–' : s < 120 ? `${s.toFixed(1)} s` : s < 7200 ? `${Math.round(s / 60)} min` : `${(s / 3600).toFixed(1)} h`);
const time = (iso) => (iso ? iso.replace('T', ' ').slice(0, 19) : '–');

/** a table: columns [{name, num?}], rows of cell values (a cell may be an element) */
export function table(columns, rows, attrs = {}) {
  return h(
    'div',
    { class: 'scroll' },
    h(
      'table',
      attrs,
      h('thead', {}, h('tr', {}, columns.map((c) => h('th', {}, c.name)))),
      h('tbody', {}, rows.map((r) => h('tr', {}, r.map((v, i) => h('td', { class: columns[i].num ? 'n' : '' }, v))))),
    ),
  );
}

const stateTag = (s) => h('span', { class: `state ${s}` }, s);

export class HealthView {
  constructor(summaryEl, gridEl, badgeEl) {
    this.summaryEl = summaryEl;
    this.gridEl = gridEl;
    this.badgeEl = badgeEl;
    this.rates = [];
    this.rateCard = h('div', { class: 'card' }, h('h3', {}, 'Ingest rate'), h('div', { class: 'meta' }, 'records/s into the log (pin, geo, user), the last 10 minutes'));
    this.spark = null;
  }

  render(r) {
    this.badgeEl.textContent = r.healthy ? 'healthy' : `${r.problems.length} problem${r.problems.length === 1 ? '' : 's'}`;
    this.badgeEl.className = `badge ${r.healthy ? 'good' : 'bad'}`;
    if (r.ingest.per_second !== null) this.rates.push([Date.parse(r.at), r.ingest.per_second]);
    this.rates = this.rates.filter((p) => p[0] > Date.parse(r.at) - 600_000);
    const lag = (role) => r.groups.find((g) => g.role === role)?.lag ?? null;
    const k = r.stream.counters;
    const stat = (label, value, bad = false) => h('div', { class: `stat${bad ? ' bad' : ''}` }, h('b', {}, value), h('span', {}, label));
    const maxLag = r.thresholds.max_lag;
    this.summaryEl.replaceChildren(
      stat('ingest, records/s', r.ingest.per_second === null ? '–' : n(Math.round(r.ingest.per_second))),
      stat('lag consume-stream', n(lag('consume-stream')), (lag('consume-stream') ?? 0) > maxLag),
      stat('lag consume-batch', n(lag('consume-batch')), (lag('consume-batch') ?? 0) > maxLag),
      stat('watermark age', secs(r.stream.watermark_age_s)),
      stat('freshness (newest record)', secs(r.stream.freshness_s)),
      stat('late · unmatched', `${n(k.late)} · ${n((k.unmatchedGeo ?? 0) + (k.unmatchedUser ?? 0))}`),
      stat('dead-lettered', n(r.dead_letters.records), r.dead_letters.records > 0),
    );

    const problems = r.problems.length ? h('ul', { class: 'problems' }, r.problems.map((p) => h('li', {}, p))) : h('div', { class: 'meta' }, 'healthy: no group behind, no failed day');
    const status = h('div', { class: 'card wide' }, h('h3', {}, `Status at ${time(r.at)} UTC`), problems, h('div', { class: 'meta' }, `log ${r.connectors.log} · lake ${r.connectors.lake} · store ${r.connectors.store} · realtime ${r.connectors.realtime} · ${n(r.ingest.records)} records in the log · thresholds: lag ${n(maxLag)} records, watermark age ${r.thresholds.max_watermark_age_s} s`));
    const lagCard = h(
      'div',
      { class: 'card' },
      h('h3', {}, 'Consumer lag per group and partition'),
      h('div', { class: 'meta' }, 'consume-batch: committed offsets; consume-stream: read positions of its checkpoint'),
      table(
        [{ name: 'group' }, { name: 'topic' }, { name: 'partition', num: true }, { name: 'current', num: true }, { name: 'end', num: true }, { name: 'lag', num: true }],
        r.groups.flatMap((g) => g.partitions.map((p) => [g.group, p.topic, p.partition, n(p.current), n(p.end), n(p.lag)])),
      ),
    );
    const stream = h(
      'div',
      { class: 'card' },
      h('h3', {}, `Stream (group ${r.stream.group})`),
      h('div', { class: 'meta' }, `watermark ${time(r.stream.watermark)} (${secs(r.stream.watermark_age_s)} ago; lateness ${r.stream.lateness_s} s) · newest record ${secs(r.stream.freshness_s)} ago · ${n(k.accepted)} accepted, ${n(k.late)} late, ${n(k.unmatchedGeo)} without geo, ${n(k.unmatchedUser)} without user, ${n(k.deadLettered)} dead-lettered, ${n(k.duplicates)} duplicates`),
      table([{ name: 'metric' }, { name: 'latest window' }, { name: 'state' }, { name: 'rows', num: true }, { name: 'open windows', num: true }], r.stream.windows.map((w) => [w.metric, w.minute ? `${time(w.minute).slice(0, 16)} UTC` : '–', w.final === null ? '–' : stateTag(w.final ? 'final' : 'open'), n(w.rows), n(w.open)])),
    );
    const c = r.ledger.counts;
    const days = h(
      'div',
      { class: 'card' },
      h('h3', {}, 'Days (batch-run ledger)'),
      h('div', { class: 'meta' }, `${c.done} done · ${c.partial} partial · ${c.pending} pending · ${c.running} running · ${c.failed} failed`),
      table([{ name: 'day' }, { name: 'state' }, { name: 'raw', num: true }, { name: 'curated', num: true }, { name: 'finished' }, { name: 'note' }], r.ledger.days.map((d) => [d.day, stateTag(d.state), n(d.raw_records), n(d.curated_rows), time(d.finished_at), d.note ?? d.message ?? ''])),
    );
    const runs = h(
      'div',
      { class: 'card' },
      h('h3', {}, 'Last batch runs'),
      h('div', { class: 'meta' }, 'the last 24 hours, newest first'),
      r.batch_runs.length ? table([{ name: 'started' }, { name: 'day' }, { name: 'reason' }, { name: 'status' }, { name: 'seconds', num: true }, { name: 'raw', num: true }], r.batch_runs.map((b) => [time(b.started_at), b.day, b.reason ?? '', stateTag(b.status), b.seconds === null ? '–' : b.seconds.toFixed(1), n(b.raw_records)])) : h('div', { class: 'empty' }, 'none yet'),
    );
    this.gridEl.replaceChildren(status, this.rateCard, lagCard, stream, days, runs);
    if (!this.spark) {
      const el = h('div', { class: 'chart' });
      this.rateCard.append(el);
      this.spark = new Sparkline(el, 'records/s');
    }
    this.spark.update(this.rates);
  }
}

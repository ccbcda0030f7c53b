/**
 * Ingest-to-view freshness: `pinpipe api` and `pinpipe consume-stream` running on one stack; this
 * process posts single records (pin, geo, user in turn) open loop at 2,000 records/s and keeps
 * each pin's ingested_at from the API's answer, while it polls the realtime store every 25 ms
 * (createRealtime → read('R1')) for the number of pins counted so far. Pins are ranked by
 * ingested_at; pin number i is taken as visible at the first poll whose R1 total reaches i; its
 * freshness is that time minus its ingested_at (same clock). The polling interval adds up to
 * 25 ms (12.5 ms on average). The stream's own histogram (GET /metrics,
 * pinpipe_stream_freshness_seconds) is reported alongside.
 * Stage `freshness-dashboard` measures the same with `pinpipe dashboard` running and one page's
 * event stream open (GET /api/events, as a browser would): the stream's freshness with the
 * dashboard reading the same stores, and the push delay, from the poll that first saw a pin in the
 * store to the `window` event that carried it (the dashboard's own poll and push).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { createRealtime } from '../../connectors/registry.js';
import { loadMetrics } from '../../metrics/registry.js';
import { sleep } from '../../core/retry.js';
import { singleBodies } from '../bodies.js';
import { openLoop } from '../loadgen.js';
import { RoleFailed, startAndWait, startApi, type Started } from '../roles.js';
import { makeStack } from '../stack.js';
import { firstSeen, formatValue, summarize } from '../stats.js';
import { judged, type BenchContext, type Row, type Stage } from '../types.js';

const RATE = 2000;
const POLL_MS = 25;
const ms = (n: number) => formatValue(n, 'ms');

function failed(e: unknown, stage: string): Row[] {
  const notLanded = e instanceof RoleFailed && e.result.notLanded;
  return [{ stage, measured: '–', target: '', status: notLanded ? 'not-landed' : 'failed', note: (e as Error).message }];
}

/** Subscribe to the dashboard's events; each R1 `window` event adds an observation of the R1 total since `from`. */
function watchDashboard(url: string, from: string, obs: { t: number; count: number }[]): { stop: () => Promise<void> } {
  const ctl = new AbortController();
  const rows = new Map<string, number>();
  const done = (async () => {
    const res = await fetch(`${url}api/events`, { signal: ctl.signal });
    const reader = res.body!.getReader();
    const text = new TextDecoder();
    let buf = '';
    for (;;) {
      const { value, done: end } = await reader.read();
      if (end) return;
      buf += text.decode(value, { stream: true });
      let cut: number;
      while ((cut = buf.indexOf('\n\n')) >= 0) {
        const frame = buf.slice(0, cut);
        buf = buf.slice(cut + 2);
        if (!frame.startsWith('event: window\n')) continue;
        const ev = JSON.parse(frame.slice(frame.indexOf('data: ') + 6)) as { metric: string; replace: boolean; rows: { minute: string; category: string; postings: number }[] };
        if (ev.metric !== 'R1') continue;
        if (ev.replace) rows.clear();
        for (const r of ev.rows) if (r.minute >= from) rows.set(`${r.minute}|${r.category}`, r.postings);
        let n = 0;
        for (const v of rows.values()) n += v;
        obs.push({ t: Date.now(), count: n });
      }
    }
  })().catch((e: unknown) => {
    if (!ctl.signal.aborted) throw e;
  });
  return {
      stop: async () => {
        ctl.abort();
        await done;
      },
  };
}

async function streamHistogram(url: string): Promise<{ count: number; mean: number } | null> {
  try {
    const text = await (await fetch(`${url}/metrics`)).text();
    const sum = /^pinpipe_stream_freshness_seconds_sum (\S+)$/m.exec(text);
    const count = /^pinpipe_stream_freshness_seconds_count (\S+)$/m.exec(text);
    if (!sum || !count) return null;
    return { count: Number(count[1]), mean: (Number(sum[1]) / Math.max(1, Number(count[1]))) * 1000 };
  } catch {
    return null;
  }
}

function freshness(withDashboard: boolean): Stage {
  const label = withDashboard ? ', dashboard open' : '';
  return {
  name: withDashboard ? 'freshness-dashboard' : 'freshness',
  summary: withDashboard ? 'the same with the dashboard open: stream freshness, store-to-page push delay' : 'api + consume-stream: ingest-to-view delay at 2,000 records/s',
  async run(ctx: BenchContext): Promise<Row[]> {
    const stack = await makeStack({ real: ctx.real, lake: ctx.lake, label: 'freshness' });
    const running: Started[] = [];
    try {
      const streamConfig = path.join(stack.dataDir, 'stream-config.json');
      writeFileSync(streamConfig, JSON.stringify({ ...JSON.parse(readFileSync(stack.configFile, 'utf8')), metricsPort: 0 }));
      let api: Started;
      let stream: Started;
      let dashboard: Started | null = null;
      try {
        api = await startApi(ctx, stack);
        running.push(api);
        stream = await startAndWait(ctx, stack, 'consume-stream', ['consume-stream'], /metrics listening/, 60_000, streamConfig);
        running.push(stream);
        if (withDashboard) running.push((dashboard = await startAndWait(ctx, stack, 'dashboard', ['dashboard', '--port', '0'], /dashboard at/)));
      } catch (e) {
        return failed(e, `consume-stream freshness${label}`);
      }
      const realtime = await createRealtime(stack.config);
      await realtime.connect((await loadMetrics(stack.config, { dir: null })).realtime);
      const bodies = singleBodies(5, 1000);
      const pins: number[] = [];
      const obs: { t: number; count: number }[] = [];
      const from = new Date(Math.floor(Date.now() / 60_000) * 60_000).toISOString();
      const pushed: { t: number; count: number }[] = [];
      const page = dashboard ? watchDashboard(dashboard.url, from, pushed) : null;
      let polling = true;
      let pollErrors = 0;
      const poller = (async () => {
        while (polling) {
          try {
            const rows = await realtime.read('R1', { from });
            let n = 0;
            for (const r of rows) n += Number(r.values.postings ?? 0);
            obs.push({ t: Date.now(), count: n });
          } catch {
            pollErrors++;
          }
          await sleep(POLL_MS);
        }
      })();
      const secs = ctx.sizes.freshnessSeconds;
      ctx.log(`freshness: posting ${RATE} records/s for ${secs} s, polling R1 every ${POLL_MS} ms`);
      const load = await openLoop({
        url: api.url,
        rate: RATE,
        durationMs: secs * 1000,
        request: (i) => bodies[i % bodies.length]!,
        onResponse: (i, status, body) => {
          if (i % 3 !== 0 || status !== 201) return;
          const at = Date.parse((JSON.parse(body) as { ingested_at: string }).ingested_at);
          if (Number.isFinite(at)) pins.push(at);
        },
      });
      const deadline = Date.now() + 15_000;
      while (Date.now() < deadline && ((obs.at(-1)?.count ?? 0) < pins.length || (page !== null && (pushed.at(-1)?.count ?? 0) < pins.length))) await sleep(50);
      polling = false;
      await poller;
      await page?.stop();
      if (dashboard) await dashboard.proc.stop();
      const hist = await streamHistogram(stream.url);
      await realtime.close();
      const apiRes = await api.proc.stop();
      const streamRes = await stream.proc.stop();
      running.length = 0;
      const pushRows = dashboard ? pushDelays(pins.length, obs, pushed) : [];

      pins.sort((a, b) => a - b);
      const seen = firstSeen(obs, pins.length);
      const delays: number[] = [];
      let missing = 0;
      for (let i = 0; i < pins.length; i++) {
        if (Number.isNaN(seen[i]!)) missing++;
        else delays.push(seen[i]! - pins[i]!);
      }
      // a pin never seen counts as infinitely late
      for (let i = 0; i < missing; i++) delays.push(Number.POSITIVE_INFINITY);
      const s = summarize(delays);
      const note = `${pins.length} pins of ${load.ok} records accepted (${load.errors} errors); ${missing} not seen within 15 s; polls ${obs.length} (${pollErrors} failed); stream's own mean ${hist ? ms(hist.mean) : '–'} over ${hist?.count ?? 0} commits`;
      const extra = { peakRssMb: streamRes.peakRssMb, details: { delays: { ...s }, apiPeakRssMb: apiRes.peakRssMb, streamHistogram: hist, profile: streamRes.profile } };
      return [
        judged(`consume-stream freshness p50 at 2,000/s${label}`, s.p50, 'ms', { atMost: 200 }, ms, { ...extra, note }),
        judged(`consume-stream freshness p99 at 2,000/s${label}`, s.p99, 'ms', { atMost: 1000 }, ms, { ...extra, note: `max ${ms(s.max)}; measured by polling R1 (adds ≤ ${POLL_MS} ms)` }),
        ...pushRows,
      ];
    } finally {
      for (const r of running) await r.proc.stop();
      await stack.cleanup();
    }
  },
  };
}

/** per pin: the dashboard's push minus the store poll that first saw it ("within a second of consume-stream writing its window") */
function pushDelays(n: number, polled: { t: number; count: number }[], pushed: { t: number; count: number }[]): Row[] {
  const inStore = firstSeen(polled, n);
  const onPage = firstSeen(pushed, n);
  const delays: number[] = [];
  let missing = 0;
  for (let i = 0; i < n; i++) {
    if (Number.isNaN(onPage[i]!)) missing++;
    else if (!Number.isNaN(inStore[i]!)) delays.push(Math.max(0, onPage[i]! - inStore[i]!));
  }
  for (let i = 0; i < missing; i++) delays.push(Number.POSITIVE_INFINITY);
  const s = summarize(delays);
  const note = `${pushed.length} R1 window events; ${missing} pins never pushed within 15 s; store seen by polling every ${POLL_MS} ms`;
  return [judged('dashboard push after the store write p99', s.p99, 'ms', { atMost: 1000 }, ms, { note: `p50 ${ms(s.p50)}, max ${ms(s.max)}; ${note}`, details: { push: { ...s } } })];
}

export const freshnessStage = freshness(false);
export const freshnessDashboardStage = freshness(true);

/**
 * api: `pinpipe api` on a free port over a fresh stack, loaded from this process.
 * - single records, max throughput: wrk (or autocannon without it, see wrk.ts), closed loop (64
 *   connections, each sends its next request when the previous one is answered), POST /pin,
 *   /geo, /user in turn;
 * - single records, p99 at 5,000 records/s: open loop (loadgen.ts), latency from the due time;
 *   in full runs also autocannon's own rate limiting (overallRate) for comparison;
 * - bulk: wrk (or autocannon) closed loop, 4 connections, POST /bulk of 1,000 mixed records.
 * Peak RSS of the api process, and its RSS early vs late in the sustained run.
 */
import autocannon from 'autocannon';
import { bulkBodies, singleBodies } from '../bodies.js';
import { openLoop } from '../loadgen.js';
import { startApi, RoleFailed } from '../roles.js';
import { makeStack } from '../stack.js';
import { formatValue, summarize } from '../stats.js';
import { judged, type BenchContext, type Row, type Stage } from '../types.js';
import { readCpuMs, readRssKb } from '../child.js';
import { startHttpFloor } from '../http-floor.js';
import { haveWrk, runWrk } from '../wrk.js';

const recs = (n: number) => formatValue(n, 'records/s');

/** Run fn and report the share of one core this process (the load client) used meanwhile. */
async function clientCpu<T>(fn: () => Promise<T>): Promise<[T, string]> {
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  const out = await fn();
  const c = process.cpuUsage(c0);
  return [out, `client used ${Math.round(((c.user + c.system) / 1000 / (performance.now() - t0)) * 100)}% of a core`];
}
const ms = (n: number) => formatValue(n, 'ms');

async function cannon(url: string, opts: { connections: number; seconds: number; requests: { path: string; body: string }[]; overallRate?: number }) {
  let i = 0;
  const list = opts.requests;
  return autocannon({
    url,
    connections: opts.connections,
    duration: opts.seconds,
    overallRate: opts.overallRate,
    timeout: 30,
    requests: [
      {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        setupRequest: (req) => {
          const r = list[i++ % list.length]!;
          return { ...req, path: r.path, body: r.body };
        },
      },
    ],
  });
}

interface ClosedLoop {
  tool: 'wrk' | 'autocannon';
  okPerSecond: number;
  p50: number;
  p99: number;
  /** answers with a status ≥ 400 */
  bad: number;
  /** connection errors and time-outs */
  errors: number;
  seconds: number;
}

/** Closed-loop load with wrk when installed (cheap on the shared cores), else autocannon. */
async function closedLoop(
  url: string,
  opts: { connections: number; seconds: number; requests: { path: string; body: string }[]; tool?: 'autocannon' },
): Promise<ClosedLoop> {
  if (opts.tool !== 'autocannon' && haveWrk()) {
    const r = await runWrk(url, opts);
    return {
      tool: 'wrk',
      okPerSecond: r.okPerSecond,
      p50: r.latencyMs.p50,
      p99: r.latencyMs.p99,
      bad: r.badStatus,
      errors: r.socketErrors,
      seconds: r.seconds,
    };
  }
  const r = await cannon(url, opts);
  return {
    tool: 'autocannon',
    okPerSecond: r['2xx'] / r.duration,
    p50: r.latency.p50,
    p99: r.latency.p99,
    bad: r.non2xx,
    errors: r.errors,
    seconds: r.duration,
  };
}

/**
 * Repeated closed-loop runs, the median one reported (by throughput) with the range: on a shared or
 * virtualised machine back-to-back runs of the same load differ by ±15-25% (measured), so one run
 * alone says little.
 */
async function repeatedClosedLoop(
  url: string,
  opts: Parameters<typeof closedLoop>[1],
  runs: number,
  serverPid?: number,
): Promise<ClosedLoop & { all: number[]; serverCpuUsPerRequest: number | null }> {
  const results: ClosedLoop[] = [];
  const cpu0 = serverPid ? readCpuMs(serverPid) : null;
  for (let i = 0; i < runs; i++) results.push(await closedLoop(url, opts));
  const cpu1 = serverPid ? readCpuMs(serverPid) : null;
  const sorted = [...results].sort((x, y) => x.okPerSecond - y.okPerSecond);
  const median = sorted[Math.floor((sorted.length - 1) / 2)]!;
  const bad = results.reduce((n, r) => n + r.bad, 0);
  const errors = results.reduce((n, r) => n + r.errors, 0);
  const answered = results.reduce((n, r) => n + r.okPerSecond * r.seconds, 0);
  const serverCpuUsPerRequest = cpu0 !== null && cpu1 !== null && answered > 0 ? ((cpu1 - cpu0) * 1000) / answered : null;
  return { ...median, bad, errors, all: results.map((r) => r.okPerSecond), serverCpuUsPerRequest };
}

/** the server's CPU per request or record (µs), as a note */
const cpuNote = (who: string, us: number | null, per = 1) => {
  if (us === null) return '';
  const v = us / per;
  return `; ${who} CPU ${v < 10 ? v.toFixed(1) : Math.round(v)} µs per record`;
};

const RUNS = 3;
const range = (all: number[], perRequest = 1) => `${RUNS} runs: ${all.map((x) => Math.round(x * perRequest).toLocaleString('en-US')).join(', ')}`;

const WRK_MISSING = 'wrk is not installed (`npm run bench:tools`): autocannon, a Node client, shares the two cores';

export const apiStage: Stage = {
  name: 'api',
  summary: 'HTTP ingestion: single records (max, p99 at 5,000/s) and bulk',
  async run(ctx: BenchContext): Promise<Row[]> {
    const stack = await makeStack({ real: ctx.real, lake: ctx.lake, label: 'api' });
    const rows: Row[] = [];
    try {
      let started;
      try {
        started = await startApi(ctx, stack);
      } catch (e) {
        const notLanded = e instanceof RoleFailed && e.result.notLanded;
        return [{ stage: 'api', measured: '–', target: '', status: notLanded ? 'not-landed' : 'failed', note: (e as Error).message }];
      }
      const { proc, url } = started;
      const secs = ctx.sizes.apiSeconds;
      const singles = singleBodies(7, 2000);
      ctx.log(`api: warm-up at ${url}`);
      await cannon(url, { connections: 16, seconds: 2, requests: singles });

      ctx.log(`api: single records, closed loop, 64 connections, ${secs} s`);
      const rss: number[] = [];
      const sampler = setInterval(() => {
        const kb = proc.child.pid ? readRssKb(proc.child.pid) : null;
        if (kb) rss.push(kb / 1024);
      }, 500);
      const [max, maxCpu] = await clientCpu(() => repeatedClosedLoop(url, { connections: 64, seconds: secs, requests: singles }, RUNS, proc.child.pid));
      clearInterval(sampler);
      const maxRow = judged('api single: max throughput', max.okPerSecond, 'records/s', { atLeast: 15_000 }, recs, {
        note: `${max.tool}, closed loop, 64 conns, median of ${range(max.all)}; p50 ${ms(max.p50)}, p99 ${ms(max.p99)}; status ≥ 400: ${max.bad}, errors ${max.errors}${cpuNote('api', max.serverCpuUsPerRequest)}${max.tool === 'wrk' ? '' : `; ${maxCpu}; ${WRK_MISSING}`}`,
        details: {
          tool: max.tool,
          runs: max.all,
          p50: max.p50,
          p99: max.p99,
          bad: max.bad,
          errors: max.errors,
          seconds: max.seconds,
          apiCpuUsPerRecord: max.serverCpuUsPerRequest,
        },
      });
      if (max.bad || max.errors) maxRow.status = 'failed';
      rows.push(maxRow);
      if (max.tool === 'wrk' && !ctx.quick) {
        ctx.log(`api: single records, closed loop with autocannon (for comparison), 64 connections, ${secs} s`);
        const [ac, acCpu] = await clientCpu(() => closedLoop(url, { connections: 64, seconds: secs, requests: singles, tool: 'autocannon' }));
        rows.push({
          stage: 'api single: max with autocannon',
          measured: recs(ac.okPerSecond),
          target: '',
          status: 'info',
          value: ac.okPerSecond,
          unit: 'records/s',
          note: `the same load from a Node client on the same cores; p50 ${ms(ac.p50)}, p99 ${ms(ac.p99)}; ${acCpu}`,
        });
      }

      ctx.log(`api: single records, open loop at 5,000/s, ${secs} s`);
      const [open, openCpu] = await clientCpu(() =>
        openLoop({ url, rate: 5000, durationMs: secs * 1000, warmupMs: 2000, request: (i) => singles[Math.abs(i) % singles.length]! }),
      );
      const lat = summarize(open.latenciesMs);
      const achieved = open.ok / (open.elapsedMs / 1000);
      rows.push(
        judged('api single: p99 at 5,000/s', lat.p99, 'ms', { atMost: 25 }, ms, {
          note: `open loop (due-time latency, after 2 s at the same rate not measured); p50 ${ms(lat.p50)}, max ${ms(lat.max)}; ${Math.round(achieved)} ok/s, errors ${open.errors}, dropped ${open.dropped}; ${openCpu}`,
          details: { latency: lat, achievedPerSecond: achieved, errors: open.errors, dropped: open.dropped, statuses: open.statuses },
        }),
      );

      if (!ctx.quick) {
        ctx.log(`api: single records, autocannon overallRate 5,000/s, ${secs} s`);
        const capped = await cannon(url, { connections: 50, seconds: secs, requests: singles, overallRate: 5000 });
        rows.push({
          stage: 'api single: autocannon overallRate 5,000/s',
          measured: `p99 ${ms(capped.latency.p99)}`,
          target: '',
          status: 'info',
          value: capped.latency.p99,
          unit: 'ms',
          note: `per-connection token bucket refilled each second (bursty); p50 ${ms(capped.latency.p50)}; ${Math.round(capped['2xx'] / capped.duration)} ok/s`,
          details: { latency: capped.latency },
        });
      }

      const perBulk = 1000;
      ctx.log(`api: bulk of ${perBulk} records, closed loop, 4 connections, ${secs} s`);
      const bulkList = bulkBodies(11, 16, perBulk).map((body) => ({ path: '/bulk', body }));
      const [bulk, bulkCpu] = await clientCpu(() => repeatedClosedLoop(url, { connections: 4, seconds: secs, requests: bulkList }, RUNS, proc.child.pid));
      const bulkRow = judged(`api bulk (${perBulk} records/request)`, bulk.okPerSecond * perBulk, 'records/s', { atLeast: 150_000 }, recs, {
        note: `${bulk.tool}, closed loop, 4 conns, median of ${range(bulk.all, perBulk)}; p50 ${ms(bulk.p50)}, p99 ${ms(bulk.p99)} per request; status ≥ 400: ${bulk.bad}, errors ${bulk.errors}${cpuNote('api', bulk.serverCpuUsPerRequest, perBulk)}${bulk.tool === 'wrk' ? '' : `; ${bulkCpu}`}`,
        details: {
          tool: bulk.tool,
          runs: bulk.all.map((x) => x * perBulk),
          p50: bulk.p50,
          p99: bulk.p99,
          bad: bulk.bad,
          errors: bulk.errors,
          apiCpuUsPerRecord: bulk.serverCpuUsPerRequest === null ? null : bulk.serverCpuUsPerRequest / perBulk,
        },
      });
      if (bulk.bad || bulk.errors) bulkRow.status = 'failed';
      rows.push(bulkRow);

      const res = await proc.stop();
      const third = Math.max(1, Math.floor(rss.length / 3));
      const early = Math.max(...rss.slice(0, third));
      const late = Math.max(...rss.slice(-third));
      rows.push({
        stage: 'api memory',
        measured: formatValue(res.peakRssMb ?? Number.NaN, 'MiB'),
        target: 'bounded',
        status: late <= early * 1.2 + 16 ? 'met' : 'missed',
        value: res.peakRssMb ?? undefined,
        unit: 'MiB',
        peakRssMb: res.peakRssMb,
        note: `peak RSS over all runs; RSS first vs last third of the max runs: ${Math.round(early)} vs ${Math.round(late)} MiB; exit ${res.code}`,
      });
      for (const r of rows) r.peakRssMb ??= res.peakRssMb;
      if (res.profile) rows.at(-1)!.details = { profile: res.profile };
      rows.push(...(await floorRows(ctx, singles, bulkList, perBulk, { single: max, bulk })));
      return rows;
    } finally {
      await stack.cleanup();
    }
  },
};

/**
 * The floor (http-floor.ts): the same closed loops against a bare Node HTTP server, after the api
 * has stopped, and the api's share of it. What the api adds per record is the gap.
 */
async function floorRows(
  ctx: BenchContext,
  singles: { path: string; body: string }[],
  bulkList: { path: string; body: string }[],
  perBulk: number,
  api: { single: { okPerSecond: number }; bulk: { okPerSecond: number } },
): Promise<Row[]> {
  const secs = ctx.sizes.apiSeconds;
  ctx.log('api: the floor, a bare Node HTTP server under the same loads');
  const floor = await startHttpFloor();
  try {
    const single = await repeatedClosedLoop(floor.url, { connections: 64, seconds: secs, requests: singles }, RUNS, floor.pid);
    const bulk = await repeatedClosedLoop(floor.url, { connections: 4, seconds: secs, requests: bulkList }, RUNS, floor.pid);
    const row = (stage: string, f: typeof single, per: number, apiPerSecond: number, what: string): Row => ({
      stage,
      measured: recs(f.okPerSecond * per),
      target: '',
      status: f.bad || f.errors ? 'failed' : 'info',
      value: f.okPerSecond * per,
      unit: 'records/s',
      note: `${what}, the api's load (${f.tool}, median of ${range(f.all, per)}); api / floor ${(apiPerSecond / f.okPerSecond).toFixed(2)}${cpuNote('floor', f.serverCpuUsPerRequest, per)}`,
      details: {
        runs: f.all.map((x) => x * per),
        ratio: apiPerSecond / f.okPerSecond,
        floorCpuUsPerRecord: f.serverCpuUsPerRequest === null ? null : f.serverCpuUsPerRequest / per,
      },
    });
    return [
      row('api single: floor (bare Node HTTP)', single, 1, api.single.okPerSecond, 'a Node HTTP server that reads each body and answers 202, nothing else'),
      row(`api bulk: floor (bare Node HTTP + JSON.parse)`, bulk, perBulk, api.bulk.okPerSecond, 'the same server, each /bulk body parsed with JSON.parse'),
    ];
  } finally {
    floor.stop();
  }
}

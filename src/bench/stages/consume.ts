/**
 * consume-batch and consume-stream: pre-fill a fresh log with stamped records, then time
 * `pinpipe <role> --until-idle` (process start to exit, start-up included).
 * - throughput: N records stamped at 15,000 records/s (a backlog built at the API's target rate);
 * - memory: peak RSS with a backlog of N/4, N and 2N records stamped at a rate that makes them span
 *   5, 20 and 40 minutes, far more than any state the roles may hold (the stream keeps a record
 *   until about two minutes after its minute), so a bounded role stops growing: judged on N vs 2N.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { failureText, runRole, type ChildResult } from '../child.js';
import { prefillLog } from '../prefill.js';
import { makeStack } from '../stack.js';
import { probeState } from '../state-probe.js';
import { formatNumber, formatValue } from '../stats.js';
import { judged, type BenchContext, type Row, type Stage } from '../types.js';

type Role = 'consume-batch' | 'consume-stream';

interface Run {
  records: number;
  result: ChildResult;
  /** records the role reports (stdout summary) */
  reported: number | null;
  /** lines found in the raw zone (consume-batch on the local lake) */
  inLake: number | null;
  prefillSeconds: number;
}

/** Lines in every raw object under dir (a check that the role really wrote the records). */
function countRawLines(dir: string): number {
  let n = 0;
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.name.endsWith('.ndjson.gz')) {
        const text = gunzipSync(readFileSync(p));
        for (let i = 0; i < text.length; i++) if (text[i] === 10) n++;
      }
    }
  };
  try {
    walk(dir);
  } catch {
    return n;
  }
  return n;
}

async function oneRun(ctx: BenchContext, role: Role, records: number, ratePerSecond: number, profile: boolean): Promise<Run> {
  const stack = await makeStack({ real: ctx.real, lake: ctx.lake, label: role });
  try {
    ctx.log(`${role}: pre-filling the log with ${formatNumber(records)} records stamped at ${formatNumber(ratePerSecond)}/s`);
    const fill = await prefillLog(stack.config, records, { ratePerSecond });
    ctx.log(`${role}: pre-filled in ${fill.seconds.toFixed(1)} s; running ${role} --until-idle`);
    const result = await runRole({
      label: role,
      args: [role, '--until-idle'],
      stack,
      timeoutMs: 15 * 60_000,
      cpuProfDir: profile ? path.join(ctx.profileDir, `${role}-${records}`) : undefined,
    });
    const m = /:\s*(\d+) records/.exec(result.stdout);
    const inLake = role === 'consume-batch' && !stack.s3 && result.code === 0 ? countRawLines(path.join(stack.dataDir, 'lake', 'raw')) : null;
    return { records, result, reported: m ? Number(m[1]) : null, inLake, prefillSeconds: fill.seconds };
  } finally {
    await stack.cleanup();
  }
}

function consumeStage(role: Role, target: number, summary: string): Stage {
  return {
    name: role,
    summary,
    async run(ctx) {
      const { consumeRecords } = ctx.sizes;
      const target$ = `≥ ${formatValue(target, 'records/s')}`;
      const large = await oneRun(ctx, role, consumeRecords, 15_000, ctx.profile);
      const rows: Row[] = [];
      if (large.result.code !== 0) {
        return [
          {
            stage: `${role}: throughput`,
            measured: '–',
            target: target$,
            status: large.result.notLanded ? 'not-landed' : 'failed',
            note: failureText(large.result),
          },
        ];
      }
      const seconds = large.result.ms / 1000;
      const rate = large.records / seconds;
      const checks = [`${formatNumber(large.records)} records stamped at 15,000/s, read in ${seconds.toFixed(1)} s (process start to exit)`];
      if (large.reported !== null) checks.push(`role reports ${formatNumber(large.reported)}`);
      if (large.inLake !== null) checks.push(`${formatNumber(large.inLake)} lines in the raw zone`);
      const row = judged(`${role}: throughput`, rate, 'records/s', { atLeast: target }, (n) => formatValue(n, 'records/s'), {
        peakRssMb: large.result.peakRssMb,
        note: checks.join('; '),
        details: { records: large.records, seconds, reported: large.reported, inLake: large.inLake, profile: large.result.profile },
      });
      if ((large.reported !== null && large.reported < large.records) || (large.inLake !== null && large.inLake !== large.records)) {
        row.status = 'failed';
        row.note += ' — fewer records out than in';
      }
      rows.push(row);

      // memory: the same input rate, backlogs of N/4, N and 2N records (5, 20 and 40 minutes of
      // records); the held state is the same in all three, so a bounded role stops growing. The
      // verdict compares N with 2N: from N/4 to N the peak still includes V8 sizing its heap up
      // over the first seconds of a run (BENCHMARKS.md, consume-stream memory)
      const slow = consumeRecords / (20 * 60);
      const ladder: Run[] = [];
      for (const n of [Math.round(consumeRecords / 4), consumeRecords, consumeRecords * 2]) ladder.push(await oneRun(ctx, role, n, slow, false));
      const peaks = ladder.map((r) => (r.result.code === 0 ? (r.result.peakRssMb ?? Number.NaN) : Number.NaN));
      const [, a, b] = peaks as [number, number, number];
      const broken = ladder.find((r) => r.result.code !== 0);
      rows.push({
        stage: `${role} memory`,
        measured: peaks.map((x) => formatValue(x, 'MiB')).join(' → '),
        target: 'bounded',
        status: peaks.every(Number.isFinite) ? (b <= a * 1.25 + 32 ? 'met' : 'missed') : 'failed',
        value: b,
        unit: 'MiB',
        peakRssMb: Math.max(...peaks.filter(Number.isFinite)),
        note: `peak RSS with a backlog of ${ladder.map((r) => formatNumber(r.records)).join(' / ')} records at one rate (5 / 20 / 40 min of records); bounded: the 2x backlog peaks ≤ 1.25x + 32 MiB of the 1x${broken ? `; ${failureText(broken.result)}` : ''}`,
        details: { records: ladder.map((r) => r.records), peakRssMb: peaks },
      });
      if (role === 'consume-stream') rows.push(stateRow(Math.round(consumeRecords / 10)));
      return rows;
    },
  };
}

/** the processor's live heap per held record (src/bench/state-probe.ts): the ladder's peaks without V8's heap sizing */
function stateRow(postings: number): Row {
  try {
    const p = probeState(postings);
    return {
      stage: 'consume-stream state per held record',
      measured: `${formatNumber(p.bytesPerRecord)} bytes`,
      target: '',
      status: 'info',
      value: p.bytesPerRecord,
      unit: 'bytes',
      note: `live heap after a full GC with ${formatNumber(p.held)} records held (${formatNumber(p.postings)} postings within one minute, built-in metrics): ${p.heapMb} MB`,
      details: { ...p },
    };
  } catch (e) {
    return { stage: 'consume-stream state per held record', measured: '–', target: '', status: 'failed', note: (e as Error).message };
  }
}

export const consumeBatchStage = consumeStage('consume-batch', 100_000, 'log → raw zone (records/s) and memory vs backlog');
export const consumeStreamStage = consumeStage('consume-stream', 50_000, 'log → R1–R5 views (records/s) and memory vs backlog');

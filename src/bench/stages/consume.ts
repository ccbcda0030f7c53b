/**
 * consume-batch and consume-stream throughput: pre-fill a fresh log with N stamped records, then
 * time `pinpipe <role> --until-idle` (process start to exit, start-up included). Run twice, with a
 * small and a large backlog (ingested_at spanning 60 s and 240 s), to see whether peak RSS grows
 * with the backlog.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { failureText, runRole, type ChildResult } from '../child.js';
import { prefillLog } from '../prefill.js';
import { makeStack } from '../stack.js';
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

async function oneRun(ctx: BenchContext, role: Role, records: number, profile: boolean): Promise<Run> {
  // stamps at a rate that makes the small backlog span 60 s and the large one 4x that, so the
  // stream's held state (lateness + join window = 40 s of records) is full in both runs
  const ratePerSecond = ctx.sizes.consumeSmall / 60;
  const stack = await makeStack({ real: ctx.real, label: role });
  try {
    ctx.log(`${role}: pre-filling the log with ${formatNumber(records)} records`);
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
    const inLake = role === 'consume-batch' && !stack.real && result.code === 0 ? countRawLines(path.join(stack.dataDir, 'lake', 'raw')) : null;
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
      const { consumeSmall, consumeRecords } = ctx.sizes;
      const small = await oneRun(ctx, role, consumeSmall, false);
      if (small.result.code !== 0) {
        return [{ stage: `${role}: throughput`, measured: '–', target: `≥ ${formatValue(target, 'records/s')}`, status: small.result.notLanded ? 'not-landed' : 'failed', note: failureText(small.result) }];
      }
      const large = await oneRun(ctx, role, consumeRecords, ctx.profile);
      const rows: Row[] = [];
      if (large.result.code !== 0) {
        rows.push({ stage: `${role}: throughput`, measured: '–', target: `≥ ${formatValue(target, 'records/s')}`, status: 'failed', note: failureText(large.result) });
      } else {
        const seconds = large.result.ms / 1000;
        const rate = large.records / seconds;
        const checks = [`${formatNumber(large.records)} records in ${seconds.toFixed(1)} s (process start to exit)`];
        if (large.reported !== null) checks.push(`role reports ${formatNumber(large.reported)} records`);
        if (large.inLake !== null) checks.push(`${formatNumber(large.inLake)} lines in the raw zone`);
        const short = (large.reported !== null && large.reported < large.records) || (large.inLake !== null && large.inLake !== large.records);
        const row = judged(`${role}: throughput`, rate, 'records/s', { atLeast: target }, (n) => formatValue(n, 'records/s'), {
          peakRssMb: large.result.peakRssMb,
          note: checks.join('; '),
          details: { records: large.records, seconds, reported: large.reported, inLake: large.inLake, profile: large.result.profile },
        });
        if (short) {
          row.status = 'failed';
          row.note += ' — fewer records out than in';
        }
        rows.push(row);
      }
      const a = small.result.peakRssMb ?? Number.NaN;
      const b = large.result.peakRssMb ?? Number.NaN;
      rows.push({
        stage: `${role} memory`,
        measured: `${formatValue(a, 'MiB')} → ${formatValue(b, 'MiB')}`,
        target: 'bounded',
        status: Number.isFinite(a) && Number.isFinite(b) ? (b <= a * 1.25 + 32 ? 'met' : 'missed') : 'failed',
        value: b,
        unit: 'MiB',
        peakRssMb: b,
        note: `peak RSS with a backlog of ${formatNumber(small.records)} vs ${formatNumber(large.records)} records (bounded: ≤ 1.25× + 32 MiB)`,
      });
      return rows;
    },
  };
}

export const consumeBatchStage = consumeStage('consume-batch', 100_000, 'log → raw zone (records/s) and memory vs backlog');
export const consumeStreamStage = consumeStage('consume-stream', 50_000, 'log → R1–R5 views (records/s) and memory vs backlog');

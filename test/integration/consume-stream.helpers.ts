/**
 * Helpers for the consume-stream integration tests on the embedded stack: produce stamped
 * records (test-chosen ingested_at) straight into the log, run the CLI, read the views back.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadConfig, type Config } from '../../src/core/config.js';
import { EmbeddedLog } from '../../src/connectors/log/embedded.js';
import type { Log } from '../../src/connectors/log/types.js';
import { EmbeddedRealtime } from '../../src/connectors/realtime/embedded.js';
import { fromTableRow } from '../../src/connectors/realtime/rows.js';
import type { Checkpoint, WindowRow } from '../../src/connectors/realtime/types.js';
import { EmbeddedStore } from '../../src/connectors/store/embedded.js';
import { TestLog, type Rec } from '../unit/stream-harness.js';
import type { MetricSet } from '../../src/metrics/registry.js';
import { BUILTIN, REALTIME_IDS } from '../support/metrics.js';

export const ROOT = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../..');
export const BIN = path.join(ROOT, 'bin/pinpipe');
export const METRICS = REALTIME_IDS;

export function requireBuild(): void {
  if (!existsSync(path.join(ROOT, 'dist/commands/consume-stream.js')))
    throw new Error('dist/ is missing: build first with `npx tsc -p tsconfig.json` (npm test does)');
}

export function tmpDir(): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'pinpipe-stream-'));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

export const configFor = (dir: string, extra: Record<string, unknown> = {}): Config => loadConfig({ env: {}, flags: { dataDir: dir, ...extra } });

/** the records of a TestLog (each topic's partition 0, in order) as one list */
export function recordsOf(log: TestLog): Rec[] {
  const out: Rec[] = [];
  for (const p of log.parts.values()) for (const value of p.values) out.push({ type: p.topic as Rec['type'], value });
  return out;
}

const indOf = (value: string): string => {
  try {
    const v = JSON.parse(value) as { index?: number; ind?: number };
    return String(v.index ?? v.ind ?? 0);
  } catch {
    return '0';
  }
};

/**
 * Append records to the log (embedded by default; key = ind, like the API) and mirror where each landed
 * into `into` (a TestLog with the log's partitions), for the reference computation.
 */
export async function produce(dir: string, recs: Rec[], into: TestLog, on: { log?: Log; topicPrefix?: string } = {}): Promise<void> {
  const log = on.log ?? new EmbeddedLog(configFor(dir));
  const prefix = on.topicPrefix ?? '';
  const producer = log.producer();
  await producer.connect();
  try {
    for (let i = 0; i < recs.length; i += 1000) {
      const chunk = recs.slice(i, i + 1000);
      const res = await producer.send(chunk.map((r) => ({ topic: prefix + r.type, key: indOf(r.value), value: r.value })));
      res.forEach((x, j) => {
        into.parts.get(`${chunk[j]!.type}:${x.partition}`)!.values[x.offset] = chunk[j]!.value;
      });
    }
  } finally {
    await producer.close();
  }
}

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export function spawnCli(dir: string, args: string[], extraEnv: Record<string, string> = {}): { child: ChildProcess; done: Promise<CliResult> } {
  const child = spawn(process.execPath, [BIN, ...args, '--data-dir', dir], {
    cwd: dir,
    env: { PATH: process.env.PATH ?? '', NO_COLOR: '1', ...extraEnv },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d) => (stdout += d));
  child.stderr!.on('data', (d) => (stderr += d));
  const done = new Promise<CliResult>((resolve) => child.on('exit', (code, signal) => resolve({ code, signal, stdout, stderr })));
  return { child, done };
}

export async function runCli(dir: string, args: string[], timeoutMs = 50_000, extraEnv: Record<string, string> = {}): Promise<CliResult> {
  const { child, done } = spawnCli(dir, args, extraEnv);
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  const res = await done;
  clearTimeout(timer);
  return res;
}

/** every realtime row of every metric, in a stable order */
export async function readViews(dir: string, set: MetricSet = BUILTIN): Promise<{ rows: WindowRow[]; checkpoint: Checkpoint | null }> {
  const rt = new EmbeddedRealtime(configFor(dir));
  await rt.connect(set.realtime);
  try {
    const rows: WindowRow[] = [];
    for (const m of set.realtime) rows.push(...(await rt.read(m.id)));
    return { rows, checkpoint: await rt.loadCheckpoint('pinpipe-stream') };
  } finally {
    await rt.close();
  }
}

export async function readCheckpoint(dir: string): Promise<Checkpoint | null> {
  const rt = new EmbeddedRealtime(configFor(dir));
  await rt.connect(BUILTIN.realtime);
  try {
    return await rt.loadCheckpoint('pinpipe-stream');
  } finally {
    await rt.close();
  }
}

/** the final rows of the serving store's rt_* tables, as WindowRows */
export async function readServing(dir: string, set: MetricSet = BUILTIN): Promise<WindowRow[]> {
  const store = new EmbeddedStore(configFor(dir));
  await store.connect();
  try {
    const rows: WindowRow[] = [];
    for (const m of set.realtime) rows.push(...(await store.select(m.spec, { final: true })).map((r) => fromTableRow(m, r)));
    return rows.sort((a, b) => `${a.metric}|${a.minute}|${a.key}`.localeCompare(`${b.metric}|${b.minute}|${b.key}`));
  } finally {
    await store.close();
  }
}

/** final rows of a view, without rows whose count dropped to 0, keyed `metric|minute|key` */
export function finalRowsByKey(rows: WindowRow[]): Map<string, Record<string, number | null>> {
  return new Map(rows.filter((r) => r.final && r.values.postings !== 0).map((r) => [`${r.metric}|${r.minute}|${r.key}`, r.values]));
}

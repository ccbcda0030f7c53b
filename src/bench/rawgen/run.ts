/**
 * Generate a raw zone: plan (counting pre-pass), then the tasks across worker threads (one per
 * core by default; 0 = inline), then the `_SUCCESS` markers. Deterministic from the spec: the
 * same spec writes byte-identical decompressed objects at identical keys.
 */
import os from 'node:os';
import { Worker } from 'node:worker_threads';
import { buildPool, DEFAULT_POOL_SIZE } from './lines.js';
import { planRaw, postingsOf, type RawSpec, type Task } from './plan.js';
import { runTask, writeDayMarkers, type TaskResult } from './task.js';

export interface GenerateOptions {
  /** worker threads (default: available cores; 0 = run inline) */
  workers?: number;
  onProgress?: (done: number, total: number) => void;
}

export interface GenerateResult extends TaskResult {
  postings: number;
  perTopic: [number, number, number];
  seconds: number;
}

/** Defaults: consume-batch's chunking settings, a 24-hour spread, 3 partitions. */
export function rawSpec(over: Partial<RawSpec> & Pick<RawSpec, 'records' | 'day'>): RawSpec {
  return { seed: 1, partitions: 3, spanMs: 86_400_000, chunkRecords: 50_000, chunkSpanMs: 60_000, poolSize: DEFAULT_POOL_SIZE, ...over };
}

export async function generateRaw(spec: RawSpec, lakeDir: string, opts: GenerateOptions = {}): Promise<GenerateResult> {
  const t0 = performance.now();
  const workers = opts.workers ?? Math.max(1, os.availableParallelism());
  const sab = new SharedArrayBuffer(Math.max(1, postingsOf(spec)));
  const plan = planRaw(spec, sab);
  const total: TaskResult = { records: 0, objects: 0, rawBytes: 0, gzBytes: 0 };
  const add = (r: TaskResult) => {
    total.records += r.records;
    total.objects += r.objects;
    total.rawBytes += r.rawBytes;
    total.gzBytes += r.gzBytes;
    opts.onProgress?.(total.records, spec.records);
  };
  if (workers === 0) {
    const pool = buildPool(spec.seed, spec.poolSize);
    for (const task of plan.tasks) add(runTask(plan, pool, task, lakeDir));
  } else {
    await runOnWorkers(plan.tasks, Math.min(workers, plan.tasks.length), { spec, partitions: sab, lakeDir }, add);
  }
  writeDayMarkers(spec, lakeDir);
  return { ...total, postings: plan.postings, perTopic: plan.perTopic, seconds: (performance.now() - t0) / 1000 };
}

function runOnWorkers(
  tasks: Task[],
  n: number,
  data: { spec: RawSpec; partitions: SharedArrayBuffer; lakeDir: string },
  add: (r: TaskResult) => void,
): Promise<void> {
  const queue = [...tasks];
  const url = new URL('./worker.js', import.meta.url);
  return new Promise<void>((resolve, reject) => {
    let live = n;
    let failed = false;
    const all: Worker[] = [];
    const fail = (e: Error) => {
      if (failed) return;
      failed = true;
      for (const w of all) void w.terminate();
      reject(e);
    };
    for (let i = 0; i < n; i++) {
      const w = new Worker(url, { workerData: data });
      all.push(w);
      const next = () => w.postMessage(queue.shift() ?? null);
      w.on('message', (m: { ready?: boolean; ok?: boolean; result?: TaskResult; error?: string }) => {
        if (m.ready) return next();
        if (!m.ok) return fail(new Error(`raw generator task failed: ${m.error}`));
        add(m.result!);
        next();
      });
      w.on('error', fail);
      w.on('exit', (code) => {
        if (code !== 0 && !failed) return fail(new Error(`raw generator worker exited with code ${code}`));
        if (--live === 0 && !failed) resolve();
      });
    }
  });
}

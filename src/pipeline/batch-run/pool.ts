/**
 * Runs staging over many raw chunks: in worker threads (one per core) when the compiled worker is
 * available, else in this thread (e.g. under ts-jest). Either way the same stageFile() runs.
 */
import { existsSync } from 'node:fs';
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { PinpipeError } from '../../core/errors.js';
import { TOPICS, type RecordType } from '../../core/records.js';
import { StageWriter, addCounts, emptyCounts, stageFile, type StageCounts, type StageTask } from './stage.js';

export interface StageResult {
  /** staged CSV files by topic */
  files: Record<RecordType, string[]>;
  /** counts of the tasks with count: true, by topic */
  counts: Record<RecordType, StageCounts>;
}

export interface PoolOptions {
  /** worker threads; 0 = in this thread; default: the machine's cores */
  workers?: number;
  onFile?: (done: number, total: number) => void;
}

const WORKER_URL = new URL('./stage-worker.js', import.meta.url);

function workerAvailable(): boolean {
  try {
    return WORKER_URL.protocol === 'file:' && existsSync(fileURLToPath(WORKER_URL));
  } catch {
    return false;
  }
}

export async function stageAll(tasks: StageTask[], outDir: string, opts: PoolOptions = {}): Promise<StageResult> {
  const result: StageResult = {
    files: { pin: [], geo: [], user: [] },
    counts: { pin: emptyCounts(), geo: emptyCounts(), user: emptyCounts() },
  };
  const wanted = Math.min(opts.workers ?? os.availableParallelism(), tasks.length);
  let done = 0;
  const finish = (task: StageTask, c: StageCounts) => {
    if (task.count) addCounts(result.counts[task.topic], c);
    opts.onFile?.(++done, tasks.length);
  };
  const collect = (files: Partial<Record<RecordType, string>>) => {
    for (const t of TOPICS) if (files[t]) result.files[t].push(files[t]!);
  };

  if (wanted <= 1 || !workerAvailable()) {
    const writer = new StageWriter(outDir, 'main');
    try {
      for (const task of tasks) finish(task, await stageFile(task, writer));
    } finally {
      collect(writer.close());
    }
    return result;
  }

  let next = 0;
  const workers: Worker[] = [];
  const runWorker = (id: number) =>
    new Promise<void>((resolve, reject) => {
      const w = new Worker(WORKER_URL, { workerData: { outDir, id: `w${id}` } });
      workers.push(w);
      let current: StageTask | undefined;
      const fail = (why: string) => {
        next = tasks.length; // stop feeding every worker
        for (const x of workers) void x.terminate();
        reject(new PinpipeError('INTERNAL', `staging ${current?.file ?? ''} failed: ${why}`));
      };
      const feed = () => {
        current = tasks[next++];
        w.postMessage(current ? { type: 'task', task: current } : { type: 'close' });
      };
      w.on('message', (m: { type: string; counts?: StageCounts; files?: Partial<Record<RecordType, string>>; message?: string }) => {
        if (m.type === 'done') {
          finish(current!, m.counts!);
          feed();
        } else if (m.type === 'closed') {
          collect(m.files!);
          void w.terminate().then(() => resolve());
        } else fail(m.message ?? 'unknown worker error');
      });
      w.on('error', (e) => fail(e.message));
      feed();
    });
  await Promise.all(Array.from({ length: wanted }, (_, i) => runWorker(i)));
  return result;
}

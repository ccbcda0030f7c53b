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
  /** tasks with `offsets` given up (nothing staged for them; stage their whole files instead) */
  escalated: StageTask[];
}

export interface PoolOptions {
  /** worker threads; 0 = in this thread; default: the machine's cores */
  workers?: number;
  onFile?: (done: number, total: number) => void;
}

const WORKER_URL = new URL('./stage-worker.js', import.meta.url);
/** blocks per worker: enough to keep both busy to the end, few enough files for the engine */
const BLOCKS_PER_WORKER = 8;

function workerAvailable(): boolean {
  try {
    return WORKER_URL.protocol === 'file:' && existsSync(fileURLToPath(WORKER_URL));
  } catch {
    return false;
  }
}

export async function stageAll(tasks: StageTask[], outDir: string, opts: PoolOptions = {}): Promise<StageResult> {
  if (tasks.length === 0)
    return { files: { pin: [], geo: [], user: [] }, counts: { pin: emptyCounts(), geo: emptyCounts(), user: emptyCounts() }, escalated: [] };
  const result: StageResult = {
    files: { pin: [], geo: [], user: [] },
    counts: { pin: emptyCounts(), geo: emptyCounts(), user: emptyCounts() },
    escalated: [],
  };
  const wanted = Math.min(opts.workers ?? os.availableParallelism(), tasks.length);
  let done = 0;
  const finish = (task: StageTask, c: StageCounts) => {
    if (c.escalate) result.escalated.push(task);
    else if (task.count) addCounts(result.counts[task.topic], c);
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

  // Blocks: contiguous runs of tasks, each staged into files of its own, so the staged rows come
  // in task order whichever worker stages which block (the curated files keep that order).
  const blockCount = Math.min(tasks.length, wanted * BLOCKS_PER_WORKER);
  const blocks = Array.from({ length: blockCount }, (_, b) =>
    tasks.slice(Math.floor((b * tasks.length) / blockCount), Math.floor(((b + 1) * tasks.length) / blockCount)),
  );
  const blockFiles: Partial<Record<RecordType, string>>[] = [];
  let next = 0;
  const workers: Worker[] = [];
  const runWorker = () =>
    new Promise<void>((resolve, reject) => {
      const w = new Worker(WORKER_URL, { workerData: { outDir } });
      workers.push(w);
      let block = -1;
      let inBlock = 0;
      const fail = (why: string) => {
        next = blocks.length; // stop feeding every worker
        for (const x of workers) void x.terminate();
        reject(new PinpipeError('INTERNAL', `staging ${blocks[block]?.[inBlock]?.file ?? ''} failed: ${why}`));
      };
      const feed = () => {
        block = next++;
        inBlock = 0;
        w.postMessage(block < blocks.length ? { type: 'block', id: `b${String(block).padStart(4, '0')}`, tasks: blocks[block] } : { type: 'close' });
      };
      w.on('message', (m: { type: string; counts?: StageCounts; files?: Partial<Record<RecordType, string>>; message?: string }) => {
        if (m.type === 'done') finish(blocks[block]![inBlock++]!, m.counts!);
        else if (m.type === 'block') {
          blockFiles[block] = m.files!;
          feed();
        } else if (m.type === 'closed') void w.terminate().then(() => resolve());
        else fail(m.message ?? 'unknown worker error');
      });
      w.on('error', (e) => fail(e.message));
      feed();
    });
  await Promise.all(Array.from({ length: wanted }, () => runWorker()));
  for (const files of blockFiles) collect(files);
  return result;
}

/**
 * Worker thread of the raw-zone generator: builds the pool once, then runs the tasks the main
 * thread sends (one at a time) and answers each with its result.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { buildPool } from './lines.js';
import { postingsOf, dayStartOf, type RawSpec, type Task } from './plan.js';
import { runTask } from './task.js';

interface Data {
  spec: RawSpec;
  partitions: SharedArrayBuffer;
  lakeDir: string;
}

const { spec, partitions, lakeDir } = workerData as Data;
const postings = postingsOf(spec);
const plan = { spec, postings, dayStart: dayStartOf(spec.day), partitionOf: new Uint8Array(partitions, 0, postings) };
const pool = buildPool(spec.seed, spec.poolSize);

parentPort!.on('message', (task: Task | null) => {
  if (task === null) {
    parentPort!.close();
    return;
  }
  try {
    parentPort!.postMessage({ ok: true, result: runTask(plan, pool, task, lakeDir) });
  } catch (e) {
    parentPort!.postMessage({ ok: false, error: e instanceof Error ? e.message : String(e) });
  }
});
parentPort!.postMessage({ ready: true });

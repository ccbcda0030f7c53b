/**
 * One generator task: the records of one (topic, partition, hour), cut into chunks with
 * consume-batch's rules, each written as a gzip NDJSON object at its raw-zone key under the lake
 * directory. Pure apart from the files it writes; used by the worker threads and inline.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { rawChunkKey } from '../../pipeline/raw-keys.js';
import { TOPICS } from '../../core/records.js';
import { isoMaker, rawLine, type Pool } from './lines.js';
import { hasRecord, ingestMsOf, type Plan, type RawSpec, type Task } from './plan.js';

export interface TaskResult {
  records: number;
  objects: number;
  rawBytes: number;
  gzBytes: number;
}

export interface ChunkOut {
  key: string;
  lines: string[];
}

const pad2 = (n: number) => String(n).padStart(2, '0');

/**
 * The chunks of a task, in offset order, handed to `emit` one at a time (the lines array is
 * reused by the caller only after emit returns).
 */
export function cutTask(plan: Pick<Plan, 'spec' | 'postings' | 'dayStart' | 'partitionOf'>, pool: Pool, task: Task, emit: (chunk: ChunkOut) => void): number {
  const { spec, postings, dayStart, partitionOf } = plan;
  const topic = TOPICS[task.topic];
  const hour = pad2(task.hour);
  const iso = isoMaker();
  let offset = task.firstOffset;
  let lines: string[] = [];
  let firstMs = 0;
  let firstOffset = offset;
  const flush = () => {
    if (lines.length === 0) return;
    emit({ key: rawChunkKey(topic, spec.day, hour, task.partition, firstOffset), lines });
    lines = [];
  };
  for (let k = task.kFrom; k < task.kTo; k++) {
    if (partitionOf[k] !== task.partition || !hasRecord(spec, k, task.topic)) continue;
    const ms = ingestMsOf(dayStart, k, spec.spanMs, postings);
    if (lines.length > 0 && ms - firstMs > spec.chunkSpanMs) flush();
    if (lines.length === 0) {
      firstMs = ms;
      firstOffset = offset;
    }
    lines.push(rawLine(pool, spec.seed, k, task.topic, iso(ms), task.partition, offset));
    offset++;
    if (lines.length >= spec.chunkRecords) flush();
  }
  flush();
  return offset - task.firstOffset;
}

/** Run a task and write its objects under lakeDir (gzip level 1). */
export function runTask(plan: Pick<Plan, 'spec' | 'postings' | 'dayStart' | 'partitionOf'>, pool: Pool, task: Task, lakeDir: string): TaskResult {
  const res: TaskResult = { records: 0, objects: 0, rawBytes: 0, gzBytes: 0 };
  let madeDir = '';
  res.records = cutTask(plan, pool, task, ({ key, lines }) => {
    const file = path.join(lakeDir, key);
    const dir = path.dirname(file);
    if (dir !== madeDir) {
      mkdirSync(dir, { recursive: true });
      madeDir = dir;
    }
    const body = Buffer.from(lines.join('\n') + '\n', 'utf8');
    const gz = gzipSync(body, { level: 1 });
    writeFileSync(file, gz);
    res.objects++;
    res.rawBytes += body.length;
    res.gzBytes += gz.length;
  });
  return res;
}

/** The `_SUCCESS` day markers, as consume-batch writes them. */
export function writeDayMarkers(spec: RawSpec, lakeDir: string, at = new Date().toISOString()): void {
  for (const topic of TOPICS) {
    const dir = path.join(lakeDir, 'raw', topic, `dt=${spec.day}`);
    mkdirSync(dir, { recursive: true });
    writeFileSync(path.join(dir, '_SUCCESS'), JSON.stringify({ topic, day: spec.day, at }) + '\n');
  }
}

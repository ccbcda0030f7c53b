/**
 * The shape of a generated raw zone, as consume-batch would have written it after reading a log
 * that received the postings in order: posting k (records pin, geo, user; key String(k)) was
 * ingested at dayStart + ⌊k·span/postings⌋ ms, went to partition murmur2(key) of each topic, and
 * got the next offset there. Chunks are cut with consume-batch's rules (chunkRecords, hour
 * boundary, record-time span > chunkSpan). Work is split into independent tasks, one per
 * (topic, partition, hour), whose first offsets are known from a counting pre-pass.
 */
import { murmur2 } from '../../connectors/log/embedded-topics.js';
import { parseDay } from '../../core/time.js';
import type { TopicIndex } from './lines.js';

export interface RawSpec {
  seed: number;
  /** raw records in total (pin, geo, user of postings 0, 1, ...; the last posting may be partial) */
  records: number;
  /** YYYY-MM-DD: the day partition the records are ingested in */
  day: string;
  partitions: number;
  /** ingestion spread from the start of the day, ms (≤ 24 h) */
  spanMs: number;
  chunkRecords: number;
  chunkSpanMs: number;
  poolSize: number;
}

export const HOUR_MS = 3_600_000;
export const DAY_MS = 86_400_000;

export function checkSpec(s: RawSpec): void {
  if (!(Number.isSafeInteger(s.records) && s.records >= 1)) throw new RangeError(`records must be a positive integer, got ${s.records}`);
  if (parseDay(s.day) === null) throw new RangeError(`day must be YYYY-MM-DD, got ${s.day}`);
  if (!(s.spanMs >= 1 && s.spanMs <= DAY_MS)) throw new RangeError(`spanMs must be in [1, ${DAY_MS}], got ${s.spanMs}`);
  if (!(s.partitions >= 1 && s.partitions <= 255)) throw new RangeError(`partitions must be in [1, 255], got ${s.partitions}`);
}

export const postingsOf = (s: Pick<RawSpec, 'records'>): number => Math.ceil(s.records / 3);
export const dayStartOf = (day: string): number => Date.parse(`${day}T00:00:00.000Z`);
/** Whether posting k has a record of this topic (only the last posting may be partial). */
export const hasRecord = (s: Pick<RawSpec, 'records'>, k: number, topic: TopicIndex): boolean => 3 * k + topic < s.records;
/** ingested_at of posting k, epoch ms */
export const ingestMsOf = (dayStart: number, k: number, spanMs: number, postings: number): number => dayStart + Math.floor((k * spanMs) / postings);

const keyBytes = new Uint8Array(20);
/** Kafka's default partition of key String(k) (what the embedded log and Kafka choose). */
export function partitionOfKey(k: number, partitions: number): number {
  let n = 0;
  const s = String(k);
  for (let i = 0; i < s.length; i++) keyBytes[n++] = s.charCodeAt(i);
  return (murmur2(keyBytes.subarray(0, n)) & 0x7fffffff) % partitions;
}

export interface Task {
  topic: TopicIndex;
  partition: number;
  /** 0–23 */
  hour: number;
  /** postings [kFrom, kTo) ingested in this hour */
  kFrom: number;
  kTo: number;
  /** offset of the first record of this topic-partition in this hour */
  firstOffset: number;
  /** records of this task */
  count: number;
}

export interface Plan {
  spec: RawSpec;
  postings: number;
  dayStart: number;
  /** partition of each posting */
  partitionOf: Uint8Array;
  tasks: Task[];
  /** records per topic */
  perTopic: [number, number, number];
}

/** Counting pre-pass: partitions of every posting and the tasks with their first offsets. */
export function planRaw(spec: RawSpec, partitionBuffer?: SharedArrayBuffer): Plan {
  checkSpec(spec);
  const postings = postingsOf(spec);
  const dayStart = dayStartOf(spec.day);
  const partitionOf = partitionBuffer ? new Uint8Array(partitionBuffer, 0, postings) : new Uint8Array(postings);
  const P = spec.partitions;
  // counts[(topic * P + partition) * 24 + hour]
  const counts = new Float64Array(3 * P * 24);
  const hourStart = new Float64Array(25).fill(Number.NaN);
  for (let k = 0; k < postings; k++) {
    const p = partitionOfKey(k, P);
    partitionOf[k] = p;
    const h = Math.floor((ingestMsOf(dayStart, k, spec.spanMs, postings) - dayStart) / HOUR_MS);
    if (Number.isNaN(hourStart[h]!)) hourStart[h] = k;
    for (let t = 0 as TopicIndex; t < 3; t++) if (hasRecord(spec, k, t as TopicIndex)) counts[(t * P + p) * 24 + h]!++;
  }
  // first posting of each hour (hours with no posting take the next hour's start)
  hourStart[24] = postings;
  for (let h = 23; h >= 0; h--) if (Number.isNaN(hourStart[h]!)) hourStart[h] = hourStart[h + 1]!;
  const tasks: Task[] = [];
  const perTopic: [number, number, number] = [0, 0, 0];
  for (let t = 0; t < 3; t++) {
    for (let p = 0; p < P; p++) {
      let offset = 0;
      for (let h = 0; h < 24; h++) {
        const count = counts[(t * P + p) * 24 + h]!;
        if (count > 0) tasks.push({ topic: t as TopicIndex, partition: p, hour: h, kFrom: hourStart[h]!, kTo: hourStart[h + 1]!, firstOffset: offset, count });
        offset += count;
      }
      perTopic[t] += offset;
    }
  }
  // largest first, so that the last tasks to finish are small ones
  const weight = (x: Task) => x.count * (x.topic === 0 ? 3 : 1); // pin lines are about 3x longer
  tasks.sort((a, b) => weight(b) - weight(a) || a.topic - b.topic || a.partition - b.partition || a.hour - b.hour);
  return { spec, postings, dayStart, partitionOf, tasks, perTopic };
}

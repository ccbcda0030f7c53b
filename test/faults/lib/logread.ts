/**
 * Reading a log back from a test (embedded or Kafka, through the Log interface): end offsets
 * per topic-partition, and every record up to those ends, with a deadline.
 */
import { randomBytes } from 'node:crypto';
import type { Log, LogRecord } from '../../../src/connectors/log/types.js';
import { waitFor } from '../../support/wait.js';

/** `topic:partition` → end offset, for the given topics */
export async function endOffsets(log: Log, topics: string[]): Promise<Map<string, number>> {
  const admin = log.admin();
  try {
    const out = new Map<string, number>();
    for (const t of topics) (await admin.endOffsets(t)).forEach((end, p) => out.set(`${t}:${p}`, end));
    return out;
  } finally {
    await admin.close();
  }
}

export const total = (ends: Map<string, number>): number => [...ends.values()].reduce((a, b) => a + b, 0);

/** Every record of the topics up to their current ends (a throw-away consumer group). */
export async function readAll(log: Log, topics: string[], timeoutMs = 60_000): Promise<LogRecord[]> {
  const ends = await endOffsets(log, topics);
  const want = total(ends);
  const out: LogRecord[] = [];
  if (want === 0) return out;
  const seen = new Map<string, number>();
  const consumer = log.consumer({ groupId: `faults-read-${randomBytes(4).toString('hex')}`, topics, fromBeginning: true, maxBatchRecords: 5000 });
  await consumer.connect();
  try {
    await consumer.run({
      eachBatch: async (b) => {
        const key = `${b.topic}:${b.partition}`;
        const end = ends.get(key) ?? 0;
        for (const r of b.records) {
          if (r.offset >= end) continue;
          if ((seen.get(key) ?? -1) >= r.offset) continue;
          seen.set(key, r.offset);
          out.push(r);
        }
      },
    });
    await waitFor(() => [...ends].every(([k, end]) => end === 0 || (seen.get(k) ?? -1) >= end - 1), `the ${want} records of ${topics.join(', ')}`, timeoutMs);
  } finally {
    await consumer.close();
  }
  return out;
}

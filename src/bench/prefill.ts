/**
 * Fill the log directly with stamped records, as the API would have appended them (values from
 * rawgen/lines.ts, key String(ind)), in big sends through the configured log's producer. The
 * ingested_at stamps run at `ratePerSecond` (records) and end about now, like a backlog that built
 * up at the API's target rate.
 */
import type { Config } from '../core/config.js';
import { TOPICS } from '../core/records.js';
import { ensureTopics, logTopics, open } from '../connectors/open.js';
import type { ProduceMessage } from '../connectors/log/types.js';
import { buildPool, isoMaker, logValue, type TopicIndex } from './rawgen/lines.js';

export interface PrefillOptions {
  seed?: number;
  ratePerSecond?: number;
  sendSize?: number;
  onProgress?: (done: number) => void;
}

export async function prefillLog(cfg: Config, records: number, opts: PrefillOptions = {}): Promise<{ seconds: number; firstMs: number; lastMs: number }> {
  const t0 = performance.now();
  const seed = opts.seed ?? 3;
  const rate = opts.ratePerSecond ?? 15_000;
  const sendSize = opts.sendSize ?? 20_000;
  await using c = await open(cfg, { log: true });
  const { log } = c;
  await ensureTopics(log, cfg);
  const names = logTopics(cfg).records;
  const topics = TOPICS.map((t) => names[t]);
  const producer = log.producer();
  await producer.connect();
  const pool = buildPool(seed, 4096);
  const iso = isoMaker();
  const postings = Math.ceil(records / 3);
  const firstMs = Date.now() - Math.ceil((records / rate) * 1000);
  let batch: ProduceMessage[] = [];
  let done = 0;
  try {
    for (let k = 0; k < postings; k++) {
      const at = iso(firstMs + Math.floor((k * 3 * 1000) / rate));
      for (let t = 0; t < 3 && 3 * k + t < records; t++) {
        batch.push({ topic: topics[t]!, key: String(k), value: logValue(pool, seed, k, t as TopicIndex, at) });
      }
      if (batch.length >= sendSize) {
        await producer.send(batch);
        done += batch.length;
        batch = [];
        opts.onProgress?.(done);
      }
    }
    if (batch.length) await producer.send(batch);
  } finally {
    await producer.close();
  }
  return { seconds: (performance.now() - t0) / 1000, firstMs, lastMs: firstMs + Math.floor(((postings - 1) * 3 * 1000) / rate) };
}

/** Helpers shared by the embedded log's unit tests. */
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { EmbeddedLog, type EmbeddedLogOptions } from '../../src/connectors/log/embedded.js';
import type { LogRecord } from '../../src/connectors/log/types.js';
import { loadConfig, type Config } from '../../src/core/config.js';
import { tempDirs } from '../support/tmp.js';
import { waitFor } from '../support/wait.js';

export const tmpConfig = (partitions = 3): Config =>
  loadConfig({ env: {}, flags: { dataDir: mkdtempSync(path.join(os.tmpdir(), 'pinpipe-elog-')), 'log.partitions': partitions } });

/** tmpConfig, its data dir removed after each test (call at a test file's top level) */
export function tmpConfigs(): (partitions?: number) => Config {
  const temp = tempDirs();
  return (partitions = 3) => {
    const cfg = tmpConfig(partitions);
    temp.track(cfg.dataDir);
    return cfg;
  };
}

/** Every record of a topic, read through a fresh consumer group, per partition in offset order. */
export async function readAll(log: EmbeddedLog, topic: string, timeoutMs = 30_000): Promise<LogRecord[][]> {
  const admin = log.admin();
  const ends = await admin.endOffsets(topic);
  await admin.close();
  const out: LogRecord[][] = ends.map(() => []);
  const consumer = log.consumer({ groupId: `readall-${process.pid}-${Math.random().toString(36).slice(2)}`, topics: [topic], maxBatchRecords: 5000 });
  await consumer.run({ eachBatch: async (b) => void out[b.partition]!.push(...b.records) });
  await waitFor(() => out.every((l, p) => l.length >= ends[p]!), `readAll(${topic}): ${ends} records`, timeoutMs, 10);
  await consumer.close();
  return out;
}

export function newLog(cfg: Config, opts?: EmbeddedLogOptions): EmbeddedLog {
  return new EmbeddedLog(cfg, opts);
}

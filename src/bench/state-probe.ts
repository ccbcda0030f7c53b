/**
 * The stream processor's memory per held record, free of V8's heap sizing (which makes the peak
 * RSS of the consume-stream memory ladder vary by tens of MiB between runs of one build): the
 * processor of consume-stream with the built-in metrics is fed N postings (pin, geo and user, as
 * the API stamps them) whose ingested_at all fall within one minute, so nothing is pruned and no
 * window is final; the live heap after a full GC, minus the heap before, per record held.
 *
 * Run as `node --expose-gc dist/bench/state-probe.js <postings>`: prints one JSON line.
 * `probeState()` runs it as a child process (the consume-stream bench stage).
 */
import { spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import { generatePosting } from '../connectors/source/generator.js';
import type { LogRecord } from '../connectors/log/types.js';
import { loadConfig } from '../core/config.js';
import { TOPICS } from '../core/records.js';
import { loadMetrics } from '../metrics/registry.js';
import { streamMetrics } from '../metrics/realtime/stream.js';
import { StreamProcessor } from '../pipeline/stream/processor.js';

export interface StateProbe {
  postings: number;
  /** records held (clean, applied) */
  held: number;
  /** records refused by cleaning, not held */
  dead: number;
  bytesPerRecord: number;
  heapMb: number;
}

const T0 = Date.parse('2026-11-27T10:00:00.000Z');
const BATCH = 1000;

async function measure(postings: number): Promise<StateProbe> {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (!gc) throw new Error('state-probe: run node with --expose-gc');
  const cfg = loadConfig({ env: {}, flags: { dataDir: os.tmpdir() } });
  // checked here, not from a cache: nothing written into the temp dir taken as data dir
  const metrics = streamMetrics(await loadMetrics(cfg, { dir: null, cache: false }));
  const proc = new StreamProcessor({ topics: { pin: 'pin', geo: 'geo', user: 'user' }, lateness: 10_000, joinWindow: 30_000, metrics });
  // every partition known from the start (as the runner does): none is late for another's records
  proc.assign(TOPICS.map((topic) => ({ topic, partition: 0 })));
  const next = { pin: 0, geo: 0, user: 0 };
  let dead = 0;
  gc();
  const before = process.memoryUsage().heapUsed;
  for (let b = 0; b < postings; b += BATCH) {
    const batches: Record<string, LogRecord[]> = { pin: [], geo: [], user: [] };
    for (let i = b; i < Math.min(postings, b + BATCH); i++) {
      const posting = generatePosting(7, i % 20_000);
      // within 50 s: one minute, below its end + lateness + join window
      const ingested_at = new Date(T0 + Math.floor((i * 50_000) / postings)).toISOString();
      for (const t of TOPICS) {
        const value = JSON.stringify({ ...posting[t], event_id: randomUUID(), ingested_at });
        batches[t]!.push({ topic: t, partition: 0, offset: next[t]++, key: null, value, timestamp: 0 });
      }
    }
    for (const t of TOPICS) dead += proc.ingest({ topic: t, partition: 0, records: batches[t]!, highWatermark: next[t] + 1 }).length;
  }
  gc();
  const bytes = process.memoryUsage().heapUsed - before;
  const held = proc.counters.accepted;
  if (proc.counters.late + proc.counters.duplicates > 0) throw new Error(`state-probe: ${proc.counters.late} late, ${proc.counters.duplicates} duplicates`);
  return { postings, held, dead, bytesPerRecord: Math.round(bytes / held), heapMb: Math.round(bytes / 1e5) / 10 };
}

/** run the probe in a child process with --expose-gc */
export function probeState(postings: number): StateProbe {
  const child = spawnSync(process.execPath, ['--expose-gc', fileURLToPath(import.meta.url), String(postings)], { encoding: 'utf8' });
  if (child.status !== 0) throw new Error(`state-probe exited ${child.status}: ${child.stderr.trim().split('\n').slice(-3).join(' ')}`);
  return JSON.parse(child.stdout) as StateProbe;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  process.stdout.write(`${JSON.stringify(await measure(Number(process.argv[2] ?? 100_000)))}\n`);
}

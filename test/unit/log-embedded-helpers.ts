/** Helpers shared by the embedded log's unit tests. */
import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { EmbeddedLog, type EmbeddedLogOptions } from '../../src/connectors/log/embedded.js';
import type { LogRecord } from '../../src/connectors/log/types.js';
import { loadConfig, type Config } from '../../src/core/config.js';

const here = path.dirname(fileURLToPath(import.meta.url));

export const tmpConfig = (partitions = 3): Config =>
  loadConfig({ env: {}, flags: { dataDir: mkdtempSync(path.join(os.tmpdir(), 'pinpipe-elog-')), 'log.partitions': partitions } });

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Every record of a topic, read through a fresh consumer group, per partition in offset order. */
export async function readAll(log: EmbeddedLog, topic: string, timeoutMs = 30_000): Promise<LogRecord[][]> {
  const admin = log.admin();
  const ends = await admin.endOffsets(topic);
  await admin.close();
  const out: LogRecord[][] = ends.map(() => []);
  const consumer = log.consumer({ groupId: `readall-${process.pid}-${Math.random().toString(36).slice(2)}`, topics: [topic], maxBatchRecords: 5000 });
  await consumer.run({ eachBatch: async (b) => void out[b.partition]!.push(...b.records) });
  const deadline = Date.now() + timeoutMs;
  while (out.some((l, p) => l.length < ends[p]!)) {
    if (Date.now() > deadline) throw new Error(`readAll(${topic}) timed out: have ${out.map((l) => l.length)} of ${ends}`);
    await sleep(10);
  }
  await consumer.close();
  return out;
}

export interface ChildResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Run test/unit/log-embedded.child.ts; onLine sees stdout lines as they come (e.g. to kill it). */
export function child(args: string[], onLine?: (line: string, kill: () => void) => void): Promise<ChildResult> {
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, ['--import', 'tsx', path.join(here, 'log-embedded.child.ts'), ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let partial = '';
    const kill = () => p.kill('SIGKILL');
    p.stdout.on('data', (d: Buffer) => {
      stdout += d.toString();
      partial += d.toString();
      const lines = partial.split('\n');
      partial = lines.pop()!;
      if (onLine) for (const l of lines) onLine(l, kill);
    });
    p.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    p.on('error', reject);
    p.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
}

export function newLog(cfg: Config, opts?: EmbeddedLogOptions): EmbeddedLog {
  return new EmbeddedLog(cfg, opts);
}

/**
 * The newcomer's workflow, as separate processes on one data dir (issue: "in separate terminals on
 * one data dir, api + emulate + consume-batch + consume-stream + batch-run + query work together"),
 * and `pinpipe up`. Everything runs through the real CLI (node bin/pinpipe; `npm test` builds first).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freePort, isReady } from '../support/net.js';
import { waitFor } from '../support/wait.js';

const BIN = path.resolve('bin/pinpipe');
const dirs: string[] = [];
const children: ChildProcess[] = [];
const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('PINPIPE_')));

function tmp(): string {
  const d = mkdtempSync(path.join(os.tmpdir(), 'pinpipe-e2e-'));
  dirs.push(d);
  return d;
}

function pinpipe(args: string[], dataDir: string, timeout = 120_000): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [BIN, ...args, '--data-dir', dataDir], { encoding: 'utf8', env, timeout });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

function json<T = Record<string, unknown>[]>(args: string[], dataDir: string): T {
  const r = pinpipe([...args, '--json'], dataDir);
  if (r.code !== 0) throw new Error(`pinpipe ${args.join(' ')} exited ${r.code}: ${r.stderr}`);
  return JSON.parse(r.stdout) as T;
}

afterAll(() => {
  for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

test('api + emulate + consume-batch + consume-stream + batch-run + query, each in its own process', async () => {
  const dir = tmp();
  const port = await freePort();
  const api = spawn(process.execPath, [BIN, 'api', '--port', String(port), '--data-dir', dir], { env, stdio: 'ignore' });
  children.push(api);
  const url = `http://127.0.0.1:${port}`;
  await waitFor(() => isReady(url), 'the api to be ready', 20_000, 100);

  // The consumers run at the same time as the emulator, like separate terminals.
  const stream = spawn(process.execPath, [BIN, 'consume-stream', '--data-dir', dir], { env, stdio: 'ignore' });
  children.push(stream);
  const N = 400;
  const emu = pinpipe(['emulate', '--api', url, '--count', String(N), '--rate', '0', '--concurrency', '8', '--seed', '11', '--json'], dir);
  expect(emu.code).toBe(0);
  const summary = JSON.parse(emu.stdout);
  expect(summary.accepted).toBe(3 * N);
  expect(summary.rejected).toBe(0);

  expect(pinpipe(['consume-batch', '--until-idle'], dir).code).toBe(0);
  stream.kill('SIGTERM');
  const streamCode = await new Promise<number | null>((r) => stream.on('exit', (c) => r(c)));
  expect(streamCode).toBe(0);
  expect(pinpipe(['consume-stream', '--until-idle'], dir).code).toBe(0);

  // The raw zone holds every accepted record exactly once.
  const raw = json<{ n: number; ids: number }[]>(
    [
      'query',
      'SELECT count(*) AS n, count(DISTINCT event_id) AS ids FROM (SELECT event_id FROM raw_pin UNION ALL SELECT event_id FROM raw_geo UNION ALL SELECT event_id FROM raw_user)',
    ],
    dir,
  );
  expect(raw).toEqual([{ n: 3 * N, ids: 3 * N }]);

  // Every pin counts once in R1 (open or final windows).
  const r1 = json<{ postings: number }[]>(['query', '--metric', 'R1'], dir);
  expect(r1.reduce((a, r) => a + r.postings, 0)).toBe(N);

  // batch-run for today (incomplete, so forced) curates and computes Q1–Q8.
  const today = new Date().toISOString().slice(0, 10);
  const run = pinpipe(['batch-run', '--date', today], dir);
  expect(run.code).toBe(0);
  const ledger = json<{ day: string; status: string; raw_records: number }[]>(['query', '--store', 'SELECT day, status, raw_records FROM batch_runs'], dir);
  expect(ledger).toEqual([{ day: today, status: 'done', raw_records: 3 * N }]);

  // Curated pins: one row per ind; the stored Q1 equals Q1 computed now from the lake.
  const distinct = json<{ n: number }[]>(['query', 'SELECT count(DISTINCT "index") AS n FROM raw_pin'], dir)[0]!.n;
  expect(json<{ n: number }[]>(['query', 'SELECT count(*) AS n FROM pins'], dir)).toEqual([{ n: distinct }]);
  const stored = json(['query', '--metric', 'Q1'], dir);
  const fresh = json(['query', '--metric', 'Q1', '--source', 'lake'], dir);
  expect(stored.length).toBeGreaterThan(0);
  expect(stored).toEqual(fresh);
  const total = (stored as { category_count: number }[]).reduce((a, r) => a + r.category_count, 0);
  expect(total).toBeGreaterThan(0);

  api.kill('SIGTERM');
  expect(await new Promise<number | null>((r) => api.on('exit', (c) => r(c)))).toBe(0);
}, 240_000);

test('pinpipe up runs every role, shows the summary, drains and exits 0', async () => {
  const dir = tmp();
  const port = await freePort();
  const r = pinpipe(['up', '--port', String(port), '--duration', '20', '--rate', '20', '--batch-every', '8'], dir, 150_000);
  expect(r.stderr).not.toMatch(/exited with code [1-9]/);
  expect(r.code).toBe(0);
  expect(r.stdout).toMatch(/postings\s+\d+ in the log/);
  const postings = Number(/postings\s+(\d+) in the log/.exec(r.stdout)![1]);
  expect(postings).toBeGreaterThan(100);
  // the drain committed everything: no lag left, and the final batch run saw every record
  expect(r.stdout).toMatch(/consumer lag batch 0, stream 0 records/);
  const ledger = json<{ status: string; raw_records: number }[]>(['query', '--store', 'SELECT status, raw_records FROM batch_runs'], dir);
  expect(ledger[0]!.status).toBe('done');
  expect(ledger[0]!.raw_records).toBe(3 * postings);
  const r1 = json<{ postings: number }[]>(['query', '--metric', 'R1'], dir);
  expect(r1.reduce((a, x) => a + x.postings, 0)).toBe(postings);
}, 180_000);

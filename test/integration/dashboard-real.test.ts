/**
 * The dashboard and `status` on the real stack (Kafka, S3, MySQL, Redis of scripts/services-up.sh;
 * `npm test` starts them), through the built CLI: the status report names the real connectors and
 * is healthy once the consumers caught up; a historical metric's JSON equals
 * `query --metric --json`; a posting sent to the API arrives as an R1 `window` event.
 */
import { afterAll, beforeAll, expect, test } from '@jest/globals';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { generatePosting } from '../../src/connectors/source/generator.js';
import type { StatusReport } from '../../src/status/types.js';
import { realStack, type Stack } from '../faults/lib/stack.js';

const BIN = path.resolve('bin/pinpipe');
const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('PINPIPE_')));
const children: ChildProcess[] = [];
let stack: Stack;
let api: string;
let dash: string;

function cli(args: string[]): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [BIN, ...args, '--config', stack.configFile], { encoding: 'utf8', env, timeout: 120_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

function start(args: string[], ready: RegExp): Promise<string> {
  const child = spawn(process.execPath, [BIN, ...args, '--config', stack.configFile], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  let out = '';
  return new Promise((resolve, reject) => {
    child.stderr!.on('data', (d) => {
      out += d;
      const m = ready.exec(out);
      if (m) resolve(m[1]!);
    });
    child.on('exit', (code) => reject(new Error(`pinpipe ${args[0]} exited ${code}: ${out}`)));
  });
}

beforeAll(async () => {
  stack = await realStack('dashboard');
  api = await start(['api', '--port', '0'], /listening on (http:\/\/[^\s"]+)/);
  const emu = cli(['emulate', '--api', api, '--count', '150', '--rate', '0', '--seed', '3', '--json']);
  expect(emu.code).toBe(0);
  expect(cli(['consume-batch', '--until-idle']).code).toBe(0);
  expect(cli(['batch-run', '--date', new Date().toISOString().slice(0, 10)]).code).toBe(0);
  await start(['consume-stream'], /"msg":"[^"]*(consum|stream)/);
  dash = await start(['dashboard', '--port', '0'], /dashboard at (http:\/\/[^\s"]+)/);
}, 180_000);

afterAll(async () => {
  for (const c of children) if (c.exitCode === null) c.kill('SIGTERM');
  await Promise.all(children.map((c) => (c.exitCode === null ? new Promise((r) => c.on('exit', r)) : null)));
  await stack?.cleanup();
});

test('status and /api/status: the real connectors, healthy once consume-stream caught up', async () => {
  let report: StatusReport | null = null;
  for (const end = Date.now() + 60_000; Date.now() < end; await new Promise((r) => setTimeout(r, 250))) {
    const r = cli(['status', '--json']);
    report = JSON.parse(r.stdout) as StatusReport;
    if (r.code === 0 && report.stream.counters.accepted === 450) break;
  }
  expect(report).toMatchObject({ healthy: true, connectors: { log: 'kafka', lake: 's3', store: 'mysql', realtime: 'redis' }, ingest: { records: 450 }, errors: [] });
  expect(report!.groups.map((g) => g.lag)).toEqual([0, 0]);
  expect(report!.ledger.days).toHaveLength(1);
  const served = (await (await fetch(`${dash}api/status`)).json()) as StatusReport;
  expect(served.connectors).toEqual(report!.connectors);
}, 90_000);

test('a historical metric served equals query --metric --json', async () => {
  const q = cli(['query', '--metric', 'Q4', '--json']);
  expect(q.code).toBe(0);
  const served = (await (await fetch(`${dash}api/metrics/Q4`)).json()) as { rows: unknown[]; computed_at: string | null };
  expect(served.computed_at).not.toBeNull();
  expect(served.rows).toEqual(JSON.parse(q.stdout));
});

test('a posting sent to the API is pushed as an R1 window event', async () => {
  const ctl = new AbortController();
  const res = await fetch(`${dash}api/events`, { signal: ctl.signal });
  const reader = res.body!.getReader();
  const category = `real-stack-${Date.now().toString(36)}`;
  const p = generatePosting(8, 3, 11_000);
  const ind = 7_000_000 + Math.floor(Math.random() * 1_000_000);
  for (const [type, record] of [['pin', { ...p.pin, index: ind, category }], ['geo', { ...p.geo, ind }], ['user', { ...p.user, ind }]] as const) {
    expect((await fetch(`${api}/${type}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(record) })).status).toBe(201);
  }
  let text = '';
  const end = Date.now() + 30_000;
  while (!text.includes(`"category":"${category}","postings":1`) && Date.now() < end) text += new TextDecoder().decode((await reader.read()).value);
  ctl.abort();
  expect(text).toContain(`"category":"${category}","postings":1`);
}, 60_000);

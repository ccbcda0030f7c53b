/** The embedded log across processes: concurrent writers, a writer killed mid-append, group locks. */
import { fileURLToPath } from 'node:url';
import { spawn } from 'node:child_process';
import { expect, test } from '@jest/globals';
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { PinpipeError } from '../../src/core/errors.js';
import { seeded } from '../support/seed.js';
import { sleep } from '../support/wait.js';
import { newLog, readAll, tmpConfigs } from '../unit/log-embedded-helpers.js';

const here = path.dirname(fileURLToPath(import.meta.url));

interface ChildResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Run test/cli/log-embedded.child.ts; onLine sees stdout lines as they come (e.g. to kill it). */
function child(args: string[], onLine?: (line: string, kill: () => void) => void): Promise<ChildResult> {
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

const cfgFor = tmpConfigs();

/** offsets of each partition are exactly 0..n-1 in order */
function expectContiguous(parts: { offset: number }[][]): void {
  for (const recs of parts) expect(recs.map((r) => r.offset)).toEqual(recs.map((_, i) => i));
}

test('two processes appending to one topic at once: every record once, offsets unique and contiguous', async () => {
  const cfg = cfgFor();
  // small segments, so the writers also roll segments under each other
  const log = newLog(cfg, { segmentBytes: 64 * 1024, indexIntervalBytes: 1024 });
  await log.admin().ensureTopics(['mp']);
  const n = 3000;
  const [a, b] = await Promise.all([child(['produce', cfg.dataDir, 'mp', 'a', String(n)]), child(['produce', cfg.dataDir, 'mp', 'b', String(n)])]);
  expect([a.code, a.stderr, b.code, b.stderr]).toEqual([0, '', 0, '']);
  const parts = await readAll(log, 'mp');
  expectContiguous(parts);
  const seen = new Map<string, number>();
  for (const rec of parts.flat()) {
    const { tag, i } = JSON.parse(rec.value) as { tag: string; i: number };
    seen.set(`${tag}${i}`, (seen.get(`${tag}${i}`) ?? 0) + 1);
  }
  expect(seen.size).toBe(2 * n);
  expect([...seen.values()].every((c) => c === 1)).toBe(true);
  const segs = readdirSync(path.join(cfg.dataDir, 'log/mp/0')).filter((f) => f.endsWith('.log'));
  expect(segs.length).toBeGreaterThan(1);
}, 60_000);

test('a writer SIGKILLed mid-append: the log stays readable, every acknowledged send is there, offsets contiguous', async () => {
  const cfg = cfgFor();
  let acked = -1;
  const random = seeded('embedded log writer crash');
  let lines = 0;
  const res = await child(['produce-forever', cfg.dataDir, 'crash'], (line, kill) => {
    const m = /^ack (\d+) (\d+)$/.exec(line);
    if (!m) return;
    acked = Number(m[2]);
    // kill at some point inside a large append
    if (++lines === 12) setTimeout(kill, 3 + Math.floor(random.next() * 10));
  });
  expect(res.signal).toBe('SIGKILL');
  expect(acked).toBeGreaterThan(1000);

  const log = newLog(cfg);
  const parts = await readAll(log, 'crash');
  expectContiguous(parts);
  const have = new Set(parts.flat().map((r) => (JSON.parse(r.value) as { i: number }).i));
  for (let i = 0; i <= acked; i++) if (!have.has(i)) throw new Error(`acknowledged record ${i} is missing`);
  expect(parts.flat().length).toBe(have.size); // no record twice

  // a new writer continues after whatever the dead one left (a torn tail is cut off)
  const p = log.producer();
  const more = await p.send([0, 1, 2, 3, 4].map((k) => ({ topic: 'crash', key: `k${k}`, value: JSON.stringify({ i: -1 }) })));
  await p.close();
  const after = await readAll(log, 'crash');
  expectContiguous(after);
  for (const r of more) expect(after[r.partition]![r.offset]!.value).toBe('{"i":-1}');
}, 60_000);

test('one active member per group: a second process gets LOCKED naming the group and pid; a dead holder is taken over', async () => {
  const cfg = cfgFor();
  const log = newLog(cfg);
  let holder: ((line: string) => void) | null = null;
  const joined = new Promise<void>((resolve) => (holder = (line) => line === 'joined' && resolve()));
  let killHolder = () => {};
  const running = child(['hold-group', cfg.dataDir, 'lk', 'the-group'], (line, kill) => {
    killHolder = kill;
    holder!(line);
  });
  await joined;

  const second = log.consumer({ groupId: 'the-group', topics: ['lk'] });
  const err = await second.connect().then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(PinpipeError);
  expect((err as PinpipeError).code).toBe('LOCKED');
  expect((err as PinpipeError).message).toMatch(/consumer group "the-group" is held by pid \d+/);
  expect((err as PinpipeError).message).toMatch(/Kafka/);
  // another group is free
  const other = log.consumer({ groupId: 'another-group', topics: ['lk'] });
  await other.connect();
  await other.close();

  killHolder();
  const res = await running;
  expect(res.signal).toBe('SIGKILL');
  const third = log.consumer({ groupId: 'the-group', topics: ['lk'] });
  await third.connect(); // the dead holder's lock is taken over
  // and within one process the group is exclusive too
  const fourth = log.consumer({ groupId: 'the-group', topics: ['lk'] });
  await expect(fourth.connect()).rejects.toMatchObject({ code: 'LOCKED' });
  await third.close();
  await fourth.connect();
  await fourth.close();
  await sleep(10);
}, 60_000);

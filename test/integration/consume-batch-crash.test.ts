/**
 * Crash test of `pinpipe consume-batch` as a child process (needs `npx tsc -p tsconfig.json`
 * first, like every CLI test): SIGKILL at random moments, several times, while records keep
 * arriving in trickles (so idle flushes happen at moments no restart can reproduce); restart each
 * time; finish with --until-idle. Every (topic, partition) must hold exactly the offsets
 * 0..end-1 across all objects, no repeats, no overlapping objects.
 */
import { afterAll, expect, test } from '@jest/globals';
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { LocalLake } from '../../src/connectors/lake/local.js';
import { EmbeddedLog } from '../../src/connectors/log/embedded.js';
import { readRaw } from '../support/raw.js';
import { seeded } from '../support/seed.js';
import { sleep } from '../support/wait.js';
import { cleanupDirs, expectExactlyOnce, markerKeys, produceStamped, tmpConfig, type Stamped } from './consume-batch.helpers.js';

afterAll(cleanupDirs);

const ROOT = path.resolve(import.meta.dirname, '../..');
const TOPICS = ['pin', 'geo', 'user'] as const;

function childEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('PINPIPE_')) env[k] = v;
  return env;
}

interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

function start(args: string[]) {
  const child = spawn(process.execPath, [path.join(ROOT, 'bin/pinpipe'), 'consume-batch', ...args], {
    cwd: ROOT,
    env: childEnv(),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => (stdout += d));
  child.stderr.on('data', (d) => (stderr += d));
  const exited = new Promise<Exit>((resolve) => child.on('exit', (code, signal) => resolve({ code, signal, stdout, stderr })));
  return { child, exited };
}

test('SIGKILL at random points, restart, --until-idle: exactly once', async () => {
  const random = seeded('consume-batch crash');
  const cfg = tmpConfig();
  const configFile = path.join(cfg.dataDir, 'pinpipe.json');
  writeFileSync(
    configFile,
    JSON.stringify({ dataDir: cfg.dataDir, log: { partitions: 3 }, batch: { chunkRecords: 500, chunkSpan: '10m', idleFlush: '200ms' } }),
  );
  const log = new EmbeddedLog(cfg);

  // 30,000 records, 100 ms apart in ingested_at, across an hour and a day boundary
  const t0 = Date.parse('2026-11-20T23:35:00.000Z');
  const all: Stamped[] = Array.from({ length: 30_000 }, (_, i) => ({ topic: TOPICS[i % 3]!, ind: i, at: new Date(t0 + i * 100).toISOString() }));
  await produceStamped(log, cfg, all.slice(0, 12_000));
  // the rest arrives in trickles while the writer is being killed and restarted
  let trickling = true;
  const trickle = (async () => {
    for (let i = 12_000; i < all.length && trickling; i += 600) {
      await produceStamped(log, cfg, all.slice(i, i + 600));
      await sleep(random.between(100, 400));
    }
  })();

  // kill in the middle of the work: once a random number of new objects has appeared (or after a
  // random delay when there is nothing to do), plus a few random milliseconds
  const lake = new LocalLake(cfg);
  const rounds: string[] = [];
  for (let round = 0; round < 8; round++) {
    const before = (await lake.list('raw/')).length;
    const want = 1 + Math.floor(random.next() * 10);
    const giveUp = Date.now() + random.between(400, 2400);
    const { child, exited } = start(['--config', configFile]);
    while (Date.now() < giveUp && (await lake.list('raw/')).length - before < want) await sleep(3);
    await sleep(random.next() * 15);
    child.kill('SIGKILL');
    const e = await exited;
    const adopted = (e.stderr.match(/adopted an object/g) ?? []).length;
    rounds.push(`round ${round}: after ${(await lake.list('raw/')).length - before} new objects (wanted ${want}), ${adopted} adopted`);
    expect({ round, signal: e.signal, code: e.code, stderr: e.signal ? '' : e.stderr.slice(-2000) }).toMatchObject({ signal: 'SIGKILL' });
  }
  trickling = false;
  await trickle;
  const produced = await (async () => {
    const c = log.consumer({ groupId: 'ends', topics: [...TOPICS] });
    const ends = await c.endOffsets();
    await c.close();
    return ends;
  })();
  // whatever the trickle did not send yet, send now
  const total = [...produced.values()].reduce((a, b) => a + b, 0);
  if (total < all.length) await produceStamped(log, cfg, all.slice(total));

  const final = start(['--config', configFile, '--until-idle']);
  const e = await final.exited;
  rounds.push(`final: ${(e.stderr.match(/adopted an object/g) ?? []).length} adopted; ${e.stdout.trim()}`);
  expect({ code: e.code, stderr: e.code === 0 ? '' : e.stderr.slice(-3000), rounds }).toEqual({ code: 0, stderr: '', rounds });
  expect(e.stdout).toMatch(/^consume-batch: \d+ records, \d+ objects.*, [\d.]+ s, \d+ records\/s\n$/);

  const c = log.consumer({ groupId: cfg.batch.group, topics: [...TOPICS] });
  const ends = await c.endOffsets();
  const committed = await c.committed([...ends.keys()].map((k) => ({ topic: k.split(':')[0]!, partition: Number(k.split(':')[1]) })));
  await c.close();
  expect([...ends.values()].reduce((a, b) => a + b, 0)).toBe(30_000);
  const { objects, markers } = await readRaw(lake, { expectKeys: true });
  expectExactlyOnce(objects, ends);
  for (const x of committed) expect(x.offset).toBe(ends.get(`${x.topic}:${x.partition}`));
  expect(objects.some((o) => o.key.includes('dt=2026-11-21/hr=00/'))).toBe(true);
  expect(markers.sort()).toEqual([...markerKeys([...TOPICS], '2026-11-20'), ...markerKeys([...TOPICS], '2026-11-21')].sort());
});

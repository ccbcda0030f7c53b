/**
 * The same `pinpipe consume-batch` command on real Kafka + S3 (scripts/services-up.sh; needs
 * TEST_KAFKA_BROKERS and TEST_S3_ENDPOINT, and `npx tsc -p tsconfig.json` first): SIGKILL one
 * member mid-work, drain the next with SIGTERM, finish with --until-idle; every (topic, partition)
 * holds exactly its offsets across the S3 objects, committed to the end, day markers written.
 */
import { afterAll, expect, test } from '@jest/globals';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { S3Lake } from '../../src/connectors/lake/s3.js';
import { loadConfig } from '../../src/core/config.js';
import { TOPICS } from '../../src/core/records.js';
import { kafkaFixture } from '../support/kafka.js';
import { privateBucket, uid } from '../support/services.js';
import { readRaw } from '../support/raw.js';
import { seeded } from '../support/seed.js';
import { sleep, waitFor } from '../support/wait.js';
import { expectExactlyOnce, markerKeys, produceStamped, type Stamped } from './consume-batch.helpers.js';
import { ensureTopics } from '../../src/connectors/open.js';
import { exitWithin, killAll, startCli, type Proc } from '../faults/lib/proc.js';

const fx = kafkaFixture();
const { bucket, endpoint, drop } = privateBucket('pinpipe-cb');

afterAll(async () => {
  try {
    await killAll();
    await drop();
  } finally {
    await fx.cleanup();
  }
});

const start = (args: string[]): Proc => startCli('consume-batch', ['consume-batch', ...args]);

/**
 * A member's exit within `ms` (exitWithin kills it after that), or a failure that names the member
 * and quotes what it last printed, instead of jest's bare time-out.
 */
async function exitOf(p: Proc, what: string, ms: number) {
  const e = await exitWithin(p, ms);
  if (e.timedOut) throw new Error(`${what} did not exit within ${ms} ms (killed); its last output:\n${p.stdout().slice(-1500)}\n${p.stderr().slice(-3000)}`);
  return { ...e, stdout: p.stdout(), stderr: p.stderr() };
}

test('Kafka + S3: SIGKILL, SIGTERM drain, --until-idle: exactly once', async () => {
  const settings = {
    dataDir: fx.cfg.dataDir,
    log: { kind: 'kafka', partitions: 3, topicPrefix: fx.topic(''), kafka: { brokers: fx.cfg.log.kafka.brokers, clientId: 'pinpipe-cb-test' } },
    lake: { kind: 's3', s3: { bucket, endpoint, forcePathStyle: true, createBucket: true } },
    batch: { group: `cb-${uid()}`, chunkRecords: 200, idleFlush: '300ms' },
  };
  const configFile = path.join(fx.cfg.dataDir, 'pinpipe.json');
  writeFileSync(configFile, JSON.stringify(settings));
  const cfg = loadConfig({ env: {}, configFile });
  const lake = new S3Lake(cfg);
  const t0 = Date.parse('2026-11-19T22:50:00.000Z');
  const all: Stamped[] = Array.from({ length: 9000 }, (_, i) => ({ topic: TOPICS[i % 3]!, ind: i, at: new Date(t0 + i * 500).toISOString() }));
  await ensureTopics(fx.log, cfg);
  await produceStamped(fx.log, cfg, all.slice(0, 6000));

  // member 1: killed once it has written a few objects
  const a = start(['--config', configFile]);
  await waitFor(async () => (await lake.list('raw/').catch(() => [])).length >= 3, 'the first objects in S3', 40_000);
  await sleep(seeded('consume-batch kafka/s3 kill').next() * 50);
  a.child.kill('SIGKILL');
  expect((await a.exited).signal).toBe('SIGKILL');

  // member 2: joins once the dead member's session expires; drained with SIGTERM
  const before = (await lake.list('raw/')).length;
  const b = start(['--config', configFile]);
  await waitFor(async () => (await lake.list('raw/')).length > before + 2, 'more objects from member 2', 40_000);
  b.child.kill('SIGTERM');
  const eb = await exitOf(b, 'member B after SIGTERM', 120_000);
  expect({ code: eb.code, stderr: eb.code === 0 ? '' : eb.stderr.slice(-2000) }).toEqual({ code: 0, stderr: '' });
  expect(eb.stdout).toMatch(/^consume-batch: \d+ records, \d+ objects/);

  await produceStamped(fx.log, cfg, all.slice(6000));
  const c = start(['--config', configFile, '--until-idle']);
  const ec = await exitOf(c, 'consume-batch --until-idle', 120_000);
  expect({ code: ec.code, stderr: ec.code === 0 ? '' : ec.stderr.slice(-3000) }).toEqual({ code: 0, stderr: '' });

  const admin = fx.log.admin();
  const ends = new Map<string, number>();
  const committed = new Map<string, number>();
  try {
    for (const t of TOPICS) {
      (await admin.endOffsets(fx.topic(t))).forEach((end, p) => ends.set(`${t}:${p}`, end));
      (await admin.groupOffsets(settings.batch.group, fx.topic(t))).forEach((off, p) => committed.set(`${t}:${p}`, off));
    }
  } finally {
    await admin.close();
  }
  expect([...ends.values()].reduce((x, y) => x + y, 0)).toBe(9000);
  expect(committed).toEqual(ends);
  const { objects, markers } = await readRaw(lake, { expectKeys: true });
  expectExactlyOnce(objects, ends);
  expect(markers.sort()).toEqual([...markerKeys([...TOPICS], '2026-11-19'), ...markerKeys([...TOPICS], '2026-11-20')].sort());
  await lake.close();
  // several consume-batch processes one after another: about 50 s on a quiet machine, more on a loaded one
}, 240_000);

test('Kafka + S3: two members share the group; one leaves (rebalance), the other takes over: exactly once', async () => {
  const prefix = `${fx.topic('')}two-`;
  const settings = {
    dataDir: fx.cfg.dataDir,
    log: { kind: 'kafka', partitions: 3, topicPrefix: prefix, kafka: { brokers: fx.cfg.log.kafka.brokers, clientId: 'pinpipe-cb-test2' } },
    lake: { kind: 's3', s3: { bucket, endpoint, forcePathStyle: true, createBucket: true, prefix: 'two' } },
    batch: { group: `cb2-${uid()}`, chunkRecords: 150, idleFlush: '300ms' },
  };
  const configFile = path.join(fx.cfg.dataDir, 'pinpipe-two.json');
  writeFileSync(configFile, JSON.stringify(settings));
  const cfg = loadConfig({ env: {}, configFile });
  const lake = new S3Lake(cfg);
  await ensureTopics(fx.log, cfg);
  const t0 = Date.parse('2026-11-18T12:00:00.000Z');
  const all: Stamped[] = Array.from({ length: 6000 }, (_, i) => ({ topic: TOPICS[i % 3]!, ind: i, at: new Date(t0 + i * 700).toISOString() }));
  await produceStamped(fx.log, cfg, all.slice(0, 1500));

  const a = start(['--config', configFile]);
  const b = start(['--config', configFile]);
  await waitFor(async () => (await lake.list('raw/')).length >= 4, 'objects from the two members', 40_000);
  // records keep coming while member A leaves and B takes its partitions over
  const more = produceStamped(fx.log, cfg, all.slice(1500, 4500));
  a.child.kill('SIGTERM');
  const ea = await exitOf(a, 'member A after SIGTERM (during the rebalance)', 50_000);
  await more;
  expect({ code: ea.code, stderr: ea.code === 0 ? '' : ea.stderr.slice(-2000) }).toEqual({ code: 0, stderr: '' });
  const before = (await lake.list('raw/')).length;
  await produceStamped(fx.log, cfg, all.slice(4500));
  await waitFor(async () => (await lake.list('raw/')).length > before + 3, 'member B writing after the rebalance', 40_000);
  b.child.kill('SIGTERM');
  const eb = await exitOf(b, 'member B after SIGTERM', 50_000);
  expect({ code: eb.code, stderr: eb.code === 0 ? '' : eb.stderr.slice(-2000) }).toEqual({ code: 0, stderr: '' });
  const c = start(['--config', configFile, '--until-idle']);
  const ec = await exitOf(c, 'consume-batch --until-idle after both members', 50_000);
  expect({ code: ec.code, stderr: ec.code === 0 ? '' : ec.stderr.slice(-3000) }).toEqual({ code: 0, stderr: '' });

  const admin = fx.log.admin();
  const ends = new Map<string, number>();
  try {
    for (const t of TOPICS) (await admin.endOffsets(prefix + t)).forEach((end, p) => ends.set(`${t}:${p}`, end));
  } finally {
    await admin.close();
  }
  expect([...ends.values()].reduce((x, y) => x + y, 0)).toBe(6000);
  const { objects } = await readRaw(lake, { expectKeys: true });
  expectExactlyOnce(objects, ends);
  await lake.close();
  // two waits of up to 40 s and three exits of up to 50 s: jest's default 60 s was less than the
  // waits allow. Twice in four full runs on 2026-12-04 this test hung past every wait (6-13 s alone,
  // also under load); a member that does not exit now fails naming itself, with its last output
}, 240_000);

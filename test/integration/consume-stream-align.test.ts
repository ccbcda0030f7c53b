/**
 * consume-stream on Kafka over a backlog whose topics differ in record size. Kafka fetches by
 * bytes, so geo and user (small records) used to be read minutes of ingested_at ahead of pin, and
 * the held state grew with the backlog (a 40-minute backlog: 13 minutes ahead, peak RSS 934 MiB).
 * The stream pauses partitions that read more than a minute ahead of the slowest one: this run
 * must pause some, and its final windows must still equal the reference computation of the log
 * (nothing lost or counted twice across pauses and resumes).
 */
import { afterAll, beforeAll, expect, test } from '@jest/globals';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { KafkaLog } from '../../src/connectors/log/kafka.js';
import { loadConfig } from '../../src/core/config.js';
import { createLogger } from '../../src/core/logger.js';
import { TestLog } from '../unit/stream-harness.js';
import { generate, reference } from '../unit/stream-reference.js';
import { finalRowsByKey, produce, readViews, recordsOf, requireBuild, runCli } from './consume-stream.helpers.js';
import { kafkaFixture } from '../support/kafka.js';
import { ensureTopics } from '../../src/connectors/open.js';

const JOIN_WINDOW = 30_000;
const cleanups: (() => Promise<void>)[] = [];
beforeAll(() => requireBuild());
afterAll(async () => {
  for (const c of cleanups.reverse()) await c();
});

test('a backlog of big pins and small geo/user records: partitions are paused to stay aligned, views equal the reference', async () => {
  // the fixture's data dir and topic prefix (its clean-up deletes every topic with the prefix)
  const fx = kafkaFixture();
  cleanups.push(fx.cleanup);
  const dir = fx.cfg.dataDir;
  const settings = { log: { kind: 'kafka', topicPrefix: fx.topic(''), partitions: 1, kafka: { brokers: fx.cfg.log.kafka.brokers } } };
  const configFile = path.join(dir, 'pinpipe.json');
  writeFileSync(configFile, JSON.stringify(settings));
  const cfg = loadConfig({ configFile, env: {}, flags: { dataDir: dir } });
  const log = new KafkaLog(cfg, { logger: createLogger({ level: 'error' }) });

  // 40 minutes of postings; each pin carries a 1.5 KB description (as real pins do), so a 1 MB fetch
  // holds ~3 minutes of pins and ~30 minutes of geo or user records
  const gen = generate({ seed: 11, postings: 6000, span: 2400, partitions: 1, disorder: 3, inds: 400 });
  const pins = gen.parts.get('pin:0')!;
  pins.values = pins.values.map((v) => {
    try {
      return JSON.stringify({ ...(JSON.parse(v) as object), description: 'd'.repeat(1500) });
    } catch {
      return v; // the generator's garbage stays garbage
    }
  });
  const recs = recordsOf(gen);
  await ensureTopics(log, cfg);
  const mirror = new TestLog(1);
  await produce(dir, recs, mirror, { log, topicPrefix: settings.log.topicPrefix });

  const run = await runCli(dir, ['consume-stream', '--until-idle', '--config', configFile], 120_000);
  expect({ code: run.code, stderr: run.code === 0 ? '' : run.stderr.slice(-1500) }).toEqual({ code: 0, stderr: '' });
  expect(run.stdout).toContain(`consume-stream: ${recs.length} records in`);
  expect(run.stdout).toMatch(/ 0 late,/);
  const pauses = Number(/; (\d+) partition pauses/.exec(run.stdout)?.[1] ?? 0);
  expect(pauses).toBeGreaterThan(0);

  const views = await readViews(dir);
  const finalMinutes = new Set(views.rows.filter((r) => r.final).map((r) => r.minute));
  expect(finalMinutes.size).toBeGreaterThanOrEqual(35);
  const want = new Map([...reference(mirror, JOIN_WINDOW)].filter(([k]) => finalMinutes.has(k.split('|')[1]!)));
  expect(finalRowsByKey(views.rows)).toEqual(want);
}, 180_000);

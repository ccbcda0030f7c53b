/**
 * What consume-stream does with metric definitions at start (src/metrics/state.ts): a new realtime
 * metric starts at the first window still open at the checkpoint; a changed one loses its old
 * windows (realtime store and the serving store's rt_* table, whose columns may have changed);
 * an unchanged one goes on. Embedded stores in a temp dir.
 */
import { afterAll, beforeAll, expect, test } from '@jest/globals';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { EmbeddedRealtime } from '../../src/connectors/realtime/embedded.js';
import { EmbeddedStore } from '../../src/connectors/store/embedded.js';
import { loadConfig, type Config } from '../../src/core/config.js';
import { loadMetrics, type RealtimeMetric } from '../../src/metrics/registry.js';
import { readCatalog, startStreamMetrics } from '../../src/metrics/state.js';

let cfg: Config;
let dir: string;
beforeAll(() => {
  const root = mkdtempSync(path.join(os.tmpdir(), 'pinpipe-mstate-'));
  cfg = loadConfig({ env: {}, flags: { dataDir: path.join(root, 'data') } });
  dir = path.join(root, 'metrics');
  mkdirSync(dir);
});
afterAll(() => rmSync(path.dirname(cfg.dataDir), { recursive: true, force: true }));

const M = (hm: string) => `2026-11-27T${hm}:00.000Z`;

test("new, unchanged and changed realtime metrics at the stream's start", async () => {
  const store = new EmbeddedStore(cfg);
  const realtime = new EmbeddedRealtime(cfg);
  const opts = { joinWindow: 30_000 };

  // the first start, without a checkpoint: every metric from the start of the log
  let set = await loadMetrics(cfg, { dir });
  await realtime.connect(set.realtime);
  const first = await startStreamMetrics(store, realtime, set, { ...opts, watermark: null });
  expect(first.map((s) => [s.metric.id, s.from, s.changed])).toEqual(['R1', 'R2', 'R3', 'R4', 'R5'].map((id) => [id, null, false]));
  expect(await startStreamMetrics(store, realtime, set, { ...opts, watermark: Date.parse(M('10:05')) })).toEqual([]);

  // a user metric appears: it starts at the first window not final at the watermark
  writeFileSync(path.join(dir, 'media.sql'), '-- kind: realtime\nSELECT media_type, count(*) AS n FROM pins GROUP BY media_type');
  set = await loadMetrics(cfg, { dir });
  await realtime.connect(set.realtime);
  // watermark 10:05:20: window 10:04 is final at 10:05:30 (end + joinWindow): not yet → it starts at 10:04
  const added = await startStreamMetrics(store, realtime, set, { ...opts, watermark: Date.parse('2026-11-27T10:05:20.000Z') });
  expect(added.map((s) => [s.metric.id, s.from, s.changed])).toEqual([['media', M('10:04'), false]]);
  expect((await readCatalog(store)).get('media')).toEqual({
    metric: 'media',
    hash: set.get('media').hash,
    streamHash: set.get('media').hash,
    streamFrom: M('10:04'),
  });

  // its windows are written, then the definition changes (another value column)
  const media = set.get('media') as RealtimeMetric;
  await realtime.commit('g', { offsets: {}, watermark: 0, counters: {} }, [
    { metric: 'media', minute: M('10:04'), key: 'image', values: { n: 3 }, final: true },
  ]);
  await store.upsert(media.spec, [{ minute: M('10:04'), media_type: 'image', n: 3, final: true }]);
  await realtime.commit('g', { offsets: {}, watermark: 0, counters: {} }, [
    { metric: 'R1', minute: M('10:04'), key: 'art', values: { postings: 1 }, final: true },
  ]);
  writeFileSync(path.join(dir, 'media.sql'), '-- kind: realtime\nSELECT media_type, count(*) AS n, avg(follower_count) AS mean FROM pins GROUP BY media_type');
  set = await loadMetrics(cfg, { dir });
  await realtime.connect(set.realtime);
  const changed = await startStreamMetrics(store, realtime, set, { ...opts, watermark: Date.parse(M('10:30')) });
  expect(changed.map((s) => [s.metric.id, s.from, s.changed])).toEqual([['media', M('10:29'), true]]);
  expect(await realtime.read('media')).toEqual([]);
  expect(await store.select((set.get('media') as RealtimeMetric).spec)).toEqual([]);
  expect(await realtime.read('R1')).toEqual([{ metric: 'R1', minute: M('10:04'), key: 'art', values: { postings: 1 }, final: true }]); // others untouched
  await store.close();
  await realtime.close();
});

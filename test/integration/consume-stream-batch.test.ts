/**
 * The two layers agree: for the same log, R1–R5 of every window the stream has made final equal
 * what batch-run recomputes from the raw zone (consume-batch → batch-run → batch_* tables).
 */
import { afterAll, beforeAll, expect, test } from '@jest/globals';
import { fromTableRow } from '../../src/connectors/realtime/rows.js';
import type { WindowRow } from '../../src/connectors/realtime/types.js';
import { EmbeddedStore } from '../../src/connectors/store/embedded.js';
import { realtimeMetric } from '../support/metrics.js';
import { TestLog } from '../unit/stream-harness.js';
import { generate } from '../unit/stream-reference.js';
import { METRICS, configFor, finalRowsByKey, produce, readViews, recordsOf, requireBuild, runCli, tmpDir } from './consume-stream.helpers.js';

const cleanups: (() => void)[] = [];
beforeAll(() => requireBuild());
afterAll(() => cleanups.forEach((c) => c()));

test('stream final windows == batch-run R1–R5 of the same log', async () => {
  const t = tmpDir();
  cleanups.push(t.cleanup);
  const recs = recordsOf(generate({ seed: 77, postings: 1500, span: 900, partitions: 1, disorder: 3, inds: 60 }));
  await produce(t.dir, recs, new TestLog(3));

  const stream = await runCli(t.dir, ['consume-stream', '--until-idle']);
  expect(stream.code).toBe(0);
  expect((await runCli(t.dir, ['consume-batch', '--until-idle'])).code).toBe(0);
  const batch = await runCli(t.dir, ['batch-run', '--date', '2026-11-27']);
  expect({ code: batch.code, stderr: batch.code === 0 ? '' : batch.stderr.slice(-1500) }).toEqual({ code: 0, stderr: '' });

  const { rows } = await readViews(t.dir);
  const finalMinutes = new Set(rows.filter((r) => r.final).map((r) => r.minute));
  expect(finalMinutes.size).toBeGreaterThanOrEqual(12);

  const store = new EmbeddedStore(configFor(t.dir));
  await store.connect();
  const batchRows: WindowRow[] = [];
  try {
    for (const m of METRICS) batchRows.push(...(await store.select(realtimeMetric(m).batchSpec)).map((r) => fromTableRow(realtimeMetric(m), r)));
  } finally {
    await store.close();
  }
  const batchFinal = batchRows.filter((r) => finalMinutes.has(r.minute));
  expect(batchFinal.length).toBeGreaterThan(100);
  expect(finalRowsByKey(rows)).toEqual(finalRowsByKey(batchFinal));
  // the batch layer also has the minutes the stream keeps open (it sees the whole day)
  expect(new Set(batchRows.map((r) => r.minute)).size).toBeGreaterThan(finalMinutes.size);
}, 60_000);

/**
 * `pinpipe status` through the built CLI on the embedded stack, with no role running: an empty
 * data dir, consumers behind (exit 1), caught up (exit 0, healthy), and a day whose batch run
 * failed (exit 1).
 */
import { afterAll, beforeAll, expect, test } from '@jest/globals';
import { readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { prefillLog } from '../../src/bench/prefill.js';
import type { StatusReport } from '../../src/status/types.js';
import { configFor, requireBuild, runCli, tmpDir } from './consume-stream.helpers.js';

const cleanups: (() => void)[] = [];
beforeAll(() => requireBuild());
afterAll(() => cleanups.forEach((c) => c()));

async function status(dir: string, args: string[] = []): Promise<{ code: number | null; report: StatusReport; stderr: string }> {
  const r = await runCli(dir, ['status', '--json', ...args]);
  return { code: r.code, report: JSON.parse(r.stdout) as StatusReport, stderr: r.stderr };
}

test('no role has run: healthy, nothing in the log, no days', async () => {
  const t = tmpDir();
  cleanups.push(t.cleanup);
  const { code, report } = await status(t.dir);
  expect(code).toBe(0);
  expect(report).toMatchObject({ healthy: true, problems: [], ingest: { records: 0 }, stream: { watermark: null }, ledger: { days: [] }, dead_letters: { records: 0 }, errors: [] });
});

test('consumers behind (exit 1), then caught up (exit 0), then a failed day (exit 1)', async () => {
  const t = tmpDir();
  cleanups.push(t.cleanup);
  await prefillLog(configFor(t.dir), 3000, { ratePerSecond: 100 });

  // nothing consumed yet: both groups 3000 records behind
  const behind = await status(t.dir, ['--max-lag', '100']);
  expect(behind.code).toBe(1);
  expect(behind.report.healthy).toBe(false);
  expect(behind.report.groups.map((g) => [g.role, g.lag])).toEqual([['consume-batch', 3000], ['consume-stream', 3000]]);
  expect(behind.report.problems).toEqual([
    'consume-batch (group pinpipe-batch) is 3000 records behind (more than --max-lag 100)',
    'consume-stream (group pinpipe-stream) is 3000 records behind (more than --max-lag 100)',
  ]);
  expect(behind.report.groups[0]!.partitions).toHaveLength(9);
  expect(behind.report.groups[0]!.partitions[0]).toMatchObject({ topic: 'pin', partition: 0, current: null });

  expect((await runCli(t.dir, ['consume-batch', '--until-idle'])).code).toBe(0);
  expect((await runCli(t.dir, ['consume-stream', '--until-idle'])).code).toBe(0);
  const ok = await status(t.dir, ['--max-lag', '100']);
  expect([ok.code, ok.report.problems]).toEqual([0, []]);
  expect(ok.report.groups.map((g) => g.lag)).toEqual([0, 0]);
  expect(ok.report.ingest.records).toBe(3000);
  expect(ok.report.stream.watermark).not.toBeNull();
  expect(ok.report.stream.counters.accepted).toBe(3000);
  expect(ok.report.stream.windows.map((w) => w.metric)).toEqual(['R1', 'R2', 'R3', 'R4', 'R5']);
  expect(ok.report.stream.windows.every((w) => w.minute !== null && w.rows > 0)).toBe(true);
  const days = readdirSync(path.join(t.dir, 'lake/raw/pin')).map((d) => d.slice(3));
  expect(ok.report.ledger.days.map((d) => [d.day, d.state])).toEqual(days.sort().reverse().map((d) => [d, 'pending']));

  // a raw chunk of the day is damaged: batch-run fails the day, status says so
  const day = days.sort().at(-1)!;
  const hours = path.join(t.dir, 'lake/raw/pin', `dt=${day}`);
  const hour = readdirSync(hours).find((h) => h.startsWith('hr='))!;
  writeFileSync(path.join(hours, hour, readdirSync(path.join(hours, hour))[0]!), 'not gzip');
  await runCli(t.dir, ['batch-run', '--date', day]);
  const failed = await status(t.dir);
  expect(failed.code).toBe(1);
  expect(failed.report.ledger.days.find((d) => d.day === day)).toMatchObject({ state: 'failed' });
  expect(failed.report.problems).toEqual([expect.stringMatching(new RegExp(`^batch-run failed for ${day}: staging .* failed: incorrect header check$`))]);
  expect(failed.report.batch_runs[0]).toMatchObject({ day, status: 'failed', reason: 'forced' });
}, 120_000);

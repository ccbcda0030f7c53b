/**
 * SIGKILL consume-batch and consume-stream at random points of a run on the real stack (Kafka,
 * S3, MySQL, Redis of scripts/services-up.sh; private topics, bucket, database and key prefix),
 * several times, restarting each time: the raw zone holds every log offset exactly once, and the
 * views equal those of an uninterrupted run on the same input (lib/crash.ts).
 */
import { afterAll, test } from '@jest/globals';
import { expectCrashGuarantees, runCrashScenario } from './lib/crash.js';
import { killAll } from './lib/proc.js';
import { FIXTURE_METRICS, realStack, type Stack } from './lib/stack.js';

const stacks: Stack[] = [];
afterAll(async () => {
  await killAll();
  for (const s of stacks) await s.cleanup();
});

// with users' realtime metric files too (test/fixtures/metrics): the crash guarantees hold for them
const SETTINGS = { batch: { chunkRecords: 20_000, chunkSpan: '5m' }, metrics: { dir: FIXTURE_METRICS } };
// 50,000 postings (150,000 records + duplicates and poison): 100,000 take over 2 minutes here
const POSTINGS = 50_000;

test('real stack: consumers SIGKILLed at random points, restarted: exactly once, same views', async () => {
  const a = await realStack('crash-a', SETTINGS);
  stacks.push(a);
  const b = await realStack('crash-b', SETTINGS);
  stacks.push(b);
  const r = await runCrashScenario(a, b, {
    input: { postings: POSTINGS, t0: Date.parse('2026-11-20T22:30:00.000Z'), stepMs: 144, duplicateEvery: 97, poisonEvery: 1000 },
    rounds: 4,
    killAfterMs: [1000, 6000],
    finishMs: 150_000,
  });
  const { failures, notes, ...rest } = r;
  process.stdout.write(`crash (real): ${JSON.stringify({ failures, notes, ...rest, counters: undefined, schedule: r.schedule.join('; ') })}\n`);
  expectCrashGuarantees(r, { minKills: 4, servingRows: false });
}, 400_000);

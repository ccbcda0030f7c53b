/**
 * SIGKILL consume-batch and consume-stream at random points of a run over 100,000 postings
 * (300,000 records plus retried duplicates and poison values) on the embedded stack, several
 * times, restarting each time: the raw zone holds every log offset exactly once, and the views
 * equal those of an uninterrupted run on the same input (lib/crash.ts).
 */
import { afterAll, test } from '@jest/globals';
import { expectCrashGuarantees, runCrashScenario } from './lib/crash.js';
import { killAll } from './lib/proc.js';
import { FIXTURE_METRICS, embeddedStack, type Stack } from './lib/stack.js';

const stacks: Stack[] = [];
afterAll(async () => {
  await killAll();
  for (const s of stacks) await s.cleanup();
});

// with users' realtime metric files too (test/fixtures/metrics): the crash guarantees hold for them
const SETTINGS = { batch: { chunkRecords: 20_000, chunkSpan: '5m' }, metrics: { dir: FIXTURE_METRICS } };

test('embedded stack: consumers SIGKILLed at random points, restarted: exactly once, same views', async () => {
  const a = embeddedStack('crash-a', SETTINGS);
  const b = embeddedStack('crash-b', SETTINGS);
  stacks.push(a, b);
  const r = await runCrashScenario(a, b, {
    input: { postings: 100_000, t0: Date.parse('2026-11-20T22:30:00.000Z'), stepMs: 72, duplicateEvery: 97, poisonEvery: 1000 },
    rounds: 6,
    killAfterMs: [800, 4000],
    finishMs: 90_000,
  });
  const { failures, notes, ...rest } = r;
  process.stdout.write(`crash (embedded): ${JSON.stringify({ failures, notes, ...rest, counters: undefined, schedule: r.schedule.join('; ') })}\n`);
  expectCrashGuarantees(r, { minKills: 6, servingRows: true });
}, 240_000);

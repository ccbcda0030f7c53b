/**
 * A deterministic form of the crash-and-restart fault on Kafka: a consumer is SIGKILLed, its
 * replacement is SIGKILLed too while it is still joining the group (the first one's session has not
 * expired yet), and a third run with --until-idle starts at once. Kafka then forms a generation
 * with the dead second member in it, and the third run is assigned only part of the partitions
 * until that member's session expires. The run must still process every partition before it
 * calls itself done (and consume-stream must not finalize windows without them).
 * Reproduces open fault 1 of RELIABILITY.md every time on this machine.
 */
import { afterAll, expect, test } from '@jest/globals';
import { createLake, createLog } from '../../src/connectors/registry.js';
import { TOPICS } from '../../src/core/records.js';
import { endOffsets, total } from './lib/logread.js';
import { buildInput, checkExactlyOnce, produceInput, readLake, readViews } from './lib/postings.js';
import { exitWithin, killAll, startCli, type Proc } from './lib/proc.js';
import { sleep, waitFor } from '../support/wait.js';
import { realStack, type Stack } from './lib/stack.js';
import { ensureTopics } from '../../src/connectors/open.js';

const stacks: Stack[] = [];
afterAll(async () => {
  await killAll();
  for (const s of stacks) await s.cleanup().catch(() => undefined);
}, 60_000);

const POSTINGS = 20_000;

async function setUp(name: string): Promise<Stack> {
  const s = await realStack(name, { batch: { chunkRecords: 5000, chunkSpan: '5m' } });
  stacks.push(s);
  const log = await createLog(s.cfg);
  await ensureTopics(log, s.cfg);
  await produceInput(log, s.cfg.log.topicPrefix, buildInput({ postings: POSTINGS, t0: Date.parse('2026-11-20T22:30:00.000Z'), stepMs: 72 }));
  return s;
}

/** kill a member that has its partitions, then kill its replacement while it joins; then --until-idle */
async function killTwiceThenFinish(s: Stack, role: string, joined: (p: Proc) => Promise<unknown>): Promise<Proc> {
  const first = startCli(`${role} 1`, [role, '--config', s.configFile]);
  await joined(first);
  await sleep(500);
  first.kill('SIGKILL');
  await first.exited;
  const second = startCli(`${role} 2`, [role, '--config', s.configFile]);
  await sleep(2500); // started and joining: the first member's session (10 s) holds the join back
  second.kill('SIGKILL');
  await second.exited;
  const last = startCli(`${role} --until-idle`, [role, '--until-idle', '--config', s.configFile]);
  const e = await exitWithin(last, 90_000);
  expect({ code: e.code, stderr: e.code === 0 ? '' : last.stderr().slice(-1500) }).toEqual({ code: 0, stderr: '' });
  return last;
}

test('consume-stream restarted while a dead member is still in its group: --until-idle reads every partition and finalizes nothing without it', async () => {
  const s = await setUp('rejoin-stream');
  const last = await killTwiceThenFinish(s, 'consume-stream', (p) =>
    waitFor(() => /partitions assigned/.test(p.stderr()), 'the first member to be assigned', 30_000),
  );
  const { checkpoint } = await readViews(s.cfg);
  const c = checkpoint?.counters ?? {};
  const assigned = (last.stderr().match(/"partitions":\d+/g) ?? []).join(', ');
  process.stdout.write(`kafka rejoin (consume-stream): ${last.stdout().trim()} [assignments: ${assigned}]\n`);
  expect({ recordsIn: c.recordsIn, late: c.late, unmatchedGeo: c.unmatchedGeo, unmatchedUser: c.unmatchedUser }).toEqual({
    recordsIn: POSTINGS * 3,
    late: 0,
    unmatchedGeo: 0,
    unmatchedUser: 0,
  });
}, 150_000);

test('consume-batch restarted while a dead member is still in its group: --until-idle writes every partition before it exits', async () => {
  const s = await setUp('rejoin-batch');
  const lake = await createLake(s.cfg);
  const last = await killTwiceThenFinish(s, 'consume-batch', () =>
    waitFor(async () => (await lake.list('raw/').catch(() => [])).length > 0, 'the first member to write', 30_000),
  );
  await lake.close();
  const prefix = s.cfg.log.topicPrefix;
  const ends = await endOffsets(
    await createLog(s.cfg),
    TOPICS.map((t) => prefix + t),
  );
  const check = checkExactlyOnce((await readLake(s.cfg)).objects, new Map([...ends].map(([k, v]) => [k.slice(prefix.length), v])));
  process.stdout.write(`kafka rejoin (consume-batch): ${last.stdout().trim()}; lake ${JSON.stringify(check)}\n`);
  expect(check).toEqual({ lines: total(ends), objects: expect.any(Number), duplicates: 0, missing: 0, problems: [] });
}, 150_000);

/**
 * The consumer crash scenario, for either stack: the same input goes into two private stacks; on
 * B the consumers run once, uninterrupted (--until-idle); on A consume-batch and consume-stream
 * run side by side and are SIGKILLed at random moments, several times, restarted each time, then
 * finish with --until-idle. Then A's raw zone must hold every log offset exactly once, and A's
 * views (realtime store and the serving store's rt_* tables), stream counters and dead letters
 * must equal B's.
 */
import { createHash } from 'node:crypto';
import { createLake, createLog } from '../../../src/connectors/registry.js';
import type { Log } from '../../../src/connectors/log/types.js';
import type { Config } from '../../../src/core/config.js';
import { DEAD_LETTER_TOPIC, TOPICS } from '../../../src/core/records.js';
import { endOffsets, readAll } from './logread.js';
import {
  buildInput,
  checkExactlyOnce,
  withClosingPosting,
  deadLetterKeys,
  incompleteMarkers,
  produceInput,
  readLake,
  readViews,
  type InputOptions,
  type LakeCheck,
  type Views,
} from './postings.js';
import { exitWithin, startCli, type Proc } from './proc.js';
import { expect } from '@jest/globals';
import { seeded } from '../../support/seed.js';
import { sleep } from '../../support/wait.js';
import type { Stack } from './stack.js';
import { type RawObject } from '../../support/raw.js';
import { ensureTopics } from '../../../src/connectors/open.js';

export interface CrashOptions {
  input: InputOptions;
  rounds: number;
  /** a kill comes this long after the (re)start, uniformly at random */
  killAfterMs: [number, number];
  /** deadline of each --until-idle run */
  finishMs: number;
}

export interface CrashReport {
  stack: string;
  /** the seed of the kill schedule (TEST_SEED replays it) */
  seed: number;
  postings: number;
  records: number;
  kills: { batch: number; stream: number };
  schedule: string[];
  lake: LakeCheck;
  lakeUninterrupted: LakeCheck;
  lakeEventIds: { lines: number; unique: number };
  views: { realtimeRows: number; servingRows: number };
  equal: { lake: boolean; realtime: boolean; serving: boolean; counters: boolean; deadLetters: boolean };
  deadLetters: { poison: number; a: number; b: number; poisonDeadLettered: boolean };
  counters: { a: Record<string, number> | null; b: Record<string, number> | null };
  failures: string[];
  /** the --until-idle runs: summary lines and group events */
  notes: string[];
}

/** `<logical>:<partition>` → end, for a stack's topics */
async function logicalEnds(log: Log, cfg: Config): Promise<Map<string, number>> {
  const prefix = cfg.log.topicPrefix;
  const ends = await endOffsets(
    log,
    TOPICS.map((t) => prefix + t),
  );
  return new Map([...ends].map(([k, v]) => [k.slice(prefix.length), v]));
}

/** every line of the lake, once per copy, in (topic, partition, offset, text) order: the same lines give the same digest */
function lakeDigest(objects: RawObject[]): string {
  const lines = objects.flatMap((o) => o.lines.map((l) => ({ topic: o.topic, p: l._partition, off: l._offset, text: JSON.stringify(l) })));
  const cmp = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
  lines.sort((a, b) => cmp(a.topic, b.topic) || a.p - b.p || a.off - b.off || cmp(a.text, b.text));
  const hash = createHash('sha256');
  for (let i = 0; i < lines.length; i += 1000)
    hash.update(
      lines
        .slice(i, i + 1000)
        .map((l) => `${l.topic}:${l.p}:${l.off}:${l.text}\n`)
        .join(''),
    );
  return hash.digest('hex');
}

async function finish(stack: Stack, deadlineMs: number, failures: string[], label: string): Promise<void> {
  const procs = [
    startCli(`${label} consume-batch`, ['consume-batch', '--until-idle', '--config', stack.configFile]),
    startCli(`${label} consume-stream`, ['consume-stream', '--until-idle', '--config', stack.configFile]),
  ];
  for (const p of procs) {
    const e = await exitWithin(p, deadlineMs);
    if (e.code !== 0) failures.push(`${p.name} --until-idle: exit ${e.code} ${e.signal ?? ''}${e.timedOut ? ' (timed out)' : ''}: ${p.stderr().slice(-1500)}`);
    // what the run saw of its group: assignments and revocations, and its summary
    const group = p
      .stderr()
      .split('\n')
      .filter((l) => /partitions (assigned|revoked)|rebalanc/i.test(l))
      .map((l) => l.replace(/^.*"msg":"([^"]*)".*?("partitions":\d+)?.*$/, '$1 $2').trim());
    notes.push(`${p.name}: ${p.stdout().trim()} [${group.slice(0, 6).join('; ')}]`);
  }
}

const notes: string[] = [];

/**
 * counters with the stack's topic prefix taken out of the per-partition entries, in key order (the
 * order of the per-partition entries follows the order partitions were assigned, which a rebalance
 * changes; only the keys and values are the state)
 */
function normalize(c: Record<string, number> | null | undefined, prefix: string): Record<string, number> | null {
  if (!c) return null;
  const entries = Object.entries(c).map(([k, v]): [string, number] => [prefix ? k.split(prefix).join('') : k, v]);
  return Object.fromEntries(entries.sort(([x], [y]) => (x < y ? -1 : x > y ? 1 : 0)));
}

export async function runCrashScenario(a: Stack, b: Stack, o: CrashOptions): Promise<CrashReport> {
  const random = seeded(`crash (${a.kind})`);
  const failures: string[] = [];
  notes.length = 0;
  // the body, then a closing posting: every window of the body final in both runs (postings.ts)
  const input = withClosingPosting(buildInput(o.input));
  const logA = await createLog(a.cfg);
  const logB = await createLog(b.cfg);
  for (const [log, cfg] of [
    [logA, a.cfg],
    [logB, b.cfg],
  ] as const)
    await ensureTopics(log, cfg);
  const poison = await produceInput(logA, a.cfg.log.topicPrefix, input);
  const poisonB = await produceInput(logB, b.cfg.log.topicPrefix, input);
  if ([...poison].sort().join() !== [...poisonB].sort().join()) failures.push('the two logs placed the input differently');

  // B: uninterrupted
  await finish(b, o.finishMs, failures, 'B');

  // A: kill at random moments, restart
  const kills = { batch: 0, stream: 0 };
  const schedule: string[] = [];
  const lakeA = await createLake(a.cfg);
  const objectsNow = async () => (await lakeA.list('raw/')).length;
  let batch: Proc | null = null;
  let stream: Proc | null = null;
  for (let r = 0; r < o.rounds; r++) {
    batch ??= startCli('A consume-batch', ['consume-batch', '--config', a.configFile]);
    stream ??= startCli('A consume-stream', ['consume-stream', '--config', a.configFile]);
    const wait = Math.round(random.between(o.killAfterMs[0], o.killAfterMs[1]));
    await sleep(wait);
    const which = r % 3 === 0 ? 'both' : random.next() < 0.5 ? 'batch' : 'stream';
    const objects = await objectsNow();
    for (const [name, p] of [
      ['batch', batch],
      ['stream', stream],
    ] as const) {
      if (which !== 'both' && which !== name) continue;
      if (p.done()) failures.push(`round ${r}: ${p.name} had exited by itself: ${p.stderr().slice(-1500)}`);
      p.kill('SIGKILL');
      const e = await p.exited;
      if (e.signal !== 'SIGKILL') failures.push(`round ${r}: ${p.name} ended with ${e.code}/${e.signal} instead of the SIGKILL`);
      kills[name]++;
      if (name === 'batch') batch = null;
      else stream = null;
    }
    schedule.push(`round ${r}: killed ${which} after ${wait} ms (${objects} raw objects)`);
  }
  for (const p of [batch, stream]) {
    if (!p) continue;
    p.kill('SIGKILL');
    await p.exited;
    kills[p === batch ? 'batch' : 'stream']++;
  }
  await lakeA.close();
  await finish(a, o.finishMs, failures, 'A');

  // the raw zone: exactly once on both, and the same lines
  const ends = await logicalEnds(logA, a.cfg);
  let rawA = await readLake(a.cfg);
  const first = checkExactlyOnce(rawA.objects, ends, poison);
  // a day marker only for a day the lake holds in full (batch-run trusts it)
  const badMarkers = incompleteMarkers(rawA.objects, rawA.markers, input);
  if (badMarkers.length) failures.push(`day markers for incomplete days after the final --until-idle runs: ${badMarkers.join('; ')}`);
  let secondPass = false;
  if (first.missing > 0 || first.duplicates > 0) {
    // --until-idle claimed to be caught up while the raw zone has a gap: report it, then see
    // whether a later run (after any dead group member's session expired) completes it
    failures.push(
      `after the final --until-idle runs the raw zone misses ${first.missing} and repeats ${first.duplicates} record(s) (${first.lines} of ${[...ends.values()].reduce((x, y) => x + y, 0) - poison.size} lines)`,
    );
    secondPass = true;
    await sleep(12_000);
    await finish(a, o.finishMs, failures, 'A (second pass)');
    rawA = await readLake(a.cfg);
  }
  const lakeB = await readLake(b.cfg);
  const lake = checkExactlyOnce(rawA.objects, ends, poison);
  const lakeUninterrupted = checkExactlyOnce(lakeB.objects, await logicalEnds(logB, b.cfg), poison);
  const ids = rawA.objects.flatMap((x) => x.lines.map((l) => l.event_id ?? ''));

  // the views, counters and dead letters
  const [va, vb]: Views[] = [await readViews(a.cfg), await readViews(b.cfg)];
  const dlA = deadLetterKeys((await readAll(logA, [a.cfg.log.topicPrefix + DEAD_LETTER_TOPIC])).map((r) => r.value));
  const dlB = deadLetterKeys((await readAll(logB, [b.cfg.log.topicPrefix + DEAD_LETTER_TOPIC])).map((r) => r.value));
  const same = (x: unknown, y: unknown) => JSON.stringify(x) === JSON.stringify(y);
  const counters = { a: normalize(va.checkpoint?.counters, a.cfg.log.topicPrefix), b: normalize(vb.checkpoint?.counters, b.cfg.log.topicPrefix) };
  if (secondPass)
    failures.push(
      `after a second --until-idle pass: raw zone misses ${lake.missing}, repeats ${lake.duplicates}; views equal: ${same(va.realtime, vb.realtime)}`,
    );
  if (!same(va.realtime, vb.realtime)) failures.push(`realtime views differ: ${firstDifferences(va.realtime, vb.realtime).join('; ')}`);
  if (!same(counters.a, counters.b)) failures.push(`stream checkpoint counters differ: ${counterDifferences(counters.a, counters.b).join('; ')}`);
  if (!same(va.serving, vb.serving)) failures.push(`serving store rt_* rows differ: ${firstDifferences(va.serving, vb.serving).join('; ')}`);
  return {
    stack: a.kind,
    seed: random.seed,
    postings: o.input.postings + 1,
    records: input.length,
    kills,
    schedule,
    lake,
    lakeUninterrupted,
    lakeEventIds: { lines: ids.length, unique: new Set(ids).size },
    views: { realtimeRows: va.realtime.length, servingRows: va.serving.length },
    equal: {
      lake: lakeDigest(rawA.objects) === lakeDigest(lakeB.objects),
      realtime: same(va.realtime, vb.realtime),
      serving: same(va.serving, vb.serving),
      counters: same(counters.a, counters.b),
      deadLetters: same([...dlA].sort(), [...dlB].sort()),
    },
    deadLetters: { poison: poison.size, a: dlA.size, b: dlB.size, poisonDeadLettered: [...poison].every((k) => dlA.has(k)) },
    counters,
    failures,
    notes: notes.splice(0),
  };
}

/**
 * What a crash run must show, on either stack: no failure, the raw zone exactly once and equal to
 * the uninterrupted run's, the same views, counters and dead letters, at least `minKills` kills.
 */
export function expectCrashGuarantees(r: CrashReport, o: { minKills: number; servingRows: boolean }): void {
  expect({ failures: r.failures, schedule: r.schedule }).toEqual({ failures: [], schedule: r.schedule });
  expect(r.lake).toEqual({ lines: r.records - r.deadLetters.poison, objects: expect.any(Number), duplicates: 0, missing: 0, problems: [] });
  expect(r.lakeUninterrupted).toMatchObject({ duplicates: 0, missing: 0, problems: [] });
  expect(r.lakeEventIds).toEqual({ lines: r.records - r.deadLetters.poison, unique: r.postings * 3 });
  expect(r.equal).toEqual({ lake: true, realtime: true, serving: true, counters: true, deadLetters: true });
  expect(r.deadLetters.poisonDeadLettered).toBe(true);
  expect(r.views.realtimeRows).toBeGreaterThan(0);
  if (o.servingRows) expect(r.views.servingRows).toBeGreaterThan(0);
  expect(r.kills.batch + r.kills.stream).toBeGreaterThanOrEqual(o.minKills);
}

/** The keys whose values differ between two counter sets, for a failure message. */
export function counterDifferences(x: Record<string, number> | null, y: Record<string, number> | null, n = 12): string[] {
  const out: string[] = [];
  for (const k of new Set([...Object.keys(x ?? {}), ...Object.keys(y ?? {})])) {
    if (x?.[k] !== y?.[k]) out.push(`${k}: interrupted ${x?.[k] ?? '(none)'} vs uninterrupted ${y?.[k] ?? '(none)'}`);
    if (out.length >= n) break;
  }
  return out;
}

/** The first differing rows of two views, for a failure message. */
export function firstDifferences(x: Views['realtime'], y: Views['realtime'], n = 5): string[] {
  const key = (r: Views['realtime'][number]) => `${r.metric}|${r.minute}|${r.key}`;
  const mx = new Map(x.map((r) => [key(r), JSON.stringify(r)]));
  const my = new Map(y.map((r) => [key(r), JSON.stringify(r)]));
  const out: string[] = [];
  for (const k of new Set([...mx.keys(), ...my.keys()])) {
    if (mx.get(k) !== my.get(k)) out.push(`${k}: interrupted ${mx.get(k) ?? '(none)'} vs uninterrupted ${my.get(k) ?? '(none)'}`);
    if (out.length >= n) break;
  }
  return out;
}

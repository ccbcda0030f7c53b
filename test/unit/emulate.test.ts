/** The emulator end to end against the real API over the real embedded log. */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startApi, type Harness } from './api-harness.js';
import { Emulator, rowForStep, type EmulateOptions } from '../../src/emulate/runner.js';
import { GeneratorSource, generatePosting } from '../../src/connectors/source/generator.js';
import { networkReason } from '../../src/emulate/client.js';
import { summaryText } from '../../src/emulate/report.js';
import { exitWithin, killAll, startCli, waitForOutput } from '../faults/lib/proc.js';

const source = () => new GeneratorSource({ seed: 7, rows: 1000 });
const emulate = (api: string, o: Partial<EmulateOptions> = {}) =>
  new Emulator({ api, source: source(), count: 30, rate: 0, seed: 7, runId: 'r1', concurrency: 4, bulk: 0, signal: new AbortController().signal, ...o });
const totals = async (h: Harness) => [await h.count('pin'), await h.count('geo'), await h.count('user')];

describe('emulate → api → log', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startApi();
  });
  afterAll(async () => h.close());

  test('N postings one record per request: the log holds 3N records, in posting order per step', async () => {
    const s = await emulate(h.url, { count: 30 }).run();
    expect(s).toMatchObject({ postings: 30, sent: 90, accepted: 90, duplicates: 0, rejected: 0, retried: 0, failed: 0 });
    expect(s.rate).toBeGreaterThan(0);
    expect(await totals(h)).toEqual([30, 30, 30]);
    const pins = await h.read('pin', 30);
    const geos = await h.read('geo', 30);
    // step k posts the pin of row rowForStep(7, k, 1000) with key emu-7-r1-k-pin; its geo has the same ind
    for (let k = 0; k < 30; k++) {
      const row = rowForStep(7, k, 1000);
      const pin = pins.find((p) => p.event_id === `emu-7-r1-${k}-pin`)!;
      expect(pin).toMatchObject(generatePosting(7, row, 1000).pin as unknown as Record<string, unknown>);
      expect(geos.find((g) => g.event_id === `emu-7-r1-${k}-geo`)!.ind).toBe(row);
      expect(Date.parse(pin.ingested_at as string)).toBeLessThanOrEqual(Date.parse(geos.find((g) => g.event_id === `emu-7-r1-${k}-geo`)!.ingested_at as string));
    }
  });

  test('the same seed and run id again: every record is a duplicate, nothing is appended', async () => {
    const before = await totals(h);
    const s = await emulate(h.url, { count: 30 }).run();
    expect(s).toMatchObject({ accepted: 90, duplicates: 90, failed: 0 });
    expect(await totals(h)).toEqual(before);
  });

  test('--bulk: postings in /bulk requests (the last one partial): 3N records', async () => {
    const before = await totals(h);
    const s = await emulate(h.url, { count: 40, bulk: 7, runId: 'bulk' }).run();
    expect(s).toMatchObject({ postings: 40, sent: 120, accepted: 120, duplicates: 0, rejected: 0, failed: 0 });
    expect(await totals(h)).toEqual(before.map((n) => n + 40));
  });

  test('a 4xx is counted as rejected and not retried', async () => {
    const before = await totals(h);
    const s = await emulate(`${h.url}/no-such-prefix`, { count: 5, runId: 'rej' }).run();
    expect(s).toMatchObject({ postings: 5, sent: 15, accepted: 0, rejected: 15, retried: 0, failed: 0 });
    expect(await totals(h)).toEqual(before);
  });

  test('--rate paces the postings (open loop)', async () => {
    const s = await emulate(h.url, { count: 10, rate: 25, runId: 'rate' }).run();
    expect(s.accepted).toBe(30);
    expect(s.seconds).toBeGreaterThanOrEqual(0.35); // 10 postings at 25/s: the last starts at 0.36 s
  });

  test('stopping (signal): no new postings, in-flight ones finish, every sent record accounted for', async () => {
    const before = await totals(h);
    const ac = new AbortController();
    const e = emulate(h.url, { count: 0, rate: 200, runId: 'stop', signal: ac.signal });
    setTimeout(() => ac.abort(), 300);
    const s = await e.run();
    expect(s.postings).toBeGreaterThan(5);
    expect(s.sent).toBe(s.postings * 3);
    expect(s.accepted).toBe(s.sent);
    expect(await totals(h)).toEqual(before.map((n) => n + s.postings));
  });
});

test('503 from a log that is down: retried with backoff until it is back; no record lost or doubled', async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'pinpipe-emu-down-'));
  writeFileSync(path.join(dir, 'log'), 'not a directory');
  const h = await startApi({ dir, lazy: true });
  try {
    setTimeout(() => rmSync(path.join(dir, 'log')), 400);
    const s = await emulate(h.url, { count: 12, runId: 'down', retryInitialMs: 20, retryMaxMs: 200, retries: 30 }).run();
    expect(s).toMatchObject({ postings: 12, accepted: 36, rejected: 0, failed: 0 });
    expect(s.retried).toBeGreaterThan(0);
    expect(s.seconds).toBeGreaterThanOrEqual(0.9); // Retry-After: 1 s was honoured
    expect(await totals(h)).toEqual([12, 12, 12]);
  } finally {
    await h.close();
  }
});

test('network errors are retried, then counted as failed', async () => {
  const s = await emulate('http://127.0.0.1:9', { count: 2, runId: 'net', retries: 2, retryInitialMs: 5, retryMaxMs: 10 }).run();
  expect(s).toMatchObject({ postings: 2, sent: 6, accepted: 0, rejected: 0, failed: 6, retried: 12 });
});

describe('nothing listening at --api (issue 11, item 11)', () => {
  test('the first failure says why, once; the summary too', async () => {
    const reasons: string[] = [];
    const s = await emulate('http://127.0.0.1:9', { count: 2, runId: 'why', retries: 1, retryInitialMs: 5, retryMaxMs: 10, onFirstFailure: (r) => reasons.push(r) }).run();
    const why = 'network error: connection refused at http://127.0.0.1:9: is `pinpipe api` running there?';
    expect(reasons).toEqual([why]);
    expect(s).toMatchObject({ failed: 6, last_error: why });
    expect(summaryText(s)).toContain(`failed     6 (${why})`);
  });

  test.each([
    [{ code: 'ECONNREFUSED' }, 'connection refused at http://h:1: is `pinpipe api` running there?'],
    [{ code: 'ENOTFOUND' }, 'cannot resolve the host of http://h:1 (ENOTFOUND)'],
    [{ code: 'ECONNRESET' }, 'connection to http://h:1 reset (ECONNRESET)'],
    [new Error('no answer within 30000 ms'), 'no answer within 30000 ms (http://h:1)'],
  ])('networkReason(%j)', (e, text) => expect(networkReason(e, 'http://h:1')).toBe(text));

  test('the CLI warns on the first failure at once (it used to retry silently for 37 s)', async () => {
    const p = startCli('emulate', ['emulate', '--api', 'http://127.0.0.1:9', '--count', '1', '--data-dir', os.tmpdir()]);
    try {
      await waitForOutput(p, /a request to the API failed: network error: connection refused at http:\/\/127\.0\.0\.1:9: is `pinpipe api` running there\?; retrying/, 10_000);
      p.kill('SIGTERM');
      const e = await exitWithin(p, 20_000);
      expect(e.code).toBe(1);
      expect(p.stdout()).toMatch(/failed {5}\d+ \(network error: connection refused at http:\/\/127\.0\.0\.1:9/);
    } finally {
      await killAll();
    }
  }, 40_000);
});

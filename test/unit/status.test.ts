/** `pinpipe status`: lag, the state of each day, the verdict, and the text that fits 80 columns. */
import { describe, expect, test } from '@jest/globals';
import type { Row } from '../../src/core/tables.js';
import type { RawDays } from '../../src/pipeline/batch-run/days.js';
import { formatStatus } from '../../src/status/format.js';
import { classifyDays, countDays, groupLag, partitionLags, problemsOf } from '../../src/status/judge.js';
import type { StatusReport } from '../../src/status/types.js';

function raw(days: Record<string, { markers: string[]; fingerprint: string }>): RawDays {
  const complete = { pin: new Set<string>(), geo: new Set<string>(), user: new Set<string>() };
  for (const [d, v] of Object.entries(days)) for (const t of v.markers) complete[t as 'pin'].add(d);
  return { days: Object.keys(days).sort(), complete, chunks: new Map(Object.entries(days).map(([d, v]) => [d, { objects: 3, fingerprint: v.fingerprint }])) };
}
const ALL = ['pin', 'geo', 'user'];

describe('lag', () => {
  test.each([
    { ends: [10, 5], current: [7, -1], want: [{ current: 7, lag: 3 }, { current: null, lag: 5 }] },
    { ends: [3], current: [], want: [{ current: null, lag: 3 }] },
    { ends: [4], current: [null], want: [{ current: null, lag: 4 }] },
    { ends: [4], current: [6], want: [{ current: 6, lag: 0 }] },
  ])('ends $ends, positions $current', ({ ends, current, want }) => {
    const parts = partitionLags('pin', ends, current);
    expect(parts.map((p) => ({ current: p.current, lag: p.lag }))).toEqual(want);
    expect(groupLag('g', 'consume-batch', 'committed offsets', parts).lag).toBe(want.reduce((a, w) => a + w.lag, 0));
  });
});

describe('days', () => {
  const lake = raw({
    '2026-11-25': { markers: ALL, fingerprint: 'a' },
    '2026-11-26': { markers: ALL, fingerprint: 'b2' },
    '2026-11-27': { markers: ALL, fingerprint: 'c' },
    '2026-11-28': { markers: ['pin'], fingerprint: 'd' },
    '2026-11-29': { markers: ALL, fingerprint: 'e' },
    '2026-11-30': { markers: [], fingerprint: 'f' },
  });
  const ledger: Row[] = [
    { day: '2026-11-25', status: 'done', complete: true, raw_fingerprint: 'a', raw_records: 30 },
    { day: '2026-11-26', status: 'done', complete: true, raw_fingerprint: 'b1' },
    { day: '2026-11-27', status: 'failed', message: 'disk full' },
    { day: '2026-11-28', status: 'done', complete: false, raw_fingerprint: 'd' },
    { day: '2026-11-29', status: 'done', complete: false, raw_fingerprint: 'e' },
  ];

  test('done, late data, failed, partial, completed since, new and incomplete; newest first', () => {
    const days = classifyDays(ledger, lake);
    expect(days.map((d) => [d.day, d.state, d.note])).toEqual([
      ['2026-11-30', 'pending', 'incomplete (no _SUCCESS: pin, geo, user)'],
      ['2026-11-29', 'pending', 'completed since its run'],
      ['2026-11-28', 'partial', 'incomplete (no _SUCCESS: geo, user)'],
      ['2026-11-27', 'failed', null],
      ['2026-11-26', 'pending', 'late data'],
      ['2026-11-25', 'done', null],
    ]);
    expect(days.at(-1)!.raw_records).toBe(30);
    expect(countDays(days)).toEqual({ done: 1, partial: 1, pending: 3, running: 0, failed: 1 });
  });

  test('without a listing of the lake, the ledger alone', () => {
    expect(classifyDays(ledger, null).map((d) => d.state)).toEqual(['partial', 'partial', 'failed', 'done', 'done']);
  });
});

function report(over: Partial<StatusReport> = {}): StatusReport {
  const base: StatusReport = {
    at: '2026-12-02T10:00:00.000Z',
    healthy: true,
    problems: [],
    thresholds: { max_lag: 100, max_watermark_age_s: 120 },
    connectors: { log: 'embedded', lake: 'local', store: 'embedded', realtime: 'embedded' },
    ingest: { records: 3000, per_second: null, topics: ['pin', 'geo', 'user'].map((topic) => ({ topic, records: 1000 })) },
    groups: [
      groupLag('pinpipe-batch', 'consume-batch', 'committed offsets', partitionLags('pin', [500, 500], [480, 500])),
      groupLag('pinpipe-stream', 'consume-stream', 'stream checkpoint', partitionLags('pin', [500, 500], [500, 500])),
    ],
    stream: {
      group: 'pinpipe-stream',
      watermark: '2026-12-02T09:59:50.000Z',
      watermark_age_s: 10,
      newest_record: '2026-12-02T09:59:59.900Z',
      freshness_s: 0.1,
      lateness_s: 10,
      counters: { recordsIn: 3000, accepted: 3000, duplicates: 0, late: 0, unmatchedGeo: 2, unmatchedUser: 1, deadLettered: 4 },
      windows: [{ metric: 'R1', minute: '2026-12-02T09:59:00.000Z', final: false, rows: 13, open: 2 }],
    },
    dead_letters: { topic: 'deadletter', records: 4 },
    ledger: { counts: { done: 1, partial: 0, pending: 0, running: 0, failed: 0 }, days: classifyDays([{ day: '2026-12-01', status: 'done', complete: true }], null) },
    batch_runs: [],
    errors: [],
  };
  return { ...base, ...over };
}

describe('verdict', () => {
  test('healthy', () => expect(problemsOf(report())).toEqual([]));

  test('a group behind by more than --max-lag', () => {
    const r = report({ thresholds: { max_lag: 10, max_watermark_age_s: 120 } });
    expect(problemsOf(r)).toEqual(['consume-batch (group pinpipe-batch) is 20 records behind (more than --max-lag 10)']);
  });

  test("an old watermark counts only while the stream has records to read", () => {
    const idle = report({ stream: { ...report().stream, watermark_age_s: 3600 } });
    expect(problemsOf(idle)).toEqual([]);
    const stuck = report({ stream: idle.stream, groups: [report().groups[0]!, groupLag('pinpipe-stream', 'consume-stream', 'stream checkpoint', partitionLags('pin', [500], [499]))] });
    expect(problemsOf(stuck)).toEqual(["consume-stream's watermark is 3600 s old with 1 records to read (more than --max-watermark-age 120 s)"]);
  });

  test('a failed day, and a source that cannot be read', () => {
    const r = report({ ledger: { counts: countDays([]), days: classifyDays([{ day: '2026-12-01', status: 'failed', message: 'engine out of memory' }], null) }, errors: [{ source: 'the lake', message: 'S3 unreachable' }] });
    expect(problemsOf(r)).toEqual(['batch-run failed for 2026-12-01: engine out of memory', 'cannot read the lake: S3 unreachable']);
  });
});

test('the text report fits 80 columns, long problems wrapped, not cut', () => {
  const long = 'x'.repeat(30);
  const r = report({
    healthy: false,
    problems: [`consume-stream (group pinpipe-stream-${long}) is 123456789 records behind (more than --max-lag 10)`],
    ledger: { counts: countDays([]), days: classifyDays([{ day: '2026-12-01', status: 'failed', message: `the engine failed: ${long} ${long} ${long}` }], raw({ '2026-12-02': { markers: [], fingerprint: 'z' } })) },
    batch_runs: [{ started_at: '2026-12-01T10:00:00.000Z', day: '2026-12-01', reason: 'late data', status: 'failed', finished_at: null, seconds: 12.25, raw_records: 5, message: null }],
    errors: [{ source: 'the serving store', message: `connect ECONNREFUSED 127.0.0.1:3306 ${long} ${long}` }],
  });
  const text = formatStatus(r);
  const lines = text.trimEnd().split('\n');
  for (const l of lines) expect([...l].length).toBeLessThanOrEqual(80);
  expect(text).toContain('1 PROBLEM');
  expect(text.replace(/\n\s+/g, ' ')).toContain('is 123456789 records behind (more than --max-lag 10)');
  expect(lines).toContain('GROUP           TOPIC  PARTITION  CURRENT-OFFSET  LOG-END-OFFSET  LAG');
  expect(lines).toContain('pinpipe-batch   pin            0             480             500   20');
  expect(text).toContain('2026-12-02  pending');
  expect(text).toContain('DEAD LETTERS  4 records in topic deadletter');
});

import { describe, expect, test } from '@jest/globals';
import {
  completeDays,
  dayEndMs,
  isDayComplete,
  MAX_RESTART_DAYS,
  partitionFrontier,
  restartCandidates,
  topicFrontier,
} from '../../src/pipeline/batch-writer/day-markers.js';
import { advanceMeta, commitPosition, decodeMeta, encodeMeta } from '../../src/pipeline/batch-writer/commit-meta.js';
import { cutChunks } from '../support/chunks.js';
import { stampOf } from '../../src/pipeline/batch-writer/stamp.js';

const at = (iso: string) => Date.parse(iso);
const GRACE = 60_000;

describe('day markers', () => {
  test('a day is complete once the frontier is past its end plus the grace', () => {
    expect(dayEndMs('2026-11-27')).toBe(at('2026-11-28T00:00:00Z'));
    expect(isDayComplete('2026-11-27', at('2026-11-28T00:01:00Z'), GRACE)).toBe(false);
    expect(isDayComplete('2026-11-27', at('2026-11-28T00:01:00.001Z'), GRACE)).toBe(true);
  });

  test.each([
    ['written only', { writtenMs: 100, caughtUp: false, pending: false }, 100],
    ['caught up and idle: the wall clock', { writtenMs: 100, caughtUp: true, pending: false }, 5000],
    ['caught up with a chunk open: what is written', { writtenMs: 100, caughtUp: true, pending: true }, 100],
    ['written ahead of the clock', { writtenMs: 9000, caughtUp: true, pending: false }, 9000],
    ['nothing yet', { writtenMs: Number.NEGATIVE_INFINITY, caughtUp: false, pending: false }, Number.NEGATIVE_INFINITY],
  ])('partition frontier: %s', (_n, p, expected) => {
    expect(partitionFrontier(p, 5000)).toBe(expected);
  });

  test('the topic waits for its slowest partition; no partitions known → nothing complete', () => {
    expect(topicFrontier([5, 3, 9])).toBe(3);
    expect(topicFrontier([])).toBe(Number.NEGATIVE_INFINITY);
  });

  test('complete days among candidates, sorted', () => {
    const f = at('2026-11-27T00:00:30Z');
    expect(completeDays(['2026-11-26', '2026-11-24', '2026-11-27', '2026-11-25'], f, 0)).toEqual(['2026-11-24', '2026-11-25', '2026-11-26']);
    expect(completeDays(['2026-11-26'], f, GRACE)).toEqual([]);
  });

  test('restart candidates: the day before the least progress through the day of the largest', () => {
    expect(restartCandidates([at('2026-11-27T10:00:00Z'), at('2026-11-29T01:00:00Z'), Number.NEGATIVE_INFINITY, Number.NaN])).toEqual([
      '2026-11-26',
      '2026-11-27',
      '2026-11-28',
      '2026-11-29',
    ]);
    expect(restartCandidates([Number.NEGATIVE_INFINITY])).toEqual([]);
    const long = restartCandidates([at('2020-01-01T00:00:00Z'), at('2026-11-27T00:00:00Z')]);
    expect(long.length).toBe(MAX_RESTART_DAYS + 1);
    expect(long[long.length - 1]).toBe('2026-11-27');
  });
});

describe('commit metadata and position', () => {
  test('encode/decode round trip; foreign metadata is ignored', () => {
    const m = { day: '2026-11-27', t: at('2026-11-27T23:59:59.123Z') };
    expect(encodeMeta(m)).toBe('{"day":"2026-11-27","t":"2026-11-27T23:59:59.123Z"}');
    expect(decodeMeta(encodeMeta(m))).toEqual(m);
    expect(decodeMeta('{"day":"2026-11-27"}')).toEqual({ day: '2026-11-27', t: at('2026-11-27T00:00:00Z') });
    expect(decodeMeta(null)).toBeNull();
    expect(decodeMeta('')).toBeNull();
    expect(decodeMeta('kafka says hi')).toBeNull();
    expect(decodeMeta('{"day":5}')).toBeNull();
  });

  test('advanceMeta keeps the largest record time and the last day', () => {
    expect(advanceMeta(null, '2026-11-27', 10)).toEqual({ day: '2026-11-27', t: 10 });
    expect(advanceMeta({ day: '2026-11-28', t: 50 }, '2026-11-27', 10)).toEqual({ day: '2026-11-27', t: 50 });
  });

  test('never past an open chunk; past an adopted object; else the next offset', () => {
    const open = cutChunks('pin', 0, [{ offset: 17, stamp: stampOf(0), line: '{}' }], { chunkRecords: 10, chunkSpan: 1 }).open;
    expect(commitPosition(open, 30)).toBe(17);
    expect(commitPosition(open, 30, 99)).toBe(17);
    expect(commitPosition(null, 30)).toBe(30);
    expect(commitPosition(null, 30, 99)).toBe(100);
  });
});

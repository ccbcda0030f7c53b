/**
 * The date-time fast path (src/core/time.ts) that batch-run and the stream rely on for speed:
 * parseDateTime and toIsoInstant must give exactly what the general parser gives.
 */
import { describe, expect, test } from '@jest/globals';
import fc from 'fast-check';
import { parseDateTime, parseDateTimeSlow, toIsoInstant } from '../../src/core/time.js';

const pad = (n: number, w: number) => String(n).padStart(w, '0');
const canonical = fc
  .tuple(
    fc.integer({ min: 0, max: 9999 }),
    fc.integer({ min: 0, max: 13 }),
    fc.integer({ min: 0, max: 32 }),
    fc.integer({ min: 0, max: 24 }),
    fc.integer({ min: 0, max: 60 }),
    fc.integer({ min: 0, max: 60 }),
    fc.integer({ min: 0, max: 999 }),
  )
  .map(([y, mo, d, h, mi, s, ms]) => `${pad(y, 4)}-${pad(mo, 2)}-${pad(d, 2)}T${pad(h, 2)}:${pad(mi, 2)}:${pad(s, 2)}.${pad(ms, 3)}Z`);
const slowIso = (t: string) => {
  const ms = parseDateTimeSlow(t);
  return ms === null ? null : new Date(ms).toISOString();
};

describe('date-time fast path', () => {
  test('canonical ISO strings, valid or impossible, parse exactly as the general parser', () => {
    fc.assert(
      fc.property(canonical, (t) => {
        expect(parseDateTime(t)).toBe(parseDateTimeSlow(t));
        expect(toIsoInstant(t)).toBe(slowIso(t));
      }),
      { numRuns: 5000 },
    );
  });

  test('other forms (memoized) agree too, on the first and the repeated call', () => {
    const samples = [
      '2020-08-28 03:52:47',
      '2020-02-29 00:00:00',
      '2019-02-29 00:00:00',
      '2020-08-28T03:52:47+02:00',
      '2020-08-28T03:52:47.1234567Z',
      '2020-08-28',
      ' 2020-08-28T03:52:47.000Z ',
      '0050-01-01T00:00:00.000Z',
      '2020-13-01T00:00:00.000Z',
      '2020-1x-01T00:00:00.000Z',
      'nonsense',
      '',
    ];
    for (const t of [...samples, ...samples]) {
      expect(parseDateTime(t)).toBe(parseDateTimeSlow(t));
      expect(toIsoInstant(t)).toBe(slowIso(t));
    }
    expect(toIsoInstant('2020-08-28 03:52:47')).toBe('2020-08-28T03:52:47.000Z');
    expect(toIsoInstant('2024-02-29T23:59:59.999Z')).toBe('2024-02-29T23:59:59.999Z');
    expect(toIsoInstant('2023-02-29T00:00:00.000Z')).toBeNull();
  });

  test('arbitrary strings agree', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 30 }), (t) => {
        expect(parseDateTime(t)).toBe(parseDateTimeSlow(t));
        expect(toIsoInstant(t)).toBe(slowIso(t));
      }),
      { numRuns: 2000 },
    );
  });
});

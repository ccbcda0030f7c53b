import { describe, expect, test } from '@jest/globals';
import fc from 'fast-check';
import { stampRecord } from '../../src/pipeline/batch-writer/stamp.js';
import { dayOf, hourOf } from '../../src/core/time.js';

const pin = { index: 7528, title: 'x', category: 'art', event_id: 'e1', ingested_at: '2026-11-27T10:59:59.999Z' };

describe('stampRecord: ingested_at and the raw-zone line', () => {
  test.each([
    ['API form (ingested_at last)', JSON.stringify(pin), '2026-11-27', '10'],
    ['ingested_at not last (slow path)', JSON.stringify({ ingested_at: '2026-11-27T23:00:00.000Z', index: 1 }), '2026-11-27', '23'],
    ['with spaces around the tail', '{"a": 1, "ingested_at" : "2026-01-01T00:00:00.000Z" }  ', '2026-01-01', '00'],
    ['offset zone converted to UTC', JSON.stringify({ a: 1, ingested_at: '2026-11-28T01:30:00+02:00' }), '2026-11-27', '23'],
    [
      'a decoy in a nested object is not the record stamp',
      JSON.stringify({ ingested_at: '2026-05-05T05:00:00.000Z', x: { ingested_at: '2020-01-01T00:00:00.000Z' } }),
      '2026-05-05',
      '05',
    ],
    [
      'duplicate keys: the last one wins like JSON.parse',
      '{"ingested_at":"2020-01-01T00:00:00.000Z","a":1,"ingested_at":"2026-02-03T04:05:06.000Z"}',
      '2026-02-03',
      '04',
    ],
  ])('%s', (_name, value, day, hour) => {
    const r = stampRecord(value, 2, 41);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.stamp.day).toBe(day);
    expect(r.stamp.hour).toBe(hour);
    const parsed = JSON.parse(r.line);
    expect(parsed._partition).toBe(2);
    expect(parsed._offset).toBe(41);
    const { _partition, _offset, ...rest } = parsed;
    expect(rest).toEqual(JSON.parse(value));
    expect(r.line).not.toMatch(/\n/);
  });

  test.each([
    ['missing', JSON.stringify({ index: 1 }), 'ingested_at is missing'],
    ['not a string', JSON.stringify({ ingested_at: 5 }), 'ingested_at is not a string'],
    ['not a date', JSON.stringify({ a: 1, ingested_at: 'yesterday' }), 'ingested_at is not a date-time: "yesterday"'],
    ['impossible date', JSON.stringify({ a: 1, ingested_at: '2026-02-30T00:00:00Z' }), 'ingested_at is not a date-time: "2026-02-30T00:00:00Z"'],
    ['not JSON', '{"ingested_at":"2026-11-27T10:00:00Z"', 'value is not valid JSON'],
    ['an array', '[{"ingested_at":"2026-11-27T10:00:00Z"}]', 'value is not a JSON object'],
    ['a string', '"hello"', 'value is not a JSON object'],
    ['only nested', JSON.stringify({ a: { ingested_at: '2026-11-27T10:00:00Z' } }), 'ingested_at is missing'],
  ])('dead letter when %s', (_name, value, reason) => {
    expect(stampRecord(value, 0, 0)).toEqual({ ok: false, reason });
  });

  test('pretty-printed JSON becomes one line', () => {
    const r = stampRecord(JSON.stringify(pin, null, 2), 1, 9);
    expect(r.ok && r.line).toBe(JSON.stringify({ ...pin, _partition: 1, _offset: 9 }));
  });

  test('property: the line is the value plus _partition/_offset; dt/hr are those of ingested_at', () => {
    // values as JSON carries them (fc.jsonValue may produce -0, which JSON writes as 0)
    const value = fc.jsonValue().map((v) => JSON.parse(JSON.stringify(v)) as unknown);
    const obj = fc.dictionary(
      fc.string().filter((k) => !['ingested_at', '_partition', '_offset', '__proto__'].includes(k)),
      value,
      { maxKeys: 6 },
    );
    const when = fc.integer({ min: Date.UTC(2000, 0, 1), max: Date.UTC(2099, 11, 31) });
    fc.assert(
      fc.property(obj, when, fc.boolean(), fc.nat(1000), fc.nat(1e9), (o, ms, last, p, off) => {
        const at = new Date(ms).toISOString();
        const rec = last ? { ...o, ingested_at: at } : { ingested_at: at, ...o };
        const r = stampRecord(JSON.stringify(rec), p, off);
        expect(r.ok).toBe(true);
        if (!r.ok) return;
        expect(r.stamp).toEqual({ ms, day: dayOf(ms), hour: hourOf(ms) });
        expect(JSON.parse(r.line)).toEqual({ ...rec, _partition: p, _offset: off });
      }),
      { numRuns: 300 },
    );
  });
});

/**
 * The API's hot-path shortcut against the slow, obviously right version: the raw record texts
 * (src/api/spans.ts) parse to exactly the records JSON.parse gave, so the log value built from them
 * equals the one built by serializing the parsed record.
 */
import { expect, test } from '@jest/globals';
import fc from 'fast-check';
import { bulkRecordTexts, singleRecordText } from '../../src/api/spans.js';
import { stampedValue } from '../../src/api/ingest.js';

/** JSON text with random whitespace between tokens (never a line break inside a record) */
function spaced(value: unknown, ws: () => string): string {
  if (Array.isArray(value)) return `[${ws()}${value.map((v) => spaced(v, ws)).join(`${ws()},${ws()}`)}${ws()}]`;
  if (value !== null && typeof value === 'object') {
    return `{${ws()}${Object.entries(value)
      .map(([k, v]) => `${JSON.stringify(k)}${ws()}:${ws()}${spaced(v, ws)}`)
      .join(`${ws()},${ws()}`)}${ws()}}`;
  }
  return JSON.stringify(value);
}

const jsonObject = fc.dictionary(fc.string({ maxLength: 6 }), fc.jsonValue({ maxDepth: 2 }), { maxKeys: 5 });

test('bulk record texts parse to the records JSON.parse gave; stamped values are equal', () => {
  fc.assert(
    fc.property(
      fc.array(fc.tuple(jsonObject, fc.boolean(), fc.constantFrom('pin', 'geo', 'user')), { minLength: 1, maxLength: 6 }),
      fc.array(fc.constantFrom('', ' ', '\t', '  '), { minLength: 1, maxLength: 7 }),
      (items, spaces) => {
        let n = 0;
        const ws = () => spaces[n++ % spaces.length]!;
        const body = {
          before: { records: 'not this' },
          records: items.map(([record, withId, type]) => (withId ? { event_id: 'e-1', record, type } : { type, record, note: ['}', '"', '\\'] })),
        };
        const text = spaced(body, ws);
        const parsed = JSON.parse(text) as typeof body;
        const texts = bulkRecordTexts(text);
        expect(texts).not.toBeNull();
        expect(texts!.length).toBe(items.length);
        texts!.forEach((raw, i) => {
          const rec = parsed.records[i]!.record;
          expect(raw).not.toBeNull();
          expect(JSON.parse(raw!)).toEqual(rec);
          expect(JSON.parse(stampedValue(rec, 'id-1', '2026-11-27T00:00:00.000Z', raw))).toEqual(
            JSON.parse(stampedValue(rec, 'id-1', '2026-11-27T00:00:00.000Z')),
          );
        });
      },
    ),
    { numRuns: 500 },
  );
});

test('unusual request texts fall back (null) instead of guessing', () => {
  // escaped key spelling "record", repeated keys, line breaks inside a record
  expect(bulkRecordTexts('{"records":[{"type":"pin","rec\\u006frd":{"a":1}}]}')).toEqual([null]);
  expect(bulkRecordTexts('{"records":[{"record":{"a":1},"record":{"a":2}}]}')).toEqual([null]);
  expect(bulkRecordTexts('{"records":[{"record":{"a":\n1}}]}')).toEqual([null]);
  expect(bulkRecordTexts('{"records":[],"records":[]}')).toBeNull();
  expect(bulkRecordTexts('{"rec\\u006frds":[{"record":{"a":1}}]}')).toBeNull();
  expect(bulkRecordTexts('{"records":[1,{"record":{"a":1}} , "x"]}')).toEqual([null, '{"a":1}', null]);
  expect(bulkRecordTexts('{"records":[{"record":{"s":"a\\"}b"},"x":[{"record":{}}]}]}')).toEqual(['{"s":"a\\"}b"}']);
  // single records: the whole body when it is an object without line breaks or surrounding space
  expect(singleRecordText('{"ind":1}')).toBe('{"ind":1}');
  expect(singleRecordText(' {"ind":1}')).toBeNull();
  expect(singleRecordText('{"ind":1}\n')).toBeNull();
  expect(singleRecordText('{"ind":\r\n1}')).toBeNull();
  expect(stampedValue({}, 'e', 't', '{ }')).toBe('{"event_id":"e","ingested_at":"t"}');
  expect(stampedValue({ a: 1 }, 'e', 't', '{ "a" : 1 }')).toBe('{ "a" : 1 ,"event_id":"e","ingested_at":"t"}');
  expect(stampedValue({ a: 1 }, 'e"x', 't', '{"a":1}')).toBe('{"a":1,"event_id":"e\\"x","ingested_at":"t"}');
});

/** The API's pure parts as tables: content types, JSON parsing, limits, idempotency cache, stamping. */
import { checkContentType, parseJson } from '../../src/api/body.js';
import { recordProblems, idempotencyKey, parseBulk } from '../../src/api/validate.js';
import { IdempotencyCache } from '../../src/api/idempotency.js';
import { stampedValue } from '../../src/api/ingest.js';
import { retryAfterMs } from '../../src/emulate/client.js';
import { HttpError } from '../../src/api/reply.js';

const limits = { maxFields: 100, maxFieldChars: 50, maxBulkRecords: 10 };
const GEO = { ind: 1, timestamp: '2020-08-28 03:52:47', latitude: 1, longitude: 2, country: 'Albania' };

const status = (f: () => unknown) => {
  try {
    f();
    return 'ok';
  } catch (e) {
    return e instanceof HttpError ? `${e.status} ${e.code}` : String(e);
  }
};

test.each([
  ['application/json', 'ok'],
  ['application/json; charset=utf-8', 'ok'],
  ['application/json;charset=UTF-8', 'ok'],
  ['APPLICATION/JSON ; charset="utf-8"', 'ok'],
  ['application/json; charset=utf8', 'ok'],
  ['application/json; charset=iso-8859-1', '415 UNSUPPORTED_MEDIA_TYPE'],
  ['application/json; boundary=x', '415 UNSUPPORTED_MEDIA_TYPE'],
  ['text/json', '415 UNSUPPORTED_MEDIA_TYPE'],
  ['application/vnd.api+json', '415 UNSUPPORTED_MEDIA_TYPE'],
  [undefined, '415 UNSUPPORTED_MEDIA_TYPE'],
])('Content-Type %p → %s', (ct, expected) => {
  expect(status(() => checkContentType(ct))).toBe(expected);
});

test.each([
  ['{"a":1}', 'ok'],
  ['[]', 'ok'],
  ['\ufeff{"a":1}', 'ok'],
  ['{"a":', '400 JSON_INVALID'],
  ['', '400 JSON_INVALID'],
  ['NaN', '400 JSON_INVALID'],
])('JSON body %p → %s', (text, expected) => {
  expect(status(() => parseJson(Buffer.from(text)))).toBe(expected);
});

test('invalid UTF-8 sequences are refused, valid multi-byte text is kept', () => {
  expect(status(() => parseJson(Buffer.from([0x22, 0xff, 0x22])))).toBe('400 JSON_INVALID');
  expect(status(() => parseJson(Buffer.from([0x22, 0xed, 0xa0, 0x80, 0x22])))).toBe('400 JSON_INVALID'); // a lone surrogate
  expect(parseJson(Buffer.from('"Curaçao 東京"'))).toBe('Curaçao 東京');
});

test('record limits and schema problems are reported together, once per field', () => {
  expect(recordProblems('geo', GEO, limits)).toEqual([]);
  expect(recordProblems('geo', { ...GEO, country: 'x'.repeat(51), latitude: 99 }, limits)).toEqual([
    { field: 'country', message: 'is 51 characters long; at most 50 allowed' },
    { field: 'latitude', message: 'must be <= 90' },
  ]);
  expect(recordProblems('geo', { ...GEO, a: 1, b: 2 }, { ...limits, maxFields: 6 })).toEqual([{ field: '(record)', message: 'has 7 fields; at most 6 allowed' }]);
  let deep: unknown = 'leaf';
  for (let i = 0; i < 12; i++) deep = { d: deep };
  expect(recordProblems('geo', { ...GEO, deep }, limits)).toEqual([{ field: 'deep.d.d.d.d.d.d.d', message: 'is nested more than 8 levels deep' }]);
});

test('Idempotency-Key header', () => {
  expect(idempotencyKey(undefined)).toBeUndefined();
  expect(idempotencyKey('emu-1-ab12-7-pin')).toBe('emu-1-ab12-7-pin');
  expect(idempotencyKey('a:b.c_d-e')).toBe('a:b.c_d-e');
  expect(status(() => idempotencyKey('a/b'))).toBe('400 IDEMPOTENCY_KEY_INVALID');
});

test('parseBulk collects the problems of every item and keeps the valid ones typed', () => {
  const p = parseBulk({ records: [{ type: 'geo', record: GEO, event_id: 'k1' }, { type: 'pin', record: {} }] }, limits);
  expect(p.items).toHaveLength(2);
  expect(p.types).toEqual(['geo', 'pin']);
  expect(p.problems.listed.every((x) => x.item === 1 && x.field.startsWith('records[1].record.'))).toBe(true);
  expect(p.problems.listed.map((x) => x.field)).toContain('records[1].record.unique_id');
  expect(p.items[0]!.key).toBe('k1');
});

test('idempotency cache: TTL, LRU bound, in-flight reservations', async () => {
  let now = 1000;
  const c = new IdempotencyCache(2, 100, () => now);
  c.reserve(['a'])(new Map([['a', { event_id: 'a', ingested_at: 't1' }]]));
  c.reserve(['b'])(new Map([['b', { event_id: 'b', ingested_at: 't2' }]]));
  expect(c.get('a')?.ingested_at).toBe('t1'); // a is now the most recently used
  c.reserve(['c'])(new Map([['c', { event_id: 'c', ingested_at: 't3' }]]));
  expect(c.get('b')).toBeUndefined(); // evicted: least recently used
  expect(c.get('a')).toBeDefined();
  now += 100;
  expect(c.get('a')).toBeUndefined(); // expired
  const settle = c.reserve(['d']);
  const pending = c.pending('d');
  expect(pending).toBeDefined();
  settle(); // failed: nothing remembered
  await pending;
  expect(c.pending('d')).toBeUndefined();
  expect(c.get('d')).toBeUndefined();
});

test('stampedValue keeps the record as sent and adds the stamps last', () => {
  expect(stampedValue({ ind: 1, z: [1] }, 'e1', '2026-01-01T00:00:00.000Z')).toBe('{"ind":1,"z":[1],"event_id":"e1","ingested_at":"2026-01-01T00:00:00.000Z"}');
  expect(JSON.parse(stampedValue({ ind: 1, event_id: 'forged' }, 'e2', 't'))).toEqual({ ind: 1, event_id: 'e2', ingested_at: 't' });
});

test('Retry-After: seconds or an HTTP date, capped at a minute', () => {
  expect(retryAfterMs('1')).toBe(1000);
  expect(retryAfterMs('0')).toBe(0);
  expect(retryAfterMs('999')).toBe(60_000);
  expect(retryAfterMs(undefined)).toBeUndefined();
  expect(retryAfterMs('soon')).toBeUndefined();
  const inTwo = new Date(Date.now() + 2000).toUTCString();
  expect(retryAfterMs(inTwo)).toBeGreaterThan(500);
});

test('Problems lists the first 100 and counts every problem per field (positions left out) and reason', async () => {
  const { Problems } = await import('../../src/api/problems.js');
  const p = new Problems();
  for (let i = 0; i < 300; i++) {
    p.add({ item: i, field: `records[${i}].record.index`, message: 'is required (number)' });
    if (i % 3 === 0) p.add({ item: i, field: `records[${i}].record.tags[${i}]`, message: 'too long' });
  }
  expect(p.total).toBe(400);
  expect(p.badItems).toBe(300);
  expect(p.listed).toHaveLength(100);
  expect(p.listed[1]).toEqual({ item: 0, field: 'records[0].record.tags[0]', message: 'too long' });
  expect(p.summary()).toEqual({
    fields_total: 400,
    field_counts: [
      { field: 'records[].record.index', message: 'is required (number)', count: 300 },
      { field: 'records[].record.tags[]', message: 'too long', count: 100 },
    ],
  });
  expect(new Problems([{ field: 'a', message: 'b' }]).summary()).toBeUndefined();
});

/**
 * Issue 11, items 2, 3, 4, 5 and 7, at the real API over a real embedded log:
 * - a record with a repeated key is refused (400 naming the field) on every route and in /bulk,
 *   also when /bulk is parsed on a worker thread;
 * - a string with an unpaired surrogate is refused (400 naming the field);
 * - a /bulk of 10,000 invalid records answers a small error (first 100 problems, plus counts);
 * - a valid request followed by garbage on the same connection gets its 201 first;
 * - an idempotency key sent again with another record, or on another route, is 422 and appends nothing.
 */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { connect } from '../faults/lib/http.js';
import { GEO, PIN, post, startApi, USER, type Harness } from './api-harness.js';

let h: Harness;
beforeAll(async () => {
  h = await startApi({ flags: { 'log.topicPrefix': 'hostile.', 'api.bulkWorkers': 1 } });
});
afterAll(async () => {
  await h.close();
  await h.app.close();
});

const total = async () => (await h.count('pin')) + (await h.count('geo')) + (await h.count('user'));

describe('repeated keys (item 2)', () => {
  const geoText = JSON.stringify(GEO).replace('"latitude":-89.9787', '"latitude":999,"latitude":10.5');

  test.each([
    ['/geo', geoText, 'latitude'],
    ['/geo', JSON.stringify(GEO).replace('"latitude":-89.9787', '"latitude" : 999, "l\\u0061titude":10.5'), 'latitude'],
    ['/user', JSON.stringify(USER).replace('"age":20', '"age":-5,"age":20'), 'age'],
    ['/pin', JSON.stringify(PIN).replace('"category":"mens-fashion"', '"category":"x","category":"mens-fashion"'), 'category'],
    ['/pin', JSON.stringify({ ...PIN, extra: { a: 1 } }).replace('"a":1', '"a":1,"a":2'), 'extra.a'],
  ])('%s %s → 400 naming %s; nothing appended', async (route, body, field) => {
    const before = await total();
    const r = await post(h.url, route, body);
    expect(r.status).toBe(400);
    expect(r.json.code).toBe('RECORD_INVALID');
    expect(r.json.fields).toContainEqual({ field, message: expect.stringMatching(/^appears more than once in its object/) });
    expect(await total()).toBe(before);
  });

  test('/bulk: the item is named, inline and on the parse worker; the envelope too', async () => {
    const before = await total();
    const items = (n: number, bad: number) => Array.from({ length: n }, (_, i) => (i === bad ? `{"type":"geo","record":${geoText}}` : `{"type":"user","record":${JSON.stringify({ ...USER, ind: i })}}`));
    const small = await post(h.url, '/bulk', `{"records":[${items(3, 1).join(',')}]}`);
    expect(small.status).toBe(400);
    expect(small.json.fields).toEqual([{ item: 1, field: 'records[1].record.latitude', message: expect.stringMatching(/^appears more than once/) }]);
    const bigBody = `{"records":[${items(400, 321).join(',')}]}`;
    expect(bigBody.length).toBeGreaterThan(16 * 1024); // parsed on the worker thread
    const big = await post(h.url, '/bulk', bigBody);
    expect(big.status).toBe(400);
    expect(big.json.fields).toEqual([{ item: 321, field: 'records[321].record.latitude', message: expect.stringMatching(/^appears more than once/) }]);
    const envelope = await post(h.url, '/bulk', `{"records":[${items(1, -1).join(',')}],"records":[${items(2, -1).join(',')}]}`);
    expect(envelope.status).toBe(400);
    expect(envelope.json.fields).toEqual([{ field: 'records', message: expect.stringMatching(/^appears more than once/) }]);
    const itemKey = await post(h.url, '/bulk', `{"records":[{"type":"pin","type":"user","record":${JSON.stringify(USER)}}]}`);
    expect(itemKey.status).toBe(400);
    expect(itemKey.json.fields).toContainEqual({ item: 0, field: 'records[0].type', message: expect.stringMatching(/^appears more than once/) });
    expect(await total()).toBe(before);
  });

  test('ordinary records (keys once, strings holding `":` and spaces) are accepted', async () => {
    const r = await post(h.url, '/pin', JSON.stringify({ ...PIN, title: 'he said "x": y', description: 'a" : b' }));
    expect(r.status).toBe(201);
    const spaced = await post(h.url, '/geo', JSON.stringify(GEO, null, 2));
    expect(spaced.status).toBe(201);
  });
});

describe('unpaired surrogates (item 3)', () => {
  test.each([
    ['/pin', 'title', JSON.stringify(PIN).replace('"title":"No Title Data Available"', '"title":"\\ud800"')],
    ['/pin', 'title', JSON.stringify(PIN).replace('"title":"No Title Data Available"', '"title":"a\\udc00b"')],
    ['/user', 'first_name', JSON.stringify(USER).replace('"first_name":"Abigail"', '"first_name":"\\uD83D"')],
    ['/geo', 'note[1]', JSON.stringify({ ...GEO, note: ['ok', 'x\\ud800'] }).replace('x\\\\ud800', 'x\\ud800')],
  ])('%s: 400 naming %s; nothing appended', async (route, field, body) => {
    const before = await total();
    const r = await post(h.url, route, body);
    expect(r.status).toBe(400);
    expect(r.json.fields).toContainEqual({ field, message: expect.stringMatching(/unpaired UTF-16 surrogate/) });
    expect(await total()).toBe(before);
  });

  test('/bulk names the item; a well-formed pair (an emoji written as escapes) is accepted', async () => {
    const bad = await post(h.url, '/bulk', `{"records":[{"type":"user","record":${JSON.stringify(USER)}},{"type":"pin","record":${JSON.stringify(PIN).replace('"title":"No Title Data Available"', '"title":"\\ud800"')}}]}`);
    expect(bad.status).toBe(400);
    expect(bad.json.fields).toEqual([{ item: 1, field: 'records[1].record.title', message: expect.stringMatching(/unpaired UTF-16 surrogate/) }]);
    const ok = await post(h.url, '/pin', JSON.stringify(PIN).replace('"title":"No Title Data Available"', '"title":"\\ud83d\\ude00"'));
    expect(ok.status).toBe(201);
    const pins = await h.read('pin', await h.count('pin'));
    expect(pins.some((p) => p.title === '😀')).toBe(true);
  });
});

describe('a /bulk of 10,000 invalid records (item 4)', () => {
  test('answers 400 with the first 100 problems and counts per field and reason, in a small reply', async () => {
    const body = JSON.stringify({ records: Array.from({ length: 10_000 }, () => ({ type: 'pin', record: {} })) });
    const r = await post(h.url, '/bulk', body);
    expect(r.status).toBe(400);
    expect(r.text.length).toBeLessThan(40_000); // was 9.7 MB (36 times the 270 KB request)
    expect(r.json.fields).toHaveLength(100);
    expect(r.json.fields[0]).toEqual({ item: 0, field: 'records[0].record.index', message: expect.any(String) });
    expect(r.json.fields_total).toBe(110_000); // 11 required fields × 10,000 records
    expect(r.json.field_counts).toHaveLength(11);
    expect(r.json.field_counts).toContainEqual({ field: 'records[].record.index', message: r.json.fields[0].message, count: 10_000 });
    expect(r.json.message).toMatch(/^invalid bulk request \(10000 of 10000 records invalid\): records\[0\]\.record\.index .*\(and 109995 more\)$/);
  });

  test('a few problems are listed in full, without counts', async () => {
    const r = await post(h.url, '/bulk', JSON.stringify({ records: [{ type: 'geo', record: { ...GEO, latitude: 'north' } }] }));
    expect(r.status).toBe(400);
    expect(Object.keys(r.json).sort()).toEqual(['code', 'error', 'fields', 'message', 'statusCode']);
  });
});

describe('a valid request followed by garbage on the same connection (item 5)', () => {
  test('the valid record gets its 201 first; then the garbage gets 400 and the connection closes', async () => {
    const before = await h.count('user');
    const body = JSON.stringify({ ...USER, ind: 4242 });
    const x = connect(h.url);
    const answers: Buffer[] = [];
    x.socket.on('data', (d: Buffer) => answers.push(d));
    const closed = new Promise<void>((resolve) => x.socket.on('close', () => resolve()));
    x.socket.write(`POST /user HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ncontent-length: ${body.length}\r\n\r\n${body}\x00\x01GARBAGE \r\n\r\n`);
    await closed;
    const text = Buffer.concat(answers).toString('utf8');
    const statuses = [...text.matchAll(/HTTP\/1\.1 (\d{3})/g)].map((m) => Number(m[1]));
    expect(statuses).toEqual([201, 400]);
    expect(await h.count('user')).toBe(before + 1);
  });
});

describe('an idempotency key sent again with another record (item 7)', () => {
  test('single routes: same record → 200 duplicate (whatever its spacing); another record or another route → 422, not appended', async () => {
    const key = { 'idempotency-key': 'reuse-1' };
    const first = await post(h.url, '/user', { ...USER, ind: 77 }, key);
    expect(first.status).toBe(201);
    const n = await total();
    const again = await post(h.url, '/user', JSON.stringify({ ...USER, ind: 77 }, null, 1), key);
    expect({ status: again.status, duplicate: again.json.duplicate, event_id: again.json.event_id }).toEqual({ status: 200, duplicate: true, event_id: 'reuse-1' });
    const other = await post(h.url, '/user', { ...USER, ind: 78 }, key);
    expect(other.status).toBe(422);
    expect(other.json).toMatchObject({ code: 'IDEMPOTENCY_KEY_REUSED', fields: [{ field: 'Idempotency-Key', message: 'reuse-1 was used within the last 10 minutes for a different user record; send a new record with a new key' }] });
    const route = await post(h.url, '/geo', { ...GEO, ind: 77 }, key);
    expect(route.status).toBe(422);
    expect(route.json.fields[0].message).toBe('reuse-1 was used within the last 10 minutes for a user record (route /user); send a new record with a new key');
    expect(await total()).toBe(n);
  });

  test('/bulk: the same records again are duplicates; a changed one is 422 naming its item, and nothing of the request is appended', async () => {
    const records = [
      { type: 'pin', event_id: 'reuse-b-0', record: { ...PIN, index: 501 } },
      { type: 'geo', event_id: 'reuse-b-1', record: { ...GEO, ind: 501 } },
    ];
    expect((await post(h.url, '/bulk', { records })).status).toBe(201);
    const n = await total();
    const same = await post(h.url, '/bulk', { records });
    expect({ status: same.status, duplicates: same.json.duplicates }).toEqual({ status: 200, duplicates: 2 });
    const changed = await post(h.url, '/bulk', { records: [{ type: 'user', event_id: 'fresh-b-2', record: USER }, records[0], { ...records[1], record: { ...GEO, ind: 501, latitude: 1 } }] });
    expect(changed.status).toBe(422);
    expect(changed.json.fields).toEqual([{ field: 'records[2].event_id', message: 'reuse-b-1 was used within the last 10 minutes for a different geo record; send a new record with a new key' }]);
    // a key of /bulk reused on a single route
    const single = await post(h.url, '/pin', { ...PIN, index: 999 }, { 'idempotency-key': 'reuse-b-0' });
    expect(single.status).toBe(422);
    const sameSingle = await post(h.url, '/pin', { ...PIN, index: 501 }, { 'idempotency-key': 'reuse-b-0' });
    expect(sameSingle.status).toBe(200);
    expect(await total()).toBe(n);
  });
});

/**
 * Accepted records go to the real embedded log stamped with event_id and ingested_at; idempotency
 * keys make repeats answer as duplicates without a second append; /bulk is all-or-nothing; a log
 * that cannot take writes gives 503 with Retry-After and nothing written.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startApi, post, request, PIN, GEO, USER, type Harness } from './api-harness.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
const ISO_MS = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

describe('accepting records', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startApi({ flags: { 'log.topicPrefix': 'acc.', 'api.maxBulkRecords': 6 } });
  });
  afterAll(async () => h.close());

  test('POST /pin, /geo/, /user: 201 only after the append; the log holds the record plus its stamps', async () => {
    const before = Date.now();
    const replies = [await post(h.url, '/pin', { ...PIN, extra: { kept: true } }), await post(h.url, '/geo/', GEO), await post(h.url, '/user/', USER)];
    for (const r of replies) {
      expect(r.status).toBe(201);
      expect(Object.keys(r.json).sort()).toEqual(['event_id', 'ingested_at']);
      expect(r.json.event_id).toMatch(UUID);
      expect(r.json.ingested_at).toMatch(ISO_MS);
      expect(Date.parse(r.json.ingested_at)).toBeGreaterThanOrEqual(before - 5);
    }
    expect([await h.count('pin'), await h.count('geo'), await h.count('user')]).toEqual([1, 1, 1]);
    const [pin] = await h.read('pin', 1);
    expect(pin).toEqual({ ...PIN, extra: { kept: true }, event_id: replies[0]!.json.event_id, ingested_at: replies[0]!.json.ingested_at });
    const [geo] = await h.read('geo', 1);
    expect(geo).toEqual({ ...GEO, ...replies[1]!.json });
    const [user] = await h.read('user', 1);
    expect(user).toEqual({ ...USER, ...replies[2]!.json });
  });

  test('the message key is String(ind) (same ind → same partition) and client stamps are overwritten', async () => {
    const r = await post(h.url, '/geo', { ...GEO, ind: 99, event_id: 'forged', ingested_at: '1999-01-01T00:00:00.000Z' });
    expect(r.status).toBe(201);
    const all = await h.read('geo', 2);
    const rec = all.find((v) => v.ind === 99)!;
    expect(rec.event_id).toBe(r.json.event_id);
    expect(rec.ingested_at).toBe(r.json.ingested_at);
    const consumer = h.log.consumer({ groupId: `k-${Date.now()}`, topics: ['acc.geo'], fromBeginning: true });
    await consumer.connect();
    const keys: (string | null)[] = [];
    await consumer.run({ eachBatch: async (b) => void keys.push(...b.records.map((x) => x.key)) });
    while (keys.length < 2) await new Promise((res) => setTimeout(res, 20));
    await consumer.close();
    expect(keys.sort()).toEqual(['7528', '99']);
  });

  test('Idempotency-Key: becomes the event_id; a repeat answers 200 duplicate and is not appended again', async () => {
    const first = await post(h.url, '/user', { ...USER, ind: 5 }, { 'idempotency-key': 'emu-1-a-0-user' });
    expect(first.status).toBe(201);
    expect(first.json.event_id).toBe('emu-1-a-0-user');
    const n = await h.count('user');
    const again = await post(h.url, '/user/', { ...USER, ind: 5 }, { 'idempotency-key': 'emu-1-a-0-user' });
    expect(again.status).toBe(200);
    expect(again.json).toEqual({ event_id: 'emu-1-a-0-user', ingested_at: first.json.ingested_at, duplicate: true });
    expect(await h.count('user')).toBe(n);
  });

  test('/bulk: mixed types, 201 {accepted, event_ids}, each record on its topic with its event_id', async () => {
    const before = [await h.count('pin'), await h.count('geo'), await h.count('user')];
    const records = [
      { type: 'pin', record: { ...PIN, index: 1 }, event_id: 'b-1-pin' },
      { type: 'geo', record: { ...GEO, ind: 1 } },
      { type: 'user', record: { ...USER, ind: 1 }, event_id: 'b-1-user' },
      { type: 'geo', record: { ...GEO, ind: 2 } },
    ];
    const r = await post(h.url, '/bulk', { records });
    expect(r.status).toBe(201);
    expect(r.json.accepted).toBe(4);
    expect(r.json.duplicates).toBe(0);
    expect(r.json.event_ids[0]).toBe('b-1-pin');
    expect(r.json.event_ids[1]).toMatch(UUID);
    expect(r.json.event_ids[2]).toBe('b-1-user');
    expect([await h.count('pin'), await h.count('geo'), await h.count('user')]).toEqual([before[0]! + 1, before[1]! + 2, before[2]! + 1]);
    const pins = await h.read('pin', before[0]! + 1);
    expect(pins.find((p) => p.event_id === 'b-1-pin')).toMatchObject({ index: 1, category: 'mens-fashion' });
    // the same bulk again: nothing new, every keyed item a duplicate (unkeyed ones are new events)
    const again = await post(h.url, '/bulk', { records: records.filter((x) => x.event_id) });
    expect(again.status).toBe(200);
    expect(again.json).toEqual({ accepted: 0, duplicates: 2, event_ids: ['b-1-pin', 'b-1-user'] });
    expect(await h.count('pin')).toBe(before[0]! + 1);
  });

  test('/bulk is all-or-nothing: one bad item → 400 naming each item index and field, nothing written', async () => {
    const before = [await h.count('pin'), await h.count('geo'), await h.count('user')];
    const r = await post(h.url, '/bulk', {
      records: [
        { type: 'pin', record: { ...PIN, index: 3 } },
        { type: 'geo', record: { ...GEO, latitude: 91, country: 7 } },
        { type: 'user', record: { ...USER, ind: 3 } },
        { type: 'board', record: {} },
        { type: 'user', record: [1], event_id: 'bad key!' },
      ],
    });
    expect(r.status).toBe(400);
    expect(r.json.code).toBe('RECORD_INVALID');
    expect(r.json.message).toMatch(/^invalid bulk request \(3 of 5 records invalid\)/);
    expect(r.json.fields).toEqual([
      { item: 1, field: 'records[1].record.latitude', message: 'must be <= 90' },
      { item: 1, field: 'records[1].record.country', message: 'must be a string' },
      { item: 3, field: 'records[3].type', message: 'must be one of "pin", "geo", "user"' },
      { item: 4, field: 'records[4].event_id', message: 'must match /^[A-Za-z0-9._:-]{1,128}$/' },
      { item: 4, field: 'records[4].record', message: 'must be a JSON object' },
    ]);
    expect([await h.count('pin'), await h.count('geo'), await h.count('user')]).toEqual(before);
  });

  test('/bulk envelope errors: not {records: [...]}, empty, repeated event_id, over api.maxBulkRecords', async () => {
    const before = await h.count('geo');
    const shape = await post(h.url, '/bulk', [{ type: 'geo', record: GEO }]);
    expect(shape.status).toBe(400);
    expect(shape.json.fields).toEqual([{ field: 'records', message: 'must be an array' }]);
    expect((await post(h.url, '/bulk', { records: [] })).json.fields).toEqual([{ field: 'records', message: 'must not be empty' }]);
    const rep = await post(h.url, '/bulk', {
      records: [
        { type: 'geo', record: GEO, event_id: 'same' },
        { type: 'geo', record: GEO, event_id: 'same' },
      ],
    });
    expect(rep.status).toBe(400);
    expect(rep.json.fields).toEqual([{ item: 1, field: 'records[1].event_id', message: 'repeats the event_id of records[0]' }]);
    const big = await post(h.url, '/bulk', { records: Array.from({ length: 7 }, () => ({ type: 'geo', record: GEO })) });
    expect(big.status).toBe(413);
    expect(big.json).toMatchObject({ code: 'BODY_TOO_LARGE', message: 'a bulk request holds at most 6 records, got 7' });
    expect(await h.count('geo')).toBe(before);
  });

  test('GET /health, /ready, /metrics', async () => {
    expect((await request(h.url, 'GET', '/health')).json).toEqual({ status: 'ok' });
    const ready = await request(h.url, 'GET', '/ready');
    expect(ready.status).toBe(200);
    expect(ready.json).toEqual({ status: 'ready' });
    const m = await request(h.url, 'GET', '/metrics');
    expect(m.headers['content-type']).toMatch(/^text\/plain; version=0\.0\.4/);
    expect(m.text).toMatch(/^pinpipe_api_requests_total\{route="\/bulk",status="201"\} 1$/m);
    expect(m.text).toMatch(/^pinpipe_api_records_accepted_total\{type="geo"\} 4$/m);
    expect(m.text).toMatch(/^pinpipe_api_records_duplicate_total\{type="user"\} 2$/m);
    expect(m.text).toMatch(/^pinpipe_api_records_rejected_total\{type="unknown"\} 1$/m);
    expect(m.text).toMatch(/^pinpipe_api_request_duration_seconds_bucket\{route="\/pin",le="\+Inf"\} \d+$/m);
    expect(m.text).toMatch(/^# TYPE pinpipe_api_request_duration_seconds histogram$/m);
  });
});

describe('concurrency and draining', () => {
  test('two concurrent requests with one key: the second waits for the first; one record, one event_id', async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    let sends = 0;
    const h = await startApi({ wrap: (p) => ({ send: async (m) => (sends++, await gate, p.send(m)) }) });
    try {
      const a = post(h.url, '/pin', PIN, { 'idempotency-key': 'same-key' });
      await new Promise((r) => setTimeout(r, 100));
      const b = post(h.url, '/pin', PIN, { 'idempotency-key': 'same-key' });
      await new Promise((r) => setTimeout(r, 100));
      expect(sends).toBe(1); // the second is waiting, not appending
      release();
      const [ra, rb] = await Promise.all([a, b]);
      expect(ra.status).toBe(201);
      expect(rb.status).toBe(200);
      expect(rb.json).toEqual({ ...ra.json, duplicate: true });
      expect(await h.count('pin')).toBe(1);
    } finally {
      release();
      await h.close();
    }
  });

  test('close(): stops accepting, finishes the request in flight (201, record in the log)', async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const h = await startApi({ wrap: (p) => ({ send: async (m) => (await gate, p.send(m)) }) });
    try {
      const inFlight = post(h.url, '/geo', GEO);
      await new Promise((r) => setTimeout(r, 100));
      const closing = h.server.close(5000);
      await new Promise((r) => setTimeout(r, 50));
      await expect(post(h.url, '/geo', GEO)).rejects.toThrow(/ECONNREFUSED/);
      release();
      const r = await inFlight;
      expect(r.status).toBe(201);
      expect(r.headers.connection).toBe('close');
      await closing;
      expect(await h.count('geo')).toBe(1);
    } finally {
      release();
      await h.close();
    }
  });
});

describe('a log that cannot take writes', () => {
  test('503 LOG_UNAVAILABLE with Retry-After, nothing written, not ready; the retry succeeds once the log is back', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'pinpipe-api-down-'));
    writeFileSync(path.join(dir, 'log'), 'not a directory'); // the embedded log cannot create its files
    const h = await startApi({ dir, lazy: true });
    try {
      const r = await post(h.url, '/geo', GEO, { 'idempotency-key': 'retry-me' });
      expect(r.status).toBe(503);
      expect(r.headers['retry-after']).toBe('1');
      expect(r.json).toMatchObject({ statusCode: 503, error: 'Service Unavailable', code: 'LOG_UNAVAILABLE', fields: [] });
      const b = await post(h.url, '/bulk', { records: [{ type: 'pin', record: PIN }] });
      expect(b.status).toBe(503);
      const ready = await request(h.url, 'GET', '/ready');
      expect(ready.status).toBe(503);
      expect(ready.json).toMatchObject({ code: 'NOT_READY', message: 'the log does not accept writes: the last append to the log failed' });
      const m = await request(h.url, 'GET', '/metrics');
      expect(m.text).toMatch(/^pinpipe_api_records_accepted_total\{type="geo"\} 0$/m);
      expect(m.text).toMatch(/^pinpipe_api_log_unavailable_total 2$/m);

      rmSync(path.join(dir, 'log')); // the log is back
      await h.admin.ensureTopics(['pin', 'geo', 'user']);
      expect(await h.count('geo')).toBe(0); // nothing of the refused requests was written
      const again = await post(h.url, '/geo', GEO, { 'idempotency-key': 'retry-me' });
      expect(again.status).toBe(201); // the failed attempt was not remembered as accepted
      expect(again.json.event_id).toBe('retry-me');
      expect((await request(h.url, 'GET', '/ready')).status).toBe(200);
      expect(await h.count('geo')).toBe(1);
      expect(await h.count('pin')).toBe(0);
      const values = await h.read('geo', 1);
      expect(values.map((v) => v.event_id)).toEqual(['retry-me']);
    } finally {
      await h.close();
    }
  });
});

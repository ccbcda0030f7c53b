/**
 * Every refusal of the API gets its documented status and body (docs/api.md), and nothing of a
 * refused request enters the log (checked with the log's end offsets afterwards).
 */
import http from 'node:http';
import { startApi, post, request, JSON_HEADERS, PIN, GEO, USER, type Harness } from './api-harness.js';

let h: Harness;
beforeAll(async () => {
  h = await startApi({ flags: { 'api.maxBodyBytes': 4096, 'api.maxFields': 20, 'api.maxFieldChars': 200 }, requestTimeoutMs: 1000 });
});
afterAll(async () => {
  await h.close();
});

const fieldsOf = (r: { json: any }) => (r.json.fields as { field: string; message: string }[]).map((f) => `${f.field}: ${f.message}`);

describe('records that break data contract §1 → 400 RECORD_INVALID naming every field', () => {
  test.each([
    ['an array', '/pin', [1, 2]],
    ['a string', '/geo', 'hello'],
    ['null', '/user', null],
    ['a number', '/pin/', 42],
  ])('not a JSON object (%s)', async (_what, route, body) => {
    const r = await post(h.url, route, JSON.stringify(body));
    expect(r.status).toBe(400);
    expect(r.json).toEqual({
      statusCode: 400,
      error: 'Bad Request',
      code: 'RECORD_INVALID',
      message: expect.stringContaining('must be a JSON object'),
      fields: [{ field: '(record)', message: 'must be a JSON object' }],
    });
  });

  test('a missing field', async () => {
    const { country: _c, ...geo } = GEO;
    const r = await post(h.url, '/geo', geo);
    expect(r.status).toBe(400);
    expect(r.json.code).toBe('RECORD_INVALID');
    expect(fieldsOf(r)).toEqual(['country: is required (string)']);
    expect(r.json.message).toBe('invalid geo record: country is required (string)');
  });

  test('a wrong JSON type', async () => {
    const r = await post(h.url, '/user', { ...USER, age: '20' });
    expect(r.status).toBe(400);
    expect(fieldsOf(r)).toEqual(['age: must be a number']);
    const r2 = await post(h.url, '/pin', { ...PIN, downloaded: true, index: 1.5 });
    expect(fieldsOf(r2).sort()).toEqual(['downloaded: must be 0 or 1', 'index: must be an integer']);
  });

  test('out of range values', async () => {
    expect(fieldsOf(await post(h.url, '/geo', { ...GEO, latitude: 90.5 }))).toEqual(['latitude: must be <= 90']);
    expect(fieldsOf(await post(h.url, '/geo', { ...GEO, longitude: -181 }))).toEqual(['longitude: must be >= -180']);
    expect(fieldsOf(await post(h.url, '/user', { ...USER, age: 131 }))).toEqual(['age: must be <= 130']);
    expect(fieldsOf(await post(h.url, '/pin', { ...PIN, index: -1 }))).toEqual(['index: must be >= 0']);
  });

  test('EVERY offending field is named at once', async () => {
    const r = await post(h.url, '/geo', { ind: 'x', timestamp: 'yesterday', latitude: 100, longitude: 200 });
    expect(r.status).toBe(400);
    expect(fieldsOf(r).sort()).toEqual([
      'country: is required (string)',
      'ind: must be a number',
      'latitude: must be <= 90',
      'longitude: must be <= 180',
      'timestamp: must be a date-time like "2020-08-28 03:52:47" or ISO 8601 (UTC)',
    ]);
  });

  test('more fields than api.maxFields → 400 naming the record', async () => {
    const extra = Object.fromEntries(Array.from({ length: 16 }, (_, i) => [`x${i}`, i]));
    const r = await post(h.url, '/user', { ...USER, ...extra });
    expect(r.status).toBe(400);
    expect(r.json.code).toBe('RECORD_INVALID');
    expect(r.json.fields).toEqual([{ field: '(record)', message: 'has 21 fields; at most 20 allowed' }]);
  });

  test('a string longer than api.maxFieldChars → 400 naming the field (also nested extras)', async () => {
    const r = await post(h.url, '/pin', { ...PIN, title: 'x'.repeat(201) });
    expect(r.status).toBe(400);
    expect(r.json.fields).toEqual([{ field: 'title', message: 'is 201 characters long; at most 200 allowed' }]);
    const r2 = await post(h.url, '/pin', { ...PIN, extra: { deep: ['ok', 'y'.repeat(300)] } });
    expect(r2.json.fields).toEqual([{ field: 'extra.deep[1]', message: 'is 300 characters long; at most 200 allowed' }]);
  });
});

describe('request-level refusals', () => {
  test('malformed JSON → 400 JSON_INVALID', async () => {
    for (const body of ['{"ind": 1,', '', '{ind: 1}']) {
      const r = await post(h.url, '/geo', body);
      expect(r.status).toBe(400);
      expect(r.json).toMatchObject({ statusCode: 400, error: 'Bad Request', code: 'JSON_INVALID', fields: [] });
      expect(r.json.message).toMatch(/^request body is not valid JSON: /);
    }
  });

  test('invalid UTF-8 → 400 JSON_INVALID', async () => {
    const bytes = Buffer.concat([Buffer.from('{"ind": 1, "country": "'), Buffer.from([0xc3, 0x28]), Buffer.from('"}')]);
    const r = await request(h.url, 'POST', '/geo', bytes, JSON_HEADERS);
    expect(r.status).toBe(400);
    expect(r.json).toMatchObject({ code: 'JSON_INVALID', message: 'request body is not valid UTF-8' });
  });

  test('body over api.maxBodyBytes (declared) → 413 before reading it', async () => {
    const r = await post(h.url, '/pin', { ...PIN, pad: 'p'.repeat(5000) });
    expect(r.status).toBe(413);
    expect(r.json).toEqual({
      statusCode: 413,
      error: 'Payload Too Large',
      code: 'BODY_TOO_LARGE',
      message: 'request body is larger than 4096 bytes',
      fields: [],
    });
    expect(r.headers.connection).toBe('close');
  });

  test('body over api.maxBodyBytes (chunked, no length) → 413 and the server stops reading', async () => {
    const u = new URL(h.url);
    const reply = await new Promise<{ status: number; body: string; written: number }>((resolve, reject) => {
      const req = http.request({
        hostname: u.hostname,
        port: u.port,
        path: '/pin',
        method: 'POST',
        headers: { ...JSON_HEADERS, 'transfer-encoding': 'chunked' },
        agent: false,
      });
      let written = 0;
      let stop = false;
      req.on('response', (res) => {
        stop = true;
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode!, body: Buffer.concat(chunks).toString(), written }));
      });
      req.on('error', (e) => (stop ? undefined : reject(e)));
      const pump = () => {
        // keep writing until the server answers (bounded at 50 MB so a broken limit fails the test)
        while (!stop && written < 50e6) {
          written += 16_384;
          if (!req.write('x'.repeat(16_384))) return void req.once('drain', pump);
        }
      };
      req.write('{"pad": "');
      pump();
    });
    expect(reply.status).toBe(413);
    expect(JSON.parse(reply.body).code).toBe('BODY_TOO_LARGE');
    expect(reply.written).toBeLessThan(50e6);
  });

  test('wrong Content-Type → 415; application/json with charset utf-8 is fine', async () => {
    for (const ct of ['text/plain', 'application/x-www-form-urlencoded', 'application/json; charset=latin1', 'application/jsonx']) {
      const r = await request(h.url, 'POST', '/user', JSON.stringify(USER), { 'content-type': ct });
      expect(r.status).toBe(415);
      expect(r.json).toMatchObject({ statusCode: 415, error: 'Unsupported Media Type', code: 'UNSUPPORTED_MEDIA_TYPE' });
    }
    const none = await request(h.url, 'POST', '/user', JSON.stringify(USER));
    expect(none.status).toBe(415);
    const before = await h.count('user');
    const ok = await request(h.url, 'POST', '/user', JSON.stringify(USER), { 'content-type': 'Application/JSON; charset=UTF-8' });
    expect(ok.status).toBe(201);
    expect(await h.count('user')).toBe(before + 1);
  });

  test('unknown route → 404; wrong method → 405 with Allow', async () => {
    const r = await post(h.url, '/pins', PIN);
    expect(r.status).toBe(404);
    expect(r.json).toMatchObject({ statusCode: 404, error: 'Not Found', code: 'NOT_FOUND' });
    const g = await request(h.url, 'GET', '/pin');
    expect(g.status).toBe(405);
    expect(g.headers.allow).toBe('POST');
    expect(g.json).toMatchObject({ statusCode: 405, error: 'Method Not Allowed', code: 'METHOD_NOT_ALLOWED' });
    const p = await post(h.url, '/health', {});
    expect(p.status).toBe(405);
    expect(p.headers.allow).toBe('GET, HEAD');
  });

  test('an Idempotency-Key outside /^[A-Za-z0-9._:-]{1,128}$/ → 400', async () => {
    for (const key of ['has space', 'x'.repeat(129), 'ünïcode', '']) {
      const r = await post(h.url, '/geo', GEO, { 'idempotency-key': key });
      expect(r.status).toBe(400);
      expect(r.json).toMatchObject({
        code: 'IDEMPOTENCY_KEY_INVALID',
        fields: [{ field: 'Idempotency-Key', message: 'must match /^[A-Za-z0-9._:-]{1,128}$/' }],
      });
    }
  });

  test('a body that arrives too slowly → 408 after the request timeout', async () => {
    const u = new URL(h.url);
    const started = Date.now();
    const status = await new Promise<number>((resolve, reject) => {
      const req = http.request({
        hostname: u.hostname,
        port: u.port,
        path: '/geo',
        method: 'POST',
        headers: { ...JSON_HEADERS, 'content-length': 200 },
        agent: false,
      });
      req.on('response', (res) => {
        res.resume();
        resolve(res.statusCode!);
      });
      req.on('error', reject);
      req.write('{"ind": 1');
    });
    expect(status).toBe(408);
    expect(Date.now() - started).toBeLessThan(5000);
  });

  test('nothing of any refused request entered the log', async () => {
    expect(await h.count('pin')).toBe(0);
    expect(await h.count('geo')).toBe(0);
    expect(await h.count('user')).toBe(1); // the one accepted Content-Type case
    const m = await request(h.url, 'GET', '/metrics');
    expect(m.text).toMatch(/pinpipe_api_records_accepted_total\{type="pin"\} 0/);
    expect(Number(/pinpipe_api_records_rejected_total\{type="geo"\} (\d+)/.exec(m.text)![1])).toBeGreaterThan(5);
    expect(m.text).toMatch(/pinpipe_api_requests_total\{route="other",status="404"\} 1/);
  });
});

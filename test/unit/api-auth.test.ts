/** With api.apiKey set, ingestion needs the key (Bearer or X-API-Key); health routes stay open. */
import { startApi, post, request, GEO, type Harness } from './api-harness.js';

const KEY = 'k3y-0123456789abcdef-secret';
let h: Harness;
beforeAll(async () => {
  h = await startApi({ flags: { 'api.apiKey': KEY } });
});
afterAll(async () => h.close());

test('no key, a wrong key, or a key of another length → 401 with WWW-Authenticate; nothing written', async () => {
  for (const headers of [
    {} as Record<string, string>,
    { authorization: `Bearer ${KEY}x` },
    { 'x-api-key': 'short' },
    { authorization: KEY },
    { authorization: 'Basic abc' },
  ]) {
    const r = await post(h.url, '/geo', GEO, headers);
    expect(r.status).toBe(401);
    expect(r.headers['www-authenticate']).toBe('Bearer realm="pinpipe"');
    expect(r.json).toMatchObject({ statusCode: 401, error: 'Unauthorized', code: 'UNAUTHORIZED' });
    expect(r.text).not.toContain(KEY);
  }
  const bulk = await post(h.url, '/bulk', { records: [{ type: 'geo', record: GEO }] });
  expect(bulk.status).toBe(401);
  expect(await h.count('geo')).toBe(0);
});

test('Authorization: Bearer <key> and X-API-Key: <key> are accepted', async () => {
  expect((await post(h.url, '/geo', GEO, { authorization: `Bearer ${KEY}` })).status).toBe(201);
  expect((await post(h.url, '/geo', GEO, { authorization: `bearer ${KEY}` })).status).toBe(201);
  expect((await post(h.url, '/geo', GEO, { 'x-api-key': KEY })).status).toBe(201);
  expect(await h.count('geo')).toBe(3);
});

test('health, readiness and metrics need no key', async () => {
  expect((await request(h.url, 'GET', '/health')).status).toBe(200);
  expect((await request(h.url, 'GET', '/ready')).status).toBe(200);
  const m = await request(h.url, 'GET', '/metrics');
  expect(m.status).toBe(200);
  expect(m.text).toMatch(/^pinpipe_api_requests_total\{route="\/geo",status="401"\} 5$/m);
});

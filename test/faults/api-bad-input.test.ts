/**
 * Bad input at the API (a child `pinpipe api --port 0` on the embedded log): every malformed,
 * oversized, hostile or slow request gets the 4xx that docs/api.md documents, quickly; the server
 * stays responsive (a valid request succeeds right after each case, and during a slowloris
 * attack), its resident memory stays bounded, and nothing but the valid records enters the log.
 */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { EmbeddedLog } from '../../src/connectors/log/embedded.js';
import { generatePosting } from '../../src/connectors/source/generator.js';
import { loadConfig, type Config } from '../../src/core/config.js';
import { connect, post, rawRequest, requestBytes, streamBody, trickle, type RawResponse } from './lib/http.js';
import { endOffsets, readAll, total } from './lib/logread.js';
import { killAll, rssKb, sleep, startApi, type Proc } from './lib/proc.js';

const TOPICS = ['pin', 'geo', 'user'];
const QUICK_MS = 2000; // "quickly": every refusal within this
const RSS_BOUND_KB = 150 * 1024;

let dir: string;
let cfg: Config;
let api: Proc;
let url: string;
let log: EmbeddedLog;
let baselineRss = 0;
let peakRss = 0;
let sampler: NodeJS.Timeout | undefined;
const accepted = new Set<string>();
let validCount = 0;
let slowloris = '';
let bulkFlood = '';

beforeAll(async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'pinpipe-faults-api-'));
  cfg = loadConfig({ env: {}, flags: { dataDir: dir } });
  ({ proc: api, url } = await startApi(['--data-dir', dir]));
  log = new EmbeddedLog(cfg);
  for (let i = 0; i < 20; i++) await validRequest(); // warm up before the memory baseline
  baselineRss = rssKb(api.pid);
  peakRss = baselineRss;
  sampler = setInterval(() => {
    if (!api.done()) peakRss = Math.max(peakRss, rssKb(api.pid));
  }, 25);
}, 60_000);

afterAll(async () => {
  clearInterval(sampler);
  await killAll();
  rmSync(dir, { recursive: true, force: true });
});

/** one valid pin: 201 with an event_id, quickly */
async function validRequest(): Promise<void> {
  const n = validCount++;
  const key = `faults-ok-${n}`;
  const r = await post(url, '/pin', JSON.stringify(generatePosting(7, n).pin), { 'idempotency-key': key });
  expect({ status: r.status, body: r.body }).toEqual({ status: 201, body: expect.stringContaining(`"event_id":"${key}"`) });
  expect(r.ms).toBeLessThan(QUICK_MS);
  accepted.add(key);
}

function expectError(r: RawResponse, status: number, code: string | string[]): Record<string, unknown> {
  const codes = Array.isArray(code) ? code : [code];
  let body: Record<string, unknown> = {};
  try {
    body = JSON.parse(r.body) as Record<string, unknown>;
  } catch {
    // reported below
  }
  expect({ status: r.status, code: body.code }).toEqual({ status, code: expect.stringMatching(new RegExp(`^(${codes.join('|')})$`)) });
  expect(body).toMatchObject({ statusCode: status, fields: expect.any(Array) });
  expect(typeof body.message).toBe('string');
  return body;
}

/** after each case: the server answers a valid request at once, and the log holds only valid records */
async function stillHealthy(): Promise<void> {
  await validRequest();
  expect(total(await endOffsets(log, TOPICS))).toBe(accepted.size);
  expect(api.done()).toBe(false);
}

const pin = (over: Record<string, unknown> = {}) => ({ ...generatePosting(3, 11).pin, ...over });
const geo = (over: Record<string, unknown> = {}) => ({ ...generatePosting(3, 11).geo, ...over });
const user = (over: Record<string, unknown> = {}) => ({ ...generatePosting(3, 11).user, ...over });

interface Case {
  name: string;
  send: () => Promise<RawResponse>;
  status: number;
  code: string | string[];
  /** a field the error must name (or a path inside it) */
  field?: string;
}

const deep = 100_000;
const CASES: Case[] = [
  { name: 'malformed JSON', send: () => post(url, '/pin', '{"index": 1, "title": '), status: 400, code: 'JSON_INVALID' },
  { name: 'empty body', send: () => post(url, '/geo', ''), status: 400, code: 'JSON_INVALID' },
  { name: 'invalid UTF-8 bytes', send: () => post(url, '/pin', Buffer.concat([Buffer.from('{"index": 1, "title": "'), Buffer.from([0xc3, 0x28, 0xff, 0xfe, 0xed, 0xa0, 0x80]), Buffer.from('"}')])), status: 400, code: 'JSON_INVALID' },
  { name: 'overlong UTF-8 encoding of "/"', send: () => post(url, '/user', Buffer.concat([Buffer.from('{"first_name": "'), Buffer.from([0xc0, 0xaf]), Buffer.from('"}')])), status: 400, code: 'JSON_INVALID' },
  { name: 'a JSON string, not an object', send: () => post(url, '/pin', '"hello"'), status: 400, code: 'RECORD_INVALID' },
  { name: 'JSON null', send: () => post(url, '/geo', 'null'), status: 400, code: 'RECORD_INVALID' },
  { name: 'wrong type: index as a string', send: () => post(url, '/pin', JSON.stringify(pin({ index: '11' }))), status: 400, code: 'RECORD_INVALID', field: 'index' },
  { name: 'wrong type: downloaded true', send: () => post(url, '/pin', JSON.stringify(pin({ downloaded: true }))), status: 400, code: 'RECORD_INVALID', field: 'downloaded' },
  { name: 'wrong type: latitude as a string', send: () => post(url, '/geo', JSON.stringify(geo({ latitude: '12.5' }))), status: 400, code: 'RECORD_INVALID', field: 'latitude' },
  { name: 'missing field', send: () => post(url, '/user', JSON.stringify({ ...user(), age: undefined })), status: 400, code: 'RECORD_INVALID', field: 'age' },
  { name: 'out of range: latitude 90.0001', send: () => post(url, '/geo', JSON.stringify(geo({ latitude: 90.0001 }))), status: 400, code: 'RECORD_INVALID', field: 'latitude' },
  { name: 'out of range: longitude -180.5', send: () => post(url, '/geo', JSON.stringify(geo({ longitude: -180.5 }))), status: 400, code: 'RECORD_INVALID', field: 'longitude' },
  { name: 'out of range: age 131', send: () => post(url, '/user', JSON.stringify(user({ age: 131 }))), status: 400, code: 'RECORD_INVALID', field: 'age' },
  { name: 'out of range: index -1', send: () => post(url, '/pin', JSON.stringify(pin({ index: -1 }))), status: 400, code: 'RECORD_INVALID', field: 'index' },
  { name: 'out of range: age 1e400 (Infinity)', send: () => post(url, '/user', JSON.stringify(user()).replace(/"age":\d+/, '"age":1e400')), status: 400, code: 'RECORD_INVALID', field: 'age' },
  { name: 'not an integer: ind 1.5', send: () => post(url, '/user', JSON.stringify(user({ ind: 1.5 }))), status: 400, code: 'RECORD_INVALID', field: 'ind' },
  { name: 'impossible date', send: () => post(url, '/geo', JSON.stringify(geo({ timestamp: '2020-02-30 10:00:00' }))), status: 400, code: 'RECORD_INVALID', field: 'timestamp' },
  { name: 'huge string (20,000 chars)', send: () => post(url, '/pin', JSON.stringify(pin({ title: 'x'.repeat(20_000) }))), status: 400, code: 'RECORD_INVALID', field: 'title' },
  { name: 'huge string in an extra field (900 kB)', send: () => post(url, '/pin', JSON.stringify(pin({ note: 'é'.repeat(450_000) }))), status: 400, code: 'RECORD_INVALID', field: 'note' },
  { name: 'thousands of fields (5,000)', send: () => post(url, '/pin', JSON.stringify({ ...pin(), ...Object.fromEntries(Array.from({ length: 5000 }, (_, i) => [`f${i}`, i])) })), status: 400, code: 'RECORD_INVALID', field: '(record)' },
  { name: 'deeply nested arrays (100k levels)', send: () => post(url, '/pin', '['.repeat(deep) + ']'.repeat(deep)), status: 400, code: 'RECORD_INVALID' },
  { name: 'deeply nested objects in a field (100k levels)', send: () => post(url, '/pin', JSON.stringify(pin()).slice(0, -1) + ',"x":' + '{"a":'.repeat(deep) + '1' + '}'.repeat(deep) + '}'), status: 400, code: 'RECORD_INVALID', field: 'x' },
  { name: 'unbalanced nesting (100k [)', send: () => post(url, '/pin', '['.repeat(deep)), status: 400, code: 'JSON_INVALID' },
  { name: 'deep nesting inside a bulk item', send: () => post(url, '/bulk', '{"records":[{"type":"pin","record":' + '['.repeat(deep) + ']'.repeat(deep) + '}]}'), status: 400, code: 'RECORD_INVALID' },
  { name: 'content type text/plain', send: () => post(url, '/pin', JSON.stringify(pin()), { 'content-type': 'text/plain' }), status: 415, code: 'UNSUPPORTED_MEDIA_TYPE' },
  { name: 'content type form', send: () => post(url, '/pin', 'index=1', { 'content-type': 'application/x-www-form-urlencoded' }), status: 415, code: 'UNSUPPORTED_MEDIA_TYPE' },
  { name: 'no content type', send: () => post(url, '/geo', JSON.stringify(geo()), { 'content-type': undefined }), status: 415, code: 'UNSUPPORTED_MEDIA_TYPE' },
  { name: 'charset latin1', send: () => post(url, '/user', JSON.stringify(user()), { 'content-type': 'application/json; charset=latin1' }), status: 415, code: 'UNSUPPORTED_MEDIA_TYPE' },
  { name: 'invalid Idempotency-Key', send: () => post(url, '/pin', JSON.stringify(pin()), { 'idempotency-key': 'no spaces allowed' }), status: 400, code: 'IDEMPOTENCY_KEY_INVALID' },
  { name: 'bulk: one invalid item rejects all (nothing appended)', send: () => post(url, '/bulk', JSON.stringify({ records: [{ type: 'pin', record: pin() }, { type: 'geo', record: geo() }, { type: 'user', record: user({ age: -3 }) }] })), status: 400, code: 'RECORD_INVALID', field: 'records[2].record.age' },
  { name: 'bulk: unknown type', send: () => post(url, '/bulk', JSON.stringify({ records: [{ type: 'pins', record: pin() }] })), status: 400, code: 'RECORD_INVALID', field: 'records[0].type' },
  { name: 'bulk: repeated event_id', send: () => post(url, '/bulk', JSON.stringify({ records: [{ type: 'geo', record: geo(), event_id: 'same' }, { type: 'geo', record: geo(), event_id: 'same' }] })), status: 400, code: 'RECORD_INVALID', field: 'records[1].event_id' },
  { name: 'bulk: empty', send: () => post(url, '/bulk', '{"records":[]}'), status: 400, code: 'RECORD_INVALID' },
  { name: 'bulk: more than maxBulkRecords items', send: () => post(url, '/bulk', JSON.stringify({ records: Array.from({ length: 10_001 }, () => ({})) })), status: 413, code: 'BODY_TOO_LARGE' },
  { name: 'repeated key (latitude 999, then 10.5)', send: () => post(url, '/geo', JSON.stringify(geo({ latitude: 999 })).replace('"latitude":999', '"latitude":999,"latitude":10.5')), status: 400, code: 'RECORD_INVALID', field: 'latitude' },
  { name: 'repeated key written with an escape, in a bulk item', send: () => post(url, '/bulk', `{"records":[{"type":"user","record":${JSON.stringify(user()).replace('"age":', '"age":-5,"\\u0061ge":')}}]}`), status: 400, code: 'RECORD_INVALID', field: 'records[0].record.age' },
  { name: 'unpaired surrogate "\\ud800"', send: () => post(url, '/pin', JSON.stringify(pin()).replace(/"title":"[^"]*"/, '"title":"\\ud800"')), status: 400, code: 'RECORD_INVALID', field: 'title' },
  { name: 'idempotency key reused for another record', send: () => post(url, '/pin', JSON.stringify(pin()), { 'idempotency-key': 'faults-ok-0' }), status: 422, code: 'IDEMPOTENCY_KEY_REUSED', field: 'Idempotency-Key' },
  { name: 'unknown route', send: () => post(url, '/pins', JSON.stringify(pin())), status: 404, code: 'NOT_FOUND' },
  { name: 'wrong method', send: () => rawRequest(url, 'GET /pin HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n'), status: 405, code: 'METHOD_NOT_ALLOWED' },
  { name: 'malformed HTTP', send: () => rawRequest(url, 'POST /pin HTTP/1.1\r\nhost x\r\n\r\n'), status: 400, code: 'USAGE' },
  { name: 'body over the limit, declared (Content-Length 2 MB)', send: () => post(url, '/pin', Buffer.alloc(2 * 1024 * 1024, 0x20)), status: 413, code: 'BODY_TOO_LARGE' },
];

describe('bad input at the API', () => {
  test.each(CASES.map((c) => [c.name, c] as const))('%s → documented 4xx, quickly; server fine; nothing appended', async (_name, c) => {
    const r = await c.send();
    const body = expectError(r, c.status, c.code);
    expect(r.ms).toBeLessThan(QUICK_MS);
    if (c.field) {
      const named = (body.fields as { field: string }[]).map((f) => f.field);
      expect({ named, has: named.some((f) => f === c.field || f.startsWith(`${c.field}.`)) }).toEqual({ named, has: true });
    }
    await stillHealthy();
  });

  test('huge bodies (200 MB, declared or chunked): 413 as soon as the limit is passed, without buffering them', async () => {
    const before = rssKb(api.pid);
    for (const chunked of [false, true]) {
      const r = await streamBody(url, '/pin', { totalBytes: 200 * 1024 * 1024, chunked, timeoutMs: 20_000 });
      expect({ chunked, status: r.status, code: (JSON.parse(r.body || '{}') as { code?: string }).code }).toEqual({ chunked, status: 413, code: 'BODY_TOO_LARGE' });
      expect(r.ms).toBeLessThan(QUICK_MS * 2);
      // the server stopped reading long before the end: at most a few socket buffers past the limit
      expect(r.sentBytes).toBeLessThan(16 * 1024 * 1024);
      await stillHealthy();
    }
    // a declared length over the limit is refused before any body byte is sent
    const x = connect(url, 10_000);
    x.socket.write('POST /geo HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ncontent-length: 5000000000\r\n\r\n');
    const r = await x.response;
    x.socket.destroy();
    expectError(r, 413, 'BODY_TOO_LARGE');
    expect(r.ms).toBeLessThan(QUICK_MS);
    expect(rssKb(api.pid) - before).toBeLessThan(RSS_BOUND_KB);
    await stillHealthy();
  }, 60_000);

  test('slowloris: 20 clients trickling headers or bodies are timed out (408) while other clients are served', async () => {
    const req = requestBytes('/pin', JSON.stringify(pin()), { 'idempotency-key': 'slowloris-never' });
    const headerEnd = req.indexOf('\r\n\r\n') + 4;
    const slow = Array.from({ length: 20 }, (_, i) => {
      // half trickle the headers, half send the headers at once then trickle the body
      if (i % 2 === 0) return trickle(url, req, { bytesPerTick: 2, everyMs: 500, timeoutMs: 25_000 });
      const x = connect(url, 25_000);
      x.socket.write(req.subarray(0, headerEnd));
      let sent = headerEnd;
      const t = setInterval(() => {
        if (x.answered() || x.socket.destroyed || sent >= req.length - 1) return; // never the last byte
        x.socket.write(req.subarray(sent, sent + 2));
        sent += 2;
      }, 500);
      x.socket.on('error', () => undefined);
      return x.response.finally(() => {
        clearInterval(t);
        x.socket.destroy();
      });
    });
    const t0 = Date.now();
    // meanwhile other clients are served at once
    const latencies: number[] = [];
    while (Date.now() - t0 < 8000) {
      const s = Date.now();
      await validRequest();
      latencies.push(Date.now() - s);
      await sleep(200);
    }
    expect(latencies.length).toBeGreaterThan(10);
    expect(Math.max(...latencies)).toBeLessThan(QUICK_MS);
    const results = await Promise.all(slow);
    slowloris = `${latencies.length} valid requests served meanwhile (slowest ${Math.max(...latencies)} ms), slow clients answered 408 after ${Math.min(...results.map((r) => r.ms))}–${Math.max(...results.map((r) => r.ms))} ms`;
    for (const r of results) {
      // the documented 408 within the 10 s request timeout (+ the 1 s check interval + slack)
      expect({ status: r.status, code: (JSON.parse(r.body || '{}') as { code?: string }).code }).toEqual({ status: 408, code: 'REQUEST_TIMEOUT' });
      expect(r.ms).toBeLessThan(14_000);
    }
    await stillHealthy();
  }, 40_000);

  test('twenty 10,000-item /bulk bodies of empty records at once: small 400s, /health answers meanwhile', async () => {
    const body = JSON.stringify({ records: Array.from({ length: 10_000 }, () => ({ type: 'pin', record: {} })) });
    const before = rssKb(api.pid);
    const replies = Promise.all(Array.from({ length: 20 }, () => post(url, '/bulk', body, {}, 60_000)));
    let done = false;
    void replies.finally(() => (done = true));
    const health: number[] = [];
    while (!done) {
      const s = Date.now();
      const h = await fetch(`${url}/health`);
      expect(h.status).toBe(200);
      health.push(Date.now() - s);
      await sleep(50);
    }
    const rs = await replies;
    for (const r of rs) {
      const e = expectError(r, 400, 'RECORD_INVALID');
      // was 9.7 MB: 36 times the 270 KB request
      expect(r.body.length).toBeLessThan(40_000);
      expect({ listed: (e.fields as unknown[]).length, total: e.fields_total }).toEqual({ listed: 100, total: 110_000 });
    }
    bulkFlood = `20 × 10,000 empty records (${Math.round(body.length / 1024)} KB each): replies ${Math.max(...rs.map((r) => r.body.length))} bytes, slowest ${Math.max(...rs.map((r) => r.ms))} ms; /health ${health.length} times meanwhile, slowest ${Math.max(...health)} ms; RSS ${before} → ${rssKb(api.pid)} kB`;
    expect(Math.max(...health)).toBeLessThan(QUICK_MS);
    expect(rssKb(api.pid) - before).toBeLessThan(RSS_BOUND_KB);
    await stillHealthy();
  }, 120_000);

  test('a valid request followed by garbage on the same connection: its 201 comes first, then the 400', async () => {
    const key = 'faults-pipelined-0';
    const body = JSON.stringify(pin({ index: 424242 }));
    const x = connect(url, 10_000);
    const chunks: Buffer[] = [];
    x.socket.on('data', (d: Buffer) => chunks.push(d));
    const closed = new Promise<void>((resolve) => x.socket.on('close', () => resolve()));
    x.socket.write(`POST /pin HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\nidempotency-key: ${key}\r\ncontent-length: ${Buffer.byteLength(body)}\r\n\r\n${body}\x16\x03\x01 not http\r\n\r\n`);
    await closed;
    const statuses = [...Buffer.concat(chunks).toString('latin1').matchAll(/HTTP\/1\.1 (\d{3})/g)].map((m) => Number(m[1]));
    expect(statuses).toEqual([201, 400]);
    accepted.add(key);
    await stillHealthy();
  });

  test('memory stays bounded over the whole corpus, and the log holds exactly the valid records', async () => {
    const after = rssKb(api.pid);
    expect({ growthKb: after - baselineRss, peakGrowthKb: peakRss - baselineRss }).toEqual({
      growthKb: expect.any(Number),
      peakGrowthKb: expect.any(Number),
    });
    expect(after - baselineRss).toBeLessThan(RSS_BOUND_KB);
    expect(peakRss - baselineRss).toBeLessThan(RSS_BOUND_KB);
    const records = await readAll(log, TOPICS);
    const ids = records.map((r) => (JSON.parse(r.value) as { event_id: string }).event_id);
    expect(new Set(ids).size).toBe(ids.length);
    expect(new Set(ids)).toEqual(accepted);
    expect(records.every((r) => r.topic === 'pin')).toBe(true);
    process.stdout.write(`api bad input: ${CASES.length} malformed requests, 3 huge bodies, 20 slowloris clients (${slowloris}); ${bulkFlood}; a valid request followed by garbage; ${accepted.size} valid records accepted and in the log, RSS ${baselineRss} kB → ${after} kB (peak ${peakRss} kB)\n`);
  }, 60_000);
});

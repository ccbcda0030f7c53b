/**
 * /bulk bodies parsed on a worker thread (`api.bulkWorkers`, default 1 on a multi-core machine)
 * answer and append exactly what the main-thread path does: two `pinpipe api` processes, one with
 * a parse worker and one without, get the same large bodies (over the worker threshold): the same
 * statuses and error fields, and log values that differ only in the generated event_id and
 * ingested_at; client event_ids are idempotent on both.
 */
import { afterAll, beforeAll, expect, test } from '@jest/globals';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { EmbeddedLog } from '../../src/connectors/log/embedded.js';
import { generatePosting } from '../../src/connectors/source/generator.js';
import { loadConfig } from '../../src/core/config.js';
import { WORKER_MIN_BYTES } from '../../src/api/bulk-workers.js';
import { post } from '../faults/lib/http.js';
import { readAll } from '../faults/lib/logread.js';
import { killAll, startApi, type Proc } from '../faults/lib/proc.js';

const TOPICS = ['pin', 'geo', 'user'];

interface Api {
  name: string;
  dir: string;
  url: string;
  proc: Proc;
}
const apis: Api[] = [];

beforeAll(async () => {
  for (const [name, workers] of [
    ['worker', '1'],
    ['inline', '0'],
  ] as const) {
    const dir = mkdtempSync(path.join(os.tmpdir(), `pinpipe-bulk-${name}-`));
    const { proc, url } = await startApi(['--data-dir', dir], { PINPIPE_API_BULK_WORKERS: workers });
    apis.push({ name, dir, url, proc });
  }
}, 60_000);

afterAll(async () => {
  await killAll();
  for (const a of apis) rmSync(a.dir, { recursive: true, force: true });
});

/** a /bulk body of `postings` postings (pin, geo, user each), optionally with client event_ids */
function bulkBody(seed: number, postings: number, opts: { ids?: string; bad?: number } = {}): string {
  const records: unknown[] = [];
  for (let k = 0; k < postings; k++) {
    const p = generatePosting(seed, k);
    const recs = [p.pin, p.geo, p.user] as Record<string, unknown>[];
    recs.forEach((record, t) => {
      const item: Record<string, unknown> = { type: TOPICS[t], record };
      if (opts.ids) item.event_id = `${opts.ids}-${k}-${t}`;
      records.push(item);
    });
  }
  if (opts.bad !== undefined)
    (records[opts.bad] as { record: Record<string, unknown> }).record = { ...(records[opts.bad] as { record: object }).record, index: 'seven' };
  return JSON.stringify({ records });
}

async function postAll(body: string | Buffer) {
  return Promise.all(apis.map((a) => post(a.url, '/bulk', body)));
}

async function logValues(a: Api): Promise<Record<string, unknown>[]> {
  const log = new EmbeddedLog(loadConfig({ env: {}, flags: { dataDir: a.dir } }));
  const recs = await readAll(log, TOPICS);
  return recs.map((r) => JSON.parse(r.value) as Record<string, unknown>);
}

const strip = (v: Record<string, unknown>) => {
  const { event_id: _e, ingested_at: _i, ...rest } = v;
  return JSON.stringify(rest);
};

test('the same answers and log contents with and without the parse worker', async () => {
  const body = bulkBody(21, 200);
  expect(Buffer.byteLength(body)).toBeGreaterThan(WORKER_MIN_BYTES);

  // valid: 201, 600 accepted, one event_id per record
  const ok = await postAll(body);
  for (const r of ok) {
    expect(r.status).toBe(201);
    const b = JSON.parse(r.body) as { accepted: number; duplicates: number; event_ids: string[] };
    expect(b).toMatchObject({ accepted: 600, duplicates: 0 });
    expect(new Set(b.event_ids).size).toBe(600);
  }

  // one invalid record: 400 naming it, nothing appended
  const bad = await postAll(bulkBody(22, 200, { bad: 300 }));
  expect(bad.map((r) => r.status)).toEqual([400, 400]);
  const [badW, badI] = bad.map((r) => JSON.parse(r.body) as { code: string; fields: { field: string }[] });
  expect(badW).toEqual(badI);
  expect(badW!.code).toBe('RECORD_INVALID');
  expect(badW!.fields.map((f) => f.field)).toEqual(['records[300].record.index']);

  // not UTF-8 (a large body): 400 JSON_INVALID on both
  const broken = Buffer.concat([Buffer.from(body.slice(0, -2)), Buffer.from([0xc3, 0x28]), Buffer.from(']}')]);
  const notUtf8 = await postAll(broken);
  expect(notUtf8.map((r) => [r.status, (JSON.parse(r.body) as { code: string }).code])).toEqual([
    [400, 'JSON_INVALID'],
    [400, 'JSON_INVALID'],
  ]);

  // client event_ids: accepted once, then answered as duplicates with the same stamps
  const keyed = bulkBody(23, 100, { ids: 'evt' });
  const first = await postAll(keyed);
  const again = await postAll(keyed);
  for (let i = 0; i < apis.length; i++) {
    expect(first[i]!.status).toBe(201);
    expect(again[i]!.status).toBe(200);
    const a = JSON.parse(first[i]!.body) as { event_ids: string[] };
    const b = JSON.parse(again[i]!.body) as { accepted: number; duplicates: number; event_ids: string[] };
    expect(b).toMatchObject({ accepted: 0, duplicates: 300 });
    expect(b.event_ids).toEqual(a.event_ids);
    expect(a.event_ids[4]).toBe('evt-1-1');
  }

  // the logs: 900 records each, equal but for generated event_ids and ingested_at
  const [w, i] = [await logValues(apis[0]!), await logValues(apis[1]!)];
  expect(w).toHaveLength(900);
  expect(w.map(strip).sort()).toEqual(i.map(strip).sort());
  const keyedIds = w.map((v) => v.event_id as string).filter((id) => id.startsWith('evt-'));
  expect(keyedIds).toHaveLength(300);
  for (const v of w) expect(typeof v.ingested_at === 'string' && !Number.isNaN(Date.parse(v.ingested_at))).toBe(true);
  // the worker process really had a worker: the answers above came through it
  expect(apis[0]!.proc.stderr()).not.toMatch(/bulk parse worker stopped/);
}, 60_000);

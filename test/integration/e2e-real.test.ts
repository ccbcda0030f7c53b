/**
 * The whole pipeline on the real stack (api → Kafka → consume-batch → S3 → batch-run → MySQL;
 * consume-stream → Redis and MySQL) on seeded input, compared with the embedded stack on the same
 * input, and cross-checked with independent clients: kcat reads what the API produced, the
 * mariadb client reads the views, redis-cli reads the real-time keys.
 * Needs the services of scripts/services-up.sh (`npm test` starts them).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { createLog } from '../../src/connectors/registry.js';
import { generatePosting } from '../../src/connectors/source/generator.js';
import { produceInput } from '../faults/lib/postings.js';
import { embeddedStack, realEnv, realStack, type Stack } from '../faults/lib/stack.js';
import { freePort, isReady } from '../support/net.js';
import { waitFor } from '../support/wait.js';

const BIN = path.resolve('bin/pinpipe');
const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('PINPIPE_')));
const children: ChildProcess[] = [];
const stacks: Stack[] = [];
const N = 300;
type Rows = Record<string, unknown>[];

function cli(stack: Stack, args: string[], timeout = 120_000) {
  const r = spawnSync(process.execPath, [BIN, ...args, '--config', stack.configFile], { encoding: 'utf8', env, timeout });
  if (r.status !== 0) throw new Error(`pinpipe ${args.join(' ')} (${stack.kind}) exited ${r.status}: ${r.stderr.slice(-2000)}`);
  return r.stdout;
}
const rows = (stack: Stack, args: string[]): Rows => JSON.parse(cli(stack, [...args, '--json']));

/**
 * One geo record of no pin (an ind the emulator never posts), stamped 150 s after now, appended to
 * the stack's log after consume-batch (the lake and the batch layer never see it): the stream's
 * watermark moves past every pin's join decision, so R2 and R3 count every joined posting on both
 * stacks, however long each emulation took. Without it only the pins posted more than the join
 * window plus the lateness (40 s) before the last record are decided.
 */
async function closingGeo(stack: Stack): Promise<void> {
  const at = Date.now() + 150_000;
  const geo = { ...generatePosting(5, 0).geo, ind: 1_000_000_000, event_id: `e2e-close-${stack.kind}`, ingested_at: new Date(at).toISOString() };
  const log = await createLog(stack.cfg);
  try {
    await produceInput(log, stack.cfg.log.topicPrefix, [{ type: 'geo', key: String(geo.ind), value: JSON.stringify(geo), t: at }]);
  } finally {
    await log.close();
  }
}

/** Run the pipeline on one stack; returns what the comparisons need. */
async function runPipeline(stack: Stack) {
  const port = await freePort();
  const api = spawn(process.execPath, [BIN, 'api', '--port', String(port), '--config', stack.configFile], { env, stdio: 'ignore' });
  children.push(api);
  const url = `http://127.0.0.1:${port}`;
  await waitFor(() => isReady(url), `the api on ${stack.kind} to be ready`, 30_000, 100);
  // concurrency 1: the same seeded postings in the same order on both stacks
  const emu = JSON.parse(
    cli(stack, ['emulate', '--api', url, '--count', String(N), '--rate', '0', '--concurrency', '1', '--seed', '5', '--run-id', 'e2e', '--json']),
  );
  api.kill('SIGTERM');
  await new Promise((r) => api.on('exit', r));
  cli(stack, ['consume-batch', '--until-idle']);
  await closingGeo(stack);
  cli(stack, ['consume-stream', '--until-idle']);
  cli(stack, ['batch-run', '--date', new Date().toISOString().slice(0, 10)]);
  const metrics: Record<string, Rows> = {};
  for (const id of ['Q1', 'Q2', 'Q3a', 'Q3b', 'Q4', 'Q5', 'Q6', 'Q7', 'Q8']) metrics[id] = rows(stack, ['query', '--metric', id]);
  const totals = (id: string, key: string, value: string) => {
    const out: Record<string, number> = {};
    for (const r of rows(stack, ['query', '--metric', id])) out[String(r[key])] = (out[String(r[key])] ?? 0) + Number(r[value]);
    return out;
  };
  const r5 = rows(stack, ['query', '--metric', 'R5']);
  return {
    emu,
    raw: rows(stack, [
      'query',
      'SELECT (SELECT count(*) FROM raw_pin) AS pins, (SELECT count(*) FROM raw_geo) AS geos, (SELECT count(*) FROM raw_user) AS users, (SELECT count(*) FROM pins) AS curated_pins',
    ])[0]!,
    pinIds: rows(stack, ['query', 'SELECT event_id FROM raw_pin ORDER BY event_id']).map((r) => r.event_id as string),
    metrics,
    r1: totals('R1', 'category', 'postings'),
    r2: totals('R2', 'country', 'postings'),
    r3: totals('R3', 'age_group', 'postings'),
    r5: ['images', 'videos', 'stories'].map((k) => r5.reduce((a, r) => a + Number(r[k]), 0)),
  };
}

afterAll(async () => {
  for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
  for (const s of stacks) await s.cleanup().catch(() => undefined);
});

test("the real stack gives the embedded stack's results, and independent clients agree", async () => {
  const real = await realStack('e2e');
  const emb = embeddedStack('e2e');
  stacks.push(real, emb);
  const [r, e] = [await runPipeline(real), await runPipeline(emb)];

  expect(r.emu.accepted).toBe(3 * N);
  expect(e.emu.accepted).toBe(3 * N);
  expect(r.raw).toEqual({ pins: N, geos: N, users: N, curated_pins: e.raw.curated_pins });
  expect(e.raw).toMatchObject({ pins: N, geos: N, users: N });
  for (const id of Object.keys(e.metrics)) {
    expect(e.metrics[id]!.length).toBeGreaterThan(0);
    expect([id, r.metrics[id]]).toEqual([id, e.metrics[id]]);
  }
  expect(r.r1).toEqual(e.r1);
  expect(r.r2).toEqual(e.r2);
  // every posting's join decided (the closing geo record): most pins found their geo record
  expect(Object.values(r.r2).reduce((a, b) => a + b, 0)).toBeGreaterThan(N / 2);
  expect(r.r3).toEqual(e.r3);
  expect(r.r5).toEqual(e.r5);
  expect(Object.values(r.r1).reduce((a, b) => a + b, 0)).toBe(N);

  // kcat reads the records the API produced into Kafka.
  const { brokers, redis } = realEnv();
  const topic = `${(real.settings.log as { topicPrefix: string }).topicPrefix}pin`;
  const kc = spawnSync('kcat', ['-C', '-b', brokers[0]!, '-t', topic, '-e', '-o', 'beginning', '-q'], { encoding: 'utf8', timeout: 60_000 });
  expect(kc.status).toBe(0);
  const kIds = kc.stdout
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l).event_id as string)
    .sort();
  expect(kIds).toEqual(r.pinIds);

  // The mariadb client reads the serving views pinpipe wrote.
  const url = new URL((real.settings.store as { mysql: { url: string } }).mysql.url);
  const my = spawnSync(
    'mariadb',
    [
      '-h',
      url.hostname,
      '-P',
      url.port,
      '-u',
      url.username,
      `-p${url.password}`,
      url.pathname.slice(1),
      '-N',
      '-B',
      '-e',
      'SELECT country, category, category_count FROM q1_category_by_country ORDER BY country, category',
    ],
    { encoding: 'utf8', timeout: 30_000 },
  );
  expect(my.status).toBe(0);
  const viaClient = my.stdout
    .trim()
    .split('\n')
    .map((l) => l.split('\t'));
  const viaPinpipe = [...r.metrics.Q1!]
    .map((x) => [String(x.country), String(x.category), String(x.category_count)])
    .sort((a, b) => (a[0]! < b[0]! ? -1 : a[0]! > b[0]! ? 1 : a[1]! < b[1]! ? -1 : a[1]! > b[1]! ? 1 : 0));
  expect(viaClient).toEqual(viaPinpipe);

  // redis-cli reads the real-time R1 keys.
  const prefix = (real.settings.realtime as { redis: { keyPrefix: string } }).redis.keyPrefix;
  const keys = spawnSync('redis-cli', ['-u', redis, '--scan', '--pattern', `${prefix}rt:R1:*`], { encoding: 'utf8' })
    .stdout.trim()
    .split('\n')
    .filter((k) => k && !k.endsWith(':minutes'));
  expect(keys.length).toBeGreaterThan(0);
  let postings = 0;
  for (const k of keys) {
    const fields = spawnSync('redis-cli', ['-u', redis, 'HVALS', k], { encoding: 'utf8' }).stdout.trim().split('\n').filter(Boolean);
    expect(fields.length).toBeGreaterThan(0);
    for (const f of fields) postings += JSON.parse(f).v.postings as number;
  }
  expect(postings).toBe(N);
  console.log(
    `e2e real stack: ${3 * N} records accepted by the API, ${kIds.length} pins read back by kcat, ` +
      `${Number(r.raw.pins) + Number(r.raw.geos) + Number(r.raw.users)} records in the S3 raw zone, ${r.raw.curated_pins} curated pins, ` +
      `${viaClient.length} Q1 rows read by the mariadb client, ${postings} R1 postings over ${keys.length} Redis window keys`,
  );
}, 420_000);

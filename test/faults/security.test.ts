/**
 * Security basics: the optional API key on the ingestion routes; the API (and the roles' metrics
 * servers) bound to 127.0.0.1 unless told otherwise; `pinpipe query` refusing everything but one
 * read-only statement, on the lake (DuckDB), the embedded store and MySQL, with no side effect;
 * no secret (a MySQL password, a Kafka SASL password, an API key) in any output of a role that
 * was given one and failed.
 */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { createConnection } from 'mysql2/promise';
import { Redis } from 'ioredis';
import { apiKeyCheck } from '../../src/api/auth.js';
import type { IncomingMessage } from 'node:http';
import { createLog } from '../../src/connectors/registry.js';
import { post } from './lib/http.js';
import { endOffsets, total } from './lib/logread.js';
import { buildInput, produceInput, TYPES } from './lib/postings.js';
import { exitWithin, killAll, startApi, startCli, waitForOutput } from './lib/proc.js';
import { embeddedStack, hostPortOf, realEnv, realStack, type Stack } from './lib/stack.js';
import { freePort } from './lib/kafka-broker.js';
import { generatePosting } from '../../src/connectors/source/generator.js';

const stacks: Stack[] = [];
afterAll(async () => {
  await killAll();
  for (const s of stacks) await s.cleanup().catch(() => undefined);
}, 60_000);

const KEY = 'k3y-for-the-faults-suite-0123456789';

describe('API key', () => {
  test('ingestion routes need the key (Bearer or X-API-Key); health, ready and metrics stay open; refused requests append nothing', async () => {
    const s = embeddedStack('sec-key');
    stacks.push(s);
    const { url } = await startApi(['--config', s.configFile], { PINPIPE_API_KEY: KEY });
    const pin = JSON.stringify(generatePosting(1, 1).pin);
    const wrong = [undefined, 'Bearer', `Bearer ${KEY.slice(0, -1)}`, `Bearer ${KEY}x`, `Bearer ${KEY.toUpperCase()}`, `Bearer ${KEY.slice(0, -1)}X`, `Basic ${Buffer.from(`u:${KEY}`).toString('base64')}`, `Bearer ${'a'.repeat(5000)}`];
    for (const auth of wrong) {
      const r = await post(url, '/pin', pin, { authorization: auth });
      expect({ auth, status: r.status, www: r.headers['www-authenticate'], code: (JSON.parse(r.body) as { code: string }).code }).toEqual({ auth, status: 401, www: expect.stringMatching(/^Bearer/), code: 'UNAUTHORIZED' });
      expect(r.body).not.toContain(KEY);
    }
    expect((await post(url, '/pin', pin, { 'x-api-key': 'nope' })).status).toBe(401);
    expect((await post(url, '/bulk', JSON.stringify({ records: [{ type: 'pin', record: generatePosting(1, 1).pin }] }))).status).toBe(401);
    expect((await post(url, '/pin', pin, { authorization: `Bearer ${KEY}` })).status).toBe(201);
    expect((await post(url, '/pin', pin, { 'x-api-key': KEY })).status).toBe(201);
    for (const route of ['/health', '/ready', '/metrics']) expect({ route, status: (await fetch(url + route)).status }).toEqual({ route, status: 200 });
    expect(total(await endOffsets(await createLog(s.cfg), [...TYPES]))).toBe(2);
  }, 60_000);

  test('the key check compares digests in constant time: any presented length is just a mismatch', () => {
    const check = apiKeyCheck(KEY);
    const req = (h: Record<string, string>) => ({ headers: h }) as unknown as IncomingMessage;
    for (const k of ['', 'x', KEY.slice(0, 16), KEY + KEY, 'é'.repeat(10_000)]) expect(check(req({ 'x-api-key': k }))).toBe(false);
    expect(check(req({ authorization: `bearer ${KEY}` }))).toBe(true);
    expect(apiKeyCheck(undefined)(req({}))).toBe(true);
    const src = readFileSync(path.resolve(import.meta.dirname, '../../src/api/auth.ts'), 'utf8');
    expect(src).toMatch(/timingSafeEqual\(sha256\(presented\), expected\)/);
  });
});

/** local address (hex ip:port) of the listening TCP sockets on `port`, from /proc/net/tcp{,6} */
function listeners(port: number): string[] {
  const out: string[] = [];
  for (const f of ['/proc/net/tcp', '/proc/net/tcp6']) {
    if (!existsSync(f)) continue;
    for (const line of readFileSync(f, 'utf8').split('\n').slice(1)) {
      const cols = line.trim().split(/\s+/);
      if (cols.length < 4 || cols[3] !== '0A') continue; // 0A = LISTEN
      const [ip, p] = cols[1]!.split(':');
      if (parseInt(p!, 16) === port) out.push(ip!);
    }
  }
  return out;
}

describe('binding', () => {
  test('the API listens on 127.0.0.1 by default, on every interface only when told (--host 0.0.0.0); metrics servers on 127.0.0.1', async () => {
    const s = embeddedStack('sec-bind', { metricsPort: 0 });
    stacks.push(s);
    const def = await startApi(['--config', s.configFile]);
    expect(listeners(Number(new URL(def.url).port))).toEqual(['0100007F']); // 127.0.0.1, little-endian hex
    const all = await startApi(['--host', '0.0.0.0', '--data-dir', s.dataDir]);
    expect(listeners(Number(new URL(all.url).port))).toEqual(['00000000']);
    const batch = startCli('consume-batch', ['consume-batch', '--config', s.configFile]);
    const m = await waitForOutput(batch, /"url":"http:\/\/127\.0\.0\.1:(\d+)\/metrics"/, 30_000);
    expect(listeners(Number(m[1]))).toEqual(['0100007F']);
    batch.kill('SIGTERM');
    expect((await exitWithin(batch, 15_000)).code).toBe(0);
  }, 60_000);
});

interface Refusal {
  sql: string;
  /** a file the statement would have created */
  creates?: string;
}

async function query(s: Stack, args: string[]): Promise<{ code: number | null; out: string; err: string }> {
  const p = startCli('query', ['query', ...args, '--config', s.configFile]);
  const e = await exitWithin(p, 60_000);
  return { code: e.code, out: p.stdout(), err: p.stderr() };
}

describe('pinpipe query is read-only', () => {
  let s: Stack;
  beforeAll(async () => {
    s = embeddedStack('sec-query');
    stacks.push(s);
    await produceInput(await createLog(s.cfg), '', buildInput({ postings: 300, t0: Date.parse('2026-11-23T10:00:00.000Z'), stepMs: 100 }));
    for (const role of ['consume-batch', 'consume-stream']) {
      const p = startCli(role, [role, '--until-idle', '--config', s.configFile]);
      expect((await exitWithin(p, 60_000)).code).toBe(0);
    }
  }, 120_000);

  test('on the lake: a SELECT works; writes, COPY, ATTACH, EXPORT, INSTALL/LOAD, SET, PRAGMA, several statements and files outside the lake are refused, with no side effect', async () => {
    const ok = await query(s, ['SELECT count(*) AS n FROM raw_pin', '--json']);
    expect({ code: ok.code, rows: JSON.parse(ok.out || '[]') }).toEqual({ code: 0, rows: [{ n: 300 }] });
    const tmp = s.dataDir;
    const refusals: Refusal[] = [
      { sql: 'INSERT INTO raw_pin SELECT * FROM raw_pin' },
      { sql: `COPY (SELECT * FROM raw_pin) TO '${tmp}/copied.csv'`, creates: `${tmp}/copied.csv` },
      { sql: `ATTACH '${tmp}/attached.db' AS x`, creates: `${tmp}/attached.db` },
      { sql: `EXPORT DATABASE '${tmp}/exported'`, creates: `${tmp}/exported` },
      { sql: 'CREATE TABLE t AS SELECT 1 AS x' },
      { sql: 'DROP VIEW raw_pin' },
      { sql: 'UPDATE raw_pin SET category = NULL' },
      { sql: 'DELETE FROM raw_pin' },
      { sql: 'INSTALL httpfs' },
      { sql: 'LOAD httpfs' },
      { sql: 'SET enable_external_access = true' },
      { sql: "PRAGMA memory_limit = '1GB'" },
      { sql: 'SELECT 1; SELECT 2' },
      { sql: 'SELECT 1; DROP VIEW raw_pin' },
      { sql: "SELECT * FROM read_text('/etc/passwd')" },
      { sql: "SELECT * FROM read_csv('/etc/passwd')" },
      { sql: `SELECT * FROM read_json_auto('${path.join(tmp, 'pinpipe.json')}')` },
    ];
    for (const r of refusals) {
      const res = await query(s, [r.sql, '--json']);
      expect({ sql: r.sql, code: res.code, said: /QUERY_INVALID/.test(res.err) }).toEqual({ sql: r.sql, code: 1, said: true });
      expect(res.out).not.toMatch(/root:/);
      if (r.creates) expect({ sql: r.sql, created: existsSync(r.creates) }).toEqual({ sql: r.sql, created: false });
    }
    const after = await query(s, ['SELECT count(*) AS n FROM raw_pin', '--json']);
    expect(JSON.parse(after.out)).toEqual([{ n: 300 }]);
  }, 180_000);

  test('on the embedded store (--store): a SELECT works; writes, PRAGMA writes, ATTACH and several statements are refused, with no side effect', async () => {
    const table = 'rt_r1_postings_by_category';
    const count = async () => (JSON.parse((await query(s, ['--store', `SELECT count(*) AS n FROM ${table}`, '--json'])).out) as { n: number }[])[0]!.n;
    const before = await count();
    expect(before).toBeGreaterThan(0);
    for (const sql of [`INSERT INTO ${table} (minute, category, postings, final) VALUES ('2026-01-01 00:00:00', 'x', 1, 1)`, `DELETE FROM ${table}`, 'PRAGMA user_version = 7', 'PRAGMA query_only = 0', `ATTACH '${s.dataDir}/other.db' AS o`, `SELECT 1; DELETE FROM ${table}`, `SELECT '\\'; DELETE FROM ${table}; --'`, `WITH x AS (SELECT 1) DELETE FROM ${table}`, `DROP TABLE ${table}`, 'VACUUM']) {
      const res = await query(s, ['--store', sql]);
      expect({ sql, code: res.code, said: /QUERY_INVALID/.test(res.err) }).toEqual({ sql, code: 1, said: true });
    }
    expect(await count()).toBe(before);
    expect(existsSync(`${s.dataDir}/other.db`)).toBe(false);
    expect(readFileSync(path.join(s.dataDir, 'store.db')).readUInt32BE(60)).toBe(0); // SQLite header: user_version
  }, 120_000);

  test('on MySQL (--store): writes, INTO OUTFILE, LOAD DATA and several statements are refused, with no side effect', async () => {
    const r = await realStack('sec-mysql');
    stacks.push(r);
    const url = (r.settings.store as { mysql: { url: string } }).mysql.url;
    const c = await createConnection(url);
    try {
      await c.query('CREATE TABLE canary (id INT PRIMARY KEY)');
      await c.query('INSERT INTO canary VALUES (1), (2)');
      const ok = await query(r, ['--store', 'SELECT count(*) AS n FROM canary', '--json']);
      expect({ code: ok.code, rows: JSON.parse(ok.out || '[]') }).toEqual({ code: 0, rows: [{ n: 2 }] });
      for (const sql of ['INSERT INTO canary VALUES (3)', 'DELETE FROM canary', 'UPDATE canary SET id = 9', 'DROP TABLE canary', 'TRUNCATE canary', 'SELECT 1; DELETE FROM canary', "SELECT * FROM canary INTO OUTFILE '/tmp/pinpipe-faults-outfile.txt'", "LOAD DATA INFILE '/etc/passwd' INTO TABLE canary", 'CREATE TABLE t2 (x INT)', 'SET GLOBAL max_connections = 1', 'GRANT ALL ON *.* TO pinpipe', "SELECT LOAD_FILE('/etc/passwd')"]) {
        const res = await query(r, ['--store', sql]);
        expect({ sql, code: res.code, said: /QUERY_INVALID/.test(res.err) }).toEqual({ sql, code: 1, said: true });
        expect(res.out).not.toMatch(/root:/);
      }
      // in MySQL a backslash escapes the quote: this is one SELECT of a string, harmless
      const backslash = await query(r, ['--store', "SELECT '\\'; DELETE FROM canary; --' AS s", '--json']);
      expect({ code: backslash.code, rows: JSON.parse(backslash.out || '[]') }).toEqual({ code: 0, rows: [{ s: "'; DELETE FROM canary; --" }] });
      const tables = await query(r, ['--store', 'SHOW TABLES', '--json']);
      expect(JSON.parse(tables.out || '[]')).toEqual(expect.arrayContaining([{ table_name: 'canary' }, { table_name: 'batch_runs' }]));
      await c.query('CREATE TABLE flags (b BOOL, n TINYINT)');
      await c.query('INSERT INTO flags VALUES (1, 1), (0, 0)');
      const flags = await query(r, ['--store', 'SELECT b, n FROM flags ORDER BY n DESC', '--json']);
      expect(JSON.parse(flags.out || '[]')).toEqual([{ b: true, n: 1 }, { b: false, n: 0 }]);
      const [rows] = await c.query('SELECT id FROM canary ORDER BY id');
      expect(rows).toEqual([{ id: 1 }, { id: 2 }]);
      expect(existsSync('/tmp/pinpipe-faults-outfile.txt')).toBe(false);
    } finally {
      await c.end();
    }
  }, 120_000);
});

describe('no secrets in logs or errors', () => {
  const SECRET = 'Zq9xSECRETpw7';
  const leaks = (text: string) => [SECRET, encodeURIComponent(SECRET), Buffer.from(SECRET).toString('base64')].filter((s) => text.includes(s));

  test('roles given a MySQL password, a Redis password, a Kafka SASL password or an API key that fail say why without the secret', async () => {
    const env = realEnv();
    const s = embeddedStack('sec-secrets');
    stacks.push(s);
    const mysql = hostPortOf(env.mysql);
    const closed = await freePort();
    const badMysql = `mysql://pinpipe:${SECRET}@${mysql.host}:${mysql.port}/pinpipe`;
    const deadMysql = `mysql://pinpipe:${SECRET}@127.0.0.1:${closed}/pinpipe`;
    const sasl = { PINPIPE_KAFKA_BROKERS: env.brokers.join(','), PINPIPE_KAFKA_SASL_MECHANISM: 'plain', PINPIPE_KAFKA_SASL_USERNAME: 'pinpipe', PINPIPE_KAFKA_SASL_PASSWORD: SECRET, PINPIPE_TOPIC_PREFIX: 'pf-secrets-' };
    const runs: { name: string; args: string[]; env: Record<string, string>; succeeds?: boolean; says?: RegExp }[] = [
      { name: 'consume-stream, wrong MySQL password', args: ['consume-stream', '--until-idle', '--data-dir', s.dataDir], env: { PINPIPE_MYSQL_URL: badMysql } },
      { name: 'consume-stream, MySQL down', args: ['consume-stream', '--until-idle', '--data-dir', s.dataDir], env: { PINPIPE_MYSQL_URL: deadMysql } },
      // the test Redis has no password: ioredis warns and goes on, so this run succeeds
      { name: 'consume-stream, Redis password', args: ['consume-stream', '--until-idle', '--data-dir', s.dataDir], env: { PINPIPE_REDIS_URL: `redis://:${SECRET}@127.0.0.1:${hostPortOf(env.redis).port}`, PINPIPE_REDIS_KEY_PREFIX: 'pf-secrets:' }, succeeds: true },
      { name: 'query --store, wrong MySQL password', args: ['query', '--store', 'SELECT 1', '--data-dir', s.dataDir], env: { PINPIPE_MYSQL_URL: badMysql }, says: /STORE_UNAVAILABLE/ },
      { name: 'emulate --source with a password', args: ['emulate', '--source', badMysql, '--count', '1', '--data-dir', s.dataDir], env: {}, says: /SOURCE_UNAVAILABLE: MySQL source .*Access denied/ },
      { name: 'api, Kafka SASL password', args: ['api', '--port', '0', '--data-dir', s.dataDir], env: sasl },
      { name: 'consume-batch, Kafka SASL password', args: ['consume-batch', '--until-idle', '--data-dir', s.dataDir], env: sasl },
      { name: 'api, an API key that is too short', args: ['api', '--port', '0', '--data-dir', s.dataDir], env: { PINPIPE_API_KEY: SECRET } },
    ];
    const seen: string[] = [];
    for (const r of runs) {
      const p = startCli(r.name, r.args, { env: r.env });
      const e = await exitWithin(p, 60_000);
      const text = p.stdout() + p.stderr();
      seen.push(`${r.name}: exit ${e.code}${e.timedOut ? ' (timed out)' : ''}: ${p.stderr().trim().split('\n').pop()?.slice(0, 200)}`);
      expect({ run: r.name, failed: e.code !== 0, leaks: leaks(text) }).toEqual({ run: r.name, failed: !r.succeeds, leaks: [] });
      if (r.says) expect({ run: r.name, said: r.says.test(p.stderr()) }).toEqual({ run: r.name, said: true });
    }
    const redis = new Redis(env.redis);
    const keys = await redis.keys('pf-secrets:*');
    if (keys.length) await redis.del(...keys);
    redis.disconnect();
    process.stdout.write(`secrets: ${seen.join('\n  ')}\n`);
  }, 300_000);
});

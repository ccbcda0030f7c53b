/** Runs the real API (buildApp + listen on port 0) over a real embedded log in a temp dir. */
import http from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadConfig, type Config } from '../../src/core/config.js';
import { createLog } from '../../src/connectors/registry.js';
import type { Log, LogAdmin, LogProducer } from '../../src/connectors/log/types.js';
import { silentLogger } from '../../src/core/logger.js';
import { buildApp, type App } from '../../src/api/app.js';
import { listen, type Listening } from '../../src/api/server.js';
import { within } from '../support/wait.js';
import { ensureTopics, logTopics } from '../../src/connectors/open.js';

export interface Harness {
  dir: string;
  cfg: Config;
  log: Log;
  admin: LogAdmin;
  producer: LogProducer;
  app: App;
  server: Listening;
  url: string;
  /** total end offset over the partitions of a logical topic */
  count(type: string): Promise<number>;
  /** every value of a logical topic, parsed */
  read(type: string, expected: number): Promise<Record<string, unknown>[]>;
  close(): Promise<void>;
}

export interface HarnessOptions {
  flags?: Record<string, unknown>;
  wrap?: (p: LogProducer) => Pick<LogProducer, 'send'>;
  requestTimeoutMs?: number;
  /** do not create the topics or connect (for an unavailable log) */
  lazy?: boolean;
  dir?: string;
}

export async function startApi(opts: HarnessOptions = {}): Promise<Harness> {
  const dir = opts.dir ?? mkdtempSync(path.join(os.tmpdir(), 'pinpipe-api-'));
  const cfg = loadConfig({ env: {}, flags: { dataDir: dir, ...opts.flags } });
  const log = await createLog(cfg);
  const admin = log.admin();
  const topics = logTopics(cfg).all;
  if (!opts.lazy) await ensureTopics(log, cfg);
  const producer = log.producer();
  if (!opts.lazy) await producer.connect();
  const app = buildApp({
    config: cfg,
    producer: opts.wrap ? opts.wrap(producer) : producer,
    logger: silentLogger,
    probe: async () => void (await admin.partitionCount(topics[0]!)),
  });
  const server = await listen(app, { host: '127.0.0.1', port: 0, requestTimeoutMs: opts.requestTimeoutMs });
  const count = async (type: string) => (await admin.endOffsets(cfg.log.topicPrefix + type)).reduce((a, b) => a + b, 0);
  const read = async (type: string, expected: number) => {
    const consumer = log.consumer({ groupId: `t-${Math.random().toString(36).slice(2)}`, topics: [cfg.log.topicPrefix + type], fromBeginning: true });
    await consumer.connect();
    const values: Record<string, unknown>[] = [];
    await consumer.run({ eachBatch: async (b) => void values.push(...b.records.map((r) => JSON.parse(r.value) as Record<string, unknown>)) });
    await within(() => values.length >= expected, 10_000, 20);
    await consumer.close();
    return values;
  };
  return {
    dir,
    cfg,
    log,
    admin,
    producer,
    app,
    server,
    url: server.url,
    count,
    read,
    close: async () => {
      await server.close(1000);
      await producer.close();
      await admin.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export interface Reply {
  status: number;
  headers: http.IncomingHttpHeaders;
  text: string;
  json: any;
}

/** A raw HTTP request (full control of headers and body bytes); `agent: false` = a fresh connection. */
export function request(url: string, method: string, route: string, body?: string | Buffer, headers: Record<string, string | number> = {}): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const u = new URL(route, url);
    const req = http.request({ hostname: u.hostname, port: u.port, path: u.pathname + u.search, method, headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let json: unknown;
        try {
          json = JSON.parse(text);
        } catch {
          json = undefined;
        }
        resolve({ status: res.statusCode!, headers: res.headers, text, json });
      });
    });
    req.on('error', reject);
    req.end(body);
  });
}

export const JSON_HEADERS = { 'content-type': 'application/json' };

export const post = (url: string, route: string, body: unknown, headers: Record<string, string> = {}) =>
  request(url, 'POST', route, typeof body === 'string' || Buffer.isBuffer(body) ? body : JSON.stringify(body), { ...JSON_HEADERS, ...headers });

export { CONTRACT_PIN as PIN, CONTRACT_GEO as GEO, CONTRACT_USER as USER } from '../fixtures/contract-examples.js';

/**
 * The dashboard's HTTP app (node:http; built here, bound by src/api/server.ts listen()). Every
 * view is backed by a JSON endpoint of the same data (docs/dashboard.md):
 *   GET /                  the page (src/dashboard/web), GET /assets/<file> its files and uPlot
 *   GET /api/metrics       every metric definition with what the stores hold of it
 *   GET /api/metrics/:id   a metric's rows (historical: the stored table; realtime: the last hour)
 *   GET /api/status        the pipeline's health, the object `pinpipe status --json` prints
 *   GET /api/events        server-sent events: window, status, batch, metric
 *   GET /health            liveness
 * Read-only: every other method is 405. Errors have the API's shape {statusCode, error, code, message, fields}.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { isPinpipeError, errorMessage } from '../core/errors.js';
import type { Logger } from '../core/logger.js';
import { parseDateTime } from '../core/time.js';
import { HttpError, sendError, sendJson } from '../api/reply.js';
import type { Servable } from '../api/server.js';
import type { Access } from './access.js';
import type { Asset } from './assets.js';
import type { DashboardData } from './data.js';
import { SseHub } from './sse.js';

export interface DashboardApp extends Servable {
  /** open event streams */
  readonly subscribers: number;
  close(): Promise<void>;
}

const SECURITY_HEADERS = {
  'content-security-policy': "default-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
};

const MAX_RANGE_MS = 24 * 3_600_000;

function rangeParam(url: URL, name: string): number | undefined {
  const v = url.searchParams.get(name);
  if (v === null) return undefined;
  const ms = /^\d+$/.test(v) ? Number(v) : parseDateTime(v);
  if (ms === null || !Number.isFinite(ms)) throw new HttpError(400, 'USAGE', `${name} must be an ISO 8601 time or epoch milliseconds, got ${JSON.stringify(v)}`, [{ field: name, message: 'not a time' }]);
  return ms;
}

export function buildDashboard(opts: { data: DashboardData; assets: Map<string, Asset>; access: Access; logger: Logger }): DashboardApp {
  const { data, assets, access, logger } = opts;
  const hub = new SseHub();
  const unsubscribe = data.onEvent((e) => hub.send(e));
  let inFlight = 0;
  let idleWaiters: (() => void)[] = [];

  const json = (res: ServerResponse, body: unknown) => sendJson(res, 200, JSON.stringify(body), { 'cache-control': 'no-store', ...SECURITY_HEADERS });

  const serveAsset = (req: IncomingMessage, res: ServerResponse, a: Asset) => {
    if (req.headers['if-none-match'] === a.etag) {
      res.writeHead(304, { etag: a.etag });
      res.end();
      return;
    }
    res.writeHead(200, { 'content-type': a.type, 'content-length': a.body.length, etag: a.etag, 'cache-control': 'no-cache', ...SECURITY_HEADERS });
    res.end(a.body);
  };

  const page = (req: IncomingMessage, res: ServerResponse, url: URL) => {
    const key = url.searchParams.get('key');
    if (key !== null) {
      const cookie = access.cookieFor(key);
      if (!cookie) throw new HttpError(401, 'UNAUTHORIZED', 'wrong access key');
      url.searchParams.delete('key');
      res.writeHead(303, { location: url.pathname + url.search, 'set-cookie': cookie, 'cache-control': 'no-store' });
      res.end();
      return;
    }
    if (!access.allowed(req)) {
      const body = '<!doctype html><meta charset="utf-8"><title>pinpipe dashboard</title><p>This dashboard needs its access key: open it as <code>/?key=&lt;key&gt;</code> (the key of <code>--api-key</code> or <code>PINPIPE_DASHBOARD_KEY</code>).</p>';
      res.writeHead(401, { 'content-type': 'text/html; charset=utf-8', ...SECURITY_HEADERS });
      res.end(body);
      return;
    }
    serveAsset(req, res, assets.get('/')!);
  };

  const gate = (req: IncomingMessage) => {
    if (!access.allowed(req)) throw new HttpError(401, 'UNAUTHORIZED', 'this dashboard needs its access key: "Authorization: Bearer <key>", "X-API-Key: <key>", or open /?key=<key> in a browser', [], { 'www-authenticate': 'Bearer realm="pinpipe-dashboard"' });
  };

  const route = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = new URL(req.url ?? '/', 'http://dashboard');
    const path = url.pathname;
    if (req.method !== 'GET' && req.method !== 'HEAD') throw new HttpError(405, 'METHOD_NOT_ALLOWED', `${req.method} is not allowed: the dashboard is read-only`, [], { allow: 'GET, HEAD' });
    if (path === '/health') return json(res, { status: 'ok' });
    if (path === '/' || path === '/index.html') return page(req, res, url);
    const asset = assets.get(path);
    if (asset && path.startsWith('/assets/')) return serveAsset(req, res, asset);
    if (!path.startsWith('/api/')) throw new HttpError(404, 'NOT_FOUND', `no such page: ${path}`);
    gate(req);
    if (path === '/api/events') {
      hub.add(req, res, data.initialEvents());
      return;
    }
    if (path === '/api/status') {
      const report = data.latestStatus();
      if (!report) throw new HttpError(503, 'NOT_READY', 'the first status reading is not done yet', [], { 'retry-after': '1' });
      return json(res, report);
    }
    if (path === '/api/metrics') return json(res, { generated_at: new Date().toISOString(), metrics: data.listing() });
    const m = /^\/api\/metrics\/([^/]+)$/.exec(path);
    if (m) {
      const id = decodeURIComponent(m[1]!);
      const from = rangeParam(url, 'from');
      const to = rangeParam(url, 'to');
      if (from !== undefined && to !== undefined && (to <= from || to - from > MAX_RANGE_MS)) throw new HttpError(400, 'USAGE', 'from must be before to, at most 24 hours apart', [{ field: 'to', message: 'range' }]);
      try {
        return json(res, await data.metric(id, { from, to }));
      } catch (e) {
        if (isPinpipeError(e) && e.code === 'USAGE') throw new HttpError(404, 'NOT_FOUND', e.message);
        throw e;
      }
    }
    throw new HttpError(404, 'NOT_FOUND', `no such endpoint: ${path}`);
  };

  const handle = (req: IncomingMessage, res: ServerResponse): void => {
    inFlight++;
    route(req, res)
      .catch((e: unknown) => {
        if (e instanceof HttpError) return sendError(res, e);
        const retriable = isPinpipeError(e) && e.retriable;
        if (!retriable) logger.error('dashboard request failed', { url: req.url, error: errorMessage(e) });
        sendError(res, retriable ? new HttpError(503, 'NOT_READY', `a store cannot be read right now: ${errorMessage(e)}`, [], { 'retry-after': '1' }) : new HttpError(500, 'INTERNAL', 'internal error'));
      })
      .finally(() => {
        if (--inFlight === 0) for (const w of idleWaiters.splice(0)) w();
      });
  };

  return {
    handle,
    maxBodyBytes: 0,
    get subscribers() {
      return hub.size;
    },
    startDrain() {
      hub.closeAll();
    },
    idle() {
      return inFlight === 0 ? Promise.resolve() : new Promise<void>((r) => idleWaiters.push(r));
    },
    async close() {
      unsubscribe();
      hub.closeAll();
      idleWaiters = [];
    },
  };
}

/**
 * The dashboard's HTTP app with stub data: pages and assets, the JSON endpoints and their errors,
 * read-only, the event stream (current state first, then changes), and the access key (header,
 * or ?key= once then the cookie); refusal to bind beyond localhost without a key.
 */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { listen } from '../../src/api/server.js';
import { PinpipeError } from '../../src/core/errors.js';
import { silentLogger } from '../../src/core/logger.js';
import { checkBind, dashboardAccess, isLoopback } from '../../src/dashboard/access.js';
import { buildDashboard } from '../../src/dashboard/app.js';
import { loadAssets } from '../../src/dashboard/assets.js';
import type { DashboardData } from '../../src/dashboard/data.js';
import type { SseEvent } from '../../src/dashboard/sse.js';

const KEY = 'dashboard-key-0123456789';

function stubData() {
  const listeners = new Set<(e: SseEvent) => void>();
  const calls: { id: string; range: unknown }[] = [];
  const data = {
    onEvent: (fn: (e: SseEvent) => void) => (listeners.add(fn), () => listeners.delete(fn)),
    initialEvents: (): SseEvent[] => [{ event: 'status', data: { healthy: true } }, { event: 'window', data: { metric: 'R1', replace: true, rows: [] } }],
    latestStatus: () => ({ at: '2026-12-02T10:00:00.000Z', healthy: true, problems: [] }),
    listing: () => [{ id: 'R1', kind: 'realtime' }],
    metric: async (id: string, range: unknown) => {
      calls.push({ id, range });
      if (id !== 'R1') throw new PinpipeError('USAGE', `unknown metric "${id}"`);
      return { id: 'R1', kind: 'realtime', rows: [] };
    },
  };
  return { data: data as unknown as DashboardData, emit: (e: SseEvent) => listeners.forEach((fn) => fn(e)), calls };
}

async function serve(key?: string) {
  const stub = stubData();
  const app = buildDashboard({ data: stub.data, assets: loadAssets(), access: dashboardAccess(key), logger: silentLogger });
  const server = await listen(app, { host: '127.0.0.1', port: 0 });
  return { ...stub, app, server };
}

describe('open (localhost)', () => {
  let s: Awaited<ReturnType<typeof serve>>;
  beforeAll(async () => (s = await serve()));
  afterAll(async () => {
    await s.server.close(100);
    await s.app.close();
  });

  test('the page, its assets (uPlot from the package) with ETags, and a CSP that allows only this origin', async () => {
    const page = await fetch(`${s.server.url}/`);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(page.headers.get('content-security-policy')).toContain("default-src 'self'");
    const html = await page.text();
    for (const src of html.matchAll(/(?:src|href)="([^"]+)"/g)) expect(src[1]).toMatch(/^(\/|#|data:)/);
    for (const a of ['/assets/app.js', '/assets/charts.js', '/assets/health.js', '/assets/style.css', '/assets/uPlot.esm.js', '/assets/uPlot.min.css']) {
      const res = await fetch(`${s.server.url}${a}`);
      expect([a, res.status]).toEqual([a, 200]);
      const again = await fetch(`${s.server.url}${a}`, { headers: { 'if-none-match': res.headers.get('etag')! } });
      expect(again.status).toBe(304);
    }
  });

  test('JSON endpoints; unknown metric and route 404; bad range 400; read-only 405', async () => {
    expect(await (await fetch(`${s.server.url}/api/metrics`)).json()).toMatchObject({ metrics: [{ id: 'R1', kind: 'realtime' }] });
    expect(await (await fetch(`${s.server.url}/api/status`)).json()).toMatchObject({ healthy: true });
    expect(await (await fetch(`${s.server.url}/api/metrics/R1?from=2026-12-02T09:00:00Z&to=1796205600000`)).json()).toMatchObject({ id: 'R1' });
    expect(s.calls.at(-1)).toEqual({ id: 'R1', range: { from: Date.parse('2026-12-02T09:00:00Z'), to: 1796205600000 } });
    const unknown = await fetch(`${s.server.url}/api/metrics/nope`);
    expect([unknown.status, ((await unknown.json()) as { code: string }).code]).toEqual([404, 'NOT_FOUND']);
    expect((await fetch(`${s.server.url}/api/metrics/R1?from=yesterday`)).status).toBe(400);
    expect((await fetch(`${s.server.url}/api/metrics/R1?from=2026-12-02T09:00:00Z&to=2026-12-04T09:00:00Z`)).status).toBe(400);
    expect((await fetch(`${s.server.url}/nothing`)).status).toBe(404);
    const post = await fetch(`${s.server.url}/api/metrics`, { method: 'POST', body: '{}' });
    expect([post.status, post.headers.get('allow')]).toEqual([405, 'GET, HEAD']);
  });

  test('the event stream starts with the current state, then pushes changes', async () => {
    const ctl = new AbortController();
    const res = await fetch(`${s.server.url}/api/events`, { signal: ctl.signal });
    expect(res.headers.get('content-type')).toBe('text/event-stream; charset=utf-8');
    const reader = res.body!.getReader();
    let text = '';
    const until = async (want: string) => {
      while (!text.includes(want)) text += new TextDecoder().decode((await reader.read()).value);
    };
    await until('event: window');
    expect(text).toContain('event: status\ndata: {"healthy":true}\n\n');
    await new Promise<void>((r) => {
      const wait = () => (s.app.subscribers === 1 ? r() : setImmediate(wait));
      wait();
    });
    s.emit({ event: 'window', data: { metric: 'R1', replace: false, rows: [{ minute: 'm', category: 'art', postings: 1, final: false }] } });
    await until('"postings":1');
    expect(text).toContain('event: window\ndata: {"metric":"R1","replace":false,"rows":[{"minute":"m","category":"art","postings":1,"final":false}]}\n\n');
    ctl.abort();
  });
});

describe('with an access key', () => {
  let s: Awaited<ReturnType<typeof serve>>;
  beforeAll(async () => (s = await serve(KEY)));
  afterAll(async () => {
    await s.server.close(100);
    await s.app.close();
  });

  test('the API needs the key (Bearer or X-API-Key); the page says how to give it; /health stays open', async () => {
    for (const headers of [{}, { authorization: `Bearer ${KEY}x` }, { 'x-api-key': 'nope' }] as Record<string, string>[]) {
      const r = await fetch(`${s.server.url}/api/status`, { headers });
      expect([r.status, r.headers.get('www-authenticate')]).toEqual([401, 'Bearer realm="pinpipe-dashboard"']);
      expect(await r.text()).not.toContain(KEY);
    }
    expect((await fetch(`${s.server.url}/api/status`, { headers: { authorization: `Bearer ${KEY}` } })).status).toBe(200);
    expect((await fetch(`${s.server.url}/api/events`, { headers: { 'x-api-key': 'wrong' } })).status).toBe(401);
    const page = await fetch(`${s.server.url}/`);
    expect(page.status).toBe(401);
    expect(await page.text()).toContain('/?key=');
    expect((await fetch(`${s.server.url}/health`)).status).toBe(200);
  });

  test('a browser opens /?key=K once: redirect without the key, with a cookie (not the key) that then opens everything', async () => {
    expect((await fetch(`${s.server.url}/?key=wrong`, { redirect: 'manual' })).status).toBe(401);
    const first = await fetch(`${s.server.url}/?key=${KEY}`, { redirect: 'manual' });
    expect([first.status, first.headers.get('location')]).toEqual([303, '/']);
    const cookie = first.headers.get('set-cookie')!;
    expect(cookie).toMatch(/^pinpipe_dashboard=[0-9a-f]{64}; Path=\/; HttpOnly; SameSite=Strict$/);
    expect(cookie).not.toContain(KEY);
    const jar = cookie.split(';')[0]!;
    expect((await fetch(`${s.server.url}/`, { headers: { cookie: jar } })).status).toBe(200);
    expect((await fetch(`${s.server.url}/api/metrics`, { headers: { cookie: `other=1; ${jar}` } })).status).toBe(200);
    expect((await fetch(`${s.server.url}/api/metrics`, { headers: { cookie: jar.replace(/.$/, (c) => (c === '0' ? '1' : '0')) } })).status).toBe(401);
  });
});

test('beyond localhost only with a key', () => {
  expect(['127.0.0.1', '127.1.2.3', 'localhost', '::1', '[::1]'].map(isLoopback)).toEqual([true, true, true, true, true]);
  expect(['0.0.0.0', '::', '192.168.1.5', 'example.org'].map(isLoopback)).toEqual([false, false, false, false]);
  expect(() => checkBind('127.0.0.1', undefined)).not.toThrow();
  expect(() => checkBind('0.0.0.0', KEY)).not.toThrow();
  expect(() => checkBind('0.0.0.0', undefined)).toThrow(expect.objectContaining({ code: 'USAGE', message: expect.stringContaining('refusing to serve the dashboard on 0.0.0.0 without an access key') }));
});

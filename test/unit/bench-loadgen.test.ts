import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { openLoop } from '../../src/bench/loadgen.js';

/** a server that answers 201, records each request path, and delays answers by `delayMs.value` */
async function server(): Promise<{ url: string; seen: string[]; close: () => Promise<void>; delayMs: { value: number } }> {
  const seen: string[] = [];
  const delayMs = { value: 0 };
  const s = http.createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      seen.push(req.url ?? '');
      setTimeout(() => res.writeHead(201, { 'content-type': 'application/json' }).end('{}'), delayMs.value);
    });
  });
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    seen,
    delayMs,
    close: () =>
      new Promise((r) => {
        s.closeAllConnections();
        s.close(() => r());
      }),
  };
}

/** run fn against a fresh server, closed afterwards */
async function withServer(fn: (srv: Awaited<ReturnType<typeof server>>) => Promise<void>): Promise<void> {
  const srv = await server();
  try {
    await fn(srv);
  } finally {
    await srv.close();
  }
}

test('open loop: exactly rate × duration measured requests, warm-up requests sent but not counted', async () => {
  await withServer(async (srv) => {
    const r = await openLoop({
      url: srv.url,
      rate: 400,
      durationMs: 500,
      warmupMs: 250,
      request: (i) => ({ path: i < 0 ? `/warm${-i}` : `/m${i}`, body: '{}' }),
    });
    expect(r.due).toBe(200);
    expect(r.sent).toBe(200);
    expect(r.ok).toBe(200);
    expect(r.errors).toBe(0);
    expect(r.dropped).toBe(0);
    expect(r.latenciesMs.length).toBe(200);
    expect(r.statuses).toEqual({ 201: 200 });
    const warm = srv.seen.filter((p) => p.startsWith('/warm'));
    const measured = new Set(srv.seen.filter((p) => p.startsWith('/m')));
    expect(warm.length).toBe(100);
    expect(measured.size).toBe(200);
    expect(measured.has('/m0') && measured.has('/m199')).toBe(true);
  });
});

test('open loop: latency counts from the due time, so a slow server shows in the percentiles', async () => {
  await withServer(async (srv) => {
    srv.delayMs.value = 60;
    const r = await openLoop({ url: srv.url, rate: 200, durationMs: 300, request: () => ({ path: '/x', body: '{}' }) });
    expect(r.ok).toBe(60);
    const min = Math.min(...r.latenciesMs);
    expect(min).toBeGreaterThanOrEqual(59);
  });
});

test('open loop: requests beyond maxInFlight are dropped, not delayed', async () => {
  await withServer(async (srv) => {
    srv.delayMs.value = 400;
    const r = await openLoop({ url: srv.url, rate: 1000, durationMs: 100, maxInFlight: 10, request: () => ({ path: '/x', body: '{}' }) });
    expect(r.due).toBe(100);
    expect(r.sent).toBe(10);
    expect(r.dropped).toBe(90);
    expect(r.ok).toBe(10);
  });
});

/**
 * A recording HTTP proxy between a client (the emulator) and the pinpipe API: forwards every
 * request unchanged and records what the API answered (status, Retry-After, error code, the
 * event_ids of a 2xx), so a test knows exactly which records the API claimed to have persisted.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Exchange {
  route: string;
  /** Idempotency-Key of a single-record request, or the event_ids of a bulk request */
  keys: string[];
  status: number;
  retryAfter?: string;
  code?: string;
  /** event_ids the API answered with (2xx) */
  eventIds: string[];
  at: number;
}

export interface RecordingProxy {
  url: string;
  log: Exchange[];
  close(): Promise<void>;
}

export async function startRecordingProxy(target: string): Promise<RecordingProxy> {
  const t = new URL(target);
  const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });
  const log: Exchange[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      let keys: string[] = [];
      const key = req.headers['idempotency-key'];
      if (typeof key === 'string') keys = [key];
      else if (req.url?.startsWith('/bulk')) {
        try {
          keys = (JSON.parse(body.toString('utf8')) as { records: { event_id?: string }[] }).records.map((r) => r.event_id ?? '');
        } catch {
          keys = [];
        }
      }
      const headers = { ...req.headers, host: t.host };
      const up = http.request({ host: t.hostname, port: t.port, method: req.method, path: req.url, headers, agent }, (ur) => {
        const out: Buffer[] = [];
        ur.on('data', (c: Buffer) => out.push(c));
        ur.on('end', () => {
          const text = Buffer.concat(out).toString('utf8');
          const ex: Exchange = {
            route: req.url ?? '',
            keys,
            status: ur.statusCode ?? 0,
            retryAfter: ur.headers['retry-after'] as string | undefined,
            eventIds: [],
            at: Date.now(),
          };
          try {
            const j = JSON.parse(text) as { code?: string; event_id?: string; event_ids?: string[] };
            ex.code = j.code;
            if (ex.status >= 200 && ex.status < 300) ex.eventIds = j.event_ids ?? (j.event_id ? [j.event_id] : []);
          } catch {
            // not JSON
          }
          log.push(ex);
          const h = { ...ur.headers };
          delete h['transfer-encoding'];
          res.writeHead(ur.statusCode ?? 502, h);
          res.end(Buffer.concat(out));
        });
      });
      up.on('error', (e) => {
        log.push({ route: req.url ?? '', keys, status: 0, code: `proxy: ${e.message}`, eventIds: [], at: Date.now() });
        res.writeHead(502, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ statusCode: 502, code: 'PROXY', message: e.message }));
      });
      up.end(body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    log,
    close: () =>
      new Promise<void>((resolve) => {
        agent.destroy();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

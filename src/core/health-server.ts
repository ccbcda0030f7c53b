/**
 * GET /health and GET /metrics (Prometheus text) of a long-running role, on `metricsPort`: one
 * small server for every role, each giving its own metrics text and health verdict.
 */
import { listenOn } from './bind.js';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface HealthSource {
  /** Prometheus text exposition */
  metrics(): string;
  /** ok → 200, else 503; body is the JSON answer */
  health(): { ok: boolean; body: Record<string, unknown> };
}

export interface MetricsServer {
  port: number;
  close(): Promise<void>;
}

export async function startHealthServer(source: HealthSource, port: number, host = '127.0.0.1'): Promise<MetricsServer> {
  const server: Server = createServer((req, res) => {
    const url = (req.url ?? '/').split('?')[0];
    if (req.method === 'GET' && url === '/metrics') {
      res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' }).end(source.metrics());
    } else if (req.method === 'GET' && url === '/health') {
      const { ok, body } = source.health();
      res.writeHead(ok ? 200 : 503, { 'content-type': 'application/json' }).end(JSON.stringify(body));
    } else {
      res.writeHead(404, { 'content-type': 'application/json' }).end(JSON.stringify({ statusCode: 404, error: 'Not Found', code: 'NOT_FOUND', message: 'GET /health or /metrics' }));
    }
  });
  await listenOn(server, port, host, 'metricsPort: PINPIPE_METRICS_PORT');
  return {
    port: (server.address() as AddressInfo).port,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** Binding the API to a port (listen), with timeouts for slow clients and a graceful close. */
import { createServer, STATUS_CODES, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { App } from './app.js';

export interface ListenOptions {
  host: string;
  port: number;
  /** whole request (headers and body) must arrive within this (default 10 s) */
  requestTimeoutMs?: number;
}

export interface Listening {
  server: Server;
  url: string;
  port: number;
  /** stop accepting, let in-flight requests finish (up to graceMs), then close every connection */
  close(graceMs?: number): Promise<void>;
}

/** what listen() needs of an app (the ingestion API's App, the dashboard's) */
export type Servable = Pick<App, 'handle' | 'maxBodyBytes' | 'startDrain' | 'idle'>;

export async function listen(app: Servable, opts: ListenOptions): Promise<Listening> {
  const requestTimeout = opts.requestTimeoutMs ?? 10_000;
  const server = createServer({ requestTimeout, headersTimeout: Math.min(requestTimeout, 10_000), connectionsCheckingInterval: 1000, noDelay: true }, app.handle);
  server.keepAliveTimeout = 65_000;
  // Expect: 100-continue: don't invite a body that is already known to be too large.
  server.on('checkContinue', (req, res) => {
    if (!(Number(req.headers['content-length']) > app.maxBodyBytes)) res.writeContinue();
    app.handle(req, res);
  });
  server.on('clientError', (err: NodeJS.ErrnoException, socket) => {
    if (!socket.writable || err.code === 'ECONNRESET') return socket.destroy();
    const timeout = err.code === 'ERR_HTTP_REQUEST_TIMEOUT';
    const status = timeout ? 408 : err.code === 'HPE_HEADER_OVERFLOW' ? 431 : 400;
    const message = timeout ? 'the request did not arrive in time' : `malformed HTTP request (${err.code ?? 'error'})`;
    const body = JSON.stringify({ statusCode: status, error: STATUS_CODES[status], code: timeout ? 'REQUEST_TIMEOUT' : 'USAGE', message, fields: [] });
    socket.end(`HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\ncontent-type: application/json; charset=utf-8\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  const host = opts.host.includes(':') ? `[${opts.host}]` : opts.host;
  let closing: Promise<void> | null = null;
  return {
    server,
    port,
    url: `http://${host === '0.0.0.0' ? '127.0.0.1' : host}:${port}`,
    close(graceMs = 10_000) {
      closing ??= (async () => {
        app.startDrain();
        const closed = new Promise<void>((resolve) => server.close(() => resolve()));
        server.closeIdleConnections();
        let timer: NodeJS.Timeout | undefined;
        await Promise.race([app.idle(), new Promise<void>((resolve) => (timer = setTimeout(resolve, graceMs)))]);
        clearTimeout(timer);
        server.closeAllConnections();
        await closed;
      })();
      return closing;
    },
  };
}

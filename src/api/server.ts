/** Binding the API to a port (listen), with timeouts for slow clients and a graceful close. */
import { createServer, STATUS_CODES, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { App } from './app.js';
import { listenOn } from '../core/bind.js';

const OPEN = Symbol('requests in flight');
/** a connection with its requests not yet answered, and what to do once those received whole are */
interface Open {
  reqs: Set<IncomingMessage>;
  then?: () => void;
}
type Tracked = Socket & { [OPEN]?: Open };
/** some request of the connection arrived whole and is not answered yet */
const received = (open: Open): boolean => {
  for (const r of open.reqs) if (r.complete) return true;
  return false;
};

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
  // Requests of a connection not yet answered: a malformed request after a valid one (pipelined
  // on the same connection) is answered only once the valid one is, so the client never reads a
  // 400 (and a closed connection) in place of the answer to a record the log accepted.
  const handle = (req: IncomingMessage, res: ServerResponse): void => {
    const socket = req.socket as Tracked;
    const open = (socket[OPEN] ??= { reqs: new Set() });
    open.reqs.add(req);
    res.once('close', () => {
      open.reqs.delete(req);
      if (open.then && !received(open)) {
        const then = open.then;
        open.then = undefined;
        then();
      }
    });
    app.handle(req, res);
  };
  const server = createServer({ requestTimeout, headersTimeout: Math.min(requestTimeout, 10_000), connectionsCheckingInterval: 1000, noDelay: true }, handle);
  server.keepAliveTimeout = 65_000;
  // Expect: 100-continue: don't invite a body that is already known to be too large.
  server.on('checkContinue', (req, res) => {
    if (!(Number(req.headers['content-length']) > app.maxBodyBytes)) res.writeContinue();
    handle(req, res);
  });
  server.on('clientError', (err: NodeJS.ErrnoException, socket: Tracked) => {
    if (!socket.writable || err.code === 'ECONNRESET') return socket.destroy();
    const timeout = err.code === 'ERR_HTTP_REQUEST_TIMEOUT';
    const status = timeout ? 408 : err.code === 'HPE_HEADER_OVERFLOW' ? 431 : 400;
    const message = timeout ? 'the request did not arrive in time' : `malformed HTTP request (${err.code ?? 'error'})`;
    const body = JSON.stringify({ statusCode: status, error: STATUS_CODES[status], code: timeout ? 'REQUEST_TIMEOUT' : 'USAGE', message, fields: [] });
    const reply = () => {
      if (!socket.writable) return socket.destroy();
      socket.end(`HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\ncontent-type: application/json; charset=utf-8\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`);
    };
    // wait for the requests received whole (being answered); one still arriving is what failed
    const open = socket[OPEN];
    if (open && received(open)) open.then = reply;
    else reply();
  });
  await listenOn(server, opts.port, opts.host, 'api.port: --port or PINPIPE_API_PORT');
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

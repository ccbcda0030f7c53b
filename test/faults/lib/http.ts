/**
 * HTTP from the fault tests at the byte level (node:net), so a test can send what no well-behaved
 * client would: broken bytes, huge or endless bodies, requests trickled a few bytes a second.
 * Every function is bounded by a deadline.
 */
import net from 'node:net';

export interface RawResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
  /** ms from the first byte sent to the whole answer (or the close) */
  ms: number;
  /** the server closed the connection (after or instead of an answer) */
  closed: boolean;
  /** a network error (e.g. ECONNRESET) ended the exchange */
  error?: string;
}

function hostPort(base: string): { host: string; port: number } {
  const u = new URL(base);
  return { host: u.hostname.replace(/^\[|\]$/g, ''), port: Number(u.port) };
}

/** Parse the first HTTP response in `buf`; null while it is incomplete. */
export function parseResponse(buf: Buffer, final: boolean): Omit<RawResponse, 'ms' | 'closed'> | null {
  const end = buf.indexOf('\r\n\r\n');
  if (end < 0) return null;
  const head = buf.subarray(0, end).toString('latin1').split('\r\n');
  const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(head[0] ?? '')?.[1] ?? 0);
  const headers: Record<string, string> = {};
  for (const line of head.slice(1)) {
    const i = line.indexOf(':');
    if (i > 0) headers[line.slice(0, i).trim().toLowerCase()] = line.slice(i + 1).trim();
  }
  const rest = buf.subarray(end + 4);
  const len = headers['content-length'];
  if (len !== undefined) {
    if (rest.length < Number(len)) return final ? { status, headers, body: rest.toString('utf8') } : null;
    return { status, headers, body: rest.subarray(0, Number(len)).toString('utf8') };
  }
  return final ? { status, headers, body: rest.toString('utf8') } : null;
}

export interface Exchange {
  socket: net.Socket;
  /** resolves with the first answer, or when the connection ends without one */
  response: Promise<RawResponse>;
  /** resolves when the first answer is complete (or the connection ended) */
  answered(): boolean;
}

/** Open a connection and read the first answer; the caller writes what it likes. */
export function connect(base: string, timeoutMs = 30_000): Exchange {
  const { host, port } = hostPort(base);
  const socket = net.connect({ host, port });
  socket.setNoDelay(true);
  const t0 = Date.now();
  let buf = Buffer.alloc(0);
  let done = false;
  const response = new Promise<RawResponse>((resolve) => {
    const finish = (closed: boolean, error?: string) => {
      if (done) return;
      const parsed = parseResponse(buf, true);
      done = true;
      clearTimeout(timer);
      resolve({ ...(parsed ?? { status: 0, headers: {}, body: '' }), ms: Date.now() - t0, closed, error });
    };
    const timer = setTimeout(() => {
      finish(false, `no answer within ${timeoutMs} ms`);
      socket.destroy();
    }, timeoutMs);
    socket.on('data', (d: Buffer) => {
      if (done) return;
      buf = Buffer.concat([buf, d]);
      const parsed = parseResponse(buf, false);
      if (parsed) {
        done = true;
        clearTimeout(timer);
        resolve({ ...parsed, ms: Date.now() - t0, closed: false });
      }
    });
    socket.on('end', () => finish(true));
    socket.on('close', () => finish(true));
    socket.on('error', (e: NodeJS.ErrnoException) => finish(true, e.code ?? e.message));
  });
  return { socket, response, answered: () => done };
}

/** Send exactly these bytes as one request and read the answer. */
export async function rawRequest(base: string, bytes: Buffer | string, timeoutMs = 30_000): Promise<RawResponse> {
  const x = connect(base, timeoutMs);
  x.socket.write(bytes);
  const r = await x.response;
  x.socket.destroy();
  return r;
}

/** A POST with a body, as bytes: the request line, headers, the body. */
export function requestBytes(path: string, body: Buffer | string, headers: Record<string, string | number | undefined> = {}): Buffer {
  const b = typeof body === 'string' ? Buffer.from(body, 'utf8') : body;
  const h: Record<string, string | number | undefined> = {
    host: 'localhost',
    'content-type': 'application/json',
    'content-length': b.length,
    connection: 'close',
    ...headers,
  };
  const lines = Object.entries(h)
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => `${k}: ${v}\r\n`)
    .join('');
  return Buffer.concat([Buffer.from(`POST ${path} HTTP/1.1\r\n${lines}\r\n`, 'latin1'), b]);
}

export async function post(
  base: string,
  path: string,
  body: Buffer | string,
  headers: Record<string, string | number | undefined> = {},
  timeoutMs = 30_000,
): Promise<RawResponse> {
  return rawRequest(base, requestBytes(path, body, headers), timeoutMs);
}

/**
 * Stream a body of `totalBytes` (in `chunkBytes` pieces, waiting for drain) and stop writing as
 * soon as the server answers or closes. `chunked`: no Content-Length, Transfer-Encoding: chunked.
 */
export async function streamBody(
  base: string,
  path: string,
  opts: { totalBytes: number; chunkBytes?: number; declare?: number; chunked?: boolean; timeoutMs?: number },
): Promise<RawResponse & { sentBytes: number }> {
  const x = connect(base, opts.timeoutMs ?? 30_000);
  const headers = opts.chunked ? 'transfer-encoding: chunked\r\n' : `content-length: ${opts.declare ?? opts.totalBytes}\r\n`;
  x.socket.write(`POST ${path} HTTP/1.1\r\nhost: localhost\r\ncontent-type: application/json\r\n${headers}\r\n`);
  const piece = Buffer.alloc(opts.chunkBytes ?? 64 * 1024, 0x20); // spaces: valid JSON whitespace
  piece[0] = 0x5b; // '[' then spaces: would be a (huge) JSON array
  let sent = 0;
  let writeError = false;
  x.socket.on('error', () => (writeError = true));
  while (sent < opts.totalBytes && !x.answered() && !writeError && !x.socket.destroyed) {
    // let the event loop poll between writes: an answer that has arrived is read before the next
    // write could fail (EPIPE), as a client that reads while it sends would see it
    await new Promise<void>((resolve) => setTimeout(resolve, 0));
    if (x.answered() || x.socket.destroyed) break;
    const n = Math.min(piece.length, opts.totalBytes - sent);
    const data = opts.chunked ? Buffer.concat([Buffer.from(`${n.toString(16)}\r\n`), piece.subarray(0, n), Buffer.from('\r\n')]) : piece.subarray(0, n);
    sent += n;
    if (!x.socket.write(data)) {
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, 2000);
        x.socket.once('drain', () => {
          clearTimeout(t);
          resolve();
        });
        x.socket.once('close', () => {
          clearTimeout(t);
          resolve();
        });
      });
    }
  }
  if (opts.chunked && !x.answered() && !x.socket.destroyed) x.socket.write('0\r\n\r\n');
  const r = await x.response;
  x.socket.destroy();
  return { ...r, sentBytes: sent };
}

/**
 * Slowloris: send `bytes` a few at a time every `everyMs` until the server answers or closes.
 * Resolves with whatever the server did.
 */
export async function trickle(
  base: string,
  bytes: Buffer,
  opts: { bytesPerTick: number; everyMs: number; timeoutMs: number },
): Promise<RawResponse & { sentBytes: number }> {
  const x = connect(base, opts.timeoutMs);
  let sent = 0;
  const timer = setInterval(() => {
    if (x.answered() || x.socket.destroyed || sent >= bytes.length) return;
    x.socket.write(bytes.subarray(sent, sent + opts.bytesPerTick));
    sent += opts.bytesPerTick;
  }, opts.everyMs);
  x.socket.on('error', () => undefined);
  const r = await x.response;
  clearInterval(timer);
  x.socket.destroy();
  return { ...r, sentBytes: Math.min(sent, bytes.length) };
}

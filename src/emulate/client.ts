/**
 * A small keep-alive HTTP client for the emulator: POSTs JSON to the pinpipe API and classifies
 * the answer. 2xx → accepted; 408, 429 and 5xx (honouring Retry-After) and network errors →
 * retriable; any other 4xx → rejected (not retried).
 */
import http from 'node:http';
import https from 'node:https';
import { PinpipeError } from '../core/errors.js';

export interface Answer {
  status: number;
  body: string;
}

/** A failure worth another attempt; `retryAfterMs` from the server's Retry-After. */
export class RetriableError extends Error {
  constructor(message: string, readonly retryAfterMs?: number) {
    super(message);
    this.name = 'RetriableError';
  }
}

export function retryAfterMs(header: string | undefined): number | undefined {
  if (!header) return undefined;
  const s = Number(header);
  if (Number.isFinite(s) && s >= 0) return Math.min(s * 1000, 60_000);
  const t = Date.parse(header);
  return Number.isNaN(t) ? undefined : Math.min(Math.max(0, t - Date.now()), 60_000);
}

/**
 * Why an attempt could not reach the API, for people: the usual network failures in words, with
 * the API's address (origin: scheme, host and port).
 */
export function networkReason(e: unknown, origin: string): string {
  const err = e as NodeJS.ErrnoException;
  switch (err?.code) {
    case 'ECONNREFUSED':
      return `connection refused at ${origin}: is \`pinpipe api\` running there?`;
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return `cannot resolve the host of ${origin} (${err.code})`;
    case 'ECONNRESET':
    case 'EPIPE':
      return `connection to ${origin} reset (${err.code})`;
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
      return `${origin} is unreachable (${err.code})`;
    default:
      return `${err?.message ?? String(e)} (${origin})`;
  }
}

export interface ClientOptions {
  /** sockets kept open (= requests in flight) */
  maxSockets: number;
  apiKey?: string;
  /** give up on one attempt after this long without an answer (default 30 s) */
  timeoutMs?: number;
}

export class ApiClient {
  private readonly base: URL;
  private readonly mod: typeof http | typeof https;
  private readonly agent: http.Agent;
  private readonly timeoutMs: number;
  private readonly auth: Record<string, string>;

  constructor(baseUrl: string, opts: ClientOptions) {
    let url: URL;
    try {
      url = new URL(baseUrl);
    } catch {
      throw new PinpipeError('USAGE', `--api must be an http:// or https:// URL, got "${baseUrl}"`);
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new PinpipeError('USAGE', `--api must be an http:// or https:// URL, got "${baseUrl}"`);
    this.base = url;
    this.mod = url.protocol === 'https:' ? https : http;
    this.agent = new this.mod.Agent({ keepAlive: true, maxSockets: opts.maxSockets, maxFreeSockets: opts.maxSockets });
    this.timeoutMs = opts.timeoutMs ?? 30_000;
    this.auth = opts.apiKey ? { authorization: `Bearer ${opts.apiKey}` } : {};
  }

  private pathOf(route: string): string {
    return this.base.pathname.replace(/\/+$/, '') + route;
  }

  /** One attempt. Resolves with any HTTP answer; rejects only on network errors and timeouts. */
  post(route: string, json: string, headers: Record<string, string> = {}): Promise<Answer & { retryAfter?: string }> {
    return new Promise((resolve, reject) => {
      const req = this.mod.request(
        {
          protocol: this.base.protocol,
          hostname: this.base.hostname.replace(/^\[|\]$/g, ''),
          port: this.base.port || undefined,
          path: this.pathOf(route),
          method: 'POST',
          agent: this.agent,
          headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(json), ...this.auth, ...headers },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8'), retryAfter: res.headers['retry-after'] }));
          res.on('error', reject);
        },
      );
      req.setTimeout(this.timeoutMs, () => req.destroy(new Error(`no answer within ${this.timeoutMs} ms`)));
      req.on('error', reject);
      req.end(json);
    });
  }

  /**
   * One attempt, classified: resolves with 2xx and non-retriable 4xx answers; throws
   * RetriableError for 408, 429, 5xx and network errors.
   */
  async attempt(route: string, json: string, headers?: Record<string, string>): Promise<Answer> {
    let a: Answer & { retryAfter?: string };
    try {
      a = await this.post(route, json, headers);
    } catch (e) {
      throw new RetriableError(`network error: ${networkReason(e, this.base.origin)}`);
    }
    if (a.status === 408 || a.status === 429 || a.status >= 500) {
      throw new RetriableError(`HTTP ${a.status}: ${a.body.slice(0, 200)}`, retryAfterMs(a.retryAfter));
    }
    return a;
  }

  close(): void {
    this.agent.destroy();
  }
}

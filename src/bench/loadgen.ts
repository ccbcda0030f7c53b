/**
 * Open-loop HTTP load at a fixed rate (wrk2-style): request i is due at start + i/rate whatever
 * the server does; a timer sends every request that is due, over a keep-alive socket pool, and
 * its latency is measured from when it was due (not from when it was sent), so a slow server or a
 * late client shows up in the latencies instead of silently lowering the rate (no coordinated
 * omission). Requests beyond `maxInFlight` are counted as dropped.
 */
import http from 'node:http';

export interface OpenLoopRequest {
  path: string;
  body: string;
  headers?: Record<string, string>;
}

export interface OpenLoopOptions {
  /** base URL, e.g. http://127.0.0.1:8080 */
  url: string;
  /** requests per second */
  rate: number;
  durationMs: number;
  /**
   * a first stretch at the same rate over the same sockets whose answers are not measured (like
   * wrk2's calibration period): the pool's sockets are opened and the code on both sides is warm
   * before the measured requests are due
   */
  warmupMs?: number;
  /** the i-th request (numbered from the first measured one; warm-up requests get negative i) */
  request: (i: number) => OpenLoopRequest;
  maxInFlight?: number;
  sockets?: number;
  /** called with each completed request's status and body (when wanted), and its completion time (epoch ms) */
  onResponse?: (i: number, status: number, body: string, doneAtMs: number) => void;
}

export interface OpenLoopResult {
  due: number;
  sent: number;
  ok: number;
  /** non-2xx answers and connection errors */
  errors: number;
  dropped: number;
  statuses: Record<string, number>;
  /** latency of the 2xx answers, ms, from the due time */
  latenciesMs: Float64Array;
  /** from the first due time to the last answer */
  elapsedMs: number;
}

export function openLoop(opts: OpenLoopOptions): Promise<OpenLoopResult> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: opts.sockets ?? 128 });
  const base = new URL(opts.url);
  const maxInFlight = opts.maxInFlight ?? 5000;
  const total = Math.floor((opts.rate * opts.durationMs) / 1000);
  const warm = Math.floor((opts.rate * (opts.warmupMs ?? 0)) / 1000);
  const lat = new Float64Array(total);
  const res: Omit<OpenLoopResult, 'latenciesMs' | 'elapsedMs'> = { due: total, sent: 0, ok: 0, errors: 0, dropped: 0, statuses: {} };
  let nOk = 0;
  let inFlight = 0;
  let finished = 0;
  const start = performance.now() + 20 + (warm * 1000) / opts.rate;
  const dueAt = (i: number) => start + (i * 1000) / opts.rate;
  const wantBody = Boolean(opts.onResponse);

  return new Promise<OpenLoopResult>((resolve) => {
    let next = -warm;
    let lastDone = start;
    const done = () => {
      if (++finished < total) return;
      clearInterval(timer);
      agent.destroy();
      resolve({ ...res, latenciesMs: lat.subarray(0, nOk), elapsedMs: lastDone - start });
    };
    const fire = (i: number) => {
      const r = opts.request(i);
      if (i >= 0) res.sent++;
      inFlight++;
      const req = http.request(
        {
          host: base.hostname,
          port: base.port,
          path: r.path,
          method: 'POST',
          agent,
          headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(r.body), ...r.headers },
        },
        (response) => {
          const chunks: Buffer[] = [];
          response.on('data', (c: Buffer) => {
            if (wantBody) chunks.push(c);
          });
          response.on('end', () => {
            const t = performance.now();
            inFlight--;
            if (i < 0) return; // a warm-up request: not measured
            lastDone = Math.max(lastDone, t);
            const status = response.statusCode ?? 0;
            res.statuses[status] = (res.statuses[status] ?? 0) + 1;
            if (status >= 200 && status < 300) {
              res.ok++;
              lat[nOk++] = t - dueAt(i);
            } else res.errors++;
            opts.onResponse?.(i, status, wantBody ? Buffer.concat(chunks).toString('utf8') : '', performance.timeOrigin + t);
            done();
          });
        },
      );
      req.on('error', () => {
        inFlight--;
        if (i < 0) return;
        res.errors++;
        res.statuses.error = (res.statuses.error ?? 0) + 1;
        done();
      });
      req.end(r.body);
    };
    const tick = () => {
      const now = performance.now();
      while (next < total && dueAt(next) <= now) {
        const i = next++;
        if (inFlight >= maxInFlight) {
          if (i < 0) continue;
          res.dropped++;
          done();
        } else fire(i);
      }
    };
    const timer = setInterval(tick, 1);
    if (total === 0) {
      clearInterval(timer);
      resolve({ ...res, latenciesMs: lat, elapsedMs: 0 });
    }
  });
}

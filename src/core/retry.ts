/** Retry with exponential backoff and full jitter: the one place pinpipe retries. */
export interface RetryOptions {
  retries: number; // attempts after the first
  initialMs: number;
  maxMs: number;
  /** decide whether an error is worth another attempt (default: always) */
  shouldRetry?: (err: unknown, attempt: number) => boolean;
  onRetry?: (err: unknown, attempt: number, delayMs: number) => void;
  /** a lower bound for the next delay that the error asks for (e.g. an HTTP Retry-After) */
  minDelayMs?: (err: unknown) => number | undefined;
  signal?: AbortSignal;
}

export function backoffDelay(attempt: number, initialMs: number, maxMs: number, rand: () => number = Math.random): number {
  const cap = Math.min(maxMs, initialMs * 2 ** attempt);
  return Math.round(cap / 2 + (rand() * cap) / 2);
}

export const sleep = (ms: number, signal?: AbortSignal): Promise<void> =>
  new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const t = setTimeout(done, ms);
    function done() {
      clearTimeout(t);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });

export async function retry<T>(fn: (attempt: number) => Promise<T>, opts: RetryOptions): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await fn(attempt);
    } catch (err) {
      if (attempt >= opts.retries || opts.signal?.aborted || (opts.shouldRetry && !opts.shouldRetry(err, attempt))) throw err;
      const delay = Math.max(backoffDelay(attempt, opts.initialMs, opts.maxMs), opts.minDelayMs?.(err) ?? 0);
      opts.onRetry?.(err, attempt + 1, delay);
      await sleep(delay, opts.signal);
    }
  }
}

/**
 * The emulator's loop, like the seed's user_posting_emulation.py: each step picks a random row
 * (seeded) and posts its pin, geo and user records, in that order. Open-loop pacing at `rate`
 * postings/s, at most `concurrency` postings (or bulk requests) in flight, retries with backoff
 * and jitter, deterministic idempotency keys so that retries never duplicate.
 */
import type { Posting, Source } from '../connectors/source/types.js';
import { retry, sleep } from '../core/retry.js';
import { deriveSeed, mulberry32 } from '../connectors/source/prng.js';
import { ApiClient, RetriableError, type Answer } from './client.js';

export interface EmulateOptions {
  api: string;
  source: Source;
  /** postings to send (0 = until the signal) */
  count: number;
  /** postings per second (0 = as fast as possible) */
  rate: number;
  seed: number;
  /** distinguishes runs: keys are emu-<seed>-<runId>-<step>-<type> */
  runId: string;
  concurrency: number;
  /** postings per /bulk request (0 = one request per record) */
  bulk: number;
  apiKey?: string;
  signal: AbortSignal;
  /** attempts after the first (default 8) */
  retries?: number;
  retryInitialMs?: number;
  retryMaxMs?: number;
  /** called with the first few rejections (status and body) */
  onReject?: (what: string, answer: Answer) => void;
  /** called once, with the reason, when an attempt first fails (it is retried) */
  onFirstFailure?: (reason: string) => void;
}

export interface Counters {
  postings: number;
  /** records sent (each once, however many attempts it took) */
  sent: number;
  /** records the API answered 2xx (new or duplicate) */
  accepted: number;
  /** of accepted: answered as duplicates of an earlier attempt */
  duplicates: number;
  /** records refused with a 4xx that retrying cannot fix */
  rejected: number;
  /** extra attempts */
  retried: number;
  /** records given up on (retries exhausted, or stopped while retrying) */
  failed: number;
}

export interface Summary extends Counters {
  seconds: number;
  /** accepted records per second */
  rate: number;
  /** why the last failed attempt failed (when any did) */
  last_error?: string;
}

const TYPES = ['pin', 'geo', 'user'] as const;

/** The row that step `step` posts: uniform over [0, size), a pure function of (seed, step). */
export function rowForStep(seed: number, step: number, size: number): number {
  return Math.floor(mulberry32(deriveSeed(seed, step, 0x5eed))() * size);
}

export function newCounters(): Counters {
  return { postings: 0, sent: 0, accepted: 0, duplicates: 0, rejected: 0, retried: 0, failed: 0 };
}

export class Emulator {
  readonly counters = newCounters();
  private readonly client: ApiClient;
  private started = 0;
  private rejectionsShown = 0;
  private lastError: string | undefined;

  constructor(private readonly opts: EmulateOptions) {
    this.client = new ApiClient(opts.api, { maxSockets: opts.concurrency, apiKey: opts.apiKey });
  }

  elapsedSeconds(): number {
    return this.started ? (performance.now() - this.started) / 1000 : 0;
  }

  async run(): Promise<Summary> {
    const o = this.opts;
    const size = await o.source.size();
    const perRequest = o.bulk > 0 ? o.bulk : 1;
    const inFlight = new Set<Promise<void>>();
    this.started = performance.now();
    let step = 0;
    let fatal: unknown;
    try {
      while (!o.signal.aborted && fatal === undefined && (o.count === 0 || step < o.count)) {
        if (inFlight.size >= o.concurrency) await Promise.race(inFlight);
        if (o.rate > 0) {
          const due = this.started + (step / o.rate) * 1000;
          const wait = due - performance.now();
          if (wait > 1) await sleep(wait, o.signal);
        }
        if (o.signal.aborted || fatal !== undefined) break;
        const n = o.count === 0 ? perRequest : Math.min(perRequest, o.count - step);
        const steps = Array.from({ length: n }, (_, k) => step + k);
        step += n;
        const task: Promise<void> = (o.bulk > 0 ? this.postBulk(steps, size) : this.postOne(steps[0]!, size))
          .catch((e: unknown) => {
            fatal ??= e; // the source failed: stop sending, finish what is in flight, then report
          })
          .finally(() => inFlight.delete(task));
        inFlight.add(task);
      }
      await Promise.all(inFlight);
    } finally {
      this.client.close();
    }
    if (fatal !== undefined) throw fatal;
    const seconds = this.elapsedSeconds();
    return { ...this.counters, seconds, rate: seconds > 0 ? this.counters.accepted / seconds : 0, ...(this.lastError ? { last_error: this.lastError } : {}) };
  }

  private key(step: number, type: string): string {
    return `emu-${this.opts.seed}-${this.opts.runId}-${step}-${type}`;
  }

  private async posting(step: number, size: number): Promise<Posting> {
    return this.opts.source.row(rowForStep(this.opts.seed, step, size));
  }

  private async postOne(step: number, size: number): Promise<void> {
    const p = await this.posting(step, size);
    this.counters.postings++;
    for (const type of TYPES) {
      const answer = await this.send(`/${type}`, JSON.stringify(p[type]), 1, { 'idempotency-key': this.key(step, type) });
      if (answer) this.tally(answer, `${type} of step ${step}`, 1);
    }
  }

  private async postBulk(steps: number[], size: number): Promise<void> {
    const postings = await Promise.all(steps.map((s) => this.posting(s, size)));
    this.counters.postings += postings.length;
    const records = postings.flatMap((p, k) => TYPES.map((type) => ({ type, event_id: this.key(steps[k]!, type), record: p[type] })));
    const answer = await this.send('/bulk', JSON.stringify({ records }), records.length);
    if (answer) this.tally(answer, `bulk of steps ${steps[0]}–${steps[steps.length - 1]}`, records.length, true);
  }

  private tally(answer: Answer, what: string, n: number, bulk = false): void {
    const c = this.counters;
    if (answer.status >= 200 && answer.status < 300) {
      c.accepted += n;
      if (bulk) c.duplicates += duplicatesOf(answer.body);
      else if (answer.status === 200) c.duplicates++;
      return;
    }
    c.rejected += n;
    if (this.rejectionsShown < 5) {
      this.rejectionsShown++;
      this.opts.onReject?.(what, answer);
    }
  }

  /** Send with retries; null when given up (counted as failed). */
  private async send(route: string, json: string, records: number, headers?: Record<string, string>): Promise<Answer | null> {
    const o = this.opts;
    this.counters.sent += records;
    let last: unknown;
    try {
      return await retry(
        async (attempt) => {
          if (attempt > 0 && o.signal.aborted) throw last;
          try {
            return await this.client.attempt(route, json, headers);
          } catch (e) {
            last = e;
            if (e instanceof RetriableError) {
              if (this.lastError === undefined) o.onFirstFailure?.(e.message);
              this.lastError = e.message;
            }
            throw e;
          }
        },
        {
          retries: o.retries ?? 8,
          initialMs: o.retryInitialMs ?? 100,
          maxMs: o.retryMaxMs ?? 5000,
          shouldRetry: (e) => e instanceof RetriableError,
          minDelayMs: (e) => (e instanceof RetriableError ? e.retryAfterMs : undefined),
          onRetry: () => {
            this.counters.retried++;
          },
          signal: o.signal,
        },
      );
    } catch {
      this.counters.failed += records;
      return null;
    }
  }
}

function duplicatesOf(body: string): number {
  try {
    const v = JSON.parse(body) as { duplicates?: unknown };
    return typeof v.duplicates === 'number' ? v.duplicates : 0;
  } catch {
    return 0;
  }
}

/**
 * Recently accepted idempotency keys: a bounded LRU with a TTL, plus the keys whose first request
 * is still in flight (a second request with the same key waits for the first). Each key remembers
 * what it was used for (a fingerprint of the record type and the record), so that a key sent again
 * with another record, or on another route, is refused rather than taken for a retry.
 */
import { createHash } from 'node:crypto';

export interface Stamp {
  event_id: string;
  ingested_at: string;
  /** fingerprint() of the record the key was first used for */
  fingerprint?: string;
}

/**
 * What a key stands for: `<type>:<sha1 of the record's JSON as JSON.stringify writes it>`, so the
 * same record sent again (whatever its spacing, on /<type> or in /bulk) matches.
 */
export function fingerprint(type: string, recordJson: string): string {
  return `${type}:${createHash('sha1').update(recordJson).digest('base64')}`;
}

/** The type part of a fingerprint. */
export const fingerprintType = (f: string): string => f.slice(0, f.indexOf(':'));

/** Keys sent again with another record or type than they were first used for (thrown before anything is appended). */
export class KeyReused extends Error {
  constructor(readonly reused: { index: number; key: string; was: string; now: string }[]) {
    super(`idempotency key ${reused[0]!.key} was used for another record`);
    this.name = 'KeyReused';
  }
}

interface Entry extends Stamp {
  expires: number;
}

export class IdempotencyCache {
  private readonly done = new Map<string, Entry>();
  private readonly inFlight = new Map<string, Promise<void>>();

  constructor(
    readonly maxKeys = 100_000,
    readonly ttlMs = 600_000,
    private readonly now: () => number = Date.now,
  ) {}

  get size(): number {
    return this.done.size;
  }

  /** The stamp of an accepted key, if it is still remembered. */
  get(key: string): Stamp | undefined {
    const e = this.done.get(key);
    if (!e) return undefined;
    this.done.delete(key);
    if (e.expires <= this.now()) return undefined;
    this.done.set(key, e); // most recently used goes last
    return e;
  }

  /** A promise that settles when the request holding this key finishes, if one is in flight. */
  pending(key: string): Promise<void> | undefined {
    return this.inFlight.get(key);
  }

  /** Mark keys as in flight; call the returned function (with stamps on success) when done. */
  reserve(keys: string[]): (stamps?: Map<string, Stamp>) => void {
    let settle!: () => void;
    const p = new Promise<void>((resolve) => (settle = resolve));
    for (const k of keys) this.inFlight.set(k, p);
    return (stamps) => {
      for (const k of keys) {
        this.inFlight.delete(k);
        const s = stamps?.get(k);
        if (s) this.remember(k, s);
      }
      settle();
    };
  }

  private remember(key: string, s: Stamp): void {
    this.done.delete(key);
    this.done.set(key, { event_id: s.event_id, ingested_at: s.ingested_at, fingerprint: s.fingerprint, expires: this.now() + this.ttlMs });
    while (this.done.size > this.maxKeys) this.done.delete(this.done.keys().next().value as string);
  }
}

/**
 * Accepting records: idempotency (known keys answer as duplicates, keys in flight are awaited),
 * stamping (event_id, ingested_at), and appending to the log. Resolves only after the log has
 * durably accepted every new record; if it cannot, nothing is remembered and the caller answers 503.
 */
import { randomUUID } from 'node:crypto';
import type { ProduceMessage, ProduceResult } from '../connectors/log/types.js';
import type { RecordType } from '../core/records.js';
import { KeyReused, type IdempotencyCache, type Stamp } from './idempotency.js';

interface ItemBase {
  type: RecordType;
  /** the client's idempotency key, which becomes the event_id */
  key?: string;
  /** with a key: what the key stands for (idempotency.ts fingerprint) */
  fingerprint?: string;
}

/** A parsed record, stamped here. */
export interface RecordItem extends ItemBase {
  record: Record<string, unknown>;
  /** the record's JSON text as received, when usable as is (src/api/spans.ts) */
  raw?: string | null;
  stamped?: undefined;
}

/** A record stamped already (a parsed /bulk body, src/api/bulk-parse.ts): its log value, key and stamps. */
export interface StampedItem extends ItemBase {
  stamped: { value: string; logKey: string; eventId: string; ingestedAt: string };
}

export type Item = RecordItem | StampedItem;

export interface Outcome extends Stamp {
  duplicate: boolean;
}

export interface Sender {
  send(messages: ProduceMessage[]): Promise<ProduceResult[]>;
}

/**
 * The log value: the record's JSON exactly as accepted plus event_id and ingested_at. `raw` is the
 * record's text as received (an object without line breaks, which JSON.parse gave `record`): when
 * given it is used as is instead of serializing `record` again.
 */
export function stampedValue(record: Record<string, unknown>, eventId: string, ingestedAt: string, raw?: string | null): string {
  if (Object.hasOwn(record, 'event_id') || Object.hasOwn(record, 'ingested_at')) {
    return JSON.stringify({ ...record, event_id: eventId, ingested_at: ingestedAt });
  }
  const json = raw ?? JSON.stringify(record);
  const tail = `"event_id":${SAFE_ID.test(eventId) ? `"${eventId}"` : JSON.stringify(eventId)},"ingested_at":"${ingestedAt}"}`;
  return emptyObject(json) ? `{${tail}` : `${json.slice(0, -1)},${tail}`;
}

/** The log key of a record: the pin's index, the geo's or user's ind. */
export function logKeyOf(type: RecordType, record: Record<string, unknown>): string {
  return String(type === 'pin' ? record.index : record.ind);
}

/** event ids that need no escaping in JSON (generated UUIDs and valid idempotency keys) */
const SAFE_ID = /^[A-Za-z0-9._:-]*$/;

/** `{}` or `{ }`: the text ends with '}' */
function emptyObject(json: string): boolean {
  let j = json.length - 2;
  while (j > 0 && (json.charCodeAt(j) === 32 || json.charCodeAt(j) === 9)) j--;
  return j === 0;
}

export class Ingestor {
  constructor(
    private readonly sender: Sender,
    private readonly cache: IdempotencyCache,
    private readonly topics: Record<RecordType, string>,
    private readonly now: () => number = Date.now,
  ) {}

  async ingest(items: Item[]): Promise<Outcome[]> {
    const outcomes: (Outcome | undefined)[] = new Array(items.length);
    let keyed = false;
    for (const it of items) if (it.key !== undefined) keyed = true;
    const reused: KeyReused['reused'] = [];
    // Resolve known keys; wait for keys in flight, then look again. No await after the last look,
    // so the reservation below cannot race with another request.
    for (;;) {
      let wait: Promise<void> | undefined;
      if (keyed) {
        for (let i = 0; i < items.length && !wait; i++) {
          const { key, fingerprint } = items[i]!;
          if (key === undefined || outcomes[i]) continue;
          const hit = this.cache.get(key);
          if (hit) {
            outcomes[i] = { event_id: hit.event_id, ingested_at: hit.ingested_at, duplicate: true };
            if (hit.fingerprint !== undefined && fingerprint !== undefined && hit.fingerprint !== fingerprint) reused.push({ index: i, key, was: hit.fingerprint, now: fingerprint });
          } else wait = this.cache.pending(key);
        }
      }
      if (!wait) break;
      await wait;
    }
    // a key sent with another record than it stands for: nothing of the request is appended
    if (reused.length) throw new KeyReused(reused);

    const ingestedAt = new Date(this.now()).toISOString();
    const messages: ProduceMessage[] = [];
    const keys: string[] = [];
    const stamps = new Map<string, Stamp>();
    for (let i = 0; i < items.length; i++) {
      if (outcomes[i]) continue;
      const it = items[i]!;
      const key = it.key;
      let s: StampedItem['stamped'];
      if (it.stamped) s = it.stamped;
      else {
        const eventId = key ?? randomUUID();
        s = { value: stampedValue(it.record, eventId, ingestedAt, it.raw), logKey: logKeyOf(it.type, it.record), eventId, ingestedAt };
      }
      outcomes[i] = { event_id: s.eventId, ingested_at: s.ingestedAt, duplicate: false };
      if (key !== undefined) {
        keys.push(key);
        stamps.set(key, { event_id: s.eventId, ingested_at: s.ingestedAt, fingerprint: it.fingerprint });
      }
      messages.push({ topic: this.topics[it.type], key: s.logKey, value: s.value });
    }
    if (messages.length === 0) return outcomes as Outcome[];
    const settle = keys.length ? this.cache.reserve(keys) : undefined;
    try {
      await this.sender.send(messages);
    } catch (err) {
      settle?.();
      throw err;
    }
    settle?.(stamps);
    return outcomes as Outcome[];
  }
}

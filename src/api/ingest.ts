/**
 * Accepting records: idempotency (known keys answer as duplicates, keys in flight are awaited),
 * stamping (event_id, ingested_at), and appending to the log. Resolves only after the log has
 * durably accepted every new record; if it cannot, nothing is remembered and the caller answers 503.
 */
import { randomUUID } from 'node:crypto';
import type { ProduceMessage, ProduceResult } from '../connectors/log/types.js';
import type { RecordType } from '../core/records.js';
import type { IdempotencyCache, Stamp } from './idempotency.js';

export interface Item {
  type: RecordType;
  /** the parsed record; may be left out when partitionKey and raw are given and it has no event_id/ingested_at of its own */
  record?: Record<string, unknown>;
  /** the log key (the pin's index, the geo's or user's ind), else taken from record */
  partitionKey?: string;
  /** the client's idempotency key, which becomes the event_id */
  key?: string;
  /** already stamped (a parsed /bulk body): the log value and its event_id and ingested_at */
  stamped?: { value: string; eventId: string; ingestedAt: string };
  /** the record's JSON text as received, when usable as is (src/api/spans.ts) */
  raw?: string | null;
}

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
  return stampedText(raw ?? JSON.stringify(record), eventId, ingestedAt);
}

/** A record's JSON text (an object without event_id and ingested_at) with both appended. */
export function stampedText(json: string, eventId: string, ingestedAt: string): string {
  const tail = `"event_id":${SAFE_ID.test(eventId) ? `"${eventId}"` : JSON.stringify(eventId)},"ingested_at":"${ingestedAt}"}`;
  return emptyObject(json) ? `{${tail}` : `${json.slice(0, -1)},${tail}`;
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
    // Resolve known keys; wait for keys in flight, then look again. No await after the last look,
    // so the reservation below cannot race with another request.
    for (;;) {
      let wait: Promise<void> | undefined;
      if (keyed) {
        for (let i = 0; i < items.length && !wait; i++) {
          const key = items[i]!.key;
          if (key === undefined || outcomes[i]) continue;
          const hit = this.cache.get(key);
          if (hit) outcomes[i] = { event_id: hit.event_id, ingested_at: hit.ingested_at, duplicate: true };
          else wait = this.cache.pending(key);
        }
      }
      if (!wait) break;
      await wait;
    }

    const ingestedAt = new Date(this.now()).toISOString();
    const messages: ProduceMessage[] = [];
    const keys: string[] = [];
    const stamps = new Map<string, Stamp>();
    for (let i = 0; i < items.length; i++) {
      if (outcomes[i]) continue;
      const { type, record, key, raw, partitionKey, stamped } = items[i]!;
      const eventId = stamped?.eventId ?? key ?? randomUUID();
      const at = stamped?.ingestedAt ?? ingestedAt;
      outcomes[i] = { event_id: eventId, ingested_at: at, duplicate: false };
      if (key !== undefined) {
        keys.push(key);
        stamps.set(key, { event_id: eventId, ingested_at: at });
      }
      const logKey = partitionKey ?? String(type === 'pin' ? record!.index : record!.ind);
      const value = stamped?.value ?? (record ? stampedValue(record, eventId, ingestedAt, raw) : stampedText(raw!, eventId, ingestedAt));
      messages.push({ topic: this.topics[type], key: logKey, value });
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

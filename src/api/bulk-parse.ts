/**
 * A /bulk body from bytes to the stamped records to append, as one function: strict UTF-8 and
 * JSON, the shape and every record checked (parseBulk), each record's text as received plus
 * event_id and ingested_at. It runs on the main thread or in a parse worker (bulk-workers.ts), so
 * its result is plain data (columns) and errors are their HTTP fields.
 */
import { HttpError } from './reply.js';
import { parseJsonText } from './body.js';
import { bulkRecordTexts } from './spans.js';
import { invalidBulk, parseBulk, textProblems, type Limits } from './validate.js';
import { fingerprint } from './idempotency.js';
import { Problems } from './problems.js';
import { randomUUID } from 'node:crypto';
import { TOPICS } from '../core/records.js';
import { logKeyOf, stampedValue, type StampedItem } from './ingest.js';
import type { FieldError } from './reply.js';
import type { ErrorCode } from '../core/errors.js';

/**
 * The accepted records of a body, stamped, in columns (cheap to pass between threads: a few
 * strings and typed arrays instead of an object per record). Record i is
 * `values.slice(ends[i-1] ?? 0, ends[i])`, of type TOPICS[types[i]], log key `partitionKeys[i]`,
 * event id `eventIds[i]` (the client's event_id where `keyed[i]` is 1, else a new UUID).
 */
export interface StampedBulk {
  n: number;
  types: Uint8Array;
  /** the log keys (the pin's index, the geo's or user's ind), joined by "\n" */
  partitionKeys: string;
  /** joined by "\n" */
  eventIds: string;
  keyed: Uint8Array;
  /** what each keyed record's key stands for (idempotency.ts fingerprint), "" for the others; joined by "\n" */
  fingerprints: string;
  values: string;
  ends: Uint32Array;
  ingestedAt: string;
}

export interface HttpErrorData {
  status: number;
  code: ErrorCode;
  message: string;
  fields: FieldError[];
  headers: Record<string, string>;
  extra?: Record<string, unknown>;
}

export type BulkParsed =
  | { ok: true; bulk: StampedBulk }
  /** types: each item's type ('unknown' where invalid) when the records could be told apart */
  | { ok: false; error: HttpErrorData; types: string[] };

/** `now` gives ingested_at (epoch ms) */
export function parseBulkBody(body: Buffer, limits: Limits, now: number = Date.now()): BulkParsed {
  try {
    const { text, value } = parseJsonText(body);
    const parsed = parseBulk(value, limits, new Problems(textProblems(text, value, true)));
    if (parsed.problems.total) return { ok: false, error: errorData(invalidBulk(parsed)), types: parsed.types };
    const raws = bulkRecordTexts(text);
    const usable = raws !== null && raws.length === parsed.items.length;
    const n = parsed.items.length;
    const ingestedAt = new Date(now).toISOString();
    const types = new Uint8Array(n);
    const keyed = new Uint8Array(n);
    const ends = new Uint32Array(n);
    const pks: string[] = new Array(n);
    const ids: string[] = new Array(n);
    const prints: string[] = new Array(n);
    const values: string[] = new Array(n);
    let end = 0;
    for (let i = 0; i < n; i++) {
      const it = parsed.items[i]!;
      const r = it.record;
      types[i] = TOPICS.indexOf(it.type);
      pks[i] = logKeyOf(it.type, r);
      const id = it.key ?? randomUUID();
      if (it.key !== undefined) keyed[i] = 1;
      prints[i] = it.key !== undefined ? fingerprint(it.type, JSON.stringify(r)) : '';
      ids[i] = id;
      const v = stampedValue(r, id, ingestedAt, usable ? raws[i] : null);
      values[i] = v;
      end += v.length;
      ends[i] = end;
    }
    return { ok: true, bulk: { n, types, partitionKeys: pks.join('\n'), eventIds: ids.join('\n'), keyed, fingerprints: prints.join('\n'), values: values.join(''), ends, ingestedAt } };
  } catch (e) {
    if (e instanceof HttpError) return { ok: false, error: errorData(e), types: [] };
    throw e;
  }
}

/** The stamped records of a parsed body, as the Ingestor takes them. */
export function bulkItems(b: StampedBulk): StampedItem[] {
  const pks = b.partitionKeys.split('\n');
  const ids = b.eventIds.split('\n');
  const prints = b.fingerprints.split('\n');
  const items: StampedItem[] = new Array(b.n);
  let start = 0;
  for (let i = 0; i < b.n; i++) {
    const end = b.ends[i]!;
    items[i] = { type: TOPICS[b.types[i]!]!, key: b.keyed[i] ? ids[i] : undefined, fingerprint: b.keyed[i] ? prints[i] : undefined, stamped: { value: b.values.slice(start, end), logKey: pks[i]!, eventId: ids[i]!, ingestedAt: b.ingestedAt } };
    start = end;
  }
  return items;
}

function errorData(e: HttpError): HttpErrorData {
  return { status: e.status, code: e.code, message: e.message, fields: e.fields, headers: e.headers, extra: e.extra };
}

export function toHttpError(d: HttpErrorData): HttpError {
  return new HttpError(d.status, d.code, d.message, d.fields, d.headers, d.extra);
}

/**
 * Request-level validation of records: size limits (fields per record, characters per string)
 * and the raw schema of data contract §1 (validateRaw), naming every offending field.
 */
import { passesRawSchemaFast, validateRaw, TOPICS, type RecordType } from '../core/records.js';
import { HttpError, type FieldError } from './reply.js';
import { jsonTextProblems, pathText } from './json-checks.js';
import { Problems } from './problems.js';

export interface Limits {
  maxFields: number;
  maxFieldChars: number;
  maxBulkRecords: number;
}

export const IDEMPOTENCY_KEY = /^[A-Za-z0-9._:-]{1,128}$/;

const MAX_DEPTH = 8;

/** Strings longer than the limit anywhere in the value, and nesting deeper than MAX_DEPTH. */
function checkStrings(value: unknown, path: string, limits: Limits, out: FieldError[], depth: number): void {
  if (typeof value === 'string') {
    if (value.length > limits.maxFieldChars) out.push({ field: path, message: `is ${value.length} characters long; at most ${limits.maxFieldChars} allowed` });
    return;
  }
  if (typeof value !== 'object' || value === null) return;
  if (depth >= MAX_DEPTH) {
    out.push({ field: path, message: `is nested more than ${MAX_DEPTH} levels deep` });
    return;
  }
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) checkStrings(value[i], `${path}[${i}]`, limits, out, depth + 1);
    return;
  }
  for (const k in value) checkStrings((value as Record<string, unknown>)[k], `${path}.${k}`, limits, out, depth + 1);
}

/** Every problem of one record, or an empty list when it is acceptable. */
export function recordProblems(type: RecordType, input: unknown, limits: Limits): FieldError[] {
  const problems: FieldError[] = [];
  if (typeof input === 'object' && input !== null && !Array.isArray(input)) {
    const rec = input as Record<string, unknown>;
    let n = 0;
    for (const k in rec) {
      n++;
      const v = rec[k];
      if (typeof v === 'string') {
        if (v.length > limits.maxFieldChars) problems.push({ field: k, message: `is ${v.length} characters long; at most ${limits.maxFieldChars} allowed` });
      } else if (typeof v === 'object' && v !== null) checkStrings(v, k, limits, problems, 1);
    }
    if (n > limits.maxFields) problems.unshift({ field: '(record)', message: `has ${n} fields; at most ${limits.maxFields} allowed` });
  }
  // the common case without zod (a yes only when the schema agrees; src/core/records.ts)
  if (typeof input === 'object' && input !== null && !Array.isArray(input) && passesRawSchemaFast(type, input as Record<string, unknown>)) return problems;
  const v = validateRaw(type, input);
  if (!v.ok) {
    const named = new Set(problems.map((p) => p.field));
    for (const p of v.problems) if (!named.has(p.field)) problems.push(p);
  }
  return problems;
}

/** 400 RECORD_INVALID: the first problems in the message, the first 100 listed, the rest counted (problems.ts). */
export function invalidRecord(what: string, problems: FieldError[] | Problems): HttpError {
  const all = problems instanceof Problems ? problems : new Problems(problems);
  const shown = all.listed.slice(0, 5).map((p) => (p.field === '(record)' ? p.message : `${p.field} ${p.message}`));
  const more = all.total > 5 ? ` (and ${all.total - 5} more)` : '';
  return new HttpError(400, 'RECORD_INVALID', `invalid ${what}: ${shown.join('; ')}${more}`, all.listed, {}, all.summary());
}

/** The problems of a request's JSON text (repeated keys, lone surrogates) as field errors; `bulk`: name the item. */
export function textProblems(text: string, value: unknown, bulk = false): FieldError[] {
  return jsonTextProblems(text, value).map((p) => {
    const item = bulk && p.path[0] === 'records' && typeof p.path[1] === 'number' ? p.path[1] : undefined;
    return item === undefined ? { field: pathText(p.path), message: p.message } : { item, field: pathText(p.path), message: p.message };
  });
}

/** The Idempotency-Key header: absent, or a valid key (else 400). */
export function idempotencyKey(header: string | string[] | undefined): string | undefined {
  if (header === undefined) return undefined;
  const key = Array.isArray(header) ? header[0] : header;
  if (key === undefined || !IDEMPOTENCY_KEY.test(key)) {
    throw new HttpError(400, 'IDEMPOTENCY_KEY_INVALID', 'Idempotency-Key must be 1–128 characters of letters, digits, ".", "_", ":" and "-"', [
      { field: 'Idempotency-Key', message: 'must match /^[A-Za-z0-9._:-]{1,128}$/' },
    ]);
  }
  return key;
}

export interface BulkItem {
  type: RecordType;
  record: Record<string, unknown>;
  key?: string;
  /** the record's text as received, when usable as is (set by the caller) */
  raw?: string | null;
}

export interface BulkParse {
  items: BulkItem[];
  /** types of every item (for rejected-record counts), 'unknown' where the type is invalid */
  types: string[];
  /** every problem of every item (listed or counted); when there is any, nothing of the request may be accepted */
  problems: Problems;
}

/**
 * `{"records": [{"type", "record", "event_id"?}, ...]}`: every offending item is named by its
 * position, and nothing is accepted unless every item is valid.
 */
export function parseBulk(body: unknown, limits: Limits, problems: Problems = new Problems()): BulkParse {
  if (typeof body !== 'object' || body === null || Array.isArray(body) || !Array.isArray((body as { records?: unknown }).records)) {
    throw new HttpError(400, 'RECORD_INVALID', 'a bulk request must be a JSON object {"records": [{"type": "pin"|"geo"|"user", "record": {...}}, ...]}', [
      { field: 'records', message: 'must be an array' },
    ]);
  }
  const records = (body as { records: unknown[] }).records;
  if (records.length === 0) throw new HttpError(400, 'RECORD_INVALID', 'a bulk request must hold at least one record', [{ field: 'records', message: 'must not be empty' }]);
  if (records.length > limits.maxBulkRecords) {
    throw new HttpError(413, 'BODY_TOO_LARGE', `a bulk request holds at most ${limits.maxBulkRecords} records, got ${records.length}`, [
      { field: 'records', message: `must hold at most ${limits.maxBulkRecords} records` },
    ]);
  }
  const items: BulkItem[] = [];
  const types: string[] = [];
  const seen = new Map<string, number>();
  for (let i = 0; i < records.length; i++) {
    const item = records[i] as { type?: unknown; record?: unknown; event_id?: unknown } | null;
    const at = `records[${i}]`;
    if (typeof item !== 'object' || item === null || Array.isArray(item)) {
      problems.add({ item: i, field: at, message: 'must be an object {"type", "record"}' });
      types.push('unknown');
      continue;
    }
    const type = item.type;
    const okType = typeof type === 'string' && (TOPICS as readonly string[]).includes(type);
    types.push(okType ? (type as string) : 'unknown');
    if (!okType) problems.add({ item: i, field: `${at}.type`, message: 'must be one of "pin", "geo", "user"' });
    let key: string | undefined;
    if (item.event_id !== undefined) {
      if (typeof item.event_id !== 'string' || !IDEMPOTENCY_KEY.test(item.event_id)) {
        problems.add({ item: i, field: `${at}.event_id`, message: 'must match /^[A-Za-z0-9._:-]{1,128}$/' });
      } else {
        key = item.event_id;
        const first = seen.get(key);
        if (first !== undefined) problems.add({ item: i, field: `${at}.event_id`, message: `repeats the event_id of records[${first}]` });
        else seen.set(key, i);
      }
    }
    if (!okType) continue;
    for (const p of recordProblems(type as RecordType, item.record, limits)) {
      problems.add({ item: i, field: p.field === '(record)' ? `${at}.record` : `${at}.record.${p.field}`, message: p.message });
    }
    items.push({ type: type as RecordType, record: item.record as Record<string, unknown>, key });
  }
  return { items, types, problems };
}

export function invalidBulk(parsed: BulkParse): HttpError {
  return invalidRecord(`bulk request (${parsed.problems.badItems} of ${parsed.types.length} records invalid)`, parsed.problems);
}

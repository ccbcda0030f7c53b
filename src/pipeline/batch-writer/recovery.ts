/**
 * Recovery: adopt objects that were written but whose offsets were not committed (a crash between
 * put and commit, or an idle flush whose timing a restart cannot reproduce).
 *
 * A chunk's key is fixed by its first record (topic, dt/hr of its ingested_at, partition, offset),
 * and after a commit at offset C the next chunk starts at the first record >= C that is not
 * dead-lettered. So when a partition is (re)assigned, the writer is in recovery: before opening a
 * chunk at record r it looks for the object with r's key; if it exists, that object is adopted
 * (its records are skipped, the commit moves past its last `_offset`) and the next record is
 * checked the same way; the first miss ends recovery. Writes of one partition are sequential, so
 * the written-but-uncommitted objects form exactly that chain.
 */
import { gunzip } from 'node:zlib';
import { promisify } from 'node:util';
import { PinpipeError } from '../../core/errors.js';
import { parseDateTime } from '../../core/time.js';

const gunzipAsync = promisify(gunzip);

export interface ObjectSummary {
  firstOffset: number;
  lastOffset: number;
  count: number;
  /** ingested_at of the last record, epoch ms */
  lastMs: number;
}

function lineInfo(line: string, key: string): { offset: number; ms: number } {
  let v: { _offset?: unknown; ingested_at?: unknown };
  try {
    v = JSON.parse(line) as typeof v;
  } catch {
    throw new PinpipeError('INTERNAL', `raw object ${key} has a line that is not JSON`);
  }
  const ms = typeof v.ingested_at === 'string' ? parseDateTime(v.ingested_at) : null;
  if (typeof v._offset !== 'number' || ms === null) throw new PinpipeError('INTERNAL', `raw object ${key} has a line without _offset or ingested_at`);
  return { offset: v._offset, ms };
}

/** First and last offset of an object's NDJSON text (only those two lines are parsed). */
export function summarizeChunkText(text: string, key: string): ObjectSummary {
  const body = text.endsWith('\n') ? text.slice(0, -1) : text;
  if (!body) throw new PinpipeError('INTERNAL', `raw object ${key} is empty`);
  const firstEnd = body.indexOf('\n');
  const first = lineInfo(firstEnd < 0 ? body : body.slice(0, firstEnd), key);
  const last = firstEnd < 0 ? first : lineInfo(body.slice(body.lastIndexOf('\n') + 1), key);
  let count = 1;
  for (let i = body.indexOf('\n'); i >= 0; i = body.indexOf('\n', i + 1)) count++;
  return { firstOffset: first.offset, lastOffset: last.offset, count, lastMs: last.ms };
}

export async function summarizeChunkObject(gz: Buffer, key: string): Promise<ObjectSummary> {
  return summarizeChunkText((await gunzipAsync(gz)).toString('utf8'), key);
}

/** The raw zone read back by tests: every chunk object parsed, the markers apart. */
import { expect } from '@jest/globals';
import { gunzipSync } from 'node:zlib';
import type { Lake } from '../../src/connectors/lake/types.js';
import { parseRawChunkKey } from '../../src/pipeline/raw-keys.js';

export interface RawLine {
  _partition: number;
  _offset: number;
  event_id?: string;
  ingested_at: string;
  [k: string]: unknown;
}

export interface RawObject {
  key: string;
  topic: string;
  partition: number;
  firstOffset: number;
  lines: RawLine[];
}

/**
 * Every raw object of the lake, parsed; markers (non-chunk keys) apart. With `expectKeys`, it also
 * asserts that each object ends with a newline and that its key is its first record's (dt/hr of
 * every line, partition, first offset).
 */
export async function readRaw(lake: Lake, opts: { expectKeys?: boolean } = {}): Promise<{ objects: RawObject[]; markers: string[] }> {
  const objects: RawObject[] = [];
  const markers: string[] = [];
  for (const o of await lake.list('raw/')) {
    const k = parseRawChunkKey(o.key);
    if (!k) {
      markers.push(o.key);
      continue;
    }
    const text = gunzipSync((await lake.get(o.key))!).toString('utf8');
    if (opts.expectKeys) expect(text.endsWith('\n')).toBe(true);
    const lines = text
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as RawLine);
    objects.push({ key: o.key, topic: k.topic, partition: k.partition, firstOffset: k.firstOffset, lines });
    if (opts.expectKeys) expectKeyOfLines(o.key, k, lines);
  }
  return { objects, markers };
}

/**
 * A raw object's key is its first record's: the first offset, and the partition, day and hour of
 * every line. One assertion over all lines (the first line that differs, else none): an expect per
 * line cost seconds in the crash tests.
 */
export function expectKeyOfLines(key: string, k: NonNullable<ReturnType<typeof parseRawChunkKey>>, lines: Record<string, unknown>[]): void {
  expect(lines[0]!._offset).toBe(k.firstOffset);
  const hourOf = (l: Record<string, unknown>) => String(l.ingested_at).slice(0, 13);
  const wrong = lines.find((l) => l._partition !== k.partition || hourOf(l) !== `${k.day}T${k.hour}`);
  expect(wrong && { key, partition: wrong._partition, hour: hourOf(wrong) }).toBeUndefined();
}

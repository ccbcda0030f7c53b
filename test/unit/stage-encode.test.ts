/**
 * Staged CSV (src/pipeline/batch-run/encode.ts) round-trips through the engine's CSV reader
 * (load.ts readStagedSql): for arbitrary cleaned pins (text with quotes, commas, line breaks,
 * non-ASCII; null and '' kept apart; one or several tags), the loaded row equals the record.
 */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import fc from 'fast-check';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { CleanPin } from '../../src/core/clean.js';
import { loadConfig, type Config } from '../../src/core/config.js';
import { openEngine, type Engine } from '../../src/engine/duckdb.js';
import { STAGE_COLUMNS } from '../../src/engine/schema.js';
import { readStagedSql } from '../../src/pipeline/batch-run/load.js';
import { encodeStaged } from '../../src/pipeline/batch-run/encode.js';

let cfg: Config;
let engine: Engine;

beforeAll(async () => {
  cfg = loadConfig({ env: {}, flags: { dataDir: mkdtempSync(path.join(os.tmpdir(), 'pinpipe-encode-')) } });
  engine = await openEngine(cfg, { threads: 1, memoryLimit: '256MB', insertionOrder: true });
});

afterAll(() => {
  engine.close();
  rmSync(cfg.dataDir, { recursive: true, force: true });
});

const text = fc.oneof(fc.string({ maxLength: 12 }), fc.constantFrom('a,b', 'say "hi"', 'line\nbreak', 'cr\r\nlf', '""', ',', 'é ü 日本', ' spaced '));
const maybe = fc.option(text, { nil: null });
/** a cleaned tag: non-empty, trimmed, no comma */
const tag = text.map((s) => s.replaceAll(',', ';').trim()).filter((s) => s !== '');
const pin = fc.record({
  ind: fc.nat(),
  unique_id: fc.option(fc.uuid(), { nil: null }),
  title: maybe,
  description: maybe,
  poster_name: maybe,
  follower_count: fc.option(fc.nat(), { nil: null }),
  tag_list: fc.option(fc.array(tag, { minLength: 1, maxLength: 4 }), { nil: null }),
  media_type: fc.constantFrom('image', 'video', 'story', null),
  image_src: maybe,
  downloaded: fc.boolean(),
  save_location: maybe,
  category: maybe,
  event_id: text.filter((s) => s !== ''),
  ingested_at: fc.date({ min: new Date('2000-01-01T00:00:00Z'), max: new Date('2099-12-31T23:59:59Z'), noInvalidDate: true }).map((d) => d.toISOString()),
}) as fc.Arbitrary<CleanPin>;

describe('staged CSV', () => {
  test('pins round-trip through the engine exactly', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.tuple(pin, fc.option(fc.nat(2), { nil: null }), fc.option(fc.nat(), { nil: null })), { minLength: 1, maxLength: 20 }),
        async (rows) => {
          const file = path.join(cfg.dataDir, 'pin.csv');
          writeFileSync(file, rows.map(([v, part, off]) => encodeStaged('pin', v, { _partition: part, _offset: off }) + '\n').join(''));
          const got = await engine.all(`${readStagedSql([file], STAGE_COLUMNS.pin)}`);
          expect(got).toEqual(
            rows.map(([v, part, off]) => ({ ...v, tag_list: v.tag_list === null ? null : v.tag_list.join(','), _partition: part, _offset: off })),
          );
        },
      ),
      { numRuns: 150 },
    );
  });
});

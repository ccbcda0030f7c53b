/**
 * One conformance suite for every Source of `pinpipe emulate` (the generator, the seed's MySQL
 * tables). Each test gets a fresh source from setup() holding the generated data set of
 * (seed, rows): row i is generatePosting(seed, i, rows), whatever the source.
 */
import { beforeEach, describe, expect, test } from '@jest/globals';
import type { Source } from '../../src/connectors/source/types.js';
import { generatePosting } from '../../src/connectors/source/generator.js';
import { rawSchemas, TOPICS } from '../../src/core/records.js';
import { connectorHarness } from '../support/conformance.js';

export interface SourceFixture {
  source: Source;
  /** the data set the source holds */
  seed: number;
  rows: number;
  cleanup(): Promise<void>;
}

export function sourceConformance(name: string, setup: () => Promise<SourceFixture>): void {
  describe(`Source conformance: ${name}`, () => {
    const h = connectorHarness(
      setup,
      (fx) => fx.source,
      (s) => s.connect(),
    );
    let source: Source;
    beforeEach(() => void (source = h.main));

    test('lifecycle: connect() again is fine, health() answers, close() may be called twice', async () => {
      await source.connect();
      await expect(source.health()).resolves.toBeUndefined();
      await source.close();
      await source.close();
    });

    test('size() is the number of rows of the data set', async () => {
      expect(await source.size()).toBe(h.fx.rows);
    });

    test('row(i) is the generated posting i: valid raw records joined by index, the same on every read', async () => {
      const { seed, rows } = h.fx;
      for (const i of [0, 1, Math.floor(rows / 2), rows - 1]) {
        const p = await source.row(i);
        expect(p).toEqual(generatePosting(seed, i, rows));
        for (const t of TOPICS) expect(rawSchemas[t].safeParse(p[t]).success).toBe(true);
        expect([p.pin.index, p.geo.ind, p.user.ind]).toEqual([i, i, i]);
        expect(await source.row(i)).toEqual(p);
      }
    });

    test('a row outside [0, size) is a RangeError', async () => {
      const rows = h.fx.rows;
      await expect(source.row(rows)).rejects.toThrow(RangeError);
      await expect(source.row(-1)).rejects.toThrow(RangeError);
      await expect(source.row(0.5)).rejects.toThrow(RangeError);
    });
  });
}

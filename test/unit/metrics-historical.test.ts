/**
 * Q1–Q8 (the metric files src/metrics/builtin/Q*.sql) over small tables named like the curated views,
 * with the expected rows worked out by hand: lower medians (odd and even counts), nulls left out,
 * ties kept, year filters at their boundaries (UTC), inner join.
 */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import fc from 'fast-check';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadConfig, type Config } from '../../src/core/config.js';
import { openEngine, type Engine } from '../../src/engine/duckdb.js';
import { postingsSelect } from '../../src/engine/schema.js';
import { historical } from '../support/metrics.js';

type Posting = [
  ind: number,
  category: string | null,
  poster: string | null,
  followers: number | null,
  country: string | null,
  posted: string,
  ageGroup: string,
  joined: string,
];

let cfg: Config;
let engine: Engine;

beforeAll(async () => {
  cfg = loadConfig({ env: {}, flags: { dataDir: mkdtempSync(path.join(os.tmpdir(), 'pinpipe-qsql-')) } });
  engine = await openEngine(cfg, { threads: 1, memoryLimit: '256MB' });
});

afterAll(() => {
  engine.close();
  rmSync(cfg.dataDir, { recursive: true, force: true });
});

/** Replace the pins, geo and users tables with these postings (plus orphans that must not join). */
async function load(postings: Posting[]): Promise<void> {
  await engine.run('CREATE OR REPLACE TABLE pins (ind BIGINT, category VARCHAR, poster_name VARCHAR, follower_count BIGINT)');
  await engine.run('CREATE OR REPLACE TABLE geo (ind BIGINT, country VARCHAR, "timestamp" TIMESTAMP)');
  await engine.run('CREATE OR REPLACE TABLE users (ind BIGINT, age_group VARCHAR, date_joined TIMESTAMP)');
  for (const [ind, category, poster, followers, country, posted, ageGroup, joined] of postings) {
    await engine.run('INSERT INTO pins VALUES ($1, $2, $3, $4)', [ind, category, poster, followers]);
    await engine.run('INSERT INTO geo VALUES ($1, $2, CAST($3 AS TIMESTAMP))', [ind, country, posted]);
    await engine.run('INSERT INTO users VALUES ($1, $2, CAST($3 AS TIMESTAMP))', [ind, ageGroup, joined]);
  }
  // a pin without geo/user, a geo and a user without a pin: left out by the inner join
  await engine.run("INSERT INTO pins VALUES (9001, 'orphan', 'Nobody', 999999999)");
  await engine.run("INSERT INTO geo VALUES (9002, 'Nowhere', TIMESTAMP '2020-01-01')");
  await engine.run("INSERT INTO users VALUES (9003, '18-24', TIMESTAMP '2016-01-01')");
  // the postings view the metric files read, over the columns these tables have
  await engine.run(
    `CREATE OR REPLACE VIEW postings AS ${postingsSelect(['ind', 'category', 'poster_name', 'follower_count', 'country', 'timestamp', 'age_group', 'date_joined'])}`,
  );
}

const q = (id: string) => engine.all(historical(id).sql);

describe('lower medians (Q5, Q7, Q8)', () => {
  const J = '2016-06-01 00:00:00';
  const P = '2020-01-01 00:00:00';
  beforeAll(async () => {
    let ind = 0;
    const group = (ageGroup: string, values: (number | null)[]): Posting[] => values.map((v) => [++ind, 'art', `p${ind}`, v, 'X', P, ageGroup, J]);
    await load([
      ...group('A', [10, 30, 20]), // n = 3 → 2nd smallest: 20
      ...group('B', [40, 10, 30, 20]), // n = 4 → 2nd smallest: 20 (not 25, not 30)
      ...group('C', [7]), // n = 1 → 7
      ...group('D', [null, 9, 5]), // nulls left out: [5, 9] → 5
      ...group('E', [null, null]), // no value → no row
      ...group('F', [5, 9, 5]), // [5, 5, 9] → 5
      ...group('G', [100, 1, 3, 2, 4]), // n = 5 → 3
      ...group('H', [6, 5, 4, 3, 2, 1]), // n = 6 → 3rd smallest: 3
    ]);
  });

  test('Q5: the ⌈n/2⌉-th smallest non-null follower count per age group', async () => {
    expect(await q('Q5')).toEqual([
      { age_group: 'A', median_follower_count: 20 },
      { age_group: 'B', median_follower_count: 20 },
      { age_group: 'C', median_follower_count: 7 },
      { age_group: 'D', median_follower_count: 5 },
      { age_group: 'F', median_follower_count: 5 },
      { age_group: 'G', median_follower_count: 3 },
      { age_group: 'H', median_follower_count: 3 },
    ]);
  });

  test('Q7 over everyone joined in 2016: 24 non-null values → the 12th smallest', async () => {
    // A 3 + B 4 + C 1 + D 2 + F 3 + G 5 + H 6 = 24 values, sorted:
    // 1 1 2 2 3 3 4 4 5 5 5 5 | 6 7 9 9 10 10 20 20 30 30 40 100 → the 12th smallest is 5
    expect(await q('Q7')).toEqual([{ join_year: 2016, median_follower_count: 5 }]);
  });

  test('the lower median agrees with DuckDB quantile_disc(x, 0.5) on random data', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.integer({ min: 0, max: 1000 }), { minLength: 1, maxLength: 12 }), async (values) => {
        await load(values.map((v, i) => [i + 1, 'art', 'p', v, 'X', P, 'A', J]));
        const sorted = [...values].sort((a, b) => a - b);
        const expected = sorted[Math.ceil(values.length / 2) - 1];
        expect(await q('Q5')).toEqual([{ age_group: 'A', median_follower_count: expected }]);
        const [disc] = await engine.all('SELECT quantile_disc(follower_count, 0.5) AS m FROM pins WHERE ind < 9000');
        expect(disc!.m).toBe(expected);
      }),
      { numRuns: 25 },
    );
  });
});

describe('most popular (Q1, Q2, Q4), top posters (Q3a, Q3b), joins per year (Q6), year filters', () => {
  beforeAll(async () => {
    await load([
      [1, 'art', 'Ann', 500, 'Chile', '2017-12-31 23:59:59', '18-24', '2014-12-31 23:59:59.999'],
      [2, 'art', 'Bob', 800, 'Chile', '2018-01-01 00:00:00', '18-24', '2015-01-01 00:00:00'],
      [3, 'diy', 'Cy', 800, 'Chile', '2022-12-31 23:59:59.999', '25-35', '2020-12-31 23:59:59.999'],
      [4, 'diy', 'Dee', null, 'Chile', '2023-01-01 00:00:00', '25-35', '2021-01-01 00:00:00'],
      [5, 'travel', 'Eve', 100, 'Chile', '2019-06-01 00:00:00', '25-35', '2015-06-01 00:00:00'],
      [6, 'travel', 'Fay', 800, 'Peru', '2019-06-01 00:00:00', '50+', '2015-06-01 00:00:00'],
      [7, 'travel', 'Fay', 800, 'Peru', '2019-07-01 00:00:00', '50+', '2016-06-01 00:00:00'], // same poster twice
      [8, 'art', null, 50, 'Peru', '2019-08-01 00:00:00', '50+', '2016-06-01 00:00:00'],
      [9, null, 'Gus', null, 'Peru', '2021-01-01 00:00:00', '50+', '2016-06-01 00:00:00'],
      [10, null, 'Hal', 7, 'Peru', '2021-01-01 00:00:00', '36-50', '2017-01-01 00:00:00'],
    ]);
  });

  test('Q1: every category tying for first per country is kept', async () => {
    // Chile: art 2, diy 2, travel 1 → art and diy; Peru: travel 2, null 2, art 1 → null and travel
    expect(await q('Q1')).toEqual([
      { country: 'Chile', category: 'art', category_count: 2 },
      { country: 'Chile', category: 'diy', category_count: 2 },
      { country: 'Peru', category: null, category_count: 2 }, // nulls first, as the stores order them
      { country: 'Peru', category: 'travel', category_count: 2 },
    ]);
  });

  test('Q2: post years 2018–2022 only (UTC, boundaries included)', async () => {
    // 2017 (ind 1) and 2023 (ind 4) are out; 2018: art (2); 2019: travel 3 (5, 6, 7), art 1; 2021: null 2; 2022: diy (3)
    expect(await q('Q2')).toEqual([
      { post_year: 2018, category: 'art', category_count: 1 },
      { post_year: 2019, category: 'travel', category_count: 3 },
      { post_year: 2021, category: null, category_count: 2 },
      { post_year: 2022, category: 'diy', category_count: 1 },
    ]);
  });

  test('Q3a/Q3b: the top poster per country and the top country, ties kept, nulls left out', async () => {
    // Chile: Bob 800 and Cy 800 tie (Dee null is left out); Peru: Fay 800 (twice, one row)
    expect(await q('Q3a')).toEqual([
      { country: 'Chile', poster_name: 'Bob', follower_count: 800 },
      { country: 'Chile', poster_name: 'Cy', follower_count: 800 },
      { country: 'Peru', poster_name: 'Fay', follower_count: 800 },
    ]);
    expect(await q('Q3b')).toEqual([
      { country: 'Chile', follower_count: 800 },
      { country: 'Peru', follower_count: 800 },
    ]);
  });

  test('Q4: most popular category per age group', async () => {
    // 18-24: art 2; 25-35: diy 2, travel 1; 36-50: null 1; 50+: travel 2, art 1, null 1
    expect(await q('Q4')).toEqual([
      { age_group: '18-24', category: 'art', category_count: 2 },
      { age_group: '25-35', category: 'diy', category_count: 2 },
      { age_group: '36-50', category: null, category_count: 1 },
      { age_group: '50+', category: 'travel', category_count: 2 },
    ]);
  });

  test('Q6–Q8: join years 2015–2020 only, boundaries included', async () => {
    // 2014 (ind 1) and 2021 (ind 4) are out
    expect(await q('Q6')).toEqual([
      { join_year: 2015, number_users_joined: 3 }, // 2, 5, 6
      { join_year: 2016, number_users_joined: 3 }, // 7, 8, 9
      { join_year: 2017, number_users_joined: 1 }, // 10
      { join_year: 2020, number_users_joined: 1 }, // 3
    ]);
    expect(await q('Q7')).toEqual([
      { join_year: 2015, median_follower_count: 800 }, // [100, 800, 800] → 800
      { join_year: 2016, median_follower_count: 50 }, // [50, 800] → 50 (ind 9 null)
      { join_year: 2017, median_follower_count: 7 },
      { join_year: 2020, median_follower_count: 800 },
    ]);
    expect(await q('Q8')).toEqual([
      { age_group: '18-24', join_year: 2015, median_follower_count: 800 },
      { age_group: '25-35', join_year: 2015, median_follower_count: 100 },
      { age_group: '25-35', join_year: 2020, median_follower_count: 800 },
      { age_group: '36-50', join_year: 2017, median_follower_count: 7 },
      { age_group: '50+', join_year: 2015, median_follower_count: 800 },
      { age_group: '50+', join_year: 2016, median_follower_count: 50 },
    ]);
  });
});

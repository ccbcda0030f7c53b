/**
 * The portable SQL subset (src/metrics/portable.ts): the built-in historical files keep to it; a
 * file with a construct only DuckDB runs (or runs differently) is refused naming the file, the
 * line and the construct; the words in comments, string literals and quoted names do not count.
 */
import { describe, expect, test } from '@jest/globals';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parseMetricFile } from '../../src/metrics/file.js';
import { portabilityProblem } from '../../src/metrics/portable.js';
import { BUILTIN } from '../support/metrics.js';

const file = (sql: string, name = 'm.sql') => parseMetricFile(`/metrics/${name}`, `-- title: t\n${sql}\n`);

describe('the portable SQL subset', () => {
  test('every built-in historical metric keeps to it', () => {
    expect(BUILTIN.historical.map((m) => m.id).sort()).toEqual(['Q1', 'Q2', 'Q3a', 'Q3b', 'Q4', 'Q5', 'Q6', 'Q7', 'Q8']);
    for (const m of BUILTIN.historical) expect({ id: m.id, problem: portabilityProblem(m)?.message ?? null }).toEqual({ id: m.id, problem: null });
  });

  test('QUALIFY, quantile_disc, :: casts, list subscripts and DuckDB-only functions are refused, naming file, line and construct', () => {
    const cases: [string, number, RegExp][] = [
      ['SELECT category\nFROM postings\nQUALIFY rank() OVER (ORDER BY ind) = 1', 4, /: QUALIFY; instead: rank the rows in a subquery/],
      ['SELECT quantile_disc(follower_count, 0.5) AS m FROM postings', 2, /quantile functions \(quantile_disc\); instead: percentile_disc/],
      ['SELECT\n  ind::VARCHAR AS s FROM postings', 3, /the :: cast; instead: CAST/],
      ['SELECT tag_list[1] AS first_tag FROM pins', 2, /list literals and subscripts \(1-based in DuckDB, 0-based in Spark\)/],
      ["SELECT string_split(title, ' ') AS w FROM pins", 2, /a DuckDB-only function \(string_split\)/],
      ['SELECT * EXCLUDE (tag_list) FROM pins', 2, /SELECT \* EXCLUDE\/REPLACE/],
      ['SELECT ind // 2 AS half FROM pins', 2, /the \/\/ integer division/],
    ];
    for (const [sql, line, reason] of cases) {
      const p = portabilityProblem(file(sql));
      expect(p?.file).toBe('/metrics/m.sql');
      expect(p?.line).toBe(line);
      expect(p?.message).toMatch(/^\/metrics\/m\.sql:\d+: not in the portable SQL subset \(runs on DuckDB only\): /);
      expect(p?.reason).toMatch(reason);
    }
  });

  test('comments, string literals and quoted names do not count; realtime files are not checked', () => {
    expect(
      portabilityProblem(file("-- no QUALIFY here, no ::\nSELECT 'a::b [1] {x}' AS s, \"timestamp\" FROM postings WHERE category <> 'QUALIFY'")),
    ).toBeNull();
    const rt = parseMetricFile('/metrics/r.sql', readFileSync(path.resolve('src/metrics/builtin/R1.sql'), 'utf8'));
    expect(rt.kind).toBe('realtime');
    expect(portabilityProblem(rt)).toBeNull();
  });
});

/**
 * The realtime plans and the stream's join printed in Spark's dialect (batch-run --engine spark;
 * test/integration/spark-engine.test.ts checks that Spark's windows are DuckDB's): the constructs
 * that differ from DuckDB's SQL, without Spark.
 */
import { expect, test } from '@jest/globals';
import { pinMatchesSql, type RealtimeInputs } from '../../src/engine/metrics/index.js';
import type { Expr } from '../../src/metrics/realtime/ir.js';
import { exprSql, literal } from '../../src/metrics/realtime/sql.js';
import { sparkRealtimeDay } from '../../src/pipeline/batch-run/spark-realtime.js';
import { BUILTIN } from '../support/metrics.js';

const inputs = (dialect: 'duckdb' | 'spark'): RealtimeInputs => ({
  pin: 'd_pin',
  geo: 'd_geo',
  user: 'd_user',
  joinWindowMs: 30_000,
  from: 0,
  to: 60_000,
  dialect,
});

test("string literals: '' in DuckDB, a backslash escape in Spark (which reads '' as two literals)", () => {
  expect(literal("it's a \\ path")).toBe("'it''s a \\ path'");
  expect(literal("it's a \\ path", true)).toBe("'it\\'s a \\\\ path'");
  expect([literal(null, true), literal(true, true), literal(3, true), literal(0.5, true)]).toEqual(['NULL', 'TRUE', '3', "CAST('0.5' AS DOUBLE)"]);
});

test('/ and % are null on a zero divisor in Spark too (try_divide, try_mod), not an ANSI error', () => {
  const col: Expr = { k: 'col', src: 'pin', name: 'follower_count', ty: 'int' } as Expr;
  const div: Expr = { k: 'arith', op: '/', a: col, b: { k: 'lit', v: 0, ty: 'int' } as Expr, ty: 'double' } as Expr;
  const mod: Expr = { k: 'arith', op: '%', a: col, b: col, ty: 'int' } as Expr;
  expect(exprSql(div, false)).toBe('("follower_count" / 0)');
  expect(exprSql(div, false, [], true)).toBe('try_divide("follower_count", 0)');
  expect(exprSql(mod, true, [], true)).toBe('try_mod("p_follower_count", "p_follower_count")');
});

test("the pin matches in Spark's dialect: no DuckDB-only construct, the same structure", () => {
  const cols = { pin: ['category'], geo: ['country'], user: ['age_group'] };
  const duck = pinMatchesSql(inputs('duckdb'), cols);
  const spark = pinMatchesSql(inputs('spark'), cols);
  expect(duck).toMatch(/MATERIALIZED[\s\S]*epoch_ms[\s\S]*\/\/[\s\S]*arg_min\(\{/);
  expect(spark).not.toMatch(/MATERIALIZED|epoch_ms|\/\/|arg_min|\{'|row_number|TIMESTAMP '/);
  expect(spark).toMatch(
    /unix_millis\(CAST\(ingested_at AS TIMESTAMP\)\)[\s\S]* DIV 30000[\s\S]*min_by\(named_struct\('event_id', q\.event_id, 'c_country', q\."c_country"\), named_struct\('d', abs\(p\.ms - q\.ms\), 'e', q\.event_id\)\)/,
  );
  expect(spark).toContain("ingested_at >= TIMESTAMP_NTZ '1970-01-01 00:00:00.000' AND ingested_at < TIMESTAMP_NTZ '1970-01-01 00:01:00.000'");
  // the same CTEs and output columns
  const shape = (sql: string) => [...sql.matchAll(/\b([a-z]_[a-z]+|p) AS( MATERIALIZED)? \(/g)].map((m) => m[1]);
  expect(shape(duck)).toEqual(['p', 'n_geo', 's_geo', 'q_geo', 'm_geo', 'n_user', 's_user', 'q_user', 'm_user']);
  expect(shape(spark)).toEqual(shape(duck));
});

test("a day's windows for the job: every metric's plan over the day, the columns each record type needs", () => {
  const day = sparkRealtimeDay('2026-11-20', 30_000, BUILTIN.realtime);
  expect(day.metrics.map((m) => m.id)).toEqual(BUILTIN.realtime.map((m) => m.id));
  for (const m of day.metrics)
    expect(m.sql).toContain("ingested_at >= TIMESTAMP_NTZ '2026-11-20 00:00:00.000' AND ingested_at < TIMESTAMP_NTZ '2026-11-21 00:00:00.000'");
  expect(day.columns.user).toContain('age_group');
  expect(day.unmatched).toMatch(/FROM pin_matches$/);
});

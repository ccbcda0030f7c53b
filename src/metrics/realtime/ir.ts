/**
 * The realtime subset of a metric file, compiled once (compile.ts) and evaluated two ways from the
 * same plan: incrementally by consume-stream (evaluate.ts, aggregate.ts) and in SQL by batch-run
 * (sql.ts). Values are typed the way the engine types them, restricted to what both evaluate
 * identically: text, integers, doubles, booleans and null.
 */
import type { RecordType } from '../../core/records.js';

export type Ty = 'text' | 'int' | 'double' | 'bool' | 'null';
export type Value = string | number | boolean | null;

export type CmpOp = '=' | '<>' | '<' | '<=' | '>' | '>=';
export type ArithOp = '+' | '-' | '*' | '/' | '%';

export type Expr =
  | { k: 'col'; src: RecordType; name: string; ty: Ty }
  | { k: 'lit'; v: Value; ty: Ty }
  | { k: 'arith'; op: ArithOp; a: Expr; b: Expr; ty: Ty }
  | { k: 'neg'; a: Expr; ty: Ty }
  | { k: 'todouble'; a: Expr; ty: 'double' }
  | { k: 'cmp'; op: CmpOp; a: Expr; b: Expr; ty: 'bool' }
  | { k: 'distinct'; neg: boolean; a: Expr; b: Expr; ty: 'bool' }
  | { k: 'and' | 'or'; xs: Expr[]; ty: 'bool' }
  | { k: 'not'; a: Expr; ty: 'bool' }
  | { k: 'isnull'; neg: boolean; a: Expr; ty: 'bool' }
  | { k: 'in'; neg: boolean; a: Expr; list: Expr[]; ty: 'bool' }
  | { k: 'between'; neg: boolean; a: Expr; lo: Expr; hi: Expr; ty: 'bool' }
  | { k: 'case'; whens: { when: Expr; then: Expr }[]; else: Expr | null; ty: Ty }
  | { k: 'coalesce'; xs: Expr[]; ty: Ty }
  /** the result of the metric's i-th aggregate (only in the select list) */
  | { k: 'agg'; i: number; ty: Ty };

export type AggFn = 'count_star' | 'count' | 'sum' | 'avg' | 'min' | 'max';

export interface Agg {
  fn: AggFn;
  distinct: boolean;
  arg: Expr | null;
  filter: Expr | null;
  ty: Ty;
}

/** Which decided event of the stream a row of the metric is counted at. */
export type Trigger = 'pin' | 'geo' | 'user' | 'pin+geo' | 'pin+user' | 'pin+geo+user';

export interface RealtimePlan {
  /** the record type whose ingested_at gives the window (pin for joins) */
  source: RecordType;
  /** partners joined to the pin by ind (within the stream's join window) */
  joins: Partial<Record<'geo' | 'user', 'inner' | 'left'>>;
  trigger: Trigger;
  where: Expr | null;
  /** GROUP BY columns, by output name (stored as text: a null key is '') */
  keys: { name: string; expr: Expr }[];
  aggs: Agg[];
  /** the value columns, by output name: expressions over the aggregates */
  values: { name: string; expr: Expr; ty: 'int' | 'double' }[];
  /** the columns each record type must carry for this plan */
  columns: Record<RecordType, string[]>;
}

export const triggerOf = (source: RecordType, joins: RealtimePlan['joins']): Trigger => {
  if (joins.geo && joins.user) return 'pin+geo+user';
  if (joins.geo) return 'pin+geo';
  if (joins.user) return 'pin+user';
  return source;
};

/** Walk an expression tree (pre-order). */
export function walk(e: Expr, fn: (e: Expr) => void): void {
  fn(e);
  switch (e.k) {
    case 'arith':
    case 'cmp':
    case 'distinct':
      walk(e.a, fn);
      walk(e.b, fn);
      break;
    case 'neg':
    case 'todouble':
    case 'not':
    case 'isnull':
      walk(e.a, fn);
      break;
    case 'and':
    case 'or':
    case 'coalesce':
      for (const x of e.xs) walk(x, fn);
      break;
    case 'in':
      walk(e.a, fn);
      for (const x of e.list) walk(x, fn);
      break;
    case 'between':
      walk(e.a, fn);
      walk(e.lo, fn);
      walk(e.hi, fn);
      break;
    case 'case':
      for (const w of e.whens) {
        walk(w.when, fn);
        walk(w.then, fn);
      }
      if (e.else) walk(e.else, fn);
      break;
    default:
      break;
  }
}

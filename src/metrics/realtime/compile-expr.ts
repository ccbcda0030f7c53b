/**
 * The expressions of a realtime metric (WHERE, GROUP BY columns, the select list's aggregates and
 * the expressions over them), from the engine's syntax tree to the typed plan expressions of
 * ir.ts: name resolution against the FROM clause's streams, the types both evaluations agree on,
 * and a refusal with the line for everything outside the subset (compile.ts reports it).
 */
import type { RecordType } from '../../core/records.js';
import { CURATED_COLUMNS } from '../../engine/schema.js';
import type { Agg, AggFn, ArithOp, CmpOp, Expr, Ty } from './ir.js';

/* eslint-disable @typescript-eslint/no-explicit-any */
export type Node = any;
/** report a refusal at a node of the syntax tree (never returns) */
export type Fail = (node: Node | null, reason: string) => never;

export const STREAM_OF: Record<string, RecordType> = { pins: 'pin', geo: 'geo', users: 'user' };
export const TABLE_OF: Record<RecordType, 'pins' | 'geo' | 'users'> = { pin: 'pins', geo: 'geo', user: 'users' };

const SCALAR: Record<string, Ty> = { VARCHAR: 'text', BIGINT: 'int', INTEGER: 'int', DOUBLE: 'double', BOOLEAN: 'bool' };

/** The columns a realtime metric may read, per record type, with their types. */
export const REALTIME_COLUMNS: Record<RecordType, Map<string, Ty>> = Object.fromEntries(
  (['pin', 'geo', 'user'] as RecordType[]).map((t) => [
    t,
    new Map(CURATED_COLUMNS[TABLE_OF[t]].filter(([n, ty]) => SCALAR[ty] && n !== 'ingested_at').map(([n, ty]) => [n, SCALAR[ty]!])),
  ]),
) as Record<RecordType, Map<string, Ty>>;

const NOT_REALTIME: Record<string, string> = {
  ingested_at: 'the window is the minute of ingested_at; the column itself is not in the realtime subset',
  tag_list: 'tag_list is a list; realtime metrics read scalar columns',
  coordinates: 'coordinates is a list; use latitude and longitude',
  timestamp: 'timestamp columns are not in the realtime subset',
  date_joined: 'timestamp columns are not in the realtime subset',
};

const CMP: Record<string, CmpOp> = {
  COMPARE_EQUAL: '=',
  COMPARE_NOTEQUAL: '<>',
  COMPARE_LESSTHAN: '<',
  COMPARE_LESSTHANOREQUALTO: '<=',
  COMPARE_GREATERTHAN: '>',
  COMPARE_GREATERTHANOREQUALTO: '>=',
};
const ARITH = new Set(['+', '-', '*', '/', '%']);
/** the engine's names of operators outside the subset, as a user writes them */
const OPERATOR_NAMES: Record<string, string> = { '~~': 'LIKE', '!~~': 'NOT LIKE', '~~*': 'ILIKE', '!~~*': 'NOT ILIKE', '~~~': 'GLOB', '||': 'the concatenation ||', '//': 'integer division //', '^': 'the power ^', '**': 'the power **', '&': 'bitwise &', '|': 'bitwise |', '<<': 'a shift', '>>': 'a shift' };
const AGGS = new Set(['count_star', 'count', 'sum', 'avg', 'min', 'max']);

export const numeric = (t: Ty) => t === 'int' || t === 'double' || t === 'null';

export interface Scope {
  /** alias (or table name) → record type */
  aliases: Map<string, RecordType>;
  /** record types in the FROM clause */
  streams: RecordType[];
}

/**
 * An expression compiler for one metric: `expr` compiles a node (aggregates allowed in the select
 * list only), `boolean` checks a condition, `column` resolves a column; `aggs` and `columns` collect
 * the aggregates met and the columns read per stream.
 */
export function exprCompiler(fail: Fail, scope: Scope) {
  const aggs: Agg[] = [];
  const columns: Record<RecordType, Set<string>> = { pin: new Set(), geo: new Set(), user: new Set() };

  const column = (n: Node): Expr => {
    const names: string[] = n.column_names.map((s: string) => String(s));
    if (names.length > 2) fail(n, `${names.join('.')}: name a column as column or stream.column`);
    const name = names[names.length - 1]!;
    const lname = name.toLowerCase();
    let src: RecordType | undefined;
    if (names.length === 2) {
      src = scope.aliases.get(names[0]!.toLowerCase());
      if (!src) fail(n, `"${names[0]}" is not a stream of FROM (${[...scope.aliases.keys()].join(', ')})`);
    } else {
      const having = scope.streams.filter((s) => REALTIME_COLUMNS[s].has(lname) || NOT_REALTIME[lname] !== undefined && hasCurated(s, lname));
      if (having.length > 1) fail(n, `column ${name} is in ${having.map((s) => TABLE_OF[s]).join(' and ')}: qualify it (e.g. p.${name})`);
      src = having[0];
      if (!src) fail(n, `no column ${name} in ${scope.streams.map((s) => TABLE_OF[s]).join(', ')}`);
    }
    const ty = REALTIME_COLUMNS[src!].get(lname);
    if (!ty) {
      if (hasCurated(src!, lname)) fail(n, `${TABLE_OF[src!]}.${name}: ${NOT_REALTIME[lname] ?? 'not in the realtime subset'}`);
      fail(n, `no column ${name} in ${TABLE_OF[src!]}`);
    }
    columns[src!].add(lname);
    return { k: 'col', src: src!, name: lname, ty: ty! };
  };

  const constant = (n: Node): Expr => {
    const v = n.value;
    if (v.is_null) return { k: 'lit', v: null, ty: 'null' };
    const id = v.type.id;
    if (id === 'VARCHAR') return { k: 'lit', v: String(v.value), ty: 'text' };
    if (id === 'INTEGER' || id === 'BIGINT' || id === 'SMALLINT' || id === 'TINYINT' || id === 'UTINYINT' || id === 'USMALLINT' || id === 'UINTEGER') {
      if (!Number.isSafeInteger(v.value)) fail(n, `the integer ${v.value} is too large`);
      return { k: 'lit', v: Number(v.value), ty: 'int' };
    }
    if (id === 'DECIMAL') {
      const scale = Number(v.type.type_info?.scale ?? 0);
      if (!Number.isSafeInteger(v.value)) fail(n, 'the decimal has too many digits');
      return { k: 'lit', v: Number(v.value) / 10 ** scale, ty: 'double' };
    }
    if (id === 'DOUBLE' || id === 'FLOAT') return { k: 'lit', v: Number(v.value), ty: 'double' };
    if (id === 'BOOLEAN') return { k: 'lit', v: Boolean(v.value), ty: 'bool' };
    return fail(n, `a ${String(id).toLowerCase()} constant is not in the realtime subset`);
  };

  const unify = (n: Node, a: Ty, b: Ty, what: string): Ty => {
    if (a === 'null') return b;
    if (b === 'null' || a === b) return a;
    if (numeric(a) && numeric(b)) return 'double';
    return fail(n, `${what} mixes ${a} and ${b}`);
  };
  const comparable = (n: Node, a: Expr, b: Expr, what: string) => {
    if (a.ty === 'null' || b.ty === 'null' || a.ty === b.ty || (numeric(a.ty) && numeric(b.ty))) return;
    fail(n, `${what} compares ${a.ty} with ${b.ty}: compare values of one type (a text column with '...' text, a number with a number)`);
  };
  const boolean = (n: Node, e: Expr, what: string): Expr => {
    if (e.ty !== 'bool' && e.ty !== 'null') fail(n, `${what} must be a condition (true/false), got ${e.ty}`);
    return e;
  };

  /** an expression; `inAgg`: inside an aggregate's argument or filter; `aggsAllowed`: in the select list */
  const expr = (n: Node, ctx: { aggsAllowed: boolean; inAgg: boolean }): Expr => {
    switch (n.class) {
      case 'COLUMN_REF':
        return column(n);
      case 'CONSTANT':
        return constant(n);
      case 'CAST': {
        if (n.try_cast) fail(n, 'TRY_CAST is not in the realtime subset');
        const to = n.cast_type?.id;
        if (to === 'BOOLEAN' && n.child?.class === 'CONSTANT' && n.child.value?.type?.id === 'VARCHAR') {
          const t = String(n.child.value.value).toLowerCase();
          if (t === 't' || t === 'true') return { k: 'lit', v: true, ty: 'bool' };
          if (t === 'f' || t === 'false') return { k: 'lit', v: false, ty: 'bool' };
        }
        if (to === 'DOUBLE') {
          const a = expr(n.child, ctx);
          if (!numeric(a.ty)) fail(n, `CAST of ${a.ty} to DOUBLE is not in the realtime subset`);
          return { k: 'todouble', a, ty: 'double' };
        }
        return fail(n, `CAST to ${String(to ?? '?').toLowerCase()} is not in the realtime subset (only CAST(number AS DOUBLE))`);
      }
      case 'COMPARISON': {
        const a = expr(n.left, ctx);
        const b = expr(n.right, ctx);
        if (n.type === 'COMPARE_DISTINCT_FROM' || n.type === 'COMPARE_NOT_DISTINCT_FROM') {
          comparable(n, a, b, 'IS DISTINCT FROM');
          return { k: 'distinct', neg: n.type === 'COMPARE_NOT_DISTINCT_FROM', a, b, ty: 'bool' };
        }
        const op = CMP[n.type];
        if (!op) fail(n, `the comparison ${n.type} is not in the realtime subset`);
        comparable(n, a, b, op!);
        return { k: 'cmp', op: op!, a, b, ty: 'bool' };
      }
      case 'BETWEEN': {
        const a = expr(n.input, ctx);
        const lo = expr(n.lower, ctx);
        const hi = expr(n.upper, ctx);
        comparable(n, a, lo, 'BETWEEN');
        comparable(n, a, hi, 'BETWEEN');
        return { k: 'between', neg: false, a, lo, hi, ty: 'bool' };
      }
      case 'CONJUNCTION': {
        const xs = n.children.map((c: Node) => boolean(c, expr(c, ctx), n.type === 'CONJUNCTION_AND' ? 'AND' : 'OR'));
        return { k: n.type === 'CONJUNCTION_AND' ? 'and' : 'or', xs, ty: 'bool' };
      }
      case 'OPERATOR': {
        const kids: Node[] = n.children ?? [];
        if (n.type === 'OPERATOR_NOT') {
          const a = expr(kids[0], ctx);
          if (a.k === 'between' && !a.neg) return { ...a, neg: true };
          return { k: 'not', a: boolean(kids[0], a, 'NOT'), ty: 'bool' };
        }
        if (n.type === 'OPERATOR_IS_NULL' || n.type === 'OPERATOR_IS_NOT_NULL') return { k: 'isnull', neg: n.type === 'OPERATOR_IS_NOT_NULL', a: expr(kids[0], ctx), ty: 'bool' };
        if (n.type === 'COMPARE_IN' || n.type === 'COMPARE_NOT_IN') {
          const a = expr(kids[0], ctx);
          const list = kids.slice(1).map((c) => {
            const e = expr(c, ctx);
            comparable(c, a, e, 'IN');
            return e;
          });
          return { k: 'in', neg: n.type === 'COMPARE_NOT_IN', a, list, ty: 'bool' };
        }
        if (n.type === 'OPERATOR_COALESCE') {
          const xs = kids.map((c) => expr(c, ctx));
          return { k: 'coalesce', xs, ty: xs.reduce<Ty>((t, x) => unify(n, t, x.ty, 'coalesce'), 'null') };
        }
        return fail(n, `the operator ${String(n.type).toLowerCase().replace(/^operator_/, '')} is not in the realtime subset`);
      }
      case 'CASE': {
        const whens = n.case_checks.map((c: Node) => ({ when: boolean(c.when_expr, expr(c.when_expr, ctx), 'WHEN'), then: expr(c.then_expr, ctx) }));
        const els = n.else_expr ? expr(n.else_expr, ctx) : null;
        let ty: Ty = els?.ty ?? 'null';
        for (const w of whens) ty = unify(n, ty, w.then.ty, 'CASE');
        return { k: 'case', whens, else: els, ty };
      }
      case 'FUNCTION': {
        const name = String(n.function_name).toLowerCase();
        if (n.is_operator || ARITH.has(name)) {
          if (!ARITH.has(name)) fail(n, `${OPERATOR_NAMES[name] ?? `the operator ${name}`} is not in the realtime subset`);
          const kids = n.children.map((c: Node) => expr(c, ctx));
          for (const [i, k] of kids.entries()) if (!numeric(k.ty)) fail(n.children[i], `${name} takes numbers, got ${k.ty}`);
          if (kids.length === 1) {
            if (name !== '-' && name !== '+') fail(n, `unary ${name} is not in the realtime subset`);
            return name === '+' ? kids[0] : { k: 'neg', a: kids[0], ty: kids[0].ty === 'null' ? 'null' : kids[0].ty };
          }
          const [a, b] = kids as [Expr, Expr];
          const both = a.ty === 'null' || b.ty === 'null' ? 'null' : a.ty === 'int' && b.ty === 'int' ? 'int' : 'double';
          const ty: Ty = name === '/' ? (both === 'null' ? 'null' : 'double') : both;
          return { k: 'arith', op: name as ArithOp, a, b, ty };
        }
        if (AGGS.has(name)) {
          if (!ctx.aggsAllowed) fail(n, `${name === 'count_star' ? 'count(*)' : `${name}()`} is allowed in the select list only`);
          if (ctx.inAgg) fail(n, 'an aggregate inside an aggregate is not allowed');
          if (n.order_bys?.orders?.length) fail(n, 'ORDER BY inside an aggregate is not in the realtime subset');
          const inner = { aggsAllowed: false, inAgg: true };
          const kids: Node[] = n.children ?? [];
          let fn = name as AggFn;
          if (fn === 'count' && kids.length === 0) fn = 'count_star';
          if (fn !== 'count_star' && kids.length !== 1) fail(n, `${name}() takes one argument`);
          const arg = fn === 'count_star' ? null : expr(kids[0], inner);
          if (arg && fn !== 'count' && !numeric(arg.ty)) fail(kids[0], `${name}() takes a number in a realtime metric, got ${arg.ty}`);
          const filter = n.filter ? boolean(n.filter, expr(n.filter, inner), 'FILTER (WHERE ...)') : null;
          const ty: Ty = fn === 'count_star' || fn === 'count' ? 'int' : fn === 'avg' ? 'double' : arg!.ty === 'null' ? 'double' : arg!.ty;
          const agg: Agg = { fn, distinct: Boolean(n.distinct), arg, filter, ty };
          if (agg.distinct && fn === 'count_star') fail(n, 'count(DISTINCT *) is not valid');
          aggs.push(agg);
          return { k: 'agg', i: aggs.length - 1, ty };
        }
        return fail(n, `the function ${name}() is not in the realtime subset (aggregates count, sum, avg, min, max; coalesce; arithmetic)`);
      }
      case 'WINDOW':
        return fail(n, 'window functions (OVER) are not in the realtime subset');
      case 'SUBQUERY':
        return fail(n, 'subqueries are not in the realtime subset');
      case 'STAR':
        return fail(n, '* is not in the realtime subset: name the columns');
      default:
        return fail(n, `${String(n.class ?? n.type).toLowerCase()} expressions are not in the realtime subset`);
    }
  };


  return { aggs, columns, column, expr, boolean };
}

export function hasCurated(src: RecordType, name: string): boolean {
  return CURATED_COLUMNS[TABLE_OF[src]].some(([n]) => n === name);
}

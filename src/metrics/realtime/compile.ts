/**
 * A realtime metric's SELECT (as parsed by the engine's own parser, json_serialize_sql) → its
 * plan (ir.ts). Everything outside the subset of docs/metrics.md is refused with the line and
 * the reason: one stream (`pins`, `geo`, `users`) or `pins` joined to `geo` and/or `users` on
 * `ind`; an optional WHERE of comparisons, AND/OR/NOT, IN, BETWEEN, IS [NOT] NULL; GROUP BY
 * columns; count(*), count([DISTINCT] x), sum, avg, min, max over columns or simple expressions
 * (CASE WHEN, arithmetic, coalesce), each with an optional FILTER (WHERE ...).
 */
import { TOPICS, type RecordType } from '../../core/records.js';
import { CURATED_COLUMNS } from '../../engine/schema.js';
import { MetricFileError, lineOf, type MetricFile } from '../file.js';
import { triggerOf, walk, type Agg, type AggFn, type ArithOp, type CmpOp, type Expr, type RealtimePlan, type Ty } from './ir.js';

/* eslint-disable @typescript-eslint/no-explicit-any */
type Node = any;

export const STREAM_OF: Record<string, RecordType> = { pins: 'pin', geo: 'geo', users: 'user' };
const TABLE_OF: Record<RecordType, 'pins' | 'geo' | 'users'> = { pin: 'pins', geo: 'geo', user: 'users' };

const SCALAR: Record<string, Ty> = { VARCHAR: 'text', BIGINT: 'int', INTEGER: 'int', DOUBLE: 'double', BOOLEAN: 'bool' };

/** The columns a realtime metric may read, per record type, with their types. */
export const REALTIME_COLUMNS: Record<RecordType, Map<string, Ty>> = Object.fromEntries(
  TOPICS.map((t) => [
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

const numeric = (t: Ty) => t === 'int' || t === 'double' || t === 'null';

interface Scope {
  /** alias (or table name) → record type */
  aliases: Map<string, RecordType>;
  /** record types in the FROM clause */
  streams: RecordType[];
}

export function compileRealtime(file: MetricFile, ast: Node): RealtimePlan {
  const fail = (node: Node | null, reason: string): never => {
    const loc = node?.query_location;
    const line = typeof loc === 'number' && loc >= 0 && loc <= file.sql.length ? file.sqlLine + lineOf(file.sql, loc) - 1 : file.sqlLine;
    throw new MetricFileError(file.file, line, `${reason} (realtime subset: docs/metrics.md)`);
  };

  if (ast.type !== 'SELECT_NODE') fail(null, 'a realtime metric is one plain SELECT (no UNION, INTERSECT or EXCEPT)');
  if (ast.cte_map?.map?.length) fail(null, 'WITH (common table expressions) is not in the realtime subset');
  for (const m of ast.modifiers ?? []) {
    const what = m.type === 'DISTINCT_MODIFIER' ? 'SELECT DISTINCT' : m.type === 'LIMIT_MODIFIER' || m.type === 'LIMIT_PERCENT_MODIFIER' ? 'LIMIT/OFFSET' : 'ORDER BY';
    fail(m.limit ?? m.orders?.[0]?.expression ?? null, `${what} is not in the realtime subset (rows are per window and key)`);
  }
  if (ast.having) fail(ast.having, 'HAVING is not in the realtime subset');
  if (ast.qualify) fail(ast.qualify, 'QUALIFY is not in the realtime subset');
  if (ast.sample) fail(null, 'USING SAMPLE is not in the realtime subset');
  if ((ast.group_sets?.length ?? 0) > 1) fail(null, 'GROUPING SETS, ROLLUP and CUBE are not in the realtime subset');

  // FROM
  const scope: Scope = { aliases: new Map(), streams: [] };
  const joins: RealtimePlan['joins'] = {};
  const addTable = (t: Node): RecordType => {
    if (t.type !== 'BASE_TABLE') fail(t, `FROM reads the streams pins, geo, users (a ${String(t.type).toLowerCase().replace(/_/g, ' ')} is not in the realtime subset)`);
    if (t.schema_name || t.catalog_name) fail(t, `FROM reads the streams pins, geo, users, not ${[t.catalog_name, t.schema_name, t.table_name].filter(Boolean).join('.')}`);
    const stream = STREAM_OF[String(t.table_name).toLowerCase()];
    if (!stream) fail(t, `"${t.table_name}" is not a stream: a realtime metric reads pins, geo or users`);
    if (scope.streams.includes(stream!)) fail(t, `${t.table_name} appears twice in FROM`);
    const alias = String(t.alias || t.table_name).toLowerCase();
    if (scope.aliases.has(alias)) fail(t, `the name ${alias} is used twice in FROM`);
    scope.aliases.set(alias, stream!);
    scope.streams.push(stream!);
    return stream!;
  };
  const from = ast.from_table;
  if (!from || from.type === 'EMPTY') fail(null, 'a realtime metric reads FROM pins, geo or users');
  const joinNodes: Node[] = [];
  let left = from;
  while (left.type === 'JOIN') {
    joinNodes.unshift(left);
    left = left.left;
  }
  const base = addTable(left);
  if (joinNodes.length && base !== 'pin') fail(left, 'joins start from pins: FROM pins p JOIN geo g ON g.ind = p.ind');
  for (const j of joinNodes) {
    if (j.ref_type && j.ref_type !== 'REGULAR') fail(j, `${String(j.ref_type).toLowerCase()} joins are not in the realtime subset`);
    const kind = j.join_type === 'INNER' ? 'inner' : j.join_type === 'LEFT' ? 'left' : null;
    if (!kind) fail(j, `${String(j.join_type).toLowerCase()} joins are not in the realtime subset (JOIN or LEFT JOIN on ind)`);
    const partner = addTable(j.right);
    if (partner === 'pin') fail(j.right, 'pins is the left side of a join');
    const ok = (j.using_columns?.length === 1 && String(j.using_columns[0]).toLowerCase() === 'ind') || isIndEquality(j.condition, scope, partner);
    if (!ok) fail(j.condition ?? j, `a join condition is ${partner === 'geo' ? 'g' : 'u'}.ind = p.ind (the stream joins partners by ind within its join window)`);
    joins[partner as 'geo' | 'user'] = kind!;
  }

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

  const where = ast.where_clause ? boolean(ast.where_clause, expr(ast.where_clause, { aggsAllowed: false, inAgg: false }), 'WHERE') : null;
  if (where) walk(where, (e) => e.k === 'agg' && fail(ast.where_clause, 'aggregates are not allowed in WHERE'));

  // select list: group key columns, and value expressions over aggregates
  const selectItems = (ast.select_list as Node[]).map((n) => ({ n, e: expr(n, { aggsAllowed: true, inAgg: false }) }));
  const hasAgg = (e: Expr) => {
    let found = false;
    walk(e, (x) => (found ||= x.k === 'agg'));
    return found;
  };
  const bareColumns = (e: Expr) => {
    let found = false;
    walk(e, (x) => (found ||= x.k === 'col'));
    return found;
  };
  const groupAll = ast.aggregate_handling === 'FORCE_AGGREGATES';
  const groupExprs: Expr[] = groupAll
    ? selectItems.filter((s) => !hasAgg(s.e)).map((s) => s.e)
    : (ast.group_expressions ?? []).map((g: Node) => {
        if (g.class === 'CONSTANT' && g.value?.type?.id === 'INTEGER') {
          const item = selectItems[Number(g.value.value) - 1];
          if (!item) fail(g, `GROUP BY ${g.value.value}: the select list has ${selectItems.length} items`);
          return item!.e;
        }
        if (g.class !== 'COLUMN_REF') fail(g, 'GROUP BY takes columns (or their positions) in a realtime metric');
        return column(g);
      });
  for (const g of groupExprs) if (g.k !== 'col') fail(null, 'GROUP BY takes columns (or their positions) in a realtime metric');
  const sameCol = (a: Expr, b: Expr) => a.k === 'col' && b.k === 'col' && a.src === b.src && a.name === b.name;

  const keys: RealtimePlan['keys'] = [];
  const values: RealtimePlan['values'] = [];
  const names = new Set<string>(['minute', 'final']);
  for (const { n, e } of selectItems) {
    const name = String(n.alias || (e.k === 'col' ? e.name : '')).trim();
    if (!name) fail(n, 'name each value with AS (e.g. count(*) AS postings)');
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) fail(n, `the column name "${name}" must be letters, digits and "_"`);
    if (names.has(name.toLowerCase())) fail(n, name === 'minute' || name === 'final' ? `"${name}" is a column pinpipe adds; choose another name` : `the column name ${name} is used twice`);
    names.add(name.toLowerCase());
    if (e.k === 'col') {
      if (!groupExprs.some((g) => sameCol(g, e))) fail(n, `${e.name} must be in GROUP BY (or inside an aggregate)`);
      keys.push({ name, expr: e });
      continue;
    }
    if (!hasAgg(e)) fail(n, `${name} must be an aggregate (count, sum, avg, min, max) or a GROUP BY column`);
    if (bareColumns(e)) fail(n, `${name}: a column outside an aggregate must be in GROUP BY and selected on its own`);
    if (e.ty !== 'int' && e.ty !== 'double') fail(n, `${name} must be a number (realtime values are numbers), got ${e.ty}`);
    values.push({ name, expr: e, ty: e.ty as 'int' | 'double' });
  }
  for (const g of groupExprs) if (!keys.some((k) => sameCol(k.expr, g))) fail(null, `GROUP BY column ${(g as { name: string }).name} must also be selected (the keys identify a row)`);
  if (values.length === 0) fail(null, 'a realtime metric computes at least one aggregate (e.g. count(*) AS postings)');
  if (file.keys.length && (file.keys.length !== keys.length || file.keys.some((k) => !keys.some((x) => x.name === k)))) {
    throw new MetricFileError(file.file, null, `the header keys (${file.keys.join(', ')}) must be the GROUP BY columns (${keys.map((k) => k.name).join(', ') || 'none'})`);
  }
  if (joins.geo || joins.user) columns.pin.add('ind');
  return {
    source: base,
    joins,
    trigger: triggerOf(base, joins),
    where,
    keys,
    aggs,
    values,
    columns: { pin: [...columns.pin].sort(), geo: [...columns.geo].sort(), user: [...columns.user].sort() },
  };
}

function hasCurated(src: RecordType, name: string): boolean {
  return CURATED_COLUMNS[TABLE_OF[src]].some(([n]) => n === name);
}

/** `g.ind = p.ind` (either order) between the partner and pins. */
function isIndEquality(cond: Node, scope: Scope, partner: RecordType): boolean {
  if (!cond || cond.class !== 'COMPARISON' || cond.type !== 'COMPARE_EQUAL') return false;
  const side = (n: Node): RecordType | null => {
    if (n?.class !== 'COLUMN_REF') return null;
    const names: string[] = n.column_names.map((s: string) => String(s).toLowerCase());
    if (names.length !== 2 || names[1] !== 'ind') return null;
    return scope.aliases.get(names[0]!) ?? null;
  };
  const a = side(cond.left);
  const b = side(cond.right);
  return (a === 'pin' && b === partner) || (a === partner && b === 'pin');
}

/**
 * A realtime metric's SELECT (as parsed by the engine's own parser, json_serialize_sql) → its
 * plan (ir.ts). Everything outside the subset of docs/metrics.md is refused with the line and
 * the reason: one stream (`pins`, `geo`, `users`) or `pins` joined to `geo` and/or `users` on
 * `ind`; an optional WHERE of comparisons, AND/OR/NOT, IN, BETWEEN, IS [NOT] NULL; GROUP BY
 * columns; count(*), count([DISTINCT] x), sum, avg, min, max over columns or simple expressions
 * (CASE WHEN, arithmetic, coalesce), each with an optional FILTER (WHERE ...).
 */
import type { RecordType } from '../../core/records.js';
import { MetricFileError, lineOf, type MetricFile } from '../file.js';
import { STREAM_OF, exprCompiler, type Node, type Scope } from './compile-expr.js';
import { triggerOf, walk, type Expr, type RealtimePlan } from './ir.js';

export { REALTIME_COLUMNS, STREAM_OF } from './compile-expr.js';

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

  const { aggs, columns, column, expr, boolean } = exprCompiler(fail, scope);
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

/**
 * A realtime plan as SQL over the batch layer's relations (the de-duplicated records d_pin, d_geo,
 * d_user, and for joins the pin-matches relation of src/engine/metrics/realtime.ts): the same
 * plan the stream evaluates, printed so that the engine computes exactly what evaluate.ts does
 * (numbers with a decimal point become DOUBLE, not DECIMAL; avg is sum / count in DOUBLE).
 *
 * In Spark's dialect (inputs.dialect 'spark', ANSI mode): string literals escape with a backslash
 * (Spark reads '' as two adjacent literals), and / and % are try_divide and try_mod, null on a zero
 * divisor as DuckDB's are (ANSI mode would fail the job).
 */
import { inRange, matchColumn, type RealtimeInputs } from '../../engine/metrics/realtime.js';
import { ident } from '../../engine/schema.js';
import type { Agg, Expr, RealtimePlan, Value } from './ir.js';

const PREFIX = { pin: 'p', geo: 'g', user: 'u' } as const;

export function literal(v: Value, spark = false): string {
  if (v === null) return 'NULL';
  if (typeof v === 'boolean') return v ? 'TRUE' : 'FALSE';
  if (typeof v === 'number')
    return Number.isInteger(v) && Math.abs(v) <= Number.MAX_SAFE_INTEGER && !Object.is(v, -0) ? String(v) : `CAST('${String(v)}' AS DOUBLE)`;
  return spark ? `'${v.replaceAll('\\', '\\\\').replaceAll("'", "\\'")}'` : `'${v.replaceAll("'", "''")}'`;
}

/** the SQL of an expression; `joined`: columns come from the pin-matches relation (p_*, g_*, u_*) */
export function exprSql(e: Expr, joined: boolean, aggs: Agg[] = [], spark = false): string {
  const x = (y: Expr) => exprSql(y, joined, aggs, spark);
  switch (e.k) {
    case 'col':
      return joined ? matchColumn(PREFIX[e.src], e.name) : ident(e.name);
    case 'lit':
      return e.ty === 'double' && typeof e.v === 'number' ? `CAST('${String(e.v)}' AS DOUBLE)` : literal(e.v, spark);
    case 'agg':
      return aggSql(aggs[e.i]!, joined, spark);
    case 'todouble':
      return `CAST(${x(e.a)} AS DOUBLE)`;
    case 'neg':
      return `(- ${x(e.a)})`;
    case 'arith':
      if (spark && (e.op === '/' || e.op === '%')) return `${e.op === '/' ? 'try_divide' : 'try_mod'}(${x(e.a)}, ${x(e.b)})`;
      return `(${x(e.a)} ${e.op} ${x(e.b)})`;
    case 'cmp':
      return `(${x(e.a)} ${e.op} ${x(e.b)})`;
    case 'distinct':
      return `(${x(e.a)} IS ${e.neg ? 'NOT ' : ''}DISTINCT FROM ${x(e.b)})`;
    case 'and':
    case 'or':
      return `(${e.xs.map(x).join(e.k === 'and' ? ' AND ' : ' OR ')})`;
    case 'not':
      return `(NOT ${x(e.a)})`;
    case 'isnull':
      return `(${x(e.a)} IS ${e.neg ? 'NOT ' : ''}NULL)`;
    case 'in':
      return `(${x(e.a)} ${e.neg ? 'NOT ' : ''}IN (${e.list.map(x).join(', ')}))`;
    case 'between':
      return `(${x(e.a)} ${e.neg ? 'NOT ' : ''}BETWEEN ${x(e.lo)} AND ${x(e.hi)})`;
    case 'case':
      return `(CASE ${e.whens.map((w) => `WHEN ${x(w.when)} THEN ${x(w.then)}`).join(' ')}${e.else ? ` ELSE ${x(e.else)}` : ''} END)`;
    case 'coalesce':
      return `coalesce(${e.xs.map(x).join(', ')})`;
  }
}

function aggSql(a: Agg, joined: boolean, spark: boolean): string {
  const filter = a.filter ? ` FILTER (WHERE ${exprSql(a.filter, joined, [], spark)})` : '';
  const d = a.distinct ? 'DISTINCT ' : '';
  const arg = a.arg ? exprSql(a.arg, joined, [], spark) : '';
  switch (a.fn) {
    case 'count_star':
      return `count(*)${filter}`;
    case 'avg':
      if (spark) return `try_divide(CAST(sum(${d}${arg})${filter} AS DOUBLE), count(${d}${arg})${filter})`;
      return `(CAST(sum(${d}${arg})${filter} AS DOUBLE) / count(${d}${arg})${filter})`;
    default:
      return `${a.fn}(${d}${arg})${filter}`;
  }
}

/**
 * The metric's rows per minute of the window's ingested_at over [from, to): minute, the key
 * columns (typed; the caller turns them into the stored key text) and the value columns.
 * `pinMatches` names the relation of pinMatchesSql (required for a plan with joins).
 */
export function planSql(plan: RealtimePlan, i: RealtimeInputs, pinMatches?: string): string {
  const joined = plan.trigger.startsWith('pin+');
  const spark = i.dialect === 'spark';
  if (joined && !pinMatches) throw new Error('a joined realtime metric needs the pin-matches relation');
  const rel = joined ? pinMatches! : i[plan.source];
  const conds: string[] = [];
  const range = inRange(i);
  if (range) conds.push(range.slice('WHERE '.length));
  if (plan.joins.geo === 'inner') conds.push('geo_matched');
  if (plan.joins.user === 'inner') conds.push('user_matched');
  if (plan.where) conds.push(exprSql(plan.where, joined, [], spark));
  const select = [
    "date_trunc('minute', ingested_at) AS minute",
    ...plan.keys.map((k) => `${exprSql(k.expr, joined, [], spark)} AS ${ident(k.name)}`),
    ...plan.values.map((v) => `${exprSql(v.expr, joined, plan.aggs, spark)} AS ${ident(v.name)}`),
  ];
  const group = Array.from({ length: 1 + plan.keys.length }, (_, n) => n + 1).join(', ');
  return `SELECT ${select.join(', ')} FROM ${rel}${conds.length ? ` WHERE ${conds.join(' AND ')}` : ''} GROUP BY ${group} ORDER BY ${group}`;
}

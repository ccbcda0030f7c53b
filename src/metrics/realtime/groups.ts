/**
 * A realtime metric maintained incrementally by the stream: per window, a group per key, each
 * with its aggregate states. Rows are added (sign +1) and taken back (sign −1, a displaced
 * duplicate), so every state is invertible: counts and sums, and a multiset (value → count) for
 * DISTINCT, min and max. Values are absolute, so a row written again is idempotent.
 */
import { TOPICS, type RecordType } from '../../core/records.js';
import { compareValues, compileExpr, encodeKey, keyText, type ColumnIndex, type Fn, type Row } from './evaluate.js';
import type { Agg, RealtimePlan, Trigger, Value } from './ir.js';

interface AggState {
  /** rows counted (count(*)), or non-null values (count, sum, avg) */
  n: number;
  sum: number;
  /** value → rows holding it (DISTINCT, min, max) */
  m: Map<Exclude<Value, null>, number> | null;
}

export interface Group {
  /** rows of the group (that passed WHERE); 0 after every row was taken back */
  rows: number;
  aggs: AggState[];
}

interface CompiledAgg {
  agg: Agg;
  arg: Fn | null;
  filter: Fn | null;
  multiset: boolean;
}

const NO_AGGS: Value[] = [];

export class MetricRuntime {
  readonly keyFns: Fn[];
  readonly where: Fn | null;
  private readonly aggs: CompiledAgg[];
  private readonly values: { name: string; fn: Fn }[];

  constructor(
    readonly id: string,
    readonly plan: RealtimePlan,
    index: ColumnIndex,
  ) {
    this.where = plan.where ? compileExpr(plan.where, index) : null;
    this.keyFns = plan.keys.map((k) => compileExpr(k.expr, index));
    this.aggs = plan.aggs.map((agg) => ({
      agg,
      arg: agg.arg ? compileExpr(agg.arg, index) : null,
      filter: agg.filter ? compileExpr(agg.filter, index) : null,
      multiset: agg.distinct || agg.fn === 'min' || agg.fn === 'max',
    }));
    this.values = plan.values.map((v) => ({ name: v.name, fn: compileExpr(v.expr, index) }));
  }

  get trigger(): RealtimePlan['trigger'] {
    return this.plan.trigger;
  }

  /** the stored key of a row, or null when WHERE does not keep it */
  keyOf(row: Row): string | null {
    if (this.where && this.where(row, NO_AGGS) !== true) return null;
    const fns = this.keyFns;
    if (fns.length === 0) return '';
    if (fns.length === 1) return keyText(fns[0]!(row, NO_AGGS));
    return encodeKey(fns.map((f) => keyText(f(row, NO_AGGS))));
  }

  newGroup(): Group {
    return { rows: 0, aggs: this.aggs.map((a) => ({ n: 0, sum: 0, m: a.multiset ? new Map() : null })) };
  }

  /** count a row into a group (sign 1) or take it back (−1) */
  apply(g: Group, row: Row, sign: 1 | -1): void {
    g.rows += sign;
    const aggs = this.aggs;
    for (let i = 0; i < aggs.length; i++) {
      const a = aggs[i]!;
      if (a.filter && a.filter(row, NO_AGGS) !== true) continue;
      const s = g.aggs[i]!;
      if (!a.arg) {
        s.n += sign;
        continue;
      }
      const v = a.arg(row, NO_AGGS);
      if (v === null) continue;
      if (s.m) {
        const c = (s.m.get(v) ?? 0) + sign;
        if (c > 0) s.m.set(v, c);
        else s.m.delete(v);
      } else {
        s.n += sign;
        if (a.agg.fn !== 'count') s.sum += sign * (v as number);
      }
    }
  }

  /** the value columns of a group */
  valuesOf(g: Group): Record<string, number | null> {
    const results = this.aggs.map((a, i) => result(a, g.aggs[i]!));
    const out: Record<string, number | null> = {};
    for (const v of this.values) {
      const x = v.fn(EMPTY_ROW, results);
      const n = x === null ? null : Number(x);
      out[v.name] = n === null || !Number.isFinite(n) ? null : n;
    }
    return out;
  }
}

const EMPTY_ROW: Row = { pin: null, geo: null, user: null };

function result(a: CompiledAgg, s: AggState): Value {
  const fn = a.agg.fn;
  if (fn === 'count_star') return s.n;
  if (s.m) {
    if (fn === 'count') return s.m.size;
    if (s.m.size === 0) return null;
    if (fn === 'min' || fn === 'max') {
      let best: Exclude<Value, null> | null = null;
      for (const v of s.m.keys()) if (best === null || (fn === 'min' ? compareValues(v, best) < 0 : compareValues(v, best) > 0)) best = v;
      return best;
    }
    let sum = 0;
    for (const v of s.m.keys()) sum += v as number;
    return fn === 'sum' ? sum : sum / s.m.size;
  }
  if (fn === 'count') return s.n;
  if (s.n === 0) return null;
  return fn === 'sum' ? s.sum : s.sum / s.n;
}

/** The column lists of a set of plans: what each record type must carry, and where. */
export class ColumnLayout {
  readonly columns: Record<RecordType, string[]> = { pin: [], geo: [], user: [] };

  constructor(plans: RealtimePlan[]) {
    for (const t of TOPICS) {
      this.columns[t] = [...new Set(plans.flatMap((p) => p.columns[t]))].sort();
    }
  }

  readonly index: ColumnIndex = (src, name) => {
    const i = this.columns[src].indexOf(name);
    if (i < 0) throw new Error(`column ${src}.${name} is not in the layout`);
    return i;
  };
}

/** the metrics (by index) counted at each event, and for joins which partners they require */
export interface Triggers {
  byTrigger: Record<Trigger, number[]>;
  /** inner joins: the metric counts a pin only when it has these partners */
  needsGeo: boolean[];
  needsUser: boolean[];
}

export function triggersOf(metrics: readonly MetricRuntime[]): Triggers {
  const byTrigger: Record<Trigger, number[]> = { pin: [], geo: [], user: [], 'pin+geo': [], 'pin+user': [], 'pin+geo+user': [] };
  metrics.forEach((m, i) => byTrigger[m.trigger].push(i));
  return { byTrigger, needsGeo: metrics.map((m) => m.plan.joins.geo === 'inner'), needsUser: metrics.map((m) => m.plan.joins.user === 'inner') };
}

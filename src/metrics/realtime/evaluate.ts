/**
 * Expressions of a realtime plan as JavaScript closures, with the engine's semantics: three-valued
 * logic (WHERE and FILTER keep rows whose condition is true), null in → null out, `/` always a
 * double division (by zero: ±infinity or NaN, as IEEE), integer modulo by zero → null (a double
 * one: NaN), NaN equal to itself and above every number (the engine's order), text compared by
 * code point (the engine compares UTF-8 bytes, which orders like code points; JavaScript's `<`
 * compares UTF-16 units). A value column that ends up infinite or NaN is stored as null (the
 * engine's client reads them so).
 * Pure; property-tested against the engine (test/unit/metrics-realtime-eval.test.ts).
 */
import type { RecordType } from '../../core/records.js';
import type { CmpOp, Expr, Value } from './ir.js';

/** A row as the stream sees it: the columns each record type carries (null: no record, e.g. an unmatched LEFT JOIN). */
export type Row = Record<RecordType, Value[] | null>;
export type Fn = (row: Row, aggs: Value[]) => Value;

/** Code point order of two strings (UTF-8 byte order). */
export function compareText(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    let x = a.charCodeAt(i);
    let y = b.charCodeAt(i);
    if (x === y) continue;
    // surrogates (code points above U+FFFF) sort after U+E000..U+FFFF
    if (x >= 0xd800) x = x >= 0xe000 ? x - 0x800 : x + 0x2000;
    if (y >= 0xd800) y = y >= 0xe000 ? y - 0x800 : y + 0x2000;
    return x - y;
  }
  return a.length - b.length;
}

/** Order of two non-null values of one comparable type (numbers, text, booleans). */
export function compareValues(a: Exclude<Value, null>, b: Exclude<Value, null>): number {
  if (typeof a === 'string') return compareText(a, b as string);
  const x = Number(a);
  const y = Number(b);
  if (x !== x || y !== y) return x !== x ? (y !== y ? 0 : 1) : -1; // NaN: equal to NaN, above all
  return x < y ? -1 : x > y ? 1 : 0;
}

const CMP: Record<CmpOp, (c: number) => boolean> = {
  '=': (c) => c === 0,
  '<>': (c) => c !== 0,
  '<': (c) => c < 0,
  '<=': (c) => c <= 0,
  '>': (c) => c > 0,
  '>=': (c) => c >= 0,
};

function and3(vals: Value[]): Value {
  let unknown = false;
  for (const v of vals) {
    if (v === false) return false;
    if (v === null) unknown = true;
  }
  return unknown ? null : true;
}

function or3(vals: Value[]): Value {
  let unknown = false;
  for (const v of vals) {
    if (v === true) return true;
    if (v === null) unknown = true;
  }
  return unknown ? null : false;
}

const not3 = (v: Value): Value => (v === null ? null : !v);

/** `column index` of a record type's column in the rows the stream builds. */
export type ColumnIndex = (src: RecordType, name: string) => number;

export function compileExpr(e: Expr, index: ColumnIndex): Fn {
  switch (e.k) {
    case 'col': {
      const i = index(e.src, e.name);
      const src = e.src;
      return (r) => {
        const vals = r[src];
        return vals === null ? null : (vals[i] ?? null);
      };
    }
    case 'lit': {
      const v = e.v;
      return () => v;
    }
    case 'agg': {
      const i = e.i;
      return (_r, aggs) => aggs[i] ?? null;
    }
    case 'todouble':
      return compileExpr(e.a, index);
    case 'neg': {
      const a = compileExpr(e.a, index);
      // an integer is never -0 in the engine (-0 + 0 is 0)
      const zero = e.ty === 'int' ? 0 : -0;
      return (r, g) => {
        const v = a(r, g);
        return v === null ? null : -(v as number) + zero;
      };
    }
    case 'arith': {
      const a = compileExpr(e.a, index);
      const b = compileExpr(e.b, index);
      const op = e.op;
      const integers = e.a.ty === 'int' && e.b.ty === 'int';
      return (r, g) => {
        const x = a(r, g);
        const y = b(r, g);
        if (x === null || y === null) return null;
        const p = x as number;
        const q = y as number;
        switch (op) {
          case '+':
            return p + q;
          case '-':
            return p - q;
          case '*':
            return integers ? p * q + 0 : p * q;
          case '/':
            return p / q;
          case '%':
            return integers ? (q === 0 ? null : (p % q) + 0) : p % q;
        }
      };
    }
    case 'cmp': {
      const a = compileExpr(e.a, index);
      const b = compileExpr(e.b, index);
      const test = CMP[e.op];
      return (r, g) => {
        const x = a(r, g);
        const y = b(r, g);
        return x === null || y === null ? null : test(compareValues(x, y));
      };
    }
    case 'distinct': {
      const a = compileExpr(e.a, index);
      const b = compileExpr(e.b, index);
      const neg = e.neg;
      return (r, g) => {
        const x = a(r, g);
        const y = b(r, g);
        const differ = x === null || y === null ? x !== y : compareValues(x, y) !== 0;
        return neg ? !differ : differ;
      };
    }
    case 'and':
    case 'or': {
      const xs = e.xs.map((x) => compileExpr(x, index));
      const f = e.k === 'and' ? and3 : or3;
      return (r, g) => f(xs.map((x) => x(r, g)));
    }
    case 'not': {
      const a = compileExpr(e.a, index);
      return (r, g) => not3(a(r, g));
    }
    case 'isnull': {
      const a = compileExpr(e.a, index);
      const neg = e.neg;
      return (r, g) => (a(r, g) === null) !== neg;
    }
    case 'in': {
      const a = compileExpr(e.a, index);
      const list = e.list.map((x) => compileExpr(x, index));
      const neg = e.neg;
      return (r, g) => {
        const x = a(r, g);
        if (x === null) return null;
        let unknown = false;
        for (const l of list) {
          const y = l(r, g);
          if (y === null) unknown = true;
          else if (compareValues(x, y) === 0) return !neg;
        }
        return unknown ? null : neg;
      };
    }
    case 'between': {
      const a = compileExpr(e.a, index);
      const lo = compileExpr(e.lo, index);
      const hi = compileExpr(e.hi, index);
      const neg = e.neg;
      return (r, g) => {
        const x = a(r, g);
        const l = lo(r, g);
        const h = hi(r, g);
        const ge = x === null || l === null ? null : compareValues(x, l) >= 0;
        const le = x === null || h === null ? null : compareValues(x, h) <= 0;
        const v = and3([ge, le]);
        return neg ? not3(v) : v;
      };
    }
    case 'case': {
      const whens = e.whens.map((w) => [compileExpr(w.when, index), compileExpr(w.then, index)] as const);
      const els = e.else ? compileExpr(e.else, index) : null;
      return (r, g) => {
        for (const [w, t] of whens) if (w(r, g) === true) return t(r, g);
        return els ? els(r, g) : null;
      };
    }
    case 'coalesce': {
      const xs = e.xs.map((x) => compileExpr(x, index));
      return (r, g) => {
        for (const x of xs) {
          const v = x(r, g);
          if (v !== null) return v;
        }
        return null;
      };
    }
  }
}

/** A key value as stored (text): a null key is '' (cleaned text is never empty, so '' is null). */
export function keyText(v: Value): string {
  return v === null ? '' : String(v);
}

/** The stored key of a row with these key values: one column → its text; several → a JSON array; none → ''. */
export function encodeKey(texts: string[]): string {
  return texts.length === 0 ? '' : texts.length === 1 ? texts[0]! : JSON.stringify(texts);
}

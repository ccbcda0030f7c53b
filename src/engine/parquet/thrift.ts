/**
 * Thrift's compact protocol (the encoding of a Parquet file's footer), read into a generic tree and
 * written back unchanged: every field is kept with its id and type, so a footer can be edited
 * field by field without a schema of its own (src/engine/parquet/project.ts).
 * https://github.com/apache/thrift/blob/master/doc/specs/thrift-compact-protocol.md
 */
import { PinpipeError } from '../../core/errors.js';

export const T = { TRUE: 1, FALSE: 2, I8: 3, I16: 4, I32: 5, I64: 6, DOUBLE: 7, BINARY: 8, LIST: 9, SET: 10, MAP: 11, STRUCT: 12 } as const;

export type Value = boolean | bigint | Buffer | ThriftList | ThriftMap | Field[];
export interface ThriftList {
  elem: number;
  items: Value[];
}
export interface ThriftMap {
  key: number;
  value: number;
  entries: [Value, Value][];
}
/** A struct's field: its id, its compact type (TRUE or FALSE for a bool) and value. */
export interface Field {
  id: number;
  type: number;
  value: Value;
}

const bad = (what: string) => new PinpipeError('INTERNAL', `not a Parquet footer this reader understands: ${what}`);

export class Reader {
  pos = 0;
  constructor(private readonly buf: Buffer) {}

  private byte(): number {
    if (this.pos >= this.buf.length) throw bad('it ends early');
    return this.buf[this.pos++]!;
  }

  private varint(): bigint {
    let out = 0n;
    for (let shift = 0n; shift < 70n; shift += 7n) {
      const b = this.byte();
      out |= BigInt(b & 0x7f) << shift;
      if ((b & 0x80) === 0) return out;
    }
    throw bad('a varint is too long');
  }

  private zigzag(): bigint {
    const n = this.varint();
    return (n >> 1n) ^ -(n & 1n);
  }

  private value(type: number): Value {
    switch (type) {
      case T.TRUE:
        return true;
      case T.FALSE:
        return false;
      case T.I8:
        return BigInt((this.byte() << 24) >> 24);
      case T.I16:
      case T.I32:
      case T.I64:
        return this.zigzag();
      case T.DOUBLE: {
        const b = this.buf.subarray(this.pos, this.pos + 8);
        if (b.length < 8) throw bad('it ends early');
        this.pos += 8;
        return Buffer.from(b);
      }
      case T.BINARY: {
        const n = Number(this.varint());
        if (this.pos + n > this.buf.length) throw bad('it ends early');
        const b = Buffer.from(this.buf.subarray(this.pos, this.pos + n));
        this.pos += n;
        return b;
      }
      case T.LIST:
      case T.SET: {
        const h = this.byte();
        const size = h >> 4 === 15 ? Number(this.varint()) : h >> 4;
        const elem = h & 0x0f;
        const items: Value[] = [];
        // a bool in a collection is one byte (1: true)
        for (let i = 0; i < size; i++) items.push(elem === T.TRUE || elem === T.FALSE ? this.byte() === T.TRUE : this.value(elem));
        return { elem, items };
      }
      case T.MAP: {
        const size = Number(this.varint());
        if (size === 0) return { key: 0, value: 0, entries: [] };
        const kv = this.byte();
        const m: ThriftMap = { key: kv >> 4, value: kv & 0x0f, entries: [] };
        for (let i = 0; i < size; i++) m.entries.push([this.value(m.key), this.value(m.value)]);
        return m;
      }
      case T.STRUCT:
        return this.struct();
      default:
        throw bad(`unknown type ${type}`);
    }
  }

  struct(): Field[] {
    const fields: Field[] = [];
    let last = 0;
    for (;;) {
      const h = this.byte();
      if (h === 0) return fields;
      const type = h & 0x0f;
      const id = h >> 4 ? last + (h >> 4) : Number(this.zigzag());
      fields.push({ id, type, value: this.value(type) });
      last = id;
    }
  }
}

export class Writer {
  private readonly parts: number[] = [];

  private varint(n: bigint): void {
    let v = n;
    while (v >= 0x80n) {
      this.parts.push(Number(v & 0x7fn) | 0x80);
      v >>= 7n;
    }
    this.parts.push(Number(v));
  }

  private zigzag(n: bigint): void {
    this.varint(n >= 0n ? n << 1n : (-n << 1n) - 1n);
  }

  private bytes(b: Buffer): void {
    for (const x of b) this.parts.push(x);
  }

  private value(type: number, v: Value): void {
    switch (type) {
      case T.TRUE:
      case T.FALSE:
        return;
      case T.I8:
        this.parts.push(Number(v as bigint) & 0xff);
        return;
      case T.I16:
      case T.I32:
      case T.I64:
        this.zigzag(v as bigint);
        return;
      case T.DOUBLE:
        this.bytes(v as Buffer);
        return;
      case T.BINARY:
        this.varint(BigInt((v as Buffer).length));
        this.bytes(v as Buffer);
        return;
      case T.LIST:
      case T.SET: {
        const l = v as ThriftList;
        if (l.items.length < 15) this.parts.push((l.items.length << 4) | l.elem);
        else {
          this.parts.push(0xf0 | l.elem);
          this.varint(BigInt(l.items.length));
        }
        for (const item of l.items) {
          if (l.elem === T.TRUE || l.elem === T.FALSE) this.parts.push(item ? T.TRUE : T.FALSE);
          else this.value(l.elem, item);
        }
        return;
      }
      case T.MAP: {
        const m = v as ThriftMap;
        this.varint(BigInt(m.entries.length));
        if (m.entries.length === 0) return;
        this.parts.push((m.key << 4) | m.value);
        for (const [k, x] of m.entries) {
          this.value(m.key, k);
          this.value(m.value, x);
        }
        return;
      }
      case T.STRUCT:
        this.struct(v as Field[]);
        return;
      default:
        throw bad(`unknown type ${type}`);
    }
  }

  struct(fields: Field[]): this {
    let last = 0;
    for (const f of fields) {
      const type = f.type === T.TRUE || f.type === T.FALSE ? (f.value ? T.TRUE : T.FALSE) : f.type;
      const delta = f.id - last;
      if (delta > 0 && delta <= 15) this.parts.push((delta << 4) | type);
      else {
        this.parts.push(type);
        this.zigzag(BigInt(f.id));
      }
      this.value(type, f.value);
      last = f.id;
    }
    this.parts.push(0);
    return this;
  }

  toBuffer(): Buffer {
    return Buffer.from(this.parts);
  }
}

/** A field's value by id (undefined when absent). */
export const get = (s: Field[], id: number): Value | undefined => s.find((f) => f.id === id)?.value;

/** Set a field (kept in id order), or remove it with undefined. */
export function set(s: Field[], id: number, type: number, value: Value | undefined): void {
  const i = s.findIndex((f) => f.id === id);
  if (value === undefined) {
    if (i >= 0) s.splice(i, 1);
    return;
  }
  if (i >= 0) s[i] = { id, type, value };
  else {
    const at = s.findIndex((f) => f.id > id);
    s.splice(at < 0 ? s.length : at, 0, { id, type, value });
  }
}

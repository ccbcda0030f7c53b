/**
 * Drop top-level columns from a Parquet file without decoding it: the kept columns' chunks are
 * copied byte for byte, row group by row group, and the footer is rewritten (schema, column chunks
 * and their offsets, sizes, column orders). The values, their encodings, compression and
 * statistics are the writer's own. batch-run writes a day's staged file with bookkeeping columns
 * beside the curated ones; this makes the curated file of it in a fraction of a copy's time.
 * Page indexes and bloom filters of the kept columns are left out (both optional; batch-run's
 * writer makes neither), as are sorting columns (they name leaf positions).
 */
import { closeSync, openSync, readSync, writeSync, fstatSync } from 'node:fs';
import { PinpipeError } from '../../core/errors.js';
import { Reader, T, Writer, get, set, type Field, type ThriftList } from './thrift.js';

const MAGIC = Buffer.from('PAR1');
const COPY_BUFFER = 4 << 20;

// field ids of parquet.thrift
const FILE = { schema: 2, rowGroups: 4, columnOrders: 7 } as const;
const SCHEMA = { name: 4, numChildren: 5 } as const;
const GROUP = { columns: 1, totalByteSize: 2, sortingColumns: 4, fileOffset: 5, totalCompressedSize: 6 } as const;
const CHUNK = { filePath: 1, fileOffset: 2, meta: 3, offsetIndexOffset: 4, offsetIndexLength: 5, columnIndexOffset: 6, columnIndexLength: 7 } as const;
const META = { uncompressed: 6, compressed: 7, dataPage: 9, indexPage: 10, dictionaryPage: 11, bloomOffset: 14, bloomLength: 15 } as const;

const bad = (file: string, what: string) => new PinpipeError('INTERNAL', `${file}: ${what}`);
const num = (v: unknown): bigint => (typeof v === 'bigint' ? v : 0n);

function readFooter(fd: number, file: string): { meta: Field[]; size: number } {
  const size = fstatSync(fd).size;
  const tail = Buffer.alloc(8);
  if (size < 12 || readSync(fd, tail, 0, 8, size - 8) !== 8 || !tail.subarray(4).equals(MAGIC)) throw bad(file, 'not a Parquet file');
  const len = tail.readUInt32LE(0);
  if (len > size - 12) throw bad(file, 'its footer length is wrong');
  const buf = Buffer.alloc(len);
  readSync(fd, buf, 0, len, size - 8 - len);
  return { meta: new Reader(buf).struct(), size };
}

/** The leaf count under each top-level column of a flattened schema (root first). */
function leavesPerColumn(schema: Field[][], file: string): { name: string; leaves: number; elements: Field[][] }[] {
  let i = 1;
  const subtree = (): { leaves: number; elements: Field[][] } => {
    const el = schema[i++];
    if (!el) throw bad(file, 'its schema ends early');
    const children = Number(num(get(el, SCHEMA.numChildren)));
    if (children === 0) return { leaves: 1, elements: [el] };
    const out = { leaves: 0, elements: [el] };
    for (let c = 0; c < children; c++) {
      const s = subtree();
      out.leaves += s.leaves;
      out.elements.push(...s.elements);
    }
    return out;
  };
  const columns = Number(num(get(schema[0]!, SCHEMA.numChildren)));
  const out = [];
  for (let c = 0; c < columns; c++) {
    const name = (get(schema[i]!, SCHEMA.name) as Buffer).toString('utf8');
    out.push({ name, ...subtree() });
  }
  return out;
}

/** Copy `length` bytes at `from` in src to the end of dest (at `to`). */
function copyRange(src: number, dest: number, from: number, to: number, length: number, buf: Buffer): void {
  let done = 0;
  while (done < length) {
    const n = readSync(src, buf, 0, Math.min(buf.length, length - done), from + done);
    if (n <= 0) throw new PinpipeError('INTERNAL', 'a Parquet file ended inside a column chunk');
    writeSync(dest, buf, 0, n, to + done);
    done += n;
  }
}

/**
 * Write to `dest` the Parquet file `src` with only the top-level columns `keep` (in the file's
 * order; each must exist). Returns the number of rows.
 */
export function projectParquet(src: string, dest: string, keep: readonly string[]): number {
  const fd = openSync(src, 'r');
  let out: number | null = null;
  try {
    const { meta } = readFooter(fd, src);
    const schema = (get(meta, FILE.schema) as ThriftList).items as Field[][];
    const columns = leavesPerColumn(schema, src);
    const missing = keep.filter((k) => !columns.some((c) => c.name === k));
    if (missing.length) throw bad(src, `it has no column ${missing.join(', ')}`);
    // leaf positions kept
    const kept: boolean[] = columns.flatMap((c) => Array<boolean>(c.leaves).fill(keep.includes(c.name)));
    const root = schema[0]!.map((f) => ({ ...f }));
    set(root, SCHEMA.numChildren, T.I32, BigInt(columns.filter((c) => keep.includes(c.name)).length));
    set(meta, FILE.schema, T.LIST, { elem: T.STRUCT, items: [root, ...columns.filter((c) => keep.includes(c.name)).flatMap((c) => c.elements)] });
    const orders = get(meta, FILE.columnOrders) as ThriftList | undefined;
    if (orders) set(meta, FILE.columnOrders, T.LIST, { elem: orders.elem, items: orders.items.filter((_, i) => kept[i]) });

    out = openSync(dest, 'w');
    writeSync(out, MAGIC, 0, 4, 0);
    let pos = 4;
    const buf = Buffer.allocUnsafe(COPY_BUFFER);
    for (const group of (get(meta, FILE.rowGroups) as ThriftList).items as Field[][]) {
      const chunks = (get(group, GROUP.columns) as ThriftList).items as Field[][];
      if (chunks.length !== kept.length) throw bad(src, 'a row group does not have one chunk per column');
      const start = pos;
      let uncompressed = 0n;
      const keptChunks: Field[][] = [];
      chunks.forEach((chunk, i) => {
        if (!kept[i]) return;
        if (get(chunk, CHUNK.filePath) !== undefined) throw bad(src, 'a column chunk lives in another file');
        const cm = get(chunk, CHUNK.meta) as Field[];
        const dict = get(cm, META.dictionaryPage) as bigint | undefined;
        const data = num(get(cm, META.dataPage));
        const from = dict !== undefined && dict > 0n && dict < data ? dict : data;
        const length = num(get(cm, META.compressed));
        copyRange(fd, out!, Number(from), pos, Number(length), buf);
        const delta = BigInt(pos) - from;
        for (const id of [META.dataPage, META.indexPage, META.dictionaryPage]) {
          const v = get(cm, id);
          if (typeof v === 'bigint' && v > 0n) set(cm, id, T.I64, v + delta);
        }
        set(cm, META.bloomOffset, T.I64, undefined);
        set(cm, META.bloomLength, T.I32, undefined);
        const fo = get(chunk, CHUNK.fileOffset);
        if (typeof fo === 'bigint') set(chunk, CHUNK.fileOffset, T.I64, fo + delta);
        for (const id of [CHUNK.offsetIndexOffset, CHUNK.offsetIndexLength, CHUNK.columnIndexOffset, CHUNK.columnIndexLength]) set(chunk, id, T.I64, undefined);
        uncompressed += num(get(cm, META.uncompressed));
        pos += Number(length);
        keptChunks.push(chunk);
      });
      set(group, GROUP.columns, T.LIST, { elem: T.STRUCT, items: keptChunks });
      set(group, GROUP.totalByteSize, T.I64, uncompressed);
      set(group, GROUP.sortingColumns, T.LIST, undefined);
      set(group, GROUP.fileOffset, T.I64, BigInt(start));
      set(group, GROUP.totalCompressedSize, T.I64, BigInt(pos - start));
    }
    const footer = new Writer().struct(meta).toBuffer();
    const tail = Buffer.alloc(8);
    tail.writeUInt32LE(footer.length, 0);
    MAGIC.copy(tail, 4);
    writeSync(out, footer, 0, footer.length, pos);
    writeSync(out, tail, 0, 8, pos + footer.length);
    return Number(num(get(meta, 3)));
  } finally {
    closeSync(fd);
    if (out !== null) closeSync(out);
  }
}

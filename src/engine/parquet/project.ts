/**
 * Drop top-level columns from a Parquet file without decoding or moving anything: only its footer
 * is rewritten (schema, row groups' column chunks and sizes, column orders), in place. The kept
 * columns' chunks stay where they are, with their encodings, compression, statistics, page indexes
 * and bloom filters; the dropped ones' bytes stay in the file unreferenced, as any reader skips
 * bytes no footer entry points to. batch-run writes a day's staged file with bookkeeping columns
 * beside the curated ones (a few percent of its size); this makes the curated file of it in
 * milliseconds instead of a copy.
 */
import { open, type FileHandle } from 'node:fs/promises';
import { PinpipeError } from '../../core/errors.js';
import { Reader, T, Writer, get, set, type Field, type ThriftList } from './thrift.js';

const MAGIC = Buffer.from('PAR1');

// field ids of parquet.thrift
const FILE = { schema: 2, numRows: 3, rowGroups: 4, columnOrders: 7 } as const;
const SCHEMA = { name: 4, numChildren: 5 } as const;
const GROUP = { columns: 1, totalByteSize: 2, sortingColumns: 4, fileOffset: 5, totalCompressedSize: 6 } as const;
const CHUNK = { meta: 3 } as const;
const META = { uncompressed: 6, compressed: 7, dataPage: 9, dictionaryPage: 11 } as const;

const bad = (file: string, what: string) => new PinpipeError('INTERNAL', `${file}: ${what}`);
const num = (v: unknown): bigint => (typeof v === 'bigint' ? v : 0n);

async function readFooter(fh: FileHandle, file: string): Promise<{ meta: Field[]; at: number }> {
  const { size } = await fh.stat();
  const tail = Buffer.alloc(8);
  if (size < 12 || (await fh.read(tail, 0, 8, size - 8)).bytesRead !== 8 || !tail.subarray(4).equals(MAGIC)) throw bad(file, 'not a Parquet file');
  const len = tail.readUInt32LE(0);
  if (len > size - 12) throw bad(file, 'its footer length is wrong');
  const buf = Buffer.alloc(len);
  await fh.read(buf, 0, len, size - 8 - len);
  return { meta: new Reader(buf).struct(), at: size - 8 - len };
}

/** The top-level columns of a flattened schema (root first): name, leaf count and schema elements. */
function columnsOf(schema: Field[][], file: string): { name: string; leaves: number; elements: Field[][] }[] {
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
  const out = [];
  for (let c = Number(num(get(schema[0]!, SCHEMA.numChildren))); c > 0; c--) {
    const name = (get(schema[i]!, SCHEMA.name) as Buffer | undefined)?.toString('utf8') ?? '';
    out.push({ name, ...subtree() });
  }
  return out;
}

/**
 * Keep only the top-level columns `keep` (each must exist; the file's order stays) of the Parquet
 * file `file`, in place. Returns the number of rows.
 */
export async function dropColumns(file: string, keep: readonly string[]): Promise<number> {
  const fh = await open(file, 'r+');
  try {
    const { meta, at } = await readFooter(fh, file);
    const schema = (get(meta, FILE.schema) as ThriftList).items as Field[][];
    const columns = columnsOf(schema, file);
    const missing = keep.filter((k) => !columns.some((c) => c.name === k));
    if (missing.length) throw bad(file, `it has no column ${missing.join(', ')}`);
    const kept = columns.flatMap((c) => Array<boolean>(c.leaves).fill(keep.includes(c.name)));
    const root = schema[0]!.map((f) => ({ ...f }));
    set(root, SCHEMA.numChildren, T.I32, BigInt(columns.filter((c) => keep.includes(c.name)).length));
    set(meta, FILE.schema, T.LIST, { elem: T.STRUCT, items: [root, ...columns.filter((c) => keep.includes(c.name)).flatMap((c) => c.elements)] });
    const orders = get(meta, FILE.columnOrders) as ThriftList | undefined;
    if (orders) set(meta, FILE.columnOrders, T.LIST, { elem: orders.elem, items: orders.items.filter((_, i) => kept[i]) });

    for (const group of (get(meta, FILE.rowGroups) as ThriftList).items as Field[][]) {
      const chunks = (get(group, GROUP.columns) as ThriftList).items as Field[][];
      if (chunks.length !== kept.length) throw bad(file, 'a row group does not have one chunk per column');
      const mine = chunks.filter((_, i) => kept[i]);
      let first: bigint | null = null;
      let compressed = 0n;
      let uncompressed = 0n;
      for (const chunk of mine) {
        const cm = get(chunk, CHUNK.meta) as Field[];
        const dict = get(cm, META.dictionaryPage);
        const data = num(get(cm, META.dataPage));
        const start = typeof dict === 'bigint' && dict > 0n && dict < data ? dict : data;
        if (first === null || start < first) first = start;
        compressed += num(get(cm, META.compressed));
        uncompressed += num(get(cm, META.uncompressed));
      }
      set(group, GROUP.columns, T.LIST, { elem: T.STRUCT, items: mine });
      set(group, GROUP.totalByteSize, T.I64, uncompressed);
      // sorting columns name leaf positions, which changed
      set(group, GROUP.sortingColumns, T.LIST, undefined);
      if (first !== null) set(group, GROUP.fileOffset, T.I64, first);
      set(group, GROUP.totalCompressedSize, T.I64, compressed);
    }
    // the new footer over the old one (nothing before it moves), then the file ends after it
    const footer = new Writer().struct(meta).toBuffer();
    const tail = Buffer.alloc(8);
    tail.writeUInt32LE(footer.length, 0);
    MAGIC.copy(tail, 4);
    await fh.write(Buffer.concat([footer, tail]), 0, footer.length + 8, at);
    await fh.truncate(at + footer.length + 8);
    return Number(num(get(meta, FILE.numRows)));
  } finally {
    await fh.close();
  }
}

/**
 * Where `pinpipe query` takes its SQL from, as psql and the DuckDB CLI do: the argument, a file
 * (`-f FILE`, `-f -` for standard input), or standard input (`-` as the argument, or no argument
 * while standard input is not a terminal: `pinpipe query < q.sql`, `echo 'SELECT 1' | pinpipe query`).
 */
import { readFile } from 'node:fs/promises';
import { PinpipeError } from '../core/errors.js';

export type SqlFrom = { from: 'arg'; text: string } | { from: 'file'; path: string } | { from: 'stdin' } | { from: 'none' };

export interface SqlInput {
  /** the positional arguments */
  args: string[];
  /** -f / --file */
  file?: string;
  /** something else than SQL was asked for (--metric, --list) */
  other: boolean;
  stdinIsTty: boolean;
}

/** Where the SQL comes from (pure). */
export function sqlFrom(i: SqlInput): SqlFrom {
  if (i.args.length > 1) throw new PinpipeError('USAGE', 'give the SQL as one argument (quote it), with -f FILE, or on standard input');
  const arg = i.args[0];
  if (i.file !== undefined) {
    if (arg !== undefined) throw new PinpipeError('USAGE', 'give the SQL either as an argument or with -f FILE, not both');
    return i.file === '-' ? { from: 'stdin' } : { from: 'file', path: i.file };
  }
  if (arg === '-') return { from: 'stdin' };
  if (arg !== undefined) return { from: 'arg', text: arg };
  return !i.other && !i.stdinIsTty ? { from: 'stdin' } : { from: 'none' };
}

async function readAll(stream: NodeJS.ReadableStream): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of stream) chunks.push(typeof c === 'string' ? Buffer.from(c) : (c as Buffer));
  return Buffer.concat(chunks).toString('utf8');
}

/** The SQL text, or undefined when none was given. */
export async function readSql(i: SqlInput, stdin: NodeJS.ReadableStream = process.stdin): Promise<string | undefined> {
  const src = sqlFrom(i);
  if (src.from === 'arg') return src.text;
  if (src.from === 'stdin') return readAll(stdin);
  if (src.from === 'file') {
    try {
      return await readFile(src.path, 'utf8');
    } catch (e) {
      throw new PinpipeError('USAGE', `-f ${src.path}: cannot read the file (${(e as NodeJS.ErrnoException).code ?? String(e)})`);
    }
  }
  return undefined;
}

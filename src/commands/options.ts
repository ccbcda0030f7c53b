/**
 * Each command's options are a zod schema, checked before the command runs and reported like
 * config errors: every problem at once, each naming the flag, its value and what is allowed
 * (`--count must be an integer >= 0 (0 = until stopped), got -1`; USAGE, exit 2). Commander
 * turns the text of numeric flags into numbers (cli.ts); the schemas say which values are allowed.
 */
import { z } from 'zod';
import { PinpipeError, isPinpipeError } from '../core/errors.js';
import type { CommandContext } from './context.js';

/** `--kebab-case` of an option key (`maxLag` → `--max-lag`) */
export const flagOf = (key: string): string => `--${key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;

/** the flags every command has, and its positional arguments */
export const COMMON = {
  dataDir: z.string().optional(),
  config: z.string().optional(),
  args: z.array(z.string()).default([]),
};

/** a presence flag (`--json`) */
export const flag = z.boolean().optional();
/** free text (checked elsewhere, e.g. by the config schema for flags that are settings) */
export const text = z.string().optional();
/** an integer that also satisfies ok */
export const integer = (rule: string, ok: (n: number) => boolean = () => true) => z.number().refine((n) => Number.isSafeInteger(n) && ok(n), rule);
/** a finite number that also satisfies ok */
export const number = (rule: string, ok: (n: number) => boolean = () => true) => z.number().refine((n) => Number.isFinite(n) && ok(n), rule);

/**
 * A check across flags that throws a USAGE error (e.g. checkSelection of batch-run's days),
 * reported with the schema's problems.
 */
export function usageCheck<T>(check: (opts: T) => void): (opts: T, ctx: z.core.$RefinementCtx<T>) => void {
  return (opts, ctx) => {
    try {
      check(opts);
    } catch (e) {
      if (!isPinpipeError(e) || e.code !== 'USAGE') throw e;
      ctx.addIssue({ code: 'custom', message: e.message, path: [] });
    }
  };
}

/** Check raw options with a schema: the parsed options, or one USAGE error naming every problem. */
export function parseOptions<S extends z.ZodType>(schema: S, raw: Record<string, unknown>): z.output<S> {
  const res = schema.safeParse(raw);
  if (res.success) return res.data;
  const lines = res.error.issues.map((i) => {
    if (i.code === 'unrecognized_keys') return `unknown option${i.keys.length > 1 ? 's' : ''} ${i.keys.map(flagOf).join(', ')}`;
    if (!i.path.length) return i.message;
    const key = String(i.path[0]);
    return `${flagOf(key)} ${i.code === 'invalid_type' ? `must be ${i.expected}` : i.message}, got ${JSON.stringify(raw[key])}`;
  });
  throw new PinpipeError('USAGE', lines.length === 1 ? lines[0]! : `invalid options:\n${lines.map((l) => `  ${l}`).join('\n')}`);
}

/** What cli.ts loads: run() checks the raw options with the command's schema, then runs it. */
export interface Command {
  run(raw: Record<string, unknown>, ctx: CommandContext): Promise<number>;
}

/**
 * A command from its options schema (or a schema that depends on the context, e.g. on a setting)
 * and its body, which receives the checked, typed options.
 */
export function defineCommand<S extends z.ZodType>(
  options: S | ((ctx: CommandContext) => S),
  run: (opts: z.output<S>, ctx: CommandContext) => Promise<number>,
): Command {
  return {
    run: (raw, ctx) => run(parseOptions(typeof options === 'function' ? options(ctx) : options, raw), ctx),
  };
}

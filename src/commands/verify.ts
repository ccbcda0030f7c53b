/**
 * pinpipe verify: the stream's final windows of every realtime metric against the batch layer's
 * recomputation from the raw zone (src/metrics/verify.ts). Exit 1 on any difference, 0 otherwise.
 */
import { z } from 'zod';
import type { CommandContext } from './context.js';
import { COMMON, defineCommand, flag, text, usageCheck } from './options.js';
import { open } from '../connectors/open.js';
import { PinpipeError } from '../core/errors.js';
import { checkDayFlag } from '../pipeline/batch-run/days.js';
import { loadMetrics } from '../metrics/registry.js';
import { verify, type VerifyResult } from '../metrics/verify.js';

const options = z
  .strictObject({
    ...COMMON,
    from: text,
    to: text,
    metric: text,
    json: flag,
    /** differences printed per metric (all with --json) */
    show: z.number().optional(),
    metricsDir: text,
  })
  .superRefine(
    usageCheck((o) => {
      const from = o.from === undefined ? undefined : checkDayFlag('--from', o.from);
      const to = o.to === undefined ? undefined : checkDayFlag('--to', o.to);
      if (from && to && from > to) throw new PinpipeError('USAGE', `--from ${from} is after --to ${to}: the range must run forward`);
    }),
  );

const fmt = (v: Record<string, number | null> | null) =>
  v
    ? Object.entries(v)
        .map(([k, x]) => `${k}=${x === null ? 'NULL' : x}`)
        .join(' ')
    : '(no row)';

export function verifyText(r: VerifyResult, show = 20): string {
  const lines: string[] = [];
  if (r.watermark) lines.push(`stream watermark ${r.watermark}`);
  for (const m of r.metrics) {
    const head = `${m.metric}: ${m.windows} windows, ${m.rows} rows compared over ${m.days.length} day(s)`;
    lines.push(m.differences.length ? `${head}: ${m.differences.length} DIFFER` : `${head}: equal`);
    for (const d of m.differences.slice(0, show)) {
      const key = Object.entries(d.key)
        .map(([k, v]) => `${k}=${JSON.stringify(v)}`)
        .join(' ');
      lines.push(`  ${d.minute}${key ? ` ${key}` : ''}: stream ${fmt(d.stream)} | batch ${fmt(d.batch)}`);
    }
    if (m.differences.length > show) lines.push(`  … and ${m.differences.length - show} more (--json lists all)`);
    for (const n of m.notes) lines.push(`  note: ${n}`);
  }
  lines.push(
    r.differences ? `${r.differences} row(s) differ between the stream and the batch layer` : 'the stream and the batch layer agree on every compared window',
  );
  return lines.join('\n') + '\n';
}

export const command = defineCommand(options, run);

async function run(opts: z.output<typeof options>, ctx: CommandContext): Promise<number> {
  const { from, to } = opts;
  const metrics = await loadMetrics(ctx.config);
  let chosen = metrics.realtime;
  if (opts.metric) {
    const m = metrics.get(opts.metric);
    if (m.kind !== 'realtime')
      throw new PinpipeError(
        'USAGE',
        `${m.id} is a historical metric: verify compares the stream's windows of realtime metrics with the batch layer's (${metrics.realtime.map((x) => x.id).join(', ')})`,
      );
    chosen = [m];
  }
  await using c = await open(ctx.config, { store: true, realtime: metrics.realtime });
  const result = await verify(c.store, c.realtime, chosen, { from, to, group: ctx.config.stream.group, joinWindow: ctx.config.stream.joinWindow });
  ctx.out(opts.json ? JSON.stringify(result) + '\n' : verifyText(result, opts.show));
  return result.differences ? 1 : 0;
}

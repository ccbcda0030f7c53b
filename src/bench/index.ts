/**
 * `npm run bench`: measure every stage of pinpipe against its target (pipeline.md "Performance
 * targets"). Each role runs as a child process of the real CLI on a fresh stack. See BENCHMARKS.md.
 *
 *   npm run bench                      every stage, embedded stack
 *   npm run bench -- --quick           smaller sizes (about two minutes)
 *   npm run bench -- --stage api       one stage (repeatable)
 *   npm run bench -- --real            real Kafka, S3, MySQL, Redis (npm run services:up first)
 *   npm run bench -- --real --lake local   the same with the lake in a local directory
 *   npm run bench -- --json            machine output on stdout
 *   npm run bench -- --profile         CPU-profile the roles and summarize the top functions
 */
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { REPO } from './child.js';
import { machine } from './machine.js';
import { formatProfile, summarizeProfileFiles } from './profile.js';
import { formatJson, formatTable, type Report } from './report.js';
import { apiStage } from './stages/api.js';
import { batchRunStage, queryStage } from './stages/batch.js';
import { consumeBatchStage, consumeStreamStage } from './stages/consume.js';
import { freshnessDashboardStage, freshnessStage } from './stages/freshness.js';
import type { BenchContext, Row, Sizes, Stage } from './types.js';

export const STAGES: Stage[] = [apiStage, consumeBatchStage, consumeStreamStage, freshnessStage, freshnessDashboardStage, batchRunStage, queryStage];

export const SIZES: Record<'quick' | 'full', Sizes> = {
  quick: { consumeRecords: 200_000, batchRecords: [1_000_000], apiSeconds: 5, freshnessSeconds: 8 },
  full: { consumeRecords: 1_000_000, batchRecords: [1_000_000, 10_000_000], apiSeconds: 15, freshnessSeconds: 20 },
};

const HELP = `usage: npm run bench -- [--quick] [--stage NAME]... [--real [--lake s3|local]] [--json] [--profile]
stages: ${STAGES.map((s) => `\n  ${s.name.padEnd(15)} ${s.summary}`).join('')}
`;

async function main(argv: string[]): Promise<number> {
  let args;
  try {
    args = parseArgs({
      args: argv,
      options: {
        quick: { type: 'boolean', default: false },
        real: { type: 'boolean', default: false },
        lake: { type: 'string', default: 's3' },
        json: { type: 'boolean', default: false },
        profile: { type: 'boolean', default: false },
        stage: { type: 'string', multiple: true },
        help: { type: 'boolean', short: 'h', default: false },
      },
    }).values;
  } catch (e) {
    process.stderr.write(`bench: ${(e as Error).message}\n${HELP}`);
    return 2;
  }
  if (args.help) {
    process.stdout.write(HELP);
    return 0;
  }
  if (args.lake !== 's3' && args.lake !== 'local') {
    process.stderr.write(`bench: --lake must be s3 or local, got ${JSON.stringify(args.lake)}\n${HELP}`);
    return 2;
  }
  if (args.lake === 'local' && !args.real) {
    process.stderr.write(`bench: --lake local only applies with --real (the embedded stack's lake is always local)\n${HELP}`);
    return 2;
  }
  const unknown = (args.stage ?? []).filter((n) => !STAGES.some((s) => s.name === n));
  if (unknown.length) {
    process.stderr.write(`bench: unknown stage ${unknown.join(', ')}\n${HELP}`);
    return 2;
  }
  const chosen = args.stage?.length ? STAGES.filter((s) => args.stage!.includes(s.name)) : STAGES;
  const lake = args.real ? args.lake : 'local';
  const t0 = performance.now();
  const elapsed = () => `${Math.round((performance.now() - t0) / 1000)}s`.padStart(5);
  const ctx: BenchContext = {
    real: args.real,
    lake,
    quick: args.quick,
    profile: args.profile,
    profileDir: args.profile ? mkdtempSync(path.join(os.tmpdir(), 'pinpipe-bench-profiles-')) : '',
    sizes: SIZES[args.quick ? 'quick' : 'full'],
    log: (msg) => process.stderr.write(`[bench ${elapsed()}] ${msg}\n`),
    cleanups: [],
    shared: new Map(),
  };
  const report: Report = {
    machine: machine(),
    mode: { stack: args.real ? 'real' : 'embedded', lake, quick: args.quick, profile: args.profile, stages: chosen.map((s) => s.name) },
    rows: [],
    seconds: 0,
  };
  try {
    for (const stage of chosen) {
      ctx.log(`stage ${stage.name}: ${stage.summary}`);
      let rows: Row[];
      try {
        rows = await stage.run(ctx);
      } catch (e) {
        rows = [{ stage: stage.name, measured: '–', target: '', status: 'failed', note: `harness error: ${(e as Error).stack ?? String(e)}`.slice(0, 600) }];
      }
      const load = Math.round(os.loadavg()[0]! * 10) / 10;
      for (const r of rows) {
        r.loadAvg1 = load;
        ctx.log(`  ${r.stage}: ${r.measured} (target ${r.target || '–'}) ${r.status}`);
      }
      report.rows.push(...rows);
    }
  } finally {
    for (const c of ctx.cleanups.reverse()) await c().catch(() => undefined);
  }
  if (args.profile) {
    report.profiles = {};
    const seen = new Set<string>();
    for (const r of report.rows) {
      const files = r.details?.profile;
      if (!Array.isArray(files) || files.length === 0 || seen.has(files[0])) continue;
      seen.add(files[0]);
      const label = `${r.stage} (${files.length} thread${files.length > 1 ? 's' : ''}, ${path.dirname(files[0])})`;
      try {
        report.profiles[label] = formatProfile(summarizeProfileFiles(files, REPO));
      } catch (e) {
        report.profiles[label] = [`  cannot read the profile: ${(e as Error).message}`];
      }
    }
  }
  report.seconds = (performance.now() - t0) / 1000;
  process.stdout.write(args.json ? formatJson(report) : formatTable(report));
  return report.rows.some((r) => r.status === 'failed') ? 1 : 0;
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (e) => {
    process.stderr.write(`bench: ${(e as Error).stack ?? String(e)}\n`);
    process.exitCode = 1;
  },
);

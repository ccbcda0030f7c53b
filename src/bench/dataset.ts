/**
 * A lake for batch-run and query: a fresh stack whose raw zone holds N generated records of one
 * day (rawgen, written straight into the local lake directory; on the real stack uploaded to S3
 * through the lake connector), with `_SUCCESS` markers.
 */
import { readdirSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { open } from '../connectors/open.js';
import { generateRaw, rawSpec, type GenerateResult } from './rawgen/run.js';
import { makeStack, type Stack } from './stack.js';
import type { BenchContext } from './types.js';

export interface Dataset {
  stack: Stack;
  records: number;
  day: string;
  gen: GenerateResult;
  /** batch-run has curated this day */
  curated: boolean;
}

/** Yesterday (UTC): a whole past day, like the one a nightly batch-run processes. */
export function benchDay(now = Date.now()): string {
  return new Date(now - 86_400_000).toISOString().slice(0, 10);
}

async function upload(stack: Stack, dir: string): Promise<void> {
  await using c = await open(stack.config, { lake: true });
  const { lake } = c;
  const files: string[] = [];
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else files.push(p);
    }
  };
  walk(path.join(dir, 'raw'));
  let next = 0;
  await Promise.all(
    Array.from({ length: 16 }, async () => {
      while (next < files.length) {
        const f = files[next++]!;
        await lake.put(path.relative(dir, f).split(path.sep).join('/'), readFileSync(f));
      }
    }),
  );
}

export async function makeDataset(ctx: BenchContext, records: number): Promise<Dataset> {
  const stack = await makeStack({ real: ctx.real, lake: ctx.lake, label: `lake-${records}` });
  const day = benchDay();
  const dir = stack.s3 ? path.join(stack.dataDir, 'gen') : path.join(stack.dataDir, 'lake');
  ctx.log(`raw generator: ${records.toLocaleString('en-US')} records for ${day} on ${os.availableParallelism()} worker threads`);
  const gen = await generateRaw(rawSpec({ records, day, seed: 1 }), dir);
  ctx.log(
    `raw generator: ${gen.objects} objects, ${(gen.gzBytes / 2 ** 20).toFixed(0)} MiB gzip (${(gen.rawBytes / 2 ** 20).toFixed(0)} MiB of lines) in ${gen.seconds.toFixed(1)} s`,
  );
  if (stack.s3) {
    ctx.log('raw generator: uploading to S3');
    await upload(stack, dir);
  }
  return { stack, records, day, gen, curated: false };
}

/**
 * The built package carries the built-in metric files checked at build time (npm run build runs
 * scripts/precheck-metrics.mjs): a role with only the built-in metrics starts on a fresh data
 * directory without checking them again, and gives what a full check gives.
 */
import { afterAll, expect, test } from '@jest/globals';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const BIN = path.resolve('bin/pinpipe');
const PKG = path.resolve('dist/metrics/checked');
const tmp = mkdtempSync(path.join(os.tmpdir(), 'pinpipe-pkg-cache-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('PINPIPE_')));
const run = (args: string[]) => execFileSync(process.execPath, [BIN, ...args, '--json'], { cwd: tmp, env, encoding: 'utf8' });

test('metrics list on a fresh data dir is answered by the entry the build wrote, equal to a full check', () => {
  expect(readdirSync(PKG).filter((n) => n.endsWith('.json'))).toHaveLength(1);
  const dataDir = path.join(tmp, 'data');
  mkdirSync(dataDir);
  const listed = JSON.parse(run(['metrics', 'list', '--data-dir', dataDir])) as { id: string; file: string }[];
  expect(listed.map((m) => m.id)).toEqual(['Q1', 'Q2', 'Q3a', 'Q3b', 'Q4', 'Q5', 'Q6', 'Q7', 'Q8', 'R1', 'R2', 'R3', 'R4', 'R5']);
  expect(listed[0]!.file).toBe(path.resolve('src/metrics/builtin/Q1.sql')); // the path as read from this cwd
  // answered by the package: the data dir got no entry of its own (a miss would have written one)
  expect(existsSync(path.join(dataDir, 'cache'))).toBe(false);
  const shown = JSON.parse(run(['metrics', 'show', 'R2', '--data-dir', dataDir])) as unknown;
  const checkedDir = path.join(tmp, 'checked');
  mkdirSync(checkedDir);
  // the same definition after a full check (metrics check never reads a cache), then from its data-dir entry
  execFileSync(process.execPath, [BIN, 'metrics', 'check', '--data-dir', checkedDir], { cwd: tmp, env, encoding: 'utf8' });
  expect(JSON.parse(run(['metrics', 'show', 'R2', '--data-dir', checkedDir]))).toEqual(shown);
});

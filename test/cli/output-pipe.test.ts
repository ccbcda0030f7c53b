/**
 * The built CLI's output to a pipe: a reader that goes away early (`pinpipe query … | head`) ends
 * the process quietly with exit code 0, no EPIPE stack trace; a reader slower than the command
 * (a pager) gets every byte: the exit that follows a finished command (src/cli.ts exitWhenDone)
 * waits for output still in flight, however long past its grace period.
 */
import { expect, test } from '@jest/globals';
import { spawn } from 'node:child_process';
import { BIN, CWD, childEnv } from '../faults/lib/proc.js';
import { tempDirs } from '../support/tmp.js';

const temp = tempDirs('all');

function query(rows: number) {
  return spawn(process.execPath, [BIN, 'query', `SELECT range AS x FROM range(${rows})`, '--json', '--data-dir', temp.make('pinpipe-pipe-')], {
    cwd: CWD,
    env: childEnv(),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

const exited = (p: ReturnType<typeof query>) => new Promise<number | null>((resolve) => p.on('exit', (code) => resolve(code)));

test('a reader that goes away after the first bytes: exit code 0, nothing on stderr about it', async () => {
  const p = query(3_000_000);
  let err = '';
  p.stderr.on('data', (d) => (err += d));
  p.stdout.once('data', () => p.stdout.destroy());
  expect(await exited(p)).toBe(0);
  expect(err).not.toMatch(/EPIPE|Error|still running/);
});

test('a reader that starts 7 s late (past the 5 s exit grace) still gets every row', async () => {
  const rows = 400_000;
  const p = query(rows);
  let err = '';
  p.stderr.on('data', (d) => (err += d));
  p.stdout.pause();
  const chunks: Buffer[] = [];
  p.stdout.on('data', (d: Buffer) => chunks.push(d));
  p.stdout.pause();
  const code = exited(p);
  await new Promise((r) => setTimeout(r, 7_000));
  p.stdout.resume();
  expect(await code).toBe(0);
  const out = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { x: number }[];
  expect([out.length, out[0]?.x, out[rows - 1]?.x]).toEqual([rows, 0, rows - 1]);
  expect(err).not.toMatch(/still running/);
}, 30_000);

/** Issue 11, item 9, through the CLI: the data dir is checked before anything is created (exit 2 naming the setting and path). */
import { describe, expect, test } from '@jest/globals';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { exitWithin, startCli } from '../faults/lib/proc.js';

describe('the CLI checks the data dir before anything else', () => {
  const run = async (args: string[], env: Record<string, string> = {}) => {
    const p = startCli('pinpipe', args, { env });
    const e = await exitWithin(p, 20_000);
    return { code: e.code, timedOut: e.timedOut, err: p.stderr() };
  };

  test('PINPIPE_DATA_DIR under /proc: exit 2 naming the setting and the path (it used to spin for ever)', async () => {
    const r = await run(['query', 'SELECT 1'], { PINPIPE_DATA_DIR: '/proc/nonexistent' });
    expect(r).toEqual({
      code: 2,
      timedOut: false,
      err: expect.stringContaining('dataDir (--data-dir, PINPIPE_DATA_DIR or the config file): /proc/nonexistent is on /proc'),
    });
  });

  test.each(['query', 'batch-run', 'consume-batch', 'api'])('a data dir that is a file: %s exits 2 and creates nothing', async (cmd) => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'pinpipe-datadir-'));
    const file = path.join(dir, 'not-a-dir');
    writeFileSync(file, 'x');
    const args = cmd === 'query' ? ['query', 'SELECT 1'] : cmd === 'api' ? ['api', '--port', '0'] : [cmd, ...(cmd === 'consume-batch' ? ['--until-idle'] : [])];
    const r = await run([...args, '--data-dir', path.join(file, 'sub')]);
    expect(r).toEqual({ code: 2, timedOut: false, err: expect.stringContaining(`${file} is a file, so ${path.join(file, 'sub')} cannot be created there`) });
    const r2 = await run([...args, '--data-dir', file]);
    expect(r2.code).toBe(2);
    expect(r2.err).toContain(`${file} is a file: the data directory must be a directory`);
    expect(existsSync(path.join(dir, 'tmp'))).toBe(false);
  });
});

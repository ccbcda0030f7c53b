/**
 * Issue 11, item 9: the data dir is checked before anything is created: under /proc (Node's
 * recursive mkdir loops there for ever) or not a directory → exit 2 naming the setting and path.
 */
import { describe, expect, test } from '@jest/globals';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { dataDirProblem, type FsProbe, type PathKind } from '../../src/core/data-dir.js';
import { exitWithin, startCli } from '../faults/lib/proc.js';

/** A fake file system: path → kind; realpath follows `links`; fsType by prefix. */
function fake(paths: Record<string, PathKind>, opts: { links?: Record<string, string>; fs?: Record<string, number> } = {}): FsProbe {
  return {
    kind: (p) => paths[p] ?? null,
    realpath: (p) => opts.links?.[p] ?? p,
    fsType: (p) => Object.entries(opts.fs ?? {}).find(([prefix]) => p.startsWith(prefix))?.[1] ?? 0xef53,
  };
}

describe('dataDirProblem', () => {
  const base = { '/': 'dir', '/home': 'dir', '/home/u': 'dir', '/proc': 'dir', '/srv': 'dir', '/srv/f': 'file', '/dev/null': 'other', '/dev': 'dir' } as Record<string, PathKind>;
  test.each([
    ['/home/u/.pinpipe', null],
    ['/home/u', null],
    ['/home/u/a/b/c', null],
    ['/proc/nonexistent', '/proc/nonexistent is on /proc (not storage): choose a directory on a disk'],
    ['/proc', '/proc is on /proc (not storage): choose a directory on a disk'],
    ['/srv/f', '/srv/f is a file: the data directory must be a directory'],
    ['/srv/f/sub', '/srv/f is a file, so /srv/f/sub cannot be created there'],
    ['/dev/null', '/dev/null is not a directory: the data directory must be a directory'],
  ])('%s → %s', (dir, want) => expect(dataDirProblem(dir, fake(base))).toBe(want));

  test('a symbolic link into /proc, and a kernel file system mounted elsewhere, are refused', () => {
    expect(dataDirProblem('/home/u/link/x', fake({ ...base, '/home/u/link': 'dir' }, { links: { '/home/u/link': '/proc/self' } }))).toBe('/home/u/link/x is on /proc (not storage): choose a directory on a disk');
    expect(dataDirProblem('/mnt/p/x', fake({ ...base, '/mnt': 'dir', '/mnt/p': 'dir' }, { fs: { '/mnt/p': 0x9fa0 } }))).toBe('/mnt/p/x is on a kernel file system (not storage): choose a directory on a disk');
  });
});

describe('the CLI checks the data dir before anything else', () => {
  const run = async (args: string[], env: Record<string, string> = {}) => {
    const p = startCli('pinpipe', args, { env });
    const e = await exitWithin(p, 20_000);
    return { code: e.code, timedOut: e.timedOut, err: p.stderr() };
  };

  test('PINPIPE_DATA_DIR under /proc: exit 2 naming the setting and the path (it used to spin for ever)', async () => {
    const r = await run(['query', 'SELECT 1'], { PINPIPE_DATA_DIR: '/proc/nonexistent' });
    expect(r).toEqual({ code: 2, timedOut: false, err: expect.stringContaining('dataDir (--data-dir, PINPIPE_DATA_DIR or the config file): /proc/nonexistent is on /proc') });
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

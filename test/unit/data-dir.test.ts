/**
 * Issue 11, item 9: the data dir is checked before anything is created: under /proc (Node's
 * recursive mkdir loops there for ever) or not a directory → exit 2 naming the setting and path.
 */
import { describe, expect, test } from '@jest/globals';
import { dataDirProblem, type FsProbe, type PathKind } from '../../src/core/data-dir.js';

/** A fake file system: path → kind; realpath follows `links`; fsType by prefix. */
function fake(paths: Record<string, PathKind>, opts: { links?: Record<string, string>; fs?: Record<string, number> } = {}): FsProbe {
  return {
    kind: (p) => paths[p] ?? null,
    realpath: (p) => opts.links?.[p] ?? p,
    fsType: (p) => Object.entries(opts.fs ?? {}).find(([prefix]) => p.startsWith(prefix))?.[1] ?? 0xef53,
  };
}

describe('dataDirProblem', () => {
  const base = { '/': 'dir', '/home': 'dir', '/home/u': 'dir', '/proc': 'dir', '/srv': 'dir', '/srv/f': 'file', '/dev/null': 'other', '/dev': 'dir' } as Record<
    string,
    PathKind
  >;
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
    expect(dataDirProblem('/home/u/link/x', fake({ ...base, '/home/u/link': 'dir' }, { links: { '/home/u/link': '/proc/self' } }))).toBe(
      '/home/u/link/x is on /proc (not storage): choose a directory on a disk',
    );
    expect(dataDirProblem('/mnt/p/x', fake({ ...base, '/mnt': 'dir', '/mnt/p': 'dir' }, { fs: { '/mnt/p': 0x9fa0 } }))).toBe(
      '/mnt/p/x is on a kernel file system (not storage): choose a directory on a disk',
    );
  });
});

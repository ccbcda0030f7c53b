/** Temporary directories of a test file (data dirs, lakes, lock dirs), removed for it. */
import { afterAll, afterEach } from '@jest/globals';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export interface TempDirs {
  /** a new empty directory under the OS's temp dir, named `<label><random>` */
  make(label?: string): string;
  /** remove this directory (made elsewhere) with the others */
  track(dir: string): string;
}

/**
 * Directories removed after each test (`each`) or after the file's last test (`all`). Call it at
 * a test file's top level: it registers the jest hook there.
 */
export function tempDirs(removeAfter: 'each' | 'all' = 'each'): TempDirs {
  const dirs: string[] = [];
  (removeAfter === 'each' ? afterEach : afterAll)(() => {
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });
  const track = (dir: string): string => {
    dirs.push(dir);
    return dir;
  };
  return { track, make: (label = 'pinpipe-') => track(mkdtempSync(path.join(os.tmpdir(), label))) };
}

/**
 * The data directory is checked once, before any command creates anything in it: it must be a
 * directory (or creatable as one) on a real file system. Node's recursive mkdir loops for ever
 * under /proc, and a data dir that is a file fails deep inside a connector; both become one clear
 * configuration error (exit 2) naming the setting and the path.
 */
import { realpathSync, statSync, statfsSync } from 'node:fs';
import path from 'node:path';
import { PinpipeError } from './errors.js';

export type PathKind = 'dir' | 'file' | 'other' | null;

/** What the check needs to know of the file system (a fake in tests). */
export interface FsProbe {
  /** null when nothing exists at the path */
  kind(p: string): PathKind;
  realpath(p: string): string;
  /** statfs type of the file system holding p, when known */
  fsType(p: string): number | undefined;
}

/** Kernel file systems that are not storage (statfs f_type): proc, sysfs, cgroup, cgroup2, debugfs, securityfs, devpts. */
const VIRTUAL_FS = new Set([0x9fa0, 0x62656572, 0x27e0eb, 0x63677270, 0x64626720, 0x73636673, 0x1cd1]);
const VIRTUAL_ROOTS = ['/proc', '/sys'];

const SETTING = 'dataDir (--data-dir, PINPIPE_DATA_DIR or the config file)';

/** Why `dir` cannot be the data directory, or null when it can. */
export function dataDirProblem(dir: string, fs: FsProbe): string | null {
  let existing = dir;
  while (fs.kind(existing) === null && path.dirname(existing) !== existing) existing = path.dirname(existing);
  const kind = fs.kind(existing);
  if (kind !== 'dir') {
    if (existing === dir) return `${dir} is ${kind === 'file' ? 'a file' : 'not a directory'}: the data directory must be a directory`;
    return `${existing} is ${kind === 'file' ? 'a file' : 'not a directory'}, so ${dir} cannot be created there`;
  }
  const real = fs.realpath(existing);
  const root = VIRTUAL_ROOTS.find((r) => real === r || real.startsWith(`${r}/`));
  if (root || VIRTUAL_FS.has(fs.fsType(existing) ?? -1)) {
    return `${dir} is on ${root ?? 'a kernel file system'} (not storage): choose a directory on a disk`;
  }
  return null;
}

export const nodeFs: FsProbe = {
  kind(p) {
    try {
      const st = statSync(p);
      return st.isDirectory() ? 'dir' : st.isFile() ? 'file' : 'other';
    } catch {
      return null;
    }
  },
  realpath: (p) => realpathSync(p),
  fsType(p) {
    try {
      return statfsSync(p).type;
    } catch {
      return undefined;
    }
  },
};

/** Throws CONFIG_INVALID (exit 2) when the data directory cannot be used. */
export function assertDataDir(dir: string, fs: FsProbe = nodeFs): void {
  const problem = dataDirProblem(dir, fs);
  if (problem) throw new PinpipeError('CONFIG_INVALID', `invalid configuration:\n  ${SETTING}: ${problem}`);
}

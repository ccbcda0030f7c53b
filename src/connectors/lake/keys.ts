/** Lake key rules shared by both lake implementations. */
import { PinpipeError } from '../../core/errors.js';

/** Basename prefix of temporary files (local lake, S3 cache); never listed as objects. */
export const TMP_PREFIX = '.tmp.';

/**
 * A key is a relative, '/'-separated path: no leading '/', no empty, '.' or '..' segment, no
 * backslash or NUL, no segment starting with the temporary-file prefix.
 */
export function checkKey(key: string): string {
  const bad = (why: string) => new PinpipeError('INTERNAL', `invalid lake key ${JSON.stringify(key)}: ${why}`);
  if (typeof key !== 'string' || key.length === 0) throw bad('must be a non-empty string');
  if (key.length > 1024) throw bad('must be at most 1024 characters');
  if (/[\\\0]/.test(key)) throw bad('must not contain a backslash or NUL');
  for (const seg of key.split('/')) {
    if (seg === '' || seg === '.' || seg === '..') throw bad("segments must be non-empty and not '.' or '..'");
    if (seg.startsWith(TMP_PREFIX)) throw bad(`segments must not start with ${TMP_PREFIX}`);
  }
  return key;
}

/** A prefix is '' or the start of a key (it may end with '/', e.g. `curated/pins/`). */
export function checkPrefix(prefix: string): string {
  if (prefix === '') return prefix;
  checkKey(prefix.endsWith('/') ? prefix.slice(0, -1) : prefix);
  return prefix;
}

/**
 * One conformance suite for every Lake implementation (local directory, S3). Each test gets a
 * fresh, empty lake from setup() and calls cleanup() afterwards.
 */
import { beforeEach, describe, expect, test } from '@jest/globals';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Lake } from '../../src/connectors/lake/types.js';
import { connectorHarness } from '../support/conformance.js';

export interface LakeFixture {
  lake: Lake;
  cleanup(): Promise<void>;
}

/** every file under dir, as relative '/'-separated path → bytes */
function filesUnder(dir: string): Map<string, Buffer> {
  const out = new Map<string, Buffer>();
  const walk = (d: string, rel: string) => {
    for (const name of readdirSync(d).sort()) {
      const full = path.join(d, name);
      if (statSync(full).isDirectory()) walk(full, `${rel}${name}/`);
      else out.set(rel + name, readFileSync(full));
    }
  };
  walk(dir, '');
  return out;
}

export function lakeConformance(name: string, setup: () => Promise<LakeFixture>): void {
  describe(`Lake conformance: ${name}`, () => {
    const h = connectorHarness(
      setup,
      (fx) => fx.lake,
      (l) => l.connect(),
    );
    let lake: Lake;
    beforeEach(() => void (lake = h.main));

    test('lifecycle: health() answers; close() may be called twice', async () => {
      await expect(lake.health()).resolves.toBeUndefined();
      await lake.close();
      await lake.close();
    });

    test('put then get, exists; a missing key is null and does not exist', async () => {
      expect(await lake.get('raw/pin/none.ndjson.gz')).toBeNull();
      expect(await lake.exists('raw/pin/none.ndjson.gz')).toBe(false);
      await lake.put('raw/pin/dt=2026-11-27/hr=10/a.txt', 'hello lake\n');
      expect((await lake.get('raw/pin/dt=2026-11-27/hr=10/a.txt'))!.toString('utf8')).toBe('hello lake\n');
      expect(await lake.exists('raw/pin/dt=2026-11-27/hr=10/a.txt')).toBe(true);
      // a "directory" is not an object
      expect(await lake.exists('raw/pin/dt=2026-11-27')).toBe(false);
      expect(await lake.get('raw/pin/dt=2026-11-27')).toBeNull();
    });

    test('binary bodies and empty bodies round-trip byte for byte', async () => {
      const bin = Buffer.from(Array.from({ length: 256 }, (_, i) => i));
      const rnd = randomBytes(100_003);
      await lake.put('bin/all-bytes', bin);
      await lake.put('bin/random', rnd);
      await lake.put('bin/empty', Buffer.alloc(0));
      expect((await lake.get('bin/all-bytes'))!.equals(bin)).toBe(true);
      expect((await lake.get('bin/random'))!.equals(rnd)).toBe(true);
      expect((await lake.get('bin/empty'))!.length).toBe(0);
      expect(await lake.exists('bin/empty')).toBe(true);
      expect(await lake.list('bin/')).toEqual([
        { key: 'bin/all-bytes', size: 256 },
        { key: 'bin/empty', size: 0 },
        { key: 'bin/random', size: 100_003 },
      ]);
    });

    test('list is sorted by key, recursive, and filters by any prefix', async () => {
      const keys = [
        'raw/pin/dt=2026-11-27/hr=10/b',
        'raw/pin/dt=2026-11-27/hr=09/z',
        'raw/geo/dt=2026-11-27/hr=10/a',
        'raw/pinx/a',
        'curated/pins/dt=2026-11-27/part-0.parquet',
        'raw/pin/dt=2026-11-26/_SUCCESS',
      ];
      for (const k of keys) await lake.put(k, k);
      const all = await lake.list('');
      expect(all.map((o) => o.key)).toEqual([...keys].sort());
      expect(all.every((o) => o.size === Buffer.byteLength(o.key))).toBe(true);
      expect((await lake.list('raw/pin/')).map((o) => o.key)).toEqual([
        'raw/pin/dt=2026-11-26/_SUCCESS',
        'raw/pin/dt=2026-11-27/hr=09/z',
        'raw/pin/dt=2026-11-27/hr=10/b',
      ]);
      expect((await lake.list('raw/pin')).map((o) => o.key)).toEqual([
        'raw/pin/dt=2026-11-26/_SUCCESS',
        'raw/pin/dt=2026-11-27/hr=09/z',
        'raw/pin/dt=2026-11-27/hr=10/b',
        'raw/pinx/a',
      ]);
      expect((await lake.list('raw/pin/dt=2026-11-2')).map((o) => o.key)).toHaveLength(3);
      expect((await lake.list('raw/pin/dt=2026-11-27/hr=1')).map((o) => o.key)).toEqual(['raw/pin/dt=2026-11-27/hr=10/b']);
      expect(await lake.list('nothing/here/')).toEqual([]);
      expect(await lake.list('raw/pin/dt=2026-11-27/hr=10/b')).toEqual([{ key: 'raw/pin/dt=2026-11-27/hr=10/b', size: 29 }]);
    });

    test('list pages through many objects', async () => {
      const keys = Array.from({ length: 1105 }, (_, i) => `many/k${String(i).padStart(5, '0')}`);
      for (let i = 0; i < keys.length; i += 50) await Promise.all(keys.slice(i, i + 50).map((k) => lake.put(k, 'x')));
      const listed = await lake.list('many/');
      expect(listed.length).toBe(1105);
      expect(listed.map((o) => o.key)).toEqual(keys);
      await lake.delete(keys);
      expect(await lake.list('many/')).toEqual([]);
    });

    test('put overwrites an object', async () => {
      await lake.put('o/k', 'first version, longer');
      await lake.put('o/k', 'second');
      expect((await lake.get('o/k'))!.toString()).toBe('second');
      expect(await lake.list('o/')).toEqual([{ key: 'o/k', size: 6 }]);
    });

    test('delete removes objects and ignores missing keys', async () => {
      await lake.put('d/a', 'a');
      await lake.put('d/b', 'b');
      await lake.put('d/sub/c', 'c');
      await lake.delete(['d/a', 'd/sub/c', 'd/missing']);
      expect(await lake.exists('d/a')).toBe(false);
      expect(await lake.get('d/sub/c')).toBeNull();
      expect((await lake.list('d/')).map((o) => o.key)).toEqual(['d/b']);
      await lake.delete([]);
      expect((await lake.list('')).map((o) => o.key)).toEqual(['d/b']);
    });

    test('copy creates or replaces the target with the source bytes; a missing source is false', async () => {
      const bin = randomBytes(70_001);
      await lake.put('c/src/part 1=x.bin', bin);
      await lake.put('c/dst/old.bin', 'an older, different object');
      expect(await lake.copy('c/src/part 1=x.bin', 'c/dst/new.bin')).toBe(true);
      expect(await lake.copy('c/src/part 1=x.bin', 'c/dst/old.bin')).toBe(true);
      expect((await lake.get('c/dst/new.bin'))!.equals(bin)).toBe(true);
      expect((await lake.get('c/dst/old.bin'))!.equals(bin)).toBe(true);
      expect(await lake.copy('c/src/missing', 'c/dst/other')).toBe(false);
      expect(await lake.exists('c/dst/other')).toBe(false);
      expect(await lake.list('c/')).toEqual([
        { key: 'c/dst/new.bin', size: bin.length },
        { key: 'c/dst/old.bin', size: bin.length },
        { key: 'c/src/part 1=x.bin', size: bin.length },
      ]);
    });

    test('a body over 8 MiB round-trips', async () => {
      const big = randomBytes(8 * 1024 * 1024 + 1_234_567);
      await lake.put('big/object.bin', big);
      const back = await lake.get('big/object.bin');
      expect(back!.length).toBe(big.length);
      expect(back!.equals(big)).toBe(true);
      expect(await lake.list('big/')).toEqual([{ key: 'big/object.bin', size: big.length }]);
    });

    test('prepareFile leaves the file as it is and never fails; putFile then publishes it', async () => {
      const dir = mkdtempSync(path.join(os.tmpdir(), 'pinpipe-prepare-'));
      try {
        const file = path.join(dir, 'geo.parquet');
        writeFileSync(file, 'prepared bytes');
        await lake.prepareFile(file);
        expect(readFileSync(file, 'utf8')).toBe('prepared bytes');
        expect(await lake.list('curated/')).toEqual([]);
        await expect(lake.prepareFile(path.join(dir, 'missing.parquet'))).resolves.toBeUndefined();
        await lake.putFile('curated/geo/dt=2026-11-27/part-0.parquet', file);
        expect((await lake.get('curated/geo/dt=2026-11-27/part-0.parquet'))!.toString()).toBe('prepared bytes');
        await lake.delete(['curated/geo/dt=2026-11-27/part-0.parquet']);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });

    test('putFile moves a local file in (a new object or a replaced one); the file is consumed; a missing file fails', async () => {
      const dir = mkdtempSync(path.join(os.tmpdir(), 'pinpipe-putfile-'));
      try {
        const bin = randomBytes(9 * 1024 * 1024 + 321); // over the multipart threshold of S3
        const file = path.join(dir, 'pins.parquet');
        writeFileSync(file, bin);
        await lake.putFile('curated/pins/dt=2026-11-27/part-0.parquet', file);
        expect((await lake.get('curated/pins/dt=2026-11-27/part-0.parquet'))!.equals(bin)).toBe(true);
        expect(existsSync(file)).toBe(false);
        writeFileSync(file, 'a newer, smaller object');
        await lake.putFile('curated/pins/dt=2026-11-27/part-0.parquet', file);
        expect((await lake.get('curated/pins/dt=2026-11-27/part-0.parquet'))!.toString()).toBe('a newer, smaller object');
        expect(existsSync(file)).toBe(false);
        await expect(lake.putFile('curated/pins/dt=2026-11-28/part-0.parquet', file)).rejects.toThrow(/ENOENT/);
        expect(await lake.list('curated/')).toEqual([{ key: 'curated/pins/dt=2026-11-27/part-0.parquet', size: 23 }]);
        writeFileSync(file, 'x');
        await expect(lake.putFile('../escape', file)).rejects.toThrow(/invalid lake key/);
        expect(existsSync(file)).toBe(true);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });

    test('a concurrent reader never sees a partial object', async () => {
      const bodies = [Buffer.alloc(3 * 1024 * 1024, 0x61), Buffer.alloc(2 * 1024 * 1024 + 17, 0x62), Buffer.alloc(1024 * 1024 + 5, 0x63)];
      let writing = true;
      const seen = new Set<string>();
      const reader = (async () => {
        let reads = 0;
        // read while the writes go on, and at least once after the last one (under load every
        // read may fall before it)
        let after = 0;
        while (writing || reads < 3 || after < 1) {
          if (!writing) after++;
          const got = await lake.get('atomic/obj');
          reads++;
          if (got === null) {
            seen.add('absent');
            continue;
          }
          const i = bodies.findIndex((b) => b.equals(got));
          if (i < 0) throw new Error(`reader saw a partial or mixed object of ${got.length} bytes`);
          seen.add(String(i));
        }
        return reads;
      })();
      for (let round = 0; round < 4; round++) for (const b of bodies) await lake.put('atomic/obj', b);
      writing = false;
      expect(await reader).toBeGreaterThanOrEqual(3);
      expect(seen.has('2')).toBe(true); // the last version written is always seen at the end
      expect((await lake.list('atomic/')).map((o) => o.key)).toEqual(['atomic/obj']); // no temp files listed
    });

    test('localDir holds exactly the objects under the prefix, after puts and deletes', async () => {
      await lake.put('curated/pins/dt=2026-11-26/part-0.parquet', 'p26');
      await lake.put('curated/pins/dt=2026-11-27/part-0.parquet', 'p27');
      await lake.put('curated/geo/dt=2026-11-27/part-0.parquet', 'g27');
      await lake.put('curated/pinsx/other', 'no');
      const dir = await lake.localDir('curated/pins/');
      expect([...filesUnder(dir).entries()].map(([k, v]) => [k, v.toString()])).toEqual([
        ['dt=2026-11-26/part-0.parquet', 'p26'],
        ['dt=2026-11-27/part-0.parquet', 'p27'],
      ]);
      await lake.delete(['curated/pins/dt=2026-11-26/part-0.parquet']);
      await lake.put('curated/pins/dt=2026-11-27/part-0.parquet', 'p27 v2');
      await lake.put('curated/pins/dt=2026-11-28/part-0.parquet', 'p28');
      const dir2 = await lake.localDir('curated/pins/');
      expect(dir2).toBe(dir);
      expect([...filesUnder(dir2).entries()].map(([k, v]) => [k, v.toString()])).toEqual([
        ['dt=2026-11-27/part-0.parquet', 'p27 v2'],
        ['dt=2026-11-28/part-0.parquet', 'p28'],
      ]);
      // a prefix with no objects gives an existing, empty directory
      expect([...filesUnder(await lake.localDir('curated/none/')).keys()]).toEqual([]);
    });

    test('invalid keys are refused', async () => {
      for (const bad of ['', '/abs', 'a//b', '../escape', 'a/../../b', 'a/./b', 'a\\b']) {
        await expect(lake.put(bad, 'x')).rejects.toThrow(/invalid lake key/);
      }
    });
  });
}

import { describe, expect, test } from '@jest/globals';
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { EmbeddedStore } from '../../src/connectors/store/embedded.js';
import { loadConfig, type Config } from '../../src/core/config.js';
import { LEDGER } from '../../src/core/tables.js';
import { tryLock, unlock } from '../../src/core/lockfile.js';
import { realtimeMetric } from '../support/metrics.js';
import { storeConformance } from './store.conformance.js';

const here = path.dirname(fileURLToPath(import.meta.url));

const tmpCfg = (): Config => loadConfig({ env: {}, flags: { dataDir: mkdtempSync(path.join(os.tmpdir(), 'pinpipe-store-')) } });

storeConformance('embedded', async () => {
  const cfg = tmpCfg();
  return { store: new EmbeddedStore(cfg), reopen: () => new EmbeddedStore(cfg), cleanup: async () => rmSync(cfg.dataDir, { recursive: true, force: true }) };
});

const child = (args: string[]) =>
  new Promise<{ code: number | null; signal: string | null; out: string; err: string }>((resolve) => {
    const p = spawn(process.execPath, ['--import', 'tsx', path.join(here, 'store.child.ts'), ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    p.stdout.on('data', (d) => (out += d));
    p.stderr.on('data', (d) => (err += d));
    p.on('exit', (code, signal) => resolve({ code, signal, out, err }));
  });

describe('embedded store across processes', () => {
  test('two processes upserting at once: no lost update, no corruption', async () => {
    const cfg = tmpCfg();
    try {
      const n = 150;
      const [a, b] = await Promise.all([child(['upsert', cfg.dataDir, 'a', String(n)]), child(['upsert', cfg.dataDir, 'b', String(n)])]);
      expect([a.code, a.err]).toEqual([0, '']);
      expect([b.code, b.err]).toEqual([0, '']);
      const store = new EmbeddedStore(cfg);
      const rows = await store.select(realtimeMetric('R1').batchSpec);
      for (const tag of ['a', 'b']) {
        const mine = rows.filter((r) => r.category === tag);
        expect(mine.map((r) => r.postings)).toEqual(Array.from({ length: n }, (_, i) => i));
      }
      expect(rows.filter((r) => r.category === 'shared')).toEqual([
        { minute: '2026-11-27T00:00:00.000Z', category: 'shared', postings: n - 1, final: expect.any(Boolean) },
      ]);
      expect(rows.length).toBe(2 * n + 1);
      expect(await store.file.run('check', 'read', (db) => db.all('PRAGMA integrity_check'))).toEqual([{ integrity_check: 'ok' }]);
    } finally {
      rmSync(cfg.dataDir, { recursive: true, force: true });
    }
  });

  test('a process killed mid-transaction leaves the old data and a takeable lock', async () => {
    const cfg = tmpCfg();
    try {
      const store = new EmbeddedStore(cfg);
      const before = [{ minute: '2026-11-27T10:00:00.000Z', category: 'art', postings: 1, final: true }];
      await store.replace(realtimeMetric('R1').batchSpec, before);
      const crashed = await child(['crash', cfg.dataDir]);
      expect(crashed.signal).toBe('SIGKILL');
      // the crash left uncommitted frames in the WAL, the VFS's lock directory and our lock (dead pid)
      expect(crashed.out).toBe('written store.db store.db-wal store.db.lock store.lock\n');
      expect(await new EmbeddedStore(cfg).select(realtimeMetric('R1').batchSpec)).toEqual(before);
      expect(readdirSync(cfg.dataDir).sort()).toEqual(['store.db']);
      expect(await store.file.run('check', 'read', (db) => db.all('PRAGMA integrity_check'))).toEqual([{ integrity_check: 'ok' }]);
      await store.upsert(realtimeMetric('R1').batchSpec, [{ ...before[0]!, postings: 2 }]);
      expect((await store.select(realtimeMetric('R1').batchSpec))[0]!.postings).toBe(2);
    } finally {
      rmSync(cfg.dataDir, { recursive: true, force: true });
    }
  });

  test('a replace of more rows than one slice is one transaction: killed between its slices, the old rows stay', async () => {
    const cfg = tmpCfg();
    try {
      const store = new EmbeddedStore(cfg);
      const R1 = realtimeMetric('R1').batchSpec;
      const t0 = Date.parse('2026-11-27T00:00:00Z');
      const before = Array.from({ length: 40_000 }, (_, i) => ({ minute: new Date(t0 + i * 60_000).toISOString(), category: 'art', postings: 1, final: true }));
      await store.replace(R1, before);
      // 40,000 rows are written in 3 slices, with a turn of the event loop between them: the child dies at one
      const killed = await child(['replace-kill', cfg.dataDir, '40000']);
      expect({ signal: killed.signal, out: killed.out }).toEqual({ signal: 'SIGKILL', out: 'killed in the write\n' });
      const after = await new EmbeddedStore(cfg).select(R1);
      expect(after).toHaveLength(40_000);
      expect(after.every((r) => r.postings === 1)).toBe(true);
      // not killed, the same replace writes every row
      const whole = await child(['replace-kill', cfg.dataDir, '100']);
      expect(whole.out).toBe('replaced\n');
      expect((await store.select(R1)).map((r) => r.postings)).toEqual(Array(100).fill(2));
    } finally {
      rmSync(cfg.dataDir, { recursive: true, force: true });
    }
  });

  test('a process killed after its commit but before closing keeps the committed data', async () => {
    const cfg = tmpCfg();
    try {
      const store = new EmbeddedStore(cfg);
      await store.replace(realtimeMetric('R1').batchSpec, [{ minute: '2026-11-27T10:00:00.000Z', category: 'art', postings: 1, final: true }]);
      const crashed = await child(['commit-crash', cfg.dataDir]);
      expect(crashed.signal).toBe('SIGKILL');
      expect(crashed.out).toBe('committed store.db store.db-wal store.db.lock store.lock\n');
      expect(await store.select(realtimeMetric('R1').batchSpec)).toEqual([{ minute: '2026-11-27T10:00:00.000Z', category: 'art', postings: 42, final: true }]);
      expect(readdirSync(cfg.dataDir).sort()).toEqual(['store.db']);
    } finally {
      rmSync(cfg.dataDir, { recursive: true, force: true });
    }
  });

  test('query is refused by the database itself when the connection is query-only', async () => {
    const cfg = tmpCfg();
    try {
      const store = new EmbeddedStore(cfg);
      await store.connect();
      await expect(store.file.snapshot((db) => db.exec('DELETE FROM batch_runs'))).rejects.toMatchObject({ code: 'QUERY_INVALID' });
      await expect(store.file.snapshot((db) => db.exec("INSERT INTO batch_runs (day) VALUES ('x')"))).rejects.toThrow(/readonly|read-only|query_only/i);
      expect(await store.select(LEDGER)).toEqual([]);
    } finally {
      rmSync(cfg.dataDir, { recursive: true, force: true });
    }
  });

  test('query runs on a snapshot: the lock is free while the statement runs, and the copy is removed', async () => {
    const cfg = tmpCfg();
    try {
      const store = new EmbeddedStore(cfg);
      await store.upsert(LEDGER, [{ day: '2026-11-27', status: 'done' }]);
      const seen = await store.file.snapshot((db) => {
        const free = tryLock(store.file.lockPath);
        if (free) unlock(store.file.lockPath);
        return { free, rows: db.all('SELECT day, status FROM batch_runs') };
      });
      expect(seen).toEqual({ free: true, rows: [{ day: '2026-11-27', status: 'done' }] });
      expect(await store.query('SELECT count(*) AS n FROM batch_runs')).toEqual([{ n: 1 }]);
      expect(readdirSync(cfg.dataDir).sort()).toEqual(['store.db']);
    } finally {
      rmSync(cfg.dataDir, { recursive: true, force: true });
    }
  });
});

import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const BENCH = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../dist/bench/index.js');
const bench = (...args: string[]) => spawnSync(process.execPath, [BENCH, ...args], { encoding: 'utf8', timeout: 30_000 });

describe('npm run bench: arguments', () => {
  test('--help names the stages and the lake choice', () => {
    const r = bench('--help');
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('--real [--lake s3|local]');
    for (const stage of ['api', 'consume-batch', 'consume-stream', 'freshness', 'batch-run', 'query']) expect(r.stdout).toContain(`\n  ${stage} `);
  });

  test('--lake takes s3 or local, and only with --real', () => {
    const bad = bench('--real', '--lake', 'ftp');
    expect(bad.status).toBe(2);
    expect(bad.stderr).toContain('--lake must be s3 or local, got "ftp"');
    const embedded = bench('--lake', 'local');
    expect(embedded.status).toBe(2);
    expect(embedded.stderr).toContain('--lake local only applies with --real');
  });

  test('an unknown stage is refused before anything runs', () => {
    const r = bench('--stage', 'nope');
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('bench: unknown stage nope');
  });
});

describe('npm run bench: the stream state probe', () => {
  test('holds every record fed within one minute and reports its live heap per record', () => {
    const probe = path.resolve(path.dirname(BENCH), 'state-probe.js');
    const r = spawnSync(process.execPath, ['--expose-gc', probe, '3000'], { encoding: 'utf8', timeout: 30_000 });
    expect(r.status).toBe(0);
    const out = JSON.parse(r.stdout) as { postings: number; held: number; dead: number; bytesPerRecord: number; heapMb: number };
    // every record held (the generator's dirty values clean to nulls: none refused, none late)
    expect({ postings: out.postings, held: out.held, dead: out.dead }).toEqual({ postings: 3000, held: 9000, dead: 0 });
    // a record, its event_id, its values and its index entries: hundreds of bytes, not tens or thousands
    expect(out.bytesPerRecord).toBeGreaterThan(150);
    expect(out.bytesPerRecord).toBeLessThan(2000);
    expect(out.heapMb).toBeCloseTo((out.bytesPerRecord * out.held) / 1e6, 1);
    // without --expose-gc it says what it needs
    const bare = spawnSync(process.execPath, [probe, '10'], { encoding: 'utf8', timeout: 30_000 });
    expect(bare.status).not.toBe(0);
    expect(bare.stderr).toContain('run node with --expose-gc');
  });
});

import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { bulkBodies, singleBodies } from '../../src/bench/bodies.js';
import { readCpuMs } from '../../src/bench/child.js';

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

describe('npm run bench: the floor of the api stage', () => {
  test('a bare HTTP server in a child process answers each body (a bulk one parsed and counted), and its CPU is read from /proc', async () => {
    // the built module: the floor runs its own file as the child's script
    const { startHttpFloor } = (await import(path.resolve(path.dirname(BENCH), 'http-floor.js'))) as typeof import('../../src/bench/http-floor.js');
    const floor = await startHttpFloor();
    try {
      expect(floor.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      const post = async (p: string, body: string) => {
        const res = await fetch(floor.url + p, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
        return { status: res.status, body: (await res.json()) as unknown };
      };
      const single = singleBodies(3, 1)[0]!;
      expect(await post(single.path, single.body)).toEqual({ status: 202, body: { accepted: 1 } });
      const before = readCpuMs(floor.pid);
      expect(before).not.toBeNull();
      for (const body of bulkBodies(3, 20, 1000)) expect(await post('/bulk', body)).toEqual({ status: 202, body: { accepted: 1000 } });
      // 20 bodies of 1,000 records read and parsed: tens of ms of the child's CPU at least
      expect(readCpuMs(floor.pid)! - before!).toBeGreaterThan(0);
    } finally {
      floor.stop();
    }
    // stopped: the process is gone
    const deadline = Date.now() + 10_000;
    while (readCpuMs(floor.pid) !== null && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    expect(readCpuMs(floor.pid)).toBeNull();
  });

  test('readCpuMs counts what the process used, as process.cpuUsage does', () => {
    const a = readCpuMs(process.pid)!;
    const u0 = process.cpuUsage();
    let spent = 0;
    let x = 0;
    while (spent < 300) {
      for (let i = 0; i < 100_000; i++) x += Math.sqrt(i);
      const u = process.cpuUsage(u0);
      spent = (u.user + u.system) / 1000;
    }
    const b = readCpuMs(process.pid)!;
    expect(x).toBeGreaterThan(0);
    // ticks of 10 ms; other threads of this process (the GC's, jest's) may add a little
    expect(b - a).toBeGreaterThanOrEqual(spent - 40);
    expect(b - a).toBeLessThanOrEqual(spent + 100);
  });
});

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

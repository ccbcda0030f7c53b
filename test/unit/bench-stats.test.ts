import { firstSeen, formatNumber, formatValue, percentile, ratePerSecond, summarize } from '../../src/bench/stats.js';
import { parseExports } from '../../src/bench/stack.js';
import { summarizeProfile } from '../../src/bench/profile.js';
import { judged } from '../../src/bench/types.js';

describe('bench stats: percentiles by nearest rank', () => {
  const ten = [10, 1, 9, 2, 8, 3, 7, 4, 6, 5];
  test.each([
    [50, 5],
    [90, 9],
    [99, 10],
    [100, 10],
    [10, 1],
    [11, 2],
    [0.001, 1],
  ])('p%s of 1..10 is %s', (p, want) => {
    expect(percentile(ten, p)).toBe(want);
  });

  test('an actual sample, whatever the order; NaN when empty', () => {
    expect(percentile([3.5, 1.25], 50)).toBe(1.25);
    expect(percentile([3.5, 1.25], 51)).toBe(3.5);
    expect(percentile(new Float64Array([7]), 99)).toBe(7);
    expect(percentile([], 50)).toBeNaN();
  });

  test('p outside (0, 100] is refused', () => {
    expect(() => percentile([1], 0)).toThrow(RangeError);
    expect(() => percentile([1], 101)).toThrow(/percentile must be in/);
  });

  test('summarize: count, min, p50, p90, p99, max, mean; does not reorder its input', () => {
    const xs = Array.from({ length: 1000 }, (_, i) => 1000 - i);
    const s = summarize(xs);
    expect(s).toEqual({ count: 1000, min: 1, p50: 500, p90: 900, p99: 990, max: 1000, mean: 500.5 });
    expect(xs[0]).toBe(1000);
    expect(summarize([]).count).toBe(0);
    expect(summarize([]).p99).toBeNaN();
    expect(summarize([2, Infinity]).p99).toBe(Infinity);
  });

  test('ratePerSecond', () => {
    expect(ratePerSecond(3000, 1500)).toBe(2000);
    expect(ratePerSecond(10, 0)).toBe(0);
  });

  test('firstSeen: time of the first observation whose count reaches each rank', () => {
    const seen = firstSeen(
      [
        { t: 100, count: 0 },
        { t: 125, count: 2 },
        { t: 150, count: 2 },
        { t: 175, count: 5 },
      ],
      6,
    );
    expect([...seen.subarray(0, 5)]).toEqual([125, 125, 175, 175, 175]);
    expect(seen[5]).toBeNaN();
  });

  test('formatting', () => {
    expect(formatNumber(1234567)).toBe('1,234,567');
    expect(formatNumber(Number.NaN)).toBe('–');
    expect(formatValue(15000, 'records/s')).toBe('15,000 records/s');
    expect(formatValue(25, 'ms')).toBe('25 ms');
    expect(formatValue(3.14159, 'ms')).toBe('3.14 ms');
    expect(formatValue(42.25, 'ms')).toBe('42.3 ms');
    expect(formatValue(1825.6, 'ms')).toBe('1,826 ms');
    expect(formatValue(61.23, 's')).toBe('61.2 s');
    expect(formatValue(0.5, 's')).toBe('0.50 s');
    expect(formatValue(60, 's')).toBe('60 s');
  });

  test('judged: met, missed, failed (NaN); infinite latency is a miss', () => {
    const f = (n: number) => String(n);
    expect(judged('x', 16000, 'records/s', { atLeast: 15000 }, f)).toMatchObject({ status: 'met', target: '≥ 15000', measured: '16000' });
    expect(judged('x', 14999, 'records/s', { atLeast: 15000 }, f).status).toBe('missed');
    expect(judged('x', 25, 'ms', { atMost: 25 }, f).status).toBe('met');
    expect(judged('x', Infinity, 'ms', { atMost: 25 }, f).status).toBe('missed');
    expect(judged('x', Number.NaN, 'ms', { atMost: 25 }, f).status).toBe('failed');
  });
});

describe('bench helpers', () => {
  test('parseExports reads the export lines of services-env.sh', () => {
    const env = parseExports(
      "export PINPIPE_KAFKA_BROKERS=127.0.0.1:9092\n# comment\nexport AWS_REGION='us-east-1'\nexport PINPIPE_MYSQL_URL=mysql://u:p@h:3306/db\nnot an export\n",
    );
    expect(env).toEqual({ PINPIPE_KAFKA_BROKERS: '127.0.0.1:9092', AWS_REGION: 'us-east-1', PINPIPE_MYSQL_URL: 'mysql://u:p@h:3306/db' });
  });

  test('summarizeProfile: self and inclusive shares of busy samples, idle apart', () => {
    const frame = (functionName: string, url = '', lineNumber = 0) => ({ functionName, url, lineNumber });
    const profile = {
      nodes: [
        { id: 1, callFrame: frame('(root)'), hitCount: 0, children: [2, 3, 5] },
        { id: 2, callFrame: frame('outer', 'file:///repo/dist/a.js', 9), hitCount: 10, children: [4] },
        { id: 3, callFrame: frame('(idle)'), hitCount: 50 },
        { id: 4, callFrame: frame('inner', 'file:///repo/dist/b.js', 0), hitCount: 30 },
        { id: 5, callFrame: frame('(garbage collector)'), hitCount: 10 },
      ],
    };
    const s = summarizeProfile(profile, '/repo');
    expect(s.samples).toBe(50);
    expect(s.idle).toBe(0.5);
    expect(s.gc).toBe(0.2);
    expect(s.topSelf[0]).toEqual({ name: 'inner', where: 'dist/b.js:1', self: 0.6, total: 0.6 });
    const outer = s.topTotal.find((e) => e.name === 'outer')!;
    expect(outer).toEqual({ name: 'outer', where: 'dist/a.js:10', self: 0.2, total: 0.8 });
    // two threads' profiles add up
    const two = summarizeProfile([profile, profile], '/repo');
    expect(two.samples).toBe(100);
    expect(two.topSelf[0]).toEqual({ name: 'inner', where: 'dist/b.js:1', self: 0.6, total: 0.6 });
  });
});

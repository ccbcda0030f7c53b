/** Output shapes of `pinpipe query` (JSON, RFC 4180 CSV, the terminal table) and its flag checks. */
import { describe, expect, test } from '@jest/globals';
import { checkQueryOptions } from '../../src/commands/query.js';
import { toCsv, toJson, toTable } from '../../src/engine/format.js';
import { toPlain } from '../../src/engine/values.js';
import { BUILTIN } from '../support/metrics.js';

const result = {
  columns: ['name', 'n', 'tags', 'at', 'ok'],
  rows: [
    { name: 'plain', n: 1, tags: ['a', 'b'], at: '2026-11-20T10:00:00.000Z', ok: true },
    { name: 'comma, "quoted"\nline', n: 22.5, tags: null, at: null, ok: false },
    { name: null, n: null, tags: [], at: null, ok: null },
  ],
};

describe('output formats', () => {
  test('JSON: an array of row objects in column order', () => {
    expect(JSON.parse(toJson(result))).toEqual(result.rows);
    expect(toJson({ columns: ['x'], rows: [] })).toBe('[]\n');
  });

  test('CSV: RFC 4180 with a header, CRLF, quotes doubled, null empty, lists as JSON', () => {
    expect(toCsv(result)).toBe(
      'name,n,tags,at,ok\r\n' +
        'plain,1,"[""a"",""b""]",2026-11-20T10:00:00.000Z,true\r\n' +
        '"comma, ""quoted""\nline",22.5,,,false\r\n' +
        ',,[],,\r\n',
    );
    expect(toCsv({ columns: ['a', 'b'], rows: [] })).toBe('a,b\r\n');
  });

  test('table: aligned columns, numbers right-aligned, NULL shown, a row count footer', () => {
    const t = toTable({ columns: ['country', 'n'], rows: [{ country: 'Chile', n: 3 }, { country: null, n: 12 }] });
    expect(t).toBe(['country   n', '───────  ──', 'Chile     3', 'NULL     12', '(2 rows)', ''].join('\n'));
    expect(toTable({ columns: ['x'], rows: [{ x: 'one' }] }).endsWith('(1 row)\n')).toBe(true);
    expect(toTable({ columns: [], rows: [] })).toBe('(0 rows)\n');
  });

  test('values: BigInt as a number when safe, else its digits; timestamps as ISO strings', () => {
    expect(toPlain(42n)).toBe(42);
    expect(toPlain(2n ** 60n)).toBe('1152921504606846976');
    expect(toPlain(new Date(Date.UTC(2026, 10, 20, 10)))).toBe('2026-11-20T10:00:00.000Z');
    expect(toPlain([1n, null, { a: 2n }])).toEqual([1, null, { a: 2 }]);
  });
});

describe('query flags', () => {
  test('a metric id is case-insensitive', () => {
    expect(checkQueryOptions({ metric: 'q3A' })).toEqual({ metric: 'q3A', source: 'store' });
    expect([BUILTIN.get('q3A').id, BUILTIN.get(' r5 ').id]).toEqual(['Q3a', 'R5']);
    expect(checkQueryOptions({ metric: 'r5', source: 'lake' })).toEqual({ metric: 'r5', source: 'lake' });
    expect(checkQueryOptions({ args: ['SELECT 1'] })).toEqual({ sql: 'SELECT 1', source: 'lake' });
    expect(checkQueryOptions({ args: ['SELECT 1'], store: true })).toEqual({ sql: 'SELECT 1', source: 'store' });
  });

  test.each([
    [{}, 'USAGE', /give a read-only SQL statement, or --metric ID/],
    [{ args: ['SELECT 1'], metric: 'Q1' }, 'USAGE', /either SQL or --metric/],
    [{ metric: 'Q1', store: true }, 'USAGE', /--source store\|lake/],
    [{ metric: 'Q1', source: 'cache' }, 'USAGE', /--source must be "store" or "lake"/],
    [{ args: ['SELECT 1'], source: 'lake' }, 'USAGE', /--source applies to --metric only/],
    [{ args: ['SELECT 1'], json: true, csv: true }, 'USAGE', /--json and --csv/],
    [{ args: ['SELECT 1'], limit: -1 }, 'USAGE', /--limit must be a non-negative integer/],
  ])('%j is refused', (opts, code, message) => {
    expect(() => checkQueryOptions(opts)).toThrow(expect.objectContaining({ code, message: expect.stringMatching(message) }));
  });

  test('an unknown metric id is a usage error naming the defined ones', () => {
    expect(() => BUILTIN.get('Q9')).toThrow(expect.objectContaining({ code: 'USAGE', message: expect.stringMatching(/unknown metric "Q9": defined are Q1, Q2, Q3a, Q3b, Q4, Q5, Q6, Q7, Q8, R1, R2, R3, R4, R5/) }));
  });
});

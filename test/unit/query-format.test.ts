/** Output shapes of `pinpipe query` (JSON, CSV, the terminal table), its flag checks and where its SQL comes from. */
import { describe, expect, test } from '@jest/globals';
import { checkQueryOptions, limitNote } from '../../src/commands/query.js';
import { sqlFrom } from '../../src/commands/query-input.js';
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

  test('CSV: RFC 4180 quoting with a header, LF line ends (as the DuckDB CLI), quotes doubled, null empty, lists as JSON', () => {
    expect(toCsv(result)).toBe(
      'name,n,tags,at,ok\n' +
        'plain,1,"[""a"",""b""]",2026-11-20T10:00:00.000Z,true\n' +
        '"comma, ""quoted""\nline",22.5,,,false\n' +
        ',,[],,\n',
    );
    expect(toCsv({ columns: ['a', 'b'], rows: [] })).toBe('a,b\n');
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
    expect(checkQueryOptions({ list: true, json: true })).toEqual({ list: true, source: 'lake' });
  });

  test.each([
    [{}, 'USAGE', /give a read-only SQL statement \(argument, -f FILE or standard input\), --metric ID, or --list/],
    [{ list: true, args: ['SELECT 1'] }, 'USAGE', /--list lists the lake views and the store tables: give it alone/],
    [{ list: true, metric: 'Q1' }, 'USAGE', /--list .* give it alone/],
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

describe('where the SQL comes from', () => {
  test.each<[Parameters<typeof sqlFrom>[0], ReturnType<typeof sqlFrom>]>([
    [{ args: ['SELECT 1'], other: false, stdinIsTty: false }, { from: 'arg', text: 'SELECT 1' }],
    [{ args: ['-'], other: false, stdinIsTty: true }, { from: 'stdin' }],
    [{ args: [], other: false, stdinIsTty: false }, { from: 'stdin' }],
    [{ args: [], other: false, stdinIsTty: true }, { from: 'none' }],
    [{ args: [], other: true, stdinIsTty: false }, { from: 'none' }],
    [{ args: [], file: 'q.sql', other: false, stdinIsTty: true }, { from: 'file', path: 'q.sql' }],
    [{ args: [], file: '-', other: false, stdinIsTty: true }, { from: 'stdin' }],
  ])('%j → %j', (input, out) => expect(sqlFrom(input)).toEqual(out));

  test('an argument and -f together, or two arguments, are usage errors', () => {
    expect(() => sqlFrom({ args: ['SELECT 1'], file: 'q.sql', other: false, stdinIsTty: true })).toThrow(/either as an argument or with -f FILE/);
    expect(() => sqlFrom({ args: ['a', 'b'], other: false, stdinIsTty: true })).toThrow(/one argument/);
  });

  test('limitNote', () => {
    expect([limitNote(undefined, 5, true), limitNote(5, 5, false), limitNote(5, 5, true), limitNote(5, 5, true, 9)]).toEqual([
      null,
      null,
      'showing the first 5 rows; there are more (--limit 5)',
      'showing 5 of 9 rows (--limit 5)',
    ]);
  });
});

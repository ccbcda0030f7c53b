import { describe, expect, test } from '@jest/globals';
import { assertReadOnlySql, codeOutsideLiterals } from '../../src/connectors/store/readonly-sql.js';

describe('assertReadOnlySql', () => {
  test.each([
    ['SELECT 1', 'SELECT 1'],
    ['  select * from q1_category_by_country;  ', 'select * from q1_category_by_country'],
    ['WITH t AS (SELECT 1 AS a) SELECT a FROM t;;', 'WITH t AS (SELECT 1 AS a) SELECT a FROM t'],
    ["SELECT 'drop table x; delete' AS s", "SELECT 'drop table x; delete' AS s"],
    ['SELECT "update" FROM t', 'SELECT "update" FROM t'],
    ['SELECT `into` FROM t -- ; insert', 'SELECT `into` FROM t -- ; insert'],
    ['(SELECT 1) UNION (SELECT 2)', '(SELECT 1) UNION (SELECT 2)'],
    ["SELECT replace(category, 'a', 'b'), last_update FROM t", "SELECT replace(category, 'a', 'b'), last_update FROM t"],
  ])('accepts %j', (sql, out) => {
    expect(assertReadOnlySql(sql)).toBe(out);
  });

  test.each([
    ['', /empty/],
    ['-- only a comment', /empty/],
    ['INSERT INTO t VALUES (1)', /starts with INSERT/],
    ['delete from t', /starts with DELETE/],
    ['DROP TABLE t', /starts with DROP/],
    ['PRAGMA query_only = OFF', /starts with PRAGMA/],
    ['SELECT 1; SELECT 2', /multiple statements/],
    ["SELECT 1; DROP TABLE t; -- '", /multiple statements/],
    ['WITH t AS (SELECT 1) DELETE FROM x', /DELETE is not allowed/],
    ["SELECT * FROM t INTO OUTFILE '/tmp/x'", /INTO is not allowed/],
    ['SELECT * FROM t FOR UPDATE', /UPDATE is not allowed/],
    ["SELECT 'unterminated", /unterminated/],
    ['SELECT /* open comment', /unterminated/],
  ])('refuses %j', (sql, why) => {
    expect(() => assertReadOnlySql(sql)).toThrow(why);
    try {
      assertReadOnlySql(sql);
    } catch (e) {
      expect((e as { code: string }).code).toBe('QUERY_INVALID');
    }
  });

  test('codeOutsideLiterals blanks strings, identifiers and comments', () => {
    const code = codeOutsideLiterals("SELECT 'it''s', \"a\"\"b\", `c`, [d] /* x */ # y\nFROM t");
    expect(code.replace(/\s+/g, ' ')).toBe("SELECT '' , _q_ , _q_ , _q_ FROM t");
  });
});

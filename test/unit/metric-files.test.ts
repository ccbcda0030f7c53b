/**
 * Metric files: the header and the refusals, each naming the file, the line and the reason (a
 * file that does not parse, binds to unknown columns, is realtime but outside the subset, reuses a
 * built-in id, ...), and what a valid file compiles to.
 */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadConfig, type Config } from '../../src/core/config.js';
import { MetricFileError, parseMetricFile } from '../../src/metrics/file.js';
import { checkMetrics, loadMetrics, metricsDir, type RealtimeMetric } from '../../src/metrics/registry.js';

let cfg: Config;
let root: string;
beforeAll(() => {
  root = mkdtempSync(path.join(os.tmpdir(), 'pinpipe-metricfiles-'));
  cfg = loadConfig({ env: {}, flags: { dataDir: path.join(root, 'data') } });
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

let n = 0;
/** a metrics directory holding these files */
function dirWith(files: Record<string, string>): string {
  const dir = path.join(root, `m${++n}`);
  mkdirSync(dir);
  for (const [name, text] of Object.entries(files)) writeFileSync(path.join(dir, name), text);
  return dir;
}

async function refusals(files: Record<string, string>): Promise<string[]> {
  const dir = dirWith(files);
  const { problems } = await checkMetrics(cfg, { dir });
  return problems.map((p) => p.message.replace(dir + path.sep, ''));
}

describe('the header', () => {
  test('title, kind, keys, table, description; the SQL after it; a hash of the definition', () => {
    const f = parseMetricFile('/x/tags.sql', '-- title: Tags\n-- a free comment\n-- kind: realtime\n-- keys: a, b\n-- table: tag_t\n\nSELECT 1;\n');
    expect(f).toMatchObject({ id: 'tags', title: 'Tags', kind: 'realtime', keys: ['a', 'b'], table: 'tag_t', sql: 'SELECT 1', sqlLine: 7, builtin: false });
    expect(f.hash).toMatch(/^[0-9a-f]{16}$/);
    // defaults: historical, the id as table and title
    expect(parseMetricFile('/x/Most_Tags.sql', 'SELECT 1')).toMatchObject({ kind: 'historical', table: 'most_tags', title: 'Most_Tags', keys: [] });
    // the title does not change the hash; the SQL does (whitespace aside)
    const a = parseMetricFile('/x/m.sql', '-- title: A\nSELECT  1');
    expect(parseMetricFile('/x/m.sql', '-- title: B\nSELECT 1').hash).toBe(a.hash);
    expect(parseMetricFile('/x/m.sql', 'SELECT 2').hash).not.toBe(a.hash);
  });

  test.each([
    ['/x/1bad.sql', 'SELECT 1', /the id "1bad" \(the file name\) must start with a letter/],
    ['/x/m.sql', '-- kind: streaming\nSELECT 1', /m\.sql:1: kind must be "historical" or "realtime", got "streaming"/],
    ['/x/m.sql', '-- titel: x\nSELECT 1', /m\.sql:1: unknown header "titel" \(allowed: title, kind, keys, table, description/],
    ['/x/m.sql', '-- title: a\n-- title: b\nSELECT 1', /m\.sql:2: header "title" is given twice/],
    ['/x/m.sql', '-- table: Bad-Name\nSELECT 1', /table "Bad-Name" must be lower case/],
    ['/x/m.sql', '-- title: only a header\n', /no SQL after the header/],
  ])('%s refused: %s', (file, text, message) => {
    expect(() => parseMetricFile(file, text)).toThrow(MetricFileError);
    expect(() => parseMetricFile(file, text)).toThrow(message);
  });
});

describe('refused files name the file, the line and the reason', () => {
  test('does not parse', async () => {
    expect(await refusals({ 'p.sql': '-- title: P\nSELECT category\nFROM pins\nWHER category = 1\n' })).toEqual([
      'p.sql:4: SQL syntax error: syntax error at or near "category"',
    ]);
  });

  test('binds to an unknown column or relation, or reads outside the curated views', async () => {
    expect(await refusals({ 'c.sql': 'SELECT category,\n  nope\nFROM pins\n' })).toEqual([
      'c.sql:2: Binder Error: Referenced column "nope" not found in FROM clause!',
    ]);
    expect(await refusals({ 't.sql': 'SELECT *\nFROM raw_pin\n' })).toEqual([
      't.sql:2: "raw_pin" is not a curated view: a historical metric reads pins, geo, users, postings',
    ]);
    expect(await refusals({ 'f.sql': "SELECT * FROM read_csv('/etc/passwd')" })).toEqual([
      'f.sql:1: read_csv(): a historical metric reads only the curated views pins, geo, users, postings',
    ]);
  });

  test('is not one SELECT', async () => {
    expect(await refusals({ 'd.sql': 'DELETE FROM pins' })).toEqual(['d.sql: a metric is one SELECT statement (no INSERT, UPDATE, DELETE, DDL or PRAGMA)']);
    expect(await refusals({ 'two.sql': 'SELECT 1 AS a FROM pins; SELECT 2 AS b FROM pins' })).toEqual([
      'two.sql: a metric file holds one SELECT; this one holds 2 statements',
    ]);
  });

  test("reuses a built-in id (whatever the case) or another metric's table", async () => {
    expect(await refusals({ 'q1.sql': 'SELECT 1 AS x FROM pins', 'r5.sql': '-- kind: realtime\nSELECT count(*) AS n FROM pins' })).toEqual([
      'q1.sql: the id q1 is a built-in metric (Q1); choose another file name',
      'r5.sql: the id r5 is a built-in metric (R5); choose another file name',
    ]);
    expect(await refusals({ 'mine.sql': '-- table: q1_category_by_country\nSELECT 1 AS x FROM pins' })).toEqual([
      'mine.sql: table q1_category_by_country is also the table of Q1 (built-in): set another with "-- table: name"',
    ]);
    expect(await refusals({ 'mine.sql': '-- table: batch_runs\nSELECT 1 AS x FROM pins' })).toEqual([
      'mine.sql: table batch_runs is one of pinpipe\'s own tables: set another with "-- table: name"',
    ]);
  });

  test.each([
    ['a subquery', 'SELECT count(*) AS n FROM pins WHERE ind IN (SELECT ind FROM geo)', 4, /subqueries are not in the realtime subset/],
    ['a window function', 'SELECT rank() OVER () AS r FROM pins', 2, /window functions \(OVER\) are not in the realtime subset/],
    ['LIKE', "SELECT count(*) AS n FROM pins WHERE title LIKE 'a%'", 4, /LIKE is not in the realtime subset/],
    ['ORDER BY', 'SELECT category, count(*) AS n FROM pins GROUP BY category ORDER BY n', 3, /ORDER BY is not in the realtime subset/],
    ['HAVING', 'SELECT category, count(*) AS n FROM pins GROUP BY category HAVING count(*) > 1', 3, /HAVING is not in the realtime subset/],
    ['a join not on ind', 'SELECT count(*) AS n FROM pins p JOIN geo g ON g.country = p.category', 3, /a join condition is g\.ind = p\.ind/],
    ['geo joined to users', 'SELECT count(*) AS n FROM geo g JOIN users u ON u.ind = g.ind', 3, /joins start from pins/],
    ['a list column', 'SELECT count(*) AS n FROM pins WHERE tag_list IS NULL', 4, /pins\.tag_list: tag_list is a list/],
    ['the time column', 'SELECT max(ingested_at) AS t FROM pins', 2, /pins\.ingested_at: the window is the minute of ingested_at/],
    ['an unnamed value', 'SELECT count(*) FROM pins', 2, /name each value with AS/],
    ['a text value', 'SELECT min(category) AS c FROM pins', 2, /min\(\) takes a number in a realtime metric, got text/],
    ['a text compared with a number', "SELECT count(*) AS n FROM users WHERE age > '30'", 4, /> compares int with text/],
    ['an ambiguous column', 'SELECT count(DISTINCT ind) AS n FROM pins p JOIN geo g ON g.ind = p.ind', 2, /column ind is in pins and geo: qualify it/],
    ['a column not grouped', 'SELECT category, count(*) AS n FROM pins', 2, /category must be in GROUP BY/],
    ['a table that is not a stream', 'SELECT count(*) AS n FROM postings', 3, /"postings" is not a stream: a realtime metric reads pins, geo or users/],
  ])('realtime, outside the subset: %s', async (_what, sql, line, reason) => {
    const [msg, ...rest] = await refusals({ 'rt.sql': `-- kind: realtime\n${sql.replace(' FROM ', '\nFROM ').replace(' WHERE ', '\nWHERE ')}\n` });
    expect(rest).toEqual([]);
    expect(msg).toMatch(new RegExp(`^rt\\.sql:${line}: `));
    expect(msg).toMatch(reason);
    expect(msg).toMatch(/\(realtime subset: docs\/metrics\.md\)$/);
  });

  test('keys that are not the GROUP BY columns', async () => {
    expect(await refusals({ 'k.sql': '-- kind: realtime\n-- keys: country\nSELECT category, count(*) AS n FROM pins GROUP BY category' })).toEqual([
      'k.sql: the header keys (country) must be the GROUP BY columns (category)',
    ]);
    expect(await refusals({ 'h.sql': '-- keys: nope\nSELECT category FROM pins' })).toEqual(['h.sql: key nope is not an output column (category)']);
  });

  test('loadMetrics stops on the first refused file with METRIC_INVALID (exit 2); a valid directory loads', async () => {
    const bad = dirWith({ 'ok.sql': 'SELECT 1 AS x FROM pins', 'bad.sql': 'SELECT nope FROM pins' });
    await expect(loadMetrics(cfg, { dir: bad })).rejects.toMatchObject({
      code: 'METRIC_INVALID',
      exitCode: 2,
      message: expect.stringContaining('bad.sql:1: Binder Error'),
    });
    const good = path.resolve('test/fixtures/metrics');
    const set = await loadMetrics(cfg, { dir: good });
    expect(set.all.map((m) => m.id)).toEqual([
      'Q1',
      'Q2',
      'Q3a',
      'Q3b',
      'Q4',
      'Q5',
      'Q6',
      'Q7',
      'Q8',
      'R1',
      'R2',
      'R3',
      'R4',
      'R5',
      'big_posters_by_country',
      'media_per_minute',
      'tag_by_category',
    ]);
    const tags = set.get('TAG_BY_CATEGORY');
    expect(tags).toMatchObject({
      kind: 'historical',
      keys: ['category'],
      columns: [
        ['category', 'text'],
        ['tag', 'text'],
        ['n', 'bigint'],
      ],
      spec: { name: 'tag_by_category' },
      reads: ['tag_list', 'category'],
    });
    const big = set.get('big_posters_by_country') as RealtimeMetric;
    expect(big).toMatchObject({
      kind: 'realtime',
      keyColumns: ['country', 'age_group'],
      valueColumns: ['postings', 'posters', 'mean_followers'],
      columns: [
        ['minute', 'timestamp'],
        ['country', 'text'],
        ['age_group', 'text'],
        ['postings', 'bigint'],
        ['posters', 'bigint'],
        ['mean_followers', 'double'],
        ['final', 'bool'],
      ],
      spec: { name: 'rt_big_posters_by_country', key: ['minute', 'country', 'age_group'] },
      batchSpec: { name: 'batch_big_posters_by_country' },
    });
    expect(big.plan).toMatchObject({
      source: 'pin',
      joins: { geo: 'inner', user: 'left' },
      trigger: 'pin+geo+user',
      columns: { pin: ['follower_count', 'ind'], geo: ['country'], user: ['age_group', 'user_name'] },
    });
  });

  test('the postings columns a historical metric reads: a star reads them all only where it selects from a view itself', async () => {
    const dir = dirWith({
      'ranked.sql':
        '-- keys: country\nWITH c AS (SELECT country, count(*) AS n FROM postings GROUP BY ALL)\n' +
        'SELECT country, n FROM (SELECT *, rank() OVER (ORDER BY n DESC) AS r FROM c) t WHERE r = 1',
      'whole.sql': '-- keys: ind\nSELECT * FROM postings',
      'cte_star.sql': '-- keys: ind\nWITH p AS (SELECT * FROM postings) SELECT ind, title FROM p',
      'sub_star.sql': '-- keys: ind\nSELECT t.* FROM (SELECT ind, category FROM postings p) t',
    });
    const set = await loadMetrics(cfg, { dir });
    const reads = (id: string) => (set.get(id) as { reads: string[] }).reads;
    expect(reads('ranked')).toEqual(['country']);
    expect(reads('sub_star')).toEqual(['ind', 'category']);
    const all = reads('whole');
    expect(all.length).toBeGreaterThan(20);
    expect(reads('cte_star')).toEqual(all);
    // the built-in rankings read only their own columns (batch-run materializes only those at 10M rows)
    expect(reads('Q1')).toEqual(['country', 'category'].sort((a, b) => all.indexOf(a) - all.indexOf(b)));
    const builtins = await loadMetrics(cfg, { dir: dirWith({}) });
    expect(builtins.postingsColumns.length).toBeLessThan(all.length);
    expect(builtins.postingsColumns).not.toContain('description');
  });

  test('the metrics directory: the setting, else ./metrics when it exists; a setting that is no directory is refused', () => {
    const cwd = path.join(root, `cwd${++n}`);
    mkdirSync(cwd);
    expect(metricsDir(cfg, cwd)).toBeNull();
    mkdirSync(path.join(cwd, 'metrics'));
    expect(metricsDir(cfg, cwd)).toBe(path.join(cwd, 'metrics'));
    const set = loadConfig({ env: { PINPIPE_METRICS_DIR: 'elsewhere' }, flags: { dataDir: cfg.dataDir } });
    expect(() => metricsDir(set, cwd)).toThrow(/metrics\.dir \(--metrics-dir, PINPIPE_METRICS_DIR\) = "elsewhere": .*elsewhere is not a directory/);
  });
});

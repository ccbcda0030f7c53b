/**
 * src/api/json-checks.ts: repeated keys and unpaired surrogates, which JSON.parse accepts
 * (issue 11, items 2 and 3). Tables of cases, then a property: for generated JSON texts (keys
 * repeated at random, keys and strings holding `":`, escapes and whitespace around colons), the
 * fast test never says "unique" when a key repeats, and the scan names exactly the repeats.
 */
import { describe, expect, test } from '@jest/globals';
import fc from 'fast-check';
import { jsonTextProblems, keysUnique, pathText, scanDuplicateKeys, type JsonPath } from '../../src/api/json-checks.js';

describe('repeated keys', () => {
  test.each<[string, JsonPath[]]>([
    ['{"a":1,"b":2}', []],
    ['{"a":1,"a":2}', [['a']]],
    ['{"a" : 1, "a" : 2}', [['a']]],
    ['{"a":1,"\\u0061":2}', [['a']]],
    ['{"a":{"x":1,"x":2},"b":[{"y":1},{"y":2,"y":3}]}', [['a', 'x'], ['b', 1, 'y']]],
    ['{"a":"\\":","b":"x\\"","c":1}', []],
    ['{"a":":","a" :1}', [['a']]],
    ['{"records":[{"type":"pin","record":{"i":1,"i":2}}],"records":[]}', [['records', 0, 'record', 'i'], ['records']]],
    ['[{"a":1},{"a":2}]', []],
    ['{"k\\\\":1,"k\\\\":2}', [['k\\']]],
    ['{"a":[1, 2.5e3, true, null, "s"], "a":false}', [['a']]],
  ])('%s → %j', (text, want) => {
    expect(scanDuplicateKeys(text)).toEqual(want);
    if (want.length) expect(keysUnique(text, JSON.parse(text))).toBe(false);
  });

  test('the fast test vouches for ordinary records, so they are never scanned', () => {
    for (const text of ['{"index":1,"title":"a","tags":"x,y"}', '{"records":[{"type":"pin","record":{"a":1}},{"type":"geo","record":{"b":"t: 12:00"}}]}']) {
      expect(keysUnique(text, JSON.parse(text))).toBe(true);
    }
  });

  test('property: never "unique" with a repeated key; the scan finds exactly the repeated keys', () => {
    const key = fc.constantFrom('a', 'b', 'c', 'a":', '":', ' ', 'é', 'a\\');
    const ws = fc.constantFrom('', ' ', '\n', '\t ');
    const leaf = fc.oneof(fc.integer(), fc.constantFrom('x', '":', ' : ', '\\', '"', 'a":1'), fc.boolean(), fc.constant(null));
    type Node = unknown;
    interface Obj {
      entries: [string, Node][];
    }
    const isObj = (n: Node): n is Obj => typeof n === 'object' && n !== null && 'entries' in n;
    const node: fc.Arbitrary<Node> = fc.letrec<{ node: Node }>((tie) => ({
      node: fc.oneof({ depthSize: 'small', withCrossShrink: true }, leaf, fc.array(tie('node'), { maxLength: 3 }), fc.array(fc.tuple(key, tie('node')), { maxLength: 5 }).map((entries) => ({ entries }))),
    })).node;
    const render = (n: Node, w: string): string => {
      if (Array.isArray(n)) return `[${n.map((x) => render(x, w)).join(',')}]`;
      if (isObj(n)) return `{${n.entries.map(([k, v], i) => `${JSON.stringify(k)}${i % 2 ? w : ''}:${w}${render(v, w)}`).join(',')}}`;
      return JSON.stringify(n);
    };
    const repeats = (n: Node, path: JsonPath, out: JsonPath[]): JsonPath[] => {
      if (Array.isArray(n)) n.forEach((x, i) => repeats(x, [...path, i], out));
      else if (isObj(n)) {
        const seen = new Set<string>();
        for (const [k, v] of n.entries) {
          if (seen.has(k)) out.push([...path, k]);
          seen.add(k);
          // JSON.parse keeps the last value of a repeated key, and the scan walks every value
          repeats(v, [...path, k], out);
        }
      }
      return out;
    };
    fc.assert(
      fc.property(fc.array(fc.tuple(key, node), { maxLength: 6 }), ws, (entries, w) => {
        const root = { entries };
        const text = render(root, w);
        const want = repeats(root, [], []);
        const found = scanDuplicateKeys(text);
        expect(found.map((p) => JSON.stringify(p)).sort()).toEqual(want.map((p) => JSON.stringify(p)).sort());
        if (want.length) expect(keysUnique(text, JSON.parse(text))).toBe(false);
      }),
      { numRuns: 2000, seed: 11 },
    );
  });
});

describe('unpaired surrogates and problems together', () => {
  test.each<[string, string[]]>([
    ['{"title":"\\ud800"}', ['title']],
    ['{"title":"\\ud83d\\ude00"}', []],
    ['{"title":"😀 and \\ud83d\\ude00"}', []],
    ['{"a":["x","\\udfff"],"b":{"c":"\\uDBFF"}}', ['a[1]', 'b.c']],
    ['{"\\ud800":1}', ['\ud800']],
    ['{"lat":1,"lat":2,"t":"\\ud800"}', ['lat', 't']],
  ])('%s → %j', (text, fields) => {
    expect(jsonTextProblems(text, JSON.parse(text)).map((p) => pathText(p.path))).toEqual(fields);
  });

  test('pathText', () => {
    expect([pathText([]), pathText(['a']), pathText(['records', 3, 'record', 'lat']), pathText(['a', 0, 1])]).toEqual(['(record)', 'a', 'records[3].record.lat', 'a[0][1]']);
  });
});

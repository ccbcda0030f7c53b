/** The settings document themselves: every one has a description, and README's table is generated from the schema. */
import { expect, test } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { settingDocs, withSettingsTable } from '../../src/core/config-docs.js';
import { ENV_SETTINGS } from '../../src/core/config.js';

test('every setting of the schema has a description', () => {
  const docs = settingDocs();
  expect(docs.length).toBeGreaterThan(40);
  expect(docs.filter((d) => d.description.trim().length < 8).map((d) => d.path)).toEqual([]);
  // including the ones documented nowhere before
  for (const p of ['log.kafka.sslRejectUnauthorized', 'store.mysql.poolSize', 'realtime.redis.tlsCaFile']) expect(docs.find((d) => d.path === p)?.description).toMatch(/\w{3}/);
});

test('every environment variable sets a setting of the schema', () => {
  const paths = new Set(settingDocs().map((d) => d.path));
  expect(Object.values(ENV_SETTINGS).map((s) => s.path).filter((p) => !paths.has(p))).toEqual([]);
});

test("README's settings table is the generated one (npm run docs:config writes it)", () => {
  const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
  expect(withSettingsTable(readme)).toBe(readme);
});

// npm run docs:config: write README.md's settings table from the config schema (src/core/config.ts)
import { readFileSync, writeFileSync } from 'node:fs';
import { withSettingsTable } from '../dist/core/config-docs.js';

const file = new URL('../README.md', import.meta.url);
const before = readFileSync(file, 'utf8');
const after = withSettingsTable(before);
if (after === before) console.log('README.md: the settings table is up to date');
else {
  writeFileSync(file, after);
  console.log('README.md: settings table written');
}

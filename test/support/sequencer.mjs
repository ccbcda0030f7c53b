/**
 * The order jest starts test files in: longest first, so that the parallel workers end together.
 * Jest knows the durations of a previous run from its cache; a fresh clone (CI) has none and would
 * start by file size, leaving a long test (the Spark engine's, the crash and outage tests) to the
 * end. There the durations come from test/support/durations.json: seconds per file of a full run
 * on the 2-core machine (refresh it from `npx jest --json` output when files are added or change a
 * lot: any file not listed falls back to jest's own order).
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import Sequencer from '@jest/test-sequencer';

const DURATIONS = JSON.parse(readFileSync(new URL('./durations.json', import.meta.url), 'utf8'));
const Base = Sequencer.default ?? Sequencer;

export default class LongestFirst extends Base {
  time(test) {
    const cached = super.time(test);
    if (cached != null) return cached;
    const seconds = DURATIONS[path.relative(test.context.config.rootDir, test.path).split(path.sep).join('/')];
    return seconds == null ? undefined : seconds * 1000;
  }
}

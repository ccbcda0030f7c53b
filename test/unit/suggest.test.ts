import { expect, test } from '@jest/globals';
import { closest, editDistance } from '../../src/core/suggest.js';

test.each([
  ['', '', 0],
  ['port', 'port', 0],
  ['prot', 'port', 2],
  ['kitten', 'sitting', 3],
  ['PINPIPE_API_KEYS', 'PINPIPE_API_KEY', 1],
  ['', 'abc', 3],
])('editDistance(%s, %s) = %i', (a, b, d) => {
  expect(editDistance(a, b)).toBe(d);
  expect(editDistance(b, a)).toBe(d);
});

test.each([
  ['prot', ['host', 'port', 'apiKey'], 'port'],
  ['PINPIPE_API_KEYS', ['PINPIPE_API_HOST', 'PINPIPE_API_KEY', 'PINPIPE_API_PORT'], 'PINPIPE_API_KEY'],
  ['PINPIPE_DTA_DIR', ['PINPIPE_DATA_DIR', 'PINPIPE_LOG'], 'PINPIPE_DATA_DIR'],
  ['PINPIPE_SOMETHING_ELSE', ['PINPIPE_DATA_DIR', 'PINPIPE_LOG'], undefined],
  ['x', ['port'], undefined],
])('closest(%s) = %s', (name, candidates, want) => expect(closest(name, candidates)).toBe(want));

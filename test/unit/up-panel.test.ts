/** The `up` panel fits an 80-column terminal and is redrawn without wrapped or stale lines. */
import { expect, test } from '@jest/globals';
import { formatSnapshot, latestWindow, redrawPanel, type Snapshot } from '../../src/up/summary.js';

const snap: Snapshot = {
  at: 0,
  postings: 123_456_789,
  postingsPerSec: 2000.04,
  batchLag: 987_654_321,
  streamLag: 123_456,
  r1: latestWindow(['diy-and-crafts', 'event-planning', 'home-decor', 'mens-fashion'].map((key, i) => ({ metric: 'R1', minute: '2026-12-02T10:41:00.000Z', key, values: { postings: 123_456 - i }, final: false }))),
  batch: { day: '2026-12-02', status: 'running', finishedAt: null, curatedRows: 12_345_678 },
};
const roles = ['api', 'consume-batch', 'consume-stream', 'emulate', 'dashboard'].map((name, i) => ({ name, up: i % 2 === 0 }));

test('every line of the panel fits 80 columns (and a narrower terminal)', () => {
  for (const width of [80, 60]) {
    const lines = formatSnapshot(snap, roles, 3725, width, 'http://127.0.0.1:8081/');
    expect(lines).toHaveLength(6);
    for (const l of lines) expect([...l].length).toBeLessThanOrEqual(width);
  }
  const lines = formatSnapshot(snap, roles, 3725, 80, 'http://127.0.0.1:8081/');
  expect(lines[0]).toBe('pinpipe up  3725s  3/5 roles up (down: consume-batch, emulate)');
  expect(lines[3]!.endsWith('…')).toBe(true);
  expect(lines[5]).toBe('  dashboard    http://127.0.0.1:8081/');
});

test('a redraw moves up over the previous panel, clears each line and everything below', () => {
  const first = redrawPanel(['a', 'b', 'c'], 0);
  expect(first).toBe('\r\x1b[2Ka\n\r\x1b[2Kb\n\r\x1b[2Kc\n\x1b[J');
  const shorter = redrawPanel(['a', 'b'], 3);
  expect(shorter.startsWith('\x1b[3A')).toBe(true);
  expect(shorter.endsWith('\x1b[J')).toBe(true);
});

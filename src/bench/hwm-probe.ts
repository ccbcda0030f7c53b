/**
 * Preloaded into role processes by the benchmark (`node --import .../hwm-probe.js bin/pinpipe ...`):
 * when the process exits, write its peak resident set size (VmHWM from /proc/self/status, kB) to
 * the file named by BENCH_HWM_FILE. Reads nothing else and changes nothing in the process.
 */
import { readFileSync, writeFileSync } from 'node:fs';

const file = process.env.BENCH_HWM_FILE;
if (file) {
  process.on('exit', () => {
    try {
      const m = /^VmHWM:\s+(\d+)\s+kB/m.exec(readFileSync('/proc/self/status', 'utf8'));
      if (m) writeFileSync(file, m[1]!);
    } catch {
      // no /proc (not Linux): the benchmark falls back to its samples
    }
  });
}

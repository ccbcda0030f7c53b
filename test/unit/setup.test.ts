/**
 * `npm run setup` for a newcomer (issue 11, item 14): one compile (no `prepare` script for `npm ci`
 * to run before setup's own build) and no npm warning about install scripts of dependencies: every
 * installed package with an install script has an explicit decision in package.json `allowScripts`.
 * Both are denied: esbuild's postinstall only checks its binary (tsx, which the tests use to run
 * child processes, finds it in the platform package @esbuild/<platform>), and @parcel/watcher's
 * builds a native module from source for jest's watch mode, which the suite does not use.
 */
import { describe, expect, test } from '@jest/globals';
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

const ROOT = path.resolve(import.meta.dirname, '../..');
const pkg = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string>; allowScripts?: Record<string, boolean> };

/** Installed packages (name, version) that declare preinstall, install or postinstall scripts. */
function withInstallScripts(dir = path.join(ROOT, 'node_modules'), out: string[] = []): string[] {
  if (!existsSync(dir)) return out;
  for (const entry of readdirSync(dir)) {
    if (entry.startsWith('.')) continue;
    const full = path.join(dir, entry);
    if (entry.startsWith('@')) {
      withInstallScripts(full, out);
      continue;
    }
    const manifest = path.join(full, 'package.json');
    if (existsSync(manifest)) {
      const m = JSON.parse(readFileSync(manifest, 'utf8')) as { name?: string; scripts?: Record<string, string>; gypfile?: boolean };
      const s = m.scripts ?? {};
      if (m.name && (s.preinstall || s.install || s.postinstall || (m.gypfile && existsSync(path.join(full, 'binding.gyp'))))) out.push(m.name);
    }
    withInstallScripts(path.join(full, 'node_modules'), out);
  }
  return out;
}

describe('npm run setup', () => {
  test('compiles once: setup builds, and npm ci runs no compile of its own (no prepare script)', () => {
    expect(pkg.scripts.setup).toBe('npm ci && npm run build');
    expect(pkg.scripts.prepare).toBeUndefined();
    for (const s of ['preinstall', 'install', 'postinstall']) expect({ s, script: pkg.scripts[s] }).toEqual({ s, script: undefined });
  });

  test('every dependency with an install script has a decision in allowScripts (npm prints no warning)', () => {
    const pending = [...new Set(withInstallScripts())].filter((name) => pkg.allowScripts?.[name] === undefined).sort();
    expect(pending).toEqual([]);
  });

  test('npm itself lists no install script without a decision', () => {
    const r = spawnSync('npm', ['install-scripts', 'ls'], { cwd: ROOT, encoding: 'utf8' });
    if (r.error || /Unknown command/i.test(r.stderr + r.stdout)) return; // an npm before 11: no allowScripts, nothing to check
    expect(r.stdout + r.stderr).not.toMatch(/not yet covered by allowScripts/);
  });
});

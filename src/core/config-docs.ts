/**
 * The settings as documentation, generated from the config schema (every setting's `.describe()`,
 * type, allowed values and default) and the environment variables: README's settings table is
 * this output between its markers (`npm run docs:config` writes it; a test fails when they differ).
 */
import { ENV_SETTINGS, configSchema } from './config.js';

export interface SettingDoc {
  path: string;
  env: string | null;
  type: string;
  default: string;
  description: string;
}

/* eslint-disable @typescript-eslint/no-explicit-any */
type Schema = any;

/** unwrap default / prefault / optional / pipe wrappers: the inner schema, its default, the description */
function unwrap(s: Schema): { inner: Schema; def: unknown; hasDefault: boolean; description: string } {
  let cur = s;
  let def: unknown;
  let hasDefault = false;
  let description: string = s.description ?? '';
  for (let n = 0; n < 8 && cur?.def; n++) {
    const t = cur.def.type;
    if (t === 'default' || t === 'prefault') {
      if (!hasDefault) {
        def = typeof cur.def.defaultValue === 'function' ? cur.def.defaultValue() : cur.def.defaultValue;
        hasDefault = true;
      }
      cur = cur.def.innerType;
    } else if (t === 'optional' || t === 'nullable') cur = cur.def.innerType;
    else break;
    description ||= cur?.description ?? '';
  }
  return { inner: cur, def, hasDefault, description };
}

function typeText(s: Schema): string {
  const t = s?.def?.type;
  if (t === 'enum') return (s.options as string[]).map((o) => `\`${o}\``).join(' \\| ');
  if (t === 'string') return 'text';
  if (t === 'boolean') return 'true \\| false';
  if (t === 'number') return 'integer';
  if (t === 'array') return 'list';
  if (t === 'pipe') return typeText(s.def.in);
  if (t === 'union') return 'duration';
  return String(t ?? '?');
}

function defaultText(path: string, def: unknown, hasDefault: boolean, type: string): string {
  if (!hasDefault) return '';
  if (type === 'duration' && typeof def === 'number') return durationText(def);
  if (Array.isArray(def)) return def.length ? def.join(', ') : '';
  if (def === '') return '';
  if (path.endsWith('maxBodyBytes') && def === 1_048_576) return '1 MiB';
  return String(def);
}

const durationText = (ms: number): string => (ms % 86_400_000 === 0 ? `${ms / 86_400_000}d` : ms % 60_000 === 0 ? `${ms / 60_000}m` : ms % 1000 === 0 ? `${ms / 1000}s` : `${ms}ms`);

/** every leaf setting of the schema, in schema order */
export function settingDocs(): SettingDoc[] {
  const envOf = new Map(Object.entries(ENV_SETTINGS).map(([name, spec]) => [spec.path, name]));
  const out: SettingDoc[] = [];
  const walk = (s: Schema, prefix: string) => {
    const { inner, def, hasDefault, description } = unwrap(s);
    if (inner?.def?.type === 'object') {
      for (const [k, v] of Object.entries(inner.shape as Record<string, Schema>)) walk(v, prefix ? `${prefix}.${k}` : k);
      return;
    }
    const type = typeText(inner);
    out.push({ path: prefix, env: envOf.get(prefix) ?? null, type, default: defaultText(prefix, def, hasDefault, type), description });
  };
  walk(configSchema, '');
  return out;
}

export const DOCS_START = '<!-- settings: generated from src/core/config.ts by `npm run docs:config`; edit the schema, not this table -->';
export const DOCS_END = '<!-- end of settings -->';

/** the README table of the settings */
export function settingsTable(): string {
  const rows = settingDocs().map((d) => `| \`${d.path}\` | ${d.env ? `\`${d.env}\`` : ''} | ${d.type} | ${d.default ? `\`${d.default}\`` : ''} | ${d.description} |`);
  return ['| setting | environment | values | default | what it is |', '|---|---|---|---|---|', ...rows].join('\n');
}

/** README with its settings table replaced by the generated one */
export function withSettingsTable(readme: string): string {
  const a = readme.indexOf(DOCS_START);
  const b = readme.indexOf(DOCS_END);
  if (a < 0 || b < a) throw new Error(`README.md has no settings block (${DOCS_START} … ${DOCS_END})`);
  return `${readme.slice(0, a + DOCS_START.length)}\n${settingsTable()}\n${readme.slice(b)}`;
}

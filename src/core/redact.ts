/**
 * Keeping secrets (API keys, passwords of Kafka SASL, MySQL and Redis URLs, AWS credentials) out
 * of every message, log line and error a person or a log collector sees. Pure functions, plus one
 * process-wide list of the secrets in use (set once by the CLI) that the logger and the CLI's
 * error output scrub.
 */

/** Setting or variable names whose values are secrets. */
export const SECRET_NAME = /pass(word)?|secret|api_?key|token|credential/i;

export const HIDDEN = '(hidden)';

/** A URL with its password replaced by "***" (anything that is not a URL is returned as is). */
export function redactUrl(text: string): string {
  return text.replace(/\b([a-z][a-z0-9+.-]*:\/\/[^:/?#@\s]*):([^@/?#\s]*)@/gi, (_m, head: string) => `${head}:***@`);
}

/**
 * A value safe to show: every property whose name is a secret's name is "(hidden)", and
 * passwords in URLs are masked, recursively.
 */
export function redactValue(value: unknown, name = ''): unknown {
  if (value === undefined || value === null) return value;
  if (name && SECRET_NAME.test(name)) return HIDDEN;
  if (typeof value === 'string') return redactUrl(value);
  if (Array.isArray(value)) return value.map((v) => redactValue(v));
  if (typeof value === 'object') return Object.fromEntries(Object.entries(value as Record<string, unknown>).map(([k, v]) => [k, redactValue(v, k)]));
  return value;
}

/** The password of a URL, if it has one. */
function urlPassword(text: string): string | undefined {
  try {
    const p = new URL(text).password;
    return p ? decodeURIComponent(p) : undefined;
  } catch {
    return undefined;
  }
}

/** Secret values found in an environment or a (raw or validated) config: named secrets and URL passwords. */
export function secretsIn(source: unknown, name = '', out: Set<string> = new Set()): Set<string> {
  if (typeof source === 'string') {
    if (name && SECRET_NAME.test(name)) out.add(source);
    const p = /:\/\//.test(source) ? urlPassword(source) : undefined;
    if (p) out.add(p);
  } else if (Array.isArray(source)) for (const v of source) secretsIn(v, name, out);
  else if (source && typeof source === 'object') for (const [k, v] of Object.entries(source as Record<string, unknown>)) secretsIn(v, k, out);
  return out;
}

/**
 * Secrets shorter than this are not scrubbed from free text (a 4-letter password would mangle
 * every word that contains it); URLs are masked whatever their password's length (redactUrl).
 */
export const MIN_SCRUB_LENGTH = 8;

/** The text with every secret (as is, URL-encoded and base64) replaced by "***". */
export function scrub(text: string, secrets: Iterable<string>): string {
  let out = text;
  for (const s of secrets) {
    if (s.length < MIN_SCRUB_LENGTH) continue;
    for (const form of new Set([s, encodeURIComponent(s), Buffer.from(s).toString('base64')])) out = out.split(form).join('***');
  }
  return out;
}

let known: string[] = [];

/** Remember secrets in use (the CLI calls this with those of the environment and the config). */
export function rememberSecrets(secrets: Iterable<string>): void {
  known = [...new Set([...known, ...secrets])].filter((s) => s.length >= MIN_SCRUB_LENGTH);
}

/** scrub() with the remembered secrets (a no-op while there are none). */
export function scrubKnown(text: string): string {
  return known.length ? scrub(redactUrl(text), known) : redactUrl(text);
}

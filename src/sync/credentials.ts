/**
 * Credentials for the remote sources: from options first, then from the environment. Values are never echoed in
 * messages.
 *
 * @module
 */

/** Where the environment comes from (tests pass their own). */
export type Environment = Record<string, string | undefined>;

/**
 * Returns the option value or the environment variable, or throws a `TypeError` naming both (never the value).
 */
export function readCredential(option: string, value: unknown, envVar: string, env: Environment): string {
  if (value !== undefined) {
    if (typeof value !== 'string' || value.length === 0) {
      throw new TypeError(`Expected \`${option}\` to be a non-empty string, got ${value === '' ? 'an empty string' : typeof value}`);
    }
    return value;
  }
  const fromEnv = env[envVar];
  if (typeof fromEnv === 'string' && fromEnv.length > 0) return fromEnv;
  throw new TypeError(`Expected \`${option}\` to be set, or the ${envVar} environment variable`);
}

/** Checks the `env` option. */
export function checkEnv(value: unknown): Environment {
  if (value === undefined) return process.env;
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new TypeError('Expected `env` to be an object of environment variables');
  }
  return value as Environment;
}

/**
 * Parses and checks a source's base URL: absolute http(s), no user-info (credentials belong in their options).
 */
export function checkBaseUrl(value: unknown, option = 'baseUrl'): URL {
  let url: URL;
  try {
    if (!(value instanceof URL) && typeof value !== 'string') throw new Error();
    url = new URL(String(value));
  } catch {
    throw new TypeError(`Expected \`${option}\` to be an absolute https URL, got ${typeof value === 'string' ? 'an invalid URL' : typeof value}`);
  }
  if (url.username || url.password) {
    throw new TypeError(`Expected \`${option}\` without credentials: pass them as options or through the environment`);
  }
  if (url.search || url.hash) throw new TypeError(`Expected \`${option}\` without a query or fragment`);
  return url;
}

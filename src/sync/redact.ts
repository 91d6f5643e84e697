/**
 * Redaction of URLs and messages before they reach an error, a log line or a report: credentials in the URL's
 * user-info, secret-looking query parameters, and any configured secret string wherever it appears.
 *
 * @module
 */

/** Query parameter names whose values are never shown (matched case-insensitively, as substrings). */
const SECRET_PARAM = /key|token|secret|pass|pwd|auth|sig|credential|session|code/i;

/** What a secret is replaced with. */
export const REDACTED = '***';

/** Secrets shorter than this are not searched for in free text (too likely to mask innocent substrings). */
const MIN_SECRET_LENGTH = 4;

function secretForms(secrets: readonly string[]): string[] {
  const forms = new Set<string>();
  for (const secret of secrets) {
    if (typeof secret !== 'string' || secret.length < MIN_SECRET_LENGTH) continue;
    forms.add(secret);
    forms.add(encodeURIComponent(secret));
    forms.add(Buffer.from(secret, 'utf8').toString('base64'));
    // The WHATWG URL serializer percent-encodes differently in each component; cover each form.
    const probe = new URL('https://h/');
    probe.username = secret;
    forms.add(probe.username);
    probe.password = secret;
    forms.add(probe.password);
    probe.pathname = '/' + secret;
    forms.add(probe.pathname.slice(1));
    probe.search = '?' + secret;
    forms.add(probe.search.slice(1));
    probe.hash = '#' + secret;
    forms.add(probe.hash.slice(1));
    forms.add(new URLSearchParams({ x: secret }).toString().slice(2));
  }
  // Longest first, so a secret that contains another is replaced whole.
  return [...forms].sort((a, b) => b.length - a.length);
}

/** Replaces every occurrence of each secret (raw, URI-encoded and base64 forms) in `text` with `***`. */
export function redactText(text: string, secrets: readonly string[] = []): string {
  let out = text;
  for (const form of secretForms(secrets)) if (form.length > 0) out = out.split(form).join(REDACTED);
  return out;
}

function decodeSafely(text: string): string {
  try {
    return decodeURIComponent(text.replaceAll('+', ' '));
  } catch {
    return text;
  }
}

/**
 * A URL safe to show: user-info and secret-looking query values replaced with `***`, and every path segment,
 * query value or fragment that contains a configured secret (in any encoding) replaced whole.
 *
 * @example
 * ```ts
 * redactUrl('https://u:p@host/v2/x?code=abc&from=1') // 'https://***:***@host/v2/x?code=***&from=1'
 * ```
 */
export function redactUrl(url: string | URL, secrets: readonly string[] = []): string {
  let parsed: URL;
  try {
    parsed = new URL(String(url));
  } catch {
    return '[invalid URL]';
  }
  const wanted = secrets.filter((s) => typeof s === 'string' && s.length >= MIN_SECRET_LENGTH);
  const leaks = (text: string) => {
    const decoded = decodeSafely(text);
    return wanted.some((secret) => text.includes(secret) || decoded.includes(secret));
  };
  if (parsed.username) parsed.username = REDACTED;
  if (parsed.password) parsed.password = REDACTED;
  if (wanted.length > 0) {
    parsed.pathname = parsed.pathname
      .split('/')
      .map((segment) => (leaks(segment) ? REDACTED : segment))
      .join('/');
    if (parsed.hash && leaks(parsed.hash.slice(1))) parsed.hash = REDACTED;
  }
  const params = [...parsed.searchParams];
  if (params.some(([name, value]) => SECRET_PARAM.test(name) || leaks(name) || leaks(value))) {
    const kept = new URLSearchParams();
    for (const [name, value] of params) {
      kept.append(leaks(name) ? REDACTED : name, SECRET_PARAM.test(name) || leaks(value) ? REDACTED : value);
    }
    parsed.search = kept.toString();
  }
  // URLSearchParams re-encodes `*`; show it plainly.
  return redactText(parsed.toString().replaceAll('%2A%2A%2A', REDACTED), secrets);
}

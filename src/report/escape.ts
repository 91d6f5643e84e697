/**
 * Escaping for the HTML report. Everything that comes from a file name, a list or an error message is untrusted
 * (an upload can be named `<script>.jpg`), so every interpolated value goes through {@link escapeHtml}.
 *
 * @module
 */

const HTML_ESCAPES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
  '`': '&#96;',
};

/** Escapes text for HTML element content and quoted attribute values. */
export function escapeHtml(value: unknown): string {
  const text = value === undefined || value === null ? '' : String(value);
  // eslint-disable-next-line no-control-regex
  return text.replace(/[&<>"'`]/g, (c) => HTML_ESCAPES[c]!).replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/g, '\ufffd');
}

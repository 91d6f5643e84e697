/**
 * The NCMEC hash-sharing API v2 calls, over the shared HTTP transport with Basic auth: entries pages, status,
 * feedback reasons and feedback votes. URLs are `{baseUrl}/v2/...`; the base URL differs per environment and
 * may have a path (e.g. `https://report.cybertip.org/hashsharing`).
 *
 * @module
 */
import { SyncError } from '../../errors.js';
import type { HttpClient } from '../http.js';
import type { PackRequest } from '../packed-page.js';
import { type NcmecEntriesPage, parseEntriesPage } from './entries-xml.js';
import { childrenNamed, parseSmallXml } from './small-xml.js';

/** The XML namespace of NCMEC v2 documents. */
export const NCMEC_XML_NAMESPACE = 'https://hashsharing.ncmec.org/hashsharing/v2';

/** `GET /v2/status`: who the credentials belong to. */
export interface NcmecStatus {
  ipAddress?: string;
  username?: string;
  member?: { id: string; name?: string };
}

/** One feedback reason from `GET /v2/feedback/{TYPE}/reasons`. */
export interface NcmecFeedbackReason {
  guid: string;
  name: string;
  type: string;
}

/** A feedback vote on one fingerprint of one entry. */
export interface NcmecFeedbackInput {
  /** The member (ESP) id of the entry: the part before the first `-` of a tidscan key. */
  memberId: string;
  /** The entry id. */
  entryId: string;
  /** Fingerprint type: `MD5`, `SHA1`, `PDQ`, `PDNA`, ... (case-insensitive). */
  type: string;
  /** `up` = affirmative (a confirmed match), `down` = negative (needs reason guids). */
  vote: 'up' | 'down';
  /** Reason guids from {@link NcmecApi.getFeedbackReasons}; required for `down`. */
  reasonIds?: readonly string[];
  signal?: AbortSignal;
}

/** The low-level API. */
export interface NcmecApi {
  /** Absolute URL of a first entries page. */
  entriesUrl(fromIso: string, toIso: string): URL;
  /**
   * Resolves a `<paging><next>` link against the base URL (a leading `/` is appended to the base path, as the
   * API's links are relative to it).
   *
   * @throws {SyncError} `SYNC_MALFORMED_RESPONSE` when it points outside the base URL (credentials must never
   * be sent elsewhere).
   */
  resolveNext(next: string): URL;
  /** One entries page; packed (see `parseEntriesPage`) when `pack` is given. */
  fetchEntriesPage(url: URL, signal?: AbortSignal, pack?: PackRequest): Promise<NcmecEntriesPage>;
  getStatus(signal?: AbortSignal): Promise<NcmecStatus>;
  getFeedbackReasons(type: string, signal?: AbortSignal): Promise<NcmecFeedbackReason[]>;
  submitFeedback(input: NcmecFeedbackInput): Promise<void>;
}

const TYPE_PATTERN = /^[A-Z0-9_]{2,32}$/;
const GUID_PATTERN = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;

function xmlEscape(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function checkType(type: unknown): string {
  const upper = typeof type === 'string' ? type.toUpperCase().replace(/-/g, '_') : '';
  if (!TYPE_PATTERN.test(upper)) {
    throw new TypeError(`Expected \`type\` to be a fingerprint type such as "MD5", "SHA1" or "PDQ", got ${JSON.stringify(type)}`);
  }
  return upper;
}

/** Creates the API over `http` with the given base URL and Basic-auth header. */
export function createNcmecApi(options: { http: HttpClient; baseUrl: URL; authorization: string; sourceId: string }): NcmecApi {
  const { http, authorization, sourceId } = options;
  const baseHref = options.baseUrl.href.replace(/\/+$/, '');
  const base = new URL(baseHref + '/');
  const headers = { authorization, accept: 'application/xml' };

  function resolveNext(next: string): URL {
    let url: URL;
    try {
      url = next.startsWith('/') ? new URL(baseHref + next) : new URL(next, base);
    } catch {
      throw new SyncError('SYNC_MALFORMED_RESPONSE', 'The NCMEC paging link is not a valid URL', { details: { url: http.redact(base) } });
    }
    if (url.origin !== base.origin || !url.pathname.startsWith(base.pathname)) {
      throw new SyncError('SYNC_MALFORMED_RESPONSE', `The NCMEC paging link points outside the base URL (${http.redact(url)})`, {
        details: { url: http.redact(url), base: http.redact(base) },
      });
    }
    return url;
  }

  /** Records in the last packed page: the next page's packer makes room for as many at once. */
  let lastPageRows = 0;

  async function getXml(path: string, signal?: AbortSignal) {
    const url = new URL(baseHref + path);
    const text = await http.request(url, (res) => res.text(), { headers, ...(signal ? { signal } : {}) });
    return parseSmallXml(text, { url: http.redact(url) });
  }

  return {
    entriesUrl(fromIso, toIso) {
      return new URL(`${baseHref}/v2/entries?from=${encodeURIComponent(fromIso)}&to=${encodeURIComponent(toIso)}`);
    },
    resolveNext,
    fetchEntriesPage(url, signal, pack) {
      const parse = async (res: { body: AsyncIterable<Uint8Array>; url: string }) => {
        const page = await parseEntriesPage(res.body, sourceId, { url: res.url }, pack, lastPageRows);
        if (page.batch) lastPageRows = page.batch.count;
        return page;
      };
      return http.request(url, parse, {
        headers,
        ...(signal ? { signal } : {}),
      });
    },
    async getStatus(signal) {
      const root = await getXml('/v2/status', signal);
      const status: NcmecStatus = {};
      const ip = childrenNamed(root, 'ipAddress')[0]?.text;
      const username = childrenNamed(root, 'username')[0]?.text;
      const member = childrenNamed(root, 'member')[0];
      if (ip) status.ipAddress = ip;
      if (username) status.username = username;
      if (member?.attributes.id) status.member = member.text ? { id: member.attributes.id, name: member.text } : { id: member.attributes.id };
      return status;
    },
    async getFeedbackReasons(type, signal) {
      const root = await getXml(`/v2/feedback/${checkType(type)}/reasons`, signal);
      return childrenNamed(root, 'reason')
        .filter((r) => r.attributes.guid)
        .map((r) => ({ guid: r.attributes.guid!, name: r.attributes.name ?? '', type: r.attributes.type ?? '' }));
    },
    async submitFeedback(input) {
      if (typeof input !== 'object' || input === null) throw new TypeError('Expected feedback input to be an object');
      for (const field of ['memberId', 'entryId'] as const) {
        if (typeof input[field] !== 'string' || input[field].length === 0) {
          throw new TypeError(`Expected \`${field}\` to be a non-empty string, got ${JSON.stringify(input[field])}`);
        }
      }
      const type = checkType(input.type);
      if (input.vote !== 'up' && input.vote !== 'down') {
        throw new TypeError(`Expected \`vote\` to be "up" or "down", got ${JSON.stringify(input.vote)}`);
      }
      const reasonIds = input.reasonIds ?? [];
      if (!Array.isArray(reasonIds) || reasonIds.some((g) => typeof g !== 'string' || !GUID_PATTERN.test(g))) {
        throw new TypeError('Expected `reasonIds` to be an array of reason guids (from getFeedbackReasons)');
      }
      if (input.vote === 'down' && reasonIds.length === 0) {
        throw new TypeError('Expected `reasonIds` to name at least one reason for a "down" vote');
      }
      const inner =
        input.vote === 'up' ?
          '<affirmative/>'
        : `<negative><reasonIds>${reasonIds.map((g) => `<guid>${xmlEscape(g)}</guid>`).join('')}</reasonIds></negative>`;
      const body = `<feedbackSubmission xmlns="${NCMEC_XML_NAMESPACE}">${inner}</feedbackSubmission>`;
      const url = new URL(
        `${baseHref}/v2/entries/${encodeURIComponent(input.memberId)}/${encodeURIComponent(input.entryId)}/${type}/feedback`,
      );
      try {
        // PUT: the transport never retries it, so a vote is never sent twice by tidscan.
        await http.request(url, (res) => res.text(), {
          method: 'PUT',
          headers: { ...headers, 'content-type': 'application/xml; charset=utf-8' },
          body,
          ...(input.signal ? { signal: input.signal } : {}),
        });
      } catch (err) {
        if (err instanceof SyncError && err.code !== 'SYNC_ABORTED') {
          throw new SyncError('FEEDBACK_FAILED', `NCMEC feedback was not accepted: ${err.message}`, {
            cause: err,
            details: { ...err.details, causeCode: err.code },
          });
        }
        throw err;
      }
    },
  };
}

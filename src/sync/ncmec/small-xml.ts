/**
 * Parses a small XML document (status, feedback reasons, submission results) into a plain element tree with
 * local names, for the NCMEC endpoints that are not paged.
 *
 * @module
 */
import { SaxesParser, type SaxesTagPlain } from 'saxes';
import { SyncError } from '../../errors.js';

/** One element: local name (as written, without prefix), attributes, trimmed text and children. */
export interface XmlElement {
  name: string;
  attributes: Record<string, string>;
  text: string;
  children: XmlElement[];
}

function localName(name: string): string {
  const colon = name.indexOf(':');
  return colon === -1 ? name : name.slice(colon + 1);
}

/**
 * Parses `xml` into its root element.
 *
 * @throws {SyncError} `SYNC_MALFORMED_RESPONSE` when the text is not well-formed XML.
 */
export function parseSmallXml(xml: string, details: Record<string, unknown> = {}): XmlElement {
  const parser = new SaxesParser({ xmlns: false, position: false });
  const stack: XmlElement[] = [];
  let root: XmlElement | undefined;
  parser.on('opentag', (tag: SaxesTagPlain) => {
    const attributes: Record<string, string> = {};
    for (const [k, v] of Object.entries(tag.attributes)) if (typeof v === 'string') attributes[localName(k)] = v;
    const element: XmlElement = { name: localName(tag.name), attributes, text: '', children: [] };
    stack.at(-1)?.children.push(element);
    root ??= element;
    stack.push(element);
  });
  parser.on('text', (t: string) => {
    const top = stack.at(-1);
    if (top) top.text += t;
  });
  parser.on('closetag', () => {
    const top = stack.pop();
    if (top) top.text = top.text.trim();
  });
  try {
    parser.write(xml).close();
  } catch (err) {
    throw new SyncError('SYNC_MALFORMED_RESPONSE', `The NCMEC response is not well-formed XML: ${(err as Error).message}`, {
      cause: err,
      details,
    });
  }
  if (!root) throw new SyncError('SYNC_MALFORMED_RESPONSE', 'The NCMEC response is empty', { details });
  return root;
}

/** Children of `element` with local name `name` (case-insensitive). */
export function childrenNamed(element: XmlElement, name: string): XmlElement[] {
  const lower = name.toLowerCase();
  return element.children.filter((c) => c.name.toLowerCase() === lower);
}

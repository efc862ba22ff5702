// XML 1.0 (W3C, Fifth Edition), only the subset KeePass 2 XML exports use: elements, attributes, character
// data, the five predefined entities and character references, CDATA sections, comments and processing
// instructions (skipped). A DOCTYPE is refused outright (no DTD, so no external or expanding entities).
// Text keeps its whitespace; line ends are normalised to LF (§2.11). Elements with child elements keep
// their children only: KeePass files have no mixed content.

export class XmlError extends SyntaxError {
  override name = 'XmlError';
}

export interface XmlElement {
  name: string;
  attrs: Record<string, string>;
  children: XmlElement[];
  /** Character data of an element without child elements. */
  text: string;
}

const MAX_DEPTH = 256;
const NAME = /[A-Za-z_:][A-Za-z0-9_:.-]*/y;
const SPACE = /[ \t\r\n]*/y;

function lineAndColumn(src: string, pos: number): string {
  const before = src.slice(0, pos);
  const line = before.split('\n').length;
  return `line ${line}, column ${pos - before.lastIndexOf('\n')}`;
}

function decodeEntities(raw: string, src: string, at: number): string {
  return raw.replace(/&([^;&]*);|&/g, (m, ref: string | undefined) => {
    if (ref === undefined) throw new XmlError(`XML: a bare "&" at ${lineAndColumn(src, at)}`);
    switch (ref) {
      case 'lt':
        return '<';
      case 'gt':
        return '>';
      case 'amp':
        return '&';
      case 'quot':
        return '"';
      case 'apos':
        return "'";
    }
    const num = /^#x([0-9a-fA-F]{1,6})$/.exec(ref) ?? /^#([0-9]{1,7})$/.exec(ref);
    if (!num) throw new XmlError(`XML: unknown entity "${m}" at ${lineAndColumn(src, at)} (there is no DTD to define it)`);
    const cp = parseInt(num[1]!, ref[1] === 'x' ? 16 : 10);
    // §2.2 Char: #x9 | #xA | #xD | [#x20-#xD7FF] | [#xE000-#xFFFD] | [#x10000-#x10FFFF]
    const ok = cp === 0x9 || cp === 0xa || cp === 0xd || (cp >= 0x20 && cp <= 0xd7ff) || (cp >= 0xe000 && cp <= 0xfffd) || (cp >= 0x10000 && cp <= 0x10ffff);
    if (!ok) throw new XmlError(`XML: character reference ${m} is not an XML character`);
    return String.fromCodePoint(cp);
  });
}

/** Parses a document into its root element. Throws XmlError naming the line and column. */
export function parseXml(input: string): XmlElement {
  const src = input.replace(/^\uFEFF/, '').replace(/\r\n?/g, '\n');
  let pos = 0;
  const fail = (what: string): never => {
    throw new XmlError(`XML: ${what} at ${lineAndColumn(src, pos)}`);
  };
  const skipSpace = () => {
    SPACE.lastIndex = pos;
    SPACE.exec(src);
    pos = SPACE.lastIndex;
  };
  const readName = (): string => {
    NAME.lastIndex = pos;
    const m = NAME.exec(src);
    if (!m) fail('a name was expected');
    pos = NAME.lastIndex;
    return m![0];
  };
  const skipUntil = (end: string, what: string) => {
    const i = src.indexOf(end, pos);
    if (i < 0) fail(`unterminated ${what}`);
    pos = i + end.length;
  };
  /** Comments, processing instructions and whitespace between markup outside the root. */
  const skipMisc = () => {
    for (;;) {
      skipSpace();
      if (src.startsWith('<!--', pos)) skipUntil('-->', 'comment');
      else if (src.startsWith('<?', pos)) skipUntil('?>', 'processing instruction');
      else if (src.startsWith('<!DOCTYPE', pos) || src.startsWith('<!doctype', pos)) fail('a DOCTYPE is not accepted (no DTDs)');
      else return;
    }
  };

  skipMisc();
  if (src[pos] !== '<') fail('the document does not start with an element');
  const stack: XmlElement[] = [];
  let root: XmlElement | undefined;
  let text = '';
  while (pos < src.length) {
    if (src[pos] !== '<') {
      const next = src.indexOf('<', pos);
      const end = next < 0 ? src.length : next;
      if (stack.length === 0) fail('text outside the root element');
      const raw = src.slice(pos, end);
      if (raw.includes(']]>')) fail('"]]>" in character data');
      text += decodeEntities(raw, src, pos);
      pos = end;
      continue;
    }
    if (src.startsWith('<!--', pos)) {
      skipUntil('-->', 'comment');
    } else if (src.startsWith('<![CDATA[', pos)) {
      if (stack.length === 0) fail('CDATA outside the root element');
      const start = pos + 9;
      skipUntil(']]>', 'CDATA section');
      text += src.slice(start, pos - 3);
    } else if (src.startsWith('<?', pos)) {
      skipUntil('?>', 'processing instruction');
    } else if (src.startsWith('<!', pos)) {
      fail('a DOCTYPE or declaration is not accepted here');
    } else if (src.startsWith('</', pos)) {
      pos += 2;
      const name = readName();
      skipSpace();
      if (src[pos] !== '>') fail('">" was expected');
      pos++;
      const el = stack.pop();
      if (!el || el.name !== name) fail(`end tag </${name}> does not match <${el?.name ?? ''}>`);
      if (el!.children.length === 0) el!.text = text;
      else if (text.trim() !== '') fail(`mixed text and elements in <${name}>`);
      text = '';
      if (stack.length === 0) {
        root = el;
        break;
      }
    } else {
      pos++;
      const el: XmlElement = { name: readName(), attrs: {}, children: [], text: '' };
      for (;;) {
        const before = pos;
        skipSpace();
        if (src[pos] === '>' || src.startsWith('/>', pos)) break;
        if (pos === before) fail('whitespace was expected before an attribute');
        const attr = readName();
        skipSpace();
        if (src[pos] !== '=') fail('"=" was expected');
        pos++;
        skipSpace();
        const q = src[pos];
        if (q !== '"' && q !== "'") fail('a quoted attribute value was expected');
        const end = src.indexOf(q!, pos + 1);
        if (end < 0) fail('unterminated attribute value');
        const raw = src.slice(pos + 1, end);
        if (raw.includes('<')) fail('"<" in an attribute value');
        if (Object.hasOwn(el.attrs, attr)) fail(`duplicate attribute "${attr}"`);
        // §3.3.3: literal whitespace in an attribute value becomes a space.
        // defineProperty: an attribute named "__proto__" is data like any other.
        Object.defineProperty(el.attrs, attr, { value: decodeEntities(raw.replace(/[\t\n]/g, ' '), src, pos), enumerable: true, writable: true, configurable: true });
        pos = end + 1;
      }
      const parent = stack[stack.length - 1];
      if (parent) {
        if (text.trim() !== '') fail(`mixed text and elements in <${parent.name}>`);
        parent.children.push(el);
      }
      text = '';
      if (src.startsWith('/>', pos)) {
        pos += 2;
        if (!parent) {
          root = el;
          break;
        }
      } else {
        pos++;
        stack.push(el);
        if (stack.length > MAX_DEPTH) fail(`elements nested deeper than ${MAX_DEPTH}`);
      }
    }
  }
  if (!root) fail(stack.length ? `<${stack[stack.length - 1]!.name}> is never closed` : 'no root element');
  skipMisc();
  if (pos < src.length) fail('content after the root element');
  return root!;
}

const escapeText = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/\r/g, '&#13;');
const escapeAttr = (s: string) => escapeText(s).replace(/"/g, '&quot;').replace(/\t/g, '&#9;').replace(/\n/g, '&#10;');

/** Serialises with tab indentation; text is written exactly (escaped), so it reads back the same. */
export function writeXml(root: XmlElement): string {
  const out: string[] = ['<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'];
  const walk = (el: XmlElement, depth: number) => {
    const indent = '\t'.repeat(depth);
    const attrs = Object.entries(el.attrs)
      .map(([k, v]) => ` ${k}="${escapeAttr(v)}"`)
      .join('');
    if (el.children.length > 0) {
      out.push(`${indent}<${el.name}${attrs}>\n`);
      for (const c of el.children) walk(c, depth + 1);
      out.push(`${indent}</${el.name}>\n`);
    } else if (el.text === '') out.push(`${indent}<${el.name}${attrs} />\n`);
    else out.push(`${indent}<${el.name}${attrs}>${escapeText(el.text)}</${el.name}>\n`);
  };
  walk(root, 0);
  return out.join('');
}

/** A text-only element. */
export const el = (name: string, text = '', attrs: Record<string, string> = {}): XmlElement => ({ name, attrs, children: [], text });
/** An element with children. */
export const node = (name: string, children: XmlElement[], attrs: Record<string, string> = {}): XmlElement => ({ name, attrs, children, text: '' });
export const child = (e: XmlElement, name: string): XmlElement | undefined => e.children.find((c) => c.name === name);

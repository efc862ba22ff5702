import { describe, expect, it } from 'vitest';
import { XmlError, child, el, node, parseXml, writeXml } from './xml.ts';

describe('XML subset for KeePass files', () => {
  it('elements, attributes, text with predefined entities and character references (XML 1.0 §4.1, §4.6)', () => {
    const root = parseXml(`<?xml version="1.0" encoding="utf-8" standalone="yes"?>
<!-- a comment -->
<A x="1" y='two &amp; &quot;three&quot;'>
  <B>&lt;tag&gt; &amp; &#65;&#x42;&#x1F511;</B>
  <C/>
  <D><![CDATA[<raw> & ]]]></D>
  <?pi ignored?>
</A>`);
    expect(root.name).toBe('A');
    expect(root.attrs).toEqual({ x: '1', y: 'two & "three"' });
    expect(root.children.map((c) => c.name)).toEqual(['B', 'C', 'D']);
    expect(child(root, 'B')!.text).toBe('<tag> & AB🔑');
    expect(child(root, 'C')!.text).toBe('');
    expect(child(root, 'D')!.text).toBe('<raw> & ]');
  });

  it('§2.11: CRLF and CR become LF; multi-line text keeps its lines', () => {
    const root = parseXml('<V>-----BEGIN\r\nAAAA\rBBBB\n-----END</V>');
    expect(root.text).toBe('-----BEGIN\nAAAA\nBBBB\n-----END');
  });

  it('writeXml then parseXml gives the same tree, including awkward text', () => {
    const tree = node('KeePassFile', [
      node('Meta', [el('Generator', 'Keyport')]),
      node('Root', [node('Group', [el('Name', 'a < b & c > d'), el('Value', '  spaced\nlines\r\t"quoted"  ', { ProtectInMemory: 'True', note: 'tab\there "q" <&>' }), el('Empty')])]),
    ]);
    const text = writeXml(tree);
    expect(text.startsWith('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<KeePassFile>')).toBe(true);
    expect(parseXml(text)).toEqual(tree);
  });

  it('refuses DOCTYPE (no DTD, so no entity expansion or external entities)', () => {
    expect(() => parseXml('<!DOCTYPE x [<!ENTITY a "aaaa">]><x>&a;</x>')).toThrow(/DOCTYPE is not accepted/);
    expect(() => parseXml('<x>&a;</x>')).toThrow(/unknown entity "&a;"/);
  });

  it('refuses malformed documents with the line and column', () => {
    const bad: [string, RegExp][] = [
      ['', /does not start with an element/],
      ['text', /does not start with an element/],
      ['<a><b></a>', /end tag <\/a> does not match <b>/],
      ['<a>', /<a> is never closed/],
      ['<a></a><b/>', /content after the root element/],
      ['<a x="1" x="2"/>', /duplicate attribute "x"/],
      ['<a x=1/>', /quoted attribute value/],
      ['<a>x<b/></a>', /mixed text and elements/],
      ['<a>&#0;</a>', /not an XML character/],
      ['<a>AT&T</a>', /unknown entity|bare "&"/],
      ['<a><!-- unterminated</a>', /unterminated comment/],
      ['<a>\n<b>\n</c></a>', /line 3/],
    ];
    for (const [text, pattern] of bad) expect(() => parseXml(text), text).toThrow(pattern);
    expect(() => parseXml('<a>')).toThrow(XmlError);
  });

  it('an attribute named __proto__ is an attribute, not a prototype', () => {
    const root = parseXml('<a __proto__="x" b="y"/>');
    expect(Object.getPrototypeOf(root.attrs)).toBe(Object.prototype);
    expect(Object.entries(root.attrs)).toEqual([
      ['__proto__', 'x'],
      ['b', 'y'],
    ]);
  });

  it('refuses nesting deeper than 256 levels (hostile files)', () => {
    const deep = '<a>'.repeat(300) + '</a>'.repeat(300);
    expect(() => parseXml(deep)).toThrow(/nested deeper than 256/);
    const ok = '<a>'.repeat(200) + '</a>'.repeat(200);
    expect(parseXml(ok).name).toBe('a');
  });
});

// A small well-formedness checker and tree builder for the JUnit XML tests (XML 1.0 subset:
// declaration, elements, attributes in double or single quotes, text, the five predefined
// entities and numeric character references). Throws on anything malformed.

export interface XmlElement {
  name: string;
  attrs: Record<string, string>;
  children: XmlElement[];
  text: string;
}

function decode(s: string, at: number): string {
  return s.replace(/&(#x[0-9a-fA-F]+|#\d+|[a-z]+);|&/g, (m, ent: string | undefined) => {
    if (ent === undefined) throw new Error(`XML: bare & near ${at}`);
    if (ent.startsWith('#x')) return String.fromCodePoint(parseInt(ent.slice(2), 16));
    if (ent.startsWith('#')) return String.fromCodePoint(Number(ent.slice(1)));
    const named: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };
    if (!(ent in named)) throw new Error(`XML: unknown entity ${m}`);
    return named[ent]!;
  });
}

export function parseXml(text: string): XmlElement {
  let i = 0;
  const skipWs = (): void => {
    while (i < text.length && /\s/.test(text[i]!)) i++;
  };
  if (text.startsWith('<?xml')) {
    const end = text.indexOf('?>');
    if (end < 0) throw new Error('XML: unterminated declaration');
    i = end + 2;
  }
  skipWs();
  const NAME = /[A-Za-z_][\w.:-]*/y;
  const readName = (): string => {
    NAME.lastIndex = i;
    const m = NAME.exec(text);
    if (m === null) throw new Error(`XML: name expected at ${i}`);
    i += m[0].length;
    return m[0];
  };
  const element = (): XmlElement => {
    if (text[i] !== '<') throw new Error(`XML: < expected at ${i}`);
    i++;
    const el: XmlElement = { name: readName(), attrs: {}, children: [], text: '' };
    for (;;) {
      skipWs();
      if (text.startsWith('/>', i)) {
        i += 2;
        return el;
      }
      if (text[i] === '>') {
        i++;
        break;
      }
      const attr = readName();
      skipWs();
      if (text[i] !== '=') throw new Error(`XML: = expected at ${i}`);
      i++;
      skipWs();
      const q = text[i];
      if (q !== '"' && q !== "'") throw new Error(`XML: quoted value expected at ${i}`);
      const end = text.indexOf(q, i + 1);
      if (end < 0) throw new Error('XML: unterminated attribute');
      const raw = text.slice(i + 1, end);
      if (raw.includes('<')) throw new Error(`XML: < in attribute value at ${i}`);
      if (attr in el.attrs) throw new Error(`XML: duplicate attribute ${attr}`);
      el.attrs[attr] = decode(raw, i);
      i = end + 1;
    }
    for (;;) {
      const lt = text.indexOf('<', i);
      if (lt < 0) throw new Error(`XML: element <${el.name}> not closed`);
      el.text += decode(text.slice(i, lt), i);
      i = lt;
      if (text.startsWith('</', i)) {
        i += 2;
        const name = readName();
        if (name !== el.name) throw new Error(`XML: </${name}> closes <${el.name}>`);
        skipWs();
        if (text[i] !== '>') throw new Error(`XML: > expected at ${i}`);
        i++;
        return el;
      }
      el.children.push(element());
    }
  };
  const root = element();
  skipWs();
  if (i !== text.length) throw new Error(`XML: content after the root element at ${i}`);
  return root;
}

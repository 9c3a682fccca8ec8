/**
 * Reads the YAML subset docker-compose.yml is written in: block mappings, flow sequences and
 * mappings, quoted and plain scalars, comments, one level of anchors with `<<` merges. Anything
 * else (block sequences, multi-line scalars, tags) is an error, so the file stays checkable here:
 * these machines have the docker CLI without its compose plugin, and no YAML library is installed.
 */
export type YamlValue = string | number | boolean | null | YamlValue[] | { [key: string]: YamlValue };
type YamlMap = { [key: string]: YamlValue };

interface Line {
  no: number;
  indent: number;
  text: string;
}

export function parseComposeYaml(source: string): YamlMap {
  const lines: Line[] = [];
  source.split('\n').forEach((raw, index) => {
    const text = stripComment(raw).trimEnd();
    if (!text.trim()) return;
    if (/^\s*\t/.test(raw)) throw new Error(`line ${index + 1}: tabs are not YAML indentation`);
    lines.push({ no: index + 1, indent: text.length - text.trimStart().length, text: text.trim() });
  });
  const anchors = new Map<string, YamlValue>();
  let at = 0;

  const block = (indent: number): YamlMap => {
    const explicit: YamlMap = {};
    const merged: YamlMap = {};
    while (at < lines.length) {
      const line = lines[at] as Line;
      if (line.indent < indent) break;
      if (line.indent > indent) throw new Error(`line ${line.no}: unexpected indentation`);
      if (line.text.startsWith('- ')) throw new Error(`line ${line.no}: block sequences are not used here`);
      const match = line.text.match(/^("[^"]*"|[^\s:"][^:]*?):(?:\s+(.*))?$/);
      if (!match) throw new Error(`line ${line.no}: expected "key: value", got ${line.text}`);
      const key = unquote(match[1] as string);
      let rest = match[2] ?? '';
      at++;
      let anchor: string | undefined;
      const anchored = rest.match(/^&([\w-]+)\s*(.*)$/);
      if (anchored) {
        anchor = anchored[1];
        rest = anchored[2] ?? '';
      }
      // A flow collection may start on the next line and go on over several (Biome formats long
      // ones that way).
      const next = lines[at];
      if (rest === '' && next && next.indent > indent && /^[[{]/.test(next.text)) {
        rest = next.text;
        at++;
      }
      while ((rest.startsWith('[') || rest.startsWith('{')) && !isBalanced(rest) && at < lines.length) {
        rest = `${rest} ${(lines[at] as Line).text}`;
        at++;
      }
      let value: YamlValue;
      if (rest === '') {
        const next = lines[at];
        value = next && next.indent > indent ? block(next.indent) : null;
      } else if (rest.startsWith('*')) {
        const name = rest.slice(1);
        if (!anchors.has(name)) throw new Error(`line ${line.no}: unknown alias *${name}`);
        value = structuredClone(anchors.get(name) as YamlValue);
      } else {
        value = flowOrScalar(rest, line.no);
      }
      if (anchor) anchors.set(anchor, value);
      if (key === '<<') {
        if (!isMap(value)) throw new Error(`line ${line.no}: << needs a mapping`);
        Object.assign(merged, value);
      } else {
        if (key in explicit) throw new Error(`line ${line.no}: duplicate key ${key}`);
        explicit[key] = value;
      }
    }
    return { ...merged, ...explicit };
  };

  const root = block(0);
  if (at < lines.length) throw new Error(`line ${lines[at]?.no}: could not read`);
  return root;
}

export function isMap(value: YamlValue | undefined): value is YamlMap {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function flowOrScalar(text: string, lineNo: number): YamlValue {
  if (!text.startsWith('[') && !text.startsWith('{')) {
    return text.startsWith('"') || text.startsWith("'") ? quoted(text, 0, lineNo).value : plain(text);
  }
  const { value, end } = flow(text, 0, lineNo);
  if (text.slice(end).trim()) throw new Error(`line ${lineNo}: text after the closing bracket`);
  return value;
}

function flow(text: string, start: number, lineNo: number): { value: YamlValue; end: number } {
  let i = skipSpace(text, start);
  const open = text[i];
  if (open === '"' || open === "'") return quoted(text, i, lineNo);
  if (open === '[' || open === '{') {
    const close = open === '[' ? ']' : '}';
    const list: YamlValue[] = [];
    const map: YamlMap = {};
    i = skipSpace(text, i + 1);
    while (text[i] !== close) {
      if (i >= text.length) throw new Error(`line ${lineNo}: unclosed ${open}`);
      if (open === '[') {
        const item = flow(text, i, lineNo);
        list.push(item.value);
        i = item.end;
      } else {
        const colon = text.indexOf(':', i);
        if (colon < 0) throw new Error(`line ${lineNo}: expected key: value in {}`);
        const key = unquote(text.slice(i, colon).trim());
        const item = flow(text, colon + 1, lineNo);
        map[key] = item.value;
        i = item.end;
      }
      i = skipSpace(text, i);
      if (text[i] === ',') i = skipSpace(text, i + 1);
    }
    return { value: open === '[' ? list : map, end: i + 1 };
  }
  let end = i;
  while (end < text.length && !',]}'.includes(text[end] as string)) end++;
  return { value: plain(text.slice(i, end).trim()), end };
}

function quoted(text: string, start: number, lineNo: number): { value: string; end: number } {
  const quote = text[start] as string;
  let out = '';
  for (let i = start + 1; i < text.length; i++) {
    const c = text[i] as string;
    if (quote === '"' && c === '\\') {
      out += text[++i] ?? '';
    } else if (c === quote) {
      if (quote === "'" && text[i + 1] === "'") {
        out += "'";
        i++;
      } else {
        return { value: out, end: i + 1 };
      }
    } else {
      out += c;
    }
  }
  throw new Error(`line ${lineNo}: unclosed ${quote}`);
}

function plain(text: string): YamlValue {
  if (text === 'true' || text === 'false') return text === 'true';
  if (text === 'null' || text === '~') return null;
  if (/^-?\d+$/.test(text)) return Number(text);
  return text;
}

function unquote(text: string): string {
  return text.startsWith('"') && text.endsWith('"') ? text.slice(1, -1) : text;
}

function skipSpace(text: string, i: number): number {
  let at = i;
  while (text[at] === ' ') at++;
  return at;
}

/** A `#` starts a comment at the line's start or after a space, outside quotes. */
function stripComment(line: string): string {
  let quote: string | null = null;
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (quote) {
      if (c === quote) quote = null;
    } else if (c === '"' || c === "'") {
      quote = c;
    } else if (c === '#' && (i === 0 || line[i - 1] === ' ')) {
      return line.slice(0, i);
    }
  }
  return line;
}

/** Whether every bracket opened outside quotes is closed. */
function isBalanced(text: string): boolean {
  let depth = 0;
  let quote: string | null = null;
  for (const c of text) {
    if (quote) {
      if (c === quote) quote = null;
    } else if (c === '"' || c === "'") {
      quote = c;
    } else if (c === '[' || c === '{') {
      depth++;
    } else if (c === ']' || c === '}') {
      depth--;
    }
  }
  return depth <= 0;
}

/** A parsed `fields` selector: each key maps to `true` (whole value) or a nested selection. */
type Selection = Map<string, Selection | true>;

export class FieldsError extends Error {}

/**
 * Applies Google's partial-response `fields` parameter (e.g. `messages(id,threadId),nextPageToken`
 * or `payload/headers`) so clients that trim responses see what the real API would return.
 */
export function applyFields(body: unknown, fields: string | null): unknown {
  if (!fields) return body;
  const selection = parseSelection(fields.replace(/\s+/g, ''));
  return select(body, selection);
}

function select(value: unknown, selection: Selection): unknown {
  if (Array.isArray(value)) return value.map((v) => select(v, selection));
  if (value === null || typeof value !== 'object') return value;
  const out: Record<string, unknown> = {};
  const obj = value as Record<string, unknown>;
  for (const [key, sub] of selection) {
    if (!(key in obj)) continue;
    out[key] = sub === true ? obj[key] : select(obj[key], sub);
  }
  return out;
}

function parseSelection(text: string): Selection {
  let pos = 0;
  const parseList = (): Selection => {
    const sel: Selection = new Map();
    for (;;) {
      const start = pos;
      while (pos < text.length && /[A-Za-z0-9_/*]/.test(text[pos] ?? '')) pos += 1;
      const path = text.slice(start, pos);
      if (!path) throw new FieldsError(`Invalid field selection ${text}`);
      let leaf: Selection | true = true;
      if (text[pos] === '(') {
        pos += 1;
        leaf = parseList();
        if (text[pos] !== ')') throw new FieldsError(`Invalid field selection ${text}`);
        pos += 1;
      }
      insert(sel, path.split('/'), leaf);
      if (text[pos] !== ',') return sel;
      pos += 1;
    }
  };
  const sel = parseList();
  if (pos !== text.length) throw new FieldsError(`Invalid field selection ${text}`);
  return sel;
}

function insert(sel: Selection, path: string[], leaf: Selection | true): void {
  const [head, ...rest] = path;
  if (!head) return;
  if (rest.length === 0) {
    const existing = sel.get(head);
    sel.set(head, existing instanceof Map && leaf instanceof Map ? new Map([...existing, ...leaf]) : leaf);
    return;
  }
  let child = sel.get(head);
  if (child === true) return;
  if (!child) {
    child = new Map();
    sel.set(head, child);
  }
  insert(child, rest, leaf);
}

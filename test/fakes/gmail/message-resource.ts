import type { StoredMessage } from './store.ts';

export type MessageFormat = 'minimal' | 'metadata' | 'full' | 'raw';

export const MESSAGE_FORMATS: readonly MessageFormat[] = ['minimal', 'metadata', 'full', 'raw'];

interface MessagePart {
  partId: string;
  mimeType: string;
  filename: string;
  headers: { name: string; value: string }[];
  body: { size: number; data?: string };
  parts?: MessagePart[];
}

/**
 * Renders a stored message as a users.messages resource in the requested format, following the
 * Format enum: minimal has no payload, metadata has headers only, full adds parsed bodies, raw
 * carries the whole RFC 822 text as base64url instead of a payload.
 */
export function renderMessage(
  m: StoredMessage,
  format: MessageFormat,
  metadataHeaders: string[],
): Record<string, unknown> {
  const raw = format === 'raw' ? buildRfc822(m) : undefined;
  const base: Record<string, unknown> = {
    id: m.id,
    threadId: m.threadId,
    labelIds: [...m.labelIds],
    snippet: snippetOf(m),
    sizeEstimate: sizeOf(m),
    historyId: String(m.historyId),
    internalDate: String(m.internalDate),
  };
  if (format === 'minimal') return base;
  if (raw !== undefined) return { ...base, raw: Buffer.from(raw, 'utf8').toString('base64url') };
  const headers = m.headers.map((h) => ({ name: h.name, value: decodeEncodedWords(h.value) }));
  if (format === 'metadata') {
    const wanted = new Set(metadataHeaders.map((h) => h.toLowerCase()));
    const kept = wanted.size === 0 ? headers : headers.filter((h) => wanted.has(h.name.toLowerCase()));
    return {
      ...base,
      payload: { partId: '', mimeType: mimeTypeOf(m), filename: '', headers: kept, body: { size: 0 } },
    };
  }
  return { ...base, payload: fullPayload(m, headers) };
}

/** Messages never change once stored, so their size is worked out once (a bench reads 100k). */
const SIZES = new WeakMap<StoredMessage, number>();
function sizeOf(m: StoredMessage): number {
  let size = SIZES.get(m);
  if (size === undefined) {
    size = Buffer.byteLength(buildRfc822(m), 'utf8');
    SIZES.set(m, size);
  }
  return size;
}

/** The RFC 822 text a `raw` request returns; headers stay exactly as stored (encoded words intact). */
export function buildRfc822(m: StoredMessage): string {
  const head = m.headers.map((h) => `${h.name}: ${h.value}`).join('\r\n');
  const text = (m.body ?? '').replace(/\r?\n/g, '\r\n');
  const boundary = boundaryOf(m);
  if (!boundary) return `${head}\r\n\r\n${text}`;
  return [
    head,
    '',
    `--${boundary}`,
    'Content-Type: text/plain; charset="UTF-8"',
    '',
    text,
    `--${boundary}`,
    'Content-Type: text/html; charset="UTF-8"',
    '',
    toHtml(m.body ?? ''),
    `--${boundary}--`,
    '',
  ].join('\r\n');
}

/** Gmail shows header values with RFC 2047 encoded words decoded; raw keeps them as sent. */
export function decodeEncodedWords(value: string): string {
  // Whitespace between two adjacent encoded words is not part of the text (RFC 2047 section 6.2).
  const joined = value.replace(/(=\?[^?]+\?[bBqQ]\?[^?]*\?=)\s+(?==\?[^?]+\?[bBqQ]\?[^?]*\?=)/g, '$1');
  return joined.replace(
    /=\?([^?]+)\?([bBqQ])\?([^?]*)\?=/g,
    (whole, charset: string, enc: string, text: string) => {
      try {
        const bytes =
          enc.toUpperCase() === 'B'
            ? Buffer.from(text, 'base64')
            : Buffer.from(
                text
                  .replace(/_/g, ' ')
                  .replace(/=([0-9A-Fa-f]{2})/g, (_h, hex: string) =>
                    String.fromCharCode(Number.parseInt(hex, 16)),
                  ),
                'latin1',
              );
        return new TextDecoder(charset.split('*')[0]).decode(bytes);
      } catch {
        return whole;
      }
    },
  );
}

function fullPayload(m: StoredMessage, headers: { name: string; value: string }[]): MessagePart {
  const text = m.body ?? '';
  const textPart = (partId: string, mimeType: string, content: string): MessagePart => ({
    partId,
    mimeType,
    filename: '',
    headers: [{ name: 'Content-Type', value: `${mimeType}; charset="UTF-8"` }],
    body: {
      size: Buffer.byteLength(content, 'utf8'),
      data: Buffer.from(content, 'utf8').toString('base64url'),
    },
  });
  if (!boundaryOf(m)) {
    const single = textPart('', mimeTypeOf(m), text);
    return { ...single, headers };
  }
  return {
    partId: '',
    mimeType: mimeTypeOf(m),
    filename: '',
    headers,
    body: { size: 0 },
    parts: [textPart('0', 'text/plain', text), textPart('1', 'text/html', toHtml(text))],
  };
}

function headerValue(m: StoredMessage, name: string): string | undefined {
  return m.headers.find((h) => h.name.toLowerCase() === name.toLowerCase())?.value;
}

function mimeTypeOf(m: StoredMessage): string {
  const ct = headerValue(m, 'Content-Type');
  return ct ? (ct.split(';')[0] ?? 'text/plain').trim().toLowerCase() : 'text/plain';
}

function boundaryOf(m: StoredMessage): string | undefined {
  if (!mimeTypeOf(m).startsWith('multipart/')) return undefined;
  const ct = headerValue(m, 'Content-Type') ?? '';
  return /boundary="?([^";]+)"?/i.exec(ct)?.[1] ?? `fake-boundary-${m.id}`;
}

function snippetOf(m: StoredMessage): string {
  if (m.snippet !== undefined) return m.snippet;
  // Gmail snippets are the first words of the body, HTML-escaped, about 200 characters at most.
  const flat = (m.body ?? '').replace(/\s+/g, ' ').trim().slice(0, 200);
  return flat.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/'/g, '&#39;');
}

function toHtml(text: string): string {
  const escaped = text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
  return `<div dir="ltr">${escaped.replace(/\r?\n/g, '<br>')}</div>`;
}

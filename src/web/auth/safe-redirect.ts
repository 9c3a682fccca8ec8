/**
 * A `next` target the app may redirect to: a path on this site, never another origin.
 * Anything else (absolute URLs, `//host`, `/\host`, control characters) falls back.
 */
export function safeNextPath(next: unknown, fallback: string): string {
  if (typeof next !== 'string' || next.length > 512) return fallback;
  // Browsers treat a backslash as a slash and drop tabs and newlines, so `/\evil.com` is `//evil.com`.
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what is refused.
  if (!next.startsWith('/') || /[\\\u0000-\u001f\u007f]/.test(next)) return fallback;
  const base = 'http://touchbase.invalid';
  let url: URL;
  try {
    url = new URL(next, base);
  } catch {
    return fallback;
  }
  if (url.origin !== base) return fallback;
  return `${url.pathname}${url.search}`;
}

import { describe, expect, it } from 'vitest';
import { safeNextPath } from '../../src/web/auth/safe-redirect.ts';
import { html } from '../../src/web/views/html.ts';

describe('html templates', () => {
  it('escapes every interpolated value, in text and in attributes', () => {
    const name = `<script>alert("x")</script> & 'co'`;
    expect(html`<p title="${name}">${name}</p>`.value).toBe(
      '<p title="&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &#39;co&#39;">&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &#39;co&#39;</p>',
    );
  });

  it('keeps nested templates as they are, joins lists, and drops null, undefined and booleans', () => {
    const items = ['a<b', 'c'].map((text) => html`<li>${text}</li>`);
    expect(html`<ul>${items}</ul>${null}${undefined}${false}${0}`.value).toBe(
      '<ul><li>a&lt;b</li><li>c</li></ul>0',
    );
  });
});

describe('safeNextPath', () => {
  it.each([
    ['/people', '/people'],
    ['/people?q=ann#x', '/people?q=ann'],
    ['/settings?u=abc.def', '/settings?u=abc.def'],
    ['/%2F%2Fevil.example', '/%2F%2Fevil.example'],
  ])('keeps the same-site path %s', (next, expected) => {
    expect(safeNextPath(next, '/fallback')).toBe(expected);
  });

  it.each([
    '//evil.example',
    '///evil.example',
    '/\\evil.example',
    '\\/evil.example',
    'https://evil.example/people',
    'javascript:alert(1)',
    'people',
    '/\tevil',
    '/\n/evil.example',
    '',
    undefined,
    42,
    `/${'a'.repeat(600)}`,
  ])('refuses %j', (next) => {
    expect(safeNextPath(next, '/fallback')).toBe('/fallback');
  });
});

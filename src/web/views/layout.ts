import { CSRF_FIELD } from '../auth/csrf.ts';
import { html, type SafeHtml } from './html.ts';

export interface PageOptions {
  title: string;
  body: SafeHtml;
  /** Signed in with a session: the navigation and the sign-out button are shown. */
  nav?: { csrf: string; current: 'people' | 'settings' | 'connect' | 'delete' } | undefined;
  /** A short confirmation after a POST/redirect/GET, read out by screen readers. */
  notice?: string | undefined;
  /** An error about the form just sent. */
  error?: string | undefined;
}

/** The frame of every page: landmarks, one h1, a skip link, the stylesheet; no inline script or style. */
export function layout(options: PageOptions): string {
  const { nav } = options;
  const link = (href: string, label: string, key: NonNullable<PageOptions['nav']>['current']) =>
    html`<li><a href="${href}"${nav?.current === key ? html` aria-current="page"` : ''}>${label}</a></li>`;
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width,initial-scale=1">
<title>${options.title} · touchbase</title>
<link rel="stylesheet" href="/assets/app.css">
<script src="/assets/app.js" defer></script>
</head>
<body>
<a class="skip" href="#main">Skip to content</a>
<header class="top">
<a class="brand" href="/">touchbase</a>
${
  nav
    ? html`<nav aria-label="Main"><ul>
${link('/people', 'People', 'people')}
${link('/settings', 'Settings', 'settings')}
${link('/connect', 'Add account', 'connect')}
<li><form method="post" action="/signout">${csrfField(nav.csrf)}<button type="submit" class="link">Sign out</button></form></li>
</ul></nav>`
    : ''
}
</header>
<main id="main" tabindex="-1">
<h1>${options.title}</h1>
${options.notice ? html`<p class="notice" role="status">${options.notice}</p>` : ''}
${options.error ? html`<p class="error" role="alert">${options.error}</p>` : ''}
${options.body}
</main>
<footer class="bottom"><p>touchbase reads only the headers of your mail.</p></footer>
</body>
</html>`.value;
}

export function csrfField(token: string): SafeHtml {
  return html`<input type="hidden" name="${CSRF_FIELD}" value="${token}">`;
}

/** A page with a heading and a sentence or two: errors, confirmations. */
export function messagePage(title: string, text: string, extra: SafeHtml = html``): string {
  return layout({ title, body: html`<p>${text}</p>${extra}` });
}

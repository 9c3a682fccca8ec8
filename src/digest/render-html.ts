import type { DigestItemKind } from './types.ts';

/** A piece of a sentence; `strong` pieces are bold in HTML and plain in text. */
export type Segment = string | { strong: string };

export interface ItemView {
  n: number;
  kind: DigestItemKind;
  sentence: Segment[];
  /** Secondary line: address and absolute date, in the user's time zone. */
  detail: string | null;
  /** One-click actions; hrefs are unescaped mailto URLs. */
  actions: { label: string; href: string }[];
}

export interface NoticeView {
  heading: string;
  problem: string;
  fix: string;
}

/** Everything the HTML needs, already phrased; user strings are raw and escaped here. */
export interface DigestView {
  subject: string;
  preheader: string;
  greeting: string;
  dateLine: string;
  notices: NoticeView[];
  items: ItemView[];
  emptyMessage: string;
  replyHelp: string;
  settingsUrl: string;
}

/**
 * Email-safe HTML: nested tables, inline styles, no scripts, images or external CSS. Every text
 * container sets both its colour and its background, so a client in dark mode either keeps our
 * light palette or inverts all of it, never mixes its light text with our light background.
 */
export function renderHtml(view: DigestView): string {
  const rows = [
    headerRow(view),
    ...view.notices.map(noticeRow),
    ...(view.items.length > 0 ? view.items.map(itemRow) : [emptyRow(view.emptyMessage)]),
    footerRow(view),
  ];
  return html`<!DOCTYPE html>
<html lang="en" style="color-scheme:light dark;">
<head>
<meta http-equiv="Content-Type" content="text/html; charset=utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="color-scheme" content="light dark">
<meta name="supported-color-schemes" content="light dark">
<meta name="x-apple-disable-message-reformatting">
<title>${view.subject}</title>
</head>
<body style="margin:0;padding:0;width:100%;background-color:${C.page};color:${C.text};-webkit-text-size-adjust:100%;">
<div style="display:none;max-height:0;max-width:0;overflow:hidden;opacity:0;font-size:1px;line-height:1px;color:${C.page};mso-hide:all;">${view.preheader}${trusted(PREHEADER_PAD)}</div>
<table role="presentation" width="100%" cellpadding="0" cellspacing="0" border="0" bgcolor="${C.page}" style="width:100%;background-color:${C.page};">
<tr><td align="center" style="padding:24px 12px;background-color:${C.page};">
<!--[if mso]><table role="presentation" width="600" cellpadding="0" cellspacing="0" border="0"><tr><td><![endif]-->
<table role="presentation" width="100%" cellpadding="0" cellspacing="0" border="0" bgcolor="${C.card}" style="width:100%;max-width:600px;background-color:${C.card};border:1px solid ${C.rule};border-radius:8px;">
${rows}
</table>
<!--[if mso]></td></tr></table><![endif]-->
</td></tr>
</table>
</body>
</html>
`.value;
}

const C = {
  page: '#f4f4f5',
  card: '#ffffff',
  text: '#18181b',
  muted: '#52525b',
  rule: '#e4e4e7',
  link: '#1d4ed8',
  button: '#d4d4d8',
  noticeBg: '#fef3c7',
  noticeText: '#78350f',
  noticeRule: '#d97706',
} as const;

// Unquoted family names keep the style attribute free of escaped quotes.
const FONT = '-apple-system,BlinkMacSystemFont,Segoe UI,Roboto,Helvetica,Arial,sans-serif';

// Accents are dark enough for 4.5:1 contrast on white and survive a client's colour inversion.
const KIND: Record<DigestItemKind, { label: string; accent: string }> = {
  lapsed: { label: 'Catch up', accent: '#6d28d9' },
  'owe-reply': { label: 'You owe a reply', accent: '#b45309' },
  'awaiting-reply': { label: 'Waiting to hear back', accent: '#0369a1' },
};

// Zero-width fillers stop mail clients from pulling body text into the inbox preview.
const PREHEADER_PAD = '&#847;&zwnj;&nbsp;'.repeat(60);

function headerRow(view: DigestView): SafeHtml {
  return html`<tr><td style="padding:24px 24px 16px;background-color:${C.card};color:${C.text};font-family:${FONT};">
<p style="margin:0;font-size:13px;line-height:18px;color:${C.muted};">touchbase &middot; ${view.dateLine}</p>
<p style="margin:8px 0 0;font-size:18px;line-height:26px;font-weight:600;color:${C.text};">${view.greeting}</p>
</td></tr>`;
}

function noticeRow(notice: NoticeView): SafeHtml {
  return html`<tr><td style="padding:0 24px 16px;background-color:${C.card};font-family:${FONT};">
<table role="presentation" width="100%" cellpadding="0" cellspacing="0" border="0" bgcolor="${C.noticeBg}" style="width:100%;background-color:${C.noticeBg};border-left:4px solid ${C.noticeRule};border-radius:4px;">
<tr><td style="padding:12px 16px;background-color:${C.noticeBg};color:${C.noticeText};font-size:14px;line-height:20px;">
<strong>Action needed: ${notice.heading}</strong><br>${notice.problem}<br><strong>To fix:</strong> ${notice.fix}
</td></tr>
</table>
</td></tr>`;
}

function itemRow(item: ItemView): SafeHtml {
  const kind = KIND[item.kind];
  const detail = item.detail
    ? html`<p style="margin:4px 0 0;font-size:13px;line-height:18px;color:${C.muted};">${item.detail}</p>`
    : '';
  return html`<tr><td style="padding:16px 24px;border-top:1px solid ${C.rule};background-color:${C.card};color:${C.text};font-family:${FONT};">
<p style="margin:0 0 6px;font-size:12px;line-height:16px;font-weight:600;letter-spacing:0.04em;text-transform:uppercase;color:${kind.accent};">${kind.label}</p>
<p style="margin:0;font-size:16px;line-height:24px;color:${C.text};"><strong>${item.n}.</strong> ${item.sentence.map(segmentHtml)}</p>
${detail}
<p style="margin:12px 0 0;font-size:14px;line-height:20px;">${item.actions.map(actionLink)}</p>
</td></tr>`;
}

function emptyRow(message: string): SafeHtml {
  return html`<tr><td style="padding:16px 24px 24px;border-top:1px solid ${C.rule};background-color:${C.card};color:${C.text};font-family:${FONT};font-size:16px;line-height:24px;">${message}</td></tr>`;
}

function footerRow(view: DigestView): SafeHtml {
  return html`<tr><td style="padding:16px 24px 24px;border-top:1px solid ${C.rule};background-color:${C.card};color:${C.muted};font-family:${FONT};font-size:13px;line-height:20px;">
<p style="margin:0;color:${C.muted};">${view.replyHelp}</p>
<p style="margin:8px 0 0;color:${C.muted};">Change your schedule or pause the digest: <a href="${view.settingsUrl}" style="color:${C.link};text-decoration:underline;">settings</a></p>
</td></tr>`;
}

function segmentHtml(segment: Segment): SafeHtml {
  return typeof segment === 'string' ? html`${segment}` : html`<strong>${segment.strong}</strong>`;
}

function actionLink(action: { label: string; href: string }): SafeHtml {
  return html`<a href="${action.href}" style="display:inline-block;margin:0 6px 6px 0;padding:8px 12px;border:1px solid ${C.button};border-radius:6px;background-color:${C.card};color:${C.link};font-weight:600;text-decoration:none;">${action.label}</a> `;
}

/** Markup that is already safe; anything else interpolated into `html` is escaped. */
class SafeHtmlBrand {
  constructor(readonly value: string) {}
}
type SafeHtml = SafeHtmlBrand;
type HtmlValue = string | number | SafeHtml | readonly SafeHtml[];

// Escaping by default, so a name or subject can never turn into markup by omission.
function html(strings: TemplateStringsArray, ...values: HtmlValue[]): SafeHtml {
  let out = strings[0] ?? '';
  values.forEach((value, i) => {
    out += toHtml(value) + (strings[i + 1] ?? '');
  });
  return new SafeHtmlBrand(out);
}

function trusted(markup: string): SafeHtml {
  return new SafeHtmlBrand(markup);
}

function toHtml(value: HtmlValue): string {
  if (value instanceof SafeHtmlBrand) return value.value;
  if (Array.isArray(value)) return value.map(toHtml).join('');
  return escapeHtml(String(value));
}

function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (ch) => ESCAPES[ch] ?? ch);
}

const ESCAPES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

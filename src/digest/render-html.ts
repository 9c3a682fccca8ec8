import { ACCENTS, BUTTON_STYLE, fillPart, type Markup } from './digest-template.ts';
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
  /** One sentence per mailbox still being read for the first time. */
  reading: string[];
  items: ItemView[];
  emptyMessage: string;
  replyHelp: string;
  settingsUrl: string;
}

/**
 * The digest as email HTML, laid out by the MJML template in digest-template.ts: tables, inline
 * styles, no scripts, images or remote resources. Every text container sets both its colour and
 * its background, so a client in dark mode either keeps our light palette, switches to our dark
 * one, or inverts all of it, never mixes its light text with our light background.
 */
export function renderHtml(view: DigestView): string {
  const top = fillPart('top', {
    subject: toHtml(view.subject),
    preheader: toHtml(view.preheader),
    dateLine: toHtml(view.dateLine),
    greeting: toHtml(view.greeting),
  });
  const notices = view.notices.map((notice) =>
    fillPart('notice', {
      heading: toHtml(notice.heading),
      problem: toHtml(notice.problem),
      fix: toHtml(notice.fix),
    }),
  );
  const reading = view.reading.map((message) => fillPart('reading', { message: toHtml(message) }));
  const items =
    view.items.length > 0
      ? view.items.map(itemPart)
      : [fillPart('empty', { message: toHtml(view.emptyMessage) })];
  const bottom = fillPart('bottom', {
    replyHelp: toHtml(view.replyHelp),
    settingsUrl: toHtml(view.settingsUrl),
  });
  return top + notices.join('') + reading.join('') + items.join('') + bottom;
}

const KIND_LABEL: Record<DigestItemKind, string> = {
  lapsed: 'Catch up',
  'owe-reply': 'You owe a reply',
  'awaiting-reply': 'Waiting to hear back',
};

function itemPart(item: ItemView): string {
  const accent = ACCENTS[item.kind];
  return fillPart('item', {
    n: toHtml(item.n),
    label: toHtml(KIND_LABEL[item.kind]),
    accentClass: toHtml(accent.className),
    accentColor: toHtml(accent.light),
    sentence: toHtml(item.sentence.map(segmentHtml)),
    // An empty block only leaves a 4px gap, which keeps the layout in the template.
    detail: toHtml(item.detail ?? ''),
    actions: toHtml(item.actions.map(actionLink)),
  });
}

function segmentHtml(segment: Segment): SafeHtml {
  return typeof segment === 'string' ? html`${segment}` : html`<strong>${segment.strong}</strong>`;
}

function actionLink(action: { label: string; href: string }): SafeHtml {
  // The trailing space lets the links wrap between each other on a narrow screen.
  return html`<a href="${action.href}" class="tb-button" style="${trusted(BUTTON_STYLE)}">${action.label}</a> `;
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

/** The one way to Markup: SafeHtml as it is, anything else escaped. */
function toHtml(value: HtmlValue): Markup {
  if (value instanceof SafeHtmlBrand) return value.value as Markup;
  if (Array.isArray(value)) return value.map(toHtml).join('') as Markup;
  return escapeHtml(String(value)) as Markup;
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

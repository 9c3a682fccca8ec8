import { createRequire } from 'node:module';

/**
 * The digest's HTML layout, written in MJML (https://mjml.io), which turns it into the nested
 * tables, inline styles and Outlook conditionals that email clients need.
 *
 * MJML takes milliseconds per compile, far too slow to run per digest (the digest benchmark
 * wants 200 users/s for select, build and render together), so the template is compiled once per
 * process into a few HTML parts with {{slot}} placeholders; a digest is then the parts
 * concatenated with their slots filled in. Repeated parts (notices, reading, items) are cut out at
 * <!--tb:...--> markers placed between sections, where MJML's output is self-contained.
 */

/** Light palette: every text colour is dark enough for 4.5:1 on its background. */
const LIGHT = {
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

// Only clients that honour prefers-color-scheme (Apple Mail, iOS Mail, Outlook for Mac) apply
// this; the others keep the light palette or invert it whole, which the inline pairs survive.
const DARK = {
  page: '#09090b',
  card: '#18181b',
  text: '#f4f4f5',
  muted: '#a1a1aa',
  rule: '#3f3f46',
  link: '#93c5fd',
  button: '#52525b',
  noticeBg: '#451a03',
  noticeText: '#fde68a',
} as const;

// Unquoted family names keep style attributes free of escaped quotes; system fonts only, so
// nothing is fetched when the mail is opened.
const FONT = '-apple-system,BlinkMacSystemFont,Segoe UI,Roboto,Helvetica,Arial,sans-serif';

/** Accent of each kind's label in the light and the dark palette. */
export const ACCENTS = {
  lapsed: { light: '#6d28d9', dark: '#c4b5fd', className: 'tb-accent-lapsed' },
  'owe-reply': { light: '#b45309', dark: '#fcd34d', className: 'tb-accent-owe' },
  'awaiting-reply': { light: '#0369a1', dark: '#7dd3fc', className: 'tb-accent-awaiting' },
} as const;

/**
 * One-click action links sit side by side and wrap on a narrow screen, which MJML's block-level
 * mj-button cannot do, so they are inline-block links inside an mj-text. max-width and
 * overflow-wrap let a long "Write to <address>" wrap inside the column instead of widening it.
 */
export const BUTTON_STYLE = [
  'display:inline-block',
  'max-width:100%',
  'box-sizing:border-box',
  'margin:0 6px 8px 0',
  'padding:8px 12px',
  `border:1px solid ${LIGHT.button}`,
  'border-radius:6px',
  `background-color:${LIGHT.card}`,
  `color:${LIGHT.link}`,
  // Font, size and line height come from the surrounding mj-text.
  'font-weight:600',
  'text-decoration:none',
  'overflow-wrap:anywhere',
  'word-break:break-word',
].join(';');

const C = LIGHT;

// Dark rules need !important to beat the inline styles. MJML spreads a section's background over
// a div, a table and cells, so the rules paint every one of them, more specific rules (card, then
// notice) overriding the page's.
const DARK_CSS = `
@media (prefers-color-scheme: dark) {
  body, .tb-page, .tb-page div, .tb-page table, .tb-page td { background-color:${DARK.page} !important; color:${DARK.muted} !important; }
  .tb-page a { color:${DARK.link} !important; }
  .tb-page .tb-card, .tb-page .tb-card div, .tb-page .tb-card table, .tb-page .tb-card td { background-color:${DARK.card} !important; color:${DARK.text} !important; border-color:${DARK.rule} !important; }
  .tb-page .tb-card .tb-muted div { color:${DARK.muted} !important; }
  .tb-page .tb-card .tb-notice, .tb-page .tb-card .tb-notice div, .tb-page .tb-card .tb-notice table, .tb-page .tb-card .tb-notice td { background-color:${DARK.noticeBg} !important; color:${DARK.noticeText} !important; border-color:${LIGHT.noticeRule} !important; }
  .tb-page .tb-card a.tb-button { background-color:${DARK.card} !important; border-color:${DARK.button} !important; color:${DARK.link} !important; }
${Object.values(ACCENTS)
  .map((accent) => `  .tb-page .tb-card .${accent.className} { color:${accent.dark} !important; }`)
  .join('\n')}
}`;

/** The parts of the compiled template, in document order, and the slots each one has. */
const PARTS = {
  top: ['subject', 'preheader', 'dateLine', 'greeting'],
  notice: ['heading', 'problem', 'fix'],
  reading: ['message'],
  item: ['n', 'label', 'accentClass', 'accentColor', 'sentence', 'detail', 'actions'],
  empty: ['message'],
  bottom: ['replyHelp', 'settingsUrl'],
} as const;

export type PartName = keyof typeof PARTS;

declare const markupBrand: unique symbol;
/** HTML that is safe to insert as is: escaped text, or markup built only from escaped parts. */
export type Markup = string & { readonly [markupBrand]: true };

export type PartValues<P extends PartName> = Record<(typeof PARTS)[P][number], Markup>;

const marker = (part: PartName) => `<mj-raw><!--tb:${part}--></mj-raw>`;

// Zero-width fillers after the preheader stop mail clients from pulling body text into the
// inbox preview.
const PREHEADER_PAD = '&#847;&zwnj;&nbsp;'.repeat(60);

// The preheader is hidden by display:none, max-height and mso-hide, not by a colour matching the
// background or a 1px font: both mark hidden text to spam filters (SpamAssassin's
// HTML_FONT_LOW_CONTRAST and FONT_INVIS_* rules).
const TEMPLATE = `<mjml lang="en">
<mj-head>
  <mj-title>{{subject}}</mj-title>
  <mj-attributes>
    <mj-all font-family="${FONT}" />
    <mj-section padding="0" />
    <mj-column padding="0" />
    <mj-text padding="0" font-size="16px" line-height="24px" color="${C.text}" />
  </mj-attributes>
  <mj-raw>
    <meta name="color-scheme" content="light dark">
    <meta name="supported-color-schemes" content="light dark">
    <meta name="x-apple-disable-message-reformatting">
  </mj-raw>
  <mj-style>${DARK_CSS}</mj-style>
</mj-head>
<mj-body width="600px" background-color="${C.page}" css-class="tb-page">
  <mj-raw><div style="display:none;max-height:0;max-width:0;overflow:hidden;opacity:0;mso-hide:all;">{{preheader}}${PREHEADER_PAD}</div></mj-raw>
  <mj-section padding="24px 24px 12px" background-color="${C.page}">
    <mj-column>
      <mj-text font-size="13px" line-height="18px" color="${C.muted}">touchbase &middot; {{dateLine}}</mj-text>
    </mj-column>
  </mj-section>
  <mj-wrapper padding="0" background-color="${C.card}" border="1px solid ${C.rule}" border-radius="8px" css-class="tb-card">
    <mj-section padding="20px 24px 16px" background-color="${C.card}">
      <mj-column>
        <mj-text font-size="18px" line-height="26px" font-weight="600">{{greeting}}</mj-text>
      </mj-column>
    </mj-section>
    ${marker('notice')}
    <mj-section padding="0 24px 16px" background-color="${C.card}">
      <mj-column padding="12px 16px" background-color="${C.noticeBg}" border-left="4px solid ${C.noticeRule}" border-radius="4px" css-class="tb-notice">
        <mj-text font-size="14px" line-height="20px" color="${C.noticeText}"><strong>Action needed: {{heading}}</strong><br>{{problem}}<br><strong>To fix:</strong> {{fix}}</mj-text>
      </mj-column>
    </mj-section>
    ${marker('reading')}
    <mj-section padding="0 24px 16px" background-color="${C.card}">
      <mj-column>
        <mj-text font-size="14px" line-height="20px" color="${C.muted}" css-class="tb-muted">{{message}}</mj-text>
      </mj-column>
    </mj-section>
    ${marker('item')}
    <mj-section padding="16px 24px" border-top="1px solid ${C.rule}" background-color="${C.card}">
      <mj-column>
        <mj-text padding-bottom="6px" font-size="12px" line-height="16px" font-weight="600" letter-spacing="0.04em" text-transform="uppercase"><span class="{{accentClass}}" style="color:{{accentColor}};">{{label}}</span></mj-text>
        <mj-text><strong>{{n}}.</strong> {{sentence}}</mj-text>
        <mj-text padding-top="4px" font-size="13px" line-height="18px" color="${C.muted}" css-class="tb-muted">{{detail}}</mj-text>
        <mj-text padding-top="12px" font-size="14px" line-height="20px">{{actions}}</mj-text>
      </mj-column>
    </mj-section>
    ${marker('empty')}
    <mj-section padding="16px 24px 24px" border-top="1px solid ${C.rule}" background-color="${C.card}">
      <mj-column>
        <mj-text>{{message}}</mj-text>
      </mj-column>
    </mj-section>
    ${marker('bottom')}
  </mj-wrapper>
  <mj-section padding="16px 24px 32px" background-color="${C.page}">
    <mj-column>
      <mj-text font-size="13px" line-height="20px" color="${C.muted}">{{replyHelp}}</mj-text>
      <mj-text padding-top="8px" font-size="13px" line-height="20px" color="${C.muted}">Change your schedule or pause the digest: <a href="{{settingsUrl}}" style="color:${C.link};text-decoration:underline;">settings</a></mj-text>
    </mj-column>
  </mj-section>
</mj-body>
</mjml>`;

/** A part as alternating static markup and slot names: [html, slot, html, slot, ..., html]. */
type CompiledPart = { statics: string[]; slots: string[] };
type CompiledTemplate = Record<PartName, CompiledPart>;

let compiled: CompiledTemplate | undefined;

/** The part's markup with its slots filled in. */
export function fillPart<P extends PartName>(part: P, values: PartValues<P>): string {
  compiled ??= compileTemplate();
  const { statics, slots } = compiled[part];
  const lookup: Record<string, string> = values;
  let out = statics[0] ?? '';
  for (let i = 0; i < slots.length; i++) {
    out += (lookup[slots[i] ?? ''] ?? '') + (statics[i + 1] ?? '');
  }
  return out;
}

function compileTemplate(): CompiledTemplate {
  // Loaded on first use: mjml and its dependencies take a while to load, and most of the CLI
  // never renders a digest.
  const mjml2html = createRequire(import.meta.url)('mjml') as typeof import('mjml').default;
  // fonts: {} stops MJML linking Google Fonts for "Roboto" in the stack (no remote requests);
  // keepComments keeps the part markers.
  const { html } = mjml2html(TEMPLATE, { validationLevel: 'strict', keepComments: true, fonts: {} });
  // MJML indents generously; newlines and indentation between tags carry no meaning, and
  // dropping them keeps a long digest well under Gmail's 102 KB clipping limit.
  const squeezed = html.replace(/\n\s*/g, '\n');
  const pieces = squeezed.split(/<!--tb:(\w+)-->/);
  const names = ['top', ...pieces.filter((_, i) => i % 2 === 1)];
  const expected = Object.keys(PARTS);
  if (names.join() !== expected.join()) {
    throw new Error(`digest template: parts ${names.join()} instead of ${expected.join()}`);
  }
  const result = {} as CompiledTemplate;
  expected.forEach((name, index) => {
    const part = name as PartName;
    result[part] = tokenize(part, pieces[index * 2] ?? '');
  });
  return result;
}

function tokenize(part: PartName, markup: string): CompiledPart {
  const pieces = markup.split(/\{\{(\w+)\}\}/);
  const statics = pieces.filter((_, i) => i % 2 === 0);
  const slots = pieces.filter((_, i) => i % 2 === 1);
  // A slot MJML dropped or a typo in the template would otherwise render as silence.
  const want = new Set<string>(PARTS[part]);
  const have = new Set(slots);
  if (want.size !== have.size || [...want].some((slot) => !have.has(slot))) {
    throw new Error(
      `digest template: part ${part} has slots ${[...have].join()} instead of ${[...want].join()}`,
    );
  }
  return { statics, slots };
}

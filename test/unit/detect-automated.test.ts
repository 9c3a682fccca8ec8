import { describe, expect, it } from 'vitest';
import { isRoleAddress, machineSenderReason } from '../../src/mail/classify-sender.ts';
import { automatedReason, isAutoSubmitted } from '../../src/mail/detect-automated.ts';
import { parseAddressList } from '../../src/mail/parse-addresses.ts';
import type { MessageMeta } from '../../src/providers/types.ts';
import { makeMeta, metaFromEml } from './message-meta.ts';

/** Detection as the pipeline calls it: the From parsed the same way. */
function reasonFor(overrides: Partial<MessageMeta>): string | null {
  const meta = makeMeta(overrides);
  return automatedReason(meta, parseAddressList(meta.from)[0] ?? null);
}

const flagged: { title: string; meta: Partial<MessageMeta>; reason: string }[] = [
  { title: 'List-Id', meta: { listId: '<team.lists.example.com>' }, reason: 'list-id' },
  {
    title: 'List-Unsubscribe',
    meta: { listUnsubscribe: '<mailto:u@x.example>' },
    reason: 'list-unsubscribe',
  },
  { title: 'Precedence: bulk', meta: { precedence: 'bulk' }, reason: 'precedence' },
  { title: 'Precedence: List (case)', meta: { precedence: ' List ' }, reason: 'precedence' },
  { title: 'Precedence: junk', meta: { precedence: 'junk' }, reason: 'precedence' },
  {
    title: 'Auto-Submitted: auto-generated',
    meta: { autoSubmitted: 'auto-generated' },
    reason: 'auto-submitted',
  },
  {
    title: 'Auto-Submitted: auto-replied',
    meta: { autoSubmitted: 'auto-replied' },
    reason: 'auto-submitted',
  },
  {
    title: 'Auto-Submitted with parameters',
    meta: { autoSubmitted: 'auto-notified; owner-email="a@b.c"' },
    reason: 'auto-submitted',
  },
  { title: 'X-Autoreply: yes', meta: { extraHeaders: { 'X-Autoreply': 'yes' } }, reason: 'auto-reply' },
  {
    title: 'X-Autorespond (any value)',
    meta: { extraHeaders: { 'x-autorespond': 'vacation' } },
    reason: 'auto-reply',
  },
  { title: 'Precedence: auto_reply', meta: { precedence: 'auto_reply' }, reason: 'auto-reply' },
  {
    title: 'Outlook "Automatic reply:" with X-Auto-Response-Suppress',
    meta: { subject: 'Automatic reply: Lunch?', extraHeaders: { 'X-Auto-Response-Suppress': 'All' } },
    reason: 'auto-reply',
  },
  {
    title: '"Out of Office" with a null Return-Path',
    meta: { subject: 'Out of Office: Lunch?', extraHeaders: { 'Return-Path': '<>' } },
    reason: 'auto-reply',
  },
  {
    title: 'from MAILER-DAEMON',
    meta: { from: 'Mail Delivery System <MAILER-DAEMON@mx.example.com>' },
    reason: 'bounce',
  },
  { title: 'from postmaster', meta: { from: 'postmaster@example.com' }, reason: 'bounce' },
  {
    title: 'multipart/report content type',
    meta: { extraHeaders: { 'Content-Type': 'multipart/report; report-type=delivery-status; boundary=x' } },
    reason: 'bounce',
  },
  { title: 'empty Return-Path', meta: { extraHeaders: { 'return-path': ' < > ' } }, reason: 'bounce' },
  { title: 'noreply@', meta: { from: 'Shop <noreply@shop.example>' }, reason: 'no-reply' },
  { title: 'no-reply@', meta: { from: 'no-reply@shop.example' }, reason: 'no-reply' },
  { title: 'do-not-reply@', meta: { from: 'do-not-reply@bank.example' }, reason: 'no-reply' },
  { title: 'DoNotReply@ (case)', meta: { from: 'DoNotReply@bank.example' }, reason: 'no-reply' },
  { title: 'suffix form foo-noreply@', meta: { from: 'billing-noreply@saas.example' }, reason: 'no-reply' },
  { title: 'prefix form noreply-xyz@', meta: { from: 'noreply-xyz@saas.example' }, reason: 'no-reply' },
  { title: 'bounce+abc@ (VERP)', meta: { from: 'bounce+abc123@mailer.example' }, reason: 'no-reply' },
  { title: 'bounces@', meta: { from: 'bounces@mailer.example' }, reason: 'no-reply' },
  { title: 'notifications@', meta: { from: 'GitHub <notifications@github.com>' }, reason: 'no-reply' },
  { title: 'notification@', meta: { from: 'notification@app.example' }, reason: 'no-reply' },
  { title: 'alerts-eu@', meta: { from: 'alerts-eu@bank.example' }, reason: 'no-reply' },
  { title: 'news@', meta: { from: 'news@paper.example' }, reason: 'no-reply' },
  { title: 'newsletter2@ (trailing digits)', meta: { from: 'newsletter2@shop.example' }, reason: 'no-reply' },
  { title: 'mailer@', meta: { from: 'mailer@shop.example' }, reason: 'no-reply' },
  {
    title: 'Gmail CATEGORY_PROMOTIONS',
    meta: { labels: ['INBOX', 'CATEGORY_PROMOTIONS'] },
    reason: 'category',
  },
  { title: 'Gmail CATEGORY_SOCIAL', meta: { labels: ['CATEGORY_SOCIAL'] }, reason: 'category' },
  { title: 'Gmail CATEGORY_UPDATES', meta: { labels: ['CATEGORY_UPDATES'] }, reason: 'category' },
  { title: 'Gmail CATEGORY_FORUMS', meta: { category: 'CATEGORY_FORUMS' }, reason: 'category' },
  {
    title: 'bounce wins over list headers',
    meta: { from: 'mailer-daemon@x.example', listId: '<l.x.example>' },
    reason: 'bounce',
  },
  {
    title: 'list-id wins over the sender',
    meta: { from: 'noreply@x.example', listId: '<l.x.example>' },
    reason: 'list-id',
  },
];

const people: { title: string; meta: Partial<MessageMeta> }[] = [
  { title: 'plain person', meta: {} },
  { title: 'nora@ (starts like "no-reply")', meta: { from: 'Nora <nora@example.com>' } },
  { title: 'newsom@ (starts like "news")', meta: { from: 'newsom@example.com' } },
  { title: 'alertness@', meta: { from: 'alertness@example.com' } },
  { title: 'bouncer.jim@', meta: { from: 'bouncer.jim@club.example' } },
  // Role addresses are a weak signal, never automated on their own (see classify-sender.ts).
  { title: 'info@ (role, answered by people)', meta: { from: 'info@plumber.example' } },
  { title: 'support@ (role)', meta: { from: 'Support <support@vendor.example>' } },
  { title: 'info-desk-lead@ (a person with a role-ish name)', meta: { from: 'info-desk-lead@uni.example' } },
  { title: 'Auto-Submitted: no', meta: { autoSubmitted: 'no' } },
  { title: 'Precedence: normal', meta: { precedence: 'normal' } },
  { title: 'empty List-Id', meta: { listId: '  ' } },
  {
    title: '"Out of office next week" from a person, no hint headers',
    meta: { subject: 'Out of office next week' },
  },
  { title: 'X-Autoreply: no', meta: { extraHeaders: { 'X-Autoreply': 'no' } } },
  { title: 'Gmail CATEGORY_PERSONAL', meta: { labels: ['INBOX', 'CATEGORY_PERSONAL'] } },
  { title: 'Outlook focused', meta: { category: 'focused' } },
  // The Other tab is only "not Focused": a colleague's first message lands there too.
  { title: 'Outlook other (not Focused)', meta: { category: 'other' } },
  { title: 'a normal Return-Path', meta: { extraHeaders: { 'Return-Path': '<alice@example.com>' } } },
  { title: 'multipart/mixed', meta: { extraHeaders: { 'Content-Type': 'multipart/mixed; boundary=b' } } },
  { title: 'no From at all', meta: { from: null } },
];

describe('automatedReason on received mail', () => {
  it.each(flagged)('$title -> $reason', ({ meta, reason }) => {
    expect(reasonFor(meta)).toBe(reason);
  });

  it.each(people)('$title -> null', ({ meta }) => {
    expect(reasonFor(meta)).toBeNull();
  });
});

describe('automatedReason on the user’s own sent mail', () => {
  const sent = { direction: 'sent' as const, from: 'Me <me@example.org>' };

  it.each<{ title: string; meta: Partial<MessageMeta> }>([
    { title: 'List-Id (the user posted to a list)', meta: { listId: '<l.example>' } },
    { title: 'Precedence: bulk', meta: { precedence: 'bulk' } },
    { title: 'X-Autoreply', meta: { extraHeaders: { 'X-Autoreply': 'yes' } } },
    { title: 'null Return-Path', meta: { extraHeaders: { 'Return-Path': '<>' } } },
    { title: 'a no-reply-looking own address', meta: { from: 'noreply@me.example' } },
    { title: 'a category label', meta: { labels: ['SENT', 'CATEGORY_UPDATES'] } },
  ])('$title is not automated', ({ meta }) => {
    expect(reasonFor({ ...sent, ...meta })).toBeNull();
  });

  it('is automated only when Auto-Submitted says so', () => {
    expect(reasonFor({ ...sent, autoSubmitted: 'auto-replied' })).toBe('auto-submitted');
    expect(reasonFor({ ...sent, autoSubmitted: 'no' })).toBeNull();
  });
});

describe('real messages from the corpora', () => {
  it.each([
    { file: 'thirdparty/014.eml', reason: 'list-id' }, // a Mailman list post (List-Id, Precedence: list)
    { file: 'thirdparty/015.eml', reason: null }, // a person writing to a person
    { file: 'rfc/000.eml', reason: null },
    { file: 'malformed/015.eml', reason: null },
  ])('$file -> $reason', async ({ file, reason }) => {
    const meta = await metaFromEml(file);
    expect(automatedReason(meta, parseAddressList(meta.from)[0] ?? null)).toBe(reason);
  });
});

describe('helpers', () => {
  it.each([
    ['no', false],
    ['No', false],
    ['no; comment', false],
    ['', false],
    ['auto-generated', true],
    ['auto-replied', true],
  ] as const)('isAutoSubmitted(%j) is %s', (value, expected) => {
    expect(isAutoSubmitted(value)).toBe(expected);
  });

  it('isAutoSubmitted(null) is false', () => {
    expect(isAutoSubmitted(null)).toBe(false);
  });

  it.each([
    ['info@x.example', true],
    ['support-team@x.example', true],
    ['hello@x.example', true],
    ['nora@x.example', false],
    ['informatics.prof@x.example', false],
  ] as const)('isRoleAddress(%s) is %s', (address, expected) => {
    expect(isRoleAddress(address)).toBe(expected);
  });

  it.each([
    ['mailer-daemon@x.example', 'bounce'],
    ['postmaster+x@x.example', 'bounce'],
    ['marketing_noreply_eu@x.example', 'no-reply'],
    ['info@x.example', null],
    ['not-an-address', null],
  ] as const)('machineSenderReason(%s) is %s', (address, expected) => {
    expect(machineSenderReason(address)).toBe(expected);
  });
});

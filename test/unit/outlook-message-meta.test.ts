import { describe, expect, it } from 'vitest';
import { parseAddressList } from '../../src/mail/parse-addresses.ts';
import { toMessageMeta } from '../../src/providers/outlook/to-message-meta.ts';

const inbox = { label: 'inbox', sent: false };
const sentItems = { label: 'sentitems', sent: true };
const base = {
  id: 'AAMkAGI2',
  conversationId: 'AAQkAGI2conv',
  internetMessageId: '<abc@mail.example>',
  receivedDateTime: '2026-11-20T10:00:05Z',
  sentDateTime: '2026-11-20T10:00:00Z',
  from: { emailAddress: { name: 'O\'Brien, "Siobhan"', address: 'siobhan@example.com' } },
  toRecipients: [
    { emailAddress: { name: 'Ada', address: 'ada@contoso.com' } },
    { emailAddress: { name: 'bob@example.com', address: 'bob@example.com' } },
  ],
  subject: 'Lunch?',
  inferenceClassification: 'other',
};

describe('Graph message -> MessageMeta', () => {
  it('keeps the header facts, with addresses as header text src/mail parses back', () => {
    const meta = toMessageMeta(base, inbox);
    expect(meta).toMatchObject({
      providerId: '<abc@mail.example>',
      internetMessageId: '<abc@mail.example>',
      threadId: 'AAQkAGI2conv',
      direction: 'received',
      at: new Date('2026-11-20T10:00:05Z'),
      subject: 'Lunch?',
      labels: ['inbox'],
      category: 'other',
    });
    expect(parseAddressList(meta?.from)).toEqual([
      { name: 'O\'Brien, "Siobhan"', address: 'siobhan@example.com' },
    ]);
    expect(parseAddressList(meta?.to).map((a) => a.address)).toEqual(['ada@contoso.com', 'bob@example.com']);
  });

  it('Sent Items is sent mail, dated when it was sent', () => {
    const meta = toMessageMeta(base, sentItems);
    expect(meta?.direction).toBe('sent');
    expect(meta?.at).toEqual(new Date('2026-11-20T10:00:00Z'));
  });

  it('reads list and automation headers when Graph gives them', () => {
    const meta = toMessageMeta(
      {
        ...base,
        internetMessageHeaders: [
          { name: 'List-Id', value: '<news.example.com>' },
          { name: 'Auto-Submitted', value: 'auto-generated' },
          { name: 'In-Reply-To', value: '<digest.1@touchbase>' },
          { name: 'Return-Path', value: '<>' },
        ],
      },
      inbox,
    );
    expect(meta).toMatchObject({
      listId: '<news.example.com>',
      autoSubmitted: 'auto-generated',
      inReplyTo: '<digest.1@touchbase>',
      extraHeaders: { 'return-path': '<>' },
    });
  });

  it('drops removals and drafts; a message without a Message-ID keeps its Graph id', () => {
    expect(toMessageMeta({ id: 'x', '@removed': { reason: 'deleted' } }, inbox)).toBeNull();
    expect(toMessageMeta({ ...base, isDraft: true }, inbox)).toBeNull();
    expect(toMessageMeta({ ...base, internetMessageId: null }, inbox)?.providerId).toBe('graph:AAMkAGI2');
  });
});

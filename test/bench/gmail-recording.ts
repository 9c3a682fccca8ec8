import { once } from 'node:events';
import { createReadStream, createWriteStream } from 'node:fs';
import { finished } from 'node:stream/promises';
import { isSkippedMessage, toMessageMeta } from '../../src/providers/gmail/to-message-meta.ts';
import { WANTED_HEADERS } from '../../src/providers/header-names.ts';
import type { MessageMeta } from '../../src/providers/types.ts';
import { renderMessage } from '../fakes/gmail/message-resource.ts';
import { syntheticMailbox } from './synthetic-mailbox.ts';

/**
 * The ingest runs' mailbox as Gmail answers it, recorded before the run: one line per list page
 * of `pageSize` messages, each rendered as messages.get answers with format=metadata (the headers
 * the sync asks for). Rendering a message (its RFC 822 text, size, snippet and decoded headers) is
 * Google's work: done inside the ingest's process, its garbage was collected on the ingest's time.
 * The file is written a page at a time (memory stays flat at 1M messages, ~1.2 kB a message on
 * disk). Returns the mailbox owner's address.
 */
export async function recordMailbox(
  file: string,
  options: { messages: number; seed: number; now: number; pageSize: number },
): Promise<{ owner: string }> {
  const mailbox = syntheticMailbox(options);
  const out = createWriteStream(file);
  const write = async (page: unknown[]) => {
    if (!out.write(`${JSON.stringify(page)}\n`)) await once(out, 'drain');
  };
  let page: unknown[] = [];
  for (const thread of mailbox.threads()) {
    for (const message of thread) {
      page.push(renderMessage({ ...message, historyId: 1 }, 'metadata', [...WANTED_HEADERS]));
      if (page.length >= options.pageSize) {
        await write(page);
        page = [];
      }
    }
  }
  if (page.length > 0) await write(page);
  out.end();
  await finished(out);
  return { owner: mailbox.me.email };
}

/**
 * A recording's pages as the Gmail provider hands them to the sync: each answer parsed (as the
 * googleapis client parses a response body), the messages the provider skips left out, the rest
 * normalised by the real toMessageMeta. One page is held at a time.
 */
export async function* recordedPages(file: string): AsyncGenerator<MessageMeta[]> {
  // The stream's own iteration, which reads on only when asked (readline's queues every line of
  // the file ahead of its reader).
  let rest = '';
  for await (const chunk of createReadStream(file, { encoding: 'utf8' })) {
    const lines = (rest + (chunk as string)).split('\n');
    rest = lines.pop() ?? '';
    for (const line of lines) {
      const page = toPage(line);
      if (page.length > 0) yield page;
    }
  }
  const page = toPage(rest);
  if (page.length > 0) yield page;
}

function toPage(line: string): MessageMeta[] {
  const page: MessageMeta[] = [];
  if (line === '') return page;
  for (const resource of JSON.parse(line) as Parameters<typeof toMessageMeta>[0][]) {
    const meta = isSkippedMessage(resource.labelIds) ? null : toMessageMeta(resource);
    if (meta) page.push(meta);
  }
  return page;
}

/** A Graph recipient: `{ emailAddress: { name, address } }`. */
export interface Recipient {
  emailAddress: { name: string; address: string };
}

/** How tests and the generator describe a message: Graph's JSON plus the folder it lives in. */
export interface FakeGraphMessageSpec {
  /** a folder id, a well-known name ('inbox', 'sentitems', ...) or a displayName */
  folder: string;
  /** assigned by the fake when absent */
  id?: string;
  /** derived from the subject when absent (Outlook groups by normalised subject + headers) */
  conversationId?: string;
  internetMessageId: string;
  subject: string;
  from?: Recipient;
  sender?: Recipient;
  toRecipients: Recipient[];
  ccRecipients?: Recipient[];
  bccRecipients?: Recipient[];
  replyTo?: Recipient[];
  /** ISO-8601, e.g. 2025-03-01T10:00:00Z */
  sentDateTime: string;
  receivedDateTime: string;
  isRead?: boolean;
  isDraft?: boolean;
  importance?: 'low' | 'normal' | 'high';
  inferenceClassification?: 'focused' | 'other';
  categories?: string[];
  hasAttachments?: boolean;
  /** plain text; served as html unless `Prefer: outlook.body-content-type="text"` */
  body?: string;
  /** the new part of a reply; defaults to body */
  uniqueBody?: string;
  /** present on received mail; Sent Items usually carry none (Graph's documented behaviour) */
  internetMessageHeaders?: { name: string; value: string }[];
}

export interface FakeGraphFolderSpec {
  id?: string;
  displayName: string;
  /** a folder ref; default the root (msgfolderroot) */
  parent?: string;
  isHidden?: boolean;
}

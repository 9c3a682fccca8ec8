import type { GraphCall, GraphContext } from './graph-routes.ts';
import { type Reply, sendGraphError } from './respond.ts';

/** GET /me: the user resource; `proxyAddresses` and a few others only through `$select`. */
export function sendMe(ctx: GraphContext, call: GraphCall, reply: Reply) {
  const u = ctx.user;
  const [given, ...rest] = u.displayName.split(' ');
  const all: Record<string, unknown> = {
    businessPhones: [],
    displayName: u.displayName,
    givenName: given ?? null,
    jobTitle: null,
    mail: u.email,
    mobilePhone: null,
    officeLocation: null,
    preferredLanguage: 'en-US',
    surname: rest.join(' ') || null,
    userPrincipalName: u.email,
    id: u.id,
  };
  const extra: Record<string, unknown> = {
    proxyAddresses: u.proxyAddresses,
    otherMails: [],
    mailNickname: u.email.split('@')[0],
  };
  const select = call.query.get('$select');
  let body: Record<string, unknown> = all;
  if (select) {
    body = {};
    for (const raw of select.split(',')) {
      const name = raw.trim();
      const key = Object.keys({ ...all, ...extra }).find((k) => k.toLowerCase() === name.toLowerCase());
      if (!key) {
        return sendGraphError(
          reply,
          400,
          'Request_BadRequest',
          `Could not find a property named '${name}' on type 'microsoft.graph.user'.`,
        );
      }
      body[key] = all[key] ?? extra[key];
    }
  }
  const context = select ? `users(${select})/$entity` : 'users/$entity';
  reply.send(200, { '@odata.context': `${call.origin}/v1.0/$metadata#${context}`, ...body });
}

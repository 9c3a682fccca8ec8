# touchbase: one image for the worker, the server and migrations. It runs the TypeScript
# sources through tsx (docs/decisions/0002), so the final stage holds sources, migrations and
# production dependencies only: no dev tools, tests or source maps.
FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY . .
# npm ci refuses a lockfile made where other platforms' optional packages could not be listed
# (see .ci/run); npm install follows the same lockfile. postinstall generates the Prisma client
# (it needs prisma.config.ts and src/lib), then dev dependencies and source maps go.
RUN (npm ci --no-audit --no-fund || npm install --no-audit --no-fund) \
  && npm prune --omit=dev --no-audit --no-fund \
  && find node_modules -name '*.map' -type f -delete \
  && rm -rf /root/.npm

FROM node:20-bookworm-slim
ENV NODE_ENV=production
# A heap cap: V8 otherwise grows the heap lazily towards a limit sized from the host's memory.
# A worker syncing a 1M-message mailbox uses under 100 MB of it (README: Performance).
ENV NODE_OPTIONS=--max-old-space-size=256
WORKDIR /app
COPY --from=build --chown=node:node /app/node_modules ./node_modules
COPY --from=build --chown=node:node /app/src ./src
COPY --from=build --chown=node:node /app/workers ./workers
COPY --from=build --chown=node:node /app/bin ./bin
COPY --from=build --chown=node:node /app/prisma ./prisma
COPY --from=build --chown=node:node /app/package.json /app/prisma.config.ts /app/tsconfig.json ./
RUN mkdir -p /app/outbox && chown node:node /app/outbox
USER node
EXPOSE 3000
ENTRYPOINT ["node", "bin/touchbase.mjs"]
CMD ["worker"]

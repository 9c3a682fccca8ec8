# touchbase: one image for the worker, the server and migrations.
FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY . .
# npm ci refuses a lockfile made where other platforms' optional packages could not be listed
# (see .ci/run); npm install follows the same lockfile. postinstall generates the Prisma client
# (it needs prisma.config.ts and src/lib), then dev dependencies go.
RUN (npm ci --no-audit --no-fund || npm install --no-audit --no-fund) \
  && npm prune --omit=dev --no-audit --no-fund

FROM node:20-bookworm-slim
ENV NODE_ENV=production
WORKDIR /app
COPY --from=build --chown=node:node /app /app
RUN mkdir -p /app/outbox && chown node:node /app/outbox
USER node
ENTRYPOINT ["node", "bin/touchbase.mjs"]
CMD ["worker"]

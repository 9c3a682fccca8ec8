# touchbase: one image for the worker, the server and migrations.
FROM node:20-bookworm-slim AS deps
WORKDIR /app
COPY package.json package-lock.json ./
COPY prisma ./prisma
COPY prisma.config.ts ./
# npm ci refuses a lockfile made where other platforms' optional packages could not be listed
# (see .ci/run); npm install follows the same lockfile.
RUN (npm ci --no-audit --no-fund || npm install --no-audit --no-fund) && npm prune --omit=dev --no-audit --no-fund

FROM node:20-bookworm-slim
ENV NODE_ENV=production
WORKDIR /app
COPY --from=deps /app/node_modules ./node_modules
COPY . .
RUN mkdir -p /app/outbox && chown node:node /app/outbox
USER node
ENTRYPOINT ["node", "bin/touchbase.mjs"]
CMD ["worker"]

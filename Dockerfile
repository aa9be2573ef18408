# TradeGuard image: runs the API (default), the worker (`npm run worker`) or migrations (`npm run migrate`).
# See docker-compose.yml; without Docker, `npm start` runs everything locally.
# Node.js 24, the current LTS (20 reached end-of-life on 2026-04-30; it still runs TradeGuard, see README).
FROM node:24-bookworm-slim

WORKDIR /app

# Dependencies first, for layer caching. The postinstall hook generates the Prisma client,
# so it needs its script, the Prisma config and the schema.
# (`npm install` rather than `npm ci`: ci can fail on optional platform packages missing from the lock.)
COPY package.json package-lock.json ./
COPY scripts/prisma-generate.js ./scripts/prisma-generate.js
COPY prisma.config.ts ./
COPY prisma ./prisma
RUN npm install --no-audit --no-fund && npm cache clean --force

COPY . .
RUN node scripts/prisma-generate.js \
 && mkdir -p /app/.data \
 && chown -R node:node /app/.data

ENV NODE_ENV=production
USER node

EXPOSE 3000
CMD ["npm", "run", "api"]

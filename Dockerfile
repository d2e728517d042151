# syntax=docker/dockerfile:1
# Multi-stage: build with the full toolchain (better-sqlite3 compiles natively), run as a
# non-root user on a slim image with only production dependencies and the compiled output.

FROM node:20-bookworm AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
COPY plugins ./plugins
RUN npm run build && npm prune --omit=dev

FROM node:20-bookworm-slim AS runtime
ENV NODE_ENV=production \
    ACCESSBOT_DATA_DIR=/data \
    ACCESSBOT_DB_PATH=/data/accessbot.db \
    ACCESSBOT_API_LISTEN=0.0.0.0:3080 \
    ACCESSBOT_HOST_LISTEN=0.0.0.0:3081
WORKDIR /app
RUN apt-get update && apt-get install -y --no-install-recommends redis-server tini \
    && rm -rf /var/lib/apt/lists/* \
    && groupadd --system --gid 10001 accessbot \
    && useradd --system --uid 10001 --gid accessbot --home /app accessbot \
    && mkdir -p /data && chown accessbot:accessbot /data
COPY --from=build --chown=accessbot:accessbot /app/node_modules ./node_modules
COPY --from=build --chown=accessbot:accessbot /app/dist ./dist
COPY --chown=accessbot:accessbot package.json ./
COPY --chown=accessbot:accessbot bin ./bin
COPY --chown=accessbot:accessbot config ./config
# Numeric, so Kubernetes' runAsNonRoot can check it (the Helm chart runs as 10001 too).
USER 10001:10001
VOLUME ["/data"]
EXPOSE 3080 3081
# `serve` and `api` answer on 3080; for `accessbot host` set ACCESSBOT_HEALTH_URL to
# http://127.0.0.1:3081/healthz (deploy/docker-compose.yml sets its own checks; Kubernetes uses probes).
HEALTHCHECK --interval=15s --timeout=3s --start-period=20s --retries=3 \
  CMD node -e "fetch(process.env.ACCESSBOT_HEALTH_URL||'http://127.0.0.1:3080/healthz').then(r=>process.exit(r.ok?0:1)).catch(()=>process.exit(1))"
ENTRYPOINT ["/usr/bin/tini", "--", "bin/accessbot.js"]
CMD ["serve"]

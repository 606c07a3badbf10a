# syntax=docker/dockerfile:1
# Slipway's image: compiled JavaScript and production dependencies only, run as a non-root user,
# data in a volume. docs/deploy.md explains running it (compose.yaml) and deploying it on Dokploy.
# apps/server/src/repository/image.test.ts rebuilds the runtime stage's file tree from this file's
# COPY lines and starts it, since no container engine runs where Slipway is tested.

ARG NODE_VERSION=22

# 1. What both following stages start from: a compiler for better-sqlite3 (it builds from source
#    when its prebuilt binary is unavailable), and the package manifests.
FROM node:${NODE_VERSION}-bookworm-slim AS manifests
WORKDIR /app
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 make g++ \
 && rm -rf /var/lib/apt/lists/*
COPY package.json package-lock.json ./
COPY apps/server/package.json apps/server/
COPY apps/web/package.json apps/web/
COPY packages/contracts/package.json packages/contracts/
COPY packages/notify/package.json packages/notify/

# 2. Build: every dependency (npm ci compiles the server and the contracts through the root's
#    `prepare`, so the sources come first), then the web app (ng build).
FROM manifests AS build
COPY . .
RUN npm ci \
 && npm run build -w @slipway/web

# 3. Production dependencies only: the server's and the contracts', no compiler, no Angular.
#    No lifecycle scripts (the root's `prepare` compiles, which needs sources this stage lacks), then
#    better-sqlite3's own: the only production dependency with one.
FROM manifests AS deps
RUN npm ci --omit=dev --ignore-scripts --workspace @slipway/server --workspace @slipway/contracts \
 && npm rebuild better-sqlite3

# 4. What runs: git for the hosted repositories, bubblewrap and util-linux for the runner's sandbox.
FROM node:${NODE_VERSION}-bookworm-slim
RUN apt-get update \
 && apt-get install -y --no-install-recommends git bubblewrap util-linux ca-certificates tini \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --create-home --uid 10001 slipway \
 && mkdir -p /data \
 && chown slipway:slipway /data
WORKDIR /app
ENV NODE_ENV=production \
    HOST=0.0.0.0 \
    PORT=3000 \
    SLIPWAY_DATA_DIR=/data
# The manifests and every node_modules folder (npm nests some under a workspace), then the builds.
COPY --from=deps /app ./
COPY --from=build /app/apps/server/bin apps/server/bin
COPY --from=build /app/apps/server/dist apps/server/dist
COPY --from=build /app/packages/contracts/dist packages/contracts/dist
COPY --from=build /app/packages/notify packages/notify
COPY --from=build /app/apps/web/dist/web/browser apps/web/dist/web/browser
COPY --from=build /app/templates templates
COPY --from=build /app/demo demo
USER slipway
VOLUME ["/data"]
EXPOSE 3000
HEALTHCHECK --interval=15s --timeout=5s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.PORT||3000)+'/healthz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
# tini forwards SIGTERM to Node (graceful shutdown) and reaps the runner's children.
ENTRYPOINT ["/usr/bin/tini", "--"]
CMD ["node", "apps/server/bin/slipway.mjs", "start"]

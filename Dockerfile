# The gateway for production: compiled JavaScript on Node 22, no dev dependencies.
# Build: docker build -t device-status-gateway .
FROM node:22-bookworm-slim AS build
WORKDIR /app
# better-sqlite3 compiles where no prebuilt binary fits.
RUN apt-get update && apt-get install -y --no-install-recommends python3 make g++ && rm -rf /var/lib/apt/lists/*
COPY package.json package-lock.json tsconfig.base.json ./
COPY packages/contract/package.json packages/contract/
COPY packages/gateway/package.json packages/gateway/
COPY packages/sdk/package.json packages/sdk/
COPY packages/cli/package.json packages/cli/
COPY packages/console/package.json packages/console/
# --ignore-scripts skips the root `prepare` (the sources are not copied yet); rebuild runs the
# dependencies' install scripts (better-sqlite3) without it.
RUN npm ci --ignore-scripts --workspace @device-status/contract --workspace @device-status/gateway \
      --workspace @device-status/sdk --workspace @device-status/cli \
      --workspace @device-status/console --include-workspace-root \
    && npm rebuild better-sqlite3
COPY packages/contract packages/contract
COPY packages/gateway packages/gateway
COPY packages/sdk packages/sdk
COPY packages/cli packages/cli
COPY packages/console packages/console
# Each package's own build, in dependency order. The web console is static files
# (packages/console/dist) that the gateway serves at /console.
# npm nests a dependency under its workspace when another version of it is hoisted (the gateway's
# ajv 8, next to the linters' ajv 6 before the prune): those folders go into the image too, made
# empty where npm nested nothing so that each COPY below has its source.
RUN npm run build -w @device-status/contract -w @device-status/gateway -w @device-status/sdk \
      -w @device-status/cli -w @device-status/console \
    && npm prune --omit=dev \
    && mkdir -p packages/contract/node_modules packages/gateway/node_modules \
      packages/sdk/node_modules packages/cli/node_modules

FROM node:22-bookworm-slim
WORKDIR /app
ENV NODE_ENV=production DS_MODE=production HOST=0.0.0.0 PORT=8080
COPY --from=build /app/node_modules node_modules
COPY --from=build /app/package.json ./
COPY --from=build /app/packages/contract/package.json packages/contract/
COPY --from=build /app/packages/contract/dist packages/contract/dist
COPY --from=build /app/packages/contract/node_modules packages/contract/node_modules
COPY --from=build /app/packages/gateway/package.json packages/gateway/
COPY --from=build /app/packages/gateway/dist packages/gateway/dist
COPY --from=build /app/packages/gateway/node_modules packages/gateway/node_modules
COPY --from=build /app/packages/gateway/specs packages/gateway/specs
COPY --from=build /app/packages/sdk/package.json packages/sdk/
COPY --from=build /app/packages/sdk/dist packages/sdk/dist
COPY --from=build /app/packages/sdk/node_modules packages/sdk/node_modules
COPY --from=build /app/packages/cli/package.json packages/cli/
COPY --from=build /app/packages/cli/dist packages/cli/dist
COPY --from=build /app/packages/cli/node_modules packages/cli/node_modules
COPY --from=build /app/packages/cli/bin packages/cli/bin
COPY --from=build /app/packages/console/dist packages/console/dist
USER node
EXPOSE 8080
HEALTHCHECK --interval=10s --timeout=3s CMD node -e "fetch('http://127.0.0.1:8080/ready').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"
CMD ["node", "packages/gateway/dist/main.js"]

# One image for the API and the worker (different commands). Build: docker compose build.
FROM node:20-bookworm-slim AS build
RUN apt-get update && apt-get install -y --no-install-recommends gcc libc6-dev openssl && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json nest-cli.json ./
COPY apps apps
COPY libs libs
COPY scripts/build-assets.sh scripts/build-assets.sh
RUN bash scripts/build-assets.sh && npx tsc -p tsconfig.build.json && npm prune --omit=dev

FROM node:20-bookworm-slim
# The worker's probes, run against sandbox processes on the host (pid: host): strace, and clang +
# libbpf-dev + libc6-dev for the ebpf probe's tracer (the default profile's), compiled on first use;
# the network simulator (docs/network.md): python3, iproute2, iptables.
RUN apt-get update && apt-get install -y --no-install-recommends strace clang libbpf-dev libc6-dev ca-certificates python3 iproute2 iptables && rm -rf /var/lib/apt/lists/*
WORKDIR /app
ENV NODE_ENV=production LOG_FORMAT=json
COPY --from=build /app/package.json ./
COPY --from=build /app/node_modules node_modules
COPY --from=build /app/dist dist
COPY sandbox-profiles sandbox-profiles
CMD ["node", "dist/apps/api/src/main.js"]

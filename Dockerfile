# syntax=docker/dockerfile:1
# Driftwatch image: docker compose up --build (see docker-compose.yml), or
#   docker build -t driftwatch . && docker run -p 8080:8080 -e DRIFTWATCH_API_TOKENS=... driftwatch

FROM node:24-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY . .
RUN npm run build \
 && npm prune --omit=dev --no-audit --no-fund

FROM node:24-bookworm-slim
ENV NODE_ENV=production \
    HOST=0.0.0.0 \
    PORT=8080
WORKDIR /app
# The whole tree, not only dist/: files read at run time (schemas/migrations, ui assets)
# sit beside the compiled code. Dev dependencies were pruned in the build stage.
COPY --from=build --chown=node:node /app /app
USER node
EXPOSE 8080
# A small V8 heap keeps memory flat under load (see README, Benchmarks).
CMD ["node", "--max-old-space-size=160", "--max-semi-space-size=4", "--initial-old-space-size=64", "dist/cli/main.js", "start"]

# Packrun's image, built from the repository: docker build -t packrun .
# The first stage makes the npm package (scripts/pack.mjs) as a release does; the image installs it
# with npm as a user does (test/cli/npm-package.test.ts runs these two steps into a folder, and
# test/cli/dockerfile.test.ts lints this file with hadolint). docs/deployment.md, "The image".
FROM node:20-bookworm AS package
# node-gyp compiles better-sqlite3 against the image's own Node headers.
ENV npm_config_nodedir=/usr/local
WORKDIR /src
COPY . .
RUN npm install --global --no-audit --no-fund pnpm@9.15.9 \
 && pnpm install --frozen-lockfile --reporter=silent \
 && mkdir /out \
 && node scripts/pack.mjs /out

FROM node:20-bookworm-slim
ENV npm_config_nodedir=/usr/local
# bubblewrap, passt and nftables: the sandbox's layers (packrun doctor says which are active);
# python3 and python3-venv: packs' Python envs; git: packs installed from git; g++ and make:
# better-sqlite3 compiled at install. Debian's own versions of bookworm, not pinned further.
# hadolint ignore=DL3008
RUN apt-get update \
 && apt-get install -y --no-install-recommends bubblewrap passt nftables python3 python3-venv git ca-certificates g++ make \
 && rm -rf /var/lib/apt/lists/*
COPY --from=package /out/ /tmp/packrun/
RUN npm install --global --no-audit --no-fund /tmp/packrun/packrun-*.tgz \
 && rm -rf /tmp/packrun /root/.npm
ENV PACKRUN_HOME=/var/lib/packrun \
    PACKRUN_API_HOST=0.0.0.0 \
    PACKRUN_API_PORT=9101
VOLUME /var/lib/packrun
EXPOSE 9101
ENTRYPOINT ["packrun"]
CMD ["up"]

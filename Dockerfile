# Dockerfile: plenary in two stages on debian:bookworm-slim, the Debian 12 it is built and
# tested on. The build stage runs the very meson build of the Makefile (tests/dockerfile-check.sh
# holds the two to the same commands); the runtime stage holds the shared libraries, the binary
# and an entrypoint that creates the database on the /data volume on first start.
#
#   docker build -t plenary .
#   docker run -p 8080:8080 -v plenary-data:/data plenary

# --- build --------------------------------------------------------------------------------
FROM debian:bookworm-slim AS build

# The Makefile's RUN_PACKAGES, plus libc6-dev (only a Recommends of gcc, so absent without
# recommends) and cmocka and libcurl: meson.build configures the tests too, and `meson setup`
# fails when their dependency() is not found.
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      gcc libc6-dev meson ninja-build pkg-config python3 \
      libmicrohttpd-dev libjansson-dev libsqlite3-dev zlib1g-dev libsodium-dev libxxhash-dev \
      libcmocka-dev libcurl4-openssl-dev \
 && rm -rf /var/lib/apt/lists/*

WORKDIR /src
# .dockerignore keeps out build/ (a configured meson dir would refuse `meson setup`), .git and
# databases. The schema, fixtures and OpenAPI components are compiled into the binary.
COPY . .
# The same two commands as `make build`. Tests are not run here: `make test` runs them, with
# and without sanitizers, before an image is worth building.
RUN meson setup build --buildtype=debugoptimized \
 && meson compile -C build \
 && strip --strip-unneeded -o /plenary build/server/plenary

# --- runtime ------------------------------------------------------------------------------
FROM debian:bookworm-slim

# The shared libraries the binary links (readelf -d: libmicrohttpd, jansson, sqlite3, zlib,
# libsodium, libxxhash; libc is in the base). No ca-certificates: plenary makes no outgoing connections.
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      libmicrohttpd12 libjansson4 libsqlite3-0 zlib1g libsodium23 libxxhash0 \
 && rm -rf /var/lib/apt/lists/*

# An unprivileged user with a fixed uid, so that a volume's ownership and Kubernetes' runAsNonRoot
# can rely on it. /data is made and handed to it before VOLUME: a new named volume starts as a
# copy of it, owned by plenary, and the database is created there on first start.
RUN groupadd --gid 10001 plenary \
 && useradd --uid 10001 --gid plenary --home-dir /data --no-create-home --no-log-init \
      --shell /usr/sbin/nologin plenary \
 && install -d -o plenary -g plenary -m 0750 /data

COPY --from=build /plenary /usr/local/bin/plenary
COPY docker-entrypoint.sh /usr/local/bin/docker-entrypoint.sh

# Inside a container plenary listens on every address; `-e PLENARY_PORT=...` or a flag after
# `serve` overrides any of these (flags win over the environment).
ENV PLENARY_DB=/data/plenary.db \
    PLENARY_BIND=0.0.0.0 \
    PLENARY_PORT=8080
VOLUME ["/data"]
WORKDIR /data
USER 10001:10001
EXPOSE 8080

# The image has no curl or wget, and adding one (with its TLS stack) only for this would grow
# the image and its attack surface; bash is in every Debian base, and its /dev/tcp speaks
# enough HTTP/1.0 to read a status line. 200 from /readyz means the database answers.
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
    CMD ["bash", "-c", "exec 3<>/dev/tcp/127.0.0.1/\"${PLENARY_PORT}\" && printf 'GET /readyz HTTP/1.0\\r\\n\\r\\n' >&3 && read -r _ status _ <&3 && [ \"$status\" = 200 ]"]

ENTRYPOINT ["/usr/local/bin/docker-entrypoint.sh"]
CMD ["serve"]

#!/usr/bin/env bash
# lint-openapi.sh: lints the OpenAPI document the daemon really serves. It builds plenary
# (make build), runs `plenary serve` on a free loopback port with a temporary database, fetches
# /openapi.json, stops the daemon, and runs `redocly lint` with redocly.yaml (the recommended
# rules, warnings as errors). Redocly CLI is installed once with npm into build/redocly, pinned;
# after that the check needs no network: telemetry and the update notice are off.
set -euo pipefail
cd "$(dirname "$0")/.."

REDOCLY_VERSION=2.77.0
prefix=build/redocly
redocly=$prefix/node_modules/.bin/redocly
export REDOCLY_TELEMETRY=off REDOCLY_SUPPRESS_UPDATE_NOTICE=true NO_COLOR=1

die() { echo "lint-openapi: $*" >&2; exit 1; }
command -v curl >/dev/null 2>&1 || die "curl is missing (make test-deps installs it)"

# --- the linter, installed once ----------------------------------------------------------------
installed=$(node -p "require('./$prefix/node_modules/@redocly/cli/package.json').version" \
    2>/dev/null || true)
if [ "$installed" != "$REDOCLY_VERSION" ]; then
    command -v npm >/dev/null 2>&1 || die "npm is missing (make test-deps installs it)"
    echo "lint-openapi: installing @redocly/cli@$REDOCLY_VERSION into $prefix"
    mkdir -p "$prefix"
    npm install --prefix "$prefix" --no-audit --no-fund --loglevel=error \
        "@redocly/cli@$REDOCLY_VERSION" >/dev/null || die "npm install of @redocly/cli failed"
fi

# --- the document, as served -------------------------------------------------------------------
tmp=$(mktemp -d)
pid=
cleanup() {
    if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
        kill -TERM "$pid" 2>/dev/null || true
        wait "$pid" 2>/dev/null || true
    fi
    rm -rf "$tmp"
}
trap cleanup EXIT

env -u MAKEFLAGS -u MAKELEVEL make --no-print-directory -s build >"$tmp/build.log" 2>&1 ||
    { tail -n 30 "$tmp/build.log" >&2; die "the build failed"; }
plenary=build/server/plenary

"$plenary" init --db "$tmp/plenary.db" >"$tmp/init.log" 2>&1 ||
    { cat "$tmp/init.log" >&2; die "plenary init failed"; }
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
"$plenary" serve --db "$tmp/plenary.db" --bind 127.0.0.1 --port "$port" --log off \
    >"$tmp/serve.log" 2>&1 &
pid=$!
for _ in $(seq 1 100); do
    curl -fsS -o "$tmp/openapi.json" "http://127.0.0.1:$port/openapi.json?pretty" 2>/dev/null && break
    kill -0 "$pid" 2>/dev/null || { cat "$tmp/serve.log" >&2; die "plenary serve exited"; }
    sleep 0.1
done
[ -s "$tmp/openapi.json" ] || { cat "$tmp/serve.log" >&2; die "no /openapi.json in 10 s"; }
kill -TERM "$pid"
wait "$pid" || die "plenary serve did not exit 0 on SIGTERM"
pid=

# --- the lint ----------------------------------------------------------------------------------
# Redocly prints a boxed notice that Node.js 20 support is ending on every run; it says nothing
# about the document, so the box (its lines hold ║ ╔ ╚) is left out of the log.
echo "lint-openapi: redocly lint of /openapi.json ($(wc -c <"$tmp/openapi.json") bytes)"
status=0
top=$PWD
(cd "$tmp" && "$top/$redocly" lint --config "$top/redocly.yaml" --format codeframe openapi.json) \
    2> >(grep -v '[║╔╚]' >&2) || status=$?
[ "$status" -eq 0 ] || die "redocly lint finds problems in /openapi.json (rules: redocly.yaml)"
echo "lint-openapi: ok"

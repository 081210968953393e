#!/usr/bin/env bash
# run.sh: `make bench` — plenary side by side with nginx serving the same bytes from a file
# (the practical limit of the machine) and json-server serving the same rows (what a user
# might pick instead), on the scenarios of issue 6, in alternating rounds; medians, ratios,
# peak RSS with 1,000 open connections and the time to a first answer, in one table
# (bench/out/last.txt, bench/out/last.md). BENCH_SMOKE=1 is the quick mode `make test` runs
# (bench/smoke.sh). bench/README.md explains the scenarios and the BENCH_* settings.
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/lib.sh

# ---- settings -----------------------------------------------------------------------------
SMOKE=${BENCH_SMOKE:-0}
if [ "$SMOKE" = 1 ]; then
    SCALE=${BENCH_SCALE:-5000}
    DURATION=${BENCH_DURATION:-1s}
    ROUNDS=${BENCH_ROUNDS:-1}
    CONNECTIONS=${BENCH_CONNECTIONS:-32}
    WARMUP=${BENCH_WARMUP:-0}
    OUT=${BENCH_OUT:-bench/out/smoke}
    BUILD=${BENCH_BUILD:-build}              # the tree `make test` has just built
    BUILDTYPE=${BENCH_BUILDTYPE:-debugoptimized}
else
    SCALE=${BENCH_SCALE:-1000000}
    DURATION=${BENCH_DURATION:-10s}
    ROUNDS=${BENCH_ROUNDS:-3}
    CONNECTIONS=${BENCH_CONNECTIONS:-32 256}
    WARMUP=${BENCH_WARMUP:-2s}
    OUT=${BENCH_OUT:-bench/out}
    BUILD=${BENCH_BUILD:-build-release}
    BUILDTYPE=${BENCH_BUILDTYPE:-release}
fi
DATA=${BENCH_DATA:-bench/out/data}           # the generated record, kept between runs
FILTER=${BENCH_FILTER:-organization_kind=state}
SEARCH_Q=${BENCH_SEARCH_Q:-cooperation}
WALK=${BENCH_WALK:-999}                      # links.next followed for the deep keyset page
RSS_CONNECTIONS=${BENCH_RSS_CONNECTIONS:-1000}
BENCH_WRK_THREADS=${BENCH_WRK_THREADS:-2}
JSON_SERVER_VERSION=0.17.4
PAGE="/v1/interventions?limit=50"

started=$(date +%s)
PY=$(python3 -c 'import sys; print(sys.executable)') # once: a pyenv shim costs a fork storm
mkdir -p "$OUT" "$DATA"
OUT=$(cd "$OUT" && pwd)
DATA=$(cd "$DATA" && pwd)
LOGS="$OUT/logs"
rm -rf "$LOGS"
mkdir -p "$LOGS"
RESULTS="$OUT/results.jsonl"
META="$OUT/meta.tsv"
: >"$RESULTS"
: >"$META"
meta() { printf '%s\t%s\n' "$1" "$2" >>"$META"; }

# ---- tools: wrk, nginx, curl, Node from Debian; json-server from npm ------------------------
need=()
command -v wrk >/dev/null || need+=(wrk)
command -v nginx >/dev/null || [ -x /usr/sbin/nginx ] || need+=(nginx-light)
command -v curl >/dev/null || need+=(curl)
command -v node >/dev/null || need+=(nodejs)
command -v npm >/dev/null || need+=(npm)
if [ ${#need[@]} -gt 0 ]; then
    bash tools/ensure-packages "${need[@]}"
fi
NGINX=$(command -v nginx || echo /usr/sbin/nginx)
NODE_DIR=bench/out/node
JSON_SERVER="$PWD/$NODE_DIR/node_modules/json-server/lib/cli/bin.js"
if ! grep -qs "\"version\": \"$JSON_SERVER_VERSION\"" "$NODE_DIR/node_modules/json-server/package.json"; then
    log "installing json-server@$JSON_SERVER_VERSION from npm into $NODE_DIR"
    npm install --prefix "$NODE_DIR" --no-audit --no-fund --loglevel=error \
        "json-server@$JSON_SERVER_VERSION" >"$LOGS/npm.log" 2>&1 ||
        { cat "$LOGS/npm.log" >&2; die "npm install json-server failed"; }
fi

# ---- the binary ---------------------------------------------------------------------------
if [ -n "${BENCH_PLENARY:-}" ]; then
    PLENARY=$(cd "$(dirname "$BENCH_PLENARY")" && pwd)/$(basename "$BENCH_PLENARY") # prebuilt
    BUILDTYPE="prebuilt $BENCH_PLENARY"
else
    if [ ! -f "$BUILD/build.ninja" ]; then
        log "meson setup $BUILD --buildtype=$BUILDTYPE"
        meson setup "$BUILD" --buildtype="$BUILDTYPE" >"$LOGS/meson-setup.log" 2>&1 ||
            { tail -n 30 "$LOGS/meson-setup.log" >&2; die "meson setup failed"; }
    fi
    log "meson compile -C $BUILD"
    meson compile -C "$BUILD" >"$LOGS/meson-compile.log" 2>&1 ||
        { tail -n 30 "$LOGS/meson-compile.log" >&2; die "the build failed"; }
    case $BUILD in /*) PLENARY="$BUILD/server/plenary" ;; *) PLENARY="$PWD/$BUILD/server/plenary" ;; esac
fi

# ---- a work dir every process can read (nginx workers may run as nobody) -------------------
BENCH_TMP=$(mktemp -d /tmp/plenary-bench.XXXXXX)
chmod 755 "$BENCH_TMP"
trap bench_cleanup EXIT
trap 'exit 130' INT TERM
ulimit -n 8192 2>/dev/null || ulimit -n "$(ulimit -Hn)" 2>/dev/null || true

# ---- data: the fixtures (the seed record), and the generated record --------------------------
SEED_DB="$BENCH_TMP/seed.db"
"$PLENARY" init --db "$SEED_DB" --with-fixtures >"$LOGS/init-seed.log" 2>&1 ||
    { cat "$LOGS/init-seed.log" >&2; die "plenary init --with-fixtures failed"; }

# The generated record depends on the scale, the schema, the version, the generator and the
# import (which lays out the search indexes): a small record's bytes stand for the
# generator's behaviour, the import's source for the import's.
key=$( (cat schema/*.sql server/record_doc.c 2>/dev/null; "$PLENARY" --version
    "$PLENARY" generate --scale 50 --seed 1 2>/dev/null) | sha1sum | cut -c1-12)
LARGE_DB="$DATA/record-$SCALE-$key.db"
if [ -n "${BENCH_LARGE_DB:-}" ]; then
    LARGE_DB=$BENCH_LARGE_DB # a database made elsewhere
    SCALE="custom ($(basename "$LARGE_DB"))"
elif [ "${BENCH_FRESH:-0}" = 1 ] || [ ! -f "$LARGE_DB.ok" ]; then
    rm -f "$DATA/record-$SCALE-"*
    json="$DATA/record-$SCALE.json"
    log "generating the record at scale $SCALE (kept in $DATA for the next run)"
    t0=$(date +%s)
    "$PLENARY" generate --scale "$SCALE" --seed 1 --out "$json" >"$LOGS/generate.log" 2>&1 ||
        { tail -n 20 "$LOGS/generate.log" >&2; die "plenary generate failed"; }
    "$PLENARY" init --db "$LARGE_DB" >"$LOGS/init-large.log" 2>&1 ||
        { tail -n 20 "$LOGS/init-large.log" >&2; die "plenary init failed"; }
    "$PLENARY" import --db "$LARGE_DB" "$json" >"$LOGS/import.log" 2>&1 ||
        { tail -n 20 "$LOGS/import.log" >&2; die "plenary import failed"; }
    rm -f "$json"
    touch "$LARGE_DB.ok"
    log "record at scale $SCALE ready in $(($(date +%s) - t0)) s"
fi

# ---- contestants --------------------------------------------------------------------------
mapfile -t ports < <("$PY" bench/helper.py ports 6)
P_CACHED=${ports[0]} P_SEED=${ports[1]} P_LARGE=${ports[2]} P_NGINX=${ports[3]}
P_JSON=${ports[4]} P_PROBE=${ports[5]}
CACHED="http://127.0.0.1:$P_CACHED" SEED="http://127.0.0.1:$P_SEED"
LARGE="http://127.0.0.1:$P_LARGE" NGX="http://127.0.0.1:$P_NGINX" JS="http://127.0.0.1:$P_JSON"

log "starting plenary (cache on, seed record; cache off, seed record; cache off, scale $SCALE)"
start_plenary plenary "$P_CACHED" "$SEED_DB"
CACHED_PID=$LAST_PID
start_plenary plenary-seed "$P_SEED" "$SEED_DB" --cache-size 0
SEED_PID=$LAST_PID
start_plenary plenary-large "$P_LARGE" "$LARGE_DB" --cache-size 0
LARGE_PID=$LAST_PID
FROZEN_POOL=("$CACHED_PID" "$SEED_PID" "$LARGE_PID")
# The plenary instance behind a URL (empty for nginx and json-server).
pid_of_url() {
    case $1 in
    "$CACHED"/*) echo "$CACHED_PID" ;;
    "$SEED"/*) echo "$SEED_PID" ;;
    "$LARGE"/*) echo "$LARGE_PID" ;;
    esac
}

# nginx's root: plenary's own bytes for the page, and its own gzip body beside them.
ROOT="$BENCH_TMP/www"
mkdir -p "$ROOT"
curl -sf -o "$ROOT/page.json" "$CACHED$PAGE" || die "GET $PAGE failed"
curl -sf -H 'Accept-Encoding: gzip' -o "$ROOT/page.json.gz" "$CACHED$PAGE" ||
    die "GET $PAGE with gzip failed"
touch -r "$ROOT/page.json" "$ROOT/page.json.gz"
chmod 644 "$ROOT"/*
log "starting nginx"
start_nginx "$P_NGINX" "$ROOT"

# json-server's db.json: every intervention as plenary serves it, plus the filter's field flat.
mkdir -p "$BENCH_TMP/json"
curl -sf -o "$BENCH_TMP/interventions.ndjson" "$CACHED/v1/interventions?format=ndjson" ||
    die "GET /v1/interventions?format=ndjson failed"
FILTER_FIELD=${FILTER%%=*}
rows=$("$PY" bench/helper.py jsondb "$BENCH_TMP/interventions.ndjson" \
    "$BENCH_TMP/json/db.json" "$FILTER_FIELD")
log "starting json-server ($rows interventions)"
start_json_server "$P_JSON" "$BENCH_TMP/json/db.json"

# ---- the scenarios --------------------------------------------------------------------------
# One entry per (scenario, contestant): URL, expected status, request headers, and whether the
# ratio is of requests/s (peers) or of p99 (the large record against the seed record).
# Each entry runs at every CONNECTIONS count; ENTRY_CONNS, when set, replaces that list for the
# entries made while it is set (all entries of one scenario share one list).
E_ID=() E_LABEL=() E_WHO=() E_URL=() E_EXPECT=() E_CMP=() E_HDRS=() E_GZIP=() E_CONNS=()
ENTRY_CONNS=
entry() { # id label contestant compare expect gzip url [header...]
    E_ID+=("$1") E_LABEL+=("$2") E_WHO+=("$3") E_CMP+=("$4") E_EXPECT+=("$5") E_GZIP+=("$6")
    E_URL+=("$7") E_CONNS+=("${ENTRY_CONNS:-$CONNECTIONS}")
    shift 7
    local IFS=$'\n'
    E_HDRS+=("$*")
}
notes=()

etag_of() { "$PY" bench/helper.py check "$1" 200 || die "GET $1 failed its check"; }
ETAG_PLENARY=$(etag_of "$CACHED$PAGE")
ETAG_NGINX=$(etag_of "$NGX/page.json")
ETAG_JSON=$(etag_of "$JS/interventions?_page=1&_limit=50")

JS_PAGE="/interventions?_page=1&_limit=50"
JS_FILTER="/interventions?$FILTER&_limit=50"
FILTERED="/v1/interventions?$FILTER&limit=50"
# Scenario 4's filtered page holds 20 items: the seed record has 20 interventions of the
# default filter, so a page of 20 is full on both records and the p99 ratio compares the
# same work on a small and a large record (at limit=50 the seed page would hold 20 items
# against the large record's 50, and the ratio would measure the page's size).
FILTERED_PAGE="/v1/interventions?$FILTER&limit=${BENCH_FILTERED_PAGE_LIMIT:-20}"

entry 1 "1 cached page" plenary rps 200 0 "$CACHED$PAGE"
entry 1 "1 cached page" nginx rps 200 0 "$NGX/page.json"
entry 1 "1 cached page" json-server rps 200 0 "$JS$JS_PAGE"
entry 2 "2 revalidate, 304" plenary rps 304 0 "$CACHED$PAGE" "If-None-Match: $ETAG_PLENARY"
entry 2 "2 revalidate, 304" nginx rps 304 0 "$NGX/page.json" "If-None-Match: $ETAG_NGINX"
entry 2 "2 revalidate, 304" json-server rps 304 0 "$JS$JS_PAGE" "If-None-Match: $ETAG_JSON"
entry 3 "3 filtered, cache off" plenary rps 200 0 "$SEED$FILTERED"
entry 3 "3 filtered, cache off" json-server rps 200 0 "$JS$JS_FILTER"

# The deep keyset page: follow links.next on each record as far as WALK allows.
log "keyset walk: links.next up to $WALK times on each record"
read -r depth_large deep_large < <("$PY" bench/helper.py walk "$LARGE" "$PAGE" "$WALK") ||
    die "keyset walk on the large record failed"
read -r depth_seed deep_seed < <("$PY" bench/helper.py walk "$SEED" "$PAGE" "$WALK") ||
    die "keyset walk on the seed record failed"
notes+=("keyset: page $((depth_large + 1)) of the scale-$SCALE record, page $((depth_seed + 1)) (the last) of the seed record")
[ "$depth_large" -ge "$WALK" ] || notes+=("the scale-$SCALE record has only $((depth_large + 1)) pages of 50: the walk went as deep as it could")
total_hits=$(curl -sf "$LARGE/v1/search?q=$SEARCH_Q&limit=1" |
    "$PY" -c 'import json,sys; print(json.load(sys.stdin)["meta"]["total"])' || echo "?")
notes+=("search q=$SEARCH_Q: $total_hits hits on the scale-$SCALE record")

L4="4 large, cache off:"
entry 4a "$L4 filtered page" plenary p99 200 0 "$LARGE$FILTERED_PAGE"
entry 4a "$L4 filtered page" plenary-seed p99 200 0 "$SEED$FILTERED_PAGE"
entry 4b "$L4 keyset page $((depth_large + 1))" plenary p99 200 0 "$LARGE$deep_large"
entry 4b "$L4 keyset page $((depth_large + 1))" plenary-seed p99 200 0 "$SEED$deep_seed"
# Search also runs with one client: its latency alone, without the queue that 32 or 256
# clients waiting on two cores put in front of every request.
ENTRY_CONNS="1 $CONNECTIONS"
entry 4c "$L4 search" plenary p99 200 0 "$LARGE/v1/search?q=$SEARCH_Q"
entry 4c "$L4 search" plenary-seed p99 200 0 "$SEED/v1/search?q=$SEARCH_Q"
ENTRY_CONNS=
entry 4d "$L4 facet" plenary p99 200 0 "$LARGE/v1/interventions?facet=$FILTER_FIELD&limit=1"
entry 4d "$L4 facet" plenary-seed p99 200 0 "$SEED/v1/interventions?facet=$FILTER_FIELD&limit=1"
entry 5 "5 cached page, gzip" plenary rps 200 1 "$CACHED$PAGE" "Accept-Encoding: gzip"
entry 5 "5 cached page, gzip" nginx rps 200 1 "$NGX/page.json" "Accept-Encoding: gzip"

# json-server must serve the rows plenary serves, in the same order.
log "checking every answer once before wrk"
"$PY" bench/helper.py same-ids "$CACHED$PAGE" "$JS$JS_PAGE" "$SEED$FILTERED" "$JS$JS_FILTER" ||
    die "json-server's rows differ from plenary's"

# ---- answer checks: one GET per entry before wrk (status, Content-Length, keep-alive) --------
E_OK=()
for i in "${!E_ID[@]}"; do
    printf '%s\t%s\t%s\t%s\t%s\n' "$i" "${E_URL[$i]}" "${E_EXPECT[$i]}" "${E_GZIP[$i]}" \
        "$(printf '%s' "${E_HDRS[$i]}" | tr '\n' '\037')"
done >"$BENCH_TMP/checks.tsv"
"$PY" bench/helper.py check-all <"$BENCH_TMP/checks.tsv" >"$BENCH_TMP/checks.out"
# A request slower than a whole run cannot be measured by it, and the answers wrk abandons at
# the end would keep the server busy into the next contestant's run: such an entry is FAILED
# without running it (not in smoke mode, which has no limits).
run_seconds=$(awk -v d="$DURATION" 'BEGIN { n = d + 0; if (d ~ /m$/) n *= 60; if (d ~ /h$/) n *= 3600; print n }')
while IFS=$'\t' read -r i reason secs; do
    if [ "$reason" = ok ] && [ "$SMOKE" != 1 ] &&
        awk -v a="$secs" -v b="$run_seconds" 'BEGIN { exit !(a > b) }'; then
        reason="one answer took $secs s, longer than a $DURATION run: not measured under load"
    fi
    if [ "$reason" = ok ]; then
        E_OK[$i]=1
    else
        E_OK[$i]=0
        log "check failed: ${E_LABEL[$i]} / ${E_WHO[$i]}: $reason"
        for c in ${E_CONNS[$i]}; do
            "$PY" bench/report.py fail "$RESULTS" "answer check: $reason" \
                "scenario=${E_ID[$i]}" "label=${E_LABEL[$i]}" "contestant=${E_WHO[$i]}" \
                "conns=$c" "compare=${E_CMP[$i]}" round=0
        done
    fi
done <"$BENCH_TMP/checks.out"
for i in "${!E_ID[@]}"; do
    [ -n "${E_OK[$i]:-}" ] || die "no answer check for ${E_LABEL[$i]} / ${E_WHO[$i]}"
done

# drain URL CONTESTANT: wait (at most 120 s) until the contestant answers a light request, so
# that the requests wrk left in flight are finished before the next run starts.
drain() {
    local base path
    base=$(printf '%s' "$1" | sed -E 's#^(http://[^/]+).*#\1#')
    case $2 in
    plenary*) path=/healthz ;;
    nginx) path=/page.json ;;
    *) path=/interventions/1 ;;
    esac
    curl -s -o /dev/null --max-time 120 "$base$path" || log "$2 still busy after 120 s"
}

headers_of() {
    HDRS=()
    if [ -n "${E_HDRS[$1]}" ]; then
        while IFS= read -r h; do HDRS+=("$h"); done <<<"${E_HDRS[$1]}"
    fi
}

# ---- warm-up, then the rounds: scenario by scenario, the contestants one after another -------
if [ "$WARMUP" != 0 ]; then
    log "warm-up: $WARMUP per scenario and contestant"
    for i in "${!E_ID[@]}"; do
        [ "${E_OK[$i]}" = 1 ] || continue
        headers_of "$i"
        focus $(pid_of_url "${E_URL[$i]}")
        run_wrk "$BENCH_TMP/warmup.out" 32 "$WARMUP" "${E_URL[$i]}" "${HDRS[@]+"${HDRS[@]}"}"
        drain "${E_URL[$i]}" "${E_WHO[$i]}"
    done
fi

mapfile -t scenarios < <(printf '%s\n' "${E_ID[@]}" | awk '!seen[$0]++')
for ((round = 1; round <= ROUNDS; round++)); do
    log "round $round of $ROUNDS ($DURATION per run, connections: $CONNECTIONS)"
    for s in "${scenarios[@]}"; do
        for i in "${!E_ID[@]}"; do [ "${E_ID[$i]}" = "$s" ] && break; done
        for c in ${E_CONNS[$i]}; do
            for i in "${!E_ID[@]}"; do
                [ "${E_ID[$i]}" = "$s" ] && [ "${E_OK[$i]}" = 1 ] || continue
                [[ " ${E_CONNS[$i]} " == *" $c "* ]] || continue
                headers_of "$i"
                focus $(pid_of_url "${E_URL[$i]}")
                run_wrk "$BENCH_TMP/wrk.out" "$c" "$DURATION" "${E_URL[$i]}" \
                    "${HDRS[@]+"${HDRS[@]}"}"
                drain "${E_URL[$i]}" "${E_WHO[$i]}"
                cp "$BENCH_TMP/wrk.out" "$LOGS/wrk-r$round-$s-${E_WHO[$i]}-c$c.txt"
                "$PY" bench/report.py add "$RESULTS" "$BENCH_TMP/wrk.out" "round=$round" \
                    "scenario=$s" "label=${E_LABEL[$i]}" "contestant=${E_WHO[$i]}" \
                    "conns=$c" "expect=${E_EXPECT[$i]}" "compare=${E_CMP[$i]}"
            done
        done
    done
done

# ---- the large record alone: first answer, then peak RSS with many open connections ----------
focus "${FROZEN_POOL[@]}"
FROZEN_POOL=()
extra_failed=()
stop_pid "$LARGE_PID"
log "time to first answer on the scale-$SCALE record"
firsts=()
for ((k = 1; k <= (SMOKE == 1 ? 1 : 3); k++)); do
    if ms=$("$PY" bench/helper.py first-answer "http://127.0.0.1:$P_PROBE/readyz" -- \
        "$PLENARY" serve --db "$LARGE_DB" --bind 127.0.0.1 --port "$P_PROBE" --log off); then
        firsts+=("$ms")
    fi
done
if [ ${#firsts[@]} -gt 0 ]; then
    first_ms=$(printf '%s\n' "${firsts[@]}" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}')
    meta first_answer_ms "$first_ms"
    meta first_answer "$first_ms ms from exec to the first 200 from /readyz, scale-$SCALE record (median of ${#firsts[@]}: ${firsts[*]})"
else
    meta first_answer "FAILED: no answer within 30 s"
    extra_failed+=("first answer")
fi

log "peak RSS with $RSS_CONNECTIONS open connections on the scale-$SCALE record"
start_plenary plenary-rss "$P_PROBE" "$LARGE_DB"
if rss=$("$PY" bench/helper.py rss 127.0.0.1 "$P_PROBE" "$LAST_PID" "$RSS_CONNECTIONS" "$PAGE"); then
    meta rss_json "$rss"
else
    meta rss_json "$rss"
    extra_failed+=("peak RSS")
fi
stop_pid "$LAST_PID"

# ---- the table ------------------------------------------------------------------------------
cpu=$(lscpu 2>/dev/null | sed -n 's/^Model name: *//p' | head -n 1)
mem=$(awk '/MemTotal/ {printf "%.1f GB", $2 / 1048576}' /proc/meminfo)
. /etc/os-release 2>/dev/null || true
meta title "plenary benchmark, $(date -u +%Y-%m-%dT%H:%MZ), $([ "$SMOKE" = 1 ] && echo "SMOKE mode (not a measurement)" || echo "$ROUNDS alternating rounds, medians")"
settings=$(env | grep -E '^BENCH_[A-Z_]+=' | grep -v '^BENCH_SMOKE=' | sort | tr '\n' ' ' || true)
meta command "${settings}$([ "$SMOKE" = 1 ] && echo "bash bench/smoke.sh" || echo "make bench")  (wrk -t$BENCH_WRK_THREADS -cN -d$DURATION --latency -s bench/check.lua; N: $CONNECTIONS; $ROUNDS round(s))"
meta machine "$(nproc) cores ${cpu:-?}, $mem, ${PRETTY_NAME:-Linux} $(uname -r); wrk, servers and peers on the same machine"
meta software "plenary $("$PLENARY" --version | awk '{print $2}') ($(git rev-parse --short HEAD 2>/dev/null || echo '?')$(git diff --quiet 2>/dev/null || echo '+changes'), $BUILDTYPE), $("$NGINX" -v 2>&1 | sed 's/.*version: //'), json-server $JSON_SERVER_VERSION on Node $(node -v), $(wrk -v 2>&1 | head -n 1 | awk '{print "wrk " $2}')"
meta data "seed record (fixtures: $rows interventions) for 1-3 and 5; generated record at scale $SCALE (seed 1) for 4"
meta scenarios "1 GET $PAGE (nginx: the same bytes from a file; json-server: the same rows, $JS_PAGE); 2 the same with If-None-Match; 3 $FILTERED with --cache-size 0 (json-server: $JS_FILTER); 4 cache off on the generated record: $FILTERED_PAGE, the deep keyset page of $PAGE, /v1/search?q=$SEARCH_Q (also with 1 client), /v1/interventions?facet=$FILTER_FIELD&limit=1; ratio = p99 against the same request on the seed record; 5 = 1 with Accept-Encoding: gzip (nginx: gzip_static of plenary's gzip bytes)"
meta notes "$(IFS=';'; echo "${notes[*]}" | sed 's/;/; /g')"
meta smoke "$SMOKE"
meta scale "$SCALE"
[ ${#extra_failed[@]} -eq 0 ] || meta extra_failed "${extra_failed[*]}"

echo
status=0
"$PY" bench/report.py table "$RESULTS" "$META" "$OUT" || status=$?
log "done in $(($(date +%s) - started)) s; table in $OUT/last.txt and $OUT/last.md"
exit "$status"

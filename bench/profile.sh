#!/usr/bin/env bash
# profile.sh: `make profile` — what one request costs plenary, measured two ways on a release
# binary serving a record with the response cache off (--cache-size 0):
#   - instructions per request, under valgrind's callgrind: repeatable to a few parts in a
#     thousand, so a change of 2% shows, where timings on a noisy 2-core machine do not;
#     counted after BENCH_PROFILE_WARMUP (30) requests (the first ones of each worker prepare
#     statements and fill caches);
#   - CPU time per request: the server's utime + stime (/proc/PID/stat) around one wrk run
#     (-t1 -c8), divided by the requests answered. It includes the kernel's share (sockets,
#     locks, file checks), which callgrind does not count.
# Usage: bench/profile.sh [PATH ...]; the default paths are the cache-off requests of
# bench/run.sh. Settings: BENCH_PROFILE_DB (the database served; default the seed record),
# BENCH_PROFILE_REQUESTS (counted under callgrind, 100), BENCH_PROFILE_WRK (the wrk run's
# length, 4s; 0 skips it), BENCH_BUILD and BENCH_PLENARY as in bench/run.sh. The callgrind
# files stay in bench/out/profile/ for callgrind_annotate (--inclusive=yes --tree=calling).
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/lib.sh

REQUESTS=${BENCH_PROFILE_REQUESTS:-100}
WRK_TIME=${BENCH_PROFILE_WRK:-4s}
BUILD=${BENCH_BUILD:-build-release}
OUT=bench/out/profile
WARMUP_REQUESTS=${BENCH_PROFILE_WARMUP:-30}
if [ $# -gt 0 ]; then
    paths=("$@")
else
    paths=("/v1/interventions?organization_kind=state&limit=50" "/v1/search?q=cooperation"
        "/v1/interventions?facet=organization_kind&limit=1")
fi

need=()
command -v valgrind >/dev/null || need+=(valgrind)
command -v curl >/dev/null || need+=(curl)
[ "$WRK_TIME" = 0 ] || command -v wrk >/dev/null || need+=(wrk)
if [ ${#need[@]} -gt 0 ]; then
    bash tools/ensure-packages "${need[@]}"
fi

if [ -n "${BENCH_PLENARY:-}" ]; then
    PLENARY=$(cd "$(dirname "$BENCH_PLENARY")" && pwd)/$(basename "$BENCH_PLENARY")
else
    [ -f "$BUILD/build.ninja" ] || meson setup "$BUILD" --buildtype=release >/dev/null
    meson compile -C "$BUILD" >/dev/null || die "the build failed"
    PLENARY="$PWD/$BUILD/server/plenary"
fi

mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)
LOGS="$OUT"
BENCH_TMP=$(mktemp -d /tmp/plenary-profile.XXXXXX)
trap bench_cleanup EXIT
trap 'exit 130' INT TERM
DB=${BENCH_PROFILE_DB:-}
if [ -z "$DB" ]; then
    DB="$BENCH_TMP/seed.db"
    "$PLENARY" init --db "$DB" --with-fixtures >"$OUT/init.log" 2>&1 ||
        { cat "$OUT/init.log" >&2; die "plenary init --with-fixtures failed"; }
fi
mapfile -t ports < <(python3 bench/helper.py ports 2)

# get PORT PATH: one request whose answer must be 200
get() {
    local status
    status=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$1$2")
    [ "$status" = 200 ] || die "GET $2 answered $status"
}

printf '%-60s %14s %12s\n' "request (cache off, $(basename "$DB"))" "instr/request" "CPU/request"
for i in "${!paths[@]}"; do
    path=${paths[$i]}
    out="$OUT/callgrind.$i.out"
    # instructions: callgrind with instrumentation off until the warm-up requests are done
    valgrind --tool=callgrind --instr-atstart=no --callgrind-out-file="$out" \
        "$PLENARY" serve --db "$DB" --bind 127.0.0.1 --port "${ports[0]}" --log off \
        --cache-size 0 >"$OUT/valgrind.log" 2>&1 &
    vpid=$!
    BENCH_PIDS+=("$vpid")
    wait_ready "plenary under callgrind" "$vpid" "http://127.0.0.1:${ports[0]}/readyz" \
        "$OUT/valgrind.log"
    for ((r = 0; r < WARMUP_REQUESTS; r++)); do get "${ports[0]}" "$path"; done
    callgrind_control --instr=on "$vpid" >/dev/null 2>&1
    for ((r = 0; r < REQUESTS; r++)); do get "${ports[0]}" "$path"; done
    callgrind_control --instr=off "$vpid" >/dev/null 2>&1
    stop_pid "$vpid"
    total=$(callgrind_annotate "$out" 2>/dev/null |
        awk '/PROGRAM TOTALS/ { gsub(",", "", $1); print $1 }')
    [ -n "$total" ] || die "no instruction count in $out"
    instructions=$((total / REQUESTS))

    # CPU time: the release binary at full speed, wrk on the same machine
    cpu="-"
    if [ "$WRK_TIME" != 0 ]; then
        start_plenary plenary "${ports[1]}" "$DB" --cache-size 0
        get "${ports[1]}" "$path"
        ticks() { awk '{ print $14 + $15 }' "/proc/$LAST_PID/stat"; }
        before=$(ticks)
        answered=$(wrk -t1 -c8 -d"$WRK_TIME" "http://127.0.0.1:${ports[1]}$path" |
            awk '/requests in/ { print $1 }')
        after=$(ticks)
        stop_pid "$LAST_PID"
        hz=$(getconf CLK_TCK)
        [ "${answered:-0}" -gt 0 ] && cpu="$(((after - before) * 1000000 / hz / answered)) us"
    fi
    printf '%-60s %14s %12s\n' "$path" "$instructions" "$cpu"
done

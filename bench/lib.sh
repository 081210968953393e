# lib.sh: functions for bench/run.sh (sourced, not run) — the processes it starts and stops,
# one wrk run, and logging. Every process started here is recorded in BENCH_PIDS and ended
# by bench_cleanup (run.sh traps EXIT), by its own pid and nothing broader.

BENCH_PIDS=()

log() { printf '%s %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { log "error: $*"; exit 1; }

# bench_cleanup: stop every process we started (TERM, then KILL after 5 s), remove the work dir.
bench_cleanup() {
    local pid i
    for pid in "${BENCH_PIDS[@]+"${BENCH_PIDS[@]}"}"; do
        kill -CONT "$pid" 2>/dev/null || true # it may be frozen (focus)
        kill -TERM "$pid" 2>/dev/null || true
    done
    for pid in "${BENCH_PIDS[@]+"${BENCH_PIDS[@]}"}"; do
        for ((i = 0; i < 50; i++)); do
            kill -0 "$pid" 2>/dev/null || break
            sleep 0.1
        done
        kill -KILL "$pid" 2>/dev/null || true
        wait "$pid" 2>/dev/null || true
    done
    BENCH_PIDS=()
    if [ -n "${BENCH_TMP:-}" ] && [ -d "$BENCH_TMP" ]; then
        rm -rf "$BENCH_TMP"
    fi
}

# stop_pid PID: stop one process we started, and forget it.
stop_pid() {
    local pid=$1 i kept=()
    kill -CONT "$pid" 2>/dev/null || true
    kill -TERM "$pid" 2>/dev/null || true
    for ((i = 0; i < 50; i++)); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.1
    done
    kill -KILL "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
    for i in "${BENCH_PIDS[@]}"; do [ "$i" = "$pid" ] || kept+=("$i"); done
    BENCH_PIDS=("${kept[@]+"${kept[@]}"}")
}

# wait_ready NAME PID URL LOG: until URL answers 200; fail with the log's tail if the process
# dies or 60 s pass.
wait_ready() {
    local name=$1 pid=$2 url=$3 logfile=$4 i
    for ((i = 0; i < 1200; i++)); do
        if ! kill -0 "$pid" 2>/dev/null; then
            tail -n 20 "$logfile" >&2 || true
            die "$name exited before answering $url"
        fi
        if [ "$(curl -s -o /dev/null -w '%{http_code}' --max-time 5 "$url" || true)" = 200 ]; then
            return 0
        fi
        sleep 0.05
    done
    tail -n 20 "$logfile" >&2 || true
    die "$name did not answer $url within 60 s"
}

# start_plenary NAME PORT DB [serve flags...]: a plenary serve on 127.0.0.1; sets LAST_PID.
start_plenary() {
    local name=$1 port=$2 db=$3
    shift 3
    "$PLENARY" serve --db "$db" --bind 127.0.0.1 --port "$port" --log off "$@" \
        >"$LOGS/$name.log" 2>&1 &
    LAST_PID=$!
    BENCH_PIDS+=("$LAST_PID")
    wait_ready "$name" "$LAST_PID" "http://127.0.0.1:$port/readyz" "$LOGS/$name.log"
}

# start_nginx PORT ROOT: nginx in the foreground under its own prefix in the work dir.
start_nginx() {
    local port=$1 root=$2 prefix="$BENCH_TMP/nginx"
    mkdir -p "$prefix/tmp"
    sed -e "s|@PREFIX@|$prefix|g" -e "s|@ROOT@|$root|g" -e "s|@PORT@|$port|g" \
        -e "s|@WORKERS@|${BENCH_NGINX_WORKERS:-auto}|g" bench/nginx.conf.template \
        >"$prefix/nginx.conf"
    "$NGINX" -t -q -p "$prefix" -e "$prefix/error.log" -c "$prefix/nginx.conf" \
        >"$LOGS/nginx.log" 2>&1 || { cat "$LOGS/nginx.log" >&2; die "nginx refused its config"; }
    "$NGINX" -p "$prefix" -e "$prefix/error.log" -c "$prefix/nginx.conf" -g 'daemon off;' \
        >>"$LOGS/nginx.log" 2>&1 &
    LAST_PID=$!
    BENCH_PIDS+=("$LAST_PID")
    wait_ready nginx "$LAST_PID" "http://127.0.0.1:$port/page.json" "$LOGS/nginx.log"
}

# start_json_server PORT DBJSON: json-server 0.17 on 127.0.0.1, without its request log.
start_json_server() {
    local port=$1 dbjson=$2
    (cd "$(dirname "$dbjson")" &&
        exec node "$JSON_SERVER" --host 127.0.0.1 --port "$port" --quiet "$(basename "$dbjson")") \
        >"$LOGS/json-server.log" 2>&1 &
    LAST_PID=$!
    BENCH_PIDS+=("$LAST_PID")
    wait_ready json-server "$LAST_PID" "http://127.0.0.1:$port/interventions?_limit=1" \
        "$LOGS/json-server.log"
}

# focus PID...: of the plenary instances (FROZEN_POOL), let only the given ones run and
# freeze (SIGSTOP) the others, so that an idle instance's background threads take no CPU
# from the contestant being measured. nginx and json-server are never frozen. BENCH_FREEZE=0
# turns this off.
FROZEN_POOL=()
focus() {
    local pid keep
    [ "${BENCH_FREEZE:-1}" = 1 ] || return 0
    for pid in "${FROZEN_POOL[@]+"${FROZEN_POOL[@]}"}"; do
        keep=0
        for k in "$@"; do [ "$k" = "$pid" ] && keep=1; done
        if [ "$keep" = 1 ]; then
            kill -CONT "$pid" 2>/dev/null || true
        else
            kill -STOP "$pid" 2>/dev/null || true
        fi
    done
}

# run_wrk OUTFILE CONNS DURATION URL [header...]: one wrk run with bench/check.lua.
run_wrk() {
    local out=$1 conns=$2 duration=$3 url=$4 h
    shift 4
    # wrk needs at least one connection per thread
    local threads=$((BENCH_WRK_THREADS < conns ? BENCH_WRK_THREADS : conns))
    local args=(-t"$threads" -c"$conns" -d"$duration" --timeout 10s --latency
        -s bench/check.lua)
    for h in "$@"; do args+=(-H "$h"); done
    wrk "${args[@]}" "$url" >"$out" 2>&1 || true
}

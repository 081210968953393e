#!/usr/bin/env bash
# smoke.sh: the benchmark harness in its quick mode, one check of `make test` (tests/run-all.sh)
# so that it keeps working: every scenario and contestant for about a second, one round, 32
# connections, the seed record and a generated record at scale 5000, no thresholds. It fails
# only if a contestant errors, an answer fails its checks, or the script breaks. The table
# goes to bench/out/smoke/last.txt. Settings: as bench/run.sh (BENCH_*), with smoke defaults.
# Then bench/profile.sh, the same way: three requests counted under callgrind and one second
# of wrk, on the tree `make test` has just built; it fails if a request does not answer 200
# or callgrind gives no count (valgrind is installed when missing, as wrk is).
set -euo pipefail
cd "$(dirname "$0")/.."
export BENCH_SMOKE=1
timeout --foreground --kill-after=30 600 bash bench/run.sh
BENCH_BUILD=${BENCH_BUILD:-build} BENCH_PROFILE_REQUESTS=3 BENCH_PROFILE_WRK=1s \
    timeout --foreground --kill-after=30 300 bash bench/profile.sh "/v1/interventions?limit=5"

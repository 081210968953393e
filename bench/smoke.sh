#!/usr/bin/env bash
# smoke.sh: the benchmark harness in its quick mode, one check of `make test` (tests/run-all.sh)
# so that it keeps working: every scenario and contestant for about a second, one round, 32
# connections, the seed record and a generated record at scale 5000, no thresholds. It fails
# only if a contestant errors, an answer fails its checks, or the script breaks. The table
# goes to bench/out/smoke/last.txt. Settings: as bench/run.sh (BENCH_*), with smoke defaults.
set -euo pipefail
cd "$(dirname "$0")/.."
export BENCH_SMOKE=1
exec timeout --foreground --kill-after=30 600 bash bench/run.sh

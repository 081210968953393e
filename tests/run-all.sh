#!/usr/bin/env bash
# run-all.sh: the whole suite, as `make test` runs it — build, every meson suite, the same
# suites again under AddressSanitizer and UndefinedBehaviorSanitizer, the OpenAPI lint, the
# Dockerfile checks, the benchmark report's unit tests and the benchmark smoke run. Counts
# every check; the last line is "N passed, N failed", also written to build/test-counts for
# .ci/run.
set -u
cd "$(dirname "$0")/.."
passed=0
failed=0
failures=()

# meson's testlog.json has one JSON object per test: count its results.
count_meson() {
  local dir=$1 label=$2
  local counts
  counts=$(python3 - "$dir/meson-logs/testlog.json" <<'PY'
import json, sys
ok = bad = 0
names = []
try:
    with open(sys.argv[1]) as f:
        for line in f:
            t = json.loads(line)
            if t.get("result") in ("OK", "EXPECTEDFAIL", "SKIP"):
                ok += 1
            else:
                bad += 1
                names.append(t.get("name", "?"))
except OSError:
    bad = 1
    names.append("no test log")
print(ok, bad, " ".join(names))
PY
)
  local ok bad names
  read -r ok bad names <<<"$counts"
  passed=$((passed + ok))
  failed=$((failed + bad))
  [ "$bad" -eq 0 ] || failures+=("$label: $names")
}

step() {
  local label=$1
  shift
  echo "== $label"
  if "$@"; then
    passed=$((passed + 1))
  else
    failed=$((failed + 1))
    failures+=("$label")
  fi
}

build() {
  local dir=$1
  shift
  if [ ! -f "$dir/build.ninja" ]; then
    meson setup "$dir" "$@" >/dev/null || return 1
  fi
  meson compile -C "$dir"
}

suite() {
  local dir=$1 label=$2
  echo "== $label: meson test"
  rm -f "$dir/meson-logs/testlog.json"
  meson test -C "$dir" --print-errorlogs --num-processes 2 "${@:3}"
  count_meson "$dir" "$label"
}

if step "build" build build --buildtype=debugoptimized; then
  suite build "tests"
fi

export ASAN_OPTIONS="detect_leaks=1:abort_on_error=1:halt_on_error=1"
export UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1"
if step "build with ASan+UBSan" build build-asan --buildtype=debug -Db_sanitize=address,undefined -Db_lundef=false; then
  suite build-asan "tests under sanitizers" --timeout-multiplier 3
fi
unset ASAN_OPTIONS UBSAN_OPTIONS

step "bench/test_report.py" python3 bench/test_report.py
for extra in tests/lint-openapi.sh tests/dockerfile-check.sh tests/container-check.sh bench/smoke.sh; do
  [ -f "$extra" ] && step "$extra" bash "$extra"
done

mkdir -p build
echo "$passed $failed" > build/test-counts
if [ ${#failures[@]} -gt 0 ]; then
  echo "failed:"
  printf '  %s\n' "${failures[@]}"
fi
echo "${passed} passed, ${failed} failed"
[ "$failed" -eq 0 ]

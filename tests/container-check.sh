#!/usr/bin/env bash
# container-check.sh: builds the Dockerfile for real and runs the image until /readyz answers
# 200, with the shared container-check tool (buildah, no Docker engine; see that tool's header).
# The tool lives in shared/ beside the repository; where it is absent the check is skipped, but
# where it is present its failure fails the check. The first run on a machine also makes the
# debian:bookworm-slim base with debootstrap (about a minute); the build takes a few more.
set -euo pipefail
cd "$(dirname "$0")/.."
top=$(git rev-parse --show-toplevel 2>/dev/null || pwd)
tool=$top/../shared/tools/container-check

if [ ! -x "$tool" ] && [ ! -f "$tool" ]; then
    echo "container-check: tool not found at $tool, skipped"
    exit 0
fi

# The whole of CI has 30 minutes; a build that hangs (a stalled mirror) must not take them all.
limit=${CONTAINER_CHECK_TIMEOUT:-15m}
start=$(date +%s)
status=0
timeout --kill-after=30s "$limit" bash "$tool" "$top" /readyz || status=$?
elapsed=$(($(date +%s) - start))
if [ "$status" -eq 124 ] || [ "$status" -eq 137 ]; then
    echo "container-check: timed out after ${elapsed}s (limit $limit)"
elif [ "$status" -ne 0 ]; then
    echo "container-check: failed (status $status) after ${elapsed}s"
else
    echo "container-check: passed in ${elapsed}s"
fi
exit "$status"

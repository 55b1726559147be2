#!/usr/bin/env bash
# Runs the official MCP conformance suite (@modelcontextprotocol/conformance) against the sample
# app's MCP endpoint: starts the compiled sample (build/sample/main.js, from `npm run build:all`)
# on a free port, runs the server scenarios below one by one, prints every check, and stops the
# sample. Fails when any check reports FAILURE, or a scenario produced no results.
#
# The suite needs Node 22; it is run with the npm package `node@22` (fetched from the npm
# registry by npx, like the suite itself), whatever Node runs this script.
#
# Environment:
#   CONFORMANCE_VERSION  version of @modelcontextprotocol/conformance (default below)
#   REDIS_URL            passed to the sample as for `npm start`: unset keeps events in memory
#   KEEP_CONFORMANCE_DIR=1 keeps the work directory (sample log, raw results)
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
conformance_version="${CONFORMANCE_VERSION:-0.1.16}"
scenarios=(server-initialize tools-list ping server-sse-polling server-sse-multiple-streams)
sample_main="$repo/build/sample/main.js"
start_timeout_s=30

if [ ! -f "$sample_main" ]; then
  echo "conformance: $sample_main is missing; run 'npm run build:all' first" >&2
  exit 1
fi

work="$(mktemp -d -t mcp-conformance.XXXXXX)"
sample_pid=""
stop_sample() {
  if [ -n "$sample_pid" ] && kill -0 "$sample_pid" 2>/dev/null; then
    kill -TERM "$sample_pid" 2>/dev/null || true
    for _ in $(seq 1 100); do
      kill -0 "$sample_pid" 2>/dev/null || break
      sleep 0.1
    done
    kill -KILL "$sample_pid" 2>/dev/null || true
    wait "$sample_pid" 2>/dev/null || true
  fi
  sample_pid=""
}
cleanup() {
  stop_sample
  if [ "${KEEP_CONFORMANCE_DIR:-}" = 1 ]; then
    echo "conformance: kept $work"
  else
    rm -rf "$work"
  fi
}
trap cleanup EXIT

# Fetch the suite and Node 22 once, before the sample starts (and fail early without a registry).
conformance=(npx --yes -p node@22 -p "@modelcontextprotocol/conformance@$conformance_version" -- conformance)
echo "conformance: fetching @modelcontextprotocol/conformance@$conformance_version with Node 22"
if ! (cd "$work" && "${conformance[@]}" --version) >"$work/fetch.log" 2>&1; then
  echo "conformance: could not run the suite:" >&2
  cat "$work/fetch.log" >&2
  exit 1
fi

echo "conformance: starting the sample app"
PORT=0 NO_COLOR=1 node "$sample_main" >"$work/sample.log" 2>&1 &
sample_pid=$!
port=""
for _ in $(seq 1 $((start_timeout_s * 10))); do
  port="$(sed -n 's/.*Listening on http:\/\/localhost:\([0-9][0-9]*\).*/\1/p' "$work/sample.log" | head -n 1)"
  [ -n "$port" ] && break
  if ! kill -0 "$sample_pid" 2>/dev/null; then break; fi
  sleep 0.1
done
if [ -z "$port" ]; then
  echo "conformance: the sample app did not start. Its output:" >&2
  cat "$work/sample.log" >&2
  exit 1
fi
url="http://127.0.0.1:$port/mcp"
echo "conformance: testing $url"

failed=0
for scenario in "${scenarios[@]}"; do
  echo
  echo "=== $scenario"
  results="$work/results/$scenario"
  status=0
  (cd "$work" && "${conformance[@]}" server --url "$url" --scenario "$scenario" -o "$results") >"$work/$scenario.log" 2>&1 || status=$?
  checks_file="$(find "$results" -name checks.json 2>/dev/null | head -n 1)"
  if [ -z "$checks_file" ]; then
    echo "FAILURE  $scenario produced no results (exit status $status). Its output:"
    cat "$work/$scenario.log"
    failed=1
    continue
  fi
  # One line per check; exits 1 when a check reports FAILURE.
  if ! node - "$checks_file" <<'EOF'; then
const checks = JSON.parse(require('node:fs').readFileSync(process.argv[2], 'utf8'));
const counts = {};
for (const check of checks) {
  counts[check.status] = (counts[check.status] ?? 0) + 1;
  const detail = check.errorMessage ? ` -- ${check.errorMessage}` : '';
  console.log(`${check.status.padEnd(8)} ${check.id}: ${check.description}${detail}`);
}
console.log(`--- ${Object.entries(counts).map(([status, count]) => `${count} ${status}`).join(', ')}`);
process.exit(counts.FAILURE ? 1 : 0);
EOF
    failed=1
  fi
  if [ "$status" -ne 0 ]; then
    echo "FAILURE  the suite exited with status $status for $scenario. Its output:"
    cat "$work/$scenario.log"
    failed=1
  fi
done

stop_sample
echo
if [ "$failed" -ne 0 ]; then
  echo "conformance: FAILED (see above)"
  exit 1
fi
echo "conformance: no check reported FAILURE"

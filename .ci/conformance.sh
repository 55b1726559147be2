#!/usr/bin/env bash
# Runs the official MCP conformance suite (@modelcontextprotocol/conformance) against the sample
# app's two MCP endpoints: `/mcp` (SDK 1.x, @modelcontextprotocol/sdk) and `/mcp-v2` (SDK v2,
# @modelcontextprotocol/server and /node), both on McpSessionEventStore. Starts the compiled
# sample (build/sample/main.js, from `npm run build:all`) on a free port, runs the same server
# scenarios below one by one against each endpoint, prints every check, then one summary line per
# scenario and endpoint, and stops the sample. Fails when any check of either endpoint reports
# FAILURE, or a scenario produced no results.
#
# The suite needs Node 22; it is run with the npm package `node@22` (fetched from the npm
# registry by npx, like the suite itself), whatever Node runs this script.
#
# Environment:
#   CONFORMANCE_VERSION  version of @modelcontextprotocol/conformance (default below)
#   REDIS_URL            passed to the sample as for `npm start`: unset keeps events in memory
#   SAMPLE_MAIN          the compiled sample to run (default build/sample/main.js)
#   KEEP_CONFORMANCE_DIR=1 keeps the work directory (sample log, raw results)
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
conformance_version="${CONFORMANCE_VERSION:-0.1.16}"
scenarios=(server-initialize tools-list ping server-sse-polling server-sse-multiple-streams)
endpoints=(mcp mcp-v2)
sample_main="${SAMPLE_MAIN:-$repo/build/sample/main.js}"
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
base_url="http://127.0.0.1:$port"

failed=0
summary=()
for endpoint in "${endpoints[@]}"; do
  url="$base_url/$endpoint"
  echo
  echo "conformance: testing $url"
  for scenario in "${scenarios[@]}"; do
    echo
    echo "=== /$endpoint $scenario"
    results="$work/results/$endpoint/$scenario"
    log="$work/$endpoint.$scenario.log"
    status=0
    (cd "$work" && "${conformance[@]}" server --url "$url" --scenario "$scenario" -o "$results") >"$log" 2>&1 || status=$?
    checks_file="$(find "$results" -name checks.json 2>/dev/null | head -n 1)"
    if [ -z "$checks_file" ]; then
      echo "FAILURE  $scenario produced no results (exit status $status). Its output:"
      cat "$log"
      summary+=("$(printf '/%-7s %-28s no results (exit status %s)' "$endpoint" "$scenario" "$status")")
      failed=1
      continue
    fi
    # One line per check, then the counts; exits 1 when a check reports FAILURE (or there is none).
    counts="$work/$endpoint.$scenario.counts"
    if ! node - "$checks_file" "$counts" <<'EOF'; then
const fs = require('node:fs');
const checks = JSON.parse(fs.readFileSync(process.argv[2], 'utf8'));
const counts = {};
for (const check of checks) {
  counts[check.status] = (counts[check.status] ?? 0) + 1;
  const detail = check.errorMessage ? ` -- ${check.errorMessage}` : '';
  console.log(`${check.status.padEnd(8)} ${check.id}: ${check.description}${detail}`);
}
const line = Object.entries(counts).map(([status, count]) => `${count} ${status}`).join(', ') || 'no checks';
console.log(`--- ${line}`);
fs.writeFileSync(process.argv[3], line);
process.exit(counts.FAILURE || checks.length === 0 ? 1 : 0);
EOF
      failed=1
    fi
    line="$(cat "$counts" 2>/dev/null || echo 'unreadable results')"
    if [ "$status" -ne 0 ]; then
      echo "FAILURE  the suite exited with status $status for $scenario. Its output:"
      cat "$log"
      line="$line; suite exit status $status"
      failed=1
    fi
    summary+=("$(printf '/%-7s %-28s %s' "$endpoint" "$scenario" "$line")")
  done
done

echo
echo "conformance: summary (@modelcontextprotocol/conformance@$conformance_version)"
for line in "${summary[@]}"; do
  echo "  $line"
done

stop_sample
echo
if [ "$failed" -ne 0 ]; then
  echo "conformance: FAILED (see above)"
  exit 1
fi
echo "conformance: no check reported FAILURE, on /mcp (SDK 1.x) nor on /mcp-v2 (SDK v2)"

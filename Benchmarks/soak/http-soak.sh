#!/usr/bin/env bash
# The HTTP soak (issue acceptance): "30 s of wrk at 64 connections with tools/call spread over two
# plugins: no non-2xx, every response carries the id of its request, RSS flat."
#
#   Benchmarks/soak/http-soak.sh [SECONDS] [CONNECTIONS]        (defaults: 30, 64)
#
# Starts `manifold serve Benchmarks/soak/soak.yaml` (math in C + texttools in Swift, one HTTP
# endpoint on a free port of 127.0.0.1), opens one session (or none with SOAK_STATELESS=1), warms
# up for 5 s, then runs wrk with soak.lua for SECONDS at CONNECTIONS connections (one wrk thread
# per connection, so each response can be matched with the id its connection sent last) while
# sampling the server's RSS at the start, the middle and the end. Only loopback is used; the run
# is bounded by SECONDS and the server is stopped by its PID at the end.
#
# Environment:
#   MANIFOLD_BIN          the manifold binary (default: a release build in $MANIFOLD_SCRATCH)
#   MANIFOLD_SCRATCH      SwiftPM scratch path for that build (default .build-soak)
#   SOAK_STATELESS=1      serve the endpoint stateless (no session)
#   SOAK_RSS_GROWTH_PCT   allowed RSS growth from the middle to the end sample (default 10, +8 MiB)
#
# Prints one `SOAK …` line with the counts and `RSS …` with the samples; exits 1 when there was
# any non-2xx answer, socket error, id mismatch or JSON-RPC error, or the RSS grew more than
# allowed; 2 when it could not run.
set -uo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/../.." || exit 2
DURATION="${1:-30}"
CONNECTIONS="${2:-64}"
SCRATCH="${MANIFOLD_SCRATCH:-.build-soak}"
GROWTH="${SOAK_RSS_GROWTH_PCT:-10}"

if ! command -v wrk >/dev/null; then
    echo "http-soak: wrk is not installed (apt-get install -y wrk)" >&2
    exit 2
fi
if [[ -z ${MANIFOLD_BIN:-} ]]; then
    echo "== swift build -c release --scratch-path $SCRATCH (manifold, Math, TextTools)"
    for product in manifold Math TextTools; do
        swift build -c release --scratch-path "$SCRATCH" --product "$product" >/dev/null || exit 2
    done
    MANIFOLD_BIN="$(swift build -c release --scratch-path "$SCRATCH" --show-bin-path)/manifold"
fi

WORK=$(mktemp -d)
MANIFEST="$WORK/soak.yaml"
sed "s#pluginFolders: \[../../Plugins\]#pluginFolders: [\"$PWD/Plugins\"]#" Benchmarks/soak/soak.yaml > "$MANIFEST"
if [[ ${SOAK_STATELESS:-0} == 1 ]]; then
    sed -i 's#listen: "127.0.0.1:0"#listen: "127.0.0.1:0"\n      stateless: true#' "$MANIFEST"
fi
"$MANIFOLD_BIN" serve "$MANIFEST" --port-file "$WORK/port" 2>"$WORK/stderr" </dev/null &
SERVER=$!
cleanup() {
    kill -TERM "$SERVER" 2>/dev/null
    wait "$SERVER" 2>/dev/null
    rm -rf "$WORK"
}
trap cleanup EXIT
for _ in $(seq 1 600); do
    [[ -s $WORK/port ]] && break
    kill -0 "$SERVER" 2>/dev/null || { echo "http-soak: manifold exited:"; cat "$WORK/stderr"; exit 2; }
    sleep 0.05
done
PORT=$(head -1 "$WORK/port")
URL="http://127.0.0.1:$PORT/mcp"
rss() { awk '/^VmRSS:/ {print $2}' "/proc/$SERVER/status"; }

SESSION=""
if [[ ${SOAK_STATELESS:-0} != 1 ]]; then
    SESSION=$(curl -s -D - -o /dev/null -H 'Content-Type: application/json' -H 'Accept: application/json, text/event-stream' \
        --data '{"jsonrpc":"2.0","id":0,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"soak","version":"1"}}}' \
        "$URL" | awk 'tolower($1) == "mcp-session-id:" {print $2}' | tr -d '\r')
    [[ -n $SESSION ]] || { echo "http-soak: initialize gave no session id"; exit 2; }
    curl -s -o /dev/null -H 'Content-Type: application/json' -H "Mcp-Session-Id: $SESSION" \
        --data '{"jsonrpc":"2.0","method":"notifications/initialized"}' "$URL"
fi

echo "== warm-up: 5 s, $CONNECTIONS connections"
wrk -t "$CONNECTIONS" -c "$CONNECTIONS" -d 5s -s Benchmarks/soak/soak.lua "$URL" -- "$SESSION" >"$WORK/warmup" 2>&1
RSS_START=$(rss)
echo "== soak: ${DURATION} s, $CONNECTIONS connections, $URL"
wrk -t "$CONNECTIONS" -c "$CONNECTIONS" -d "${DURATION}s" --latency -s Benchmarks/soak/soak.lua "$URL" -- "$SESSION" \
    >"$WORK/wrk" 2>&1 &
WRK=$!
sleep "$(( DURATION / 2 ))"
RSS_MIDDLE=$(rss)
wait "$WRK"
RSS_END=$(rss)
cat "$WORK/wrk"
echo "RSS start=${RSS_START}KiB middle=${RSS_MIDDLE}KiB end=${RSS_END}KiB"

line=$(grep '^SOAK requests=' "$WORK/wrk") || { echo "http-soak: wrk printed no result"; exit 2; }
value() { sed -n "s/.* $1=\([0-9.]*\).*/\1/p" <<<"$line"; }
status=0
for counter in non2xx id_mismatches rpc_errors socket_errors status_errors; do
    if [[ $(value "$counter") != 0 ]]; then echo "FAIL: $counter=$(value "$counter")"; status=1; fi
done
if [[ $(value checked) != "$(value requests)" ]]; then
    echo "note: wrk counted $(value requests) requests, the script checked $(value checked) responses"
fi
limit=$(( RSS_MIDDLE + RSS_MIDDLE * GROWTH / 100 + 8192 ))
if (( RSS_END > limit )); then echo "FAIL: RSS grew from ${RSS_MIDDLE}KiB to ${RSS_END}KiB (limit ${limit}KiB)"; status=1; fi
kill -0 "$SERVER" 2>/dev/null || { echo "FAIL: the server died"; status=1; }
[[ $status == 0 ]] && echo "http-soak: OK"
exit $status

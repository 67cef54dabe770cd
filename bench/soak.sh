#!/usr/bin/env bash
# Soak test (issue 9): 64 readers for 60 s against MariaDB, mixing progress writes, shelf adds
# and removes, signed-in reads and searches; then checks that nothing was lost (progress =
# newest client_time answered 2xx per reader and novel, shelf rows as last set), that a write
# after the run succeeds and is visible, and that no transaction stays open. Prints the count of
# responses >= 500 and exits non-zero unless it is 0 and everything else held. The driver is
# bench/soak.py (python3 + aiohttp, installed with pip when missing). Not part of the tests.
#
#   bench/soak.sh                         # 60 s, 64 readers, mixed load
#   MODE=abort bench/soak.sh              # a quarter of the readers hang up after each write
#   MODE=hot bench/soak.sh                # every client on one reader and one novel
#   DURATION=10 READERS=16 bench/soak.sh
#
# Options (environment): MODE (mixed|abort|hot), DURATION (seconds, 60), READERS (64),
# CONCURRENCY (request loops per reader, 1), ABORT (fraction of hang-up readers; 0.25 with
# MODE=abort, else 0), NOVELS (100) and CHAPTERS (20) of the synthetic catalog, MYSQL_URL,
# DB_NAME (default lit_b_soak_<pid>, dropped at the end unless KEEP_DB=1), PORT (18090),
# BIN (a prebuilt server binary; default: build target/release/literature).
set -euo pipefail
cd "$(dirname "$0")/.."

MODE="${MODE:-mixed}"
DURATION="${DURATION:-60}"
DURATION="${DURATION%s}"
READERS="${READERS:-64}"
CONCURRENCY="${CONCURRENCY:-1}"
NOVELS="${NOVELS:-100}"
CHAPTERS="${CHAPTERS:-20}"
MYSQL_URL="${MYSQL_URL:-mysql://root@127.0.0.1:3306}"
DB_NAME="${DB_NAME:-lit_b_soak_$$}"
PORT="${PORT:-18090}"
BASE="http://127.0.0.1:${PORT}"
case "$MODE" in
  mixed) ABORT="${ABORT:-0}"; HOT=() ;;
  abort) ABORT="${ABORT:-0.25}"; HOT=() ;;
  hot) ABORT="${ABORT:-0}"; HOT=(--hot) ;;
  *) echo "MODE must be mixed, abort or hot" >&2; exit 2 ;;
esac

command -v mysql >/dev/null || { echo "the mysql client is needed" >&2; exit 1; }
command -v curl >/dev/null || { echo "curl is needed" >&2; exit 1; }
python3 -c 'import aiohttp' 2>/dev/null || python3 -m pip install -q aiohttp

host_part="${MYSQL_URL#mysql://}"; creds="${host_part%@*}"; hostport="${host_part#*@}"
user="${creds%%:*}"; pass=""; [[ "$creds" == *:* ]] && pass="${creds#*:}"
host="${hostport%%:*}"; port="${hostport#*:}"; [[ "$port" == "$hostport" ]] && port=3306
export MYSQL_PWD="$pass"
MYSQL=(mysql -h"$host" -P"$port" -u"$user")

WORK=$(mktemp -d "${TMPDIR:-/tmp}/lit-soak.XXXXXX")
SERVER="" DB_CREATED=""
cleanup() {
  set +e
  if [[ -n "$SERVER" ]]; then kill "$SERVER" 2>/dev/null; wait "$SERVER" 2>/dev/null; fi
  if [[ -n "$DB_CREATED" && -z "${KEEP_DB:-}" ]]; then
    "${MYSQL[@]}" -e "DROP DATABASE IF EXISTS \`$DB_NAME\`" && echo "== dropped database $DB_NAME"
  fi
  rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

if [[ -n "${BIN:-}" ]]; then
  echo "== server binary: $BIN"
else
  echo "== building the release binary"
  cargo build --release -q -p api
  BIN=target/release/literature
fi

exists=$("${MYSQL[@]}" -N -e "SELECT COUNT(*) FROM information_schema.schemata WHERE schema_name = '$DB_NAME'")
if [[ "$exists" == 0 ]]; then
  "${MYSQL[@]}" -e "CREATE DATABASE \`$DB_NAME\` CHARACTER SET utf8mb4 COLLATE utf8mb4_bin"
  DB_CREATED=1
fi
export DATABASE_URL="${MYSQL_URL}/${DB_NAME}"
export RUST_LOG=warn LOAD_DEMO_CATALOG=false NO_COLOR=1
export AUTH_RATE_LIMIT_PER_MINUTE=1000000 ACCESS_TOKEN_TTL_SECS=7200

echo "== seeding ${NOVELS} novels × ${CHAPTERS} chapters into $DB_NAME"
"$BIN" seed --synthetic --novels "$NOVELS" --chapters "$CHAPTERS" >/dev/null
"${MYSQL[@]}" -N -e "SELECT novel_id, id FROM \`$DB_NAME\`.chapters ORDER BY novel_id, id" > "$WORK/chapters.tsv"

echo "== starting the server"
BIND_ADDR="127.0.0.1:${PORT}" "$BIN" serve > "$WORK/server.log" 2>&1 &
SERVER=$!
for _ in $(seq 1 600); do curl -fs "$BASE/readyz" >/dev/null 2>&1 && break; sleep 0.1; done
curl -fs "$BASE/readyz" >/dev/null || { echo "the server did not become ready:" >&2; tail -20 "$WORK/server.log" >&2; exit 1; }

echo "== soak: MODE=$MODE, ${DURATION}s, $READERS readers, abort fraction $ABORT"
status=0
timeout $(( ${DURATION%.*} + 300 )) python3 bench/soak.py --base "$BASE" --chapters-tsv "$WORK/chapters.tsv" \
  --duration "$DURATION" --readers "$READERS" --concurrency "$CONCURRENCY" --abort "$ABORT" "${HOT[@]}" \
  --database "$DB_NAME" -- "${MYSQL[@]}" "$DB_NAME" || status=$?

log=$(sed 's/\x1b\[[0-9;]*m//g' "$WORK/server.log")
panics=$(grep -c 'panicked' <<<"$log" || true)
lines=$(grep -E ' (ERROR|WARN) ' <<<"$log" | grep -vE 'JWT_SECRET is not set|WECHAT_APP_ID is not set' || true)
echo "   server log: $(grep -c . <<<"$lines" || true) ERROR/WARN lines, $panics panics"
if [[ -n "$lines" ]]; then
  sed -E 's/^[^ ]+ +//; s/request\{[^}]*\}: //; s/request_id=[^ ]+ //; s/ latency=[0-9.]+ ?[a-zµ]*//' <<<"$lines" |
    cut -c1-200 | sort | uniq -c | sort -rn | head -6 | sed 's/^/     /'
fi
[[ "$panics" == 0 ]] || status=1
exit "$status"

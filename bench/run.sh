#!/usr/bin/env bash
# Benchmark of what a real audience does (issue 10): seeds the synthetic catalog into its own
# database, starts the release server, logs in READERS readers through the built-in WeChat
# emulator (each with SHELF novels on the shelf) and drives every row with wrk at CONNECTIONS
# connections: random novels and chapters drawn uniformly from the whole catalog, signed-in
# and anonymous chapter reads, the reader's own data, progress writes spread over readers,
# search and suggestions over thousands of distinct queries, and /healthz as the baseline of
# the same run. Prints req/s, p50, p99, the ratio to /healthz, errors, and (MySQL) the SQL
# statements per request, counted by a proxy in front of a second server instance.
# Not part of the test command.
#
#   bench/run.sh                                  # 10,000 novels × 50 chapters, MariaDB
#   NOVELS=500 CHAPTERS=20 DURATION=2 bench/run.sh
#   DB=sqlite bench/run.sh                        # the embedded default instead
#
# Options (environment): DB (mysql|sqlite), MYSQL_URL, DB_NAME (default lit_b_bench_<pid>,
# dropped at the end unless it existed before or KEEP_DB=1), NOVELS, CHAPTERS, DURATION (per
# row, default 10s), WARMUP (3s), CONNECTIONS (64), THREADS (wrk threads), READERS (at least
# 64 and CONNECTIONS), SHELF (20), QUERIES (20000 distinct search queries), COUNT_REQUESTS
# (500 requests per row in the statement count; 0 skips it), PORT (18080; PORT+1..PORT+3 are
# the count pass's server and proxy), PIN (auto: pin when the machine has >= 8 cores; 0 never),
# BIN (a prebuilt server binary; default: build target/release/literature), ONLY (a grep -E
# pattern: only the rows whose name matches it, plus the baseline), BUFFER_POOL (MariaDB/MySQL
# only, e.g. 1G: sets innodb_buffer_pool_size for the run, restored at the end, and reads the
# chapter tables once, so that the run measures a database whose pool holds the catalog, as a
# server that has been up a while with a pool sized to its data would; without it the pool is
# left alone and the output says how much of the chapter texts it holds).
set -euo pipefail
cd "$(dirname "$0")/.."

DB="${DB:-mysql}"
MYSQL_URL="${MYSQL_URL:-mysql://root@127.0.0.1:3306}"
DB_NAME="${DB_NAME:-lit_b_bench_$$}"
NOVELS="${NOVELS:-10000}"
CHAPTERS="${CHAPTERS:-50}"
DURATION="${DURATION:-10s}"
WARMUP="${WARMUP:-3s}"
CONNECTIONS="${CONNECTIONS:-64}"
READERS="${READERS:-$(( CONNECTIONS > 64 ? CONNECTIONS : 64 ))}"
SHELF="${SHELF:-20}"
QUERIES="${QUERIES:-20000}"
COUNT_REQUESTS="${COUNT_REQUESTS:-500}"
PORT="${PORT:-18080}"
[[ "$DURATION" =~ ^[0-9]+$ ]] && DURATION="${DURATION}s"
[[ "$WARMUP" =~ ^[0-9]+$ ]] && WARMUP="${WARMUP}s"
PIN="${PIN:-auto}"
BASE="http://127.0.0.1:${PORT}"
CORES=$(nproc)

case "$DB" in mysql|sqlite) ;; *) echo "DB must be mysql or sqlite" >&2; exit 2;; esac
for tool in curl python3; do command -v "$tool" >/dev/null || { echo "$tool is needed" >&2; exit 1; }; done
command -v wrk >/dev/null || { apt-get update -qq && apt-get install -y -qq wrk >/dev/null; }
[[ "$DB" == sqlite ]] || command -v mysql >/dev/null || { echo "the mysql client is needed" >&2; exit 1; }

host_part="${MYSQL_URL#mysql://}"; creds="${host_part%@*}"; hostport="${host_part#*@}"
user="${creds%%:*}"; pass=""; [[ "$creds" == *:* ]] && pass="${creds#*:}"
host="${hostport%%:*}"; port="${hostport#*:}"; [[ "$port" == "$hostport" ]] && port=3306
mysql_cli() { MYSQL_PWD="$pass" mysql -h"$host" -P"$port" -u"$user" "$@"; }

WORK=$(mktemp -d "${TMPDIR:-/tmp}/lit-bench.XXXXXX")
SERVER="" COUNT_SERVER="" PROXY="" DB_CREATED="" DB_PID="" DB_MASK="" POOL_WAS="" POOL_NOTE=""
cleanup() {
  set +e
  for pid in $SERVER $COUNT_SERVER $PROXY; do kill "$pid" 2>/dev/null; done
  for pid in $SERVER $COUNT_SERVER $PROXY; do wait "$pid" 2>/dev/null; done
  [[ -n "$DB_MASK" ]] && taskset -a -p "$DB_MASK" "$DB_PID" >/dev/null
  [[ -n "$POOL_WAS" ]] && mysql_cli -e "SET GLOBAL innodb_buffer_pool_size = $POOL_WAS" &&
    echo "== innodb_buffer_pool_size restored to $(( POOL_WAS >> 20 )) MiB"
  if [[ -n "$DB_CREATED" && -z "${KEEP_DB:-}" ]]; then
    mysql_cli -e "DROP DATABASE IF EXISTS \`$DB_NAME\`" && echo "== dropped database $DB_NAME"
  fi
  rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# ---- cores: separate ones for the server, the database and wrk when there are enough ----
SERVER_PIN=() WRK_PIN=()
if [[ "$PIN" != 0 && "$CORES" -ge 8 ]]; then
  q=$(( CORES / 4 ))
  SERVER_PIN=(taskset -c "0-$(( q - 1 ))")
  WRK_PIN=(taskset -c "$(( 2 * q ))-$(( CORES - 1 ))")
  THREADS="${THREADS:-$(( CORES - 2 * q ))}"
  PLACEMENT="pinned: server on cores 0-$(( q - 1 )), wrk ($THREADS threads) on $(( 2 * q ))-$(( CORES - 1 ))"
  if [[ "$DB" == mysql && ( "$host" == 127.0.0.1 || "$host" == localhost ) ]]; then
    DB_PID=$(pgrep -xo mariadbd || pgrep -xo mysqld || true)
    if [[ -n "$DB_PID" ]]; then
      DB_MASK=$(taskset -p "$DB_PID" | awk '{print $NF}')   # restored at the end
      taskset -a -p -c "$q-$(( 2 * q - 1 ))" "$DB_PID" >/dev/null
      PLACEMENT="$PLACEMENT, MariaDB (pid $DB_PID) on $q-$(( 2 * q - 1 ))"
    fi
  fi
else
  [[ "$DB" == mysql && ( "$host" == 127.0.0.1 || "$host" == localhost ) ]] &&
    DB_PID=$(pgrep -xo mariadbd || pgrep -xo mysqld || true)
  THREADS="${THREADS:-2}"
  PLACEMENT="not pinned: $CORES cores shared by the server, the database and wrk ($THREADS threads)"
fi
(( READERS >= THREADS )) || { echo "READERS must be >= THREADS" >&2; exit 2; }

if [[ -n "${BIN:-}" ]]; then
  echo "== server binary: $BIN"
else
  echo "== building the release binary"
  cargo build --release -q -p api
  BIN=target/release/literature
fi

if [[ "$DB" == mysql ]]; then
  exists=$(mysql_cli -N -e "SELECT COUNT(*) FROM information_schema.schemata WHERE schema_name = '$DB_NAME'")
  if [[ "$exists" == 0 ]]; then
    mysql_cli -e "CREATE DATABASE \`$DB_NAME\` CHARACTER SET utf8mb4 COLLATE utf8mb4_bin"
    DB_CREATED=1
  fi
  export DATABASE_URL="${MYSQL_URL}/${DB_NAME}"
else
  export DATABASE_URL="sqlite://$WORK/bench.db?mode=rwc"
fi
export RUST_LOG=warn,service::search=info LOAD_DEMO_CATALOG=false NO_COLOR=1
export AUTH_RATE_LIMIT_PER_MINUTE=1000000 ACCESS_TOKEN_TTL_SECS=7200
export METRICS_TOKEN="bench-$(date +%s%N)"  # the batch sizes are read from /metrics

echo "== seeding ${NOVELS} novels × ${CHAPTERS} chapters ($DB)"
start=$(date +%s)
"$BIN" seed --synthetic --novels "$NOVELS" --chapters "$CHAPTERS" >/dev/null
echo "   seed took $(( $(date +%s) - start ))s"

# ---- the database's buffer pool against the chapter texts: uniform chapter reads beyond the
# pool are disk reads (MariaDB's default O_DIRECT skips the OS page cache) ----
if [[ "$DB" == mysql ]]; then
  if [[ -n "${BUFFER_POOL:-}" ]]; then
    want=$(numfmt --from=iec "$BUFFER_POOL")
    POOL_WAS=$(mysql_cli -N -e "SELECT @@innodb_buffer_pool_size")
    mysql_cli -e "SET GLOBAL innodb_buffer_pool_size = $want"
    for _ in $(seq 1 300); do  # the resize runs in the background
      status=$(mysql_cli -N -e "SHOW STATUS LIKE 'Innodb_buffer_pool_resize_status'" | cut -f2)
      [[ -z "$status" || "$status" == *ompleted* ]] && break; sleep 0.2
    done
    mysql_cli -N -e "SELECT COUNT(*), SUM(LENGTH(content)) FROM \`$DB_NAME\`.chapter_contents; SELECT COUNT(*) FROM \`$DB_NAME\`.chapters" >/dev/null
  fi
  mysql_cli -e "ANALYZE TABLE \`$DB_NAME\`.chapters, \`$DB_NAME\`.chapter_contents" >/dev/null  # fresh sizes
  read -r pool texts <<<"$(mysql_cli -N -e "SELECT @@innodb_buffer_pool_size, (SELECT SUM(data_length + index_length) FROM information_schema.tables WHERE table_schema = '$DB_NAME' AND table_name IN ('chapters', 'chapter_contents'))")"
  POOL_NOTE="database: innodb_buffer_pool_size $(( pool >> 20 )) MiB"
  [[ -n "${BUFFER_POOL:-}" ]] && POOL_NOTE="$POOL_NOTE (BUFFER_POOL, preloaded)"
  POOL_NOTE="$POOL_NOTE, chapters + their texts $(( texts >> 20 )) MiB"
  if (( pool < texts )); then POOL_NOTE="$POOL_NOTE: most uniform chapter reads are disk reads."
  else POOL_NOTE="$POOL_NOTE: the pool holds them."; fi
  echo "   $POOL_NOTE"
fi

# The server's ERROR and WARN lines (5xx answers are logged there), grouped by message; the
# two start-up warnings of a development configuration left out.
log_summary() {
  local lines
  lines=$(grep -E ' (ERROR|WARN) ' "$1" | grep -vE 'JWT_SECRET is not set|WECHAT_APP_ID is not set' || true)
  [[ -n "$lines" ]] || return 0
  echo "${2:-server log}: $(wc -l <<<"$lines") ERROR/WARN lines (warm-ups included), the most frequent:"
  sed -E 's/^[^ ]+ +//; s/request\{[^}]*\}: //; s/request_id=[^ ]+ //; s/ latency=[0-9.]+ ?[a-zµ]*//' <<<"$lines" |
    cut -c1-200 | sort | uniq -c | sort -rn | head -6
}
wait_ready() {
  for _ in $(seq 1 600); do curl -fs "$1/readyz" >/dev/null 2>&1 && return 0; sleep 0.1; done
  echo "the server at $1 did not become ready; its log:" >&2; tail -20 "$2" >&2; exit 1
}
echo "== starting the server"
BIND_ADDR="127.0.0.1:${PORT}" "${SERVER_PIN[@]}" "$BIN" serve > "$WORK/server.log" 2>&1 &
SERVER=$!
wait_ready "$BASE" "$WORK/server.log"

echo "== readers, shelves and query lists"
if [[ "$DB" == mysql ]]; then
  mysql_cli -N -e "SELECT novel_id, id FROM \`$DB_NAME\`.chapters ORDER BY novel_id, id" > "$WORK/chapters.tsv"
else
  python3 -c 'import sqlite3, sys
for n, c in sqlite3.connect(sys.argv[1]).execute("SELECT novel_id, id FROM chapters ORDER BY novel_id, id"):
    print(n, c, sep="\t")' "$WORK/bench.db" > "$WORK/chapters.tsv"
fi
timeout 600 python3 bench/prepare.py --base "$BASE" --out "$WORK" --chapters-tsv "$WORK/chapters.tsv" \
  --readers "$READERS" --shelf "$SHELF" --queries "$QUERIES" --extra $(( COUNT_REQUESTS + 100 )) \
  --nonce "$(date +%s%N)" > "$WORK/prepared.txt"
declare -A P
while IFS='=' read -r k v; do P[$k]=$v; done < "$WORK/prepared.txt"
echo "   ${P[novels]} novels, ${P[chapters]} chapters; ${P[readers]} readers with ${P[shelf]} novels on the shelf each"
echo "   ${P[search_timed]} distinct search queries, ${P[suggest_timed]} distinct suggestion prefixes (warm-ups use others)"

# ---- one row: a warm-up pass, then the timed run ----
to_ms() { awk -v v="$1" 'BEGIN { if (v ~ /us$/) { sub(/us$/,"",v); printf "%.2f", v/1000 }
  else if (v ~ /ms$/) { sub(/ms$/,"",v); printf "%.2f", v } else if (v ~ /s$/) { sub(/s$/,"",v); printf "%.2f", v*1000 } else print v }'; }
lua_args() { # scenario [timed|warm|count-warm|count] → the script's arguments
  local scenario=$1 phase=$2 lo=0 hi=0 name
  case "$scenario" in
    search|suggest)
      name=$scenario
      local t=${P[${name}_timed]} w=${P[${name}_warm]} x=${P[${name}_extra]}
      case "$phase" in
        timed) lo=0; hi=$t ;;
        warm) lo=$t; hi=$(( t + w )) ;;
        count-warm) lo=$(( t + w )); hi=$(( t + w + x / 6 )) ;;
        count) lo=$(( t + w + x / 6 )); hi=$(( t + w + x )) ;;
      esac ;;
  esac
  echo "dir=$WORK start_us=$(date +%s%6N) lo=$lo hi=$hi"
}
ROWS=()
declare -A RPS P50 P99 ERR REQS QPR RTPR SRV_US DB_US IDLE IOWAIT BATCH  # by row name
# The server's batch counters: "kind:batches=N kind:batched=M ..." from /metrics.
batches_now() {
  curl -fs -H "Authorization: Bearer $METRICS_TOKEN" "$BASE/metrics" | awk -F'[{}" ]+' '/^db_batch(es|ed)_total\{/ {
    for (i = 2; i < NF; i++) if ($i == "kind=") kind = $(i + 1)
    printf "%s:%s=%s ", kind, ($1 == "db_batches_total" ? "batches" : "batched"), $NF }' || true
}
# CPU ticks so far: "server database idle iowait all" (database "-" when it is not a local process).
cpu_now() {
  local srv db="-"
  srv=$(awk '{print $14 + $15}' "/proc/$SERVER/stat")
  [[ -n "$DB_PID" ]] && db=$(awk '{print $14 + $15}' "/proc/$DB_PID/stat" 2>/dev/null || echo -)
  awk -v s="$srv" -v d="$db" '$1 == "cpu" {t = 0; for (i = 2; i <= 9; i++) t += $i; print s, d, $5, $6, t}' /proc/stat
}
measure() { # name scenario [path]
  local name=$1 scenario=$2 path=${3:-/} out
  # An unmeasured warm-up first (connections, pools, sessions), as a running server has.
  # shellcheck disable=SC2046
  "${WRK_PIN[@]}" wrk -t"$THREADS" -c"$CONNECTIONS" -d"$WARMUP" -s bench/bench.lua "$BASE" -- \
    scenario="$scenario" path="$path" threads="$THREADS" $(lua_args "$scenario" warm) >/dev/null
  # shellcheck disable=SC2046
  local c0 c1 m0 m1
  m0=$(batches_now); c0=$(cpu_now)
  out=$("${WRK_PIN[@]}" wrk -t"$THREADS" -c"$CONNECTIONS" -d"$DURATION" --latency -s bench/bench.lua "$BASE" -- \
    scenario="$scenario" path="$path" threads="$THREADS" $(lua_args "$scenario" timed))
  c1=$(cpu_now); m1=$(batches_now)
  # Mean requests per batch query (or shared write transaction), by kind, over the timed run.
  BATCH[$name]=$(awk -v a="$m0" -v b="$m1" 'BEGIN {
    n = split(a, x, " "); for (i = 1; i <= n; i++) { split(x[i], kv, "="); was[kv[1]] = kv[2] }
    n = split(b, y, " "); for (i = 1; i <= n; i++) { split(y[i], kv, "="); now[kv[1]] = kv[2] }
    for (k in now) if (k ~ /:batches$/) { kind = substr(k, 1, length(k) - 8); d = now[k] - was[k]
      if (d > 0) out = out sprintf("%s%s %.1f", out == "" ? "" : ", ", kind, (now[kind ":batched"] - was[kind ":batched"]) / d) }
    print out == "" ? "-" : out }')
  ROWS+=("$name")
  RPS[$name]=$(awk '/Requests\/sec/ {printf "%.0f", $2}' <<<"$out")
  P50[$name]=$(to_ms "$(awk '$1=="50%" {print $2}' <<<"$out")")
  P99[$name]=$(to_ms "$(awk '$1=="99%" {print $2}' <<<"$out")")
  REQS[$name]=$(awk '/requests in/ {print $1}' <<<"$out")
  # CPU per request: the server's and the database's (their own ticks), and the machine's idle
  # and iowait share (iowait: a core idle while a disk read is outstanding).
  local srv db idle iowait
  read -r srv db idle iowait <<<"$(awk -v a="$c0" -v b="$c1" -v n="$(awk '/requests in/ {print $1}' <<<"$out")" -v hz="$(getconf CLK_TCK)" 'BEGIN {
    split(a, x, " "); split(b, y, " "); us = 1e6 / hz / (n > 0 ? n : 1); all = y[5] - x[5]; if (all <= 0) all = 1
    printf "%.0f %s %.0f %.0f", (y[1] - x[1]) * us, (x[2] == "-" ? "n/a" : sprintf("%.0f", (y[2] - x[2]) * us)), 100 * (y[3] - x[3]) / all, 100 * (y[4] - x[4]) / all }')"
  SRV_US[$name]=$srv DB_US[$name]=$db IDLE[$name]=$idle IOWAIT[$name]=$iowait
  ERR[$name]=$(awk '/Non-2xx/ {e += $5} /Socket errors/ {gsub(",", ""); e += $4 + $6 + $8 + $10} END {print e + 0}' <<<"$out")
  printf "   %-58s %8s req/s  p50 %7s ms  p99 %7s ms  errors %s\n" "$name" "${RPS[$name]}" "${P50[$name]}" "${P99[$name]}" "${ERR[$name]}"
}

declare -A SCEN PATHS
# ONLY (a grep -E pattern) keeps the rows whose name matches it, and always the baseline.
row() {
  [[ -z "${ONLY:-}" || "$1" == /healthz* ]] || grep -qE -- "$ONLY" <<<"$1" || return 0
  SCEN[$1]=$2; PATHS[$1]=${3:-/}; measure "$1" "$2" "${3:-/}"
}

echo "== load: ${CONNECTIONS} connections, ${DURATION} per row after a ${WARMUP} warm-up; $PLACEMENT"
row "/healthz (baseline)" path /healthz
row "/categories" path /api/v1/categories
row "/novels?sort=hot" path "/api/v1/novels?sort=hot"
row "/rankings/hot" path /api/v1/rankings/hot
row "/novels/{random}" novel
row "/novels/{random}/chapters" chapter_list
row "chapter, random among 200 novels (fits the cache)" chapter_hot
row "chapter, uniform over the catalog, anonymous" chapter
row "chapter, uniform over the catalog, signed in" chapter_auth
row "/search/suggestions, distinct prefixes" suggest
row "/search, distinct queries" search
row "GET /me (${P[readers]} readers)" me
row "GET /progress/{id}" progress_get
row "GET /bookshelf (${P[shelf]} novels each)" bookshelf
row "PUT /progress/{id} over ${P[readers]} readers" progress_put
# The baseline again: this VM's CPU speed drifts within a run, and a ratio to a baseline taken
# minutes earlier says less the more it moved (the output prints the drift).
row "/healthz (again, at the end)" path /healthz
RSS_KB=$(awk '/VmHWM/ {print $2}' "/proc/$SERVER/status")
INDEX_LINE=$(grep -o 'search index built.*' "$WORK/server.log" | head -1 || true)
kill "$SERVER"; wait "$SERVER" 2>/dev/null || true; SERVER=""

# ---- statements per request: a second instance behind a counting proxy ----
COUNT_NOTE=""
if [[ "$DB" == mysql && "$COUNT_REQUESTS" -gt 0 ]]; then
  echo "== counting SQL statements per request ($COUNT_REQUESTS requests per row, one connection)"
  CPORT=$(( PORT + 1 )) XPORT=$(( PORT + 2 )) CTL=$(( PORT + 3 ))
  python3 bench/sqlcount.py "$XPORT" "$host" "$port" "$CTL" &
  PROXY=$!
  for _ in $(seq 1 50); do (exec 3<>"/dev/tcp/127.0.0.1/$CTL") 2>/dev/null && break; sleep 0.1; done
  cred="$user"; [[ -n "$pass" ]] && cred="$user:$pass"
  DATABASE_URL="mysql://$cred@127.0.0.1:$XPORT/$DB_NAME?ssl-mode=disabled" BIND_ADDR="127.0.0.1:$CPORT" \
    "$BIN" serve > "$WORK/count-server.log" 2>&1 &
  COUNT_SERVER=$!
  wait_ready "http://127.0.0.1:$CPORT" "$WORK/count-server.log"
  counts() { # statements (COM_QUERY + COM_STMT_EXECUTE) and round trips (every command answered)
    python3 -c 'import json, socket, sys
c = json.loads(socket.create_connection(("127.0.0.1", int(sys.argv[1]))).makefile().readline())
stmts = c.get("query", 0) + c.get("execute", 0)
print(stmts, stmts + c.get("prepare", 0) + c.get("ping", 0) + c.get("reset_connection", 0) + c.get("init_db", 0))' "$CTL"
  }
  # Background work (catalog and other polls) measured idle, then subtracted by elapsed time.
  read -r s0 r0 <<<"$(counts)"; t0=$(date +%s%N); sleep 3
  read -r s1 r1 <<<"$(counts)"; t1=$(date +%s%N)
  BG_S=$(awk -v d=$(( s1 - s0 )) -v t=$(( t1 - t0 )) 'BEGIN {print d / (t / 1e9)}')
  BG_R=$(awk -v d=$(( r1 - r0 )) -v t=$(( t1 - t0 )) 'BEGIN {print d / (t / 1e9)}')
  for name in "${ROWS[@]}"; do
    scenario=${SCEN[$name]}
    [[ "${PATHS[$name]}" == /healthz ]] && continue
    # shellcheck disable=SC2046
    wrk -t1 -c1 -d60s -s bench/bench.lua "http://127.0.0.1:$CPORT" -- scenario="$scenario" \
      path="${PATHS[$name]}" threads=1 stop=100 $(lua_args "$scenario" count-warm) >/dev/null
    read -r s0 r0 <<<"$(counts)"; t0=$(date +%s%N)
    # shellcheck disable=SC2046
    out=$(wrk -t1 -c1 -d60s -s bench/bench.lua "http://127.0.0.1:$CPORT" -- scenario="$scenario" \
      path="${PATHS[$name]}" threads=1 stop="$COUNT_REQUESTS" $(lua_args "$scenario" count))
    read -r s1 r1 <<<"$(counts)"; t1=$(date +%s%N)
    n=$(awk '/requests in/ {print $1}' <<<"$out")
    QPR[$name]=$(awk -v d=$(( s1 - s0 )) -v bg="$BG_S" -v t=$(( t1 - t0 )) -v n="$n" 'BEGIN {v = (d - bg * t / 1e9) / n; printf "%.2f", v < 0.005 ? 0 : v}')
    RTPR[$name]=$(awk -v d=$(( r1 - r0 )) -v bg="$BG_R" -v t=$(( t1 - t0 )) -v n="$n" 'BEGIN {v = (d - bg * t / 1e9) / n; printf "%.2f", v < 0.005 ? 0 : v}')
  done
  COUNT_NOTE="q/req: SQL statements per request (COM_QUERY + COM_STMT_EXECUTE, BEGIN/COMMIT included) counted by bench/sqlcount.py, a proxy in front of MariaDB used by a second server instance only: ${COUNT_REQUESTS} requests per row on one connection after 100 unmeasured ones; background polls (${BG_S}/s idle) subtracted. rt/req adds prepares, pings and resets: every round trip to the database."
  MIX=$(python3 -c 'import json, socket, sys
c = json.loads(socket.create_connection(("127.0.0.1", int(sys.argv[1]))).makefile().readline())
print(", ".join(f"{k} {v}" for k, v in sorted(c.items(), key=lambda kv: -kv[1]) if k != "connections"))' "$CTL")
  # The server first: it flushes its hot-keyword counts on the way out, through the proxy.
  kill "$COUNT_SERVER"; wait "$COUNT_SERVER" 2>/dev/null || true
  kill "$PROXY"; wait "$PROXY" 2>/dev/null || true; COUNT_SERVER="" PROXY=""
fi

# ---- the table ----
base=${RPS["/healthz (baseline)"]}
commas() { sed -e ':a' -e 's/\B[0-9]\{3\}\>/,&/' -e 'ta' <<<"$1"; }
echo
echo "$(date -u +%Y-%m-%d) · $DB · ${P[novels]} novels × $CHAPTERS chapters · ${P[readers]} readers · $CONNECTIONS connections · $DURATION per row after $WARMUP warm-up · $PLACEMENT"
echo
echo "| endpoint | req/s | p50 ms | p99 ms | × /healthz | errors | q/req | rt/req | server µs/req | db µs/req | idle % | iowait % | per batch |"
echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|"
for name in "${ROWS[@]}"; do
  ratio=$(awk -v a="${RPS[$name]}" -v b="$base" 'BEGIN {printf "%.3f", a / b}')
  printf "| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n" "$name" "$(commas "${RPS[$name]}")" \
    "${P50[$name]}" "${P99[$name]}" "$ratio" "${ERR[$name]}" "${QPR[$name]:-n/a}" "${RTPR[$name]:-n/a}" \
    "${SRV_US[$name]}" "${DB_US[$name]}" "${IDLE[$name]}" "${IOWAIT[$name]}" "${BATCH[$name]}"
done
echo
echo "errors: responses other than 2xx/3xx plus socket errors (connect, read, write, timeout), of the timed run."
end=${RPS["/healthz (again, at the end)"]:-}
[[ -n "$end" ]] && echo "× /healthz is against the first baseline; the one at the end ran at $(commas "$end")/s ($(awk -v a="$end" -v b="$base" 'BEGIN {printf "%+.0f", 100 * (a - b) / b}') %): the CPU's speed moved that much during the run."
echo "server/db µs/req: CPU time (user + system) of the server process and of the database process over the timed run, per request; idle/iowait: the machine's share of CPU time idle, and idle waiting for a disk read, over it (all $CORES cores). per batch: requests served per batch query or shared write transaction, by kind (from /metrics)."
for name in "${ROWS[@]}"; do  # say so when a list of distinct entries ran out and repeated
  case "${SCEN[$name]}" in search|suggest) ;; *) continue ;; esac
  size=${P[${SCEN[$name]}_timed]}
  if (( REQS[$name] > size )); then
    echo "$name: ${REQS[$name]} requests over $size distinct entries: the list came round $(( REQS[$name] / size ))×, later requests may be cached."
  else
    echo "$name: ${REQS[$name]} requests, each a different entry (of $size)."
  fi
done
[[ -n "$COUNT_NOTE" ]] && echo "$COUNT_NOTE" && echo "commands sent over the whole count pass: $MIX"
[[ "$DB" == sqlite ]] && echo "q/req: n/a on SQLite (counted on MySQL only)."
[[ -n "$INDEX_LINE" ]] && echo "$INDEX_LINE"
[[ -n "$POOL_NOTE" ]] && echo "$POOL_NOTE"
echo "server peak RSS: $(( RSS_KB / 1024 )) MB"
log_summary "$WORK/server.log"
[[ -f "$WORK/count-server.log" ]] && log_summary "$WORK/count-server.log" "count pass server log"
exit 0

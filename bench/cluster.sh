#!/usr/bin/env bash
# The cluster test: 3 instances of the release server behind nginx, on a MariaDB primary with
# a replicating second mariadbd, sharing one WeChat emulator. Everything runs on this machine
# from distribution packages, in a temporary directory removed at the end; the machine's own
# MariaDB is not touched. Prints one line per check and a summary table; exits non-zero when
# a check fails.
#
#   bench/cluster.sh                      # builds the release binary first (cargo)
#   LITERATURE_BIN=target/release/literature NOVELS=500 bench/cluster.sh
#
# Ports: BASE_PORT (default 18500) nginx, +1..+3 the instances, +10 the emulator,
# +30 the primary, +31 the replica. MAX_SECS bounds the run after the build (default 600).
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
BASE_PORT=${BASE_PORT:-18500}
NGINX_PORT=$BASE_PORT
EMU_PORT=$((BASE_PORT + 10))
PRIMARY_PORT=$((BASE_PORT + 30))
REPLICA_PORT=$((BASE_PORT + 31))
INSTANCES=3
NOVELS=${NOVELS:-2000}
CHAPTERS=${CHAPTERS:-20}
MAX_SECS=${MAX_SECS:-600}
RATE_LIMIT=5
METRICS_TOKEN=cluster-metrics-token-$RANDOM$RANDOM
CLIENT="python3 $ROOT/bench/cluster_client.py --nginx http://127.0.0.1:$NGINX_PORT --emu http://127.0.0.1:$EMU_PORT"

log() { printf '%s %s\n' "$(date +%H:%M:%S)" "$*" >&2; }

# --- packages -----------------------------------------------------------------------------
missing=()
command -v nginx >/dev/null || [ -x /usr/sbin/nginx ] || missing+=(nginx)
command -v wrk >/dev/null || missing+=(wrk)
command -v mariadbd >/dev/null || [ -x /usr/sbin/mariadbd ] || missing+=(mariadb-server)
command -v mariadb >/dev/null || missing+=(mariadb-client)
command -v python3 >/dev/null || missing+=(python3)
command -v curl >/dev/null || missing+=(curl)
if [ ${#missing[@]} -gt 0 ]; then
  log "installing ${missing[*]} (apt-get)"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
fi
export PATH=$PATH:/usr/sbin

# --- build ----------------------------------------------------------------------------------
BIN=${LITERATURE_BIN:-}
if [ -z "$BIN" ]; then
  log "building the release binary (cargo build --release -p api)"
  (cd "$ROOT" && cargo build --release -p api -q)
  BIN=$ROOT/target/release/literature
fi
BIN=$(cd "$(dirname "$BIN")" && pwd)/$(basename "$BIN")

# --- clean-up and time bound ---------------------------------------------------------------
WORK=$(mktemp -d /tmp/literature-cluster.XXXXXX)
PIDS=()
cleanup() {
  set +e
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null; done
  for s in primary replica; do
    [ -S "$WORK/$s.sock" ] && mariadb-admin --socket="$WORK/$s.sock" -uroot shutdown 2>/dev/null
  done
  sleep 0.5
  for pid in "${PIDS[@]}"; do kill -9 "$pid" 2>/dev/null; done
  [ -n "${WATCHDOG:-}" ] && kill "$WATCHDOG" 2>/dev/null
  if [ -n "${KEEP:-}" ]; then log "kept $WORK"; else rm -rf "$WORK"; fi
}
trap cleanup EXIT
trap 'log "interrupted"; exit 130' INT TERM
( sleep "$MAX_SECS"; log "time limit ($MAX_SECS s) reached"; kill -TERM $$ ) 2>/dev/null &
WATCHDOG=$!

wait_for() { # description, tries (×0.1 s), command...
  local what=$1 tries=$2; shift 2
  for _ in $(seq "$tries"); do "$@" >/dev/null 2>&1 && return 0; sleep 0.1; done
  log "timed out waiting for $what"; return 1
}

# --- MariaDB: a primary with a binary log, a read-only replica following it ----------------
start_db() { # name port server-id extra-args...
  local name=$1 port=$2 id=$3; shift 3
  mariadb-install-db --no-defaults --user="$(id -un)" --datadir="$WORK/$name" \
    --auth-root-authentication-method=normal --skip-test-db >"$WORK/$name-install.log" 2>&1
  mariadbd --no-defaults --user="$(id -un)" --datadir="$WORK/$name" --port="$port" \
    --bind-address=127.0.0.1 --socket="$WORK/$name.sock" --pid-file="$WORK/$name.pid" \
    --log-error="$WORK/$name.err" --server-id="$id" --skip-name-resolve \
    --innodb-buffer-pool-size=128M --max-connections=400 "$@" &
  PIDS+=($!)
  wait_for "mariadbd $name" 300 mariadb-admin --socket="$WORK/$name.sock" -uroot ping
}
sql() { mariadb --socket="$WORK/$1.sock" -uroot -N -B -e "$2"; }
com_select() { sql "$1" "SHOW GLOBAL STATUS LIKE 'Com_select'" | awk '{print $2}'; }

log "starting the MariaDB primary (:$PRIMARY_PORT) and replica (:$REPLICA_PORT) in $WORK"
start_db primary "$PRIMARY_PORT" 1 --log-bin="$WORK/primary/mysql-bin" --binlog-format=ROW
start_db replica "$REPLICA_PORT" 2 --read-only=1 --relay-log="$WORK/replica/relay-bin"
FIRST_BINLOG=$(sql primary "SHOW BINARY LOGS" | head -1 | awk '{print $1}')
sql primary "SET sql_log_bin=0;
  CREATE USER 'repl'@'127.0.0.1' IDENTIFIED BY 'repl';
  GRANT REPLICATION SLAVE ON *.* TO 'repl'@'127.0.0.1';
  SET sql_log_bin=1;
  CREATE DATABASE literature CHARACTER SET utf8mb4 COLLATE utf8mb4_bin;
  CREATE USER 'lit'@'127.0.0.1' IDENTIFIED BY 'lit';
  GRANT ALL ON literature.* TO 'lit'@'127.0.0.1';
  GRANT REPLICATION CLIENT ON *.* TO 'lit'@'127.0.0.1';"
sql replica "CHANGE MASTER TO MASTER_HOST='127.0.0.1', MASTER_PORT=$PRIMARY_PORT,
  MASTER_USER='repl', MASTER_PASSWORD='repl', MASTER_LOG_FILE='$FIRST_BINLOG', MASTER_LOG_POS=4;
  START SLAVE;"
PRIMARY_URL="mysql://lit:lit@127.0.0.1:$PRIMARY_PORT/literature"
REPLICA_URL="mysql://lit:lit@127.0.0.1:$REPLICA_PORT/literature"

log "seeding $NOVELS novels × $CHAPTERS chapters on the primary"
(cd "$WORK" && DATABASE_URL=$PRIMARY_URL "$BIN" seed --synthetic --novels "$NOVELS" \
  --chapters "$CHAPTERS" >"$WORK/seed.log" 2>&1)
wait_for "the replica to catch up" 600 bash -c \
  "[ \"\$(mariadb --socket=$WORK/replica.sock -uroot -N -B -e 'SELECT COUNT(*) FROM literature.novels' 2>/dev/null)\" = $NOVELS ]"

# --- the WeChat emulator, shared by every instance ------------------------------------------
(cd "$WORK" && exec "$BIN" emulator --bind "127.0.0.1:$EMU_PORT" >"$WORK/emulator.log" 2>&1) &
PIDS+=($!)
wait_for "the emulator" 100 curl -sf "http://127.0.0.1:$EMU_PORT/_emulator/stats"
emu_stat() { curl -sf "http://127.0.0.1:$EMU_PORT/_emulator/stats" | python3 -c "import json,sys; print(json.load(sys.stdin)['$1'])"; }

# --- three instances --------------------------------------------------------------------------
declare -A INST_PID
start_instance() { # n
  local n=$1 port=$((BASE_PORT + $1))
  (cd "$WORK" && exec env APP_ENV=development DATABASE_URL="$PRIMARY_URL" \
    DATABASE_REPLICA_URL="$REPLICA_URL" REPLICA_CHECK_MS=500 BIND_ADDR="127.0.0.1:$port" \
    JWT_SECRET=cluster-test-jwt-secret-0123456789abcdef AUTO_MIGRATE=false \
    WECHAT_API_BASE="http://127.0.0.1:$EMU_PORT" WECHAT_APP_ID=wx_emulator_app \
    WECHAT_APP_SECRET=emulator-app-secret TRUST_FORWARDED_FOR=true \
    AUTH_RATE_LIMIT_PER_MINUTE=$RATE_LIMIT METRICS_TOKEN="$METRICS_TOKEN" LOAD_DEMO_CATALOG=false \
    SHUTDOWN_GRACE_SECS=10 RUST_LOG=info,sqlx=warn "$BIN" serve >>"$WORK/instance$n.log" 2>&1) &
  INST_PID[$n]=$!
  PIDS+=($!)
  wait_for "instance $n" 300 curl -sf "http://127.0.0.1:$port/readyz"
}
for n in 1 2 3; do start_instance "$n"; done
INSTANCE_URLS=$(for n in 1 2 3; do printf 'http://127.0.0.1:%s,' $((BASE_PORT + n)); done)
INSTANCE_URLS=${INSTANCE_URLS%,}

# --- nginx -----------------------------------------------------------------------------------
mkdir -p "$WORK/nginx"
cat >"$WORK/nginx.conf" <<EOF
worker_processes 1;
daemon off;
pid $WORK/nginx.pid;
error_log $WORK/nginx-error.log warn;
events { worker_connections 2048; }
http {
  access_log off;
  client_body_temp_path $WORK/nginx/body;
  proxy_temp_path $WORK/nginx/proxy;
  fastcgi_temp_path $WORK/nginx/fastcgi;
  uwsgi_temp_path $WORK/nginx/uwsgi;
  scgi_temp_path $WORK/nginx/scgi;
  upstream literature {
    server 127.0.0.1:$((BASE_PORT + 1)) max_fails=1 fail_timeout=2s;
    server 127.0.0.1:$((BASE_PORT + 2)) max_fails=1 fail_timeout=2s;
    server 127.0.0.1:$((BASE_PORT + 3)) max_fails=1 fail_timeout=2s;
    keepalive 64;
    # Below HEADER_READ_TIMEOUT_MS (5 s), which also closes idle keep-alive connections.
    keepalive_timeout 4s;
  }
  server {
    listen 127.0.0.1:$NGINX_PORT;
    location / {
      proxy_pass http://literature;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_set_header Host \$host;
      # Overwrite, never append: the server trusts the first hop (TRUST_FORWARDED_FOR).
      proxy_set_header X-Forwarded-For \$remote_addr;
      proxy_connect_timeout 1s;
      proxy_read_timeout 30s;
      # GET/PUT/DELETE are retried on another instance when one dies; POST is not.
      proxy_next_upstream error timeout;
      proxy_next_upstream_tries 3;
      add_header X-Upstream \$upstream_addr always;
    }
  }
}
EOF
nginx -e "$WORK/nginx-error.log" -c "$WORK/nginx.conf" -p "$WORK/nginx" &
PIDS+=($!)
wait_for nginx 100 curl -sf "http://127.0.0.1:$NGINX_PORT/readyz"
log "cluster up: nginx :$NGINX_PORT → instances :$((BASE_PORT + 1))-:$((BASE_PORT + 3))"

declare -a ROWS
FAILED=0
row() { # check, measured, bound, ok(0/1)
  local verdict=PASS
  [ "$4" = 1 ] || { verdict=FAIL; FAILED=1; }
  ROWS+=("$1|$2|$3|$verdict")
  log "$verdict  $1: $2 (bound: $3)"
}
field() { sed -n "s/.*\b$1=\([^ ]*\).*/\1/p" <<<"$2"; }

# 1. A login on one instance, then authenticated requests through nginx; logout → refused
#    everywhere.
r=$($CLIENT session --n 30 --instances "$INSTANCE_URLS")
log "session: $r"
row "login once, 30 authenticated requests via nginx" \
  "$(field ok "$r")/30 OK, answered by $(field instances_answering "$r") instances ($(field spread "$r"))" \
  "30/30 on 3 instances" \
  "$([ "$(field ok "$r")" = 30 ] && [ "$(field instances_answering "$r")" = 3 ] && echo 1 || echo 0)"
rev=$(field revoked_everywhere_ms "$r")
row "logout via nginx → refused on every instance" "after $rev ms" "≤ 1000 ms" \
  "$([ "$rev" != NEVER ] && [ "$rev" -le 1000 ] && echo 1 || echo 0)"

# 2. An import through one instance's CLI → visible through every instance.
TITLE="集群导入$RANDOM$RANDOM"
python3 - "$TITLE" >"$WORK/import.jsonl" <<'PY'
import json, sys
t = sys.argv[1]
print(json.dumps({"title": t, "author": "集群作者", "channel": "male", "category": "玄幻",
                  "chapters": [{"title": "第1章", "content": t + "正文"}]}, ensure_ascii=False))
PY
t0=$(date +%s.%N)
(cd "$WORK" && DATABASE_URL=$PRIMARY_URL AUTO_MIGRATE=false "$BIN" import "$WORK/import.jsonl" >"$WORK/import.log" 2>&1)
t1=$(date +%s.%N)
r=$($CLIENT visible --title "$TITLE" --since "$t1" --instances "$INSTANCE_URLS")
log "import: cli $(python3 -c "print(round(($t1-$t0)*1000))") ms; $r"
vis=$(field visible_everywhere_ms "$r")
row "CLI import → found by search on all 3 instances" \
  "after $vis ms (CLI took $(python3 -c "print(round(($t1-$t0)*1000))") ms)" \
  "≤ CATALOG_POLL_MS 2000 + lag + rebuild" \
  "$([ "$vis" != NEVER ] && [ "$vis" -le 5000 ] && echo 1 || echo 0)"

# 3. 50 concurrent phone-number requests with a cold central token → one token fetch.
before=$(emu_stat stable_token)
r=$($CLIENT phone --n 50)
after=$(emu_stat stable_token)
log "phone: $r; stable_token fetches $before → $after"
row "50 concurrent phone requests, cold token" \
  "$(field statuses "$r") on $(field instances "$r") instances ($(field spread "$r")); token fetches: $((after - before))" \
  "exactly 1 fetch" \
  "$([ $((after - before)) = 1 ] && [ "$(field instances "$r")" = 3 ] && grep -q '{"200":50}' <<<"$r" && echo 1 || echo 0)"

# 4. SIGKILL one instance under write load.
NOVEL=$(curl -sf "http://127.0.0.1:$NGINX_PORT/api/v1/novels?per_page=1" | python3 -c "import json,sys; print(json.load(sys.stdin)['items'][0]['id'])")
CHAPTER=$(curl -sf "http://127.0.0.1:$NGINX_PORT/api/v1/novels/$NOVEL/chapters?per_page=1" | python3 -c "import json,sys; print(json.load(sys.stdin)['items'][0]['id'])")
r=$($CLIENT load --readers 16 --seconds 8 --event-at 3 --novel "$NOVEL" --chapter "$CHAPTER" \
  --tag killed --event "kill -9 ${INST_PID[2]}")
log "kill -9: $r"
wait "${INST_PID[2]}" 2>/dev/null || true
row "SIGKILL instance 2 under load (16 readers, 8 s)" \
  "$(field requests "$r") requests, $(field failed "$r") failed, $(field lost_writes "$r") lost writes" \
  "0 lost writes; nginx answers" \
  "$([ "$(field lost_writes "$r")" = 0 ] && [ "$(field requests "$r")" -gt 100 ] && echo 1 || echo 0)"
KILL_FAILED=$(field failed "$r")
start_instance 2

# 5. SIGTERM one instance under the same load: it drains, nothing fails.
r=$($CLIENT load --readers 16 --seconds 8 --event-at 3 --novel "$NOVEL" --chapter "$CHAPTER" \
  --tag drained --event "kill -TERM ${INST_PID[3]}")
rc=0
wait "${INST_PID[3]}" || rc=$?
drain_ms=$(python3 - "$WORK/instance3.log" <<'PY'
import re, sys, datetime
stamps = {}
for line in open(sys.argv[1], errors="replace"):
    m = re.match(r"\x1b?\S*?(\d{4}-\d\d-\d\dT[\d:.]+)Z", line)
    for key in ("draining", "shut down"):
        if m and key in line and key not in stamps:
            stamps[key] = datetime.datetime.fromisoformat(m.group(1)[:26])
print(round((stamps["shut down"] - stamps["draining"]).total_seconds() * 1000)
      if len(stamps) == 2 else "?")
PY
)
log "kill -TERM: $r; exit code $rc; drained in $drain_ms ms"
row "SIGTERM instance 3 under load (16 readers, 8 s)" \
  "$(field requests "$r") requests, $(field failed "$r") failed, $(field lost_writes "$r") lost, exit $rc after a $drain_ms ms drain" \
  "0 failed, exit 0" \
  "$([ "$(field failed "$r")" = 0 ] && [ "$(field lost_writes "$r")" = 0 ] && [ "$rc" = 0 ] && echo 1 || echo 0)"
start_instance 3

# 6. Catalog reads go to the replica.
sql replica "SELECT CONCAT('\"/api/v1/novels/', novel_id, '/chapters/', id, '\",') FROM literature.chapters" \
  | { echo "paths = {"; cat; echo "}"; cat <<'LUA'
request = function() return wrk.format("GET", paths[math.random(#paths)]) end
LUA
} >"$WORK/chapters.lua"
wrk_run() { wrk -t2 -c32 -d"$1" --latency -s "$WORK/chapters.lua" "http://127.0.0.1:$NGINX_PORT" 2>&1; }
summ() { # wrk output → "N req/s, p99 X, non-2xx N"
  local rps p99 bad
  rps=$(awk '/Requests\/sec/ {print int($2)}' <<<"$1")
  p99=$(awk '$1=="99%" {print $2}' <<<"$1")
  bad=$(awk '/Non-2xx/ {print $NF}' <<<"$1"); bad=${bad:-0}
  local errs; errs=$(awk '/Socket errors/ {print}' <<<"$1")
  echo "$rps req/s, p99 $p99, non-2xx $bad${errs:+, $errs}"
}
p0=$(com_select primary); s0=$(com_select replica)
w=$(wrk_run 8s)
p1=$(com_select primary); s1=$(com_select replica)
log "wrk (replica up): $(summ "$w"); Com_select primary +$((p1 - p0)), replica +$((s1 - s0))"
row "random chapter reads via nginx, replica up" \
  "$(summ "$w"); SELECTs: replica +$((s1 - s0)), primary +$((p1 - p0))" \
  "replica rises, primary does not" \
  "$([ $((s1 - s0)) -gt 1000 ] && [ $((p1 - p0)) -lt $(((s1 - s0) / 100 + 50)) ] && echo 1 || echo 0)"

# 7. The replica stops: reads continue on the primary.
stop_at=$(date +%s.%N)
mariadb-admin --socket="$WORK/replica.sock" -uroot shutdown
p0=$(com_select primary)
w=$(wrk_run 8s)
p1=$(com_select primary)
bad=$(awk '/Non-2xx/ {print $NF}' <<<"$w"); bad=${bad:-0}
ready=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$NGINX_PORT/readyz")
fallback_lines=$(grep -h "read replica unusable" "$WORK"/instance*.log | wc -l)
log "wrk (replica down): $(summ "$w"); Com_select primary +$((p1 - p0)); fallback logged $fallback_lines×"
row "replica stopped, random chapter reads via nginx" \
  "$(summ "$w"); primary SELECTs +$((p1 - p0)); readyz $ready; fallback logged $fallback_lines× (3 instances)" \
  "service continues on the primary" \
  "$([ "$ready" = 200 ] && [ "$bad" = 0 ] && [ $((p1 - p0)) -gt 1000 ] && echo 1 || echo 0)"

# 8. The login rate limit: per client address as nginx saw it, and per instance.
r=$($CLIENT ratelimit --n 30 --limit $RATE_LIMIT --instances $INSTANCES)
log "rate limit: $r"
row "30 logins from one address via nginx (limit $RATE_LIMIT/min)" \
  "$(field passed_first_address "$r") passed; spoofed X-Forwarded-For from another address: $(field passed_second_address_spoofing_first "$r") passed" \
  "$((RATE_LIMIT * INSTANCES)) (limit × instances); spoofing changes nothing" \
  "$([ "$(field passed_first_address "$r")" = $((RATE_LIMIT * INSTANCES)) ] && [ "$(field passed_second_address_spoofing_first "$r")" = $((RATE_LIMIT * INSTANCES)) ] && echo 1 || echo 0)"

# 9. Metrics from one instance.
m=$(curl -sf -H "Authorization: Bearer $METRICS_TOKEN" "http://127.0.0.1:$((BASE_PORT + 1))/metrics")
series=$(grep -vc '^#' <<<"$m")
requests=$(awk '/^http_requests_total/ {s += $NF} END {print s+0}' <<<"$m")
replica_in_use=$(awk '/^db_replica_in_use/ {print $NF}' <<<"$m")
hit_ratio=$(awk '/^catalog_cache_requests_total/ { if ($0 ~ /result="hit"/) h += $NF; else m += $NF }
  END { if (h + m > 0) printf "%.2f", h / (h + m); else print "-" }' <<<"$m")
row "GET /metrics (instance 1, bearer token)" \
  "$series series; http_requests_total $requests; catalog cache hit ratio $hit_ratio; db_replica_in_use $replica_in_use" \
  "Prometheus text" "$([ "$series" -gt 20 ] && echo 1 || echo 0)"

echo
echo "Cluster test — $(date -u +%Y-%m-%dT%H:%MZ), $(nproc) cores, $NOVELS novels × $CHAPTERS chapters, MariaDB $(mariadbd --version | awk '{print $3}'), nginx $(nginx -v 2>&1 | sed 's/.*\///')"
echo "(SIGKILL run: $KILL_FAILED requests failed while nginx noticed the dead instance)"
echo
printf '| %s | %s | %s | %s |\n' check measured bound result
printf '|---|---|---|---|\n'
for r in "${ROWS[@]}"; do
  IFS='|' read -r a b c d <<<"$r"
  printf '| %s | %s | %s | %s |\n' "$a" "$b" "$c" "$d"
done
exit $FAILED

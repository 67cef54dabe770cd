#!/usr/bin/env bash
# Benchmark: seeds the synthetic catalog into MySQL, starts the release server and drives it
# with wrk at 64 connections. Prints per endpoint requests/s, p50, p99 and the ratio to the
# /healthz baseline, plus the server's peak RSS. Not part of the test command.
#
#   bench/run.sh                       # 10,000 novels × 50 chapters in database lit_bench
#   NOVELS=1000 CHAPTERS=20 bench/run.sh
#   MYSQL_URL=mysql://root@127.0.0.1:3306 DURATION=10s bench/run.sh
set -euo pipefail
cd "$(dirname "$0")/.."

MYSQL_URL="${MYSQL_URL:-mysql://root@127.0.0.1:3306}"
DB_NAME="${DB_NAME:-lit_bench}"
NOVELS="${NOVELS:-10000}"
CHAPTERS="${CHAPTERS:-50}"
DURATION="${DURATION:-10s}"
WARMUP="${WARMUP:-3s}"
CONNECTIONS="${CONNECTIONS:-64}"
THREADS="${THREADS:-2}"
PORT="${PORT:-18080}"
BASE="http://127.0.0.1:${PORT}"

command -v wrk >/dev/null || { apt-get update -qq && apt-get install -y -qq wrk >/dev/null; }
command -v mysql >/dev/null || { echo "the mysql client is needed"; exit 1; }

host_part="${MYSQL_URL#mysql://}"; creds="${host_part%@*}"; hostport="${host_part#*@}"
user="${creds%%:*}"; pass=""; [[ "$creds" == *:* ]] && pass="${creds#*:}"
host="${hostport%%:*}"; port="${hostport#*:}"; [[ "$port" == "$hostport" ]] && port=3306
mysql_cli() { MYSQL_PWD="$pass" mysql -h"$host" -P"$port" -u"$user" "$@"; }

echo "== building the release binary"
cargo build --release -q -p api
BIN=target/release/literature

mysql_cli -e "CREATE DATABASE IF NOT EXISTS \`$DB_NAME\` CHARACTER SET utf8mb4 COLLATE utf8mb4_bin"
export DATABASE_URL="${MYSQL_URL}/${DB_NAME}"
export RUST_LOG=warn,service::search=info LOAD_DEMO_CATALOG=false BIND_ADDR="127.0.0.1:${PORT}"
export AUTH_RATE_LIMIT_PER_MINUTE=100000

echo "== seeding ${NOVELS} novels × ${CHAPTERS} chapters"
start=$(date +%s)
"$BIN" seed --synthetic --novels "$NOVELS" --chapters "$CHAPTERS"
echo "   seed took $(( $(date +%s) - start ))s"

echo "== starting the server"
"$BIN" serve > /tmp/literature-bench.log 2>&1 &
SERVER=$!
LUA=""
trap 'kill $SERVER 2>/dev/null || true; rm -f "$LUA"' EXIT
for _ in $(seq 1 100); do curl -fs "$BASE/readyz" >/dev/null 2>&1 && break; sleep 0.1; done

NOVEL_ID=$(mysql_cli -N -e "SELECT id FROM \`$DB_NAME\`.novels ORDER BY heat DESC LIMIT 1 OFFSET 100")

# 10,000 random (novel, chapter) pairs for the chapter-content load.
LUA=$(mktemp --suffix=.lua)
{
  echo "local pairs_ = {"
  mysql_cli -N -e "SELECT novel_id, id FROM \`$DB_NAME\`.chapters ORDER BY RAND() LIMIT 10000" |
    awk '{ printf "{%s,%s},\n", $1, $2 }'
  echo "}"
  cat <<'LUAEOF'
local i = 0
request = function()
  i = i + 1
  local p = pairs_[(i * 7919) % #pairs_ + 1]
  return wrk.format("GET", "/api/v1/novels/" .. p[1] .. "/chapters/" .. p[2])
end
LUAEOF
} > "$LUA"

# Prints "rps p50_ms p99_ms" for one wrk run.
measure() {
  local out
  # An unmeasured warm-up pass first (caches, connection pools), as a running server has.
  wrk -t"$THREADS" -c"$CONNECTIONS" -d"$WARMUP" "$@" >/dev/null
  out=$(wrk -t"$THREADS" -c"$CONNECTIONS" -d"$DURATION" --latency "$@")
  local rps p50 p99 non2xx
  rps=$(awk '/Requests\/sec/ {print $2}' <<<"$out")
  p50=$(awk '$1=="50%" {print $2}' <<<"$out")
  p99=$(awk '$1=="99%" {print $2}' <<<"$out")
  non2xx=$(awk '/Non-2xx/ {print $5}' <<<"$out")
  [[ -n "$non2xx" ]] && echo "   warning: $non2xx non-2xx responses" >&2
  echo "$rps $(to_ms "$p50") $(to_ms "$p99")"
}
to_ms() { awk -v v="$1" 'BEGIN { if (v ~ /us$/) { sub(/us$/,"",v); printf "%.2f", v/1000 }
  else if (v ~ /ms$/) { sub(/ms$/,"",v); printf "%.2f", v } else if (v ~ /s$/) { sub(/s$/,"",v); printf "%.2f", v*1000 } else print v }'; }

echo "== load: ${CONNECTIONS} connections, ${DURATION} each after a ${WARMUP} warm-up"
printf "%-34s %10s %9s %9s %8s\n" endpoint "req/s" "p50 ms" "p99 ms" "ratio"
read -r base_rps base_p50 base_p99 <<<"$(measure "$BASE/healthz")"
printf "%-34s %10.0f %9s %9s %8s\n" "/healthz (baseline)" "$base_rps" "$base_p50" "$base_p99" "1.00"
run() {
  local name=$1; shift
  read -r rps p50 p99 <<<"$(measure "$@")"
  printf "%-34s %10.0f %9s %9s %8.2f\n" "$name" "$rps" "$p50" "$p99" "$(awk -v a="$rps" -v b="$base_rps" 'BEGIN{print a/b}')"
}
run "/categories" "$BASE/api/v1/categories"
run "/novels?sort=hot" "$BASE/api/v1/novels?sort=hot"
run "/novels/{id}" "$BASE/api/v1/novels/${NOVEL_ID}"
run "/novels/{id}/chapters" "$BASE/api/v1/novels/${NOVEL_ID}/chapters"
run "/novels/{id}/chapters/{random}" -s "$LUA" "$BASE"
run "/rankings/hot" "$BASE/api/v1/rankings/hot"

# Search: a mix of exact titles, contains, author prefixes, pinyin initials and full pinyin.
SEARCH_LUA=$(mktemp --suffix=.lua)
cat > "$SEARCH_LUA" <<'LUAEOF'
local qs = {
  "%E5%90%88%E6%88%90%E5%B0%8F%E8%AF%B4%E7%AC%AC4242%E9%83%A8", -- 合成小说第4242部 (exact)
  "%E7%AC%AC4242%E9%83%A8",                                     -- 第4242部 (contains)
  "%E5%90%88%E6%88%90%E4%BD%9C%E8%80%857",                      -- 合成作者7 (author)
  "hcxsd42",                                                     -- initials
  "hechengxiaoshuodi77",                                         -- full pinyin
  "%E5%90%88%E6%88%90",                                          -- 合成 (matches everything)
  "%E5%B0%8F%E8%AF%B4%E7%AC%AC1",                                -- 小说第1
}
local i = 0
request = function()
  i = i + 1
  return wrk.format("GET", "/api/v1/search?q=" .. qs[i % #qs + 1])
end
LUAEOF
SUGGEST_LUA=$(mktemp --suffix=.lua)
sed -e 's#/api/v1/search?q=#/api/v1/search/suggestions?q=#' "$SEARCH_LUA" > "$SUGGEST_LUA"
run "/search (mixed queries)" -s "$SEARCH_LUA" "$BASE"
run "/search/suggestions (mixed)" -s "$SUGGEST_LUA" "$BASE"
rm -f "$SEARCH_LUA" "$SUGGEST_LUA"
grep -o 'search index built.*' /tmp/literature-bench.log | head -1 | sed 's/^/   /' || true

# The reader's own data, authenticated (the server runs its WeChat emulator: any code logs in).
TOKEN=$(curl -fs -X POST "$BASE/api/v1/auth/login" -H 'content-type: application/json' \
  -d "{\"code\":\"bench.$(date +%s%N)\"}" | sed -E 's/.*"access_token":"([^"]+)".*/\1/')
for id in $(mysql_cli -N -e "SELECT id FROM \`$DB_NAME\`.novels ORDER BY id LIMIT 200"); do
  curl -fs -o /dev/null -X PUT "$BASE/api/v1/bookshelf/$id" -H "authorization: Bearer $TOKEN"
done
PROGRESS_CHAPTER=$(mysql_cli -N -e "SELECT id FROM \`$DB_NAME\`.chapters WHERE novel_id = $NOVEL_ID ORDER BY position DESC LIMIT 1")
PUT_LUA=$(mktemp --suffix=.lua)
cat > "$PUT_LUA" <<LUAEOF
local n = 0
request = function()
  n = n + 1
  local t = os.date("!%Y-%m-%dT%H:%M:%S", os.time()) .. string.format(".%06dZ", n % 1000000)
  local body = '{"chapter_id":${PROGRESS_CHAPTER},"offset":' .. (n % 5000) .. ',"percent":5.0,"client_time":"' .. t .. '"}'
  return wrk.format("PUT", "/api/v1/progress/${NOVEL_ID}",
    { ["content-type"] = "application/json", ["authorization"] = "Bearer ${TOKEN}" }, body)
end
LUAEOF
run "/bookshelf (200 novels, auth)" -H "authorization: Bearer $TOKEN" "$BASE/api/v1/bookshelf"
run "PUT /progress/{id} (auth)" -s "$PUT_LUA" "$BASE"
rm -f "$PUT_LUA"

rss=$(awk '/VmHWM/ {print $2}' "/proc/$SERVER/status")
echo "server peak RSS: $(( rss / 1024 )) MB"

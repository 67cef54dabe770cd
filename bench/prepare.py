#!/usr/bin/env python3
"""Prepares a benchmark run of bench/run.sh (standard library only).

Logs in READERS readers through the server's WeChat emulator (codes `reader<k>.<nonce>`),
gives each exactly SHELF novels on the shelf (featured novels removed first) with a progress
on each, and writes the data files that bench/bench.lua loads:

  catalog.lua   every novel id with its chapter ids (ranges when contiguous), and the
                small "fits the cache" set of novels
  readers.lua   access tokens and shelves
  search.lua    distinct search queries generated from the synthetic catalog
  suggest.lua   distinct prefixes for /search/suggestions

The chapter list comes from the database as "novel_id<TAB>chapter_id" lines (CHAPTERS_TSV).
"""

import argparse
import json
import random
import sys
import urllib.error
import urllib.parse
import urllib.request
from collections import OrderedDict
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta, timezone

# The synthetic catalog of service/src/import.rs: title 合成小说第{i}部, author 合成作者{i % 997}.
# Pinyin keys keep ASCII digits, so the title reads hechengxiaoshuodi{i}bu / hcxsd{i}b.
TITLE_HAN, TITLE_PY, TITLE_INI = ("合成小说第", "部"), ("hechengxiaoshuodi", "bu"), ("hcxsd", "b")
AUTHOR_HAN, AUTHOR_PY, AUTHOR_INI = "合成作者", "hechengzuozhe", "hczz"
AUTHORS = 997


def api(base, method, path, token=None, body=None, ok=(200, 201, 204)):
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(base + path, data=data, method=method)
    if body is not None:
        req.add_header("content-type", "application/json")
    if token:
        req.add_header("authorization", "Bearer " + token)
    try:
        with urllib.request.urlopen(req, timeout=30) as resp:
            status, raw = resp.status, resp.read()
    except urllib.error.HTTPError as e:
        status, raw = e.code, e.read()
    if status not in ok:
        raise RuntimeError(f"{method} {path} -> {status}: {raw[:200]!r}")
    return json.loads(raw) if raw else None


def load_chapters(path):
    novels = OrderedDict()
    with open(path) as f:
        for line in f:
            parts = line.split()
            if len(parts) == 2:
                novels.setdefault(int(parts[0]), []).append(int(parts[1]))
    for ids in novels.values():
        ids.sort()
    return novels


def lua_list(values):
    return "{" + ",".join(values) + "}"


def lua_str(s):
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'


def write_catalog(out, novels, hot_count, rng):
    ids = list(novels)
    firsts, counts, lists = [], [], []
    for i, nid in enumerate(ids, start=1):
        ch = novels[nid]
        firsts.append(str(ch[0]))
        counts.append(str(len(ch)))
        if ch[-1] - ch[0] + 1 != len(ch):  # ids with gaps: list them
            lists.append(f"[{i}]={lua_list(map(str, ch))}")
    hot = sorted(rng.sample(range(1, len(ids) + 1), min(hot_count, len(ids))))
    with open(f"{out}/catalog.lua", "w") as f:
        f.write("return {\n")
        f.write(f"novels={lua_list(map(str, ids))},\n")
        f.write(f"first={lua_list(firsts)},\n")
        f.write(f"count={lua_list(counts)},\n")
        f.write(f"lists={{{','.join(lists)}}},\n")
        f.write(f"hot={lua_list(map(str, hot))},\n")
        f.write("}\n")
    return len(lists)


def queries(n_titles, rng):
    """Every query a reader of the synthetic catalog might type, deduplicated."""
    qs = set()
    for i in range(n_titles):
        s = str(i)
        qs.update(
            [
                s,  # a bare number
                f"第{i}部",
                f"{TITLE_HAN[0]}{i}{TITLE_HAN[1]}",  # the exact title
                f"小说第{i}",
                f"{TITLE_PY[0]}{i}{TITLE_PY[1]}",  # full pinyin
                f"{TITLE_PY[0]}{i}",
                f"xiaoshuodi{i}",
                f"{TITLE_INI[0]}{i}{TITLE_INI[1]}",  # initials
                f"{TITLE_INI[0]}{i}",
            ]
        )
    for a in range(min(AUTHORS, n_titles)):
        qs.update([f"{AUTHOR_HAN}{a}", f"{AUTHOR_PY}{a}", f"{AUTHOR_INI}{a}", f"作者{a}"])
    # Short queries that match most of the catalog (they decide the p99).
    qs.update(["合成", "小说", "合成小说", "作者", "合成作者", "第", "部", "hecheng", "hc", "xs", "h"])
    out = sorted(qs)
    rng.shuffle(out)
    return out


def prefixes(n_titles, rng):
    """Distinct prefixes of titles, authors and their pinyin, as a suggestion box sees them."""
    ps = set()
    for i in range(n_titles):
        for word in (f"{TITLE_HAN[0]}{i}", f"{TITLE_PY[0]}{i}", f"{TITLE_INI[0]}{i}"):
            # The typed prefixes that reach into the number (the shared start is one prefix each).
            for cut in range(1, len(word) + 1):
                ps.add(word[:cut])
    for a in range(min(AUTHORS, n_titles)):
        for word in (f"{AUTHOR_HAN}{a}", f"{AUTHOR_PY}{a}", f"{AUTHOR_INI}{a}"):
            for cut in range(1, len(word) + 1):
                ps.add(word[:cut])
    out = sorted(ps)
    rng.shuffle(out)
    return out


def write_list(out, name, items):
    with open(f"{out}/{name}.lua", "w") as f:
        f.write("return {\n")
        for q in items:
            f.write(lua_str(urllib.parse.quote(q, safe="")) + ",\n")
        f.write("}\n")


def prepare_reader(base, k, nonce, novels, shelf, rng_seed):
    rng = random.Random(rng_seed)
    tokens = api(base, "POST", "/api/v1/auth/login", body={"code": f"reader{k}.{nonce}"})
    token = tokens["access_token"]
    page = api(base, "GET", "/api/v1/bookshelf?per_page=100", token)
    old = [item["novel"]["id"] for item in page["items"]]
    if old:
        api(base, "POST", "/api/v1/bookshelf/remove", token, {"novel_ids": old})
    ids = list(novels)
    mine = rng.sample(ids, min(shelf, len(ids)))
    # A day-old progress on every shelf novel: GET /progress/{id} finds one, and every
    # progress write of the run (newer client_time) wins.
    when = (datetime.now(timezone.utc) - timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    for nid in mine:
        api(base, "PUT", f"/api/v1/bookshelf/{nid}", token, ok=(200, 201))
        chapters = novels[nid]
        ch = rng.randrange(len(chapters))
        api(
            base,
            "PUT",
            f"/api/v1/progress/{nid}",
            token,
            {
                "chapter_id": chapters[ch],
                "offset": rng.randrange(2000),
                "percent": round(100.0 * ch / len(chapters), 2),
                "client_time": when,
            },
        )
    total = api(base, "GET", "/api/v1/bookshelf?per_page=100", token)["total"]
    if total != len(mine):
        raise RuntimeError(f"reader{k}: {total} novels on the shelf, expected {len(mine)}")
    return token, mine


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--base", required=True)
    p.add_argument("--out", required=True)
    p.add_argument("--chapters-tsv", required=True)
    p.add_argument("--readers", type=int, default=64)
    p.add_argument("--shelf", type=int, default=20)
    p.add_argument("--hot-novels", type=int, default=200)
    p.add_argument("--queries", type=int, default=20000, help="distinct queries for the timed run")
    p.add_argument("--warm", type=int, default=2000, help="further distinct ones for warm-ups")
    p.add_argument("--extra", type=int, default=600, help="further ones for the query-count pass")
    p.add_argument("--nonce", default="1")
    p.add_argument("--seed", type=int, default=42)
    a = p.parse_args()
    rng = random.Random(a.seed)

    novels = load_chapters(a.chapters_tsv)
    if not novels:
        sys.exit("prepare: no chapters in the database")
    gaps = write_catalog(a.out, novels, a.hot_novels, rng)
    n_chapters = sum(len(c) for c in novels.values())

    with ThreadPoolExecutor(max_workers=8) as pool:
        jobs = [
            pool.submit(prepare_reader, a.base, k, a.nonce, novels, a.shelf, a.seed * 1000 + k)
            for k in range(1, a.readers + 1)
        ]
        readers = [j.result() for j in jobs]
    with open(f"{a.out}/readers.lua", "w") as f:
        f.write("return {\ntokens={\n")
        for token, _ in readers:
            f.write(lua_str(token) + ",\n")
        f.write("},\nshelves={\n")
        for _, mine in readers:
            f.write(lua_list(map(str, mine)) + ",\n")
        f.write("},\n}\n")

    # Each list: the timed run's distinct entries, then the warm-ups' own, then the count
    # pass's own (three disjoint slices, so no run finds another's answers in a cache).
    facts = {
        "novels": len(novels),
        "chapters": n_chapters,
        "novels_with_id_gaps": gaps,
        "readers": len(readers),
        "shelf": a.shelf,
    }
    for name, items in (("search", queries(len(novels), rng)), ("suggest", prefixes(len(novels), rng))):
        warm = min(a.warm, len(items) // 10)
        extra = min(a.extra, len(items) // 10)
        # Search: QUERIES of them; suggestions (cheap, so many more are asked): all there are.
        timed = len(items) - warm - extra
        if name == "search":
            timed = min(a.queries, timed)
        write_list(a.out, name, items[: timed + warm + extra])
        facts[f"{name}_timed"], facts[f"{name}_warm"], facts[f"{name}_extra"] = timed, warm, extra
    # key=value lines for the shell.
    for k, v in facts.items():
        print(f"{k}={v}")


if __name__ == "__main__":
    main()

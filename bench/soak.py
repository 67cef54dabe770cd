#!/usr/bin/env python3
"""Load driver and loss check of bench/soak.sh (needs aiohttp: `pip install aiohttp`).

READERS readers log in through the WeChat emulator, then for DURATION seconds each runs
CONCURRENCY loops mixing progress writes, shelf adds and removes, signed-in reads and searches.
Novels are split in two halves: progress is written only on the first half (set A), signed-in
chapter reads (which move the progress with the server's clock) go only to the second (set B),
so the progress of set A is decided by this driver's client_time alone.

Each reader has its own clock (microseconds, never behind the wall clock, strictly
increasing), so every write it sends has a new client_time. With --abort F a fraction F of the
readers are hang-up clients: they send each write on a fresh socket and close it right after
the request is sent (sometimes after a few milliseconds), never reading the answer.

At the end, with the server idle, the database must hold:
- per (reader, novel of set A): the newest client_time among writes answered 2xx, or a newer
  one from a write whose outcome is unknown (no answer, hang-up, >= 500), with that write's
  chapter and offset; never a row nobody sent;
- per (reader, novel): a shelf row exactly when the last shelf operation says so: a state set
  by an operation answered 2xx (404 for DELETE: absent) that no other answered operation
  started after, or by one of unknown outcome; the shelf before the run when none.
Then every reader sends one more progress write (all must be 2xx and visible), and no
transaction of this database may stay open (information_schema.innodb_trx) once idle.
Exit status 0 only when no response was >= 500, every request got an answer (hang-ups
aside), nothing was lost and nothing stayed open.
"""

import argparse
import asyncio
import json
import random
import subprocess
import sys
import time
import urllib.parse
from collections import Counter, defaultdict
from datetime import datetime, timezone

import aiohttp

# The synthetic catalog of service/src/import.rs (title 合成小说第{i}部, author 合成作者{i % 997}).
SEARCHES = ["合成", "小说第1", "第4部", "hcxsd1", "hechengxiaoshuodi2", "合成作者7", "hczz3", "xs", "9"]


def iso(us):
    return datetime.fromtimestamp(us / 1e6, timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def parse_db_time(s):
    # MySQL DATETIME(6) as text, UTC.
    dt = datetime.strptime(s, "%Y-%m-%d %H:%M:%S.%f").replace(tzinfo=timezone.utc)
    return round(dt.timestamp() * 1e6)


class Reader:
    def __init__(self, k):
        self.k = k
        self.token = None
        self.user_id = None
        self.hangup = False
        self.last_us = 0
        self.session = None

    def clock(self):
        self.last_us = max(self.last_us + 1, time.time_ns() // 1000)
        return self.last_us


class Soak:
    def __init__(self, a, novels):
        self.a = a
        self.base = a.base.rstrip("/")
        ids = sorted(novels)
        half = max(1, len(ids) // 2)
        self.set_a, self.set_b = ids[:half], ids[half:] or ids[:half]
        self.novels = novels
        self.all_ids = ids
        self.statuses = Counter()  # (label, status) for everything answered
        self.no_answer = Counter()  # label → requests without an answer (hang-ups excluded)
        self.hangups = Counter()
        self.requests = 0
        # (user, novel) → [(client_us, chapter, offset, outcome)] outcome: "ok" | "unknown"
        self.progress = defaultdict(list)
        # (user, novel) → [(start, end, present, known)]
        self.shelf_ops = defaultdict(list)
        self.shelf_before = {}
        self.user_ids = set()
        self.rng = random.Random(a.seed)
        self.host, self.port = urllib.parse.urlsplit(self.base).hostname, urllib.parse.urlsplit(self.base).port

    # ---- HTTP ----
    async def call(self, reader, label, method, path, body=None, hangup=False):
        """Returns (status, json) or (None, None) when there was no answer."""
        self.requests += 1
        if hangup:
            await self.hang_up(reader, method, path, body)
            self.hangups[label] += 1
            return None, None
        headers = {"authorization": f"Bearer {reader.token}"} if reader.token else {}
        try:
            async with reader.session.request(method, self.base + path, json=body, headers=headers) as r:
                raw = await r.read()
                self.statuses[(label, r.status)] += 1
                try:
                    data = json.loads(raw) if raw else None
                except ValueError:
                    data = None
                return r.status, data
        except (aiohttp.ClientError, asyncio.TimeoutError) as e:
            self.no_answer[f"{label}: {type(e).__name__}"] += 1
            return None, None

    async def hang_up(self, reader, method, path, body):
        payload = json.dumps(body).encode() if body is not None else b""
        head = (
            f"{method} {path} HTTP/1.1\r\nhost: {self.host}:{self.port}\r\n"
            f"authorization: Bearer {reader.token}\r\ncontent-type: application/json\r\n"
            f"content-length: {len(payload)}\r\n\r\n"
        ).encode()
        try:
            _, w = await asyncio.open_connection(self.host, self.port)
            w.write(head + payload)
            await w.drain()
            # Right after sending, or a moment later (mid-handler, mid-transaction).
            if self.rng.random() < 0.5:
                await asyncio.sleep(self.rng.random() * 0.02)
            if self.rng.random() < 0.5:
                w.transport.abort()  # RST
            else:
                w.close()  # FIN
        except OSError:
            pass

    # ---- operations ----
    def chapter_of(self, novel):
        chapters = self.novels[novel]
        i = self.rng.randrange(len(chapters))
        return chapters[i], i, len(chapters)

    async def put_progress(self, reader, novel=None, hangup=False):
        novel = novel or self.rng.choice(self.set_a)
        chapter, i, n = self.chapter_of(novel)
        t = reader.clock()
        offset = self.rng.randrange(100_000)
        body = {"chapter_id": chapter, "offset": offset, "percent": round(100 * i / n, 2), "client_time": iso(t)}
        status, _ = await self.call(reader, "PUT /progress", "PUT", f"/api/v1/progress/{novel}", body, hangup)
        key = (reader.user_id, novel)
        if status is not None and 200 <= status < 300:
            self.progress[key].append((t, chapter, offset, "ok"))
        elif status is None or status >= 500:
            self.progress[key].append((t, chapter, offset, "unknown"))
        return status

    async def shelf(self, reader, hangup):
        roll = self.rng.random()
        start = time.monotonic()
        if roll < 0.5:
            novel = self.rng.choice(self.all_ids)
            status, _ = await self.call(reader, "PUT /bookshelf", "PUT", f"/api/v1/bookshelf/{novel}", None, hangup)
            changes, known = [(novel, True)], status in (200, 201)
        elif roll < 0.8:
            novel = self.rng.choice(self.all_ids)
            status, _ = await self.call(reader, "DELETE /bookshelf", "DELETE", f"/api/v1/bookshelf/{novel}", None, hangup)
            changes, known = [(novel, False)], status in (204, 404)
        else:
            ids = self.rng.sample(self.all_ids, min(len(self.all_ids), self.rng.randint(1, 5)))
            status, _ = await self.call(reader, "POST /bookshelf/remove", "POST", "/api/v1/bookshelf/remove",
                                        {"novel_ids": ids}, hangup)
            changes, known = [(n, False) for n in ids], status == 200
        end = time.monotonic()
        if known or status is None or status >= 500:
            for novel, present in changes:
                self.shelf_ops[(reader.user_id, novel)].append((start, end if known else float("inf"), present, known))

    async def read(self, reader, hangup):
        roll = self.rng.random()
        if roll < 0.45:
            novel = self.rng.choice(self.set_b)
            chapter, _, _ = self.chapter_of(novel)
            # A signed-in chapter read writes too (it moves the progress): hang-ups drop it.
            await self.call(reader, "GET chapter (signed in)", "GET", f"/api/v1/novels/{novel}/chapters/{chapter}",
                            None, hangup)
        elif roll < 0.6:
            await self.call(reader, "GET /novels/{id} (signed in)", "GET", f"/api/v1/novels/{self.rng.choice(self.set_b)}")
        elif roll < 0.75:
            await self.call(reader, "GET /bookshelf", "GET", "/api/v1/bookshelf")
        elif roll < 0.9:
            await self.call(reader, "GET /progress", "GET", f"/api/v1/progress/{self.rng.choice(self.set_a)}")
        else:
            await self.call(reader, "GET /me", "GET", "/api/v1/me")

    async def search(self, reader):
        q = self.rng.choice(SEARCHES) + (str(self.rng.randrange(100)) if self.rng.random() < 0.7 else "")
        if self.rng.random() < 0.8:
            await self.call(reader, "GET /search", "GET", "/api/v1/search?q=" + urllib.parse.quote(q))
        else:
            await self.call(reader, "GET /search/suggestions", "GET", "/api/v1/search/suggestions?q=" + urllib.parse.quote(q))

    async def loop(self, reader, deadline):
        while time.monotonic() < deadline:
            roll = self.rng.random()
            hangup = reader.hangup
            if self.a.hot:
                # Everyone on one reader and one novel: progress and shelf writes only.
                if roll < 0.6:
                    await self.put_progress(reader, self.set_a[0], hangup)
                else:
                    await self.hot_shelf(reader, hangup)
            elif roll < 0.35:
                await self.put_progress(reader, None, hangup)
            elif roll < 0.55:
                await self.shelf(reader, hangup)
            elif roll < 0.85:
                await self.read(reader, hangup)
            else:
                await self.search(reader)

    async def hot_shelf(self, reader, hangup):
        novel = self.set_a[0]
        roll = self.rng.random()
        start = time.monotonic()
        if roll < 0.5:
            status, _ = await self.call(reader, "PUT /bookshelf", "PUT", f"/api/v1/bookshelf/{novel}", None, hangup)
            present, known = True, status in (200, 201)
        elif roll < 0.8:
            status, _ = await self.call(reader, "DELETE /bookshelf", "DELETE", f"/api/v1/bookshelf/{novel}", None, hangup)
            present, known = False, status in (204, 404)
        else:
            status, _ = await self.call(reader, "POST /bookshelf/remove", "POST", "/api/v1/bookshelf/remove",
                                        {"novel_ids": [novel]}, hangup)
            present, known = False, status == 200
        end = time.monotonic()
        if known or status is None or status >= 500:
            self.shelf_ops[(reader.user_id, novel)].append((start, end if known else float("inf"), present, known))

    # ---- set-up, run, check ----
    async def login(self, reader, nonce):
        status, data = await self.call(reader, "POST /auth/login", "POST", "/api/v1/auth/login",
                                       {"code": f"soak{reader.k}.{nonce}"})
        if status != 200:
            raise RuntimeError(f"login of soak{reader.k}: {status} {data}")
        reader.token, reader.user_id = data["access_token"], data["user"]["id"]
        self.user_ids.add(reader.user_id)
        status, page = await self.call(reader, "GET /bookshelf", "GET", "/api/v1/bookshelf?per_page=100")
        if status != 200:
            raise RuntimeError(f"shelf of soak{reader.k}: {status}")
        for item in page["items"]:
            self.shelf_before[(reader.user_id, item["novel"]["id"])] = True

    def mysql(self, sql):
        out = subprocess.run(self.a.mysql + ["-N", "-B", "-e", sql], check=True, capture_output=True, text=True)
        return [line.split("\t") for line in out.stdout.splitlines() if line]

    def open_transactions(self):
        rows = self.mysql(
            "SELECT COUNT(*) FROM information_schema.innodb_trx t JOIN information_schema.processlist p "
            f"ON p.id = t.trx_mysql_thread_id WHERE p.db = '{self.a.database}'"
        )
        return int(rows[0][0])

    async def settle(self):
        """Waits (bounded) until no transaction of our database is open."""
        for _ in range(self.a.settle * 10):
            if self.open_transactions() == 0:
                return 0
            await asyncio.sleep(0.1)
        return self.open_transactions()

    def check(self, readers):
        # Every reader that logged in (in hot mode all loops share the first one's id).
        users = ",".join(str(u) for u in sorted(self.user_ids))
        stored = {
            (int(u), int(n)): (parse_db_time(t), int(c), int(o))
            for u, n, c, o, t in self.mysql(
                "SELECT user_id, novel_id, chapter_id, `offset`, DATE_FORMAT(client_time, '%Y-%m-%d %H:%i:%s.%f') "
                f"FROM reading_progress WHERE user_id IN ({users}) AND novel_id IN ({','.join(map(str, self.set_a))})"
            )
        }
        problems = []
        for key in set(stored) | set(self.progress):
            writes = self.progress.get(key, [])
            ok = [w for w in writes if w[3] == "ok"]
            newest_ok = max((w[0] for w in ok), default=None)
            row = stored.get(key)
            if row is None:
                if ok:
                    problems.append(f"progress {key}: lost, newest answered write {iso(newest_ok)}")
                continue
            sent = {w[0]: w for w in writes}
            if row[0] not in sent:
                problems.append(f"progress {key}: stored client_time {iso(row[0])} is from no write answered 2xx or left unanswered")
            elif newest_ok is not None and row[0] < newest_ok:
                problems.append(f"progress {key}: stored {iso(row[0])} older than answered {iso(newest_ok)}")
            elif (sent[row[0]][1], sent[row[0]][2]) != (row[1], row[2]):
                problems.append(f"progress {key}: chapter/offset {row[1:]} not those of the write {sent[row[0]][1:3]}")
        shelf = {(int(u), int(n)) for u, n in self.mysql(f"SELECT user_id, novel_id FROM bookshelf WHERE user_id IN ({users})")}
        mismatches = 0
        for key in set(shelf) | set(self.shelf_ops) | set(self.shelf_before):
            ops = self.shelf_ops.get(key, [])
            known = [o for o in ops if o[3]]
            if known:
                latest_start = max(o[0] for o in known)
                possible = {o[2] for o in known if o[1] >= latest_start}  # not followed by another
            else:
                possible = {self.shelf_before.get(key, False)}
            possible |= {o[2] for o in ops if not o[3]}
            if (key in shelf) not in possible:
                mismatches += 1
                if mismatches <= 20:
                    problems.append(f"shelf {key}: row {'present' if key in shelf else 'absent'}, expected {sorted(possible)}")
        if mismatches > 20:
            problems.append(f"... {mismatches - 20} more shelf mismatches")
        return problems, len(set(self.progress)), sum(len(v) for v in self.progress.values()), len(set(shelf) | set(self.shelf_ops))

    async def run(self):
        a = self.a
        timeout = aiohttp.ClientTimeout(total=a.timeout)
        readers = [Reader(k) for k in range(1, a.readers + 1)]
        for r in readers:
            r.session = aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=a.concurrency), timeout=timeout)
        n_hang = round(a.abort * len(readers))
        for r in readers[len(readers) - n_hang:]:
            r.hangup = True
        try:
            nonce = time.time_ns()
            await asyncio.gather(*(self.login(r, nonce) for r in readers))
            if a.hot:
                # One reader: every client loop uses the first reader's token, clock and shelf.
                for r in readers[1:]:
                    r.token, r.user_id, r.clock = readers[0].token, readers[0].user_id, readers[0].clock
            print(f"   {len(readers)} readers logged in ({n_hang} hang-up clients); "
                  f"{'all on one reader and one novel' if a.hot else f'{len(self.set_a)} novels for progress, {len(self.set_b)} for chapter reads'}; "
                  f"{a.concurrency} loop(s) per reader for {a.duration}s", flush=True)
            self.statuses.clear()
            started = time.monotonic()
            deadline = started + a.duration
            await asyncio.gather(*(self.loop(r, deadline) for r in readers for _ in range(a.concurrency)))
            elapsed = time.monotonic() - started
            print(f"   {self.requests} requests in {elapsed:.1f}s ({self.requests / elapsed:.0f}/s); waiting for the server to settle", flush=True)
            await asyncio.sleep(1.0)
            open_after_run = await self.settle()

            problems, pairs, writes, shelf_pairs = self.check(readers)
            # Later writes all succeed and are visible: one more write per reader, answered.
            after_failures = []
            finals = {}
            for r in readers[:1] if a.hot else readers:
                r.hangup = False
                novel = self.set_a[0] if a.hot else self.rng.choice(self.set_a)
                status = await self.put_progress(r, novel)
                if status != 200:
                    after_failures.append(f"soak{r.k}: {status}")
                else:
                    finals[(r.user_id, novel)] = r.last_us
            await asyncio.sleep(0.2)
            users = ",".join(str(u) for u, _ in finals) or "0"
            visible = {
                (int(u), int(n)): parse_db_time(t)
                for u, n, t in self.mysql(
                    "SELECT user_id, novel_id, DATE_FORMAT(client_time, '%Y-%m-%d %H:%i:%s.%f') "
                    f"FROM reading_progress WHERE user_id IN ({users})"
                )
            }
            for key, t in finals.items():
                if visible.get(key) != t:
                    after_failures.append(f"{key}: the answered final write {iso(t)} is not what the database shows")
            open_at_end = await self.settle()
        finally:
            for r in readers:
                await r.session.close()

        # ---- report ----
        by_status = Counter()
        for (_, status), n in self.statuses.items():
            by_status[status] += n
        server_errors = sum(n for s, n in by_status.items() if s >= 500)
        no_answer = sum(self.no_answer.values())
        print("   responses by status: " + ", ".join(f"{s}: {n}" for s, n in sorted(by_status.items())))
        for (label, status), n in sorted(self.statuses.items()):
            if status >= 500 or status in (409, 422, 429):
                print(f"     {label}: {n} × {status}")
        if self.hangups:
            print(f"   hung up (no answer read, by design): {sum(self.hangups.values())} " +
                  "(" + ", ".join(f"{k} {v}" for k, v in sorted(self.hangups.items())) + ")")
        if no_answer:
            print(f"   requests without an answer: {no_answer} (" +
                  ", ".join(f"{k} {v}" for k, v in sorted(self.no_answer.items())) + ")")
        print(f"   progress: {writes} writes recorded on {pairs} (reader, novel) pairs; shelf: {shelf_pairs} pairs checked")
        for p in problems[:40]:
            print("   LOST: " + p)
        for p in after_failures[:20]:
            print("   AFTER: " + p)
        print(f"   open transactions of this database once idle: {open_after_run} after the run, {open_at_end} at the end")
        print(f"responses >= 500: {server_errors}")
        failed = server_errors or no_answer or problems or after_failures or open_after_run or open_at_end
        print("soak: FAILED" if failed else "soak: OK (nothing lost, no 5xx, no open transaction)")
        return 1 if failed else 0


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--base", required=True)
    p.add_argument("--chapters-tsv", required=True)
    p.add_argument("--duration", type=float, default=60)
    p.add_argument("--readers", type=int, default=64)
    p.add_argument("--concurrency", type=int, default=1, help="loops per reader")
    p.add_argument("--abort", type=float, default=0.0, help="fraction of readers that hang up on writes")
    p.add_argument("--hot", action="store_true", help="all loops on one reader and one novel")
    p.add_argument("--timeout", type=float, default=30)
    p.add_argument("--settle", type=int, default=15, help="seconds to wait for open transactions to end")
    p.add_argument("--database", required=True)
    p.add_argument("--seed", type=int, default=7)
    p.add_argument("mysql", nargs=argparse.REMAINDER, help="-- mysql command line for the database")
    a = p.parse_args()
    a.mysql = [x for x in a.mysql if x != "--"]
    novels = defaultdict(list)
    with open(a.chapters_tsv) as f:
        for line in f:
            n, c = line.split()
            novels[int(n)].append(int(c))
    for v in novels.values():
        v.sort()
    sys.exit(asyncio.run(Soak(a, novels).run()))


if __name__ == "__main__":
    main()

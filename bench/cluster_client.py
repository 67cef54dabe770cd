#!/usr/bin/env python3
"""HTTP client for bench/cluster.sh (standard library only). Each subcommand runs one
measurement against the cluster and prints one line of `key=value` results.

Every request loop here is bounded in count and time and only talks to 127.0.0.0/8."""

import argparse
import collections
import http.client
import json
import os
import signal
import subprocess
import sys
import threading
import time
import urllib.parse


def request(url, method="GET", body=None, token=None, source=None, headers=None, timeout=10):
    """One request on a fresh connection; returns (status, parsed body or text, headers).
    A connection failure is status 0."""
    u = urllib.parse.urlsplit(url)
    conn = http.client.HTTPConnection(
        u.hostname, u.port, timeout=timeout,
        source_address=(source, 0) if source else None)
    h = {"Connection": "close"}
    if headers:
        h.update(headers)
    data = None
    if body is not None:
        data = json.dumps(body).encode()
        h["Content-Type"] = "application/json"
    if token:
        h["Authorization"] = "Bearer " + token
    path = u.path + ("?" + u.query if u.query else "")
    try:
        conn.request(method, path, body=data, headers=h)
        resp = conn.getresponse()
        raw = resp.read()
        try:
            parsed = json.loads(raw) if raw else None
        except ValueError:
            parsed = raw.decode(errors="replace")
        return resp.status, parsed, dict(resp.getheaders())
    except OSError as e:
        return 0, str(e), {}
    finally:
        conn.close()


def mint(emu, user):
    status, body, _ = request(f"{emu}/_emulator/code?user={urllib.parse.quote(user)}")
    if status != 200:
        sys.exit(f"emulator did not mint a code: {status} {body}")
    return body["code"] if isinstance(body, dict) else str(body).strip().strip('"')


def login(nginx, emu, user, source=None):
    status, body, hdrs = request(f"{nginx}/api/v1/auth/login", "POST",
                                 {"code": mint(emu, user)}, source=source)
    if status != 200:
        sys.exit(f"login of {user} failed: {status} {body}")
    return body["access_token"], body["refresh_token"], hdrs.get("X-Upstream", "?")


def out(**kv):
    print(" ".join(f"{k}={v}" for k, v in kv.items()), flush=True)


def cmd_session(a):
    """Login through nginx, N authenticated requests through nginx, logout, then how long
    until every instance (asked directly) refuses the token."""
    token, refresh, login_upstream = login(a.nginx, a.emu, "cluster-session", source="127.0.2.1")
    ok, upstreams = 0, collections.Counter()
    for _ in range(a.n):
        status, _, hdrs = request(f"{a.nginx}/api/v1/me", token=token)
        ok += status == 200
        upstreams[hdrs.get("X-Upstream", "?")] += 1
    status, body, _ = request(f"{a.nginx}/api/v1/auth/logout", "POST",
                              {"refresh_token": refresh}, token=token)
    if status not in (200, 204):
        sys.exit(f"logout failed: {status} {body}")
    t0 = time.monotonic()
    delays = {}
    pending = set(a.instances.split(","))
    while pending and time.monotonic() - t0 < 10:
        for inst in list(pending):
            status, _, _ = request(f"{inst}/api/v1/me", token=token)
            if status == 401:
                delays[inst] = time.monotonic() - t0
                pending.discard(inst)
        time.sleep(0.005)
    out(login_via=login_upstream, requests=a.n, ok=ok,
        instances_answering=len(upstreams),
        spread="/".join(str(upstreams[k]) for k in sorted(upstreams)),
        revoked_everywhere_ms=("%.0f" % (max(delays.values()) * 1000)) if not pending else "NEVER",
        still_accepted=len(pending))


def cmd_visible(a):
    """How long after `since` (epoch seconds) a title is found by search on every instance."""
    pending = set(a.instances.split(","))
    seen = {}
    deadline = time.time() + a.timeout
    q = urllib.parse.quote(a.title)
    while pending and time.time() < deadline:
        for inst in list(pending):
            status, body, _ = request(f"{inst}/api/v1/search?q={q}")
            if status == 200 and body and body.get("total", 0) >= 1:
                seen[inst] = time.time() - a.since
                pending.discard(inst)
        time.sleep(0.02)
    out(visible_everywhere_ms=("%.0f" % (max(seen.values()) * 1000)) if not pending else "NEVER",
        fastest_ms="%.0f" % (min(seen.values()) * 1000) if seen else "-",
        missing=len(pending))


def cmd_phone(a):
    """N readers (each from its own address) bind a phone at the same moment."""
    tokens = [login(a.nginx, a.emu, f"phone{i}", source=f"127.0.1.{i + 1}")[0]
              for i in range(a.n)]
    codes = [mint(a.emu, f"phone{i}-p") for i in range(a.n)]
    barrier = threading.Barrier(a.n)
    results = [None] * a.n

    def one(i):
        barrier.wait()
        results[i] = request(f"{a.nginx}/api/v1/me/phone", "POST", {"code": codes[i]},
                             token=tokens[i], source=f"127.0.1.{i + 1}")

    threads = [threading.Thread(target=one, args=(i,)) for i in range(a.n)]
    t0 = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    took = time.monotonic() - t0
    statuses = collections.Counter(r[0] if r else "none" for r in results)
    upstreams = collections.Counter(r[2].get("X-Upstream", "?") for r in results if r)
    out(requests=a.n, statuses=json.dumps(dict(statuses), separators=(",", ":")),
        instances=len(upstreams),
        spread="/".join(str(upstreams[k]) for k in sorted(upstreams)), seconds="%.2f" % took)


def cmd_load(a):
    """Readers write progress through nginx as fast as they can (each write's offset is its
    sequence number); at --event-at seconds a command runs (kill an instance). Afterwards the
    stored progress of every reader must be its newest acknowledged write (or a newer one
    whose answer was lost): anything older is a lost write."""
    readers = []
    for i in range(a.readers):
        token = login(a.nginx, a.emu, f"{a.tag}{i}", source=f"127.0.3.{i + 1}")[0]
        readers.append(token)
    stop = threading.Event()
    lock = threading.Lock()
    statuses = collections.Counter()
    upstreams = collections.Counter()
    acked = [0] * a.readers
    sent = [0] * a.readers
    base = int(time.time() * 1000)

    def run(i):
        seq = 0
        while not stop.is_set():
            seq += 1
            sent[i] = seq
            ms = base + seq
            body = {"chapter_id": a.chapter, "offset": seq, "percent": 1.0,
                    "client_time": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(ms / 1000))
                    + ".%03dZ" % (ms % 1000)}
            status, _, hdrs = request(f"{a.nginx}/api/v1/progress/{a.novel}", "PUT", body,
                                      token=readers[i])
            with lock:
                statuses[status] += 1
                upstreams[hdrs.get("X-Upstream", "?").split(",")[0]] += 1
            if status == 200:
                acked[i] = seq
            # Reads in between, like a reader paging.
            status, _, _ = request(f"{a.nginx}/api/v1/novels/{a.novel}/chapters/{a.chapter}",
                                   token=readers[i])
            with lock:
                statuses[status] += 1

    threads = [threading.Thread(target=run, args=(i,)) for i in range(a.readers)]
    for t in threads:
        t.start()
    time.sleep(a.event_at)
    event_rc = None
    if a.event:
        event_rc = subprocess.call(a.event, shell=True)
    time.sleep(max(0.0, a.seconds - a.event_at))
    stop.set()
    for t in threads:
        t.join(30)
    lost = 0
    for i, token in enumerate(readers):
        status, body, _ = request(f"{a.nginx}/api/v1/progress/{a.novel}", token=token)
        stored = body.get("offset", 0) if status == 200 and isinstance(body, dict) else -1
        if not (acked[i] <= stored <= sent[i]):
            lost += 1
            print(f"reader {i}: stored {stored}, acknowledged {acked[i]}, sent {sent[i]}",
                  file=sys.stderr)
    total = sum(statuses.values())
    failed = sum(n for s, n in statuses.items() if s == 0 or s >= 500)
    out(requests=total, writes_acked=sum(acked), failed=failed,
        statuses=json.dumps(dict(statuses), separators=(",", ":")),
        spread_before_after="/".join(str(upstreams[k]) for k in sorted(upstreams)),
        lost_writes=lost, event_rc=event_rc)


def cmd_ratelimit(a):
    """The login limit is per client address as nginx saw it (X-Forwarded-For set by nginx),
    and per instance: from one address, about limit × instances attempts pass."""
    def burst(source, extra=None):
        c = collections.Counter()
        for _ in range(a.n):
            status, _, _ = request(f"{a.nginx}/api/v1/auth/login", "POST", {"code": "invalid.x"},
                                   source=source, headers=extra)
            c[status] += 1
        return c
    first = burst("127.0.4.1")
    spoof = burst("127.0.4.2", {"X-Forwarded-For": "127.0.4.1"})
    again = burst("127.0.4.1")
    out(attempts=a.n, passed_first_address=a.n - first[429],
        expected=a.limit * a.instances,
        passed_second_address_spoofing_first=a.n - spoof[429],
        passed_first_address_again=a.n - again[429])


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--nginx", default="http://127.0.0.1:18500")
    p.add_argument("--emu", default="http://127.0.0.1:18510")
    sub = p.add_subparsers(dest="cmd", required=True)
    s = sub.add_parser("session")
    s.add_argument("--n", type=int, default=30)
    s.add_argument("--instances", required=True)
    s = sub.add_parser("visible")
    s.add_argument("--title", required=True)
    s.add_argument("--since", type=float, required=True)
    s.add_argument("--instances", required=True)
    s.add_argument("--timeout", type=float, default=20)
    s = sub.add_parser("phone")
    s.add_argument("--n", type=int, default=50)
    s = sub.add_parser("load")
    s.add_argument("--readers", type=int, default=16)
    s.add_argument("--seconds", type=float, default=8)
    s.add_argument("--event-at", type=float, default=3)
    s.add_argument("--event", default="")
    s.add_argument("--novel", type=int, required=True)
    s.add_argument("--chapter", type=int, required=True)
    s.add_argument("--tag", default="load")
    s = sub.add_parser("ratelimit")
    s.add_argument("--n", type=int, default=30)
    s.add_argument("--limit", type=int, required=True)
    s.add_argument("--instances", type=int, default=3)
    a = p.parse_args()
    signal.signal(signal.SIGALRM, lambda *_: sys.exit("client timed out"))
    signal.alarm(120)
    globals()["cmd_" + a.cmd](a)


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""Times the account manager's, planner's and supply pages of two `ordercast serve` instances on the
same databases, interleaved: each round asks every page of one instance then of the other (the order
alternating by round), and rounds begin ROUND_EVERY seconds apart, so that what a server keeps for
30 s (cycle views) has expired between rounds unless it is kept warm, and what it keeps 10 minutes
(sales weeks) expires during a run of more than 10 minutes. Prints each request as a JSON line
(server, page, round, seconds, the serving process's CPU seconds during it) and a summary of medians.

    [PAGES=outlet,cycle,...] docs/bench/pages-warm.py BASE_URL:PID NEW_URL:PID ROUNDS [ROUND_EVERY]
"""
import http.cookiejar
import json
import os
import re
import statistics
import sys
import time
import urllib.parse
import urllib.request

ALL_PAGES = [  # name, user, path
    ("outlet", "manager1", "/manager/outlets/6"),
    ("manager", "manager1", "/manager"),
    ("company", "planner", "/manager"),
    ("accuracy", "planner", "/planner/accuracy?month=2026-10"),
    ("cycle", "planner", "/planner/cycles/2026-11-09"),
    ("balance", "planner", "/supply/balance"),
    ("maker", "manufacturer1", "/maker"),
]
# PAGES=outlet,cycle,... picks some of them.
PAGES = [p for p in ALL_PAGES if p[0] in os.environ.get("PAGES", ",".join(q[0] for q in ALL_PAGES)).split(",")]


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def session(base, user):
    jar = http.cookiejar.CookieJar()
    op = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar), NoRedirect)
    page = op.open(base + "/login", timeout=600).read().decode()
    csrf = re.search(r'name="_csrf" value="([^"]*)"', page).group(1)
    data = urllib.parse.urlencode({"_csrf": csrf, "username": user, "password": "ordercast-demo"}).encode()
    try:
        op.open(base + "/login", data=data, timeout=600)
    except urllib.error.HTTPError as e:  # the redirect after a login
        if e.code // 100 != 3:
            raise
    return op


def cpu(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def get(op, url, pid):
    c0, t0 = cpu(pid), time.monotonic()
    status = 0
    try:
        res = op.open(url, timeout=600)
        res.read()
        status = res.status
    except urllib.error.HTTPError as e:
        status = e.code
    return status, time.monotonic() - t0, cpu(pid) - c0


def main():
    servers = []
    for name, arg in zip(("before", "after"), sys.argv[1:3]):
        url, pid = arg.rsplit(":", 1)
        servers.append((name, url, int(pid), {u: session(url, u) for u in {p[1] for p in PAGES}}))
    rounds = int(sys.argv[3])
    every = float(sys.argv[4]) if len(sys.argv) > 4 else 45
    times = {}
    start = time.monotonic()
    for r in range(rounds):
        begin = time.monotonic()
        order = servers if r % 2 == 0 else servers[::-1]
        for page, user, path in PAGES:
            for name, url, pid, ops in order:
                status, secs, cpus = get(ops[user], url + path, pid)
                rec = {"server": name, "page": page, "round": r, "at": round(begin - start), "status": status,
                       "seconds": round(secs, 4), "cpu_seconds": round(cpus, 3), "load": os.getloadavg()[0]}
                print(json.dumps(rec), flush=True)
                times.setdefault((page, name), []).append((r, secs, cpus))
        rest = every - (time.monotonic() - begin)
        if rest > 0 and r < rounds - 1:
            time.sleep(rest)
    print("page\tbefore: first, median of the rest (max), cpu median\tafter: first, median of the rest (max), cpu median",
          file=sys.stderr)
    for page, _, _ in PAGES:
        cols = []
        for name in ("before", "after"):
            t = times[(page, name)]
            rest = [s for _, s, _ in t[1:]] or [t[0][1]]
            cols.append("%.0f ms, %.0f ms (%.0f), %.0f ms cpu" % (t[0][1] * 1000, statistics.median(rest) * 1000,
                                                                   max(rest) * 1000, statistics.median(c for _, _, c in t[1:] or t) * 1000))
        print(page + "\t" + "\t".join(cols), file=sys.stderr)


if __name__ == "__main__":
    main()

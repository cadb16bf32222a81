#!/usr/bin/env python3
"""Several `followup serve` instances on one PostgreSQL behind nginx: the
checks and the benchmark of `bench/cluster` (which installs nginx, creates
and drops the database and seeds it, then runs this). Standard library only.

    cluster.py check   three instances; prints a PASS or FAIL line per check
                       and exits non-zero when any failed:
        1. a token signed by one instance is accepted by the others
           (directly, and through nginx onto every instance);
        2. a sync cursor paged on one instance continues on another with no
           gap: what it assembles equals a full sync;
        3. an Idempotency-Key POST retried on another instance replays (and
           two concurrent twins on two instances make one record);
        4. background work happens once: webhook deliveries while every
           instance runs the worker, each webhook-id received exactly once;
        5. kill -9 of one instance under mixed load through nginx: every GET
           succeeds (nginx retries it on another instance), a POST that
           fails is retried by the client with its key, and every
           acknowledged POST is stored exactly once; then it is restarted;
        6. a rolling restart under continuous load, one instance at a time
           (out of nginx's upstream, drained, SIGTERM, started, back in):
           not one failed request; and again by SIGTERM alone, the
           instances restarted more than the upstream's fail_timeout apart:
           no GET fails, a POST that does is sent again with its key.
    cluster.py bench   GET /plans/{id} through nginx with one instance, then
                       two (and one instance without nginx, for reference):
                       requests/s, p50, p99, errors, the ratio, each
                       instance's peak RSS and where the CPU went.

Environment (set by bench/cluster): FOLLOWUP_BIN, CLUSTER_WORK (a scratch
directory), CLUSTER_DATABASE_URL, CLUSTER_DEMO_PASSWORD (check: the demo's
password), CLUSTER_SEED (bench: `followup seed-bench`'s JSON),
CLUSTER_INSTANCES (check: 3), DURATION and CONNECTIONS (bench: 10, 16).
"""

import base64
import collections
import datetime
import hashlib
import hmac
import http.client
import json
import os
import re
import resource
import secrets
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = os.environ["FOLLOWUP_BIN"]
WORK = Path(os.environ["CLUSTER_WORK"])
DATABASE_URL = os.environ["CLUSTER_DATABASE_URL"]
NGINX = os.environ.get("NGINX_BIN", "nginx")
JWT_SECRET = secrets.token_urlsafe(48)
PROGRAM_CODE = "ITP-2023-IDN-YOUTH"
COORDINATOR = "minji.kim@followup.demo"
MENTOR = "yj.hong@followup.demo"

started = time.monotonic()
results = {"pass": 0, "fail": 0}


def say(text):
    print(f"[{time.monotonic() - started:6.1f}s] {text}", flush=True)


def check(what, ok, detail=""):
    results["pass" if ok else "fail"] += 1
    print(("PASS - " if ok else "FAIL - ") + what + ("" if ok or not detail else f": {detail}"), flush=True)
    return ok


class Abort(Exception):
    """A step the rest depends on failed."""


def require(what, ok, detail=""):
    if not check(what, ok, detail):
        raise Abort(what)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# --- HTTP ------------------------------------------------------------------


class ConnectionFailed(Exception):
    pass


class Response:
    def __init__(self, status, headers, body):
        self.status, self.headers, self.body = status, headers, body

    def json(self):
        return json.loads(self.body)

    def __str__(self):
        return f"{self.status} {self.body[:300].decode('utf-8', 'replace')}"


def request(method, url, token=None, body=None, headers=None, timeout=30):
    """One request on a connection of its own (`Connection: close`), so that
    a reload of nginx never meets a client's idle keep-alive connection."""
    u = urllib.parse.urlsplit(url)
    sent = {"connection": "close", **(headers or {})}
    if token:
        sent["authorization"] = f"Bearer {token}"
    data = None
    if body is not None:
        data = json.dumps(body).encode()
        sent["content-type"] = "application/json"
    conn = http.client.HTTPConnection(u.hostname, u.port, timeout=timeout)
    try:
        conn.request(method, u.path + (f"?{u.query}" if u.query else ""), body=data, headers=sent)
        answer = conn.getresponse()
        return Response(answer.status, {k.lower(): v for k, v in answer.getheaders()}, answer.read())
    except (OSError, http.client.HTTPException) as e:
        raise ConnectionFailed(f"{type(e).__name__}: {e}") from e
    finally:
        conn.close()


def call(method, url, token=None, body=None, expect=200, what=None, headers=None):
    """A request the story depends on: anything but `expect` aborts."""
    try:
        r = request(method, url, token, body, headers)
    except ConnectionFailed as e:
        raise Abort(f"{what or method + ' ' + url}: {e}") from e
    if r.status != expect:
        raise Abort(f"{what or method + ' ' + url}: expected {expect}, got {r}")
    return r


def pages(base, path, token):
    """Every item of a paged list."""
    out, cursor = [], None
    while True:
        sep = "&" if "?" in path else "?"
        url = f"{base}/api/v1{path}{sep}limit=200" + (f"&cursor={urllib.parse.quote(cursor)}" if cursor else "")
        page = call("GET", url, token).json()
        out.extend(page["items"])
        cursor = page.get("next_cursor")
        if not cursor:
            return out


def login(base, email, password):
    return call("POST", f"{base}/api/v1/auth/login", body={"email": email, "password": password},
                what=f"{email} signs in").json()


YESTERDAY = (datetime.datetime.now(datetime.timezone.utc).date() - datetime.timedelta(days=1)).isoformat()


def check_in_body(summary):
    return {"reported_on": YESTERDAY, "summary": summary, "progress": "on_track", "confidence": 7}


# --- processes ---------------------------------------------------------------


def remember(pid):
    """bench/cluster's trap kills whatever is listed here and still runs."""
    with open(WORK / "pids", "a") as f:
        f.write(f"{pid}\n")


def proc_stat(pid):
    """(ppid, utime+stime in clock ticks) of a process, or None."""
    try:
        raw = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = raw[raw.rindex(")") + 2:].split()
    return int(fields[1]), int(fields[11]) + int(fields[12])


def children(pid):
    out = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            stat = proc_stat(entry.name)
            if stat and stat[0] == pid:
                out.append(int(entry.name))
    return out


def vm_hwm(pid):
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    except OSError:
        pass
    return None


class Instance:
    """One `followup serve` on a fixed loopback port (kept across restarts,
    so nginx's upstream does not change)."""

    def __init__(self, number, extra_env=None):
        self.number = number
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.log = WORK / f"instance-{number}.log"
        self.proc = None
        self.env = {k: v for k, v in os.environ.items() if not k.startswith("FOLLOWUP_")}
        self.env.update({
            "FOLLOWUP_DATABASE_URL": DATABASE_URL,
            "FOLLOWUP_JWT_SECRET": JWT_SECRET,
            "FOLLOWUP_BIND": f"127.0.0.1:{self.port}",
            "FOLLOWUP_WORKERS": "2",
            "FOLLOWUP_DB_POOL_SIZE": "8",
            # nginx is the only way in, as in docker-compose.yml.
            "FOLLOWUP_TRUST_PROXY": "true",
            "FOLLOWUP_SHUTDOWN_TIMEOUT": "30",
            "FOLLOWUP_STORAGE_URL": f"file://{WORK}/files",
            "FOLLOWUP_LOG": "warn",
            **(extra_env or {}),
        })

    def start(self):
        with open(self.log, "ab") as log:
            self.proc = subprocess.Popen([BIN, "serve"], env=self.env, stdout=log, stderr=log,
                                         stdin=subprocess.DEVNULL)
        remember(self.proc.pid)

    def wait_ready(self, seconds=60):
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise Abort(f"instance {self.number} exited ({self.proc.returncode}): {self.tail()}")
            try:
                if request("GET", f"{self.base}/health/ready", timeout=2).status == 200:
                    return
            except ConnectionFailed:
                pass
            time.sleep(0.1)
        raise Abort(f"instance {self.number} not ready within {seconds} s: {self.tail()}")

    def stop(self, sig=signal.SIGTERM, seconds=40):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(seconds)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        return self.proc.returncode if self.proc else None

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def tail(self, lines=15):
        try:
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""

    def metric(self, name):
        """The sum of a counter's series on this instance's /metrics."""
        text = call("GET", f"{self.base}/metrics").body.decode()
        return sum(float(line.rsplit(" ", 1)[1]) for line in text.splitlines()
                   if line.startswith(name + "{") or line.startswith(name + " "))


# --- nginx -------------------------------------------------------------------

# The compose proxy's own configuration, deploy/nginx.conf, is what runs
# here: only these three lines are replaced (compose DNS and the container's
# port and log path), and each must be found exactly once, so a change to
# the file's headers, timeouts or retry policy is measured here as written.
UPSTREAM_LINE = re.compile(r"^(\s*)server api:8080 resolve( [^;]*)?;$", re.M)
LISTEN_LINE = re.compile(r"^(\s*)listen 80 default_server;$", re.M)
ACCESS_LOG_LINE = re.compile(r"^(\s*)access_log /var/log/nginx/access\.log followup_json;$", re.M)


class Nginx:
    """nginx as an unprivileged foreground process with its own prefix."""

    def __init__(self):
        self.prefix = WORK / "nginx"
        self.prefix.mkdir(exist_ok=True)
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.access_log = self.prefix / "access.log"
        self.proc = None
        # As root, drop to nobody (the worker processes would otherwise be
        # switched to the `user` directive's account by a root master).
        self.as_user = {}
        if os.geteuid() == 0:
            self.as_user = {"user": 65534, "group": 65534, "extra_groups": []}
            os.chown(self.prefix, 65534, 65534)
        self.write_main()

    def write_main(self):
        p = self.prefix
        # The http-level defaults of the official nginx image, which includes
        # deploy/nginx.conf inside its http { } block; the temporary paths
        # replace Debian's compiled-in /var/lib/nginx (root's).
        (p / "nginx.conf").write_text(f"""worker_processes auto;
pid {p}/nginx.pid;
error_log {p}/error.log warn;
events {{ worker_connections 1024; }}
http {{
    default_type application/octet-stream;
    sendfile on;
    keepalive_timeout 65;
    client_body_temp_path {p}/client_body;
    proxy_temp_path {p}/proxy;
    fastcgi_temp_path {p}/fastcgi;
    uwsgi_temp_path {p}/uwsgi;
    scgi_temp_path {p}/scgi;
    include {p}/followup.conf;
}}
""")

    def render(self, instances, down=()):
        """deploy/nginx.conf with the instances as the upstream's servers
        (those in `down` marked down: nginx sends them nothing)."""
        source = (ROOT / "deploy" / "nginx.conf").read_text()
        for pattern, what in ((UPSTREAM_LINE, "server api:8080 resolve …;"),
                              (LISTEN_LINE, "listen 80 default_server;"),
                              (ACCESS_LOG_LINE, "access_log /var/log/nginx/access.log followup_json;")):
            if len(pattern.findall(source)) != 1:
                raise Abort(f"deploy/nginx.conf no longer has exactly one `{what}` line: "
                            "update the rendering in bench/cluster.py with it")

        def servers(m):
            params = m.group(2) or ""
            return "\n".join(f"{m.group(1)}server 127.0.0.1:{i.port}{params}{' down' if i in down else ''};"
                             for i in instances)

        site = UPSTREAM_LINE.sub(servers, source)
        site = LISTEN_LINE.sub(lambda m: f"{m.group(1)}listen 127.0.0.1:{self.port} default_server;", site)
        site = ACCESS_LOG_LINE.sub(lambda m: f"{m.group(1)}access_log {self.access_log} followup_json;", site)
        (self.prefix / "followup.conf").write_text(site)

    def command(self, *extra):
        return [NGINX, "-p", f"{self.prefix}/", "-e", f"{self.prefix}/error.log",
                "-c", f"{self.prefix}/nginx.conf", *extra]

    def test_config(self):
        out = subprocess.run(self.command("-t", "-q"), capture_output=True, text=True, **self.as_user)
        if out.returncode != 0:
            raise Abort(f"nginx -t: {out.stderr.strip()}")

    def start(self, instances):
        self.render(instances)
        self.test_config()
        self.proc = subprocess.Popen(self.command("-g", "daemon off;"), stdin=subprocess.DEVNULL,
                                     stdout=subprocess.DEVNULL, stderr=open(self.prefix / "stderr", "wb"),
                                     **self.as_user)
        remember(self.proc.pid)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise Abort(f"nginx exited: {(self.prefix / 'error.log').read_text(errors='replace')[-800:]}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1):
                    return
            except OSError:
                time.sleep(0.05)
        raise Abort("nginx did not listen within 10 s")

    def workers(self):
        return set(children(self.proc.pid))

    def reload(self, instances, down=()):
        """Rewrite the upstream, reload gracefully (SIGHUP: new workers take
        new connections, old ones finish their requests and exit), and wait
        until no old worker is left: from then on no connection, kept-alive
        or in flight, reaches an instance marked down."""
        old = self.workers()
        self.render(instances, down)
        self.test_config()
        self.proc.send_signal(signal.SIGHUP)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            now = self.workers()
            if now and not (now & old):
                return
            time.sleep(0.05)
        raise Abort(f"nginx's old workers did not exit within 30 s after the reload: {sorted(old & self.workers())}")

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGQUIT)
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()

    def error_log_size(self):
        try:
            return (self.prefix / "error.log").stat().st_size
        except OSError:
            return 0

    def errors_since(self, offset):
        """What nginx's error log said about requests since `offset`, by
        message (e.g. "upstream prematurely closed connection while reading
        response header from upstream")."""
        with open(self.prefix / "error.log", "rb") as f:
            f.seek(offset)
            text = f.read().decode(errors="replace")
        kinds = collections.Counter()
        for line in text.splitlines():
            m = re.search(r"\[(?:error|warn|crit|alert)\] \d+#\d+: (?:\*\d+ )?(.+?), client:", line)
            if m:
                kinds[m.group(1).strip()] += 1
        return dict(kinds)

    def log_entries(self, prefix):
        """Access log entries whose request id starts with `prefix`."""
        out = []
        for line in self.access_log.read_text(errors="replace").splitlines():
            try:
                entry = json.loads(line)
            except ValueError:
                continue
            if entry.get("request_id", "").startswith(prefix):
                out.append(entry)
        return out


# --- load --------------------------------------------------------------------


class Load:
    """Clients through nginx, each alternating GET /plans/{id} and a keyed
    check-in POST with a summary naming its key. With `retry_posts`, a POST
    that gets no answer, 502, 503, 504 or 409 is sent again with the same
    key (as a client must when it cannot know whether it was applied); a
    GET is never retried by the client."""

    RETRIED = {502, 503, 504, 409}

    def __init__(self, base, token, plan, label, clients, retry_posts):
        self.base, self.token, self.plan, self.label = base, token, plan, label
        self.clients, self.retry_posts = clients, retry_posts
        self.stop_event = threading.Event()
        self.lock = threading.Lock()
        self.gets = collections.Counter()  # status or error class -> count
        self.posts = {}  # key -> dict(summary, status, id, attempts, trail)
        self.failures = []  # (what, detail) of requests answered other than 2xx
        self.threads = []

    def __enter__(self):
        for n in range(self.clients):
            t = threading.Thread(target=self.client, args=(n,), daemon=True)
            t.start()
            self.threads.append(t)
        return self

    def __exit__(self, *exc):
        self.stop_event.set()
        for t in self.threads:
            t.join(120)

    def client(self, n):
        i = 0
        while not self.stop_event.is_set():
            i += 1
            rid = f"{self.label}-{n}-{i}"
            if i % 2:
                try:
                    r = request("GET", f"{self.base}/api/v1/plans/{self.plan}", self.token,
                                headers={"x-request-id": rid})
                    outcome = r.status
                except ConnectionFailed as e:
                    outcome = "no answer"
                    r = e
                with self.lock:
                    self.gets[outcome] += 1
                    if outcome != 200:
                        self.failures.append((f"GET {rid}", str(r)))
            else:
                self.post(rid)

    def post(self, key):
        summary = f"cluster check {key}"
        record = {"summary": summary, "status": None, "id": None, "attempts": 0, "trail": []}
        deadline = time.monotonic() + 60
        while True:
            record["attempts"] += 1
            try:
                r = request("POST", f"{self.base}/api/v1/plans/{self.plan}/check-ins", self.token,
                            check_in_body(summary), headers={"idempotency-key": key,
                                                             "x-request-id": f"{key}-a{record['attempts']}"})
                status, detail = r.status, str(r)
            except ConnectionFailed as e:
                r, status, detail = None, "no answer", str(e)
            record["trail"].append(status)
            retry = status == "no answer" or status in self.RETRIED
            if not (self.retry_posts and retry and time.monotonic() < deadline):
                break
            time.sleep(0.2)
        record["status"] = status
        if r is not None and 200 <= r.status < 300:
            record["id"] = r.json().get("id")
        with self.lock:
            self.posts[key] = record
            if not (isinstance(status, int) and 200 <= status < 300):
                self.failures.append((f"POST {key}", f"{record['trail']} {detail}"))

    def summary(self):
        acked = sum(1 for p in self.posts.values() if p["id"])
        retried = sum(1 for p in self.posts.values() if p["attempts"] > 1)
        return (f"{sum(self.gets.values())} GETs {dict(self.gets)}, {len(self.posts)} keyed POSTs "
                f"({acked} acknowledged, {retried} retried by the client)")


def stored_once(base, token, plan, load, what):
    """Every acknowledged POST of `load` is stored once, with the id it was
    answered with, and no POST of it is stored twice."""
    stored = collections.defaultdict(list)
    for item in pages(base, f"/plans/{plan}/check-ins", token):
        stored[item["summary"]].append(item["id"])
    missing, wrong, doubled = [], [], []
    for key, p in load.posts.items():
        ids = stored.get(p["summary"], [])
        if len(ids) > 1:
            doubled.append(key)
        if p["id"] and not ids:
            missing.append(key)
        elif p["id"] and ids != [p["id"]]:
            wrong.append(key)
    acked = sum(1 for p in load.posts.values() if p["id"])
    check(f"{what}: each of the {acked} acknowledged POSTs is stored, once, under the id it was answered with",
          acked > 0 and not missing and not wrong and not doubled,
          f"missing {missing[:5]}, other id {wrong[:5]}, stored twice {doubled[:5]}")


# --- the checks ----------------------------------------------------------------


class Demo:
    """Who is who in the demo programme."""

    def __init__(self, base, password):
        self.password = password
        self.coordinator = login(base, COORDINATOR, password)["access_token"]
        self.mentor = login(base, MENTOR, password)["access_token"]
        programmes = [p for p in pages(base, "/programs", self.coordinator) if p["code"] == PROGRAM_CODE]
        require(f"the demo programme {PROGRAM_CODE} is there", len(programmes) == 1)
        self.program = programmes[0]["id"]
        members = {m["user_id"]: m for m in pages(base, f"/programs/{self.program}/members", self.coordinator)}
        active = pages(base, f"/plans?program_id={self.program}&status=active", self.coordinator)
        require("the demo has an active plan", bool(active))
        self.plan = active[0]["id"]
        self.reporter_email = members[active[0]["owner_id"]]["email"]
        self.reporter = login(base, self.reporter_email, password)["access_token"]


def check_tokens(cluster, nginx, demo):
    a, others = cluster[0], cluster[1:]
    signed_in = login(a.base, demo.reporter_email, demo.password)
    me_on_a = call("GET", f"{a.base}/api/v1/me", signed_in["access_token"]).json()
    answers = [request("GET", f"{b.base}/api/v1/me", signed_in["access_token"]) for b in others]
    check(f"a token signed by instance {a.number} is accepted by instance(s) "
          f"{', '.join(str(b.number) for b in others)} (called directly)",
          all(r.status == 200 and r.json().get("id") == me_on_a["id"] for r in answers),
          "; ".join(map(str, answers)))
    b = others[0]
    refreshed = request("POST", f"{b.base}/api/v1/auth/refresh", body={"refresh_token": signed_in["refresh_token"]})
    ok = refreshed.status == 200
    if ok:
        back = request("GET", f"{a.base}/api/v1/me", refreshed.json()["access_token"])
        ok = back.status == 200 and back.json().get("id") == me_on_a["id"]
    check(f"a refresh token issued by instance {a.number} is redeemed on instance {b.number}, "
          f"and that token works on instance {a.number}", ok, str(refreshed))

    through = login(nginx.base, demo.reporter_email, demo.password)["access_token"]
    statuses = collections.Counter(
        request("GET", f"{nginx.base}/api/v1/me", through, headers={"x-request-id": f"tokens-{n}"}).status
        for n in range(6 * len(cluster)))
    served = {e["upstream_addr"] for e in nginx.log_entries("tokens-")}
    check(f"a token obtained through nginx works on every instance ({sum(statuses.values())} GET /me, "
          f"served by {len(served)} instances)",
          statuses == collections.Counter({200: 6 * len(cluster)}) and len(served) == len(cluster),
          f"{dict(statuses)}, upstreams {sorted(served)}")


# Minted at each read (a signed link and its expiry), so two reads differ.
MINTED = ("download_url", "download_url_expires_at", "preview_url")


def sync_state(state, items):
    for item in items:
        key = (item["type"], item["id"])
        if item["op"] == "delete":
            state.pop(key, None)
        else:
            state[key] = (item["version"], item.get("data"))
    return state


def comparable(state):
    return {k: (v, {f: x for f, x in (d or {}).items() if f not in MINTED}) for k, (v, d) in state.items()}


def sync_from(base, token, since=None, limit=200, max_pages=None):
    """Pages of GET /sync from `since`: (items, last next_cursor, has_more)."""
    items, cursor, n = [], since, 0
    while True:
        url = f"{base}/api/v1/sync?limit={limit}" + (f"&since={urllib.parse.quote(cursor)}" if cursor else "")
        page = call("GET", url, token, what="GET /sync").json()
        items.extend(page["items"])
        cursor, n = page["next_cursor"], n + 1
        if not page["has_more"] or (max_pages and n >= max_pages):
            return items, cursor, page["has_more"]


def check_sync(cluster, nginx, demo):
    a, b = cluster[0], cluster[1]
    token = demo.coordinator
    items, cursor, _ = sync_from(a.base, token)
    state = sync_state({}, items)
    require(f"a full sync on instance {a.number} holds the demo ({len(state)} entities)", len(state) > 10)

    written = []
    for n in range(3):
        r = call("POST", f"{a.base}/api/v1/plans/{demo.plan}/check-ins", demo.reporter,
                 check_in_body(f"sync via {a.number}, {n}"), 201)
        written.append(("check_in", r.json()["id"]))
    comments = []
    for n in range(2):
        r = call("POST", f"{a.base}/api/v1/plans/{demo.plan}/comments", demo.mentor,
                 {"body": f"Sync via instance {a.number}, {n}.", "visibility": "shared"}, 201)
        comments.append(r.json()["id"])
    items, cursor, more = sync_from(a.base, token, cursor, limit=2, max_pages=1)
    sync_state(state, items)

    for n in range(2):
        r = call("POST", f"{b.base}/api/v1/plans/{demo.plan}/check-ins", demo.reporter,
                 check_in_body(f"sync via {b.number}, {n}"), 201)
        written.append(("check_in", r.json()["id"]))
    tag = call("GET", f"{b.base}/api/v1/comments/{comments[0]}", demo.mentor).headers["etag"]
    call("DELETE", f"{b.base}/api/v1/comments/{comments[0]}", demo.mentor, expect=204, headers={"if-match": tag})
    tag = call("GET", f"{b.base}/api/v1/comments/{comments[1]}", demo.mentor).headers["etag"]
    call("PATCH", f"{b.base}/api/v1/comments/{comments[1]}", demo.mentor,
         {"body": f"Edited via instance {b.number}."}, headers={"if-match": tag})
    rest, _, _ = sync_from(b.base, token, cursor, limit=3)
    sync_state(state, rest)

    full_items, _, _ = sync_from(nginx.base, token)
    full = sync_state({}, full_items)
    expected = {k for k in written} | {("comment", comments[1])}
    mine, theirs = comparable(state), comparable(full)
    differ = [k for k in set(mine) | set(theirs) if mine.get(k) != theirs.get(k)]
    check(f"a sync cursor paged on instance {a.number} (a page of 2 of {len(items) + len(rest)} changes) "
          f"continues on instance {b.number}: {len(state)} entities, equal to a full sync through nginx",
          more and not differ and expected <= set(state) and ("comment", comments[0]) not in state
          and state[("comment", comments[1])][1]["body"].startswith("Edited"),
          f"has_more after the first page {more}; differing {differ[:5]}; "
          f"missing {sorted(expected - set(state))[:5]}")

    attachments = [d for (kind, _), (_, d) in state.items() if kind == "attachment" and d.get("download_url")]
    if attachments:
        data = attachments[0]
        link = urllib.parse.urlsplit(data["download_url"])
        r = request("GET", f"{b.base}{link.path}" + (f"?{link.query}" if link.query else ""))
        check(f"a signed download link minted by instance {a.number} is served by instance {b.number}, "
              "without a token (the signing secret is shared through the database)",
              r.status == 200 and hashlib.sha256(r.body).hexdigest() == data["sha256"], str(r)[:200])


def check_idempotency(cluster, demo):
    a, b = cluster[0], cluster[1]
    key = f"cluster-replay-{secrets.token_hex(6)}"
    url = f"/api/v1/plans/{demo.plan}/check-ins"
    body = check_in_body(f"replay {key}")
    first = request("POST", a.base + url, demo.reporter, body, headers={"idempotency-key": key})
    again = request("POST", b.base + url, demo.reporter, body, headers={"idempotency-key": key})
    check(f"an Idempotency-Key POST answered by instance {a.number} ({first.status}) is replayed by instance "
          f"{b.number}: same status, Location and body, Idempotency-Replayed: true",
          first.status == 201 and again.status == first.status and again.body == first.body
          and again.headers.get("location") == first.headers.get("location")
          and again.headers.get("idempotency-replayed") == "true"
          and first.headers.get("idempotency-replayed") is None,
          f"first {first} / again {again} {again.headers}")
    other = request("POST", b.base + url, demo.reporter, check_in_body("another body"),
                    headers={"idempotency-key": key})
    check(f"the same key with another body on instance {b.number} is refused (422 idempotency_key_reused)",
          other.status == 422 and b"idempotency_key_reused" in other.body, str(other))

    key = f"cluster-twins-{secrets.token_hex(6)}"
    body = check_in_body(f"twins {key}")
    answers = [None, None]

    def send(n, instance):
        answers[n] = request("POST", instance.base + url, demo.reporter, body, headers={"idempotency-key": key})

    threads = [threading.Thread(target=send, args=(n, i)) for n, i in enumerate((a, b))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    stored = [c for c in pages(a.base, f"/plans/{demo.plan}/check-ins", demo.reporter)
              if c["summary"] == body["summary"]]
    replayed = [r.headers.get("idempotency-replayed") == "true" for r in answers]
    check(f"two concurrent twins with one key on instances {a.number} and {b.number}: one record, "
          "both answered 201 with the same body, one of them a replay",
          len(stored) == 1 and all(r.status == 201 for r in answers) and answers[0].body == answers[1].body
          and sorted(replayed) == [False, True], f"{answers[0]} / {answers[1]}; stored {len(stored)}")


class Receiver:
    """A webhook endpoint on 127.0.0.1 that verifies the Standard Webhooks
    signature and records each delivery's webhook-id."""

    def __init__(self):
        self.lock = threading.Lock()
        self.secret = None
        self.received = []  # (webhook-id, verified, entity_id)
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("content-length") or 0))
                receiver.record(self.headers, body)
                self.send_response(204)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def record(self, headers, body):
        wid, stamp = headers.get("webhook-id", ""), headers.get("webhook-timestamp", "")
        key = base64.b64decode(self.secret.removeprefix("whsec_"))
        mac = base64.b64encode(hmac.new(key, f"{wid}.{stamp}.".encode() + body, hashlib.sha256).digest()).decode()
        verified = f"v1,{mac}" in headers.get("webhook-signature", "").split()
        try:
            entity = json.loads(body)["data"]["entity_id"]
        except (ValueError, KeyError, TypeError):
            entity = None
        with self.lock:
            self.received.append((wid, verified, entity))

    def snapshot(self):
        with self.lock:
            return list(self.received)


def check_webhooks(cluster, nginx, demo, events=24):
    receiver = Receiver()
    created = call("POST", f"{nginx.base}/api/v1/programs/{demo.program}/webhooks", demo.coordinator,
                   {"url": receiver.url, "event_types": ["check_in.posted"]}, 201,
                   what="the coordinator subscribes a receiver").json()
    receiver.secret = created["secret"]
    before = {i.number: i.metric("followup_webhook_attempts_total") for i in cluster}
    posted = set()
    for n in range(events):
        r = call("POST", f"{nginx.base}/api/v1/plans/{demo.plan}/check-ins", demo.reporter,
                 check_in_body(f"webhook {n}"), 201, headers={"idempotency-key": f"cluster-hook-{secrets.token_hex(6)}"})
        posted.add(r.json()["id"])
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and not posted <= {e for _, _, e in receiver.snapshot()}:
        time.sleep(0.2)
    time.sleep(3)  # fifteen more rounds of every instance's worker: time for a second copy to show up
    got = receiver.snapshot()
    per_id = collections.Counter(wid for wid, _, _ in got)
    attempts = {i.number: int(i.metric("followup_webhook_attempts_total") - before[i.number]) for i in cluster}
    check(f"{events} events while {len(cluster)} instances run the worker: each webhook-id received exactly once, "
          f"signature verified (attempts per instance: {', '.join(f'{n}: {c}' for n, c in attempts.items())})",
          {e for _, _, e in got} == posted and len(per_id) == events and set(per_id.values()) == {1}
          and all(v for _, v, _ in got) and sum(attempts.values()) == events,
          f"{len(got)} requests, {len(per_id)} ids, repeated {[w for w, c in per_id.items() if c > 1][:5]}, "
          f"unverified {sum(1 for _, v, _ in got if not v)}, attempts {attempts}")
    tag = call("GET", f"{nginx.base}/api/v1/webhooks/{created['id']}", demo.coordinator).headers["etag"]
    call("DELETE", f"{nginx.base}/api/v1/webhooks/{created['id']}", demo.coordinator, expect=204,
         headers={"if-match": tag})
    receiver.server.shutdown()


def check_kill(cluster, nginx, demo, clients=6):
    victim = cluster[1]
    with Load(nginx.base, demo.reporter, demo.plan, "kill", clients, retry_posts=True) as load:
        time.sleep(3)
        victim.stop(signal.SIGKILL)
        say(f"instance {victim.number} killed (SIGKILL) under load")
        # Longer than the upstream's fail_timeout (5 s): nginx tries the dead
        # instance again and must pass that request on to a live one.
        time.sleep(7)
    entries = nginx.log_entries("kill-")
    passed_on = [e for e in entries if "," in e["upstream_addr"]]
    gets_passed_on = sum(1 for e in passed_on if e["method"] == "GET")
    say(f"kill -9: {load.summary()}; nginx passed {len(passed_on)} requests ({gets_passed_on} GETs) "
        "on to another instance")
    get_failures = [f for f in load.failures if f[0].startswith("GET")]
    check(f"kill -9 of instance {victim.number} under load: every GET answered 200 "
          f"({sum(load.gets.values())} GETs; nginx passed {len(passed_on)} requests, {gets_passed_on} of them GETs, "
          "on from the dead instance to a live one)",
          sum(load.gets.values()) > 0 and not get_failures and passed_on,
          f"failed GETs {get_failures[:5]}; requests passed on {len(passed_on)}")
    post_failures = [f for f in load.failures if f[0].startswith("POST")]
    check("kill -9: every keyed POST is acknowledged in the end, a lost one retried by the client with its key "
          f"({sum(1 for p in load.posts.values() if p['attempts'] > 1)} retried)",
          not post_failures, str(post_failures[:5]))
    stored_once(nginx.base, demo.reporter, demo.plan, load, "kill -9")
    victim.start()
    victim.wait_ready()
    check(f"instance {victim.number} restarted and ready", True)


def check_rolling(cluster, nginx, demo, clients=6):
    with Load(nginx.base, demo.reporter, demo.plan, "roll", clients, retry_posts=False) as load:
        time.sleep(1)
        for instance in cluster:
            t0 = time.monotonic()
            nginx.reload(cluster, down={instance})
            t1 = time.monotonic()
            code = instance.stop(signal.SIGTERM)
            t2 = time.monotonic()
            instance.start()
            instance.wait_ready()
            t3 = time.monotonic()
            nginx.reload(cluster)
            say(f"instance {instance.number}: out of the upstream and drained {t1 - t0:.1f} s, "
                f"SIGTERM to exit {t2 - t1:.1f} s (exit {code}), started and ready {t3 - t2:.1f} s, "
                f"back in {time.monotonic() - t3:.1f} s")
            time.sleep(1)
    served = collections.Counter(e["upstream_addr"] for e in nginx.log_entries("roll-"))
    say(f"rolling restart: {load.summary()}; served by {dict(served)}")
    total = sum(load.gets.values()) + len(load.posts)
    check(f"rolling restart of {len(cluster)} instances under load: {total} requests, "
          f"{len(load.failures)} failed (non-2xx or no answer)", total > 0 and not load.failures,
          str(load.failures[:5]))
    stored_once(nginx.base, demo.reporter, demo.plan, load, "rolling restart")


def fail_timeout():
    """Seconds nginx leaves a failed server out (the upstream's fail_timeout)."""
    m = re.search(r"server api:8080 [^;]*fail_timeout=(\d+)s", (ROOT / "deploy" / "nginx.conf").read_text())
    return int(m.group(1)) if m else 10


def check_rolling_sigterm(cluster, nginx, demo, clients=6):
    """The other procedure: no change to nginx, only SIGTERM (the instance
    stops accepting and drains) and a start, relying on nginx passing a
    refused connection on to another server. The instances are restarted
    more than fail_timeout apart: nginx leaves a failed server out for that
    long, and with every server out it answers 502 (no live upstreams)
    without trying any. A POST that nginx had already sent on a kept-alive
    connection the stopping instance closes is not passed on (POST is not
    idempotent): it answers 503, and the client sends it again with its key."""
    gap = fail_timeout() + 1
    offset = nginx.error_log_size()
    with Load(nginx.base, demo.reporter, demo.plan, "term", clients, retry_posts=True) as load:
        time.sleep(1)
        for instance in cluster:
            t0 = time.monotonic()
            code = instance.stop(signal.SIGTERM)
            instance.start()
            instance.wait_ready()
            say(f"instance {instance.number}: SIGTERM, exit {code}, started and ready in {time.monotonic() - t0:.1f} s")
            time.sleep(gap)
    passed_on = sum(1 for e in nginx.log_entries("term-") if "," in e["upstream_addr"])
    say(f"rolling restart by SIGTERM alone: {load.summary()}; nginx passed {passed_on} requests on; "
        f"nginx's error log: {nginx.errors_since(offset)}")
    gets = sum(load.gets.values())
    resent = sum(1 for p in load.posts.values() if p["attempts"] > 1)
    check(f"rolling restart by SIGTERM alone, {gap} s apart (the upstream's fail_timeout + 1): {gets} GETs, "
          f"{len(load.failures)} failed; {len(load.posts)} keyed POSTs, {resent} sent again by the client "
          f"(nginx passed {passed_on} requests on to another instance)",
          gets > 0 and not load.failures, str(load.failures[:5]))
    stored_once(nginx.base, demo.reporter, demo.plan, load, "rolling restart by SIGTERM")


def run_checks():
    count = int(os.environ.get("CLUSTER_INSTANCES", "3"))
    cluster = [Instance(n + 1, {
        "FOLLOWUP_WEBHOOK_ALLOW_PRIVATE": "true",
        "FOLLOWUP_WORKER_INTERVAL_MS": "200",
        "FOLLOWUP_WEBHOOK_RETRY_SCHEDULE": "1,1,1",
    }) for n in range(count)]
    nginx = Nginx()
    try:
        # Migrations are serialised by an advisory lock, but the first start
        # on a fresh database also creates shared settings (the request
        # fingerprint secret): start one, then the others together.
        t0 = time.monotonic()
        cluster[0].start()
        cluster[0].wait_ready()
        for i in cluster[1:]:
            i.start()
        for i in cluster[1:]:
            i.wait_ready()
        nginx.start(cluster)
        say(f"{count} instances ready (ports {', '.join(str(i.port) for i in cluster)}) behind nginx on "
            f"{nginx.port}, in {time.monotonic() - t0:.1f} s")
        demo = Demo(nginx.base, os.environ["CLUSTER_DEMO_PASSWORD"])
        for name, step in (("tokens", check_tokens), ("sync", check_sync), ("idempotency", check_idempotency),
                           ("webhooks", check_webhooks), ("kill -9", check_kill), ("rolling restart", check_rolling),
                           ("rolling restart by SIGTERM", check_rolling_sigterm)):
            t0 = time.monotonic()
            if step is check_idempotency:
                step(cluster, demo)
            else:
                step(cluster, nginx, demo)
            say(f"{name}: {time.monotonic() - t0:.1f} s")
        dead = [i.number for i in cluster if not i.alive()]
        check("every instance is still running at the end", not dead, f"stopped: {dead}")
    except Abort as e:
        check("the checks ran to the end", False, str(e))
        for i in cluster:
            print(f"--- instance {i.number} log (last lines)\n{i.tail()}")
    finally:
        nginx.stop()
        for i in cluster:
            i.stop()
    print(f"cluster: {results['pass']} passed, {results['fail']} failed")
    return 1 if results["fail"] else 0


# --- the benchmark -------------------------------------------------------------


def wrk(url, token, duration, connections):
    out = subprocess.run(["wrk", "-t2", f"-c{connections}", f"-d{duration}s", "--latency",
                          "-H", f"authorization: Bearer {token}", url], capture_output=True, text=True).stdout

    def grab(pattern, default="0"):
        m = re.search(pattern, out, re.M)
        return m.group(1) if m else default

    errors = sum(int(n) for n in re.findall(r"(?:connect|read|write|timeout) (\d+)", grab(r"Socket errors: (.*)$", "")))
    return {"rps": float(grab(r"^Requests/sec:\s+([\d.]+)")), "p50": grab(r"^\s+50%\s+(\S+)", "-"),
            "p99": grab(r"^\s+99%\s+(\S+)", "-"), "non2xx": int(grab(r"Non-2xx or 3xx responses: (\d+)")),
            "errors": errors}


def cpu_ticks(pids):
    return sum((proc_stat(p) or (0, 0))[1] for p in pids)


def machine_ticks():
    """Busy clock ticks of the whole machine (every CPU), from /proc/stat."""
    fields = [int(f) for f in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    return sum(fields) - fields[3] - fields[4]  # all but idle and iowait


def children_seconds():
    """CPU seconds of this process's waited-for children (here: wrk)."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def postgres_pids():
    out = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if (entry / "comm").read_text().strip() == "postgres":
                    out.append(int(entry.name))
            except OSError:
                pass
    return out


def run_bench():
    seed = json.loads(os.environ["CLUSTER_SEED"])
    duration = int(os.environ.get("DURATION", "10"))
    connections = int(os.environ.get("CONNECTIONS", "16"))
    cluster = [Instance(1, {"FOLLOWUP_LOG": "error"}), Instance(2, {"FOLLOWUP_LOG": "error"})]
    nginx = Nginx()
    rows = []
    tick = os.sysconf("SC_CLK_TCK")
    try:
        cluster[0].start()
        cluster[0].wait_ready()
        nginx.start(cluster[:1])
        password, mentor = seed["mentor"]["password"], seed["mentor"]["email"]
        token, plan = None, None
        for n in range(51):
            token = login(nginx.base, mentor.replace("mentor.", f"delegate{n}."), password)["access_token"]
            items = call("GET", f"{nginx.base}/api/v1/plans?status=active&limit=1", token).json()["items"]
            if items:
                plan = items[0]["id"]
                break
        require("a delegate with an active plan", plan is not None)

        def measure(name, base, instances):
            url = f"{base}/api/v1/plans/{plan}"
            wrk(url, token, 2, connections)  # warm-up: pools, caches, nginx's upstream connections
            pids = {"instances": [i.proc.pid for i in instances], "nginx": sorted(nginx.workers()),
                    "postgres": postgres_pids()}
            before = {k: cpu_ticks(v) for k, v in pids.items()}
            machine, wrk_cpu = machine_ticks(), children_seconds()
            row = wrk(url, token, duration, connections)
            row["cpu"] = {k: (cpu_ticks(v) - before[k]) / tick / duration for k, v in pids.items()}
            row["cpu"]["wrk"] = (children_seconds() - wrk_cpu) / duration
            row["machine"] = (machine_ticks() - machine) / tick / duration
            row["load"] = os.getloadavg()[0]
            row["name"] = name
            rows.append(row)

        measure("1 instance, direct", cluster[0].base, cluster[:1])
        measure("1 instance, nginx", nginx.base, cluster[:1])
        cluster[1].start()
        cluster[1].wait_ready()
        nginx.reload(cluster)
        measure("2 instances, nginx", nginx.base, cluster)
    except Abort as e:
        print(f"FAIL - the benchmark: {e}")
        return 1
    finally:
        rss = {i.number: vm_hwm(i.proc.pid) if i.alive() else None for i in cluster}
        nginx.stop()
        for i in cluster:
            i.stop()

    cores = os.cpu_count()
    print(f"\nfollowup cluster benchmark: GET /api/v1/plans/{{id}} (a delegate's own plan, "
          f"{os.environ.get('CLUSTER_PLANS', '?')} plans, PostgreSQL), {cores} cores, "
          f"wrk -t2 -c{connections} -d{duration}s, {datetime.datetime.now(datetime.timezone.utc):%Y-%m-%dT%H:%M:%SZ}\n")
    print("| setup              | req/s     | p50      | p99      | non-2xx | socket errors | vs 1 behind nginx |"
          " cores busy: instances / nginx / PostgreSQL / wrk / other | load avg |")
    print("|--------------------|-----------|----------|----------|---------|---------------|-------------------|"
          "----------------------------------------------------------|----------|")
    one = next(r["rps"] for r in rows if r["name"] == "1 instance, nginx")
    for r in rows:
        c = r["cpu"]
        other = max(0.0, r["machine"] - sum(c.values()))
        print(f"| {r['name']:<18} | {r['rps']:9.2f} | {r['p50']:>8} | {r['p99']:>8} | {r['non2xx']:7} | "
              f"{r['errors']:13} | {r['rps'] / one:16.2f}x | {c['instances']:.2f} / {c['nginx']:.2f} / "
              f"{c['postgres']:.2f} / {c['wrk']:.2f} / {other:.2f} (of {cores}) | {r['load']:8.2f} |")
    print("\npeak RSS (VmHWM): " + ", ".join(f"instance {n} {kb / 1024:.1f} MB" if kb else f"instance {n} -"
                                          for n, kb in rss.items()))
    last = rows[-1]
    ours = sum(last["cpu"].values())
    if last["machine"] >= 0.9 * cores:
        print(f"what bounds the ratio: the {cores} cores, shared by wrk, nginx, the instances and PostgreSQL "
              f"(and whatever else runs here), were busy {last['machine']:.2f} of {cores} with 2 instances "
              f"({ours:.2f} of it this benchmark's processes): a second instance can only share the same CPU, "
              "so the ratio shows that the instances share the load, not how they scale on separate machines.")
    else:
        print(f"what bounds the ratio: the cores were busy {last['machine']:.2f} of {cores} with 2 instances: "
              "not CPU; look at PostgreSQL (locks, connections) and at wrk's connections.")
    bad = [r["name"] for r in rows if r["non2xx"] or r["errors"]]
    if bad:
        print(f"FAIL - errors under load: {bad}")
        return 1
    return 0


if __name__ == "__main__":
    mode = sys.argv[1] if len(sys.argv) > 1 else "check"
    sys.exit(run_checks() if mode == "check" else run_bench())

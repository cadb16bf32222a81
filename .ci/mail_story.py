"""E-mail reminders and digests as a mailbox sees them: a real SMTP server
(`aiosmtpd`) receives what the server sends, and every message is read with
Python's `email` package, not with anything of ours.

Run by .ci/mail on the demo data (`followup seed-demo`), in one of two modes:

    mail_story.py prepare   against a running server without
                            FOLLOWUP_SMTP_URL (FOLLOWUP_URL): its log says
                            e-mail is off; one delegate with an active plan
                            turns `check_in_due` off; who, is written to the
                            state file
    mail_story.py send      starts an SMTP server on 127.0.0.1, then the
                            server (FOLLOWUP_BIN) pointed at it with
                            FOLLOWUP_CLOCK on a Monday morning a few weeks
                            ahead, and checks what arrives

Environment: FOLLOWUP_DEMO_PASSWORD (the password every demo account was
given), MAIL_STORY_LOG (the server's log), MAIL_STORY_STATE (what prepare
tells send), FOLLOWUP_URL (prepare), FOLLOWUP_BIN and MAIL_STORY_PID (send:
the binary, and where the pid of the server it starts is written),
FOLLOWUP_DATABASE_URL (send: for the server). Prints "ok - …" or
"not ok - …" per check and exits non-zero when any check failed.
"""

import datetime
import email
import email.policy
import json
import os
import re
import socket
import subprocess
import sys
import threading
import time
from email.utils import parseaddr

import httpx
from aiosmtpd.controller import Controller

import story_support
from story_support import Checks, shown

PASSWORD = os.environ["FOLLOWUP_DEMO_PASSWORD"]
LOG = os.environ["MAIL_STORY_LOG"]
STATE = os.environ["MAIL_STORY_STATE"]
ADMIN = "admin@followup.demo"
MENTOR = "yj.hong@followup.demo"
SENDER_NAME = "Followup KOICA"
SENDER = "followup@koica.example.org"
MAIL_FROM = f"{SENDER_NAME} <{SENDER}>"
WAIT_SECONDS = 30
# After the expected mail arrived: several scheduler rounds (1 s each) in
# which nothing may arrive twice.
GRACE_SECONDS = 5

# Each kind of message, told by its subject, in each language; the setting
# that turns it off.
KINDS = {
    "check_in_due": {"id": "Pengingat: laporan kemajuan", "en": "Reminder: your check-in"},
    "activity_overdue": {"id": "Kegiatan terlambat", "en": "Overdue activity"},
    "weekly_digest": {"id": "Ringkasan mingguan", "en": "Weekly digest"},
}
GREETING = {"id": "Halo ", "en": "Hello "}

checks = Checks("mail")
check, require, finish = checks.check, checks.require, checks.finish


def wait_for(condition, seconds):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.1)
    return condition()


def log_text():
    try:
        with open(LOG, encoding="utf-8", errors="replace") as f:
            return f.read()
    except FileNotFoundError:
        return ""


# --- the API ---------------------------------------------------------------


class Api(story_support.Api):
    def __init__(self, base):
        super().__init__(httpx.Client(timeout=15.0, follow_redirects=False), base, PASSWORD, require)

    def delegates(self, token, program):
        """The dashboard's delegate rows of the programme."""
        return self.items(token, f"/programs/{program}/delegates")

    def users(self):
        """Every account, by e-mail address (lower case), as the admin sees it."""
        admin = self.sign_in(ADMIN)
        return {u["email"].lower(): u for u in self.items(admin, "/users")}

    def turn_off(self, token, who, field):
        """PATCH /me/notifications {field: false} with the ETag of a GET;
        checks the answer and that a new GET agrees."""
        got = self.call(token, "GET", "/me/notifications", 200, f"{who}: GET /me/notifications")
        tag = got.headers.get("etag")
        require(f"{who}: GET /me/notifications answers an ETag", bool(tag), str(got.headers))
        before = got.json()
        check(f"{who}: every kind is on before anything is changed",
              all(before.get(k) is True for k in KINDS), json.dumps(before))
        without = self.request(token, "PATCH", "/me/notifications", json={field: False})
        check(f"{who}: PATCH /me/notifications without If-Match is refused with 428",
              without.status_code == 428, shown(without))
        changed = self.request(token, "PATCH", "/me/notifications", json={field: False},
                               headers={"if-match": tag})
        check(f"{who}: PATCH /me/notifications {{\"{field}\": false}} with If-Match answers 200",
              changed.status_code == 200, shown(changed))
        body = changed.json() if changed.status_code == 200 else {}
        others = [k for k in KINDS if k != field]
        check(f"{who}: the answer has {field} false and the other kinds still on",
              body.get(field) is False and all(body.get(k) is True for k in others), json.dumps(body))
        check(f"{who}: the answer carries a new ETag",
              bool(changed.headers.get("etag")) and changed.headers.get("etag") != tag,
              f"{tag} -> {changed.headers.get('etag')}")
        again = self.call(token, "GET", "/me/notifications", 200, f"{who}: GET /me/notifications again").json()
        check(f"{who}: GET /me/notifications keeps {field} false",
              again.get(field) is False and all(again.get(k) is True for k in others), json.dumps(again))


def active_delegates(rows):
    return [r for r in rows if (r.get("plan") or {}).get("status") == "active"]


# --- prepare: e-mail off; a delegate turns check-in reminders off ----------


def prepare():
    api = Api(os.environ["FOLLOWUP_URL"])
    check('without FOLLOWUP_SMTP_URL the server log says "e-mail: off"',
          wait_for(lambda: "e-mail: off" in log_text(), 10), log_text()[-800:])
    check("without FOLLOWUP_SMTP_URL the server does not say e-mail is sent",
          "reminders and digests are sent" not in log_text())
    users = api.users()
    mentor = api.sign_in(MENTOR)
    program = api.demo_program(mentor)
    rows = api.delegates(mentor, program)
    # One who reports on time, so the dashboard does not count them silent:
    # without the setting they would get a check-in reminder a few weeks on.
    candidates = sorted((r for r in active_delegates(rows) if not r["silent"]), key=lambda r: r["display_name"])
    require("the demo has a delegate with an active plan who is not silent", bool(candidates),
            json.dumps(rows)[:400])
    chosen = candidates[0]
    address = next((a for a, u in users.items() if u["id"] == chosen["delegate_id"]), None)
    require(f"{chosen['display_name']}'s account is in the user list", address is not None)
    token = api.sign_in(address)
    api.turn_off(token, address, "check_in_due")
    with open(STATE, "w", encoding="utf-8") as f:
        json.dump({"check_in_due_off": address, "name": chosen["display_name"]}, f)
    print(f"# {chosen['display_name']} <{address}> turned check-in reminders off")
    finish()


# --- send: an SMTP server, the server pointed at it -------------------------


class Mailbox:
    """Every envelope the SMTP server accepted."""

    def __init__(self):
        self.lock = threading.Lock()
        self.envelopes = []  # dicts: mail_from, rcpt_tos, content, at

    async def handle_DATA(self, server, session, envelope):
        with self.lock:
            self.envelopes.append({
                "mail_from": envelope.mail_from,
                "rcpt_tos": list(envelope.rcpt_tos),
                "content": bytes(envelope.original_content or envelope.content),
                "at": time.monotonic(),
            })
        return "250 Message accepted for delivery"

    def all(self):
        with self.lock:
            return list(self.envelopes)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_smtp(mailbox):
    """An aiosmtpd controller on a free port of 127.0.0.1 (a port found free
    may be taken before the controller binds it: try again)."""
    last = None
    for _ in range(5):
        port = free_port()
        controller = Controller(mailbox, hostname="127.0.0.1", port=port)
        try:
            controller.start()
            return controller, port
        except Exception as e:  # noqa: BLE001 — any failure to bind: another port
            last = e
    require("the SMTP server starts on 127.0.0.1", False, repr(last))


def monday_morning():
    """02:00 UTC on a Monday three to four weeks after today (09:00 in
    Jakarta, 10:00 in Makassar, 11:00 in Seoul): every delegate's check-in
    dated up to today is long past, and it is the mentor's digest morning."""
    today = datetime.datetime.now(datetime.timezone.utc).date()
    monday = today + datetime.timedelta(days=(7 - today.weekday()) % 7 or 7) + datetime.timedelta(weeks=3)
    return datetime.datetime.combine(monday, datetime.time(2, 0), tzinfo=datetime.timezone.utc)


def start_server(smtp_port, clock):
    env = dict(os.environ)
    env.update({
        "FOLLOWUP_BIND": "127.0.0.1:0",
        "FOLLOWUP_LOG": "info",
        "FOLLOWUP_WORKERS": "2",
        "FOLLOWUP_SMTP_URL": f"smtp://127.0.0.1:{smtp_port}",
        "FOLLOWUP_MAIL_FROM": MAIL_FROM,
        "FOLLOWUP_WORKER_INTERVAL_MS": "200",
        "FOLLOWUP_SCHEDULER_INTERVAL": "1",
        "FOLLOWUP_CLOCK": clock.isoformat().replace("+00:00", "Z"),
    })
    with open(LOG, "w", encoding="utf-8") as log:
        server = subprocess.Popen([os.environ["FOLLOWUP_BIN"], "serve"], env=env, stdout=subprocess.DEVNULL,
                                  stderr=log)
    with open(os.environ["MAIL_STORY_PID"], "w", encoding="utf-8") as f:
        f.write(str(server.pid))
    port = None

    def started():
        nonlocal port
        found = re.search(r" port=(\d+)", log_text())
        port = found and found.group(1)
        return bool(port) or server.poll() is not None

    wait_for(started, 30)
    if not port:
        stop_server(server)
        require("the server starts with FOLLOWUP_SMTP_URL", False, log_text()[-1500:])
    return server, f"http://127.0.0.1:{port}"


def stop_server(server):
    if server.poll() is None:
        server.terminate()
        try:
            server.wait(15)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


def read(envelope):
    """The message, its parts and what it is, as Python's email package reads it."""
    message = email.message_from_bytes(envelope["content"], policy=email.policy.default)
    subject = str(message.get("subject", ""))
    to = parseaddr(str(message.get("to", "")))[1].lower()
    parts = {}
    if message.is_multipart():
        for part in message.iter_parts():
            parts.setdefault(part.get_content_type(), part.get_content())
    kind, language = None, None
    for k, words in KINDS.items():
        for lang, prefix in words.items():
            if subject.startswith(prefix):
                kind, language = k, lang
    return {"message": message, "subject": subject, "to": to, "parts": parts, "kind": kind,
            "language": language, "envelope": envelope}


def send():
    with open(STATE, encoding="utf-8") as f:
        state = json.load(f)
    off_address = state["check_in_due_off"]
    mailbox = Mailbox()
    controller, smtp_port = start_smtp(mailbox)
    print(f"# SMTP server on 127.0.0.1:{smtp_port}")
    clock = monday_morning()
    print(f"# FOLLOWUP_CLOCK={clock.isoformat()}")
    server, base = start_server(smtp_port, clock)
    try:
        story(Api(base), mailbox, off_address, state["name"])
    finally:
        stop_server(server)
        controller.stop()
    finish()


def story(api, mailbox, off_address, off_name):
    check("with FOLLOWUP_SMTP_URL the server log says e-mail is sent",
          "e-mail: reminders and digests are sent" in log_text() and "e-mail: off" not in log_text(),
          log_text()[-800:])
    users = api.users()
    mentor = api.sign_in(MENTOR)
    program = api.demo_program(mentor)
    rows = api.delegates(mentor, program)
    silent = sorted(r["display_name"] for r in rows if r["silent"])
    require("the dashboard counts some delegates silent", bool(silent), json.dumps(rows)[:400])
    active = active_delegates(rows)
    by_id = {u["id"]: a for a, u in users.items()}
    reminded = {by_id[r["delegate_id"]] for r in active} - {off_address}

    def arrived():
        got = [read(e) for e in mailbox.all()]
        check_ins = {m["to"] for m in got if m["kind"] == "check_in_due"}
        digests = [m for m in got if m["kind"] == "weekly_digest"]
        return reminded <= check_ins and digests

    wait_for(arrived, WAIT_SECONDS)
    first = len(mailbox.all())
    # Several more scheduler rounds: nothing may come again.
    time.sleep(GRACE_SECONDS)
    envelopes = mailbox.all()
    messages = [read(e) for e in envelopes]
    print(f"# {len(messages)} messages received ({first} before the last {GRACE_SECONDS} s)")
    for m in messages:
        print(f"#   {m['to']}: {m['subject']}")

    check_ins = [m for m in messages if m["kind"] == "check_in_due"]
    digests = [m for m in messages if m["kind"] == "weekly_digest"]
    overdue = [m for m in messages if m["kind"] == "activity_overdue"]
    require("at least one check-in reminder arrived", bool(check_ins))
    require("at least one weekly digest arrived", bool(digests))
    check("overdue-activity reminders arrived", bool(overdue))
    check("every delegate with an active plan who did not turn it off got a check-in reminder",
          reminded <= {m["to"] for m in check_ins},
          f"missing: {sorted(reminded - {m['to'] for m in check_ins})}")
    check("the mentor got the weekly digest", any(m["to"] == MENTOR for m in digests),
          str([m["to"] for m in digests]))

    unknown = [m["subject"] for m in messages if m["kind"] is None]
    check("every message is a check-in reminder, an overdue activity or a weekly digest", not unknown,
          str(unknown))
    wrong_shape = [
        (m["to"], m["subject"], m["message"].get_content_type(), sorted(m["parts"]))
        for m in messages
        if m["message"].get_content_type() != "multipart/alternative"
        or set(m["parts"]) != {"text/plain", "text/html"}
    ]
    check("every message is multipart/alternative with a text/plain and a text/html part", not wrong_shape,
          str(wrong_shape[:3]))
    wrong_from = [
        (str(m["message"].get("from")), m["envelope"]["mail_from"])
        for m in messages
        if parseaddr(str(m["message"].get("from", ""))) != (SENDER_NAME, SENDER)
        or m["envelope"]["mail_from"] != SENDER
    ]
    check(f"every message is from {MAIL_FROM} (header and envelope)", not wrong_from, str(wrong_from[:3]))
    wrong_to = [
        (m["to"], m["envelope"]["rcpt_tos"])
        for m in messages
        if m["to"] not in users or [r.lower() for r in m["envelope"]["rcpt_tos"]] != [m["to"]]
    ]
    check("every message is to a demo account's address, the envelope's only recipient", not wrong_to,
          str(wrong_to[:3]))

    # The language: the recipient's locale, in the subject and both parts.
    languages = set()
    wrong_language = []
    for m in messages:
        if m["to"] not in users or m["kind"] is None:
            continue
        locale = users[m["to"]].get("locale")
        languages.add(locale)
        text, html = m["parts"].get("text/plain", ""), m["parts"].get("text/html", "")
        if (m["language"] != locale or not text.startswith(GREETING.get(locale, "?"))
                or GREETING.get(locale, "?") not in html):
            wrong_language.append((m["to"], locale, m["subject"], text[:60]))
    check("every message is in its recipient's language (subject, text and HTML)", not wrong_language,
          str(wrong_language[:3]))
    check("the story covers both languages (id for the delegates, en for the mentor)",
          languages == {"id", "en"}, str(languages))
    check("the delegates' check-in reminders are in Indonesian",
          all(m["subject"].startswith("Pengingat: laporan kemajuan") for m in check_ins), "")
    check("the mentor's digest is in English", all(m["subject"].startswith("Weekly digest") for m in digests
                                                   if m["to"] == MENTOR))

    # How to stop it: the endpoint and the setting of that kind, in both parts.
    no_way_out = [
        (m["to"], m["subject"])
        for m in messages
        if m["kind"]
        and not all("/api/v1/me/notifications" in m["parts"].get(t, "") and m["kind"] in m["parts"].get(t, "")
                    for t in ("text/plain", "text/html"))
    ]
    check("every message says how to stop that kind (/api/v1/me/notifications and the setting, text and HTML)",
          not no_way_out, str(no_way_out[:3]))

    # The digest names the silent delegates the dashboard shows.
    digest = next((m for m in digests if m["to"] == MENTOR), digests[0])
    text, html = digest["parts"].get("text/plain", ""), digest["parts"].get("text/html", "")
    named = [name for name in silent if name in text]
    check("the digest names a delegate the dashboard counts as silent", bool(named),
          f"silent: {silent}; digest: {text[:600]}")
    check("the digest names every delegate the dashboard counts as silent, in text and HTML",
          all(name in text and name in html for name in silent), f"silent: {silent}; digest: {text[:600]}")

    # Once each.
    seen, twice = set(), []
    for m in messages:
        key = (m["to"], m["subject"])
        if key in seen:
            twice.append(key)
        seen.add(key)
    check(f"no (recipient, subject) arrived twice, {GRACE_SECONDS} s of scheduler rounds later", not twice,
          str(twice[:5]))
    check(f"nothing new arrived in the last {GRACE_SECONDS} s", len(envelopes) == first,
          f"{first} -> {len(envelopes)}")

    # A kind turned off before the server started is not sent; the others are.
    to_off = [m for m in messages if m["to"] == off_address]
    check(f"{off_name}, who turned check_in_due off, got no check-in reminder",
          not any(m["kind"] == "check_in_due" for m in to_off), str([m["subject"] for m in to_off]))
    check(f"{off_name} still got the overdue-activity reminders (only check-in reminders were turned off)",
          any(m["kind"] == "activity_overdue" for m in to_off), str([m["subject"] for m in to_off]))
    others = {m["to"] for m in check_ins} - {off_address}
    check("other delegates did get check-in reminders", bool(others))

    # Turning a kind off round-trips through the API, for someone who was reminded.
    someone = sorted(m["to"] for m in check_ins)[0]
    api.turn_off(api.sign_in(someone), someone, "activity_overdue")


if __name__ == "__main__":
    mode = sys.argv[1] if len(sys.argv) > 1 else ""
    if mode == "prepare":
        prepare()
    elif mode == "send":
        send()
    else:
        sys.exit("usage: mail_story.py prepare|send")

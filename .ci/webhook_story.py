"""Outgoing webhooks as a subscriber sees them, checked with the reference
verifier of the Standard Webhooks spec (the `standardwebhooks` package), not
with anything of ours.

Run by .ci/webhooks against a server on the demo data (`followup seed-demo`),
in one of two modes:

    webhook_story.py refuse   the server runs without
                              FOLLOWUP_WEBHOOK_ALLOW_PRIVATE: a webhook to a
                              loopback, private or link-local address is
                              refused with 422
    webhook_story.py deliver  the server runs with
                              FOLLOWUP_WEBHOOK_ALLOW_PRIVATE=true and a short
                              retry schedule: a receiver on 127.0.0.1 verifies
                              every delivery, fails one on purpose and checks
                              the retry, the delivery log, the redelivery, the
                              filters and what must never be sent

Environment: FOLLOWUP_URL (the server), FOLLOWUP_DEMO_PASSWORD (the password
every demo account was given). Prints "ok - …" or "not ok - …" per check and
exits non-zero when any check failed.
"""

import datetime
import json
import os
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
from standardwebhooks import Webhook, WebhookVerificationError

from story_support import Api, Checks, shown

BASE = os.environ["FOLLOWUP_URL"].rstrip("/")
PASSWORD = os.environ["FOLLOWUP_DEMO_PASSWORD"]
COORDINATOR = "minji.kim@followup.demo"
MENTOR = "yj.hong@followup.demo"
WAIT_SECONDS = 30
# After the expected deliveries arrived, how long an unexpected one gets to
# show up (the worker polls every 200 ms, the retry schedule is 1 s).
GRACE_SECONDS = 3

checks = Checks("webhooks")
check, require, finish = checks.check, checks.require, checks.finish


# --- the API ---------------------------------------------------------------

api = Api(httpx.Client(timeout=15.0, follow_redirects=False), BASE, PASSWORD, require)
request, call, items, sign_in, demo_program = api.request, api.call, api.items, api.sign_in, api.demo_program


def etag(token, path):
    """The ETag a resource's GET answers (for If-Match)."""
    tag = call(token, "GET", path, 200, f"GET {path}").headers.get("etag")
    require(f"GET {path} answers an ETag", bool(tag))
    return tag


def is_problem(response):
    return response.headers.get("content-type", "").startswith("application/problem+json")


# --- refuse: no webhook to a private address without the opt-in -----------


def refuse():
    coordinator = sign_in(COORDINATOR)
    program = demo_program(coordinator)
    before = items(coordinator, f"/programs/{program}/webhooks")
    private_urls = [
        "http://127.0.0.1:9/hook",
        "http://localhost:9/hook",
        "http://[::1]:9/hook",
        "http://10.0.0.1/hook",
        "http://169.254.169.254/latest/meta-data/",
    ]
    for url in private_urls:
        response = request(coordinator, "POST", f"/programs/{program}/webhooks", json={"url": url})
        fields = [e.get("field") for e in response.json().get("errors", [])] if is_problem(response) else []
        check(f"a webhook to {url} is refused with 422 problem+json naming `url`",
              response.status_code == 422 and is_problem(response) and "url" in fields, shown(response))
    after = items(coordinator, f"/programs/{program}/webhooks")
    check("no webhook was created", after == before, json.dumps(after)[:400])
    finish()


# --- deliver: the receiver -------------------------------------------------


class Receiver:
    """Records every request it gets, verified with the reference verifier.
    The first delivery of the first `check_in.posted` event at /hook/all
    answers 500 (so that event must be retried); everything else 204."""

    def __init__(self):
        self.lock = threading.Lock()
        self.secrets = {}  # path -> secret
        self.requests = []  # dicts: path, method, headers, body, verified, error, answered, at
        self.failed_once = None  # the webhook-id answered 500
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("content-length") or 0))
                self.send_response(receiver.record(self.command, self.path, dict(self.headers.items()), body))
                self.end_headers()

            do_GET = do_PUT = do_PATCH = do_DELETE = do_POST

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def url(self, path):
        return f"http://127.0.0.1:{self.port}{path}"

    def record(self, method, path, headers, body):
        headers = {k.lower(): v for k, v in headers.items()}
        entry = {"path": path, "method": method, "headers": headers, "body": body, "verified": False,
                 "error": None, "payload": None, "at": time.time()}
        secret = self.secrets.get(path)
        try:
            if secret is None:
                raise WebhookVerificationError(f"no webhook at {path}")
            payload = Webhook(secret).verify(body, headers)
            if not isinstance(payload, dict):
                raise ValueError("the body is not a JSON object")
            entry["payload"], entry["verified"] = payload, True
        except (WebhookVerificationError, ValueError) as e:
            entry["error"] = f"{type(e).__name__}: {e}"
        with self.lock:
            answer = 204
            if not entry["verified"] or method != "POST":
                answer = 400
            elif (path == "/hook/all" and self.failed_once is None
                  and entry["payload"].get("type") == "check_in.posted"):
                self.failed_once = headers["webhook-id"]
                answer = 500
            entry["answered"] = answer
            self.requests.append(entry)
        return answer

    def at(self, path):
        with self.lock:
            return [r for r in self.requests if r["path"] == path]

    def events(self, path):
        """Verified deliveries at `path`, by webhook-id (in arrival order)."""
        out = {}
        for r in self.at(path):
            if r["verified"]:
                out.setdefault(r["headers"]["webhook-id"], []).append(r)
        return out


def wait_for(what, condition, seconds=WAIT_SECONDS):
    deadline = time.time() + seconds
    while time.time() < deadline:
        if condition():
            return check(what, True)
        time.sleep(0.2)
    return check(what, False, f"not within {seconds} s")


def one_event(receiver, path, type_, entity_id):
    """The webhook-id of the verified delivery at `path` of `type_` about `entity_id`, or None."""
    for event_id, copies in receiver.events(path).items():
        data = copies[0]["payload"]
        if data.get("type") == type_ and data.get("data", {}).get("entity_id") == entity_id:
            return event_id
    return None


def deliver():
    receiver = Receiver()
    coordinator = sign_in(COORDINATOR)
    mentor = sign_in(MENTOR)
    program = demo_program(coordinator)
    members = {m["user_id"]: m for m in items(coordinator, f"/programs/{program}/members")}
    mentor_id = call(mentor, "GET", "/me", 200, "the mentor reads his account").json()["id"]

    # Who may manage a programme's webhooks: its coordinator (and admins).
    response = request(mentor, "POST", f"/programs/{program}/webhooks",
                       json={"url": receiver.url("/hook/all")})
    check("a mentor may not create a webhook (403)", response.status_code == 403 and is_problem(response),
          shown(response))
    response = request(coordinator, "POST", f"/programs/{program}/webhooks",
                       json={"url": "ftp://127.0.0.1/hook"})
    check("a webhook URL must be http(s) (422)", response.status_code == 422 and is_problem(response),
          shown(response))

    # Two subscriptions: every event type, and comments only.
    created = call(coordinator, "POST", f"/programs/{program}/webhooks", 201,
                   "the coordinator subscribes the receiver to every event",
                   json={"url": receiver.url("/hook/all"), "description": "CI receiver, every event"}).json()
    everything = created["id"]
    check("the new webhook shows its secret once, as whsec_…",
          str(created.get("secret", "")).startswith("whsec_"), json.dumps(created))
    check("the new webhook is enabled, for its programme, with every event type",
          created.get("enabled") is True and created.get("program_id") == program
          and created.get("event_types") in ([], None), json.dumps(created))
    receiver.secrets["/hook/all"] = created["secret"]
    comments_hook = call(coordinator, "POST", f"/programs/{program}/webhooks", 201,
                         "the coordinator subscribes a second receiver to comment.added only",
                         json={"url": receiver.url("/hook/comments"), "event_types": ["comment.added"]}).json()
    receiver.secrets["/hook/comments"] = comments_hook["secret"]
    check("the two webhooks have different secrets", comments_hook["secret"] != created["secret"])

    read = call(coordinator, "GET", f"/webhooks/{everything}", 200, "the webhook's GET").json()
    check("the webhook's GET does not show the secret", "secret" not in read or read["secret"] is None,
          json.dumps(read))
    listed = items(coordinator, f"/programs/{program}/webhooks")
    check("the programme lists both webhooks, without secrets",
          {everything, comments_hook["id"]} <= {w["id"] for w in listed}
          and all(w.get("secret") is None for w in listed), json.dumps(listed)[:400])

    # The demo's plans, as the coordinator sees them.
    def plans(status):
        return items(coordinator, "/plans", {"program_id": program, "status": status})

    drafts, submitted, active = plans("draft"), plans("submitted"), plans("active")
    require("the demo has two drafts, a submitted plan and an active one",
            len(drafts) >= 2 and bool(submitted) and bool(active))
    to_submit, still_draft, to_approve, reporting = drafts[0], drafts[1], submitted[0], active[0]

    def owner_of(plan):
        return members[plan["owner_id"]]["email"]

    # plan.submitted: a delegate submits her draft.
    delegate = sign_in(owner_of(to_submit))
    call(delegate, "POST", f"/plans/{to_submit['id']}/submit", 200, "a delegate submits a draft", json={})
    # plan.approved: the mentor approves a submitted plan.
    call(mentor, "POST", f"/plans/{to_approve['id']}/approve", 200, "the mentor approves a submitted plan",
         json={"reason": "A clear plan."})
    # check_in.posted: a delegate reports on an active plan (answered 500 once).
    reporter = sign_in(owner_of(reporting))
    yesterday = (datetime.datetime.now(datetime.timezone.utc).date() - datetime.timedelta(days=1)).isoformat()
    check_in = call(reporter, "POST", f"/plans/{reporting['id']}/check-ins", 201,
                    "a delegate posts a check-in on an active plan",
                    json={"reported_on": yesterday, "summary": "Webhook check-in.", "progress": "on_track",
                          "confidence": 7}).json()
    # Never sent: a mentors-only comment, and a comment on a draft.
    hidden = call(mentor, "POST", f"/plans/{reporting['id']}/comments", 201,
                  "the mentor comments for mentors only",
                  json={"body": "Mentors only: not for the funder.", "visibility": "mentors"}).json()
    on_draft = call(mentor, "POST", f"/plans/{still_draft['id']}/comments", 201,
                    "the mentor comments on a draft",
                    json={"body": "A note on the draft.", "visibility": "shared"}).json()
    # comment.added: a shared comment on an active plan.
    shared = call(mentor, "POST", f"/plans/{reporting['id']}/comments", 201, "the mentor comments, shared",
                  json={"body": "Keep the attendance sheets.", "visibility": "shared"}).json()

    expected = [
        ("plan.submitted", to_submit["id"]),
        ("plan.approved", to_approve["id"]),
        ("check_in.posted", check_in["id"]),
        ("comment.added", shared["id"]),
    ]
    wait_for("the receiver got plan.submitted, plan.approved, check_in.posted (twice) and comment.added",
             lambda: all(one_event(receiver, "/hook/all", t, e) for t, e in expected)
             and receiver.failed_once is not None
             and len(receiver.events("/hook/all").get(receiver.failed_once, [])) >= 2)
    wait_for("the comments-only receiver got the shared comment",
             lambda: one_event(receiver, "/hook/comments", "comment.added", shared["id"]))
    time.sleep(GRACE_SECONDS)

    everything_got = receiver.at("/hook/all")
    unverified = [r for r in receiver.requests if not r["verified"]]
    check("every request the receiver got verifies with standardwebhooks",
          receiver.requests and not unverified,
          "; ".join(f"{r['method']} {r['path']} {r['error']}" for r in unverified))
    check("every request was a POST of application/json with a v1 signature",
          all(r["method"] == "POST" and r["headers"].get("content-type", "").startswith("application/json")
              and r["headers"].get("webhook-signature", "").startswith("v1,") for r in receiver.requests),
          json.dumps([r["headers"] for r in receiver.requests])[:600])
    events = receiver.events("/hook/all")
    kinds = sorted(copies[0]["payload"]["type"] for copies in events.values())
    check("exactly the four expected events arrived, nothing for the mentors-only comment or the draft",
          kinds == sorted(t for t, _ in expected),
          json.dumps([c[0]["payload"] for c in events.values()])[:800])
    check("the mentors-only comment was never sent",
          all(r["body"].find(b"Mentors only") < 0 and r["body"].find(hidden["id"].encode()) < 0
              for r in receiver.requests))
    check("the comment on a draft was never sent",
          all(r["body"].find(on_draft["id"].encode()) < 0 for r in receiver.requests))
    comments_kinds = [c[0]["payload"]["type"] for c in receiver.events("/hook/comments").values()]
    check("the comments-only webhook got comment.added and nothing else", comments_kinds == ["comment.added"],
          json.dumps(comments_kinds))

    # What each event says.
    actor = {"plan.submitted": to_submit["owner_id"], "plan.approved": mentor_id,
             "check_in.posted": reporting["owner_id"], "comment.added": mentor_id}
    plan_of = {"plan.submitted": to_submit, "plan.approved": to_approve, "check_in.posted": reporting,
               "comment.added": reporting}
    entity = {"plan.submitted": "plan", "plan.approved": "plan", "check_in.posted": "check_in",
              "comment.added": "comment"}
    for type_, entity_id in expected:
        event_id = one_event(receiver, "/hook/all", type_, entity_id)
        body = events[event_id][0]["payload"] if event_id else {}
        data = body.get("data", {})
        plan = plan_of[type_]
        check(f"{type_} names its programme, plan, owner, actor and entity",
              data.get("program_id") == program and data.get("plan_id") == plan["id"]
              and data.get("owner_id") == plan["owner_id"] and data.get("actor_id") == actor[type_]
              and data.get("entity_type") == entity[type_] and data.get("entity_id") == entity_id,
              json.dumps(body))
        try:
            stamp = datetime.datetime.fromisoformat(body.get("timestamp", "").replace("Z", "+00:00"))
            recent = abs(time.time() - stamp.timestamp()) < 120
        except ValueError:
            recent = False
        check(f"{type_} carries an RFC 3339 timestamp of now", recent, str(body.get("timestamp")))

    # The reference verifier refuses what was not signed as received.
    sample = events[one_event(receiver, "/hook/all", "plan.approved", to_approve["id"]) or next(iter(events))][0]

    def refused(secret, body, headers):
        try:
            Webhook(secret).verify(body, headers)
            return False
        except WebhookVerificationError:
            return True

    tampered = sample["body"].replace(b"plan.approved", b"plan.completed")
    check("a tampered copy of a delivered body fails verification",
          tampered != sample["body"] and refused(created["secret"], tampered, sample["headers"]))
    check("a delivery does not verify with another webhook's secret",
          refused(comments_hook["secret"], sample["body"], sample["headers"]))
    check("a delivery does not verify under another webhook-id",
          refused(created["secret"], sample["body"], {**sample["headers"], "webhook-id": "msg_other"}))

    # The retry: same webhook-id, same event, logged as two attempts.
    retried = events.get(receiver.failed_once, [])
    check("the event answered 500 was sent again with the same webhook-id",
          len(retried) == 2 and [r["answered"] for r in retried] == [500, 204],
          json.dumps([(r["headers"].get("webhook-id"), r["answered"]) for r in retried]))
    check("both copies carry the same event",
          len(retried) == 2 and retried[0]["payload"] == retried[1]["payload"])
    others = [c for i, c in events.items() if i != receiver.failed_once]
    check("every other event was sent once", all(len(c) == 1 for c in others),
          json.dumps({i: len(c) for i, c in events.items()}))

    deliveries = items(coordinator, f"/webhooks/{everything}/deliveries")
    by_event = {d["event_id"]: d for d in deliveries}
    check("the delivery log holds one delivery per event, all succeeded",
          set(by_event) == set(events) and len(deliveries) == len(events)
          and all(d["status"] == "succeeded" for d in deliveries),
          json.dumps([(d["event_type"], d["status"], d["attempts"]) for d in deliveries]))

    def answers(delivery):
        """The response statuses of a delivery's attempts, oldest first."""
        return [a.get("response_status") for a in delivery.get("attempt_log") or []]

    failing = by_event.get(receiver.failed_once, {})
    check("the retried delivery's log shows 2 attempts: 500, then 204",
          failing.get("attempts") == 2 and answers(failing) == [500, 204], json.dumps(failing))
    check("the other deliveries' logs show 1 attempt each, answered 204",
          all(d.get("attempts") == 1 and answers(d) == [204]
              for d in deliveries if d["event_id"] != receiver.failed_once),
          json.dumps([d for d in deliveries if d["event_id"] != receiver.failed_once])[:800])
    check("each delivery names its webhook and event type, and when it was delivered",
          all(d["webhook_id"] == everything and d.get("delivered_at") and d["event_type"]
              == events[d["event_id"]][0]["payload"]["type"] for d in deliveries if d["event_id"] in events))
    check("status=failed lists nothing",
          items(coordinator, f"/webhooks/{everything}/deliveries", {"status": "failed"}) == [])
    check("status=succeeded lists the four",
          len(items(coordinator, f"/webhooks/{everything}/deliveries", {"status": "succeeded"})) == 4)

    # Redelivery: the approved plan's delivery, sent again.
    approved_id = one_event(receiver, "/hook/all", "plan.approved", to_approve["id"])
    approved = by_event.get(approved_id)
    require("the plan.approved delivery is in the log", approved is not None)
    again = call(coordinator, "POST", f"/webhook-deliveries/{approved['id']}/redeliver", 202,
                 "the coordinator asks for the plan.approved delivery again").json()
    check("a redelivery is pending again", again.get("status") == "pending", json.dumps(again))
    wait_for("the receiver got plan.approved a second time",
             lambda: len(receiver.events("/hook/all").get(approved_id, [])) >= 2)

    def redelivered():
        log = items(coordinator, f"/webhooks/{everything}/deliveries")
        d = next((x for x in log if x["id"] == approved["id"]), {})
        return d.get("status") == "succeeded" and d.get("attempts") == 2 and answers(d) == [204, 204]

    wait_for("the redelivered delivery is logged as succeeded, with 2 attempts", redelivered, seconds=10)
    copies = receiver.events("/hook/all").get(approved_id, [])
    check("the redelivery verifies and carries the same event",
          len(copies) == 2 and all(c["verified"] for c in copies)
          and copies[0]["payload"] == copies[1]["payload"])

    # A disabled webhook gets nothing; a deleted one is gone.
    response = request(coordinator, "PATCH", f"/webhooks/{comments_hook['id']}", json={"enabled": False})
    check("changing a webhook without If-Match is refused (428)", response.status_code == 428, shown(response))
    disabled = call(coordinator, "PATCH", f"/webhooks/{comments_hook['id']}", 200,
                    "the coordinator disables the comments webhook", json={"enabled": False},
                    headers={"if-match": etag(coordinator, f"/webhooks/{comments_hook['id']}")}).json()
    check("the webhook reads as disabled", disabled.get("enabled") is False, json.dumps(disabled))
    later = call(mentor, "POST", f"/plans/{reporting['id']}/comments", 201, "the mentor comments again",
                 json={"body": "One more thing.", "visibility": "shared"}).json()
    wait_for("the every-event receiver got the second comment",
             lambda: one_event(receiver, "/hook/all", "comment.added", later["id"]))
    time.sleep(GRACE_SECONDS)
    check("the disabled webhook did not get it",
          one_event(receiver, "/hook/comments", "comment.added", later["id"]) is None)
    call(coordinator, "DELETE", f"/webhooks/{comments_hook['id']}", 204, "the coordinator deletes it",
         headers={"if-match": etag(coordinator, f"/webhooks/{comments_hook['id']}")})
    call(coordinator, "GET", f"/webhooks/{comments_hook['id']}", 404, "a deleted webhook is gone")

    check("every request the receiver got verifies with standardwebhooks (to the end)",
          all(r["verified"] for r in receiver.requests))
    finish()


if __name__ == "__main__":
    mode = sys.argv[1] if len(sys.argv) > 1 else ""
    if mode == "refuse":
        refuse()
    elif mode == "deliver":
        deliver()
    else:
        print(__doc__)
        sys.exit(2)

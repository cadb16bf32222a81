"""What the CI stories (.ci/*_story.py) share: their checks, printed "ok - …"
or "not ok - …" with a tally at the end, and calls to the API with a bearer
token on the demo data (`followup seed-demo`).

Imported by the stories: Python puts a script's own folder (.ci/) first on
its path, so `python .ci/mail_story.py` finds it. It needs nothing outside the
standard library: each story brings its own HTTP client (an `httpx.Client` or
a `requests.Session`: both have `.request`).
"""

import sys
from urllib.parse import urlsplit

# The programme `followup seed-demo` creates.
PROGRAM_CODE = "ITP-2023-IDN-YOUTH"


class Checks:
    """The story's checks: each printed "ok - WHAT" or "not ok - WHAT: DETAIL";
    `finish` prints "NAME: P passed, F failed" and exits, non-zero when any
    failed. With `stop_at_first_failure`, the first check that fails ends the
    story."""

    def __init__(self, name, stop_at_first_failure=False):
        self.name = name
        self.stop_at_first_failure = stop_at_first_failure
        self.passed = 0
        self.failed = 0

    def check(self, what, ok, detail=""):
        if ok:
            self.passed += 1
            print(f"ok - {what}", flush=True)
        else:
            self.failed += 1
            print(f"not ok - {what}" + (f": {detail}" if detail else ""), flush=True)
            if self.stop_at_first_failure:
                self.finish()
        return ok

    def require(self, what, ok, detail=""):
        """A check the rest of the story depends on: stop when it fails."""
        if not self.check(what, ok, detail):
            print("# the story cannot go on")
            self.finish()

    def finish(self):
        print(f"{self.name}: {self.passed} passed, {self.failed} failed", flush=True)
        sys.exit(1 if self.failed else 0)


def shown(response):
    """A response in one line, for the detail of a failed check."""
    url = urlsplit(str(response.request.url))
    path = url.path + (f"?{url.query}" if url.query else "")
    return f"{response.request.method} {path} -> {response.status_code} {response.text[:400]}"


class Api:
    """The API under BASE/api/v1 through `session`, with `options` passed on
    every request (what the session does not set itself); a failed call the
    story depends on is a failed `require`."""

    def __init__(self, session, base, password, require, **options):
        self.session = session
        self.url = f"{base.rstrip('/')}/api/v1"
        self.password = password
        self.require = require
        self.options = options

    def request(self, token, method, path, **kwargs):
        """A request to `path` under the API, or to a whole URL; with the
        token when there is one."""
        headers = dict(kwargs.pop("headers", {}))
        if token:
            headers["authorization"] = f"Bearer {token}"
        url = path if path.startswith("http") else f"{self.url}{path}"
        return self.session.request(method, url, headers=headers, **self.options, **kwargs)

    def call(self, token, method, path, expect, what, **kwargs):
        """The response of a request that must answer `expect`; stops the story
        if it does not (later steps would only fail for the same reason)."""
        response = self.request(token, method, path, **kwargs)
        self.require(what, response.status_code == expect, shown(response))
        return response

    def items(self, token, path, params=None):
        """Every item of a paged list (a failure stops the story)."""
        out, params = [], dict(params or {}, limit=200)
        while True:
            response = self.request(token, "GET", path, params=params)
            if response.status_code != 200:
                self.require(f"GET {path} lists", False, shown(response))
            page = response.json()
            out.extend(page["items"])
            if not page.get("next_cursor"):
                return out
            params["cursor"] = page["next_cursor"]

    def sign_in(self, email):
        """The access token of a demo account."""
        response = self.request(None, "POST", "/auth/login", json={"email": email, "password": self.password})
        self.require(f"{email} signs in", response.status_code == 200, shown(response))
        return response.json()["access_token"]

    def demo_program(self, token):
        """The id of the demo programme, as `token` sees it."""
        programmes = [p for p in self.items(token, "/programs") if p["code"] == PROGRAM_CODE]
        self.require(f"the demo programme {PROGRAM_CODE} is there", len(programmes) == 1)
        return programmes[0]["id"]

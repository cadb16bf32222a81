"""The outcome report as a browser shows it: Debian's Chromium, driven
headless by Playwright (the PyPI package, with `executable_path`; it never
downloads a browser of its own), opens the demo programme's
`outcome-report.html` as the funder (the demo's observer, KOICA), once in
Indonesian and once in English, with the access token in an extra HTTP
header.

Run by .ci/report against a server on the demo data (`followup seed-demo`).

Checks, per language: the page answers 200 with a Content-Security-Policy
that allows no script; no console error and no page error (a blocked
resource or a CSP violation is a console error); every request the page
made (all are recorded) went to the server's own host and port, and there
was no request but the page itself; the rendered page has `lang` set, at
least four SVG charts with `role="img"` and a title, each drawn with a
non-zero size, and no <script>; the figures of its `data-figure` cells are
the JSON report's; a full-page screenshot (PNG) and an A4 PDF (print media)
are saved and their paths printed.

Environment: FOLLOWUP_URL (the server), FOLLOWUP_DEMO_PASSWORD (the
password every demo account was given), FOLLOWUP_SCREENSHOTS (the folder for
the screenshots), CHROMIUM (the browser, default /usr/bin/chromium). Prints
"ok - …" per check; the first check that fails prints "not ok - …" with what
was seen and exits 1.
"""

import json
import os
import tempfile
import urllib.request
from urllib.parse import urlsplit

from playwright.sync_api import sync_playwright

from story_support import PROGRAM_CODE, Checks

BASE = os.environ["FOLLOWUP_URL"].rstrip("/")
API = f"{BASE}/api/v1"
PASSWORD = os.environ["FOLLOWUP_DEMO_PASSWORD"]
SHOTS = os.environ["FOLLOWUP_SCREENSHOTS"]
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
OBSERVER = "soojin.lee@followup.demo"
TIMEOUT = 30
# What this machine's Chromium needs to start headless in a container, and
# nothing that would reach out on its own.
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
TITLES = {"en": "Plans by status", "id": "Rencana aksi menurut status"}

checks = Checks("report", stop_at_first_failure=True)
check, finish = checks.check, checks.finish


def api(method, path, token=None, body=None, language=None):
    """(status, headers, parsed JSON) of an API call."""
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(f"{API}{path}", data=data, method=method)
    if data is not None:
        request.add_header("content-type", "application/json")
    if token:
        request.add_header("authorization", f"Bearer {token}")
    if language:
        request.add_header("accept-language", language)
    with urllib.request.urlopen(request, timeout=TIMEOUT) as response:
        return response.status, response.headers, json.loads(response.read() or b"null")


def json_figures(report):
    """The JSON report's figures by the keys the page's `data-figure` cells use."""
    out = {"delegates": report["delegates"], "plans.total": report["plans"]["total"]}
    out.update({f"plans.{k}": v for k, v in report["plans"]["by_status"].items()})
    out.update({f"activities.{k}": v for k, v in report["activities"].items()})
    indicators = report["indicators"]
    out["indicators.total"] = indicators["total"]
    out["indicators.target_changed"] = indicators["target_changed"]
    for against, prefix in (("against_original", "original"), ("against_current", "current")):
        out.update({f"indicators.{prefix}.{k}": v for k, v in indicators[against].items()})
    out.update({f"check_ins.{k}": v for k, v in report["check_ins"].items() if k != "delegates"})
    for d in report["check_ins"]["delegates"]:
        for k, v in d.items():
            if k not in ("user_id", "display_name"):
                out[f"check_ins.delegate.{d['user_id']}.{k}"] = v
    out.update({f"change_requests.{k}": v for k, v in report["change_requests"].items()})
    for r in report["surveys"]:
        prefix = f"surveys.{r['round_id']}"
        out.update({f"{prefix}.{k}": r[k] for k in ("delegates", "responses", "response_rate")})
        for q in r["questions"]:
            key = f"{prefix}.{q['key']}"
            out[f"{key}.answered"] = q["answered"]
            measures = {"scale": ("mean",), "number": ("mean", "min", "max")}.get(q["kind"], ())
            out.update({f"{key}.{m}": q[m] for m in measures})
            out.update({f"{key}.count.{b['value']}": b["count"] for b in q["distribution"]})
    return {k: "" if v is None else str(v) for k, v in out.items()}


def same_value(json_text, page_text):
    """A number as JSON and as the page writes it (`0.5` and `0.5`, `3` and `3`)."""
    if json_text == page_text:
        return True
    try:
        return float(json_text) == float(page_text)
    except ValueError:
        return False


def main():
    status, _, tokens = api("POST", "/auth/login", body={"email": OBSERVER, "password": PASSWORD})
    check("the funder (the demo's observer) signs in", status == 200)
    token = tokens["access_token"]
    _, _, programs = api("GET", "/programs?limit=200", token)
    program = next((p for p in programs["items"] if p["code"] == PROGRAM_CODE), None)
    check(f"the observer sees the demo programme {PROGRAM_CODE}", program is not None, json.dumps(programs)[:300])
    page_url = f"{API}/programs/{program['id']}/outcome-report.html"
    server = urlsplit(BASE).netloc
    os.makedirs(SHOTS, exist_ok=True)

    with sync_playwright() as playwright, tempfile.TemporaryDirectory(prefix="report-chromium-") as profile:
        # A fresh profile for every run (Playwright passes it as --user-data-dir).
        context = playwright.chromium.launch_persistent_context(
            profile, executable_path=CHROMIUM, headless=True, args=FLAGS, viewport={"width": 1024, "height": 900}
        )
        print(f"# browser: Chromium {context.browser.version if context.browser else '(persistent context)'}")
        try:
            for language in ("id", "en"):
                _, _, report = api("GET", f"/programs/{program['id']}/outcome-report", token, language=language)
                page = context.new_page()
                requests, problems = [], []
                page.on("request", lambda r: requests.append(r.url))
                page.on("console", lambda m: problems.append(f"console {m.type}: {m.text}") if m.type == "error" else None)
                page.on("pageerror", lambda e: problems.append(f"page error: {e}"))
                page.set_extra_http_headers({"authorization": f"Bearer {token}", "accept-language": language})
                response = page.goto(page_url, wait_until="load", timeout=TIMEOUT * 1000)
                page.wait_for_timeout(500)  # anything late (a lazy request, an error) shows up here
                csp = (response.headers.get("content-security-policy") or "") if response else ""
                check(f"[{language}] the page answers 200", response is not None and response.status == 200)
                check(
                    f"[{language}] its Content-Security-Policy allows no script: {csp}",
                    csp.startswith("default-src 'none'") and "script-src" not in csp,
                )
                check(f"[{language}] Content-Language is {language}", response.headers.get("content-language") == language)
                check(f"[{language}] no console error and no page error", not problems, "; ".join(problems))
                foreign = [u for u in requests if urlsplit(u).netloc != server]
                check(f"[{language}] no request leaves {server} ({len(requests)} recorded)", not foreign, ", ".join(foreign))
                check(f"[{language}] the page is the only request", requests == [page_url], ", ".join(requests))
                check(f"[{language}] <html lang> is {language}", page.evaluate("document.documentElement.lang") == language)
                charts = page.evaluate(
                    """() => [...document.querySelectorAll('svg')].map(s => {
                        const r = s.getBoundingClientRect();
                        return { role: s.getAttribute('role'), title: s.querySelector('title')?.textContent || '',
                                 width: r.width, height: r.height };
                    })"""
                )
                check(f"[{language}] at least four SVG charts in the rendered page ({len(charts)})", len(charts) >= 4)
                check(
                    f"[{language}] every chart is an image with a title and a size",
                    all(c["role"] == "img" and c["title"] and c["width"] > 100 and c["height"] > 100 for c in charts),
                    json.dumps(charts),
                )
                check(f"[{language}] the first chart is titled {TITLES[language]!r}", charts[0]["title"] == TITLES[language])
                check(f"[{language}] no script element", page.evaluate("document.scripts.length") == 0)
                shown = dict(
                    page.evaluate(
                        "() => [...document.querySelectorAll('[data-figure]')].map(e => [e.dataset.figure, e.dataset.value])"
                    )
                )
                expected = json_figures(report)
                check(f"[{language}] the page shows every figure of the JSON ({len(expected)})", set(shown) == set(expected),
                      f"only in the page: {sorted(set(shown) - set(expected))}; only in JSON: {sorted(set(expected) - set(shown))}")
                wrong = [k for k in expected if not same_value(expected[k], shown[k])]
                check(f"[{language}] with the JSON's values", not wrong, ", ".join(f"{k}: {expected[k]} vs {shown[k]}" for k in wrong))
                shot = os.path.join(SHOTS, f"outcome-report-{language}.png")
                page.screenshot(path=shot, full_page=True)
                check(f"[{language}] full-page screenshot saved: {shot}", os.path.getsize(shot) > 10_000)
                page.emulate_media(media="print")
                pdf = os.path.join(SHOTS, f"outcome-report-{language}.pdf")
                page.pdf(path=pdf, format="A4", print_background=True)
                check(f"[{language}] printed to A4: {pdf}", os.path.getsize(pdf) > 10_000)
                page.close()
        finally:
            context.close()
    finish()


if __name__ == "__main__":
    main()

"""Evidence files as a phone on a weak link sends them: a real tus client
(the `tuspy` package, `tusclient`), not anything of ours, uploads a 5 MB PDF
to a check-in in 1 MiB chunks, is dropped halfway as if the app was killed,
and a new client resumes the same upload from where the server says it
stands.

Run by .ci/files against a server on the demo data (`followup seed-demo`),
once per store:

    files_story.py file://DIR              the server keeps files in DIR
    files_story.py s3://BUCKET/PREFIX      the server keeps files in an
                                           S3-compatible store (SeaweedFS),
                                           listed and read here with signed
                                           requests (curl --aws-sigv4)

Checks, in order: a delegate who owns an active plan posts a check-in; the
first half of the chunks is sent and the server's offset is what was sent;
a new client and uploader for the same upload URL ask the server (HEAD) and
finish; the attachment has the file's size and SHA-256, the same upload URL
and one file on the check-in; the download with the token and through the
tokenless `download_url` are the file's bytes; another delegate (not the
owner, not a mentor of the owner) gets 404 for the details and the content;
the bytes are in the store (one object of the file's size and SHA-256, no
upload parts left); an upload terminated with DELETE is gone (HEAD 404, its
parts removed, tuspy cannot resume it).

Environment: FOLLOWUP_URL (the server), FOLLOWUP_DEMO_PASSWORD (the password
every demo account was given); for s3://, FOLLOWUP_S3_ENDPOINT,
AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and AWS_REGION. Prints "ok - …" per
check; the first check that fails prints "not ok - …" with what was seen and
exits 1.
"""

import datetime
import hashlib
import json
import os
import random
import subprocess
import sys
import tempfile
import traceback
import xml.etree.ElementTree as ET
from urllib.parse import urljoin

import requests
from tusclient import client as tus
from tusclient.exceptions import TusCommunicationError

from story_support import Api, Checks, shown

BASE = os.environ["FOLLOWUP_URL"].rstrip("/")
API = f"{BASE}/api/v1"
PASSWORD = os.environ["FOLLOWUP_DEMO_PASSWORD"]
COORDINATOR = "minji.kim@followup.demo"
FILE_NAME = "Daftar hadir Kupang.pdf"
SIZE = 5_000_000  # bytes: 5 MB
CHUNK = 1024 * 1024  # 1 MiB, as a phone on a weak link would send
CHUNKS = -(-SIZE // CHUNK)  # 5: four of 1 MiB and the rest
FIRST_HALF = CHUNKS // 2  # sent before the app is "killed"
TIMEOUT = 30

checks = Checks("files", stop_at_first_failure=True)
check, finish = checks.check, checks.finish


def attempt(what, action):
    """The result of `action`, or a failed check naming what it raised."""
    try:
        return action()
    except Exception as e:  # noqa: BLE001 — any failure of the client is the check's failure
        check(what, False, f"{type(e).__name__}: {e}")


# --- the API ---------------------------------------------------------------

http = requests.Session()
api = Api(http, BASE, PASSWORD, check, timeout=TIMEOUT, allow_redirects=False)
request, call, items, sign_in = api.request, api.call, api.items, api.sign_in


def tus_head(token, url):
    return request(token, "HEAD", url, headers={"tus-resumable": "1.0.0"})


# --- the store, seen directly ----------------------------------------------


class DirectoryStore:
    """file://DIR: files under DIR/files, upload parts under DIR/uploads."""

    def __init__(self, url):
        self.dir = url[len("file://"):]
        self.described = f"the directory {self.dir}"
        self.listing = f"{self.dir}/files"

    def _walk(self, sub):
        out = {}
        top = os.path.join(self.dir, sub)
        for folder, _, names in os.walk(top):
            for name in names:
                path = os.path.join(folder, name)
                out[os.path.relpath(path, self.dir)] = os.path.getsize(path)
        return out

    def files(self):
        return self._walk("files")

    def uploads(self, upload_id):
        return self._walk(os.path.join("uploads", upload_id))

    def read(self, key):
        with open(os.path.join(self.dir, key), "rb") as f:
            return f.read()


class S3Store:
    """s3://BUCKET/PREFIX, listed and read with curl's AWS Signature V4."""

    NS = {"s3": "http://s3.amazonaws.com/doc/2006-03-01/"}

    def __init__(self, url):
        self.bucket, _, prefix = url[len("s3://"):].partition("/")
        self.prefix = prefix.strip("/")
        self.endpoint = os.environ["FOLLOWUP_S3_ENDPOINT"].rstrip("/")
        self.sigv4 = f"aws:amz:{os.environ.get('AWS_REGION', 'us-east-1')}:s3"
        self.user = f"{os.environ['AWS_ACCESS_KEY_ID']}:{os.environ['AWS_SECRET_ACCESS_KEY']}"
        self.described = f"SeaweedFS at {self.endpoint}, bucket {self.bucket}"
        self.listing = f"the signed listing of {self.bucket}?list-type=2&prefix={self.prefix}/files/"

    def _curl(self, url):
        done = subprocess.run(
            ["curl", "-sS", "--max-time", "30", "--fail-with-body", "--aws-sigv4", self.sigv4,
             "--user", self.user, url],
            capture_output=True, check=False)
        if done.returncode != 0:
            raise RuntimeError(f"curl {url}: exit {done.returncode}: {done.stderr.decode()[:300]} "
                               f"{done.stdout[:300]!r}")
        return done.stdout

    def _list(self, prefix):
        out, token = {}, None
        while True:
            # The prefix percent-encoded ("/" as %2F): curl 7.88's signature
            # takes the query as written, and S3 signs it encoded.
            url = f"{self.endpoint}/{self.bucket}?list-type=2&prefix={requests.utils.quote(prefix, safe='')}"
            if token:
                url += f"&continuation-token={requests.utils.quote(token, safe='')}"
            root = ET.fromstring(self._curl(url))
            for entry in root.findall("s3:Contents", self.NS):
                out[entry.findtext("s3:Key", namespaces=self.NS)] = int(entry.findtext("s3:Size", namespaces=self.NS))
            if root.findtext("s3:IsTruncated", namespaces=self.NS) != "true":
                return out
            token = root.findtext("s3:NextContinuationToken", namespaces=self.NS)

    def files(self):
        return self._list(f"{self.prefix}/files/")

    def uploads(self, upload_id):
        return self._list(f"{self.prefix}/uploads/{upload_id}/")

    def read(self, key):
        return self._curl(f"{self.endpoint}/{self.bucket}/{key}")


# --- the story ---------------------------------------------------------------


def demo_people():
    """The owner of an active plan, that plan, and another delegate who is
    neither the owner nor a mentor of the owner (as the coordinator sees
    the programme)."""
    coordinator = sign_in(COORDINATOR)
    program = api.demo_program(coordinator)
    members = {m["user_id"]: m for m in items(coordinator, f"/programs/{program}/members")}
    active = items(coordinator, "/plans", {"program_id": program, "status": "active"})
    check("the demo has an active plan", bool(active))
    plan = active[0]
    owner = members[plan["owner_id"]]
    mentors_of_owner = {m["mentor_id"] for m in items(coordinator, f"/programs/{program}/mentorships")
                        if m["delegate_id"] == owner["user_id"]}
    others = sorted((m for m in members.values()
                     if m["role"] == "delegate" and m["user_id"] != owner["user_id"]
                     and m["user_id"] not in mentors_of_owner and m.get("email")),
                    key=lambda m: m["email"])
    check("the demo has another delegate, not the owner's mentor", bool(others))
    return plan, owner, others[0]


def pdf_bytes():
    """A PDF by its first bytes (`%PDF-1.7`), the rest pseudo-random."""
    head = b"%PDF-1.7\n"
    return head + random.Random(20260514).randbytes(SIZE - len(head))


def story(store, workdir):
    print(f"# store: {store.described}")
    plan, owner, other = demo_people()
    print(f"# owner {owner['email']} (plan {plan['id']}), other delegate {other['email']}")
    token = sign_in(owner["email"])
    yesterday = (datetime.datetime.now(datetime.timezone.utc).date() - datetime.timedelta(days=1)).isoformat()
    check_in = call(token, "POST", f"/plans/{plan['id']}/check-ins", 201,
                    f"{owner['email']}, the owner of an active plan, posts a check-in",
                    json={"reported_on": yesterday, "summary": "Attendance list of the Kupang workshop.",
                          "progress": "on_track", "confidence": 8}).json()["id"]
    check(f"{store.listing} shows no object yet", store.files() == {}, json.dumps(store.files()))

    data = pdf_bytes()
    digest = hashlib.sha256(data).hexdigest()
    path = os.path.join(workdir, FILE_NAME)
    with open(path, "wb") as f:
        f.write(data)
    creation_url = f"{API}/check-ins/{check_in}/uploads"

    # The first half: a client, an uploader, the first chunks; then the app
    # is "killed": the file, the uploader and the client are dropped.
    stream = open(path, "rb")
    client = tus.TusClient(creation_url, headers={"Authorization": f"Bearer {token}"})
    uploader = client.uploader(file_stream=stream, chunk_size=CHUNK, metadata={"filename": FILE_NAME},
                               upload_checksum=True)
    for n in range(FIRST_HALF):
        attempt(f"tuspy sends chunk {n + 1} of {CHUNKS}", uploader.upload_chunk)
    upload_url = uploader.url
    sent = uploader.offset
    check(f"tuspy created the upload at /api/v1/uploads/… (Location, resolved: {upload_url})",
          bool(upload_url) and upload_url.startswith(f"{API}/uploads/"), str(upload_url))
    check(f"tuspy sent {FIRST_HALF} chunks of 1 MiB with sha1 Upload-Checksum: its offset is {FIRST_HALF * CHUNK}",
          sent == FIRST_HALF * CHUNK, str(sent))
    head = tus_head(token, upload_url)
    check(f"HEAD: the server's Upload-Offset is what was sent ({sent}), Upload-Length {SIZE}",
          head.status_code == 200 and head.headers.get("upload-offset") == str(sent)
          and head.headers.get("upload-length") == str(SIZE),
          f"{head.status_code} {dict(head.headers)}")
    upload_id = upload_url.rstrip("/").rsplit("/", 1)[-1]
    parts = store.uploads(upload_id)
    check(f"the sent half is in {store.described}: {len(parts)} upload parts, {sum(parts.values())} bytes",
          sum(parts.values()) == sent, json.dumps(parts))
    del uploader, client
    stream.close()

    # A new app: a new sign-in, a new client, a new uploader for the same
    # upload URL; tuspy asks the server where it stands (HEAD) and finishes.
    token = sign_in(owner["email"])
    stream = open(path, "rb")
    client = tus.TusClient(creation_url, headers={"Authorization": f"Bearer {token}"})
    resumed = attempt("a new tuspy uploader for the same upload URL asks the server for the offset (HEAD)",
                      lambda: client.uploader(file_stream=stream, chunk_size=CHUNK, url=upload_url,
                                              upload_checksum=True))
    check(f"the new uploader resumes at the server's offset, {sent}", resumed.offset == sent, str(resumed.offset))
    chunks = 0
    while resumed.offset < SIZE and chunks <= CHUNKS:
        attempt(f"tuspy sends chunk {FIRST_HALF + chunks + 1} of {CHUNKS}", resumed.upload_chunk)
        chunks += 1
    stream.close()
    check(f"the upload finished in {chunks} more chunks, at offset {SIZE}",
          resumed.offset == SIZE and chunks == CHUNKS - FIRST_HALF, f"{resumed.offset} after {chunks}")
    check("the resumed uploader used the same upload URL (no second upload)", resumed.url == upload_url,
          f"{resumed.url} != {upload_url}")
    last = resumed.request.response_headers
    attachment_id = last.get("followup-attachment-id")
    check("the last PATCH names the attachment: Followup-Attachment-Id and Content-Location",
          bool(attachment_id) and last.get("content-location") == f"/api/v1/attachments/{attachment_id}",
          json.dumps(last))
    head = tus_head(token, upload_url)
    check("a finished upload is forgotten: HEAD answers 404", head.status_code == 404,
          f"{head.status_code} {dict(head.headers)}")

    details = call(token, "GET", f"/attachments/{attachment_id}", 200, "the owner reads the attachment").json()
    check(f"the attachment is {SIZE} bytes with the file's SHA-256 ({digest[:16]}…)",
          details.get("size_bytes") == SIZE and details.get("sha256") == digest, json.dumps(details))
    check("the attachment is application/pdf named as sent, on the check-in",
          details.get("content_type") == "application/pdf" and details.get("file_name") == FILE_NAME
          and details.get("parent_type") == "check_in" and details.get("parent_id") == check_in
          and details.get("plan_id") == plan["id"] and details.get("uploaded_by") == owner["user_id"],
          json.dumps(details))
    listed = items(token, f"/check-ins/{check_in}/attachments")
    check("the check-in lists exactly this one file", [a["id"] for a in listed] == [attachment_id],
          json.dumps(listed)[:400])

    content = request(token, "GET", f"/attachments/{attachment_id}/content")
    check("the download with the token is byte-identical to the file",
          content.status_code == 200 and content.content == data,
          f"{content.status_code}, {len(content.content)} bytes, sha256 {hashlib.sha256(content.content).hexdigest()}")
    check("the download is a PDF attachment, nosniff",
          content.headers.get("content-type") == "application/pdf"
          and content.headers.get("content-disposition", "").startswith("attachment;")
          and content.headers.get("x-content-type-options") == "nosniff", json.dumps(dict(content.headers)))
    link = details.get("download_url", "")
    signed = http.get(urljoin(BASE, link), timeout=TIMEOUT, allow_redirects=False)
    check("the download through the tokenless download_url is byte-identical to the file",
          signed.status_code == 200 and signed.content == data and "authorization" not in signed.request.headers,
          f"{signed.status_code}, {len(signed.content)} bytes")
    bare = http.get(f"{API}/attachments/{attachment_id}/content", timeout=TIMEOUT)
    check("without a token or a signed link the content is refused (401)", bare.status_code == 401, shown(bare))

    stranger = sign_in(other["email"])
    for where, what in ((f"/attachments/{attachment_id}", "details"),
                        (f"/attachments/{attachment_id}/content", "content")):
        response = request(stranger, "GET", where)
        check(f"another delegate ({other['email']}) gets 404 for the attachment's {what}",
              response.status_code == 404 and response.content != data, shown(response))
    response = request(stranger, "GET", f"/check-ins/{check_in}/attachments")
    check("another delegate gets 404 for the check-in's file list", response.status_code == 404, shown(response))

    stored = store.files()
    key = next(iter(stored), None)
    check(f"{store.listing} shows one object, {key}, of {SIZE} bytes",
          len(stored) == 1 and list(stored.values()) == [SIZE], json.dumps(stored))
    kept = attempt(f"the stored object {key} is read back", lambda: store.read(key))
    check(f"the bytes stored at {key} are the file's (SHA-256)", hashlib.sha256(kept).hexdigest() == digest,
          hashlib.sha256(kept).hexdigest())
    check("no upload parts are left behind", store.uploads(upload_id) == {}, json.dumps(store.uploads(upload_id)))

    # A second upload, given up: one chunk, then DELETE (tus termination).
    stream = open(path, "rb")
    client = tus.TusClient(creation_url, headers={"Authorization": f"Bearer {token}"})
    doomed = client.uploader(file_stream=stream, chunk_size=CHUNK, metadata={"filename": "given up.pdf"})
    attempt("tuspy starts a second upload and sends one chunk", doomed.upload_chunk)
    doomed_id = doomed.url.rstrip("/").rsplit("/", 1)[-1]
    check("the second upload's chunk is stored", sum(store.uploads(doomed_id).values()) == CHUNK,
          json.dumps(store.uploads(doomed_id)))
    head = tus_head(stranger, doomed.url)
    check("another delegate gets 404 for the upload (HEAD)", head.status_code == 404,
          f"{head.status_code} {dict(head.headers)}")
    gone = request(token, "DELETE", doomed.url, headers={"tus-resumable": "1.0.0"})
    check("DELETE terminates the upload (204)", gone.status_code == 204, shown(gone))
    head = tus_head(token, doomed.url)
    check("the terminated upload is gone: HEAD answers 404", head.status_code == 404,
          f"{head.status_code} {dict(head.headers)}")
    again = request(token, "PATCH", doomed.url, data=data[CHUNK:2 * CHUNK],
                    headers={"tus-resumable": "1.0.0", "upload-offset": str(CHUNK),
                             "content-type": "application/offset+octet-stream"})
    check("a PATCH to the terminated upload answers 404", again.status_code == 404, shown(again))
    try:
        client.uploader(file_stream=stream, chunk_size=CHUNK, url=doomed.url)
        refused = "tuspy resumed it"
    except TusCommunicationError as e:
        refused = e.status_code
    check("tuspy cannot resume the terminated upload (HEAD 404)", refused == 404, str(refused))
    stream.close()
    check("the terminated upload's parts are removed", store.uploads(doomed_id) == {},
          json.dumps(store.uploads(doomed_id)))
    listed = items(token, f"/check-ins/{check_in}/attachments")
    check("the check-in still lists just the one file", [a["id"] for a in listed] == [attachment_id],
          json.dumps(listed)[:400])
    check(f"{store.listing} still shows just the one object", store.files() == stored, json.dumps(store.files()))

    finish()


def main():
    where = sys.argv[1] if len(sys.argv) > 1 else ""
    if where.startswith("file://"):
        store = DirectoryStore(where)
    elif where.startswith("s3://"):
        store = S3Store(where)
    else:
        sys.exit("usage: files_story.py file://DIR | s3://BUCKET/PREFIX")
    try:
        with tempfile.TemporaryDirectory(prefix="files-story-") as workdir:
            story(store, workdir)
    except Exception:  # noqa: BLE001 — anything unexpected fails the story, with its traceback
        traceback.print_exc()
        check("the story ran to its end", False, "it raised (traceback above)")


if __name__ == "__main__":
    main()

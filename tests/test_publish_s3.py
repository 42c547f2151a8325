"""`briefgen publish --s3` against a real S3 (and CloudFront) API on 127.0.0.1: moto's standalone server
in a subprocess, with IAM checks on, so wrong credentials and a denied object fail as they would on AWS.
The CLI runs in a subprocess and talks to it over HTTP through boto3. Buckets are versioned, so the
server's own record (one version per PUT) says exactly what each publish wrote."""

from __future__ import annotations

import hashlib
import json
import os
import re
import socket
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

import pytest
from conftest import run_cli

boto3 = pytest.importorskip("boto3")
pytest.importorskip("moto.server")

from briefgen.publish.s3 import cdn  # noqa: E402
from briefgen.publish.s3.client import S3  # noqa: E402
from briefgen.publish.s3.plan import S3Plan  # noqa: E402
from briefgen.publish.s3.sync import upload_steps  # noqa: E402

ARTICLE = "content/articles/2025-02-23-kryvyi-rih-missile-strike.md"
ALLOW_ALL = {"Effect": "Allow", "Action": "*", "Resource": "*"}


@dataclass
class Server:
    url: str
    key: str
    secret: str

    def client(self, service: str = "s3", secret: str | None = None):
        return boto3.client(
            service,
            endpoint_url=self.url,
            aws_access_key_id=self.key,
            aws_secret_access_key=secret or self.secret,
            region_name="us-east-1",
        )

    def policy(self, *statements: dict) -> None:
        doc = {"Version": "2012-10-17", "Statement": [ALLOW_ALL, *statements]}
        self.client("iam").put_user_policy(UserName="desk", PolicyName="publish", PolicyDocument=json.dumps(doc))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_moto(log_dir: Path, iam: bool):
    """moto's server in a subprocess. With ``iam``, requests must be signed by a user it knows, within that
    user's policy; its first three requests (unauthenticated) make that user."""
    port = free_port()
    env = dict(os.environ, AWS_ACCESS_KEY_ID="boot", AWS_SECRET_ACCESS_KEY="boot")
    if iam:
        env["INITIAL_NO_AUTH_ACTION_COUNT"] = "3"
    log = open(log_dir / "moto.log", "wb")
    proc = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)], env=env, stdout=log, stderr=log
    )
    url = f"http://127.0.0.1:{port}"
    for _ in range(100):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            break
        except OSError:
            time.sleep(0.1)
    srv = Server(url, "desk-key", "desk-secret")
    if iam:
        client = Server(url, "boot", "boot").client("iam")
        client.create_user(UserName="desk")
        key = client.create_access_key(UserName="desk")["AccessKey"]
        srv = Server(url, key["AccessKeyId"], key["SecretAccessKey"])
        srv.policy()
    return proc, log, srv


@pytest.fixture(scope="session")
def server(tmp_path_factory):
    """S3 and CloudFront as moto serves them, any credentials accepted."""
    proc, log, srv = start_moto(tmp_path_factory.mktemp("moto"), iam=False)
    yield srv
    proc.terminate()
    proc.wait(timeout=10)
    log.close()


@pytest.fixture(scope="session")
def iam_server(tmp_path_factory):
    """The same with IAM checks on: wrong credentials are refused, a policy can deny one object.
    (Used with buckets at the root: moto's signature check rejects a listing whose prefix holds a ``/``.)"""
    proc, log, srv = start_moto(tmp_path_factory.mktemp("moto-iam"), iam=True)
    yield srv
    proc.terminate()
    proc.wait(timeout=10)
    log.close()


def make_bucket(server: Server) -> str:
    name = f"desk-{uuid.uuid4().hex[:12]}"
    s3 = server.client()
    s3.create_bucket(Bucket=name)
    s3.put_bucket_versioning(Bucket=name, VersioningConfiguration={"Status": "Enabled"})
    return name


@pytest.fixture
def bucket(server: Server) -> str:
    return make_bucket(server)


@pytest.fixture
def iam_bucket(iam_server: Server) -> str:
    iam_server.policy()
    return make_bucket(iam_server)


@pytest.fixture(autouse=True)
def no_machine_aws_config(monkeypatch, tmp_path):
    for var in [v for v in os.environ if v.startswith("AWS_")]:
        monkeypatch.delenv(var)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-aws-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "no-aws-credentials"))


def publish(server: Server, project: Path, *args: str, secret: str | None = None, url: str | None = None):
    env = {
        "AWS_ACCESS_KEY_ID": server.key,
        "AWS_SECRET_ACCESS_KEY": secret or server.secret,
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_ENDPOINT_URL_CLOUDFRONT": server.url,
    }
    return run_cli("publish", "--source", str(project), "--endpoint-url", url or server.url, *args, env=env)


def ok(proc) -> str:
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "Traceback" not in proc.stderr
    return proc.stdout


def failed(proc) -> str:
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "Traceback" not in proc.stderr
    return proc.stderr


def site_tree(site: Path) -> dict[str, bytes]:
    return {p.relative_to(site).as_posix(): p.read_bytes() for p in site.rglob("*") if p.is_file()}


def versions(server: Server, bucket: str) -> dict[str, int]:
    """key -> how many times it was written (delete markers not counted)."""
    out: dict[str, int] = {}
    for page in server.client().get_paginator("list_object_versions").paginate(Bucket=bucket):
        for v in page.get("Versions", []):
            out[v["Key"]] = out.get(v["Key"], 0) + 1
    return out


def objects(server: Server, bucket: str, prefix: str = "") -> dict[str, bytes]:
    s3 = server.client()
    out = {}
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
        for obj in page.get("Contents", []):
            out[obj["Key"][len(prefix) :]] = s3.get_object(Bucket=bucket, Key=obj["Key"])["Body"].read()
    return out


def edit(project: Path, old: str, new: str) -> None:
    path = project / ARTICLE
    path.write_text(path.read_text().replace(old, new))


def test_first_publish_no_change_then_one_edit(server: Server, bucket: str, example: Path):
    out = ok(publish(server, example, "--s3", f"s3://{bucket}/briefs"))
    site = site_tree(example / "site")
    assert f"Published to s3://{bucket}/briefs/: {len(site)} added, 0 changed, 0 deleted" in out
    held = objects(server, bucket, "briefs/")
    assert held == site, "the prefix holds exactly the site's bytes"
    meta = server.client().head_object(Bucket=bucket, Key="briefs/index.html")["Metadata"]
    assert meta["sha256"] == hashlib.sha256(site["index.html"]).hexdigest()
    before = versions(server, bucket)

    again = ok(publish(server, example, "--s3", f"s3://{bucket}/briefs/"))
    assert f"is up to date ({len(site)} files); nothing published" in again
    assert versions(server, bucket) == before, "nothing uploaded"

    edit(example, "kills one", "kills one man")
    third = ok(publish(server, example, "--s3", f"s3://{bucket}/briefs"))
    now = site_tree(example / "site")
    changed = {rel for rel in now if site.get(rel) != now[rel]}
    assert "articles/2025-02-23-kryvyi-rih-missile-strike/index.html" in changed
    assert len(changed) < len(now) / 4
    after = versions(server, bucket)
    written = {key[len("briefs/") :] for key in after if after[key] != before.get(key)}
    assert written == changed, "only the files whose bytes changed were uploaded"
    assert objects(server, bucket, "briefs/") == now, "and what the site dropped is gone"
    requests = int(re.search(r"; (\d+) requests", third).group(1))
    gone = len(set(site) - set(now))
    # a listing, the published manifest, one PUT per changed file, one DeleteObjects: no HEAD at all
    assert requests == 2 + len(changed) + (1 if gone else 0), third


def test_dry_run_changes_nothing(server: Server, bucket: str, example: Path):
    ok(publish(server, example, "--s3", f"s3://{bucket}"))
    before = versions(server, bucket)
    edit(example, "kills one", "kills one man")
    out = ok(publish(server, example, "--s3", f"s3://{bucket}", "--dry-run"))
    assert "change  articles/2025-02-23-kryvyi-rih-missile-strike/index.html" in out
    assert "delete  pagefind/" in out
    assert versions(server, bucket) == before
    assert objects(server, bucket) == site_tree(example / "site"), "the bucket holds the last publish, as site/ does"


def tiny_project(root: Path) -> Path:
    (root / "content/topics").mkdir(parents=True)
    (root / "content/articles").mkdir()
    (root / "briefgen.yaml").write_text("title: Tiny desk\nbase_url: https://example.org/\n")
    (root / "content/topics/one.yaml").write_text("title: One story\nsummary: The bottom line.\n")
    (root / "content/articles/2025-03-01-first.md").write_text(
        "---\ntitle: First report\ndate: 2025-03-01T10:00:00+00:00\ntopics: [one]\nsummary: It happened.\n---\nText.\n"
    )
    return root


def test_deletion_guard_counts_objects_and_the_share_of_reports(
    server: Server, bucket: str, example: Path, tmp_path: Path
):
    ok(publish(server, example, "--s3", f"s3://{bucket}/site"))
    before = versions(server, bucket)
    tiny = tiny_project(tmp_path / "tiny")
    err = failed(publish(server, tiny, "--s3", f"s3://{bucket}/site"))
    assert "refusing to publish" in err and "more than the limit of 25" in err
    assert versions(server, bucket) == before and len(objects(server, bucket, "site/")) == len(before)

    # Three of the twelve reports go: few files, but a quarter of what readers had.
    for name in (
        "2025-02-21-kellogg-kyiv-talks",
        "2025-02-21-trump-ukraine-no-cards",
        "2025-02-22-duda-urges-zelensky-calm",
    ):
        (example / f"content/articles/{name}.md").unlink()
    for path in (example / "content/articles").glob("*.md"):
        text = path.read_text()
        path.write_text(
            re.sub(
                r"\[([^\]]*)\]\(2025-02-2[12]-(kellogg-kyiv-talks|trump-ukraine-no-cards|duda-urges-zelensky-calm)\.md\)",
                r"\1",
                text,
            )
        )
    preview = publish(server, example, "--s3", f"s3://{bucket}/site", "--dry-run")
    assert preview.returncode == 1 and "delete  articles/2025-02-21-kellogg-kyiv-talks/index.html" in preview.stdout
    assert "3 of the 12 published reports (25%), more than the limit of 20%" in preview.stderr
    err = failed(publish(server, example, "--s3", f"s3://{bucket}/site", "--max-deletes", "1000"))
    assert "3 of the 12 published reports" in err
    assert versions(server, bucket) == before
    forced = ok(publish(server, example, "--s3", f"s3://{bucket}/site", "--force"))
    assert "Published to" in forced
    assert "articles/2025-02-21-kellogg-kyiv-talks/index.html" not in objects(server, bucket, "site/")


def test_objects_briefgen_did_not_write_are_left_alone(server: Server, bucket: str, example: Path):
    s3 = server.client()
    s3.put_object(Bucket=bucket, Key="briefs/press/logo.png", Body=b"not ours")
    s3.put_object(Bucket=bucket, Key="elsewhere.txt", Body=b"outside the prefix")
    ok(publish(server, example, "--s3", f"s3://{bucket}/briefs"))
    out = ok(publish(server, example, "--s3", f"s3://{bucket}/briefs"))
    assert "up to date" in out
    assert "Left alone 1 objects briefgen did not write" in out and "  press/logo.png" in out
    dry = ok(publish(server, example, "--s3", f"s3://{bucket}/briefs", "--dry-run"))
    assert "keep    press/logo.png (not written by briefgen; --force deletes it)" in dry
    assert "briefs/press/logo.png" in objects(server, bucket)
    ok(publish(server, example, "--s3", f"s3://{bucket}/briefs", "--force"))
    held = objects(server, bucket)
    assert "briefs/press/logo.png" not in held and held["elsewhere.txt"] == b"outside the prefix"


EXPECTED_HEADERS = {
    "index.html": ("text/html; charset=utf-8", "public, max-age=60"),
    "feed.xml": ("application/atom+xml; charset=utf-8", "public, max-age=60"),
    "topics/drone-strikes/changes.xml": ("application/atom+xml; charset=utf-8", "public, max-age=60"),
    "sitemap.xml": ("application/xml", "public, max-age=60"),
    "robots.txt": ("text/plain; charset=utf-8", "public, max-age=60"),
    "topics/drone-strikes/briefing.json": ("application/json", "public, max-age=60"),
    "pagefind/pagefind-entry.json": ("application/json", "public, max-age=60"),
    "pagefind/pagefind.js": ("text/javascript; charset=utf-8", "public, max-age=60"),
    "pagefind/pagefind-ui.css": ("text/css; charset=utf-8", "public, max-age=60"),
    "pagefind/wasm.en.pagefind": ("application/octet-stream", "public, max-age=60"),
    "static/favicon.svg": ("image/svg+xml", "public, max-age=3600"),
    "static/photo.webp": ("image/webp", "public, max-age=86400"),
    "static/tool.wasm": ("application/wasm", "public, max-age=3600"),
}
IMMUTABLE = "public, max-age=31536000, immutable"


def test_headers_per_kind_of_file_from_briefgen_yaml(server: Server, bucket: str, example: Path):
    static = example / "templates/static"
    static.mkdir(parents=True)
    (static / "photo.webp").write_bytes(b"RIFF\x00\x00\x00\x00WEBPVP8 ")
    (static / "tool.wasm").write_bytes(b"\x00asm\x01\x00\x00\x00")
    with open(example / "briefgen.yaml", "a") as fh:
        fh.write(
            f"publish:\n  s3: s3://{bucket}/live\n  endpoint_url: {server.url}\n"
            "  headers:\n    - match: static/*.webp\n      cache_control: public, max-age=86400\n"
        )
    env = {"AWS_ACCESS_KEY_ID": server.key, "AWS_SECRET_ACCESS_KEY": server.secret}
    ok(run_cli("publish", "--source", str(example), env=env))  # the target comes from briefgen.yaml
    s3 = server.client()
    site = site_tree(example / "site")

    def head(rel: str) -> tuple[str, str]:
        reply = s3.head_object(Bucket=bucket, Key="live/" + rel)
        return reply["ContentType"], reply["CacheControl"]

    for rel, expected in EXPECTED_HEADERS.items():
        assert head(rel) == expected, rel
    hashed = [rel for rel in site if re.search(r"^static/style\.[0-9a-f]{10}\.css$|\.pf_(fragment|index|meta)$", rel)]
    kinds = {rel.rsplit(".", 1)[1] for rel in hashed}
    assert kinds == {"css", "pf_fragment", "pf_index", "pf_meta"}, kinds
    for rel in hashed:
        expected_type = "text/css; charset=utf-8" if rel.endswith(".css") else "application/octet-stream"
        assert head(rel) == (expected_type, IMMUTABLE), rel
    search_js = next(rel for rel in site if re.fullmatch(r"static/search\.[0-9a-f]{10}\.js", rel))
    assert head(search_js) == ("text/javascript; charset=utf-8", IMMUTABLE)


def linked_assets(page: bytes) -> set[str]:
    return set(re.findall(rb'(?:href|src)="(?:\.\./)*((?:static|pagefind)/[^"#?]+)"', page))


def test_failed_upload_stops_before_any_page_that_needs_it(iam_server: Server, iam_bucket: str, example: Path):
    ok(publish(iam_server, example, "--s3", f"s3://{iam_bucket}"))
    before = objects(iam_server, iam_bucket)
    # A new stylesheet: a new hashed name every page links to. Uploading it is denied.
    theme = Path(__file__).resolve().parent.parent / "templates/static/style.css"
    (example / "templates/static").mkdir(parents=True)
    (example / "templates/static/style.css").write_text(theme.read_text() + "\n.new { color: red }\n")
    iam_server.policy({"Effect": "Deny", "Action": "s3:PutObject", "Resource": f"arn:aws:s3:::{iam_bucket}/static/*"})
    err = failed(publish(iam_server, example, "--s3", f"s3://{iam_bucket}"))
    new_css = next(p.name for p in (example / "site/static").glob("style.*.css"))
    assert f"error: s3://{iam_bucket}/static/{new_css}: access denied" in err
    assert len(err.strip().splitlines()) == 1, err
    held = objects(iam_server, iam_bucket)
    assert {k: v for k, v in held.items() if k.endswith(".html")} == {
        k: v for k, v in before.items() if k.endswith(".html")
    }, "no page was replaced"
    assert set(before) <= set(held), "nothing was deleted"
    for rel, data in held.items():
        if rel.endswith(".html"):
            for asset in linked_assets(data):
                assert asset.decode() in held, f"{rel} links to missing {asset.decode()}"

    iam_server.policy()
    out = ok(publish(iam_server, example, "--s3", f"s3://{iam_bucket}"))
    assert "Left alone" not in out
    assert objects(iam_server, iam_bucket) == site_tree(example / "site")
    # and back to the theme's stylesheet: the new one (briefgen's, listed in the manifest) is deleted
    (example / "templates/static/style.css").unlink()
    ok(publish(iam_server, example, "--s3", f"s3://{iam_bucket}"))
    assert objects(iam_server, iam_bucket) == site_tree(example / "site")


def test_objects_of_an_interrupted_publish_are_cleaned_up(iam_server: Server, iam_bucket: str, example: Path):
    ok(publish(iam_server, example, "--s3", f"s3://{iam_bucket}"))
    edit(example, "kills one", "kills one man")
    iam_server.policy({"Effect": "Deny", "Action": "s3:PutObject", "Resource": f"arn:aws:s3:::{iam_bucket}/*.html"})
    failed(publish(iam_server, example, "--s3", f"s3://{iam_bucket}"))
    iam_server.policy()
    edit(example, "kills one man", "kills one")  # the new search fragments it uploaded are orphans now
    out = ok(publish(iam_server, example, "--s3", f"s3://{iam_bucket}"))
    assert "Left alone" not in out
    assert objects(iam_server, iam_bucket) == site_tree(example / "site")


def create_distribution(server: Server) -> str:
    config = {
        "CallerReference": uuid.uuid4().hex,
        "Origins": {
            "Quantity": 1,
            "Items": [
                {"Id": "o", "DomainName": "desk.s3.amazonaws.com", "S3OriginConfig": {"OriginAccessIdentity": ""}}
            ],
        },
        "DefaultCacheBehavior": {
            "TargetOriginId": "o",
            "ViewerProtocolPolicy": "allow-all",
            "MinTTL": 0,
            "ForwardedValues": {"QueryString": False, "Cookies": {"Forward": "none"}},
            "TrustedSigners": {"Enabled": False, "Quantity": 0},
        },
        "Comment": "",
        "Enabled": True,
    }
    return server.client("cloudfront").create_distribution(DistributionConfig=config)["Distribution"]["Id"]


def invalidated_paths(server: Server, distribution: str) -> list[list[str]]:
    cf = server.client("cloudfront")
    items = cf.list_invalidations(DistributionId=distribution)["InvalidationList"].get("Items", [])
    return [
        cf.get_invalidation(DistributionId=distribution, Id=i["Id"])["Invalidation"]["InvalidationBatch"]["Paths"].get(
            "Items", []
        )
        for i in items
    ]


def test_invalidation_names_only_the_changed_paths(server: Server, bucket: str, example: Path):
    distribution = create_distribution(server)
    ok(publish(server, example, "--s3", f"s3://{bucket}/x", "--invalidate", distribution))
    assert invalidated_paths(server, distribution) == [], "a first publish replaces nothing cached"
    before = site_tree(example / "site")
    edit(example, "kills one", "kills one man")
    out = ok(publish(server, example, "--s3", f"s3://{bucket}/x", "--invalidate", distribution))
    now = site_tree(example / "site")
    touched = {rel for rel in before if before[rel] != now.get(rel)}
    expected = {"/" + rel for rel in touched}  # base_url is https://example.org/: paths from the root
    expected |= {"/" + rel[: -len("index.html")] for rel in touched if rel.endswith("index.html")}
    (paths,) = invalidated_paths(server, distribution)
    assert set(paths) == expected
    assert "/articles/2025-02-23-kryvyi-rih-missile-strike/" in paths and "/people/biden/" not in paths
    assert f"CloudFront invalidation of {len(expected)} paths" in out


def test_invalidation_batches_and_falls_back_to_a_wildcard(server: Server, monkeypatch):
    distribution = create_distribution(server)
    changed = [f"articles/a{i}.json" for i in range(2500)]
    paths = cdn.invalidation_paths(changed, "https://example.org/briefs/")
    assert len(paths) == 2500 and paths[0].startswith("/briefs/articles/a")

    monkeypatch.setenv("AWS_ACCESS_KEY_ID", server.key)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", server.secret)
    monkeypatch.setenv("AWS_ENDPOINT_URL_CLOUDFRONT", server.url)
    s3 = S3("any-bucket", server.url)  # lends cdn.invalidate its session, endpoint and request counter
    cdn.invalidate(s3, distribution, paths, "https://example.org/briefs/")
    sizes = sorted(len(p) for p in invalidated_paths(server, distribution))
    assert sizes == [500, 1000, 1000] and s3.calls == {"CreateInvalidation": 3}
    many = cdn.invalidation_paths([f"topics/t{i}/index.html" for i in range(1600)], "https://example.org/briefs/")
    assert many == ["/briefs/*"], "past 3,000 paths one wildcard"


def test_clear_errors_and_nothing_deleted(iam_server: Server, iam_bucket: str, example: Path):
    ok(publish(iam_server, example, "--s3", f"s3://{iam_bucket}"))
    before = versions(iam_server, iam_bucket)
    edit(example, "kills one", "kills one man")

    err = failed(publish(iam_server, example, "--s3", f"s3://{iam_bucket}", secret="wrong-secret"))
    assert err.strip() == (
        f"error: s3://{iam_bucket}/: the credentials were refused (SignatureDoesNotMatch) "
        "(check AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY or AWS_PROFILE, and --endpoint-url)"
    )
    err = failed(publish(iam_server, example, "--s3", "s3://no-such-desk-bucket"))
    assert err.strip().startswith("error: s3://no-such-desk-bucket/: the bucket does not exist")
    port = free_port()
    err = failed(publish(iam_server, example, "--s3", f"s3://{iam_bucket}", url=f"http://127.0.0.1:{port}"))
    assert err.strip().startswith(f"error: s3://{iam_bucket}/: cannot reach http://127.0.0.1:{port}")
    err = failed(
        run_cli(
            "publish", "--source", str(example), "--s3", f"s3://{iam_bucket}", env={"AWS_EC2_METADATA_DISABLED": "true"}
        )
    )
    assert err.strip().startswith(f"error: s3://{iam_bucket}/: no AWS credentials found (set AWS_ACCESS_KEY_ID")
    err = failed(publish(iam_server, example, "--s3", "https://example.org/bucket"))
    assert "is not an S3 address" in err
    assert versions(iam_server, iam_bucket) == before


def test_refuses_when_the_build_fails(server: Server, bucket: str, example: Path):
    edit(example, "topics: [drone-strikes]", "topics: [no-such-topic]")
    err = failed(publish(server, example, "--s3", f"s3://{bucket}"))
    assert "Refusing to publish: the build or its link check failed" in err
    assert versions(server, bucket) == {}


def test_missing_boto3_is_one_line(server: Server, example: Path, tmp_path: Path):
    blocker = tmp_path / "blocker"
    (blocker / "boto3").mkdir(parents=True)
    (blocker / "boto3/__init__.py").write_text("raise ImportError('boto3 is not installed here')\n")
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(blocker), env.get("PYTHONPATH", "")])
    proc = subprocess.run(
        [sys.executable, "-m", "briefgen", "publish", "--source", str(example), "--s3", "s3://desk-bucket"],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )
    assert proc.returncode == 1 and "Traceback" not in proc.stderr
    assert (
        proc.stderr.strip()
        == "error: publishing to S3 needs boto3, which is not installed (pip install 'briefgen[s3]')"
    )


def test_listing_pages_through_more_than_a_thousand_objects(server: Server, bucket: str, monkeypatch):
    s3 = server.client()
    for i in range(1050):
        s3.put_object(Bucket=bucket, Key=f"briefs/a/{i:04d}.txt", Body=b"%d" % i)
    s3.put_object(Bucket=bucket, Key="briefs-other/x.txt", Body=b"not under the prefix")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", server.key)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", server.secret)
    client = S3(bucket, server.url)
    listed = client.list("briefs/")
    assert len(listed) == 1050 and "a/0000.txt" in listed and listed["a/0007.txt"][1] == 1
    assert client.calls == {"ListObjectsV2": 2}


def test_upload_steps_put_assets_before_pages_before_what_points_to_them():
    plan = S3Plan("s3://b/", bucket="b")
    plan.added = ["articles/new/index.html", "pagefind/fragment/en_1234abc.pf_fragment", "static/style.0123456789.css"]
    plan.changed = [
        ".briefgen-manifest.json",
        "feed.xml",
        "index.html",
        "pagefind/pagefind-entry.json",
        "pagefind/pagefind.js",
        "sitemap.xml",
        "topics/one/index.html",
        "topics/one/briefing.json",
    ]
    assert upload_steps(plan) == [
        ["pagefind/fragment/en_1234abc.pf_fragment", "static/style.0123456789.css"],
        ["pagefind/pagefind.js"],
        ["articles/new/index.html"],
        ["topics/one/index.html"],
        ["index.html"],
        ["feed.xml", "pagefind/pagefind-entry.json", "sitemap.xml", "topics/one/briefing.json"],
        [".briefgen-manifest.json"],
    ]


def test_where_an_etag_is_no_md5_the_sha256_metadata_decides(server: Server, bucket: str, example: Path):
    ok(publish(server, example, "--s3", f"s3://{bucket}"))
    site = site_tree(example / "site")
    s3 = server.client()

    def multipart(key: str, sha256: str) -> None:  # a multipart upload's ETag is "<md5 of md5s>-<parts>"
        upload = s3.create_multipart_upload(Bucket=bucket, Key=key, Metadata={"sha256": sha256})
        part = s3.upload_part(Bucket=bucket, Key=key, UploadId=upload["UploadId"], PartNumber=1, Body=site[key])
        s3.complete_multipart_upload(
            Bucket=bucket,
            Key=key,
            UploadId=upload["UploadId"],
            MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": part["ETag"]}]},
        )
        assert s3.head_object(Bucket=bucket, Key=key)["ETag"].endswith('-1"')

    multipart("index.html", hashlib.sha256(site["index.html"]).hexdigest())  # same bytes, says so
    multipart("feed.xml", "0" * 64)  # same bytes, but its metadata does not vouch for them
    before = versions(server, bucket)
    out = ok(publish(server, example, "--s3", f"s3://{bucket}"))
    assert "0 added, 1 changed, 0 deleted" in out and "; 5 requests" in out  # list, manifest, 2 HEAD, 1 PUT
    after = versions(server, bucket)
    assert {key for key in after if after[key] != before[key]} == {"feed.xml"}

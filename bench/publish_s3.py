#!/usr/bin/env python3
"""Requests and time of ``publish --s3``: a first publish, a no-change publish and a one-edit publish.

    python bench/publish_s3.py [--articles 4000] [--work DIR]

Runs moto's S3 server (``pip install 'moto[server]'``) on 127.0.0.1 in a
subprocess and publishes the example project and a generated project of
``--articles`` articles (``bench/make_corpus.py``, with Pagefind's search index
on, as a published site has it; building it takes a while)
through ``briefgen.publish.s3``, as ``briefgen publish --s3`` does after its
build. Builds are not timed; each publish is, with its phases (hashing the
site runs while the bucket is listed) and the HTTP requests it sent by API
operation. A local moto server answers far faster than S3 over the
internet but spends CPU of its own on this machine: the request counts carry
over to a real bucket, the times only roughly. Not a test.
"""

from __future__ import annotations

import argparse
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from briefgen.publish.s3 import publish_s3  # noqa: E402


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_moto() -> tuple[subprocess.Popen, str]:
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    for _ in range(100):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            break
        except OSError:
            time.sleep(0.1)
    return proc, f"http://127.0.0.1:{port}"


def build(project: Path) -> None:
    env = dict(os.environ, PYTHONPATH=str(REPO))
    subprocess.run(
        [sys.executable, "-m", "briefgen", "build", "--quiet", "--source", str(project)], check=True, env=env
    )


def publish(project: Path, bucket: str, endpoint: str, label: str) -> None:
    started = time.perf_counter()
    plan = publish_s3(
        project / "site", f"s3://{bucket}/briefs", endpoint_url=endpoint, dry_run=False, max_deletes=10**6, force=False
    )
    seconds = time.perf_counter() - started
    calls = ", ".join(f"{op} {n}" for op, n in sorted(plan.calls.items()))
    phases = ", ".join(f"{name} {t:.2f}" for name, t in plan.timings.items())
    print(f"  {label:<10} {seconds:6.2f} s ({phases})  {plan.requests:5d} requests ({calls}); {plan.summary()}")


def edit_one(project: Path) -> None:
    article = sorted((project / "content/articles").glob("*.md"))[
        len(list((project / "content/articles").glob("*.md"))) // 2
    ]
    text = article.read_text()
    article.write_text(text.replace("\n---\n", "\n---\nOne more sentence for the benchmark.\n\n", 1))


def run(project: Path, name: str, endpoint: str) -> None:
    import boto3

    boto3.client("s3", endpoint_url=endpoint).create_bucket(Bucket=name)
    build(project)
    files = sum(1 for p in (project / "site").rglob("*") if p.is_file())
    print(
        f"{name}: {files} files, {sum(p.stat().st_size for p in (project / 'site').rglob('*') if p.is_file()) >> 20} MiB"
    )
    publish(project, name, endpoint, "first")
    publish(project, name, endpoint, "no change")
    edit_one(project)
    build(project)
    publish(project, name, endpoint, "one edit")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--articles", type=int, default=4000)
    parser.add_argument("--work", type=Path, default=None, help="folder for the projects (default: a temporary one)")
    args = parser.parse_args()
    os.environ.setdefault("AWS_ACCESS_KEY_ID", "bench")
    os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "bench")
    os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")
    work = args.work or Path(tempfile.mkdtemp(prefix="briefgen-s3-bench-"))
    proc, endpoint = start_moto()
    try:
        example = work / "example"
        shutil.rmtree(example, ignore_errors=True)
        example.mkdir(parents=True)
        shutil.copy2(REPO / "briefgen.yaml", example / "briefgen.yaml")
        shutil.copytree(REPO / "content", example / "content")
        run(example, "example-desk", endpoint)
        if args.articles:
            corpus = work / f"corpus-{args.articles}"
            if not corpus.exists():
                subprocess.run(
                    [sys.executable, str(REPO / "bench/make_corpus.py"), str(args.articles), str(corpus)], check=True
                )
            config = corpus / "briefgen.yaml"  # the corpus turns search off for build timings; a published site has it
            config.write_text(config.read_text().replace("search: false", "search: true"))
            run(corpus, f"corpus-{args.articles}", endpoint)
    finally:
        proc.terminate()
        proc.wait(timeout=10)
        if args.work is None:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()

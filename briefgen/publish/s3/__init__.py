"""Publishing a built site to object storage: ``briefgen publish --s3 s3://BUCKET[/PREFIX]``.

Works with AWS S3 and S3-compatible services (Cloudflare R2, MinIO, Backblaze
B2, Google Cloud Storage's XML API) through boto3. The steps:

1. ``plan``: list the prefix, read the published manifest, sort every file of
   the site into added, changed or unchanged by its bytes (ETag = MD5, or the
   ``x-amz-meta-sha256`` briefgen stores), and what the site no longer has into
   briefgen's (deleted) and anyone else's (kept unless ``--force``);
2. the deletion guard (``briefgen.publish.plan.check_plan``, as for every target),
   counted against the objects under the prefix;
3. ``sync``: upload in an order that never leaves a page pointing to a missing
   file, then delete;
4. ``cdn``: with ``--invalidate``, a CloudFront invalidation of exactly the
   changed paths.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from briefgen.outputs.manifest import MANIFEST_NAME
from briefgen.publish.plan import DEFAULT_MAX_REPORT_SHARE, check_plan
from briefgen.publish.s3 import cdn, sync
from briefgen.publish.s3.client import S3
from briefgen.publish.s3.headers import Rule
from briefgen.publish.s3.plan import (
    Remote,
    S3Plan,
    compare,
    hash_site,
    headers_fingerprint,
    parse_s3_url,
    read_remote_manifest,
    sort_gone,
    url_of,
)

__all__ = ["S3Plan", "Rule", "publish_s3", "parse_s3_url"]


def read_remote(s3: S3, prefix: str) -> Remote:
    objects = s3.list(prefix)
    manifest, fingerprint = {}, None
    if MANIFEST_NAME in objects:
        body, meta = s3.get(prefix + MANIFEST_NAME)
        manifest, fingerprint = read_remote_manifest(body), meta.get("headers")
    return Remote(objects, manifest, fingerprint)


def publish_s3(
    site_dir: Path,
    url: str,
    *,
    endpoint_url: str | None = None,
    dry_run: bool,
    max_deletes: int,
    force: bool,
    max_report_share: float = DEFAULT_MAX_REPORT_SHARE,
    rules: Sequence[Rule] = (),
    invalidate: str | None = None,
    base_url: str = "/",
) -> S3Plan:
    bucket, prefix = parse_s3_url(url)
    clock = Clock()
    s3 = S3(bucket, endpoint_url)
    plan = S3Plan(url_of(bucket, prefix), bucket=bucket, prefix=prefix, timings=clock.laps)
    with ThreadPoolExecutor(1) as pool:  # hash the site while the bucket is listed
        hashing = pool.submit(clock.timed, "hash", hash_site, site_dir)
        remote = clock.timed("list", read_remote, s3, prefix)
        local = hashing.result()
    fingerprint = headers_fingerprint(rules)
    plan.headers_changed = bool(remote.manifest) and remote.headers != fingerprint

    def heads(rels):
        return {key[len(prefix) :]: meta for key, meta in s3.heads([prefix + rel for rel in rels]).items()}

    clock.timed("compare", compare, plan, local, remote, heads)
    clock.timed("compare", sort_gone, plan, local, remote, heads, force)
    # the shared deletion guard, counted against the objects under the prefix
    limits = {"max_deletes": max_deletes, "max_report_share": max_report_share, "force": force}
    check_plan(plan, remote.objects, dry_run=dry_run, **limits)
    try:
        if not dry_run and not plan.empty:
            clock.timed("upload", sync.upload, s3, plan, local, rules, fingerprint)
            clock.timed("delete", sync.delete, s3, plan)
        if invalidate and not plan.empty:
            plan.invalidated = cdn.invalidation_paths(plan.changed + plan.deleted, base_url)
            if plan.invalidated and not dry_run:
                plan.invalidation_ids = clock.timed(
                    "invalidate", cdn.invalidate, s3, invalidate, plan.invalidated, base_url
                )
    finally:
        plan.requests, plan.calls = s3.requests, dict(s3.calls)
    return plan


class Clock:
    """Seconds spent per phase (hashing overlaps the listing), for bench/publish_s3.py."""

    def __init__(self):
        self.laps: dict[str, float] = {}

    def timed(self, name: str, work, *args):
        started = time.perf_counter()
        try:
            return work(*args)
        finally:
            self.laps[name] = self.laps.get(name, 0.0) + time.perf_counter() - started

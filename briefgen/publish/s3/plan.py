"""What a publish to a bucket must do: compare the built site with what the prefix holds.

Requests, for a site of N files of which C changed: ``ceil(N / 1000)`` listings
(ListObjectsV2 returns each object's ETag and size), one GET of the published
manifest (its metadata carries the fingerprint of the header rules it was
published with), and no HEAD at all when the bucket's ETags are plain MD5s of
the bytes (single-part uploads without SSE-KMS: AWS, R2, MinIO, moto). Only
when an ETag does not match the file's MD5 and no other object of the site
showed that ETags are MD5s here is the object's ``x-amz-meta-sha256`` read with
a HEAD; an object briefgen uploaded carries it. Timestamps are never compared.

Which objects briefgen wrote: those the published manifest lists (the last
complete publish), and, for anything else under the prefix, those whose
metadata says ``generator: briefgen`` (one HEAD each; an interrupted publish
leaves such objects behind). Everything else is someone else's: listed, left
alone unless ``--force``.
"""

from __future__ import annotations

import hashlib
import json
import re
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from briefgen.outputs.manifest import MANIFEST_NAME, read_manifest
from briefgen.publish.plan import Plan, PublishError, site_files

PLAIN_MD5 = re.compile(r'^"?([0-9a-f]{32})"?$')


@dataclass
class Local:
    path: Path
    md5: str
    sha256: str


@dataclass
class S3Plan(Plan):
    bucket: str = ""
    prefix: str = ""
    foreign: list[str] = field(default_factory=list)  # objects briefgen did not write, kept unless --force
    headers_changed: bool = False  # the header rules differ from the last publish's: every file goes again
    requests: int = 0  # HTTP requests sent, retries included
    calls: dict[str, int] = field(default_factory=dict)  # API calls by operation
    invalidated: list[str] = field(default_factory=list)
    invalidation_ids: list[str] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)  # seconds per phase

    def lines(self) -> list[str]:
        keep = [f"keep    {p} (not written by briefgen; --force deletes it)" for p in self.foreign]
        return super().lines() + keep

    def summary(self) -> str:
        text = f"{super().summary()}; {self.requests} requests"
        if self.headers_changed:
            text += " (the header rules changed since the last publish: every file went again)"
        if self.invalidated:
            text += f"; CloudFront invalidation of {len(self.invalidated)} paths"
        return text


def url_of(bucket: str, prefix: str, rel: str = "") -> str:
    return f"s3://{bucket}/{prefix}{rel}"


def parse_s3_url(url: str) -> tuple[str, str]:
    """``s3://BUCKET[/PREFIX]`` -> (bucket, prefix ending in ``/`` or empty)."""
    match = re.fullmatch(r"s3://([a-z0-9][a-z0-9.-]{1,61}[a-z0-9])(/.*)?", url.strip())
    if not match:
        raise PublishError(f"{url!r} is not an S3 address", "write it as s3://BUCKET or s3://BUCKET/PREFIX")
    prefix = (match.group(2) or "").strip("/")
    if any(part in ("", ".", "..") for part in prefix.split("/")) and prefix:
        raise PublishError(f"{url!r}: the prefix has an empty, . or .. part", "write it as s3://BUCKET/some/prefix")
    return match.group(1), prefix + "/" if prefix else ""


def _hash_file(path: Path) -> Local:
    md5, sha = hashlib.md5(usedforsecurity=False), hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            md5.update(block)
            sha.update(block)
    return Local(path, md5.hexdigest(), sha.hexdigest())


def hash_site(site_dir: Path) -> dict[str, Local]:
    """MD5 (to compare with ETags) and SHA-256 (stored as metadata) of every file, read once; on a few
    threads, since hashlib lets go of the GIL while it hashes."""
    files = site_files(site_dir)
    with ThreadPoolExecutor(4) as pool:
        return dict(zip(files, pool.map(_hash_file, files.values()), strict=True))


@dataclass
class Remote:
    objects: dict[str, tuple[str, int]]  # rel -> (ETag, size)
    manifest: dict[str, str]  # the published manifest: rel -> sha256
    headers: str | None  # the header-rules fingerprint it was published with


def etags_are_md5(local: dict[str, Local], objects: dict[str, tuple[str, int]]) -> bool:
    """Whether this bucket's ETags are MD5s of the bytes: some object's ETag is the MD5 of the site's file."""
    for rel, (etag, _size) in objects.items():
        match = PLAIN_MD5.match(etag)
        if match and rel in local and local[rel].md5 == match.group(1):
            return True
    return False


def compare(plan: S3Plan, local: dict[str, Local], remote: Remote, heads) -> None:
    """Sort every site file into added, changed or unchanged; ``heads(rels)`` -> {rel: metadata}."""
    md5_etags = etags_are_md5(local, remote.objects)
    unsure = []
    for rel, info in local.items():
        if rel not in remote.objects:
            plan.added.append(rel)
            continue
        etag, size = remote.objects[rel]
        match = PLAIN_MD5.match(etag)
        if plan.headers_changed:
            plan.changed.append(rel)
        elif match and match.group(1) == info.md5 and size == info.path.stat().st_size:
            plan.unchanged += 1
        elif match and md5_etags:
            plan.changed.append(rel)
        else:
            unsure.append(rel)
    for rel, meta in heads(unsure).items():
        if meta.get("sha256") == local[rel].sha256:
            plan.unchanged += 1
        else:
            plan.changed.append(rel)
    plan.added.sort()
    plan.changed.sort()


def sort_gone(plan: S3Plan, local: dict[str, Local], remote: Remote, heads, force: bool) -> None:
    """Objects the site no longer has: briefgen's are deleted, anyone else's kept (and listed) unless forced."""
    gone = sorted(set(remote.objects) - set(local))
    outside = [rel for rel in gone if rel not in remote.manifest]
    marked = {rel for rel, meta in heads(outside).items() if meta.get("generator") == "briefgen"}
    for rel in gone:
        if rel in remote.manifest or rel in marked or force:
            plan.deleted.append(rel)
        else:
            plan.foreign.append(rel)


def read_remote_manifest(body: bytes) -> dict[str, str]:
    files = read_manifest(body)
    if files:
        files.setdefault(MANIFEST_NAME, "")
    return files


def headers_fingerprint(rules) -> str:
    from briefgen.publish.s3.headers import HOUR, IMMUTABLE, SHORT

    doc = {
        "defaults": [IMMUTABLE, SHORT, HOUR, 1],
        "rules": [[r.match, r.cache_control, r.content_type] for r in rules],
    }
    return hashlib.sha256(json.dumps(doc, sort_keys=True).encode()).hexdigest()[:16]

"""Carrying out a bucket plan in an order that never shows readers half a site.

Objects are replaced one by one, so the order is what keeps every page whole:

1. content-hashed assets (a new name each time their bytes change: nothing
   points to them yet), then the other assets (favicon, Pagefind's code);
2. pages: new pages first (only changed pages link to them), then changed
   pages, the home page last;
3. what points to pages: feeds, the sitemap, JSON, ``robots.txt`` and
   ``pagefind-entry.json`` (the switch that makes a new search index live);
4. the site manifest, which records the publish as complete;
5. only then deletions: pages and feeds before the assets they used.

Each step waits for all of its uploads; the first failed upload stops the
publish there, so no page is replaced before everything it needs is in
place, and nothing is deleted.
"""

from __future__ import annotations

from briefgen.outputs.manifest import MANIFEST_NAME
from briefgen.publish.plan import PublishError
from briefgen.publish.s3.client import S3
from briefgen.publish.s3.headers import headers_for, is_hashed
from briefgen.publish.s3.plan import Local, S3Plan

INDEXES = ("pagefind/pagefind-entry.json", "robots.txt")
INDEX_SUFFIXES = (".xml", ".json", ".txt")
DELETE_BATCH = 1000  # DeleteObjects takes at most 1,000 keys


def stage(rel: str) -> int:
    """0 hashed asset, 1 other asset, 2 new page, 3 changed page, 4 home page, 5 index, 6 the manifest.
    (2 and 3 are told apart by the caller.)"""
    if rel == MANIFEST_NAME:
        return 6
    if rel in INDEXES or (rel.endswith(INDEX_SUFFIXES) and not rel.startswith(("pagefind/", "static/"))):
        return 5
    if rel.endswith(".html"):
        return 4 if rel == "index.html" else 3
    return 0 if is_hashed(rel) else 1


def upload_steps(plan: S3Plan) -> list[list[str]]:
    added = set(plan.added)
    steps: dict[int, list[str]] = {}
    for rel in plan.added + plan.changed:
        n = stage(rel)
        if n == 3 and rel in added:
            n = 2
        steps.setdefault(n, []).append(rel)
    return [sorted(steps[n]) for n in sorted(steps)]


def upload(s3: S3, plan: S3Plan, local: dict[str, Local], rules, fingerprint: str) -> None:
    def put(rel: str) -> None:
        info = local[rel]
        content_type, cache = headers_for(rel, info.path, rules)
        meta = {"sha256": info.sha256, "generator": "briefgen"}
        if rel == MANIFEST_NAME:
            meta["headers"] = fingerprint
        key = plan.prefix + rel
        try:
            body = info.path.read_bytes()
        except OSError as exc:
            raise PublishError(f"{info.path}: cannot be read ({exc.strerror})", "build again, then publish") from None
        s3.call(
            s3.where(key),
            "put_object",
            Key=key,
            Body=body,
            ContentType=content_type,
            CacheControl=cache,
            Metadata=meta,
        )

    for step in upload_steps(plan):
        s3.each(step, put)


def delete(s3: S3, plan: S3Plan) -> None:
    """Pages and feeds first, assets last, in batches of DeleteObjects; a key it refuses stops the rest."""
    ordered = sorted(plan.deleted, key=lambda rel: (-stage(rel), rel))
    for start in range(0, len(ordered), DELETE_BATCH):
        batch = ordered[start : start + DELETE_BATCH]
        reply = s3.call(
            s3.where(plan.prefix),
            "delete_objects",
            Delete={"Objects": [{"Key": plan.prefix + rel} for rel in batch], "Quiet": True},
        )
        errors = reply.get("Errors") or []
        if errors:
            first = errors[0]
            what = (
                "access denied"
                if first.get("Code") == "AccessDenied"
                else f"{first.get('Code')}: {first.get('Message')}"
            )
            raise PublishError(
                f"{s3.where(first.get('Key', ''))}: could not be deleted: {what}",
                f"{len(errors)} of {len(batch)} objects in this batch were not deleted; the rest of the site is published",
            )

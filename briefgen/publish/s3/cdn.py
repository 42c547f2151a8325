"""CloudFront invalidation of exactly the URLs whose bytes changed (or went away).

Paths are the URLs readers ask for, under the path of ``base_url`` (a
distribution serves the site at its base URL whatever the bucket prefix):
``/briefs/topics/drone-strikes/index.html`` and ``/briefs/topics/drone-strikes/``
for a changed page. New files need none (nothing cached them).

CloudFront allows 3,000 individual paths in progress per distribution (and 15
wildcard paths), so paths go in requests of up to ``BATCH``; past
``MAX_PATHS``, or when CloudFront says too many are in progress already, one
wildcard for the whole site (``/briefs/*``) replaces them, which also costs
one path instead of thousands.
"""

from __future__ import annotations

import hashlib
import time
from urllib.parse import quote, urlsplit

from briefgen.publish.plan import PublishError

BATCH = 1000
MAX_PATHS = 3000


def base_path(base_url: str) -> str:
    base = urlsplit(base_url).path or "/"
    return base if base.endswith("/") else base + "/"


def invalidation_paths(changed: list[str], base_url: str) -> list[str]:
    base = base_path(base_url)
    paths = []
    for rel in changed:
        paths.append(base + quote(rel))
        if rel == "index.html" or rel.endswith("/index.html"):
            paths.append(base + quote(rel[: -len("index.html")]))
    if len(paths) > MAX_PATHS:
        return [base + "*"]
    return sorted(set(paths))


def invalidate(s3, distribution: str, paths: list[str], base_url: str) -> list[str]:
    """Send the invalidations; returns their ids. ``s3`` lends its session (credentials), request counter
    and error wording.

    When CloudFront answers that too many paths are in progress already (earlier invalidations not
    finished), the rest goes as one wildcard, which counts against a separate quota."""
    # CloudFront's own endpoint, not the bucket's (an R2 or MinIO bucket can sit behind CloudFront):
    # botocore takes AWS_ENDPOINT_URL_CLOUDFRONT (or AWS_ENDPOINT_URL) from the environment when set.
    client = s3.session.client("cloudfront", region_name="us-east-1")
    s3.watch(client)
    wildcard = base_path(base_url) + "*"
    ids: list[str] = []
    stamp = hashlib.sha256("\n".join(paths).encode()).hexdigest()[:12]
    for start in range(0, len(paths), BATCH):
        batch = paths[start : start + BATCH]
        try:
            ids.append(_send(client, distribution, batch, f"{stamp}-{start}"))
        except Exception as exc:
            code = getattr(exc, "response", {}).get("Error", {}).get("Code")
            if code == "TooManyInvalidationsInProgress" and batch != [wildcard]:
                try:
                    ids.append(_send(client, distribution, [wildcard], f"{stamp}-all"))
                    return ids
                except Exception as again:
                    exc = again
            error = s3.error(exc, f"CloudFront distribution {distribution}")
            raise PublishError(
                f"the site is published, but invalidating its changed paths failed: {error.message}",
                f"invalidate them by hand, e.g. aws cloudfront create-invalidation --distribution-id {distribution} "
                f"--paths '{wildcard}'",
            ) from None
    return ids


def _send(client, distribution: str, paths: list[str], reference: str) -> str:
    reply = client.create_invalidation(
        DistributionId=distribution,
        InvalidationBatch={
            "Paths": {"Quantity": len(paths), "Items": paths},
            "CallerReference": f"briefgen-{time.time_ns()}-{reference}",
        },
    )
    return reply["Invalidation"]["Id"]

"""The site manifest: every file a build produced, with its SHA-256.

Written by every build as ``.briefgen-manifest.json`` at the root of the
output folder, and so published with the site (``briefgen publish`` copies or
commits it like any other file). It lets a later run tell what changed since
the last publish by comparing the published manifest with a new one, without
downloading the published files.

Format (JSON, UTF-8, keys sorted, no timestamps, so it is as reproducible as
the site it describes)::

    {
      "format": 1,
      "generator": "briefgen",
      "base_url": "https://example.org/",
      "files": {
        "404.html": "<sha256 hex of the file's bytes>",
        "topics/drone-strikes/index.html": "...",
        ...
      }
    }

``files`` maps each path (relative to the site root, ``/``-separated) to the
hex SHA-256 of its bytes. The manifest does not list itself; files added
only by ``publish --git`` (``.nojekyll``) are not listed either. ``format``
is bumped only if the meaning of a field changes; new fields may be added.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from pathlib import Path

from briefgen.jsontext import file_bytes
from briefgen.project import MANIFEST_NAME

FORMAT = 1


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


class ManifestHashes:
    """A memo of the build database: the SHA-256 of the last build's files, by the identity of their bytes
    objects (each kept alive here, so its id cannot be reused). A rebuild in the same process (``serve``, a
    kept ``Builder``) hands most pages over as the very objects of the build before, so only the files that
    changed are hashed again; keying by id, not by the bytes, costs a first build nothing."""

    def __init__(self) -> None:
        self.by_id: dict[int, tuple[bytes, str]] = {}


def manifest_bytes(
    base_url: str,
    files: Mapping[str, bytes],
    copies: dict[str, Path] | None = None,
    sha256: dict[str, str] | None = None,
    memo: ManifestHashes | None = None,
) -> bytes:
    """The manifest of a build: generated ``files`` plus ``copies`` (static files copied from disk).

    ``sha256`` (path -> hex SHA-256) lists generated files hashed already: by a build that streamed them
    to disk instead of keeping them, or (a rebuild) files kept unchanged, as the last manifest lists
    them. Their bytes are neither read again nor remembered. ``memo``: the hashes of the build before.
    """
    known, now = (memo.by_id if memo is not None else {}), {}
    hashes = {rel: digest for rel, digest in (sha256 or {}).items() if rel != MANIFEST_NAME}
    for rel in files:  # a file ``sha256`` lists is not read (``files`` may read it from the disk)
        if rel != MANIFEST_NAME and rel not in hashes:
            data = files[rel]
            entry = known.get(id(data))
            digest = entry[1] if entry is not None and entry[0] is data else hashlib.sha256(data).hexdigest()
            hashes[rel] = digest
            now[id(data)] = (data, digest)
    if memo is not None:
        memo.by_id = now  # only this build's files: the memo never holds more than one site
    for rel, source in (copies or {}).items():
        hashes[rel] = sha256_file(source)
    return encode({"format": FORMAT, "generator": "briefgen", "base_url": base_url, "files": hashes})


def encode(doc: dict) -> bytes:
    """A manifest document's bytes (files sorted by path), as every build writes them."""
    doc = {**doc, "files": dict(sorted(doc["files"].items()))}
    return file_bytes(doc)


def read_manifest(data: bytes) -> dict[str, str]:
    """path -> sha256 from a manifest's bytes; {} when it is missing or not a manifest."""
    try:
        doc = json.loads(data)
    except (ValueError, UnicodeDecodeError):
        return {}
    files = doc.get("files") if isinstance(doc, dict) else None
    return (
        {k: v for k, v in files.items() if isinstance(k, str) and isinstance(v, str)} if isinstance(files, dict) else {}
    )

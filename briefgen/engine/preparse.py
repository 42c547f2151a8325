"""What loading an article file puts in the build database, worked out ahead on every core.

A cold build loads each article in the parent process, one after the other: its front matter parsed (YAML),
validated (pydantic), made into the Article's fields, and encoded as the record the ``articles`` store keeps
for the next build (``content.parsed``). Only the YAML was parsed on every core first; the rest, some 0.3 ms
an article, was on the build's critical path. ``BuildCache.prefetch_front_matter`` runs ``preparse`` over
the files on every core instead: each answer is the front-matter entry (as ``load_yaml`` stores it) and, for
an article that loads without a word to say, its record. The loader then takes that article from its record,
as a rebuild does (``Loader.load_article``): a record is made only where ``load_article`` would have stored
one, from the same values, so the stores end up holding what they held. An article with any problem gets no
record and is loaded in-line as before, its problems reported there, in order (a worker's are dropped).

A build without the cache makes the records too (they stay in memory): taking an article from its record spares
the parent reading the file again, decoding its front matter and validating it, some 0.15 ms an article on the
critical path. Such a build keeps no front-matter entry for an article that has a record (nothing would read it).
"""

from __future__ import annotations

import copy
import json
import os

from briefgen.content.parsed import encode_record
from briefgen.content.yamlsource import YamlProblem, load_yaml, split_front_matter
from briefgen.engine.cachedata import decode_doc, encode_doc, to_text
from briefgen.problems import Problems


def preparser(loader, yaml_store, digest, keep: bool):
    """A function ``path -> answer or None`` for one chunk of a prefetch: ``(front-matter key, its entry or
    None, record key, record or None)``. ``loader`` is copied so that what it reports goes nowhere (the chunk
    may run in the parent); ``yaml_store`` is only read; ``keep``: whether the stores are kept for a next build
    (if not, an article with a record gets no front-matter entry)."""
    scratch = copy.copy(loader)

    def preparse(path: str):
        scratch.problems = Problems()
        text = scratch.read(path)
        if text is None:
            return None
        try:
            yaml_text, offset, body, body_line = split_front_matter(text)
        except YamlProblem:
            return None
        key = f"{offset}|{digest(yaml_text)}"
        known = yaml_store.entries.get(key)
        try:
            if known is not None:  # what the loader would decode from the store
                doc = decode_doc(json.loads(known))
            else:
                doc = load_yaml(yaml_text, offset)
                if doc.problems:
                    return None
        except (YamlProblem, TypeError, ValueError, KeyError, AttributeError):
            return None
        rel = scratch.rel(path)
        stored = scratch.record_key(rel)
        record = None
        if stored is not None:
            found = scratch.checked(rel, os.path.basename(path), doc, body, body_line)
            if found is not None and not scratch.problems.items:  # as load_article: nothing to say, a record
                record = encode_record(found[1], found[2], body, body_line)
        entry = None
        if known is None and (keep or record is None):
            try:
                entry = to_text(encode_doc(doc))
            except (TypeError, ValueError):
                entry = None
        return key, entry, (stored if record is not None else None), record

    return preparse

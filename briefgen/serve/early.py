"""Open pages first: what a writer is looking at reloads before the rest of the site is rebuilt.

A preview rebuild still renders every page the change affects, through the
same ``Builder.rebuild``; this is a hook into it (``Builder.early``). After the
site is loaded and the pages to render are known, ``OpenPagesFirst`` renders
those that a browser shows right now (``ReloadHub.open_pages``), writes them
in place (each through a rename) and tells those browsers to reload. The
build then renders, checks and writes the rest as usual.

Two promises hold meanwhile:

* **No half-built site.** Until the build has written everything, requests
  for any other page wait (``ReloadHub.hold``; assets are not held), so a
  link followed from a reloaded page never lands on a stale page. Which other
  pages change is not known yet: their fingerprints are worked out after the
  open pages are on their way.
* **A failed build changes nothing.** If the rest of the build fails (a broken
  link, a template error on another page), ``undo`` puts the earlier bytes
  back, and the pages that reloaded early are told to reload again.
"""

from __future__ import annotations

import contextlib

from briefgen.problems import Problems
from briefgen.rebuild import Progress, render_into
from briefgen.write import replace_in_place


class OpenPagesFirst:
    def __init__(self, hub, project, announce):
        self.hub = hub
        self.project = project
        self.announce = announce  # announce(written output paths): tell the open pages
        self.undo_bytes: dict[str, bytes | None] = {}  # output -> bytes before this build (None: absent)

    def __call__(self, site, pages: list, renderer, stale) -> dict[str, bytes]:
        """Render and write the open pages among ``pages`` that are ``stale(page)``; returns their bytes.

        Called before the other pages' fingerprints are computed: the build works those out, and
        renders the rest, once the open pages are on their way.
        """
        self.undo_bytes = {}
        shown = self.hub.open_pages()
        first = [page for page in pages if page.output in shown and stale(page)]
        if not first:
            return {}
        rendered, failed = render_into(site, first, renderer, self.project, 1, Progress(), Problems())
        if failed:
            return {}  # the build renders them again and reports the problem where it belongs
        self.hub.hold(set(rendered))
        written = []
        for rel, data in rendered.items():
            path = self.project.output / rel
            try:
                old = path.read_bytes()
            except OSError:
                old = None
            if old == data:
                continue
            self.undo_bytes[rel] = old
            replace_in_place(path, data, make_parent=True)
            written.append(rel)
        if written:
            self.announce(written)
        return rendered

    def done(self) -> None:
        """The build wrote everything: release the held pages."""
        self.undo_bytes = {}
        self.hub.release()

    def undo(self) -> list[str]:
        """The build failed after the open pages were written: put their old bytes back. Returns their paths."""
        restored = []
        for rel, old in self.undo_bytes.items():
            path = self.project.output / rel
            if old is None:
                with contextlib.suppress(OSError):
                    path.unlink()
            else:
                replace_in_place(path, old, make_parent=True)
            restored.append(rel)
        self.done()
        return restored

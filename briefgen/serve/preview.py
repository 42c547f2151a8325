"""One running preview: build, serve, watch, rebuild, tell the open pages.

Every rebuild goes through ``briefgen.engine.build.Builder.rebuild(changed)``, the
same path as ``briefgen build``; this module only decides what to tell the
browser from the result. A failed build raises before anything is written, so
the output folder (and what the server sends) stays the last good build while
the problems go to the terminal and to an overlay in the open pages.
"""

from __future__ import annotations

import errno
import gc
import logging
import sys
import threading
import time
from collections.abc import Callable

from briefgen.engine.build import Builder, BuildResult
from briefgen.engine.lock import project_lock
from briefgen.engine.oserrors import os_problem
from briefgen.outputs.search import DeferredIndex, deferred
from briefgen.problems import BuildError, Problem
from briefgen.project import Project
from briefgen.serve.early import OpenPagesFirst
from briefgen.serve.reload import ReloadHub
from briefgen.serve.server import PreviewServer
from briefgen.serve.watch import ProjectWatcher

log = logging.getLogger("briefgen.serve")

PORT_TRIES = 10
LOCK_WAIT = 120.0  # seconds a rebuild waits for another run (a `briefgen build`) to finish
# Outputs that never need an open page to reload unless they are that page.
QUIET_SUFFIXES = (".html", ".css", ".xml", ".json", ".txt")


class PortBusy(OSError):
    """No free port in the range tried."""


def _stdout(text: str) -> None:
    print(text, flush=True)


def _stderr(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def url_for(host: str, port: int) -> str:
    if host in ("", "0.0.0.0", "::"):
        host = "localhost"  # bound everywhere: this machine's own name for it
    if ":" in host and not host.startswith("["):
        host = f"[{host}]"
    return f"http://{host}:{port}/"


class Preview:
    """``briefgen serve``, minus the command line: start(), then stop()."""

    def __init__(
        self,
        project: Project,
        *,
        host: str = "127.0.0.1",
        port: int = 8000,
        poll: bool = False,
        strict: bool = False,
        out: Callable[[str], None] = _stdout,
        err: Callable[[str], None] = _stderr,
        quiet: float = 0.03,
        request_timeout: float = 10.0,
        observer_factory: Callable[[], object] | None = None,
        drafts: bool = True,
        base_url: str | None = None,
        force: bool = False,
    ):
        self.project = project
        self.host = host
        self.port = port
        self.poll = poll
        self.out = out
        self.err = err
        self.quiet = quiet
        self.request_timeout = request_timeout
        self.observer_factory = observer_factory
        # A preview rebuilds on every save: it shows the recorded changes but records none (briefgen.briefing.changes).
        # It also shows drafts and scheduled reports, each with a banner (briefgen.content.schedule).
        # It waits longer than a command for the lock: a save made while `briefgen build` runs is built after it.
        self.builder = Builder(
            project,
            strict=strict,
            record_changes=False,
            preview=True,
            drafts=drafts,
            base_url=base_url,
            force=force,
            lock_wait=LOCK_WAIT,
        )
        self.search_index = DeferredIndex(project.output)  # search is indexed after each reload
        self.hub = ReloadHub()
        self.open_first = OpenPagesFirst(self.hub, project, lambda written: self.hub.built(written, [], []))
        self.unbuilt: set[str] | None = None  # inputs changed since the last good build (None: no good build yet)
        self.server: PreviewServer | None = None
        self.watcher: ProjectWatcher | None = None
        self.url = ""
        self._serving: threading.Thread | None = None

    # --- lifecycle -----------------------------------------------------------

    def start(self) -> str:
        """Build once, start serving and watching; returns the URL."""
        self.rebuild(None)
        self.settle()
        self.server = self._bind()
        self.url = url_for(self.host, self.server.server_address[1])
        self._serving = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.1}, name="briefgen-http", daemon=True
        )
        self._serving.start()
        kwargs = {"observer_factory": self.observer_factory} if self.observer_factory else {}
        self.watcher = ProjectWatcher(
            self.project, self.rebuild, poll=self.poll, quiet=self.quiet, echo=self.out, idle=self.settle, **kwargs
        )
        self.watcher.start()
        return self.url

    def _bind(self) -> PreviewServer:
        ports = [self.port] if self.port == 0 else range(self.port, min(self.port + PORT_TRIES, 65536))
        for port in ports:
            try:
                server = PreviewServer(
                    (self.host, port), self.project.output, self.hub, request_timeout=self.request_timeout
                )
            except OSError as exc:
                if exc.errno == errno.EADDRINUSE:
                    continue
                raise
            if port != self.port:
                self.out(f"Port {self.port} is in use; serving on port {port} instead.")
            return server
        raise PortBusy(
            errno.EADDRINUSE,
            f"ports {ports[0]}-{ports[-1]} are all in use (stop the other server, or choose one with --port)",
        )

    def stop(self) -> None:
        """Stop watching and serving; frees the port. Waits briefly for a rebuild in progress to finish writing."""
        if self.watcher is not None:
            self.watcher.stop()
            deadline = time.monotonic() + 0.6
            while self.watcher.batcher.busy.is_set() and time.monotonic() < deadline:
                time.sleep(0.01)
            if not self.watcher.batcher.busy.is_set():
                self.builder.persist()  # what a pending settle() would have saved: the next start is quicker
        self.hub.close()
        gc.unfreeze()
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()
            self.server = None

    def __enter__(self) -> Preview:
        self.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stop()

    # --- rebuilding ----------------------------------------------------------

    def rebuild(self, changed: set[str] | None) -> BuildResult | None:
        """One rebuild through the shared Builder; tells the open pages what changed."""
        # Open pages first, unless a static file changed: a page written early would ask for an asset with a
        # new hashed name before it is copied (and CSS is swapped in place, not reloaded).
        assets = changed is None or any("/static/" in f"/{path}" for path in changed)
        self.builder.early = None if assets else self.open_first
        # The last good build is what pages are rendered ahead from: only when nothing but this save differs
        # from it (a failed build since may have been a change to another file, not in that site).
        self.unbuilt = None if changed is None or self.unbuilt is None else self.unbuilt | changed
        if not assets and self.unbuilt == changed:
            try:
                with project_lock(self.project.root, wait=0):  # another run writing the site: no head start
                    self.open_first.ahead(self.builder.last, changed)
            except BuildError:
                pass
            except Exception:  # only a head start: the build below renders the page anyway
                log.exception("briefgen serve: rendering the open page ahead failed")
        gc.unfreeze()  # the last build's site is garbage once this build is done: collections see it again
        try:
            with deferred(self.search_index):
                result = self.builder.rebuild(changed=changed)
        except BuildError as exc:
            self._undo_early()
            self._failed(exc.problems)
            return None
        except OSError as exc:  # the disk (full, read-only...): say where, keep serving the last good build
            self._undo_early()
            self._failed([os_problem(exc, self.project)])
            return None
        except Exception as exc:  # a bug: say so, keep serving the last good build
            self._undo_early()
            log.exception("briefgen serve: the build crashed")
            self._failed([Problem("briefgen", None, f"internal error: {exc!r}", "see the terminal")])
            return None
        self.open_first.done()
        self.unbuilt = set()
        for warning in result.warnings:
            self.err(str(warning))
        if changed is None:
            self.out(f"Built {len(result.pages)} pages in {result.seconds:.2f} s.")
        else:
            self._announce(result, changed)
        self.open_first.prepare(result.site)  # after the reload: the next save's pages are rendered sooner
        self._keep_out_of_collections()
        return result

    def _keep_out_of_collections(self) -> None:
        """Leave what is in memory now (the site just built, millions of objects at a few thousand articles) out of
        Python's garbage collections until the next build: a full collection walks every tracked object, 250 ms
        and more a time at 4,000 articles, and one fell due in the middle of the next save's open pages about
        every other save. Nothing frozen is lost: ``rebuild`` unfreezes it before building again, and ``stop``."""
        gc.freeze()

    def settle(self, interrupted: Callable[[], bool] = lambda: False) -> None:
        """The work no open page waits for, done once the saves pause: the search index, the cache on disk."""
        try:
            with project_lock(self.project.root, wait=LOCK_WAIT):  # it writes into the output folder
                self.search_index.run(interrupted)
                if not interrupted():
                    self.builder.persist()
        except BuildError as exc:
            for problem in exc.problems:
                self.err(str(problem))

    def _undo_early(self) -> None:
        """A failed build leaves the last good one: also the open pages it had written first."""
        self.search_index.discard()
        restored = self.open_first.undo()
        if restored:
            self.hub.built(restored, [], [])

    def _failed(self, problems: list[Problem]) -> None:
        for problem in problems:
            self.err(str(problem))
        errors = sum(1 for p in problems if p.severity == "error")
        self.err(f"Build failed: {errors} error(s). Still serving the last good build.")
        self.hub.failed([p.as_dict() for p in problems])

    def _announce(self, result: BuildResult, changed: set[str]) -> None:
        stats = result.stats
        written = list(stats.changed_paths) if stats else []
        removed = list(stats.removed_paths) if stats else []
        css = [p for p in written if p.endswith(".css")]
        if changed and all(c.endswith(".css") for c in changed):
            # Only stylesheets changed: pages differ only in the hashed <link> names, so swap them in place.
            self.hub.built([], [], css)
        else:
            reload_all = any(p.startswith("static/") and not p.endswith(QUIET_SUFFIXES) for p in written + removed)
            self.hub.built(written, removed, css, reload_all)
        inputs = sorted(changed)
        what = ", ".join(inputs[:3]) + (f" and {len(inputs) - 3} more" if len(inputs) > 3 else "")
        self.out(
            f"Rebuilt in {result.seconds * 1000:.0f} ms: {len(result.pages)} pages, "
            f"{len(written)} file(s) written, {len(removed)} removed ({what})."
        )

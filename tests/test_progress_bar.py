"""The terminal progress bar (``briefgen.commands._progress``): nothing of it, rich included, before a build has
run for ``DELAY`` seconds; then the bar, with the stage the build is in. Run in a child process whose stderr is
a real pseudo-terminal, read from its master side."""

from __future__ import annotations

import os
import pty
import subprocess
import sys
import textwrap

CHILD = textwrap.dedent(
    """
    import sys, time
    from briefgen.commands._progress import DELAY, TerminalProgress, wanted
    assert wanted(False)
    bar = TerminalProgress()
    bar.stage("Loading content", 10)
    bar.advance(3)
    print("rich before the delay:", "rich" in sys.modules, flush=True)
    time.sleep(DELAY + 0.2)
    bar.stage("Rendering pages", 50)
    bar.advance(7)
    print("rich after the delay:", "rich" in sys.modules, flush=True)
    bar.close()
    """
)


def test_the_bar_and_rich_come_only_after_the_delay():
    master, slave = pty.openpty()
    env = {k: v for k, v in os.environ.items() if k != "CI"}
    env["TERM"] = "xterm-256color"
    proc = subprocess.Popen(
        [sys.executable, "-c", CHILD], stdin=slave, stdout=slave, stderr=slave, env=env, close_fds=True
    )
    os.close(slave)
    out = b""
    while True:
        try:
            chunk = os.read(master, 65536)
        except OSError:  # the child closed its side
            break
        if not chunk:
            break
        out += chunk
    os.close(master)
    assert proc.wait(timeout=60) == 0, out.decode(errors="replace")
    text = out.decode(errors="replace")
    assert "rich before the delay: False" in text
    assert "rich after the delay: True" in text
    assert "Rendering pages" in text and "7/50" in text  # the stage the build is in, drawn
    assert "Loading content" not in text  # a stage over before the delay is never drawn

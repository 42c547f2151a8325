"""The swap's one-step exchange finds libc's ``renameat2`` without running a program.

``ctypes.util.find_library`` runs ``ldconfig -p`` in a subprocess: 10-60 ms of wall time that every rebuild
spent in its swap. The process's own symbols hold ``renameat2`` on Linux.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import sys

import pytest

from briefgen.engine import swap


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="renameat2 is Linux's")
def test_the_exchange_swaps_two_folders_without_looking_libc_up_by_name(tmp_path, monkeypatch):
    def by_name(*args, **kwargs):
        raise AssertionError("find_library runs ldconfig in a subprocess")

    monkeypatch.setattr(ctypes.util, "find_library", by_name)
    monkeypatch.setattr(swap, "_renameat2", None)
    assert swap._libc_renameat2(ctypes) is not False
    a, b = tmp_path / "a", tmp_path / "b"
    a.mkdir()
    b.mkdir()
    (a / "x").write_text("in a")
    (b / "y").write_text("in b")
    if swap._exchange(a, b):  # (False only where the file system cannot exchange)
        assert (a / "y").read_text() == "in b" and (b / "x").read_text() == "in a"
    assert swap._renameat2 is not False


def test_without_renameat2_among_its_own_symbols_libc_is_found_by_name(monkeypatch):
    """Where the process's symbols lack it, the lookup by name is still tried (and False where both fail)."""
    real = ctypes.CDLL

    def cdll(name, *args, **kwargs):
        if name is None:
            raise OSError("no symbols of its own")
        return real(name, *args, **kwargs)

    monkeypatch.setattr(ctypes, "CDLL", cdll)
    found = swap._libc_renameat2(ctypes)
    assert found is False or callable(found)

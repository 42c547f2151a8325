"""A reproducible "now" for a build: the content's own latest date, never the wall clock.

Staleness ("no update for 14 days") and the dates of recorded changes need a
present moment. Reading the clock would make two builds of the same input
differ, so briefgen takes the newest date the content itself states (an
article's ``updated:`` or ``date:``), or ``SOURCE_DATE_EPOCH`` when it is set:
the reproducible-builds convention for "this build's time", which a desk can
set to the publish time (``SOURCE_DATE_EPOCH=$(date +%s) briefgen build``) or a
CI job to the last commit's time (``git log -1 --format=%ct``).
"""

from __future__ import annotations

import datetime as dt
import os
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

if TYPE_CHECKING:  # a type only: the "nothing changed" shortcut imports this module, not the model
    from briefgen.content.model import Site


def source_date_epoch() -> dt.datetime | None:
    """``SOURCE_DATE_EPOCH`` as an aware UTC datetime, or None when unset or not a whole number."""
    raw = os.environ.get("SOURCE_DATE_EPOCH", "").strip()
    if not raw.isdigit():
        return None
    try:
        return dt.datetime.fromtimestamp(int(raw), dt.UTC)
    except (OverflowError, OSError, ValueError):
        return None


def content_now(site: Site) -> dt.datetime | None:
    """The build's "now": ``SOURCE_DATE_EPOCH``, else the newest article date; None for a site without articles."""
    epoch = source_date_epoch()
    if epoch is not None:
        return epoch
    return max((a.modified for a in site.articles), default=None)


def site_tz(site: Site) -> dt.tzinfo | None:
    """The site's time zone (``timezone:`` in the config), or None for the dates as written."""
    return ZoneInfo(site.config.timezone) if site.config.timezone else None

"""The theme's filters, remembered per build (``briefgen.render.render``), give the answers of the plain functions.

A date filter remembers each date or time object it formatted (``by_identity``) and ``host`` each address it
split. Equal instants in other zones are other objects and keep their own text; anything that is not a date
is formatted each time, as before.
"""

from __future__ import annotations

import datetime as dt
from urllib.parse import urlsplit

from hypothesis import given
from hypothesis import strategies as st

from briefgen.render.render import by_identity, fmt_date, fmt_datetime, fmt_iso, url_host, zone_datetime

zones = st.sampled_from(
    [None, dt.UTC, dt.timezone(dt.timedelta(hours=2)), dt.timezone(-dt.timedelta(hours=5, minutes=30))]
)
values = st.none() | st.dates() | st.builds(lambda d, z: d.replace(tzinfo=z), st.datetimes(), zones)
KYIV = zone_datetime("Europe/Kyiv", "Kyiv time")


@given(st.lists(values, max_size=12))
def test_remembered_dates_are_the_plain_answers(items):
    for plain in (fmt_date, fmt_datetime, fmt_iso, KYIV):
        remembered = by_identity(plain)
        for _ in range(2):  # the second round answers from the memo
            assert [remembered(v) for v in items] == [plain(v) for v in items]


def test_the_same_instant_in_another_zone_keeps_its_own_text():
    utc = dt.datetime(2025, 3, 1, 12, 0, tzinfo=dt.UTC)
    kyiv = utc.astimezone(dt.timezone(dt.timedelta(hours=2)))
    assert utc == kyiv and hash(utc) == hash(kyiv)  # equal as values: a memo by value would mix them up
    remembered = by_identity(fmt_datetime)
    assert [remembered(utc), remembered(kyiv), remembered(utc)] == [
        "1 Mar 2025, 12:00 UTC+00:00",
        "1 Mar 2025, 14:00 UTC+02:00",
        "1 Mar 2025, 12:00 UTC+00:00",
    ]


def test_what_is_not_a_date_is_formatted_each_time():
    calls = []

    def plain(value):
        calls.append(value)
        return str(value)

    remembered = by_identity(plain)
    items = ["2025-01-01", 3, ["a"]]
    assert [remembered(v) for v in items * 2] == [str(v) for v in items * 2]
    assert len(calls) == 6


@given(
    st.sampled_from(["", "https://www.afp.com/en", "http://x.org:80/a", "//cdn.example", "mailto:a@b.c"]) | st.text()
)
def test_host_is_the_plain_answer(url):
    for _ in range(2):
        try:
            expected = (urlsplit(url).hostname or "").removeprefix("www.")
        except ValueError as exc:
            expected = type(exc)
        try:
            got = url_host(url)
        except ValueError as exc:
            got = type(exc)
        assert got == expected
    assert url_host(None) == ""

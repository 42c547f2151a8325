"""A person's or source's page lists its reports newest first: ``assemble`` sorts them by the site's date order
(``date_ranks``: numbers, equal for equal dates) instead of comparing time-zoned dates; the order must be the one
a sort by date gives, ties (one instant written in two time zones) included, and a site not in date order falls
back to the dates."""

from __future__ import annotations

import datetime as dt
import itertools
from pathlib import Path

from conftest import copy_example

from briefgen.content.site import load_site
from briefgen.pages.assemble import assemble, date_ranks, party_page
from briefgen.problems import Problems
from briefgen.project import Project


def _site(tmp_path: Path):
    project = copy_example(tmp_path / "project")
    site = load_site(Project.at(project, project / "site", None), Problems(), None)
    assert site is not None
    return site


def _orders(site) -> tuple[list, list]:
    rank = date_ranks(site)
    fast = [[id(a) for a in party_page(site, p, rank).context["articles"]] for p in site.parties.values()]
    plain = [[id(a) for a in party_page(site, p).context["articles"]] for p in site.parties.values()]
    return fast, plain


def _with_extras(site) -> int:
    """How many parties list reports besides their own (quoted, or giving a figure or a claim, in another's)."""
    count = 0
    for party in site.parties.values():
        own = set(map(id, party.articles))
        items = itertools.chain(party.quotes, party.figures, party.claims)
        count += any(id(i.article) not in own for i in items)
    return count


def test_party_pages_list_reports_as_a_date_sort_does(tmp_path):
    site = _site(tmp_path)
    assert _with_extras(site)  # the example has a party whose page adds another's report
    fast, plain = _orders(site)
    assert fast == plain
    pages = {p.output: p for p in assemble(site) if p.kind == "party"}
    assert len(pages) == len(site.parties)


def test_equal_dates_in_other_time_zones_keep_their_order(tmp_path):
    site = _site(tmp_path)
    instant = dt.datetime(2025, 3, 1, 12, 0, tzinfo=dt.UTC)
    plus_two = dt.timezone(dt.timedelta(hours=2))
    for n, article in enumerate(site.articles):  # one instant, written two ways: every date ties
        article.date = instant if n % 2 else instant.astimezone(plus_two)
    distinct = len(set(date_ranks(site).values()))
    assert distinct == 1
    fast, plain = _orders(site)
    assert fast == plain
    assert any(len(order) > 1 for order in plain)


def test_a_site_not_in_date_order_is_sorted_by_its_dates(tmp_path):
    site = _site(tmp_path)
    site.articles.reverse()  # oldest first: the site's order says nothing of the dates
    ranked = date_ranks(site) is not None  # (a bool: the repr of a site's articles is huge)
    assert not ranked
    fast, plain = _orders(site)
    assert fast == plain

"""The declared schema of everything an author writes.

One set of pydantic models serves the loader (validation with located
errors), the docs (``docs/content.md`` is checked against it) and editors
(``briefgen schema`` exports it as JSON Schema). Models are strict: a YAML
value of the wrong type is an error, never silently converted, and unknown
keys are errors (with a "did you mean" hint added by the loader).
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

Id = Annotated[
    str,
    StringConstraints(pattern=r"^[a-z0-9][a-z0-9-]*$", max_length=80),
    Field(description="an id: lower-case letters, digits and hyphens"),
]
Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]
URL_PATTERN = r"^https?://[^\s/?#]+[^\s]*$"
Url = Annotated[
    str,
    StringConstraints(pattern=URL_PATTERN, max_length=2000),
    Field(description="an absolute http:// or https:// URL"),
]
Status = Literal["developing", "dormant", "concluded"]
Verdict = Literal["confirmed", "disputed", "unverified", "false"]
When = dt.datetime | dt.date


class Strict(BaseModel):
    # strict: YAML's `NO`, `1.10` or a date never silently become text;
    # allow_inf_nan=False: `.inf` and `.nan` are not numbers a reader can use.
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True, allow_inf_nan=False)


# --- briefgen.yaml -----------------------------------------------------------


class PublishConfig(Strict):
    git: str | None = Field(None, description="git remote (URL or path) to push the site to")
    branch: str = Field("gh-pages", description="branch that receives the built site")
    dir: str | None = Field(None, description="folder to sync the built site into")
    max_deletes: int = Field(25, ge=0, description="refuse to delete more files than this without --force")
    message: str = Field("Publish site", description="commit message for --git")


class MarkdownConfig(Strict):
    allow_html: bool = Field(False, description="allow raw HTML in Markdown; it is then sanitised with nh3")


class SiteConfig(Strict):
    title: Text
    description: str = ""
    base_url: str = Field(
        "http://localhost:8000/", description="absolute URL of the site's root, e.g. https://example.org/briefs/"
    )
    language: str = "en"
    timezone: str | None = Field(
        None, description="IANA zone (Europe/Kyiv) applied to dates written without a time zone"
    )
    publisher: str = ""
    home_latest: int = Field(8, ge=1, le=100, description="latest articles listed on the home page")
    per_page: int = Field(20, ge=1, description="articles (and timeline entries) per topic page before paginating")
    stale_after_days: int = Field(14, ge=1, description="a topic with no article for this many days is marked stale")
    max_file_size: int = Field(2_000_000, ge=1000, description="content files larger than this many bytes are rejected")
    search: bool = Field(True, description="build a Pagefind search index when pagefind is installed")
    markdown: MarkdownConfig = MarkdownConfig()
    publish: PublishConfig = PublishConfig()


# --- content/topics/<slug>.yaml ----------------------------------------------


class WatchItem(Strict):
    date: dt.date | None = None
    text: Text


class TopicIn(Strict):
    title: Text
    summary: Text = Field(description="the bottom line: 1-3 sentences")
    status: Status = "developing"
    why_it_matters: str = ""
    watch: list[WatchItem] = []
    related: list[Id] = []


# --- content/people.yaml and content/sources.yaml ----------------------------


class PartyIn(Strict):
    name: Text
    kind: Literal["person", "organisation"] = "person"
    role: str = ""
    url: Url | None = None


class SourceIn(Strict):
    name: Text
    kind: Literal["outlet", "originator"] = "outlet"
    url: Url | None = None
    description: str = ""


# --- content/articles/*.md front matter ---------------------------------------


class CitationIn(Strict):
    source: Id
    url: Url | None = None
    note: str = ""


class QuoteIn(Strict):
    speaker: Id
    text: Text
    said: When | None = None
    where: str = ""
    via: Id | None = None


class FigureIn(Strict):
    id: Id
    label: Text
    value: int | float
    unit: str = ""
    as_of: When | None = None
    by: Id
    measure: Id | None = Field(None, description="what is measured; figures sharing it are compared")
    note: str = ""
    via: Id | None = None


class EventIn(Strict):
    date: When
    text: Text


class ClaimIn(Strict):
    question: Text
    by: Id
    text: Text
    status: Verdict = "unverified"
    date: When | None = None
    evidence: str = ""


class ArticleIn(Strict):
    title: Text
    date: When
    updated: When | None = None
    slug: Id | None = None
    topics: list[Id] = Field(min_length=1)
    summary: Text
    dateline: str = ""
    author: str = ""
    sources: list[CitationIn] = []
    people: list[Id] = []
    quotes: list[QuoteIn] = []
    figures: list[FigureIn] = []
    events: list[EventIn] = []
    claims: list[ClaimIn] = []


FILE_MODELS = {
    "config": SiteConfig,
    "topic": TopicIn,
    "article": ArticleIn,
    "person": PartyIn,
    "source": SourceIn,
}


def json_schemas() -> dict:
    """JSON Schema for every file kind, for editors (``briefgen schema``)."""
    return {
        "briefgen.yaml": SiteConfig.model_json_schema(),
        "content/topics/*.yaml": TopicIn.model_json_schema(),
        "content/articles/*.md (front matter)": ArticleIn.model_json_schema(),
        "content/people.yaml (each entry)": PartyIn.model_json_schema(),
        "content/sources.yaml (each entry)": SourceIn.model_json_schema(),
    }

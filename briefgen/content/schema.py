"""The declared schema of everything an author writes.

One set of pydantic models serves the loader (validation with located
errors), the docs (``briefgen.content.reference`` makes the field tables of
``docs/content.md`` from it) and editors (``briefgen schema`` exports it as
JSON Schema). Models are strict: a YAML
value of the wrong type is an error, never silently converted, and unknown
keys are errors (with a "did you mean" hint added by the loader).

Cheap to import: a model's validator is built when it first validates (``defer_build``), the defaults that
are models are made without one (``model_construct``), and the annotations are objects, not text that
pydantic would evaluate again for every model (no ``from __future__ import annotations`` here).
"""

import datetime as dt
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

ID_PATTERN = r"^[a-z0-9][a-z0-9-]*$"  # never '/', '\\' or '..': ids become URL path segments
Id = Annotated[
    str,
    StringConstraints(pattern=ID_PATTERN, max_length=80),
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
Confidence = Literal["low", "moderate", "high"]
When = dt.datetime | dt.date


class Strict(BaseModel):
    # strict: YAML's `NO`, `1.10` or a date never silently become text;
    # allow_inf_nan=False: `.inf` and `.nan` are not numbers a reader can use.
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True, allow_inf_nan=False, defer_build=True)


# --- briefgen.yaml -----------------------------------------------------------


NOT_AN_OPTION_PATTERN = r"^[^-]"  # git would read a leading '-' as an option
NotAnOption = Annotated[str, StringConstraints(pattern=NOT_AN_OPTION_PATTERN)]


class HeaderRule(Strict):
    match: str = Field(description="glob over the site path (* also crosses /), e.g. static/*.webp")
    cache_control: str | None = Field(None, description="Cache-Control for matching files")
    content_type: str | None = Field(None, description="Content-Type for matching files")


class PublishConfig(Strict):
    git: NotAnOption | None = Field(
        None, description="git remote (URL, path or remote name) to push the site to; never starting with '-'"
    )
    branch: NotAnOption = Field("gh-pages", description="branch that receives the built site")
    dir: str | None = Field(None, description="folder to sync the built site into")
    max_deletes: int = Field(25, ge=0, description="refuse to delete more files than this without --force")
    max_report_share: float = Field(
        20, ge=0, le=100, description="refuse to delete more than this percentage of the published reports"
    )
    message: str = Field("Publish site", description="commit message for --git")
    s3: str | None = Field(None, description="s3://BUCKET[/PREFIX] to upload the site to")
    endpoint_url: str | None = Field(None, description="endpoint of an S3-compatible service (R2, MinIO) for s3")
    invalidate: str | None = Field(None, description="CloudFront distribution whose changed paths s3 invalidates")
    headers: list[HeaderRule] = Field(
        [], description="Content-Type and Cache-Control by pattern for s3, first match wins"
    )


class MarkdownConfig(Strict):
    allow_html: bool = Field(False, description="allow raw HTML in Markdown; it is then sanitised with nh3")


class SiteConfig(Strict):
    title: Text = Field(description="the site's name, shown on every page")
    description: str = Field("", description="one sentence about the site, for search engines and feeds")
    base_url: str = Field(
        "http://localhost:8000/", description="absolute URL of the site's root, e.g. https://example.org/briefs/"
    )
    language: str = Field("en", description="the content's language as a BCP 47 tag, e.g. en or uk")
    timezone: str | None = Field(
        None, description="IANA zone (Europe/Kyiv) applied to dates written without a time zone"
    )
    timezone_name: str = Field(
        "",
        max_length=40,
        description="what readers call the site's zone, e.g. Kyiv time: shown instead of a UTC offset for times in it",
    )
    publisher: str = Field("", description="who publishes the site, for feeds and metadata")
    home_latest: int = Field(8, ge=1, le=100, description="latest articles listed on the home page")
    per_page: int = Field(20, ge=1, description="articles (and timeline entries) per topic page before paginating")
    stale_after_days: int = Field(14, ge=1, description="a topic with no article for this many days is marked stale")
    max_file_size: int = Field(2_000_000, ge=1000, description="content files larger than this many bytes are rejected")
    max_image_size: int = Field(20_000_000, ge=1000, description="image files larger than this many bytes are rejected")
    search: bool = Field(True, description="build a Pagefind search index when pagefind is installed")
    links: Literal["folders", "files"] = Field(
        "folders",
        description="folders: links end in / (topics/x/), for a web server; "
        "files: they end in index.html, so the site also works opened from the disk",
    )
    pdf: bool = Field(
        False, description="also write each topic's briefing pack as PDF (topics/<slug>/briefing.pdf); needs WeasyPrint"
    )
    markdown: MarkdownConfig = Field(MarkdownConfig.model_construct(), description="how article bodies are rendered")
    publish: PublishConfig = Field(PublishConfig.model_construct(), description="where briefgen publish sends the site")


# --- content/topics/<slug>.yaml ----------------------------------------------


class WatchItem(Strict):
    date: dt.date | None = Field(None, description="the day to watch, if there is one (a day, no time)")
    text: Text = Field(description="what to watch for")


class TopicIn(Strict):
    title: Text = Field(description="the running story's headline")
    label: str = Field(
        "",
        max_length=32,
        description="a short name (at most 32 characters) for the topic strip, kickers and navigation; default: the title",
    )
    summary: Text = Field(description="the bottom line: 1-3 sentences of fact, shown first")
    analysis: str = Field(
        "", description="the desk's own view of the story, shown apart from the bottom line and labelled as analysis"
    )
    confidence: Confidence | None = Field(
        None,
        description="low, moderate or high: how sure the bottom line's judgement is (needed with likely, probably...)",
    )
    status: Status = Field("developing", description="developing, dormant or concluded")
    why_it_matters: str = Field("", description="a short paragraph on why a reader should care")
    watch: list[WatchItem] = Field([], description="what to watch next, dated or open")
    related: list[Id] = Field([], description="ids (file names) of related topics")
    draft: bool = Field(False, description="true: left out of a normal build (shown by serve and build --drafts)")


# --- content/people.yaml and content/sources.yaml ----------------------------


class PartyIn(Strict):
    name: Text = Field(description="full name as shown to readers")
    kind: Literal["person", "organisation"] = Field("person", description="person or organisation")
    role: str = Field("", description="what they are, e.g. President of Ukraine")
    url: Url | None = Field(None, description="an official page (http or https)")


class SourceIn(Strict):
    name: Text = Field(description="the outlet's or originator's name")
    kind: Literal["outlet", "originator"] = Field(
        "outlet", description="outlet (a news organisation) or originator (where a figure first appeared)"
    )
    url: Url | None = Field(None, description="its home page (http or https)")
    description: str = Field("", description="one line on what it is")


# --- content/articles/*.md front matter ---------------------------------------


class CitationIn(Strict):
    source: Id = Field(description="id from sources.yaml")
    url: Url | None = Field(None, description="the cited page (http or https)")
    note: str = Field("", description="what was taken from it")


class QuoteIn(Strict):
    speaker: Id = Field(description="who said it: id from people.yaml or sources.yaml")
    text: Text = Field(description="the words, without quotation marks")
    said: When | None = Field(None, description="when it was said")
    undated: bool = Field(
        False, description="the source gives no date for it: say so (shown as 'date not given') rather than guess one"
    )
    where: str = Field("", description="where it was said")
    via: Id | None = Field(None, description="the source that reported it: id from sources.yaml")
    key: bool | Annotated[int, Field(ge=1, le=3)] = Field(
        False,
        description="a key quote, shown in the topic's core (at most three per topic): true, or 1-3 to set the order",
    )


class FigureIn(Strict):
    id: Id = Field(description="unique across the site, e.g. drones-launched-2025-02-23")
    label: Text = Field(description="what the number counts")
    value: int | float = Field(description="the number itself, unquoted")
    unit: str = Field("", description="e.g. drones, people, USD")
    as_of: When | None = Field(None, description="when the number was true")
    by: Id = Field(description="who reported it: id from people.yaml or sources.yaml")
    measure: Id | None = Field(None, description="what is measured; figures sharing it are shown side by side")
    note: str = Field("", description="context or caveats")
    via: Id | None = Field(None, description="the source that carried it: id from sources.yaml")
    part_of: Id | None = Field(
        None, description="id of the figure this one breaks down (e.g. intercepted of launched): shown as one item"
    )
    derived: str = Field(
        "",
        description="how the desk worked this number out from others (e.g. 267 - 138 - 119); marks it as the desk's "
        "own calculation, and `by` should then name the desk",
    )
    one_sided: bool = Field(
        False, description="a figure only one side gives and no one has checked: tagged as unverified"
    )


class EventIn(Strict):
    date: When = Field(description="when it happened")
    inferred: bool = Field(
        False, description="the source does not give this date; the desk inferred it (shown as inferred)"
    )
    text: Text = Field(description="what happened, in one sentence")


class ClaimIn(Strict):
    question: Text = Field(description="what is in dispute; claims with the same question are grouped")
    kind: Literal["fact", "position"] = Field(
        "fact",
        description="fact: a checkable claim of fact, which gets a status; position: a demand, wish or opinion "
        "(who wants what, who says what about whom), which never gets a verdict",
    )
    by: Id = Field(description="who makes the claim: id from people.yaml or sources.yaml")
    text: Text = Field(description="the claim")
    status: Verdict | None = Field(
        None, description="confirmed, disputed, unverified or false (facts only; a fact without one is unverified)"
    )
    date: When | None = Field(None, description="when the claim was made")
    evidence: str = Field("", description="what supports or contradicts it (facts); context (positions)")
    assessment: str = Field("", description="the desk's assessment of a claim of fact, labelled as the desk's")
    settle: str = Field("", description="what would settle a claim of fact")


class CorrectionIn(Strict):
    date: When = Field(description="when the correction was made: not before the article's date")
    text: Text = Field(description="what was wrong and what is right, in the desk's own words")


class ImageIn(Strict):
    file: Text = Field(description="the image file (JPEG, PNG or WebP), relative to this article's file")
    alt: Text = Field(description="what the image shows, for readers who cannot see it")
    caption: str = Field("", description="shown under the image")
    credit: Text = Field(description="who took or made it, shown with the caption")


class ArticleIn(Strict):
    title: Text = Field(description="the headline")
    date: When = Field(description="when it was published")
    updated: When | None = Field(None, description="when it was last changed")
    slug: Id | None = Field(None, description="the page's URL name; default: the file name, slugified")
    topics: list[Id] = Field(min_length=1, description="ids (file names) of the topics it belongs to")
    summary: Text = Field(description="one sentence")
    confidence: Confidence | None = Field(
        None, description="low, moderate or high: how sure the summary's judgement is (needed with likely, probably...)"
    )
    dateline: str = Field(
        "", description="where it was filed from: only a place the desk reported from, never the story's location"
    )
    author: str = Field("", description="who wrote it")
    sources: list[CitationIn] = Field([], description="where this was reported")
    people: list[Id] = Field([], description="who appears: ids from people.yaml")
    quotes: list[QuoteIn] = Field([], description="who said what")
    figures: list[FigureIn] = Field([], description="numbers, each with who reported them")
    events: list[EventIn] = Field([], description="dated events for the topic's timeline")
    claims: list[ClaimIn] = Field([], description="claims of fact and positions")
    draft: bool = Field(False, description="true: left out of a normal build (shown by serve and build --drafts)")
    publish_at: When | None = Field(None, description="embargo: the report is left out of every output until then")
    expires_at: When | None = Field(None, description="from then on the report is withdrawn (a note page stays)")
    corrections: list[CorrectionIn] = Field([], description="corrections, each with its date and what was corrected")
    authors: list[Id] = Field([], description="bylines: ids from people.yaml")
    image: ImageIn | None = Field(None, description="the lead photo or graphic, shown at the top and in link previews")
    analysis: str = Field(
        "", description="the desk's analysis of the report, rendered apart from the reporting and labelled Analysis"
    )


FILE_MODELS = {
    "config": SiteConfig,
    "topic": TopicIn,
    "article": ArticleIn,
    "person": PartyIn,
    "source": SourceIn,
}


def _keyed_by_id(model: type[BaseModel], what: str) -> dict:
    """people.yaml and sources.yaml map ids to entries: the schema of the whole file."""
    entry = model.model_json_schema()
    defs = entry.pop("$defs", None)
    schema = {
        "title": what,
        "type": "object",
        "propertyNames": {"pattern": ID_PATTERN, "maxLength": 80},
        "additionalProperties": entry,
    }
    if defs:
        schema["$defs"] = defs
    return schema


def json_schemas() -> dict:
    """JSON Schema (draft 2020-12) for every file kind, for editors (``briefgen schema``)."""
    dialect = {"$schema": "https://json-schema.org/draft/2020-12/schema"}
    for default in (MarkdownConfig, PublishConfig):  # their defaults are made unvalidated: JSON needs them built
        default.model_rebuild()
    return {
        "briefgen.yaml": dialect | SiteConfig.model_json_schema(),
        "content/topics/*.yaml": dialect | TopicIn.model_json_schema(),
        "content/articles/*.md (front matter)": dialect | ArticleIn.model_json_schema(),
        "content/people.yaml": dialect | _keyed_by_id(PartyIn, "People and organisations, keyed by id"),
        "content/sources.yaml": dialect | _keyed_by_id(SourceIn, "Outlets and originators, keyed by id"),
    }

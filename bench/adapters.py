"""The same corpus as a Hugo, an Eleventy and a Pelican project.

Each adapter reads the briefgen project written by ``make_corpus.py`` and
writes a project for the other generator that produces the same kinds of
page with the same layout: a base with the site navigation and the strip of
every topic; one page per article (kicker, title, standfirst, byline, body,
then the figures, quotes, events and claims on record and the sources); one
paginated page per topic (20 articles a page, newest first, with summaries);
one page per person; a home page with the latest 8 articles and every topic.
briefgen does more per topic page (merged timeline, grouped figures, claims,
who's who), so the comparison flatters the others slightly, never briefgen.

Hugo and Eleventy read the front matter as it is (it is plain YAML); Pelican
has no nested metadata, so its adapter writes the facts on record into the
Markdown body, which its reader then renders like any other text.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import yaml

PER_PAGE = 20
HOME_LATEST = 8


def _front_matter(text: str) -> tuple[dict, str]:
    _, fm, body = text.split("---\n", 2)
    return yaml.load(fm, Loader=yaml.CSafeLoader), body


def _fresh(dest: Path) -> Path:
    if dest.exists():
        shutil.rmtree(dest)
    dest.mkdir(parents=True)
    return dest


def _topics(src: Path) -> dict[str, dict]:
    return {
        p.stem: yaml.load(p.read_text(), Loader=yaml.CSafeLoader)
        for p in sorted((src / "content" / "topics").glob("*.yaml"))
    }


def _write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


# --- Hugo ----------------------------------------------------------------------

_HUGO_BASE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{ .Title }}</title><meta name="description" content="{{ .Params.summary }}"><link rel="canonical" href="{{ .Permalink }}">
<link rel="stylesheet" href="{{ "style.css" | relURL }}"></head>
<body><header><a href="{{ "/" | relURL }}">{{ site.Title }}</a>
<nav><ul><li><a href="{{ "/topics/" | relURL }}">Topics</a></li><li><a href="{{ "/people/" | relURL }}">People</a></li></ul></nav>
<nav class="topic-strip"><ul>{{ range site.Data.topics.list }}<li class="status-{{ .status }}"><a href="{{ printf "/topics/%s/" .slug | relURL }}">{{ .title }}</a></li>{{ end }}</ul></nav>
</header><main>{{ block "main" . }}{{ end }}</main>
<footer><p>{{ site.Title }}</p></footer></body></html>
"""

_HUGO_SINGLE = """{{ define "main" }}<article>
<p class="kicker">{{ range .Params.topics }}<a href="{{ printf "/topics/%s/" . | relURL }}">{{ index site.Data.topics.titles . }}</a> {{ end }}</p>
<h1>{{ .Title }}</h1><p class="standfirst">{{ .Params.summary }}</p>
<p class="byline">By {{ .Params.author }} {{ .Params.dateline }} <time datetime="{{ .Date.Format "2006-01-02T15:04:05-07:00" }}">{{ .Date.Format "2 Jan 2006, 15:04" }}</time></p>
<div class="prose">{{ .Content }}</div>
{{ with .Params.figures }}<h3>Figures</h3><div class="figs">{{ range . }}<div class="fig"><p>{{ .value }} {{ .unit }}</p><p>{{ .label }}</p><p>per <a href="{{ printf "/people/%s/" .by | relURL }}">{{ .by }}</a>, as of {{ .as_of }}</p></div>{{ end }}</div>{{ end }}
{{ with .Params.quotes }}<h3>Quotes</h3>{{ range . }}<blockquote><p>{{ .text }}</p><footer><a href="{{ printf "/people/%s/" .speaker | relURL }}">{{ .speaker }}</a>, {{ .said }}, {{ .where }}</footer></blockquote>{{ end }}{{ end }}
{{ with .Params.events }}<h3>Events</h3><ol>{{ range . }}<li><time>{{ .date }}</time> {{ .text }}</li>{{ end }}</ol>{{ end }}
{{ with .Params.claims }}<h3>Claims</h3><table>{{ range . }}<tr><td>{{ .question }}</td><td>{{ .by }}</td><td>{{ .text }}</td><td>{{ .status }}</td></tr>{{ end }}</table>{{ end }}
{{ with .Params.sources }}<h2>Sources</h2><ul>{{ range . }}<li>{{ .source }}{{ with .url }} <a href="{{ . }}">Original report</a>{{ end }}</li>{{ end }}</ul>{{ end }}
<ul class="chips">{{ range .Params.people }}<li><a href="{{ printf "/people/%s/" . | relURL }}">{{ . }}</a></li>{{ end }}</ul>
</article>{{ end }}
"""

_HUGO_LIST = """{{ define "main" }}<h1>{{ .Title }}</h1>{{ with .Params.summary }}<p class="bottom-line">{{ . }}</p>{{ end }}
{{ $pager := .Paginate .Pages.ByDate.Reverse }}
<ol class="items">{{ range $pager.Pages }}<li><h3><a href="{{ .RelPermalink }}">{{ .Title }}</a></h3><time>{{ .Date.Format "2 Jan 2006" }}</time><p>{{ .Params.summary }}</p></li>{{ end }}</ol>
<nav class="pager">{{ if $pager.HasPrev }}<a href="{{ $pager.Prev.URL }}">Newer</a>{{ end }} Page {{ $pager.PageNumber }} of {{ $pager.TotalPages }} {{ if $pager.HasNext }}<a href="{{ $pager.Next.URL }}">Older</a>{{ end }}</nav>
{{ end }}
"""

_HUGO_TERMS = """{{ define "main" }}<h1>{{ .Title }}</h1><ul>{{ range .Data.Terms.Alphabetical }}<li><a href="{{ .Page.RelPermalink }}">{{ .Page.Title }}</a> ({{ .Count }})</li>{{ end }}</ul>{{ end }}
"""

_HUGO_HOME = """{{ define "main" }}<h1>{{ site.Title }}</h1>
<ol class="items">{{ range first 8 (where site.RegularPages.ByDate.Reverse "Section" "articles") }}<li><h3><a href="{{ .RelPermalink }}">{{ .Title }}</a></h3><p>{{ .Params.summary }}</p></li>{{ end }}</ol>
<ul>{{ range site.Data.topics.list }}<li><a href="{{ printf "/topics/%s/" .slug | relURL }}">{{ .title }}</a><p>{{ .summary }}</p></li>{{ end }}</ul>
{{ end }}
"""


def to_hugo(src: Path, dest: Path) -> Path:
    dest = _fresh(dest)
    topics = _topics(src)
    _write(
        dest / "config.yaml",
        yaml.safe_dump(
            {
                "baseURL": "https://bench.example.org/",
                "title": "Synthetic Desk Briefing",
                "languageCode": "en",
                "paginate": PER_PAGE,
                "taxonomies": {"topic": "topics", "person": "people"},
                "disableKinds": ["RSS", "sitemap", "robotsTXT"],
                "markup": {"goldmark": {"renderer": {"unsafe": False}, "extensions": {"typographer": True}}},
            }
        ),
    )
    listing = [
        {"slug": s, "title": t["title"], "status": t["status"], "summary": t["summary"]} for s, t in topics.items()
    ]
    _write(
        dest / "data" / "topics.json",
        json.dumps({"list": listing, "titles": {s: t["title"] for s, t in topics.items()}}),
    )
    for slug, t in topics.items():
        _write(
            dest / "content" / "topics" / slug / "_index.md",
            f"---\ntitle: {json.dumps(t['title'])}\nsummary: {json.dumps(t['summary'])}\n---\n",
        )
    shutil.copytree(src / "content" / "articles", dest / "content" / "articles")
    layouts = dest / "layouts"
    _write(layouts / "_default" / "baseof.html", _HUGO_BASE)
    _write(layouts / "_default" / "single.html", _HUGO_SINGLE)
    _write(layouts / "_default" / "list.html", _HUGO_LIST)
    _write(layouts / "_default" / "terms.html", _HUGO_TERMS)
    _write(layouts / "index.html", _HUGO_HOME)
    _write(dest / "static" / "style.css", "body{font-family:system-ui}\n")
    return dest


# --- Eleventy --------------------------------------------------------------------

_ELEVENTY_CONFIG = """
module.exports = function (eleventyConfig) {
  const PER = %(per)d;
  const byDate = (api) => api.getFilteredByGlob("articles/*.md").sort((a, b) => b.date - a.date);
  const chunked = (api, key) => {
    const groups = new Map();
    for (const item of byDate(api)) {
      for (const term of item.data[key] || []) {
        if (!groups.has(term)) groups.set(term, []);
        groups.get(term).push(item);
      }
    }
    const out = [];
    for (const [term, items] of groups) {
      const total = Math.ceil(items.length / PER);
      for (let n = 0; n < total; n++) out.push({ term, n: n + 1, total, items: items.slice(n * PER, (n + 1) * PER) });
    }
    return out;
  };
  eleventyConfig.addCollection("latest", (api) => byDate(api).slice(0, %(home)d));
  eleventyConfig.addCollection("topicPages", (api) => chunked(api, "topics"));
  eleventyConfig.addCollection("personPages", (api) => chunked(api, "people"));
  eleventyConfig.addPassthroughCopy("style.css");
  return { dir: { input: ".", includes: "_includes", data: "_data" }, markdownTemplateEngine: false };
};
"""

_NJK_BASE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{ title }}</title><meta name="description" content="{{ summary }}"><link rel="stylesheet" href="/style.css"></head>
<body><header><a href="/">Synthetic Desk Briefing</a>
<nav><ul><li><a href="/topics/">Topics</a></li><li><a href="/people/">People</a></li></ul></nav>
<nav class="topic-strip"><ul>{% for t in topics_data.list %}<li class="status-{{ t.status }}"><a href="/topics/{{ t.slug }}/">{{ t.title }}</a></li>{% endfor %}</ul></nav>
</header><main>{% block main %}{{ content | safe }}{% endblock %}</main><footer><p>Synthetic Desk Briefing</p></footer></body></html>
"""

_NJK_ARTICLE = """{% extends "base.njk" %}{% block main %}<article>
<p class="kicker">{% for t in topics %}<a href="/topics/{{ t }}/">{{ topics_data.titles[t] }}</a> {% endfor %}</p>
<h1>{{ title }}</h1><p class="standfirst">{{ summary }}</p>
<p class="byline">By {{ author }} {{ dateline }} <time>{{ page.date.toISOString() }}</time></p>
<div class="prose">{{ content | safe }}</div>
{% if figures %}<h3>Figures</h3><div class="figs">{% for f in figures %}<div class="fig"><p>{{ f.value }} {{ f.unit }}</p><p>{{ f.label }}</p><p>per <a href="/people/{{ f.by }}/">{{ f.by }}</a>, as of {{ f.as_of }}</p></div>{% endfor %}</div>{% endif %}
{% if quotes %}<h3>Quotes</h3>{% for q in quotes %}<blockquote><p>{{ q.text }}</p><footer><a href="/people/{{ q.speaker }}/">{{ q.speaker }}</a>, {{ q.said }}, {{ q.where }}</footer></blockquote>{% endfor %}{% endif %}
{% if events %}<h3>Events</h3><ol>{% for e in events %}<li><time>{{ e.date }}</time> {{ e.text }}</li>{% endfor %}</ol>{% endif %}
{% if claims %}<h3>Claims</h3><table>{% for c in claims %}<tr><td>{{ c.question }}</td><td>{{ c.by }}</td><td>{{ c.text }}</td><td>{{ c.status }}</td></tr>{% endfor %}</table>{% endif %}
{% if sources %}<h2>Sources</h2><ul>{% for s in sources %}<li>{{ s.source }}{% if s.url %} <a href="{{ s.url }}">Original report</a>{% endif %}</li>{% endfor %}</ul>{% endif %}
<ul class="chips">{% for p in people %}<li><a href="/people/{{ p }}/">{{ p }}</a></li>{% endfor %}</ul>
</article>{% endblock %}
"""

_NJK_LIST = """---
pagination:
  data: collections.%(coll)s
  size: 1
  alias: chunk
permalink: "/%(section)s/{{ chunk.term }}/{%% if chunk.n > 1 %%}page/{{ chunk.n }}/{%% endif %%}"
eleventyComputed:
  title: "{{ chunk.term }}"
---
{%% extends "base.njk" %%}{%% block main %%}<h1>{{ %(title)s }}</h1>{{ %(summary)s }}
<ol class="items">{%% for a in chunk.items %%}<li><h3><a href="{{ a.url }}">{{ a.data.title }}</a></h3><time>{{ a.date.toISOString() }}</time><p>{{ a.data.summary }}</p></li>{%% endfor %%}</ol>
<nav class="pager">{%% if chunk.n > 1 %%}<a href="../">Newer</a>{%% endif %%} Page {{ chunk.n }} of {{ chunk.total }} {%% if chunk.n < chunk.total %%}<a href="page/{{ chunk.n + 1 }}/">Older</a>{%% endif %%}</nav>
{%% endblock %%}
"""

_NJK_HOME = """---
permalink: /
title: Synthetic Desk Briefing
---
{% extends "base.njk" %}{% block main %}<h1>Synthetic Desk Briefing</h1>
<ol class="items">{% for a in collections.latest %}<li><h3><a href="{{ a.url }}">{{ a.data.title }}</a></h3><p>{{ a.data.summary }}</p></li>{% endfor %}</ol>
<ul>{% for t in topics_data.list %}<li><a href="/topics/{{ t.slug }}/">{{ t.title }}</a><p>{{ t.summary }}</p></li>{% endfor %}</ul>
{% endblock %}
"""


def to_eleventy(src: Path, dest: Path) -> Path:
    dest = _fresh(dest)
    topics = _topics(src)
    _write(dest / "eleventy.config.js", _ELEVENTY_CONFIG % {"per": PER_PAGE, "home": HOME_LATEST})
    listing = [
        {"slug": s, "title": t["title"], "status": t["status"], "summary": t["summary"]} for s, t in topics.items()
    ]
    _write(
        dest / "_data" / "topics_data.json",
        json.dumps({"list": listing, "titles": {s: t["title"] for s, t in topics.items()}}),
    )
    _write(dest / "_includes" / "base.njk", _NJK_BASE)
    _write(dest / "_includes" / "article.njk", _NJK_ARTICLE)
    shutil.copytree(src / "content" / "articles", dest / "articles")
    _write(
        dest / "articles" / "articles.11tydata.js",
        'module.exports = { layout: "article.njk", permalink: (data) => `/articles/${data.page.fileSlug}/` };\n',
    )
    _write(
        dest / "topic-pages.njk",
        _NJK_LIST
        % {"coll": "topicPages", "section": "topics", "title": "topics_data.titles[chunk.term]", "summary": "''"},
    )
    _write(
        dest / "person-pages.njk",
        _NJK_LIST % {"coll": "personPages", "section": "people", "title": "chunk.term", "summary": "''"},
    )
    _write(dest / "index.njk", _NJK_HOME)
    _write(dest / "style.css", "body{font-family:system-ui}\n")
    return dest


# --- Pelican ---------------------------------------------------------------------

_PELICAN_CONF = """
AUTHOR = "bench desk"
SITENAME = "Synthetic Desk Briefing"
SITEURL = ""
TIMEZONE = "Europe/Kyiv"
DEFAULT_LANG = "en"
PATH = "content"
THEME = "theme"
DEFAULT_PAGINATION = %(per)d
PAGINATED_TEMPLATES = {"index": %(home)d, "tag": %(per)d, "author": %(per)d, "category": %(per)d}
PAGINATION_PATTERNS = ((1, "{url}", "{save_as}"), (2, "{base_name}/page/{number}/", "{base_name}/page/{number}/index.html"))
ARTICLE_URL = "articles/{slug}/"
ARTICLE_SAVE_AS = "articles/{slug}/index.html"
TAG_URL = "topics/{slug}/"
TAG_SAVE_AS = "topics/{slug}/index.html"
AUTHOR_URL = "people/{slug}/"
AUTHOR_SAVE_AS = "people/{slug}/index.html"
CATEGORY_SAVE_AS = ""
CATEGORIES_SAVE_AS = ""
ARCHIVES_SAVE_AS = ""
AUTHORS_SAVE_AS = ""
TAGS_SAVE_AS = "topics/index.html"
FEED_ALL_ATOM = None
CATEGORY_FEED_ATOM = None
TRANSLATION_FEED_ATOM = None
AUTHOR_FEED_ATOM = None
AUTHOR_FEED_RSS = None
DIRECT_TEMPLATES = ["index", "tags"]
SLUGIFY_SOURCE = "basename"
MARKDOWN = {"extension_configs": {"markdown.extensions.extra": {}}, "output_format": "html5"}
LOAD_CONTENT_CACHE = %(cache)s
CACHE_CONTENT = %(cache)s
"""

_PELICAN_BASE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{% block title %}{{ SITENAME }}{% endblock %}</title><link rel="stylesheet" href="/theme/style.css"></head>
<body><header><a href="/">{{ SITENAME }}</a>
<nav><ul><li><a href="/topics/">Topics</a></li><li><a href="/people/">People</a></li></ul></nav>
<nav class="topic-strip"><ul>{% for tag, _ in tags|sort %}<li><a href="/{{ tag.url }}">{{ tag }}</a></li>{% endfor %}</ul></nav>
</header><main>{% block content %}{% endblock %}</main><footer><p>{{ SITENAME }}</p></footer></body></html>
"""

_PELICAN_ARTICLE = """{% extends "base.html" %}{% block title %}{{ article.title }}{% endblock %}{% block content %}<article>
<p class="kicker">{% for t in article.tags %}<a href="/{{ t.url }}">{{ t }}</a> {% endfor %}</p>
<h1>{{ article.title }}</h1><p class="standfirst">{{ article.summary }}</p>
<p class="byline">By {% for a in article.authors %}<a href="/{{ a.url }}">{{ a }}</a> {% endfor %}<time datetime="{{ article.date.isoformat() }}">{{ article.locale_date }}</time></p>
<div class="prose">{{ article.content }}</div></article>{% endblock %}
"""

_PELICAN_LIST = """{% extends "base.html" %}{% block content %}<h1>{{ tag or author or SITENAME }}</h1>
<ol class="items">{% for a in articles_page.object_list %}<li><h3><a href="/{{ a.url }}">{{ a.title }}</a></h3><time>{{ a.locale_date }}</time><p>{{ a.summary }}</p></li>{% endfor %}</ol>
<nav class="pager">{% if articles_page.has_previous() %}<a href="/{{ articles_previous_page.url }}">Newer</a>{% endif %} Page {{ articles_page.number }} of {{ articles_paginator.num_pages }} {% if articles_page.has_next() %}<a href="/{{ articles_next_page.url }}">Older</a>{% endif %}</nav>
{% endblock %}
"""

_PELICAN_TAGS = """{% extends "base.html" %}{% block content %}<ul>{% for tag, articles in tags|sort %}<li><a href="/{{ tag.url }}">{{ tag }}</a> ({{ articles|count }})</li>{% endfor %}</ul>{% endblock %}
"""


def _pelican_body(meta: dict, body: str) -> str:
    parts = [body]
    if meta.get("figures"):
        parts.append(
            "### Figures\n\n"
            + "\n".join(
                f"- **{f['value']} {f.get('unit', '')}** {f['label']} (per {f['by']}, as of {f.get('as_of', '')})"
                for f in meta["figures"]
            )
        )
    if meta.get("quotes"):
        parts.append(
            "### Quotes\n\n"
            + "\n\n".join(
                f"> {q['text']}\n>\n> — {q['speaker']}, {q.get('said', '')}, {q.get('where', '')}"
                for q in meta["quotes"]
            )
        )
    if meta.get("events"):
        parts.append("### Events\n\n" + "\n".join(f"1. {e['date']}: {e['text']}" for e in meta["events"]))
    if meta.get("claims"):
        parts.append(
            "### Claims\n\n| question | by | claim | status |\n|---|---|---|---|\n"
            + "\n".join(f"| {c['question']} | {c['by']} | {c['text']} | {c['status']} |" for c in meta["claims"])
        )
    if meta.get("sources"):
        parts.append(
            "## Sources\n\n"
            + "\n".join(
                f"- {s['source']}" + (f" [Original report]({s['url']})" if s.get("url") else "")
                for s in meta["sources"]
            )
        )
    return "\n\n".join(parts)


def to_pelican(src: Path, dest: Path, cache: bool = False) -> Path:
    dest = _fresh(dest)
    topics = _topics(src)
    _write(dest / "pelicanconf.py", _PELICAN_CONF % {"per": PER_PAGE, "home": HOME_LATEST, "cache": cache})
    theme = dest / "theme" / "templates"
    _write(theme / "base.html", _PELICAN_BASE)
    _write(theme / "article.html", _PELICAN_ARTICLE)
    for name in ("index.html", "tag.html", "author.html", "category.html"):
        _write(theme / name, _PELICAN_LIST)
    _write(theme / "tags.html", _PELICAN_TAGS)
    for name in ("page.html", "archives.html", "authors.html", "categories.html", "period_archives.html"):
        _write(theme / name, '{% extends "base.html" %}')
    _write(dest / "theme" / "static" / "style.css", "body{font-family:system-ui}\n")
    out = dest / "content"
    out.mkdir()
    for path in sorted((src / "content" / "articles").glob("*.md")):
        meta, body = _front_matter(path.read_text())
        head = [
            f"Title: {meta['title']}",
            f"Date: {meta['date'].isoformat() if hasattr(meta['date'], 'isoformat') else meta['date']}",
            f"Tags: {', '.join(topics[t]['title'].replace(',', '') for t in meta['topics'])}",
            f"Authors: {', '.join(meta.get('people', []))}",
            f"Summary: {meta['summary']}",
            f"Slug: {path.stem}",
        ]
        _write(out / path.name, "\n".join(head) + "\n\n" + _pelican_body(meta, body) + "\n")
    return dest

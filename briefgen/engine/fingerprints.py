"""Page fingerprints: what a rebuild must redo.

A page's *fingerprint* hashes everything its bytes can depend on: the hashes of the input files it declared
(``Page.deps``, from assemble), widened here to what those inputs pull in (an article's topics and the files its
body links to, as the link resolver recorded them, ``Article.links_to``; ``"*"`` means every input); the
templates it is rendered with, followed through ``extends``, ``include`` and ``import`` (any template that
cannot be followed, or any change to a static file, counts for every page: asset names carry hashes); data
shown on every page or derived from the whole site (the site config, people and sources, each topic's title,
label, status and editorial marks, the change history when the page declares it); the environment: briefgen's
code and the version of every library that shapes the output (``environment.code_fingerprint``) and the
build's "now" (``SOURCE_DATE_EPOCH``).

A rebuild renders a page only when its fingerprint differs from the one
recorded for the bytes already in the output (or those bytes are gone or
were touched since).

An article's part of the fingerprints (``Fingerprints._element``: its file with what it pulls in) is
carried over from the last build (``CarriedElements``, kept in the build state) when nothing it can
depend on but its own file changed: the *world* (``Fingerprints.world``) hashes the site-wide data, every
input that is not a shown article's file, with its hash, and where every article's and topic's page is.
What an article pulls in (its topics, images and link targets) is worked out from its own file against
that world, so an article whose file has the hash recorded with its element has that element again.

Each article also has a *card* (``Fingerprints.cards``): its element with the hash of its front matter
(``inputs.head_digest``) in place of its file's. A page of a kind that shows no article's body
(``pages.page.FRONT_MATTER_KINDS``: the topic pages, the indexes, a person's page), rendered with none but the
default theme's templates, counts its articles by their cards: an edit of a report's text renders its own page
and its topics' packs, which show it, and leaves the topic pages, the home page and the ledgers as they were.
Where a front matter's hash is not known, the card is the element.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import pickle
from pathlib import Path

from briefgen.engine.inputs import DIGEST_CHARS, InputFile, bytes_digest, rel_key
from briefgen.pages.page import FRONT_MATTER_KINDS

LINKED = "linked:"  # a dep on where a file a body links to is (its page's URL), not on its content
# Dependencies that are data rather than input files: name -> how to read it from the site.
# The change history's records are what pages show (its snapshot only feeds the next comparison).
DATA_DEPS = {
    "changes/history.json": lambda site: (getattr(getattr(site, "changes", None), "records", None), _dead_links(site))
}


def _dead_links(site) -> list[str]:
    from briefgen.briefing.changes import dead_links

    return dead_links(site) if getattr(site, "changes", None) is not None else []


def template_closure(
    env, name: str, memo: dict[str, frozenset[str] | None], refs_memo: dict[str, tuple[str | None, ...]]
) -> frozenset[str] | None:
    """Every template ``name`` uses, or None when one is chosen at render time (then: all). ``refs_memo`` is the
    build database's memo (kept in the build state between builds): hash of a template's source -> the
    templates it names."""
    if name in memo:
        return memo[name]
    memo[name] = frozenset({name})  # cycles end here
    try:
        source = env.loader.get_source(env, name)[0]
        key = bytes_digest(source.encode())
        refs = refs_memo.get(key)
        if refs is None:  # parsing every template on every rebuild cost more than rendering the changed pages
            from briefgen.render.compiled import referenced

            # Loaded first (the render loads it anyway): the default theme's compiled code, kept in the package,
            # comes with the names it uses, so a build with no state (a cold one) does not parse every template
            # here, 0.07 s of a 4,000-article build on one core. One that does not compile is parsed, as before.
            with contextlib.suppress(Exception):
                env.get_template(name)
            refs = refs_memo[key] = referenced(env, name)  # (the parse that compiles it notes them too)
    except Exception:
        memo[name] = None
        return None
    found = {name}
    for ref in refs:
        if ref is None:
            memo[name] = None
            return None
        sub = template_closure(env, ref, memo, refs_memo)
        if sub is None:
            memo[name] = None
            return None
        found |= sub
    memo[name] = frozenset(found)
    return memo[name]


def template_files(env) -> dict[str, str]:
    """Template name -> input key of the file that provides it (the project's own wins)."""
    out: dict[str, str] = {}
    for loader in getattr(env.loader, "loaders", [env.loader]):
        for search in getattr(loader, "searchpath", []):
            base = Path(search)
            for name in loader.list_templates():
                if name not in out and (base / name).is_file():
                    out[name] = str(base / name)
    return out


ROW = 3 * DIGEST_CHARS  # a carried article: the hash of its file, its element, its card (hex)


class CarriedElements:
    """The build database's record of each shown article's element and card, carried from one build to the next:
    the ``world`` they were worked out in, and ``items``: for each article, in the order of their paths, the hash
    of its file, its element and its card, in hex (``DIGEST_CHARS`` each). Kept in the build state
    (``state.BuildState``)."""

    def __init__(self, rows: dict | None = None):
        self.last = rows if _carried_rows(rows) else None  # as recorded by the last build
        self.source: Fingerprints | None = None  # this build's, which ``rows`` asks for its elements

    def rows(self) -> dict:
        """What to record for the next build: this build's elements (then those are let go), or the last."""
        source, self.source = self.source, None
        if source is not None:
            self.last = source.carry()
        return self.last or {}


def _carried_rows(rows) -> bool:
    return isinstance(rows, dict) and isinstance(rows.get("world"), str) and isinstance(rows.get("items"), str)


class Fingerprints:
    """Computes each page's fingerprint from the loaded site and the hashed inputs. ``db``: the build
    database, for its memos (the templates each template names; the elements of the last build)."""

    def __init__(self, site, project, inputs: dict[str, InputFile], env, code: str, db):
        self.site = site
        self.project = project
        self.inputs = inputs
        self.env = env
        self.closures: dict[str, frozenset[str] | None] = {}
        self.template_refs = db.template_refs  # template source -> the templates it names
        self.data: dict[str, str] = {}
        # one declared input's digest (16 bytes) with what it pulls in, and the text one pulled-in input adds to
        # it: each worked out once per build, then only looked up (``_deps_digest``)
        self.elements: dict[str, bytes] = {}
        self.input_lines: dict[str, str] = {}
        self.deps_digests: dict[frozenset[str], str] = {}
        self.template_digests: dict[str, str] = {}
        self.heads = db.heads  # file hash -> front-matter hash (``inputs.head_digest``)
        self.cards: dict[str, bytes] = {}  # an article's element as a page that shows no body counts it
        self.card_digests: dict[frozenset[str], str] = {}  # ``deps_digests`` counted by cards
        self.by_cards: dict[str, bool] = {}  # template -> whether its pages (of FRONT_MATTER_KINDS) count cards
        self.articles = {a.path: a for a in site.articles}
        self.topics = {t.path: t for t in site.topics.values()}
        self.template_keys = self._template_keys()
        keys = sorted(inputs)
        everything = "".join([f"{key}\0{inputs[key].digest}\n" for key in keys])
        self.everything = hashlib.blake2b(everything.encode(), digest_size=16).hexdigest()
        # the same with each shown article's front-matter hash in place of its file's, where known ("*"'s card)
        heads, shown = self.heads, self.articles
        lines = [
            f"{k}\0{heads.get(inputs[k].digest, inputs[k].digest) if k in shown else inputs[k].digest}\n" for k in keys
        ]
        self.everything_cards = hashlib.blake2b("".join(lines).encode(), digest_size=16).hexdigest()
        others = [key for key in keys if key not in self.articles]  # every input but the shown articles' files
        self.global_digest = self._global(code, others)
        self.paths = sorted(self.articles)
        self.world = self._world(others)
        self.carried, self.carried_paths = 0, frozenset()  # articles whose element came from the last build
        self._take_carried(db.elements.last)
        db.elements.source = self

    def _world(self, others: list[str]) -> str:
        """Everything an article's element depends on but its own file: the site-wide data, every input that
        is not a shown article's file (``others``: topics, images, drafts and held reports, people...) with its
        hash, and each article's and topic's URL (where a link to it goes; which files a link can name)."""
        articles, inputs = self.articles, self.inputs
        text = [self.global_digest, "\0"]
        text += [f"{key}\0{inputs[key].digest}\n" for key in others]
        text.append("\0")
        text += [f"{path}\0{articles[path].url_path}\n" for path in self.paths]
        text.append("\0")
        text += [f"{path}\0{self.topics[path].url_path}\n" for path in sorted(self.topics)]
        return hashlib.blake2b("".join(text).encode(), digest_size=16).hexdigest()

    def _take_carried(self, rows: dict | None) -> None:
        """The last build's elements of the articles whose file is as it was then, if the world is the same."""
        if rows is None or rows["world"] != self.world or len(rows["items"]) != ROW * len(self.paths):
            return
        items, inputs, found, cards = rows["items"], self.inputs, {}, {}
        try:
            for i, path in enumerate(self.paths):
                info, at = inputs.get(path), i * ROW
                if info is not None and items.startswith(info.digest, at, at + DIGEST_CHARS):
                    found[path] = bytes.fromhex(items[at + DIGEST_CHARS : at + 2 * DIGEST_CHARS])
                    cards[path] = bytes.fromhex(items[at + 2 * DIGEST_CHARS : at + ROW])
        except ValueError:  # not hex: a damaged or planted state carries nothing (every element worked out)
            return
        self.elements.update(found)
        self.cards.update(cards)
        self.carried, self.carried_paths = len(found), found.keys()

    def carry(self) -> dict:
        """Each shown article's element and card with the hash of its file, for the next build (``CarriedElements``)."""
        inputs, elements, element, cards = self.inputs, self.elements, self._element, self.cards
        try:
            items = [
                inputs[path].digest + (elements.get(path) or element(path)).hex() + cards[path].hex()
                for path in self.paths
            ]
        except KeyError:  # an article with no input (none is expected): nothing to vouch for
            return {}
        if any(len(item) != ROW for item in items):
            return {}
        return {"world": self.world, "items": "".join(items)}

    def _template_keys(self) -> dict[str, str]:
        """Template name -> hash of its file's contents; ``self.theirs``: the names whose file is not the default
        theme's (the project's own, or one not known; a project whose templates folder is the theme's own, the
        repository's root, counts them as its own: it may edit them)."""
        out, self.theirs = {}, set()
        for name, path in template_files(self.env).items():
            theme = self.inputs.get("theme:" + name)  # the default theme, outside the project: keyed by its folder
            info = self.inputs.get(rel_key(Path(path), self.project.root, "")) or theme
            if info is None or info is not theme:
                self.theirs.add(name)
            out[name] = info.digest if info else "?"
        return out

    def _global(self, code: str, others: list[str]) -> str:
        """The site-wide part of every fingerprint; ``others``: the inputs but the shown articles' files (none
        of which is the config, people, sources or a static file), in order."""
        h = hashlib.blake2b(digest_size=16)
        from briefgen.content.clock import content_now

        h.update(code.encode())  # briefgen's code and every output-shaping library's version
        h.update(repr(content_now(self.site)).encode())  # the build's "now" (SOURCE_DATE_EPOCH)
        h.update(repr(self.site.config).encode())  # as loaded, with what the command line changed (--pdf)
        config_key = self.project.rel(self.project.config_path)
        for key in others:
            info = self.inputs[key]
            # the config, people, sources and every static file count for every page
            if key.startswith("config:") or key == config_key:
                h.update(f"{key}\0{info.digest}\n".encode())
            elif key.endswith(("people.yaml", "sources.yaml")) and "/articles/" not in key:
                h.update(f"{key}\0{info.digest}\n".encode())
            elif "static/" in key and not key.startswith("content/"):
                h.update(f"{key}\0{info.digest}\n".encode())
        schedule = getattr(
            self.site, "schedule", None
        )  # drafts shown or not, embargoes lifted (briefgen.content.schedule)
        h.update((schedule.key() if schedule is not None else "").encode())
        for topic in sorted(self.site.topics.values(), key=lambda t: t.slug):
            facts = (
                topic.slug,
                topic.title,
                topic.label,  # the topic strip on every page names each topic by its label
                str(getattr(topic.meta, "status", "")),
                getattr(topic, "stale", None),
                getattr(getattr(topic, "one_sided", None), "id", None),
            )
            h.update(repr(facts).encode())
        return h.hexdigest()

    def _data(self, name: str) -> str:
        if name not in self.data:
            self.data[name] = _data_digest(DATA_DEPS[name](self.site))
        return self.data[name]

    def _element(self, path: str) -> bytes:
        """Digest of one declared input (``path``, bound in) with what it pulls into any page that shows it:
        an article's topics, images (feeds and packs show them) and link targets (as the link resolver
        recorded them); "*" is every input and the data deps. Worked out once per build, then looked up. An
        article's card (``cards``) is worked out with its element, from the same lines."""
        article = self.articles.get(path)
        if article is not None:
            pulls = {path, *[t.path for t in article.topics], *getattr(article, "image_inputs", ())}
            pulls.update([LINKED + target for target in article.links_to])
            lines, line = self.input_lines, self._input_line  # a topic's line serves all its articles
            ordered = sorted(pulls)
            parts = [lines.get(dep) or line(dep) for dep in ordered]
            text = path + "\0\0" + "".join(parts)
            found = self.elements[path] = hashlib.blake2b(text.encode(), digest_size=16).digest()
            head = self.heads.get(self.inputs[path].digest) if path in self.inputs else None
            if head is None:  # not known: counted by its whole file
                self.cards[path] = found
            else:
                parts[ordered.index(path)] = f"{path}\0front matter\0{head}\n"
                text = "card\0" + path + "\0\0" + "".join(parts)
                self.cards[path] = hashlib.blake2b(text.encode(), digest_size=16).digest()
            return found
        if path == "*":
            text = "*\0" + self.everything + "".join(self._data(name) for name in DATA_DEPS)
        elif path in DATA_DEPS:
            text = f"{path}\0{self._data(path)}"
        else:  # a topic, a person, an image...: its own content hash is all it brings
            text = f"{path}\0{self._input(path)}"
        found = self.elements[path] = hashlib.blake2b(text.encode(), digest_size=16).digest()
        return found

    def _input_line(self, dep: str) -> str:
        """What input ``dep`` adds to the digest of a declared input that pulls it in (``_element``)."""
        found = self.input_lines[dep] = f"{dep}\0{self._input(dep)}\n"
        return found

    def feed_key(self, url_path: str, title: str, subtitle: str, articles) -> bytes:
        """What one Atom feed shows: the site-wide data, its own title, and each article it lists."""
        head = repr(("feed", self.global_digest, url_path, title, subtitle))
        elements, element = self.elements, self._element
        text = b"".join([elements.get(article.path) or element(article.path) for article in articles])
        return hashlib.blake2b(head.encode() + text, digest_size=20).digest()

    def last_of(self, page, previous: dict) -> str | None:
        """The fingerprint the last build recorded for ``page`` (``previous``: its outputs) when ``of`` must give it
        again: a report's page whose element was carried (its file and its world are as they were then, and they
        hold all that ``of`` reads of such a page). Spares an edit 4,000 fingerprints; None: work it out."""
        old = previous.get(page.output) if page.kind == "article" and page.source in self.carried_paths else None
        return old.fingerprint if old is not None else None

    def of(self, page) -> str:
        kind, url, template, title, deps = page.kind, page.url_path, page.template, page.title, page.deps
        cards = kind in FRONT_MATTER_KINDS and (self.by_cards.get(template) or self._by_cards(template))
        deps_digest = (self.card_digests if cards else self.deps_digests).get(deps) or self._deps_digest(deps, cards)
        # the digests have fixed lengths and each free text but the last its length: one text, one page
        text = (
            f"{self.global_digest}{self.template_digests.get(template) or self._templates_digest(template)}"
            f"{deps_digest}"
            f"{len(kind)}:{kind}{len(url)}:{url}{len(template)}:{template}{len(title)}:{title}{page.description}"
        )
        return hashlib.blake2b(text.encode(), digest_size=16).hexdigest()

    def _templates_digest(self, template: str) -> str:
        """A hash of the names and content hashes of every template ``template`` uses (all of them when that
        cannot be told), once per template name."""
        found = self.template_digests.get(template)
        if found is None:
            closure = template_closure(self.env, template, self.closures, self.template_refs)
            if closure is None:
                found = repr(sorted(self.template_keys.items()))
            else:
                found = "".join(f"{name}\0{self.template_keys.get(name, '?')}\n" for name in sorted(closure))
            # hashed here once, not again inside every page's fingerprint
            found = self.template_digests[template] = hashlib.blake2b(found.encode(), digest_size=16).hexdigest()
        return found

    def _by_cards(self, template: str) -> bool:
        """Whether a page of ``FRONT_MATTER_KINDS`` rendered with ``template`` counts its articles by their cards:
        when every template it uses is the default theme's (a project's own may show a body anywhere)."""
        closure = template_closure(self.env, template, self.closures, self.template_refs)
        found = self.by_cards[template] = closure is not None and not closure & self.theirs
        return found

    def _deps_digest(self, declared: frozenset[str], cards: bool = False) -> str:
        """Hash of the inputs behind ``declared`` (a page's deps): each one's ``_element`` (which binds its path,
        so the text says which inputs the page shows, not only what they pull in), or with ``cards`` its card,
        in the order of those digests, which is canonical and cheaper to sort than the paths. The pages of one
        topic share theirs."""
        memo = self.card_digests if cards else self.deps_digests
        found = memo.get(declared)
        if found is not None:
            return found
        elements = self.cards if cards else self.elements  # a topic's pages name hundreds of articles: read inline
        try:
            parts = [elements[path] for path in declared]
        except KeyError:
            element = self._card if cards else self._element
            parts = [elements.get(path) or element(path) for path in declared]
        parts.sort()
        found = memo[declared] = hashlib.blake2b(b"".join(parts), digest_size=16).hexdigest()
        return found

    def _card(self, path: str) -> bytes:
        """``_element`` as a page that shows no body counts it: an article's card, "*" with every shown article's
        front matter in place of its file; any other input's element."""
        if path == "*":
            text = "*cards\0" + self.everything_cards + "".join(self._data(name) for name in DATA_DEPS)
            self.cards[path] = hashlib.blake2b(text.encode(), digest_size=16).digest()
        else:  # (``_element`` makes an article's card, before ``setdefault`` looks)
            self.cards.setdefault(path, self.elements.get(path) or self._element(path))
        return self.cards[path]

    def _input(self, dep: str) -> str:
        """What of input ``dep`` a page depends on: its content hash, or for a file a body links to
        (``LINKED + path``) only where the link goes: an edit of the linked article's text changes
        no page that merely links to it."""
        if dep.startswith(LINKED):
            path = dep[len(LINKED) :]
            target = self.articles.get(path) or self.topics.get(path)
            return target.url_path if target is not None else "-"
        info = self.inputs.get(dep)
        return info.digest if info else "-"


def _data_digest(value) -> str:
    try:
        return bytes_digest(pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL))
    except Exception:  # cannot tell: treat as changed every time
        return os.urandom(8).hex()

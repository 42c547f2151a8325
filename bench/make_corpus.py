#!/usr/bin/env python3
"""Write a synthetic briefgen project of N articles, deterministic for a seed.

    python bench/make_corpus.py 4000 /dev/shm/corpus-4000 [--seed 7]

The shape follows issue 7: 30 topics, 600-900-word Markdown bodies, each
article in 1-3 topics, front matter that uses sources, people, quotes,
figures, events and claims in roughly the proportion a desk writes them
(most articles cite sources and name people; about half carry figures; a
quarter carry a claim). Articles link to earlier articles now and then, as
real ones do, so link resolution is exercised too.

Only the standard library is used: the generator must run before anything is
installed. ``bench/adapters.py`` turns the same project into Hugo, Eleventy
and Pelican projects so that the runner compares like with like.
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import shutil
from pathlib import Path

N_TOPICS = 30
N_PEOPLE = 240
N_SOURCES = 40

_SYLLABLES = (
    "ka ri to na mo le su vi ra en al or is an te lo de ma ni ko sa tu pe ar in on el es ul ba ge fi "
    "do ho ja ke li mu no po qu ro si ta ve wa ze"
).split()
_WORDS = (
    "the of and to in a that for on said with as was by at from it is be has have were which would "
    "government officials ministry spokesman report reported according statement forces attack talks "
    "ceasefire deal minister president agreement security region city border aid military drones "
    "missiles strike strikes overnight week talks peace negotiations sanctions energy grid power "
    "villages residents damage casualties killed injured wounded analysts experts diplomats envoy "
    "meeting summit proposal draft signed figures data counted estimated independent verify claimed "
    "denied confirmed disputed sources outlet agency broadcast briefing parliament vote budget funding "
    "supplies weapons defence air systems launched intercepted lost front line troops advance retreat "
    "pressure allies partners europe washington capital council union economy exports grain ports "
    "shipping insurance prices markets investors reserves loans debt restructuring"
).split()
_PLACES = (
    "Kyiv Odesa Lviv Kharkiv Dnipro Warsaw Brussels Geneva Ankara Vienna Riga Tallinn Vilnius Berlin Paris".split()
)
_STATUSES = ("developing", "developing", "developing", "dormant", "concluded")
_VERDICTS = ("unverified", "unverified", "disputed", "disputed", "confirmed", "false")
_ZONES = ("+02:00", "+03:00", "+01:00", "+00:00")


def _name(rng: random.Random, parts: int = 2) -> str:
    return " ".join(
        "".join(rng.choice(_SYLLABLES) for _ in range(rng.randint(2, 3))).capitalize() for _ in range(parts)
    )


def _sentence(rng: random.Random, lo: int = 8, hi: int = 22) -> list[str]:
    words = [rng.choice(_WORDS) for _ in range(rng.randint(lo, hi))]
    words[0] = words[0].capitalize()
    return words


def _q(text: str) -> str:
    """A YAML double-quoted scalar."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


class Corpus:
    def __init__(self, n: int, seed: int):
        self.n = n
        self.rng = random.Random(seed)
        rng = self.rng
        self.topics = [f"story-{i:02d}-{_name(rng, 1).lower()}" for i in range(N_TOPICS)]
        self.people = [f"p{i:03d}-{_name(rng, 1).lower()}" for i in range(N_PEOPLE)]
        self.people_names = {p: _name(rng) for p in self.people}
        self.sources = [f"s{i:02d}-{_name(rng, 1).lower()}" for i in range(N_SOURCES)]
        self.source_names = {s: _name(rng) + (" News" if i % 3 else " Agency") for i, s in enumerate(self.sources)}
        # A few topics are big (a war, an election), most are small: Zipf-like weights.
        self.topic_weights = [1.0 / (i + 1) ** 0.8 for i in range(N_TOPICS)]
        self.start = dt.datetime(2023, 1, 1, 6, 0)
        self.files: list[str] = []

    # --- project files ----------------------------------------------------------

    def config(self) -> str:
        return (
            "title: Synthetic Desk Briefing\n"
            "description: A generated corpus for benchmarking briefgen.\n"
            "base_url: https://bench.example.org/\n"
            "language: en\n"
            "timezone: Europe/Kyiv\n"
            "publisher: bench desk\n"
            "search: false\n"
        )

    def topic(self, i: int) -> str:
        rng = self.rng
        related = sorted(rng.sample([t for t in self.topics if t != self.topics[i]], rng.randint(0, 3)))
        lines = [
            f"title: {_q(' '.join(_sentence(rng, 4, 9)))}",
            f"summary: {_q(' '.join(_sentence(rng, 20, 40)) + '.')}",
            f"status: {rng.choice(_STATUSES)}",
            f"why_it_matters: {_q(' '.join(_sentence(rng, 25, 45)) + '.')}",
            "watch:",
        ]
        for _ in range(rng.randint(1, 4)):
            if rng.random() < 0.5:
                lines.append(f"  - date: {(self.start + dt.timedelta(days=rng.randint(0, 1200))).date().isoformat()}")
                lines.append(f"    text: {_q(' '.join(_sentence(rng)) + '.')}")
            else:
                lines.append(f"  - text: {_q(' '.join(_sentence(rng)) + '.')}")
        lines.append(f"related: [{', '.join(related)}]")
        return "\n".join(lines) + "\n"

    def people_yaml(self) -> str:
        rng = self.rng
        out = ["# Generated people and organisations."]
        for i, p in enumerate(self.people):
            kind = "organisation" if i % 5 == 0 else "person"
            out += [f"{p}:", f"  name: {_q(self.people_names[p])}", f"  kind: {kind}"]
            out.append(f"  role: {_q(' '.join(_sentence(rng, 3, 8)))}")
        return "\n".join(out) + "\n"

    def sources_yaml(self) -> str:
        out = ["# Generated outlets and originators."]
        for i, s in enumerate(self.sources):
            kind = "originator" if i % 4 == 0 else "outlet"
            out += [f"{s}:", f"  name: {_q(self.source_names[s])}", f"  kind: {kind}"]
            if kind == "outlet":
                out.append(f"  url: https://{s}.example.com/")
        return "\n".join(out) + "\n"

    # --- articles ------------------------------------------------------------------

    def article(self, i: int) -> tuple[str, str]:
        rng = self.rng
        when = self.start + dt.timedelta(minutes=int(i * (1_500_000 / max(self.n, 1))) + rng.randint(0, 50))
        zone = rng.choice(_ZONES)
        day = when.date().isoformat()
        words = _sentence(rng, 4, 8)
        stem = f"{day}-{'-'.join(w.lower() for w in words[:5])}-{i:05d}"
        name = stem + ".md"
        k = rng.choices((1, 2, 3), weights=(5, 3, 1))[0]
        topics = []
        while len(topics) < k:
            t = rng.choices(self.topics, weights=self.topic_weights)[0]
            if t not in topics:
                topics.append(t)
        people = rng.sample(self.people, rng.randint(1, 4))
        fm = [
            "---",
            f"title: {_q(' '.join(words))}",
            f"date: {when.isoformat(timespec='seconds')}{zone}",
            f"topics: [{', '.join(topics)}]",
            f"summary: {_q(' '.join(_sentence(rng, 15, 30)) + '.')}",
            f"dateline: {rng.choice(_PLACES)}",
            f"author: {_q(_name(rng))}",
            "sources:",
        ]
        for s in rng.sample(self.sources, rng.randint(1, 3)):
            fm.append(f"  - source: {s}")
            if rng.random() < 0.6:
                fm.append(f"    url: https://{s}.example.com/{day}/{i}")
        fm.append(f"people: [{', '.join(people)}]")
        if rng.random() < 0.6:
            fm.append("quotes:")
            for _ in range(rng.randint(1, 3)):
                fm += [
                    f"  - speaker: {rng.choice(people)}",
                    f"    text: {_q(' '.join(_sentence(rng)))}",
                    f"    said: {day}",
                    f"    where: {_q('press conference, ' + rng.choice(_PLACES))}",
                ]
        if rng.random() < 0.5:
            fm.append("figures:")
            for j in range(rng.randint(1, 3)):
                measure = f"m{rng.randint(0, 40):02d}"
                fm += [
                    f"  - id: {measure}-{i:05d}-{j}",
                    f"    measure: {measure}",
                    f"    label: {_q(' '.join(_sentence(rng, 3, 7)))}",
                    f"    value: {rng.randint(1, 50000)}",
                    f"    unit: {_q(rng.choice(('drones', 'people', 'tonnes', '%', 'km')))}",
                    f"    as_of: {day}",
                    f"    by: {rng.choice(people + self.sources[:8])}",
                ]
        if rng.random() < 0.7:
            fm.append("events:")
            for _ in range(rng.randint(1, 2)):
                fm += [f"  - date: {day}", f"    text: {_q(' '.join(_sentence(rng)) + '.')}"]
        if rng.random() < 0.25:
            fm += [
                "claims:",
                f"  - question: {_q('Q' + str(rng.randint(0, 60)) + ': ' + ' '.join(_sentence(rng, 4, 9)) + '?')}",
                f"    by: {rng.choice(people)}",
                f"    text: {_q(' '.join(_sentence(rng)) + '.')}",
                f"    status: {_q(rng.choice(_VERDICTS))}",
                f"    date: {day}",
            ]
        fm.append("---")
        return name, "\n".join(fm) + "\n" + self.body(i) + "\n"

    def body(self, i: int) -> str:
        rng = self.rng
        target = rng.randint(600, 900)
        count = 0
        parts: list[str] = []
        while count < target:
            roll = rng.random()
            if roll < 0.08 and parts:
                heading = _sentence(rng, 2, 5)
                parts.append("## " + " ".join(heading))
                count += len(heading)
            elif roll < 0.14:
                items = [_sentence(rng, 4, 10) for _ in range(rng.randint(2, 4))]
                parts.append("\n".join(f"- **{rng.randint(2, 900)}** " + " ".join(it) for it in items))
                count += sum(len(it) + 1 for it in items)
            else:
                sentences = []
                for _ in range(rng.randint(2, 5)):
                    s = _sentence(rng)
                    r = rng.random()
                    if r < 0.1:
                        s[2] = f"*{s[2]}*"
                    elif r < 0.15:
                        s[3] = f"[{s[3]}](https://example.com/{rng.randint(0, 999)})"
                    elif r < 0.2 and self.files:
                        s[3] = f"[{s[3]}]({rng.choice(self.files[-50:])})"
                    count += len(s)
                    sentences.append(" ".join(s) + ".")
                parts.append(" ".join(sentences))
        return "\n\n".join(parts)

    def write(self, root: Path) -> None:
        content = root / "content"
        (content / "topics").mkdir(parents=True, exist_ok=True)
        (content / "articles").mkdir(parents=True, exist_ok=True)
        (root / "briefgen.yaml").write_text(self.config())
        for i, slug in enumerate(self.topics):
            (content / "topics" / f"{slug}.yaml").write_text(self.topic(i))
        (content / "people.yaml").write_text(self.people_yaml())
        (content / "sources.yaml").write_text(self.sources_yaml())
        for i in range(self.n):
            name, text = self.article(i)
            (content / "articles" / name).write_text(text)
            self.files.append(name)


def make_corpus(n: int, dest: Path, seed: int = 7) -> Path:
    """Write the project into ``dest`` (replaced if it exists) and return it."""
    if dest.exists():
        shutil.rmtree(dest)
    dest.mkdir(parents=True)
    Corpus(n, seed).write(dest)
    return dest


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("n", type=int, help="number of articles")
    parser.add_argument("dest", type=Path, help="project folder to (re)create")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    make_corpus(args.n, args.dest, args.seed)
    print(f"wrote {args.n} articles to {args.dest}")


if __name__ == "__main__":
    main()

"""The build engine, run the way people run it: on a terminal, over days, across upgrades.

Each test here reproduces one way the incremental engine used to ship a wrong
site (issue 16) and checks the output against a build made with no cache.
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

from conftest import REPO, run_cli
from engine_support import clean_reference, differing, on_terminal, tree, write_article

ENV_SALT = "BRIEFGEN_TEST_ENVIRONMENT"  # briefgen.engine.cache.ENV_SALT: stands for a library upgrade
WORKER_LOG = "BRIEFGEN_WORKER_LOG"  # briefgen.engine.workers.WORKER_LOG: each forked worker writes its pid there
KILL_WORKER = "BRIEFGEN_FAULT_KILL_WORKER"  # briefgen.engine.faults.worker_claimed: a worker SIGKILLs itself

sys.path.insert(0, str(REPO / "bench"))

from make_corpus import make_corpus  # noqa: E402


def test_a_build_on_a_terminal_forks_its_workers_and_equals_a_clean_build(tmp_path: Path):
    project = make_corpus(300, tmp_path / "corpus", seed=5)
    run_cli("build", "-q", "--jobs", "2", "-s", str(project), check=True)  # the cache
    for path in sorted((project / "content" / "articles").glob("*.md"))[:100]:
        path.write_text(path.read_text() + "\nA paragraph added later, about the talks.\n")
    before = tmp_path / "before"
    shutil.copytree(project / "site", before)
    log = tmp_path / "workers.log"
    proc = on_terminal("build", "--jobs", "2", "-s", str(project), env={WORKER_LOG: str(log)})
    assert proc.returncode == 0, proc.stdout
    reference = clean_reference(project, before, tmp_path / "reference")
    assert differing(tree(project / "site"), tree(reference)) == []
    workers = set(log.read_text().split()) if log.exists() else set()
    assert workers, "a build on a terminal rendered in forked workers"


def test_a_worker_killed_mid_build_fails_the_build_with_one_line_and_the_site_as_it_was(tmp_path: Path):
    """The OOM killer takes a forked worker in the middle of a build on a terminal: the build stops at once with a
    located line and no traceback, and the previous site is untouched (with multiprocessing.Pool it hung)."""
    project = make_corpus(300, tmp_path / "corpus", seed=7)
    run_cli("build", "-q", "--jobs", "1", "-s", str(project), check=True)
    for path in sorted((project / "content" / "articles").glob("*.md"))[:120]:
        path.write_text(path.read_text() + "\nA paragraph added later, about the talks.\n")
    before = tree(project / "site")
    log = tmp_path / "workers.log"
    proc = on_terminal("build", "--jobs", "2", "-s", str(project), env={KILL_WORKER: "1", WORKER_LOG: str(log)})
    assert proc.returncode == 1, proc.stdout
    assert log.exists(), "a worker was forked (and killed)"
    assert "briefgen: a worker process was killed (SIGKILL) before it finished its share" in proc.stdout
    assert "fewer --jobs" in proc.stdout and "Traceback" not in proc.stdout
    assert "The previous site was left as it was" in proc.stdout
    assert tree(project / "site") == before
    assert not [p.name for p in project.iterdir() if p.name.startswith(".site.tmp")]
    again = on_terminal("build", "--jobs", "2", "-s", str(project))  # nothing held: the next build works
    assert again.returncode == 0, again.stdout


def _renamed_slug_project(root: Path) -> Path:
    from conftest import copy_example

    project = copy_example(root)
    articles = project / "content" / "articles"
    write_article(
        articles / "2024" / "update.md", "The first update", "minerals-deal", "roundup", "Old news.", "2024-05-01"
    )
    write_article(
        articles / "2025" / "update.md",
        "The second update",
        "minerals-deal",
        "roundup",
        "New news.",
        "2025-01-10",
        extra="slug: update-2025\n",
    )
    write_article(
        articles / "2025" / "drones-recap.md",
        "A recap that links back",
        "drone-strikes",
        "roundup",
        "As [reported last year](../2024/update.md), little moved.",
        "2025-02-01",
    )
    return project


def test_a_renamed_slug_moves_every_link_to_it(tmp_path: Path):
    project = _renamed_slug_project(tmp_path / "project")
    run_cli("build", "-q", "-s", str(project), check=True)
    old = project / "content" / "articles" / "2024" / "update.md"
    old.write_text(old.read_text().replace("title:", "slug: first-update\ntitle:", 1))
    before = tmp_path / "before"
    shutil.copytree(project / "site", before)
    proc = run_cli("build", "-s", str(project), check=True)
    page = (project / "site" / "articles" / "drones-recap" / "index.html").read_text()
    assert 'href="../first-update/"' in page and 'href="../update/"' not in page, proc.stdout
    assert not (project / "site" / "articles" / "update").exists()
    reference = clean_reference(project, before, tmp_path / "reference")
    assert differing(tree(project / "site"), tree(reference)) == []


def test_a_kept_page_linking_to_a_removed_page_fails_the_build(tmp_path: Path):
    """A template override links to an article page by URL from one person's page; the article is deleted:
    that page is checked too, though nothing it shows changed and it was not rendered again."""
    from conftest import copy_example

    project = copy_example(tmp_path / "project")
    slug = "2025-02-23-russia-says-20-ukrainian-drones-downed"
    (project / "templates").mkdir()
    base = (REPO / "templates" / "party.html").read_text()
    link = f'{{% if page.url_path == "people/kellogg/" %}}<a href="{{{{ root }}}}articles/{slug}/">see</a>{{% endif %}}'
    (project / "templates" / "party.html").write_text(base.replace("{% endblock %}", link + "{% endblock %}", 1))
    run_cli("build", "-q", "-s", str(project), check=True)
    (project / "content" / "articles" / f"{slug}.md").unlink()
    proc = run_cli("build", "-s", str(project))
    assert proc.returncode == 1, proc.stdout
    assert f"page /people/kellogg/ links to '../../articles/{slug}/', which does not exist" in proc.stderr


def test_a_later_source_date_epoch_is_not_nothing_changed(tmp_path: Path):
    from conftest import copy_example

    project = copy_example(tmp_path / "project")
    run_cli("build", "-q", "-s", str(project), check=True)
    before = tmp_path / "before"
    shutil.copytree(project / "site", before)
    later = {"SOURCE_DATE_EPOCH": "1745000000"}  # April 2025, two months after the example's news
    proc = run_cli("build", "-s", str(project), check=True, env=later)
    assert "nothing changed" not in proc.stdout
    reference = clean_reference(project, before, tmp_path / "reference", env=later)
    assert differing(tree(project / "site"), tree(reference)) == []
    topic = (project / "site" / "topics" / "drone-strikes" / "index.html").read_text()
    assert topic != (before / "topics" / "drone-strikes" / "index.html").read_text(), "marked stale now"


def test_a_library_upgrade_remakes_everything(tmp_path: Path):
    from conftest import copy_example

    project = copy_example(tmp_path / "project")
    run_cli("build", "-q", "-s", str(project), check=True)
    proc = run_cli("build", "-s", str(project), check=True, env={ENV_SALT: "nh3 9.9"})
    assert "nothing changed" not in proc.stdout
    assert " 0 reused" in proc.stdout, proc.stdout
    assert "written by another briefgen or other libraries" in proc.stderr
    proc = run_cli("build", "-s", str(project), check=True, env={ENV_SALT: "nh3 9.9"})
    assert "nothing changed" in proc.stdout, "and then it is the cache again"


def test_unquoted_attributes_in_a_template_override_are_link_checked(tmp_path: Path):
    from conftest import copy_example

    project = copy_example(tmp_path / "project")
    (project / "templates").mkdir()
    base = (REPO / "templates" / "people.html").read_text()
    (project / "templates" / "people.html").write_text(
        base.replace("{% endblock %}", "<a href=no-such-page/>x</a> <img src=nowhere.png alt=x>{% endblock %}", 1)
    )
    proc = run_cli("build", "-s", str(project))
    assert proc.returncode == 1, proc.stdout
    assert "links to 'no-such-page/', which does not exist" in proc.stderr
    assert "links to 'nowhere.png', which does not exist" in proc.stderr


def test_unquoted_href_in_text_is_not_a_link():
    from briefgen.checks.linkcheck import links_in

    html = b'<p>write <code>&lt;a href=x&gt;</code></p><a href=ok/ class=y>ok</a><a title="t" href="q">q</a>'
    assert [b"".join(m) for m in links_in(html)] == [b"ok/", b"q"]


def test_every_field_of_a_rendered_body_survives_the_cache():
    """A cached body must give back everything a fresh render does: a field left out of the format (the
    raw-HTML warnings once were) makes a cached build quieter than a clean one, and --strict pass."""
    import dataclasses
    import json

    from briefgen.content.markdown import Rendered
    from briefgen.engine.cachedata import decode_rendered, encode_rendered

    values = {
        "html": "<p>x</p>",
        "broken": [(1, "a.md")],
        "headings": [(2, "sec-x", "X")],
        "ids": {"sec-x"},
        "content_links": [(3, "b.md", "../b/")],
        "errors": [(4, "an error", "a hint")],
        "warnings": [(5, "a warning", "a hint")],
    }
    assert {f.name for f in dataclasses.fields(Rendered)} == set(values), "a new field: add it here and to the cache"
    original = Rendered(**values)
    back, asked = decode_rendered(json.loads(json.dumps(encode_rendered(original, [("c.md", None)]))))
    assert dataclasses.asdict(back) == dataclasses.asdict(original)
    assert asked == [("c.md", None)]

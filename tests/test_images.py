"""Photos: a lead image and body images, resized, stripped of EXIF/XMP, credited; bad files are located errors."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from conftest import copy_example, run_cli
from PIL import ExifTags, Image

ARTICLE = "content/articles/2025-02-23-zelensky-ready-to-resign-for-nato.md"
PAGE = "articles/2025-02-23-zelensky-ready-to-resign-for-nato/index.html"
SECRET = b"SECRETXMPLOCATION"


def photo_with_gps(path: Path, size=(2000, 1500), orientation: int = 1) -> None:
    """A JPEG carrying what must never reach the site: a GPS position, a camera make and an XMP packet."""
    image = Image.new("RGB", size, (180, 90, 40))
    for x in range(0, size[0], 50):  # some detail, so resizing has something to do
        image.paste((20, 40, 160), (x, 0, x + 10, size[1]))
    exif = Image.Exif()
    exif[0x010F] = "SpyCam"
    exif[0x0112] = orientation
    gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
    gps.update({1: "N", 2: (50.0, 27.0, 1.5), 3: "E", 4: (30.0, 31.0, 2.0)})
    xmp = b'<x:xmpmeta xmlns:x="adobe:ns:meta/">' + SECRET + b"</x:xmpmeta>"
    path.parent.mkdir(parents=True, exist_ok=True)
    image.save(path, exif=exif, xmp=xmp, quality=90)


def front_matter(path: Path, extra: str, body: str = "") -> None:
    head, sep, rest = path.read_text().partition("\n---\n")
    path.write_text(f"{head}\n{extra}{sep}{rest}{body}")


LEAD = """image:
  file: photos/forum.jpg
  alt: The forum's stage before the press conference
  caption: The forum's main hall in Kyiv.
  credit: Photo by a desk reporter
"""


@pytest.fixture
def project(tmp_path: Path) -> Path:
    project = copy_example(tmp_path / "project")
    photo_with_gps(project / "content" / "articles" / "photos" / "forum.jpg")
    photo_with_gps(project / "content" / "articles" / "photos" / "street.jpg", (1000, 800))
    body = '\n![A street in Kyiv after the forum](photos/street.jpg "A street in Kyiv.")\n'
    front_matter(project / ARTICLE, LEAD, body)
    return project


def media(site: Path) -> dict[str, Path]:
    return {p.relative_to(site).as_posix(): p for p in (site / "media").rglob("*") if p.is_file()}


def test_copies_are_resized_and_carry_no_metadata(project: Path):
    run_cli("build", "--source", str(project), check=True)
    site = project / "site"
    files = media(site)
    lead = {n: p for n, p in files.items() if "/forum-" in n}
    assert sorted(re.sub(r"^media/[0-9a-f]{16}/", "", n) for n in lead) == [
        f"forum-{w}.{ext}" for w in (1600, 480, 960) for ext in ("jpg", "webp")
    ]
    inline = sorted(re.sub(r"^media/[0-9a-f]{16}/", "", n) for n in files if "/street-" in n)
    assert inline == [f"street-{w}.{ext}" for w in (1000, 480, 960) for ext in ("jpg", "webp")], "never upscaled"
    for name, path in files.items():
        if "/forum-" not in name and "/street-" not in name:
            continue  # the example's own graphic
        data = path.read_bytes()
        with Image.open(path) as im:
            width = int(re.search(r"-(\d+)\.", name).group(1))
            original = (2000, 1500) if "/forum-" in name else (1000, 800)
            assert im.size == (width, round(original[1] * width / original[0])), name
            assert im.format == ("WEBP" if name.endswith(".webp") else "JPEG")
            exif = im.getexif()
            assert not exif.get_ifd(ExifTags.IFD.GPSInfo) and 0x010F not in exif, name
            assert "xmp" not in im.info and "exif" not in im.info, name
        assert SECRET not in data and b"SpyCam" not in data and b"Exif" not in data, name


def test_the_page_shows_credit_caption_srcset_and_lazy_loading_except_the_lead(project: Path):
    run_cli("build", "--source", str(project), check=True)
    html = (project / "site" / PAGE).read_text()
    lead = re.search(r'<figure class="lead-image">.*?</figure>', html, re.S).group(0)
    assert "Credit: Photo by a desk reporter" in lead and "The forum&#39;s main hall in Kyiv." in lead
    assert 'loading="lazy"' not in lead and 'width="1600" height="1200"' in lead
    assert re.search(r'<source type="image/webp" srcset="\.\./\.\./media/[0-9a-f]{16}/forum-480\.webp 480w, ', lead)
    assert 'sizes="' in lead
    inline = re.search(r'<figure class="inline-image">.*?</figure>', html, re.S).group(0)
    assert 'loading="lazy"' in inline and 'width="1000" height="800"' in inline
    assert 'alt="A street in Kyiv after the forum"' in inline and "<figcaption>A street in Kyiv.</figcaption>" in inline
    assert "srcset=" in inline
    og = re.search(r'<meta property="og:image" content="([^"]+)">', html).group(1)
    assert re.fullmatch(r"https://example\.org/media/[0-9a-f]{16}/forum-1600\.jpg", og)
    data = json.loads(re.search(r'<script type="application/ld\+json">(.*?)</script>', html).group(1))
    article = next(x for x in data["@graph"] if x["@type"] == "NewsArticle")
    assert article["image"]["creditText"] == "Photo by a desk reporter" and article["image"]["url"] == og
    # the briefing pack and the feed re-root the body's image for their own address
    pack = (project / "site" / "topics" / "nato-offer" / "pack" / "index.html").read_text()
    assert re.search(r'src="https://example\.org/media/[0-9a-f]{16}/street-960\.jpg"', pack)


def test_an_edited_photo_rebuilds_its_page_and_replaces_its_copies(project: Path):
    run_cli("build", "--source", str(project), check=True)
    site = project / "site"
    before = set(media(site))
    other = site / "articles" / "2025-02-23-record-russian-drone-attack" / "index.html"
    mtime = other.stat().st_mtime_ns
    photo_with_gps(project / "content" / "articles" / "photos" / "forum.jpg", (1800, 1200))
    proc = run_cli("build", "--source", str(project), check=True)
    assert "nothing changed" not in proc.stdout
    html = (site / PAGE).read_text()
    assert 'width="1600" height="1067"' in html
    after = set(media(site))
    assert not any("/forum-" in n for n in before & after), "the old copies are gone, the new ones named anew"
    assert other.stat().st_mtime_ns == mtime, "a page that does not show the photo is not rewritten"


def test_exif_orientation_is_applied_before_it_is_dropped(project: Path):
    photo_with_gps(project / "content" / "articles" / "photos" / "forum.jpg", (1200, 800), orientation=6)
    run_cli("build", "--source", str(project), check=True)
    html = (project / "site" / PAGE).read_text()
    assert 'width="800" height="1200"' in html
    tall = next(p for n, p in media(project / "site").items() if n.endswith("forum-800.jpg"))
    with Image.open(tall) as im:
        assert im.size == (800, 1200)


@pytest.mark.parametrize(
    "case, expected",
    [
        ("missing", "image file content/articles/photos/nowhere.jpg not found"),
        ("not-an-image", "content/articles/photos/notes.jpg is not a readable image"),
        ("outside", "image '../../secret.png' is outside content/"),
        ("too-big", "more than the limit of 1,000"),
        ("damaged", "cannot decode image content/articles/photos/damaged.jpg"),
    ],
)
def test_unusable_lead_images_are_located_errors(project: Path, case: str, expected: str):
    path = project / ARTICLE
    text = path.read_text()
    if case == "missing":
        text = text.replace("file: photos/forum.jpg", "file: photos/nowhere.jpg")
    elif case == "not-an-image":
        (project / "content" / "articles" / "photos" / "notes.jpg").write_text("just text")
        text = text.replace("file: photos/forum.jpg", "file: photos/notes.jpg")
    elif case == "damaged":
        whole = (project / "content" / "articles" / "photos" / "forum.jpg").read_bytes()
        (project / "content" / "articles" / "photos" / "damaged.jpg").write_bytes(whole[: len(whole) // 3])
        text = text.replace("file: photos/forum.jpg", "file: photos/damaged.jpg")
    elif case == "outside":
        (project / "secret.png").write_bytes(b"x")
        text = text.replace("file: photos/forum.jpg", "file: ../../secret.png")
    else:
        config = project / "briefgen.yaml"
        config.write_text(config.read_text() + "max_image_size: 1000\n")
    path.write_text(text)
    proc = run_cli("check", "--source", str(project))
    assert proc.returncode == 1, proc.stdout
    line = next(i for i, t in enumerate(path.read_text().splitlines(), 1) if t.strip().startswith("file:"))
    assert f"{ARTICLE}:{line}: " in proc.stderr and expected in proc.stderr, proc.stderr
    assert "Traceback" not in proc.stderr


def test_a_body_image_without_alt_text_is_a_located_error(project: Path):
    path = project / ARTICLE
    path.write_text(path.read_text().replace("![A street in Kyiv after the forum]", "![]"))
    proc = run_cli("check", "--source", str(project))
    assert proc.returncode == 1
    lines = path.read_text().splitlines()
    body_line = next(i for i, t in enumerate(lines, 1) if t.startswith("![]("))
    assert f"{ARTICLE}:{body_line}: image 'photos/street.jpg' has no alt text" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_a_lead_image_without_alt_is_a_located_error(project: Path):
    path = project / ARTICLE
    path.write_text(path.read_text().replace("  alt: The forum's stage before the press conference\n", ""))
    proc = run_cli("check", "--source", str(project))
    assert proc.returncode == 1
    line = next(i for i, t in enumerate(path.read_text().splitlines(), 1) if t == "image:")
    assert f"{ARTICLE}:{line}: missing required field 'alt'" in proc.stderr


def test_copies_are_cached_by_content_hash_and_a_damaged_cache_entry_is_made_again(project: Path):
    run_cli("build", "--source", str(project), check=True)
    cache = project / ".briefgen-cache" / "images"
    entries = sorted(p for p in cache.iterdir() if not p.name.endswith(".sha256"))
    assert len(entries) >= 12, "each copy of each image is kept"
    site = project / "site"
    before = {n: p.read_bytes() for n, p in media(site).items()}
    for entry in entries:
        entry.write_bytes(b"<script>alert(1)</script>")  # the cache is not trusted
    path = project / ARTICLE
    path.write_text(path.read_text() + "\nOne more sentence.\n")  # a build that must make the site's files
    run_cli("build", "--source", str(project), check=True)
    assert {n: p.read_bytes() for n, p in media(site).items()} == before, "made again, byte for byte"
    assert b"<script>" not in b"".join(p.read_bytes() for p in entries)

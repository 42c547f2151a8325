"""Photos and graphics: checked when loading, resized and stripped of metadata for the site.

An article names a lead ``image: {file, alt, caption, credit}`` and may put
images in its body (``![alt](file "caption")``); files are found relative to
the file that names them, like links between content files, and must stay
inside content/. Loading opens only the header (format, size, orientation) so
that every problem is located and the page knows each copy's width and height;
the copies themselves are made when the site's files are (``outputs``):

- widths ``WIDTHS`` (never wider than the original), as WebP and in the
  original's format (JPEG or PNG), named by the original's content hash under
  ``media/``, so a changed photo gets new names and an unchanged one the same;
- re-encoded from pixels only: no EXIF, XMP, IPTC or text chunks survive (a
  GPS position in a photo can endanger a source or a reporter); the EXIF
  orientation is applied first, so nothing is lost by dropping it;
- kept in ``.briefgen-cache/images/`` by content hash (and checked against
  their own hash when read back: the cache is not trusted).

The original file is an input of the article page, so an edited photo
re-renders the pages that show it (its hash is in the copies' names).
"""

from __future__ import annotations

import hashlib
import io
import os
import posixpath
import warnings
from dataclasses import dataclass, field
from pathlib import Path

WIDTHS = (480, 960, 1600)
MAX_PIXELS = 50_000_000  # larger images are refused rather than decoded (decompression bombs)
FORMATS = {"JPEG": ("jpg", "image/jpeg"), "PNG": ("png", "image/png"), "WEBP": ("webp", "image/webp")}
SIZES = "(min-width: 50rem) 46rem, 100vw"  # the article column: full width on phones, ~46rem on wider screens
MEDIA = "media/"


class ImageProblem(Exception):
    def __init__(self, message: str, hint: str):
        super().__init__(message)
        self.message, self.hint = message, hint


@dataclass(frozen=True)
class Variant:
    width: int
    height: int
    outputs: tuple[tuple[str, str], ...]  # (format, output path) for WebP and the fallback format


@dataclass
class Picture:
    """One image as a page shows it; ``source`` is the original file, relative to the project."""

    source: str
    path: str  # absolute path of the original, for making the copies
    digest: str
    alt: str
    caption: str = ""
    credit: str = ""
    width: int = 0  # of the largest copy
    height: int = 0
    fallback: str = "JPEG"
    variants: list[Variant] = field(default_factory=list)
    # where its resized copies are kept (the build database's ImageStore); compared by nothing
    store: ImageStore | None = field(default=None, compare=False, repr=False)

    @property
    def largest(self) -> str:
        """Output path of the largest copy in the fallback format (og:image, JSON-LD)."""
        return dict(self.variants[-1].outputs)[self.fallback]

    @property
    def src(self) -> str:
        """The ``src`` of the <img>: the copy nearest 960 px in the fallback format."""
        best = min(self.variants, key=lambda v: abs(v.width - 960))
        return dict(best.outputs)[self.fallback]

    def srcset(self, fmt: str, root: str) -> str:
        return ", ".join(f"{root}{dict(v.outputs)[fmt]} {v.width}w" for v in self.variants)


def resolve(base_file: str, target: str, content_root: str, project_root: str) -> tuple[str, str]:
    """(path relative to the project, absolute path) of ``target`` named in ``base_file`` (project-relative).

    Refuses a path that leaves content/, as written or once links are followed.
    """
    rel = posixpath.normpath(posixpath.join(posixpath.dirname(base_file), target))
    full = os.path.join(project_root, *rel.split("/"))
    content = os.path.realpath(content_root)
    if rel.startswith("../") or not os.path.realpath(full).startswith(content + os.sep):
        raise ImageProblem(
            f"image {target!r} is outside content/", "keep images inside content/, e.g. beside the article"
        )
    return rel, full


def inspect(rel: str, full: str, max_bytes: int) -> tuple[str, str, int, int]:
    """(digest, format, width, height) after orientation, of an image file; ``ImageProblem`` when unusable."""
    from PIL import Image, UnidentifiedImageError

    try:
        size = os.stat(full).st_size
    except OSError:
        raise ImageProblem(f"image file {rel} not found", "check the path: it is relative to this file") from None
    if size > max_bytes:
        raise ImageProblem(
            f"image {rel} is {size:,} bytes, more than the limit of {max_bytes:,}",
            "export it smaller (2000 px wide is plenty), or raise max_image_size in briefgen.yaml",
        )
    try:
        data = Path(full).read_bytes()
    except OSError as exc:
        raise ImageProblem(f"cannot read image {rel}: {exc.strerror or exc}", "check the file's permissions") from None
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as im:
                fmt, (width, height) = im.format, im.size
                orientation = im.getexif().get(0x0112, 1) if fmt in ("JPEG", "WEBP", "PNG") else 1
    except (UnidentifiedImageError, Image.DecompressionBombError, Image.DecompressionBombWarning, OSError) as exc:
        raise ImageProblem(
            f"{rel} is not a readable image ({exc.__class__.__name__})", "use a JPEG, PNG or WebP file"
        ) from None
    if fmt not in FORMATS:
        raise ImageProblem(f"{rel} is a {fmt} image", "use a JPEG, PNG or WebP file")
    if width * height > MAX_PIXELS:
        raise ImageProblem(f"image {rel} is {width} x {height} pixels, too large to process", "export it smaller")
    if orientation in (5, 6, 7, 8):
        width, height = height, width
    return hashlib.sha256(data).hexdigest(), fmt, width, height


def picture(
    rel: str, full: str, alt: str, caption: str, credit: str, max_bytes: int, store: ImageStore | None = None
) -> Picture:
    """``store``: where the copies are kept (without one, the picture keeps its own copies in memory)."""
    digest, fmt, width, height = inspect(rel, full, max_bytes)
    fallback = "PNG" if fmt == "PNG" else "JPEG"  # a WebP original gets a JPEG fallback for old readers
    stem = _stem(rel)
    folder = f"{MEDIA}{digest[:16]}/"
    variants = []
    for w in sorted({min(w, width) for w in WIDTHS}):
        h = max(1, round(height * w / width))
        outputs = tuple((f, f"{folder}{stem}-{w}.{FORMATS[f][0]}") for f in ("WEBP", fallback))
        variants.append(Variant(w, h, outputs))
    top = variants[-1]
    store = store if store is not None else ImageStore()
    pic = Picture(rel, full, digest, alt, caption, credit, top.width, top.height, fallback, variants, store)
    make_copies(pic)
    return pic


def _stem(rel: str) -> str:
    name = posixpath.splitext(posixpath.basename(rel))[0].lower()
    cleaned = "".join(c if c.isascii() and (c.isalnum() or c == "-") else "-" for c in name).strip("-")
    return cleaned or "image"


# --- making the copies -------------------------------------------------------------

_MADE_MAX = 400


def make_copies(pic: Picture) -> None:
    """Make the copies of ``pic`` not yet in the cache; when loading, so that a file Pillow cannot decode
    (truncated, damaged) is an error at the line naming it, not a failure while writing the site."""
    from PIL import Image

    missing = [
        (v, fmt) for v in pic.variants for fmt, _path in v.outputs if pic.store.cached(pic.digest, v.width, fmt) is None
    ]
    if not missing:
        return
    try:
        largest = _pixels(pic.path, pic.width, pic.height)
    except (OSError, ValueError, SyntaxError, Image.DecompressionBombError) as exc:
        raise ImageProblem(
            f"cannot decode image {pic.source}: {exc}", "open it in an image editor and export it again"
        ) from None
    sized = {}
    for variant, fmt in missing:  # each width resized once, from the largest copy (not the original again)
        image = sized.get(variant.width)
        if image is None:
            image = sized[variant.width] = _resized(largest, variant.width, variant.height)
        pic.store.put(pic.digest, variant.width, fmt, encode(image, fmt))


def outputs(pictures: list[Picture]) -> dict[str, bytes]:
    """Output path -> bytes of every copy of ``pictures`` (each distinct file once)."""
    out: dict[str, bytes] = {}
    for pic in pictures:
        for variant in pic.variants:
            for fmt, path in variant.outputs:
                if path in out:
                    continue
                data = pic.store.cached(pic.digest, variant.width, fmt)
                if data is None:  # made while loading; gone since (a cache cleaned meanwhile): make it again
                    make_copies(pic)
                    data = pic.store.cached(pic.digest, variant.width, fmt)
                out[path] = data
    return out


def _pixels(path: str, width: int, height: int):
    """The original's pixels, upright, at the largest copy's size, with every piece of metadata but the colour
    profile dropped. A JPEG is decoded at a reduced scale when that is still at least as large (much faster)."""
    from PIL import Image, ImageOps

    with Image.open(path) as im:
        if im.format == "JPEG":
            turned = im.getexif().get(0x0112, 1) in (5, 6, 7, 8)
            im.draft("RGB", (height, width) if turned else (width, height))
        im.load()
        upright = ImageOps.exif_transpose(im)
    icc = upright.info.get("icc_profile")
    if upright.mode not in ("RGB", "RGBA", "L", "LA"):
        upright = upright.convert("RGBA" if "transparency" in upright.info or upright.mode == "P" else "RGB")
    upright = _resized(upright, width, height)
    clean = Image.frombytes(upright.mode, upright.size, upright.tobytes())  # pixels only: no info, no EXIF
    if icc:
        clean.info["icc_profile"] = icc
    return clean


def _resized(image, width: int, height: int):
    from PIL import Image

    if image.size == (width, height):
        return image
    resized = image.resize((width, height), Image.Resampling.LANCZOS)
    resized.info = dict(image.info)  # the colour profile only, as _pixels left it
    return resized


def encode(resized, fmt: str) -> bytes:
    image = resized
    options: dict = {"icc_profile": image.info["icc_profile"]} if "icc_profile" in image.info else {}
    if fmt == "JPEG":
        if resized.mode not in ("RGB", "L"):
            resized = resized.convert("RGB")
        options.update(quality=85, optimize=True, progressive=True)
    elif fmt == "WEBP":
        options.update(quality=82, method=4)
    else:
        options.update(optimize=True)
    buffer = io.BytesIO()
    resized.save(buffer, fmt, **options)
    return buffer.getvalue()


def _cache_name(digest: str, width: int, fmt: str) -> str:
    """The source's digest, the width and Pillow's version: another Pillow may encode other bytes."""
    import PIL

    return f"{digest}-{width}-pil{PIL.__version__}.{FORMATS[fmt][0]}"


class ImageStore:
    """Where resized copies are kept, by the original's content hash: a folder of the build database
    (``.briefgen-cache/images``, each copy beside its SHA-256), or, without one, memory."""

    def __init__(self, folder: Path | None = None):
        self.folder = folder
        self.made: dict[tuple[str, int, str], bytes] = {}  # copies made when there is no folder

    def cached(self, digest: str, width: int, fmt: str) -> bytes | None:
        folder = self.folder
        if folder is None:
            return self.made.get((digest, width, fmt))
        try:
            data = (folder / _cache_name(digest, width, fmt)).read_bytes()
            check = (folder / (_cache_name(digest, width, fmt) + ".sha256")).read_bytes()
        except OSError:
            return None
        # a damaged or planted sidecar is a miss: the copy is made again
        return data if hashlib.sha256(data).hexdigest().encode() == check.strip() else None

    def put(self, digest: str, width: int, fmt: str, data: bytes) -> None:
        folder = self.folder
        if folder is None:
            if len(self.made) >= _MADE_MAX:
                self.made.clear()
            self.made[(digest, width, fmt)] = data
            return
        try:
            folder.mkdir(parents=True, exist_ok=True)
            name = _cache_name(digest, width, fmt)
            for target, payload in ((name, data), (name + ".sha256", hashlib.sha256(data).hexdigest().encode())):
                tmp = folder / f".{target}.{os.getpid()}.tmp"
                tmp.write_bytes(payload)
                os.replace(tmp, folder / target)
        except OSError:
            pass  # a cache that cannot be written only costs time

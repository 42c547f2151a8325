"""Draw the example's locator graphic: where Kryvyi Rih lies relative to Kyiv.

Run from the repository root: ``python tools/draw_locator.py``. It writes
content/articles/images/kryvyi-rih-locator.png, which is committed; the
example's Kryvyi Rih report shows it as its lead image, credited to the desk.
Positions come from the cities' latitude and longitude on an equirectangular
grid over Ukraine's extent (22-40.5 E, 44-52.5 N); no borders are drawn, so
nothing is traced from a map. It states no distance or region: the roundup
the example is drawn from gives neither, and the graphic only shows where the
two cities lie.
"""

from __future__ import annotations

import math
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

OUT = Path("content/articles/images/kryvyi-rih-locator.png")
WIDTH, HEIGHT, MARGIN = 1200, 760, 70
WEST, EAST, SOUTH, NORTH = 22.0, 40.5, 44.0, 52.5
CITIES = {"Kyiv": (50.4501, 30.5234), "Kryvyi Rih": (47.9105, 33.3918)}
INK, MUTED, GRID, ACCENT, PAPER = (22, 24, 29), (84, 90, 99), (216, 213, 205), (155, 27, 48), (244, 243, 239)


def main() -> None:
    scale_x = math.cos(math.radians((SOUTH + NORTH) / 2))
    plot_w, plot_h = WIDTH - 2 * MARGIN, HEIGHT - 2 * MARGIN - 120
    unit = min(plot_w / ((EAST - WEST) * scale_x), plot_h / (NORTH - SOUTH))
    left = MARGIN + (plot_w - (EAST - WEST) * scale_x * unit) / 2
    top = MARGIN + 60

    def xy(lat: float, lon: float) -> tuple[float, float]:
        return left + (lon - WEST) * scale_x * unit, top + (NORTH - lat) * unit

    image = Image.new("RGB", (WIDTH, HEIGHT), PAPER)
    draw = ImageDraw.Draw(image)
    title, label, small = (ImageFont.load_default(size=s) for s in (40, 30, 22))
    draw.text((MARGIN, 40), "Kryvyi Rih and Kyiv", font=title, fill=INK)
    for lon in range(24, 41, 4):
        x, _ = xy(SOUTH, lon)
        draw.line([xy(SOUTH, lon), xy(NORTH, lon)], fill=GRID, width=2)
        draw.text((x - 18, xy(SOUTH, lon)[1] + 8), f"{lon}°E", font=small, fill=MUTED)
    for lat in range(45, 53, 2):
        draw.line([xy(lat, WEST), xy(lat, EAST)], fill=GRID, width=2)
        draw.text((xy(lat, WEST)[0] - 62, xy(lat, WEST)[1] - 12), f"{lat}°N", font=small, fill=MUTED)
    kyiv, kryvyi = (xy(*CITIES[name]) for name in ("Kyiv", "Kryvyi Rih"))
    draw.line([kyiv, kryvyi], fill=MUTED, width=3)
    for name, (x, y) in (("Kyiv", kyiv), ("Kryvyi Rih", kryvyi)):
        colour = ACCENT if name == "Kryvyi Rih" else INK
        draw.ellipse([x - 11, y - 11, x + 11, y + 11], fill=colour)
        draw.text((x + 20, y - 18), name, font=label, fill=colour)
    note = "City positions by latitude and longitude; borders not drawn."
    draw.text((MARGIN, HEIGHT - 48), note, font=small, fill=MUTED)
    OUT.parent.mkdir(parents=True, exist_ok=True)
    image.save(OUT, optimize=True)
    print(f"{OUT}: {WIDTH} x {HEIGHT}")


if __name__ == "__main__":
    main()

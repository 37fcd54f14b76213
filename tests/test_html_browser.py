"""The HTML report in a real browser: headless Chromium (Debian's ``chromium`` package, which ``.ci/run``
installs) reads the page's DOM after scripts ran, and takes a screenshot that must not be blank."""

from __future__ import annotations

import os
import shutil
import struct
import subprocess
import zlib
from collections.abc import Iterator
from functools import cache
from pathlib import Path

import pytest

from nonrefoulement import evaluate, load_case, render_html
from nonrefoulement.findings import Report
from nonrefoulement.render.html import finding_anchor

from .test_html import SEED, Dom, matrix

CANDIDATES = ("chromium", "chromium-browser", "/usr/bin/chromium")
TIMEOUT = 180


def chromium() -> str:
    for name in CANDIDATES:
        found = shutil.which(name)
        if found:
            return found
    pytest.skip(
        "no Chromium binary found (looked for chromium, chromium-browser, /usr/bin/chromium); "
        "install Debian's `chromium` package to run the browser tests (.ci/run does)"
    )


def browse(page: Path, profile: Path, *flags: str) -> subprocess.CompletedProcess[str]:
    """Run headless Chromium on a local file with networking features off and a throwaway profile."""
    command = [
        chromium(),
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-dev-shm-usage",
        "--hide-scrollbars",
        f"--user-data-dir={profile}",
        *flags,
        page.as_uri(),
    ]
    environment = {**os.environ, "LANG": "C.UTF-8"}
    return subprocess.run(
        command, capture_output=True, text=True, timeout=TIMEOUT, check=False, env=environment
    )


@cache
def seed() -> tuple[Report, str]:
    case = load_case(SEED)
    report = evaluate(case)
    return report, render_html(report, case)


@pytest.fixture
def page(tmp_path: Path) -> Path:
    path = tmp_path / "report.html"
    path.write_text(seed()[1], encoding="utf-8")
    return path


def test_the_dom_after_scripts_has_the_matrix_and_the_explanations(page: Path, tmp_path: Path) -> None:
    result = browse(page, tmp_path / "profile", "--dump-dom")
    assert result.returncode == 0, result.stderr[-2000:]
    dom = Dom(result.stdout)
    report = seed()[0]
    table = matrix(dom)
    cells = [a.attrs["href"] for a in table.iter("a")]
    assert sorted(cells) == sorted(f"#{finding_anchor(f)}" for f in report.findings)
    assert "breach indicated" in table.all_text()
    ids = dom.by_id()
    finding = report.finding("CHN", "cat3", "nine")
    heading = ids[f"{finding_anchor(finding)}-h"]
    assert heading.tag == "h4" and "CAT Art 3" in heading.all_text()
    assert ids["route"].iter("svg"), "the route map is drawn"


def test_the_screenshot_is_not_blank(page: Path, tmp_path: Path) -> None:
    shot = tmp_path / "report.png"
    result = browse(page, tmp_path / "profile", f"--screenshot={shot}", "--window-size=1280,2000")
    assert result.returncode == 0, result.stderr[-2000:]
    assert shot.exists(), result.stderr[-2000:]
    width, height, pixels = decode_png(shot.read_bytes())
    assert (width, height) == (1280, 2000)
    colours = set(pixels)
    assert len(colours) > 2, "more than two distinct colours"
    inked = sum(1 for p in pixels if p[:3] != (255, 255, 255))
    assert inked / len(pixels) > 0.05, f"only {inked / len(pixels):.1%} of the pixels are not white"
    # The status colours are on screen: some pixel is the breach red of a matrix cell.
    breach = (0xFB, 0xE1, 0xDE)
    assert any(all(abs(a - b) <= 8 for a, b in zip(p[:3], breach, strict=True)) for p in pixels)


# --- a PNG decoder: the standard library only (zlib and the PNG chunk format) ----------------------------


def chunks(data: bytes) -> Iterator[tuple[bytes, bytes]]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG file"
    offset = 8
    while offset < len(data):
        (length,) = struct.unpack(">I", data[offset : offset + 4])
        kind = data[offset + 4 : offset + 8]
        body = data[offset + 8 : offset + 8 + length]
        (crc,) = struct.unpack(">I", data[offset + 8 + length : offset + 12 + length])
        assert zlib.crc32(kind + body) == crc, f"bad CRC in chunk {kind!r}"
        yield kind, body
        offset += 12 + length


def decode_png(data: bytes) -> tuple[int, int, list[tuple[int, ...]]]:
    """Width, height and pixels (tuples of 8-bit samples) of a non-interlaced 8-bit PNG."""
    header = b""
    compressed = bytearray()
    for kind, body in chunks(data):
        if kind == b"IHDR":
            header = body
        elif kind == b"IDAT":
            compressed += body
    width, height, depth, colour, _, _, interlace = struct.unpack(">IIBBBBB", header)
    assert depth == 8 and interlace == 0, (depth, interlace)
    channels = {0: 1, 2: 3, 4: 2, 6: 4}[colour]
    stride = width * channels
    raw = zlib.decompress(bytes(compressed))
    previous = bytearray(stride)
    pixels: list[tuple[int, ...]] = []
    for row in range(height):
        start = row * (stride + 1)
        kind, line = raw[start], bytearray(raw[start + 1 : start + 1 + stride])
        unfilter(kind, line, previous, channels)
        pixels += [tuple(line[i : i + channels]) for i in range(0, stride, channels)]
        previous = line
    return width, height, pixels


def unfilter(kind: int, line: bytearray, previous: bytearray, bpp: int) -> None:
    """Undo a scanline's PNG filter in place (0 none, 1 sub, 2 up, 3 average, 4 Paeth)."""
    if kind == 0:
        return
    if kind == 2:
        for i in range(len(line)):
            line[i] = (line[i] + previous[i]) & 0xFF
        return
    for i in range(len(line)):
        left = line[i - bpp] if i >= bpp else 0
        if kind == 1:
            line[i] = (line[i] + left) & 0xFF
        elif kind == 3:
            line[i] = (line[i] + ((left + previous[i]) >> 1)) & 0xFF
        elif kind == 4:
            up, corner = previous[i], previous[i - bpp] if i >= bpp else 0
            estimate = left + up - corner
            pa, pb, pc = abs(estimate - left), abs(estimate - up), abs(estimate - corner)
            line[i] = (line[i] + (left if pa <= pb and pa <= pc else up if pb <= pc else corner)) & 0xFF
        else:
            raise AssertionError(f"unknown PNG filter {kind}")

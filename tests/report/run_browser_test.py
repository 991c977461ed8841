#!/usr/bin/env python3
"""The run report in a real browser (ctest `report_run_browser`, labels unit and
browser). Renders tests/report/sample_run/{summary,eval,audit}.json with
render_run_report, then in headless Chromium:

  1. --dump-dom: every section (#run, #training, #parallelism, #data, #model) is
     a child of <main>, in order, with its <h2> heading; as many <svg> elements
     as the file holds, at least 5; no <script>; the class names label the
     per-class table; key facts read as rendered; nothing on the console;
  2. --screenshot of the whole page: a PNG of the asked size that is not blank
     (ink on every band of the page where a section lies) and holds the chart
     colours (series 0 blue and series 1 orange of report/internal/page_style.cc),
     so the SVG charts were painted, not just parsed.

Fails, never skips, when Chromium is missing (scripts/install-deps.sh installs
it). Usage: run_browser_test.py RENDER_RUN_REPORT SAMPLE_DIR
"""
import os
import struct
import subprocess
import sys
import tempfile
import time
import zlib

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from browser_test import Dom, Node  # noqa: E402  (the DOM parser of the eval page's browser test)

RENDER, SAMPLE_DIR = sys.argv[1], sys.argv[2]
CHROMIUM = os.environ.get("DPEVAL_CHROMIUM", "/usr/bin/chromium")
SECTIONS = [("run", "Run"), ("training", "Training"), ("parallelism", "Parallelism"), ("data", "Data"),
            ("model", "Model")]
CLASS_NAMES = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag",
               "Ankle boot"]
WIDTH, HEIGHT = 1200, 5200
failures = []


def check(ok, what):
    print(("ok   " if ok else "FAIL ") + what, flush=True)
    if not ok:
        failures.append(what)


def chromium(args, workdir):
    cmd = [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
           "--no-first-run", "--no-default-browser-check", "--disable-extensions", "--disable-sync",
           "--disable-background-networking", "--disable-component-update", "--hide-scrollbars",
           f"--user-data-dir={workdir}/profile", "--enable-logging=stderr", "--v=0"] + args
    start = time.monotonic()
    result = subprocess.run(cmd, capture_output=True, text=True, timeout=60, env=dict(os.environ, HOME=workdir))
    print(f"chromium {args[0]}: {time.monotonic() - start:.2f} s, exit {result.returncode}", flush=True)
    return result


def fact_text(dom, key):
    rows = dom.find_all("tr", data_fact=key)
    cells = [n.text() for r in rows for n in r.walk() if n.tag == "td"]
    return cells[0] if len(cells) == 1 else f"<{len(cells)} cells>"


def check_dom(dom, source):
    check(not dom.find_all("script"), "no <script> element in the DOM")
    mains = dom.find_all("main")
    children = [p for p in mains[0].parts if isinstance(p, Node)] if len(mains) == 1 else []
    ids = [c.attrs.get("id") for c in children]
    check(ids == [s for s, _ in SECTIONS], f"<main> holds the sections {[s for s, _ in SECTIONS]} (got {ids})")
    for child, (_, heading) in zip(children, SECTIONS):
        h2 = [p for p in child.parts if isinstance(p, Node) and p.tag == "h2"]
        check(len(h2) == 1 and h2[0].text() == heading, f"#{child.attrs.get('id')} opens with <h2>{heading}</h2>")
    svgs = len(dom.find_all("svg"))
    check(svgs == source.count("<svg") and svgs >= 5, f"{svgs} svg elements parsed, as written, at least 5")
    cells = [n.text() for n in dom.find_all("td")]
    missing = [name for name in CLASS_NAMES if name not in cells]
    check(not missing, f"per-class table names every class (missing {missing})")
    check(fact_text(dom, "model") == "mlp", "fact model = mlp")
    check(fact_text(dom, "workers") == "2 (threads backend)", "fact workers = 2 (threads backend)")
    check(fact_text(dom, "audit_near_duplicates").startswith("14 "), "audit headline: 14 near duplicates")
    check(fact_text(dom, "scaling_efficiency").startswith("88.75%"), "scaling efficiency 88.75%")
    legend = [n.text() for n in dom.find_all("g", **{"class": "legend"})]
    check(any("exposed communication wait" in t for t in legend), "step breakdown legend names the exposed wait")


def png_pixels(path):
    """(width, height, rows of RGB(A) bytes) of an 8-bit RGB or RGBA PNG, unfiltered."""
    with open(path, "rb") as f:
        data = f.read()
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        raise ValueError("not a PNG")
    at, idat, width = 8, b"", 0
    while at < len(data):
        length, kind = struct.unpack(">I4s", data[at:at + 8])
        chunk = data[at + 8:at + 8 + length]
        if kind == b"IHDR":
            width, height, depth, color = struct.unpack(">IIBB", chunk[:10])
            if depth != 8 or color not in (2, 6):
                raise ValueError(f"PNG depth {depth} colour type {color}")
            channels = 3 if color == 2 else 4
        elif kind == b"IDAT":
            idat += chunk
        at += 12 + length
    raw, stride, rows, previous = zlib.decompress(idat), width * channels, [], bytearray(width * channels)
    for y in range(height):
        start = y * (stride + 1)
        kind, line = raw[start], bytearray(raw[start + 1:start + 1 + stride])
        for i in range(stride):
            a = line[i - channels] if i >= channels else 0
            b = previous[i]
            c = previous[i - channels] if i >= channels else 0
            if kind == 1:
                line[i] = (line[i] + a) & 255
            elif kind == 2:
                line[i] = (line[i] + b) & 255
            elif kind == 3:
                line[i] = (line[i] + (a + b) // 2) & 255
            elif kind == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
        rows.append(bytes(line))
        previous = line
    return width, height, channels, rows


def near(pixel, rgb, tolerance=40):
    return all(abs(p - q) <= tolerance for p, q in zip(pixel, rgb))


def check_screenshot(path):
    try:
        width, height, channels, rows = png_pixels(path)
    except (OSError, ValueError, zlib.error) as e:
        check(False, f"screenshot is a readable PNG ({e})")
        return
    check((width, height) == (WIDTH, HEIGHT), f"screenshot is {WIDTH} x {HEIGHT} (got {width} x {height})")
    blue = orange = 0
    inked_rows = []
    for y in range(0, height, 4):
        row = rows[y]
        ink = 0
        for x in range(0, width, 4):
            pixel = row[x * channels:x * channels + 3]
            if min(pixel) < 200:
                ink += 1
            if near(pixel, (0x2f, 0x6f, 0xdf)):
                blue += 1
            elif near(pixel, (0xd9, 0x73, 0x0d)):
                orange += 1
        inked_rows.append(ink > 0)
    # The page's content is at the top; its sections fill the first bands without a blank band.
    last = max((i for i, inked in enumerate(inked_rows) if inked), default=0)
    bands = 12
    band_rows = max(1, (last + 1) // bands)
    blank = [b for b in range(bands) if not any(inked_rows[b * band_rows:(b + 1) * band_rows])]
    check(last * 4 > 1500, f"the page is painted down to y = {last * 4} (> 1500 px)")
    check(not blank, f"no blank band in the painted page (blank bands {blank} of {bands})")
    check(blue > 50, f"series-0 blue painted ({blue} sampled pixels)")
    check(orange > 50, f"series-1 orange painted ({orange} sampled pixels)")


def main():
    if not os.access(CHROMIUM, os.X_OK):
        print(f"FAIL {CHROMIUM} is missing: run scripts/install-deps.sh (Debian package chromium)")
        sys.exit(1)
    docs = [os.path.join(SAMPLE_DIR, name) for name in ("summary.json", "eval.json", "audit.json")]
    with tempfile.TemporaryDirectory(prefix="dpeval_run_browser_") as workdir:
        page = os.path.join(workdir, "run_report.html")
        subprocess.run([RENDER, *docs, "audit.html", page], check=True, timeout=30)
        with open(page, encoding="utf-8") as f:
            source = f.read()
        result = chromium(["--dump-dom", "file://" + page], workdir)
        check(result.returncode == 0, "chromium --dump-dom exits 0")
        check("<main>" in result.stdout, "chromium dumped the DOM")
        if "<main>" in result.stdout:
            check_dom(Dom(result.stdout), source)
        bad = [line for line in result.stderr.splitlines() if ":CONSOLE" in line or "Uncaught" in line]
        check(not bad, "nothing on the console" + "".join("\n     " + line for line in bad[:5]))
        shot = os.path.join(workdir, "run_report.png")
        result = chromium([f"--screenshot={shot}", f"--window-size={WIDTH},{HEIGHT}", "file://" + page], workdir)
        check(result.returncode == 0 and os.path.exists(shot), "chromium --screenshot wrote a PNG")
        if os.path.exists(shot):
            check_screenshot(shot)
        if failures:
            print("--- chromium stderr (tail) ---\n" + result.stderr[-3000:])
    print(f"{len(failures)} failure(s)")
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()

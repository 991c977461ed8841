#!/usr/bin/env python3
"""The drift report in a real browser (ctest `report_drift_browser`, labels unit
and browser). Renders tests/report/sample_drift.json (a CSV run with label,
predictions and gates) with render_drift_report, then in headless Chromium:

  1. --dump-dom: <main> holds #verdict, #gates, #label-prediction, #columns in
     that order; the columns' <article data-column> elements in #columns come in
     the order of Note [Drift order] (src/dpeval/report/internal/drift_data.h),
     recomputed here from the JSON, each with its data-drift; each column's
     statistic and p-value read as rendered; one svg.dist-chart per entry with a
     distribution; the hostile column name (a <script> that would retitle the
     page) and category value (an <img> that would load "x") are text: no
     <script> or <img> element exists and the title is unchanged; nothing on
     the console; Chromium's net log holds no request the page made;
  2. --screenshot of the whole page: the translucent reference (blue) and
     current (orange) bars and their overlap are painted (the colours of
     series 0 and 1 in report/internal/page_style.cc at the 0.5 fill-opacity of
     svg .hist, blended over white), and the page is inked down to its end;
  3. an image run made here (two image summaries and the domain classifier, no
     label, predictions or gates): its DOM holds #verdict, #model-drift,
     #columns and the AUC as rendered.

Fails, never skips, when Chromium is missing (scripts/install-deps.sh installs
it). Usage: drift_browser_test.py RENDER_DRIFT_REPORT SAMPLE_JSON
"""
import json
import math
import os
import subprocess
import sys
import tempfile
import time
import zlib

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from browser_test import Dom, Node, fmt, page_requests  # noqa: E402  (the eval page's browser test)
from run_browser_test import png_pixels  # noqa: E402  (its PNG reader)

RENDER, SAMPLE = sys.argv[1], sys.argv[2]
CHROMIUM = os.environ.get("DPEVAL_CHROMIUM", "/usr/bin/chromium")
WIDTH, HEIGHT = 1200, 6600
# page_style.cc's series 0 and 1 at fill-opacity 0.5 over white, and orange over that blue.
BLUE, ORANGE = (0x2f, 0x6f, 0xdf), (0xd9, 0x73, 0x0d)
failures = []


def over(top, bottom, alpha=0.5):
    return tuple(round(alpha * t + (1 - alpha) * b) for t, b in zip(top, bottom))


LIGHT_BLUE, LIGHT_ORANGE = over(BLUE, (255, 255, 255)), over(ORANGE, (255, 255, 255))
OVERLAP = over(ORANGE, LIGHT_BLUE)


def check(ok, what):
    print(("ok   " if ok else "FAIL ") + what, flush=True)
    if not ok:
        failures.append(what)


def fmt_p(p):
    """format_p_value() of src/dpeval/report/internal/text.cc."""
    if p < 1e-4:
        return "< 0.0001"
    if p >= 0.1:
        return f"{p:.2f}"
    return f"{p:.{1 - math.floor(math.log10(p))}f}"


P_VALUE_METHODS, DISTANCE_METHODS = ("ks", "chisquare", "z"), ("wasserstein", "psi", "js", "kl")


def is_p_value_test(c):
    return c["method"] in P_VALUE_METHODS or (c["method"] not in DISTANCE_METHODS and c["p_value"] is not None)


def excess(c):
    """How far past its threshold a column is (Note [Drift order]); None when undefined."""
    threshold = c.get("threshold")
    if threshold is None or threshold <= 0:
        return None
    if is_p_value_test(c):
        p = c.get("p_value")
        return None if p is None else (math.inf if p <= 0 else threshold / p)
    s = c.get("statistic")
    return None if s is None else s / threshold


def drift_order(columns):
    def key(item):
        i, c = item
        e = excess(c)
        return (not c["drift"], e is None, -(e if e is not None else 0), i)
    return [c for _, c in sorted(enumerate(columns), key=key)]


def chromium(args, workdir):
    cmd = [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
           "--no-first-run", "--no-default-browser-check", "--disable-extensions", "--disable-sync",
           "--disable-background-networking", "--disable-component-update", "--hide-scrollbars",
           f"--user-data-dir={workdir}/profile", "--enable-logging=stderr", "--v=0"] + args
    start = time.monotonic()
    result = subprocess.run(cmd, capture_output=True, text=True, timeout=60, env=dict(os.environ, HOME=workdir))
    print(f"chromium {args[0]}: {time.monotonic() - start:.2f} s, exit {result.returncode}", flush=True)
    return result


def main_sections(dom):
    mains = dom.find_all("main")
    return [p for p in mains[0].parts if isinstance(p, Node)] if len(mains) == 1 else []


def section(dom, id):
    found = [n for n in dom.find_all("section") if n.attrs.get("id") == id]
    return found[0] if len(found) == 1 else Node("#missing", [], None)


def fact(article, field):
    cells = [n.text() for row in article.walk() if row.tag == "tr" and row.attrs.get("data-field") == field
             for n in row.walk() if n.tag == "td"]
    return cells[0] if len(cells) == 1 else f"<{len(cells)} cells>"


def check_dom(dom, source, doc):
    titles = [n.text() for n in dom.find_all("title") if n.parent.tag == "head"]
    expected_title = f"Drift of {doc['current']['source']} against {doc['reference']['source']}"
    check(titles == [expected_title], f"page title unchanged (got {titles})")
    check(not dom.find_all("script"), "no <script> element in the DOM")
    check(not dom.find_all("img"), "no <img> element in the DOM")
    ids = [c.attrs.get("id") for c in main_sections(dom)]
    check(ids == ["verdict", "gates", "label-prediction", "columns"],
          f"<main> holds #verdict, #gates, #label-prediction, #columns (got {ids})")
    verdicts = [n.attrs.get("data-dataset-drift") for n in section(dom, "verdict").walk()
                if "data-dataset-drift" in n.attrs]
    check(verdicts == [str(doc["dataset_drift"]).lower()], f"#verdict says dataset drift {doc['dataset_drift']}")

    articles = [n for n in section(dom, "columns").walk() if n.tag == "article" and "data-column" in n.attrs]
    expected = drift_order(doc["columns"])
    got = [a.attrs["data-column"] for a in articles]
    check(got == [c["name"] for c in expected], f"columns in drift order\n     want {[c['name'] for c in expected]}"
                                                  f"\n     got  {got}")
    check([a.attrs.get("data-drift") for a in articles] == [str(c["drift"]).lower() for c in expected],
          "data-drift of every column")
    for a, c in zip(articles, expected):
        statistic = fmt(c["statistic"])
        p = fmt_p(c["p_value"]) if c["p_value"] is not None else "—" if is_p_value_test(c) else "distance"
        ok = fact(a, "statistic") == statistic and fact(a, "p_value") == p
        check(ok, f"{c['name']!r}: statistic {statistic}, p-value {p} "
                  f"(got {fact(a, 'statistic')}, {fact(a, 'p_value')})")
    hostile = [c["name"] for c in doc["columns"] if "<script" in c["name"]]
    headings = [n.text() for a in articles for n in a.walk() if n.tag == "h3"]
    check(len(hostile) == 1 and any(h.startswith(hostile[0]) for h in headings),
          "the hostile column name is a heading's text")

    entries = doc["columns"] + ([doc["label"]] if doc.get("label") else []) + doc.get("predictions", [])
    charts = [n for n in dom.find_all("svg") if n.attrs.get("class") == "dist-chart"]
    with_distribution = sum(1 for c in entries if c.get("distribution"))
    check(len(charts) == with_distribution, f"{with_distribution} dist-chart svgs (got {len(charts)})")
    check(len(dom.find_all("svg")) == source.count("<svg"), f"{source.count('<svg')} svg elements parsed")


def near(pixel, rgb, tolerance=24):
    return all(abs(p - q) <= tolerance for p, q in zip(pixel, rgb))


def check_screenshot(path):
    try:
        width, height, channels, rows = png_pixels(path)
    except (OSError, ValueError, zlib.error) as e:
        check(False, f"screenshot is a readable PNG ({e})")
        return
    check((width, height) == (WIDTH, HEIGHT), f"screenshot is {WIDTH} x {HEIGHT} (got {width} x {height})")
    counts = {"reference blue": 0, "current orange": 0, "overlap": 0}
    inked = []
    for y in range(0, height, 4):
        row, ink = rows[y], 0
        for x in range(0, width, 4):
            pixel = row[x * channels:x * channels + 3]
            ink += min(pixel) < 200
            for name, rgb in (("reference blue", LIGHT_BLUE), ("current orange", LIGHT_ORANGE),
                              ("overlap", OVERLAP)):
                if near(pixel, rgb):
                    counts[name] += 1
        inked.append(ink > 0)
    last = max((i for i, v in enumerate(inked) if v), default=0)
    check(last * 4 > 4000, f"the page is painted down to y = {last * 4} (> 4000 px)")
    check(last * 4 < HEIGHT - 40, f"the whole page fits the screenshot (last ink at y = {last * 4})")
    for name, count in counts.items():
        check(count > 200, f"{name} bars painted ({count} sampled pixels)")


def image_run():
    edges = [i / 20 for i in range(21)]
    low, high = [0.07] * 10 + [0.03] * 10, [0.06] * 10 + [0.04] * 10

    def summary(name, statistic, p, drift, reference, current):
        return {"name": name, "kind": "numeric", "role": "image_summary", "method": "ks", "statistic": statistic,
                "p_value": p, "p_value_adjusted": min(1, 2 * p), "threshold": 0.05, "drift": drift,
                "drift_after_correction": drift, "n_reference": 60000, "n_current": 10000,
                "missing_reference": 0, "missing_current": 0,
                "metrics": {"ks_statistic": statistic, "ks_pvalue": p}, "notes": [],
                "distribution": {"type": "histogram", "edges": edges, "reference": reference, "current": current}}
    return {"schema": "dpeval.drift/1", "dpeval_version": "0.9.0",
            "reference": {"source": "fashion-mnist", "kind": "fashion-mnist", "sha256": "ab" * 32, "rows": 60000},
            "current": {"source": "fashion-mnist test", "kind": "fashion-mnist-test", "sha256": "cd" * 32,
                        "rows": 10000},
            "n_reference": 60000, "n_current": 10000, "method": "auto", "drift_share": 0.5,
            "columns": [summary("mean_intensity", 0.0231, 0.0042, True, low, high),
                        summary("std_intensity", 0.0112, 0.3114, False, high, low)],
            "n_columns": 2, "n_drifted": 1, "share_drifted": 0.5, "dataset_drift": True,
            "drifted_columns": ["mean_intensity"], "label": None, "predictions": [],
            "model_drift": {"method": "domain-classifier", "auc": 0.97, "auc_ci": [0.96, 0.98], "confidence": 0.95,
                            "threshold": 0.55, "drift": True, "n_train": 10000, "n_test": 10000,
                            "n_reference": 10000, "n_current": 10000, "seed": 0, "bootstrap_resamples": 1000,
                            "model": "mlp 784-64-1", "epochs": 3}}


def check_image_run(workdir):
    doc_path, page = os.path.join(workdir, "image_run.json"), os.path.join(workdir, "image_run.html")
    with open(doc_path, "w", encoding="utf-8") as f:
        json.dump(image_run(), f)
    subprocess.run([RENDER, doc_path, page], check=True, timeout=30)
    result = chromium(["--dump-dom", "file://" + page], workdir)
    check(result.returncode == 0 and "<main>" in result.stdout, "image run: chromium dumped the DOM")
    if "<main>" not in result.stdout:
        return
    dom = Dom(result.stdout)
    ids = [c.attrs.get("id") for c in main_sections(dom)]
    check(ids == ["verdict", "model-drift", "columns"], f"image run: #verdict, #model-drift, #columns (got {ids})")
    model = section(dom, "model-drift")
    auc = [n.text() for card in model.walk() if card.attrs.get("data-field") == "auc"
           for n in card.walk() if n.attrs.get("class") == "value"]
    check(auc == ["0.9700"], f"image run: AUC card 0.9700 (got {auc})")
    bars = [n for n in model.walk() if n.tag == "svg" and "auc-bar" in n.attrs.get("class", "")]
    check(len(bars) == 1, "image run: the AUC bar is drawn")
    order = [n.attrs["data-column"] for n in section(dom, "columns").walk() if "data-column" in n.attrs]
    check(order == ["mean_intensity", "std_intensity"], f"image run: drifted summary first (got {order})")


def main():
    if not os.access(CHROMIUM, os.X_OK):
        print(f"FAIL {CHROMIUM} is missing: run scripts/install-deps.sh (Debian package chromium)")
        sys.exit(1)
    with open(SAMPLE, encoding="utf-8") as f:
        doc = json.load(f)
    with tempfile.TemporaryDirectory(prefix="dpeval_drift_browser_") as workdir:
        page, md = os.path.join(workdir, "drift.html"), os.path.join(workdir, "drift.md")
        subprocess.run([RENDER, SAMPLE, page, md], check=True, timeout=30)
        with open(page, encoding="utf-8") as f:
            source = f.read()
        with open(md, encoding="utf-8") as f:
            markdown = f.read()
        check(markdown.startswith("### dpeval drift: ") and "<script" not in markdown,
              "the Markdown opens with its heading and holds no <script")
        result = chromium([f"--log-net-log={workdir}/net.json", "--dump-dom", "file://" + page], workdir)
        check(result.returncode == 0, "chromium --dump-dom exits 0")
        check("<main>" in result.stdout, "chromium dumped the DOM")
        if "<main>" in result.stdout:
            check_dom(Dom(result.stdout), source, doc)
        bad = [line for line in result.stderr.splitlines() if ":CONSOLE" in line or "Uncaught" in line]
        check(not bad, "nothing on the console" + "".join("\n     " + line for line in bad[:5]))
        try:
            urls = page_requests(os.path.join(workdir, "net.json"))
            check(not urls, "the page requested nothing" + "".join("\n     " + u for u in urls[:5]))
        except (OSError, ValueError, KeyError) as e:
            check(False, f"chromium's net log is readable ({e})")
        shot = os.path.join(workdir, "drift.png")
        result = chromium([f"--screenshot={shot}", f"--window-size={WIDTH},{HEIGHT}", "file://" + page], workdir)
        check(result.returncode == 0 and os.path.exists(shot), "chromium --screenshot wrote a PNG")
        if os.path.exists(shot):
            check_screenshot(shot)
        check_image_run(workdir)
        if failures:
            print("--- chromium stderr (tail) ---\n" + result.stderr[-3000:])
    print(f"{len(failures)} failure(s)")
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()

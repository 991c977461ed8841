#!/usr/bin/env python3
"""The HTML report in a real browser (ctest `report_browser`, labels unit and
browser). Renders tests/report/sample_eval.json with render_report, opens the
page in headless Chromium with --dump-dom and checks, on the DOM Chromium built:

  1. the page parsed as written: every section a child of <main>, in order, and
     as many <svg> elements as the file holds (an unclosed tag would nest or
     swallow them);
  2. the key numbers are there as rendered (Note [Number format] in
     src/dpeval/report/internal/text.h, repeated in fmt() below): every headline
     metric card, n, ECE before and after recalibration, AUC, AP, the fairness
     summary, the gate verdicts;
  3. the hostile slice value (a <script> element that would retitle the page)
     is text: no <script> element exists and the title is unchanged;
  4. the page logged nothing to the console (it has no script, so any console
     line, an uncaught exception included, is a failure);
  5. the page requested nothing from the network: Chromium's net log holds no
     request a page initiated (Chromium's own background requests carry the
     initiator "not an origin" and are ignored).

Fails, never skips, when Chromium is missing: scripts/install-deps.sh installs
it (Debian package `chromium`). Runs as root with --no-sandbox (the page is our
own local file). Usage: browser_test.py RENDER_REPORT SAMPLE_JSON
"""
import html.parser
import json
import math
import os
import subprocess
import sys
import tempfile
import time

RENDER, SAMPLE = sys.argv[1], sys.argv[2]
CHROMIUM = os.environ.get("DPEVAL_CHROMIUM", "/usr/bin/chromium")
SECTIONS = ["metrics", "gates", "confusion", "calibration", "curves", "slices", "fairness", "warnings"]
failures = []


def check(ok, what):
    print(("ok   " if ok else "FAIL ") + what, flush=True)
    if not ok:
        failures.append(what)


def fmt(v):
    """format_number() of src/dpeval/report/internal/text.cc."""
    if v is None or not math.isfinite(v):
        return "—"
    m = abs(v)
    if v != 0 and (m < 1e-4 or m >= 1e9):
        return f"{v:.3e}"
    if m <= 1:
        s = f"{v:.4f}"
        return s[1:] if s.startswith("-") and set(s[1:]) <= set("0.") else s
    digits = math.floor(math.log10(m)) + 1
    return f"{v:.{max(0, 4 - digits)}f}"


class Node:
    def __init__(self, tag, attrs, parent):
        self.tag, self.attrs, self.parent, self.parts = tag, dict(attrs), parent, []

    def text(self):
        return "".join(p if isinstance(p, str) else p.text() for p in self.parts)

    def walk(self):
        yield self
        for p in self.parts:
            if isinstance(p, Node):
                yield from p.walk()


class Dom(html.parser.HTMLParser):
    VOID = {"meta", "br", "hr", "img", "input", "link", "area", "base", "col", "embed", "source", "wbr"}

    def __init__(self, text):
        super().__init__(convert_charrefs=True)
        self.root = Node("#root", [], None)
        self.current = self.root
        self.feed(text)
        self.close()

    def handle_starttag(self, tag, attrs):
        node = Node(tag, attrs, self.current)
        self.current.parts.append(node)
        if tag not in self.VOID:
            self.current = node

    def handle_startendtag(self, tag, attrs):
        self.current.parts.append(Node(tag, attrs, self.current))

    def handle_endtag(self, tag):
        node = self.current
        while node is not self.root and node.tag != tag:
            node = node.parent
        if node is not self.root:
            self.current = node.parent

    def handle_data(self, data):
        self.current.parts.append(data)

    def find_all(self, tag=None, **attrs):
        return [n for n in self.root.walk()
                if (tag is None or n.tag == tag) and all(n.attrs.get(k.replace("_", "-")) == v for k, v in attrs.items())]

    def one_text(self, **attrs):
        found = self.find_all(**attrs)
        return found[0].text() if len(found) == 1 else f"<{len(found)} elements with {attrs}>"


def run_chromium(page, workdir):
    cmd = [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
           "--no-first-run", "--no-default-browser-check", "--disable-extensions", "--disable-sync",
           "--disable-background-networking", "--disable-component-update",
           f"--user-data-dir={workdir}/profile", "--enable-logging=stderr", "--v=0",
           f"--log-net-log={workdir}/net.json",
           "--dump-dom", "file://" + page]
    env = dict(os.environ, HOME=workdir)
    start = time.monotonic()
    result = subprocess.run(cmd, capture_output=True, text=True, timeout=30, env=env)
    print(f"chromium: {time.monotonic() - start:.2f} s, exit {result.returncode}", flush=True)
    return result


def check_structure(dom, source):
    titles = [n.text() for n in dom.find_all("title") if n.parent.tag == "head"]
    check(titles == ["Evaluation of preds_val.csv"], f"page title unchanged (got {titles})")
    check(not dom.find_all("script"), "no <script> element in the DOM")
    mains = dom.find_all("main")
    sections = [p.attrs.get("id") for p in mains[0].parts if isinstance(p, Node)] if len(mains) == 1 else []
    check(sections == SECTIONS, f"<main> holds exactly the sections {SECTIONS} (got {sections})")
    check(len(dom.find_all("svg")) == source.count("<svg"), f"{source.count('<svg')} svg elements parsed")


def check_numbers(dom, doc):
    for name, value in doc["metrics"].items():
        cards = dom.find_all("div", data_metric=name)
        values = [n.text() for c in cards for n in c.walk() if n.attrs.get("class") == "value"]
        check(values == [fmt(value)], f"card {name} shows {fmt(value)} (got {values})")
    check(dom.one_text(data_field="n") == f"{doc['n']:,}", "n = " + f"{doc['n']:,}")
    cal = doc["calibration"]
    check(dom.one_text(data_calibration="ece") == fmt(cal["ece"]), "ECE " + fmt(cal["ece"]))
    after = cal["after_recalibration"]["ece"]
    check(dom.one_text(data_calibration="ece_after") == fmt(after), "ECE after " + fmt(after))
    for key in ("roc_auc", "average_precision"):
        check(dom.one_text(data_curve=key) == fmt(doc["metrics"][key]), f"caption {key}")
    for key in ("demographic_parity_difference", "demographic_parity_ratio",
                "equal_opportunity_difference", "equalized_odds_difference"):
        row = dom.find_all("tr", data_fairness=key)
        cells = [n.text() for r in row for n in r.walk() if n.tag == "td"]
        check(cells == [fmt(doc["fairness"][key])], f"fairness {key} = {fmt(doc['fairness'][key])}")
    verdicts = [n.attrs["data-passed"] == "true" for n in dom.find_all("tr") if "data-passed" in n.attrs]
    check(verdicts == [g["passed"] for g in doc["gates"]], "gate verdicts")


def check_slices(dom, doc):
    hostile = [e["value"] for e in doc["slices"]["columns"]["browser"] if "<script" in e["value"]]
    cells = [n.text() for n in dom.find_all("td")]
    check(len(hostile) == 1 and hostile[0] in cells, "the hostile slice value is a table cell's text")
    total = sum(len(rows) for rows in doc["slices"]["columns"].values())
    tables = dom.find_all("table", **{"class": "slices"})
    rows = [n for t in tables for n in t.walk() if n.tag == "tr" and "data-slice-column" in n.attrs]
    check(len(rows) == total, f"{total} slice rows")


def check_console(stderr):
    bad = [line for line in stderr.splitlines() if ":CONSOLE" in line or "Uncaught" in line]
    check(not bad, "nothing on the console" + "".join("\n     " + line for line in bad[:5]))


def page_requests(net_log_path):
    """URLs of the requests a page initiated, from Chromium's --log-net-log file."""
    with open(net_log_path, encoding="utf-8") as f:
        log = json.load(f)
    names = {v: k for k, v in log["constants"]["logEventTypes"].items()}
    urls = []
    for event in log["events"]:
        params = event.get("params", {})
        if names.get(event["type"]) == "URL_REQUEST_START_JOB" and "url" in params \
                and params.get("initiator") != "not an origin":
            urls.append(params["url"])
    return [u for u in urls if not u.startswith(("file:", "data:"))]


def check_network(workdir):
    try:
        urls = page_requests(os.path.join(workdir, "net.json"))
    except (OSError, ValueError, KeyError) as e:
        check(False, f"chromium's net log is readable ({e})")
        return
    check(not urls, "the page requested nothing" + "".join("\n     " + u for u in urls[:5]))


def main():
    if not os.access(CHROMIUM, os.X_OK):
        print(f"FAIL {CHROMIUM} is missing: run scripts/install-deps.sh (Debian package chromium)")
        sys.exit(1)
    with open(SAMPLE, encoding="utf-8") as f:
        doc = json.load(f)
    with tempfile.TemporaryDirectory(prefix="dpeval_browser_") as workdir:
        page = os.path.join(workdir, "report.html")
        subprocess.run([RENDER, SAMPLE, page], check=True, timeout=30)
        with open(page, encoding="utf-8") as f:
            source = f.read()
        result = run_chromium(page, workdir)
        check(result.returncode == 0, "chromium exits 0")
        check("<main>" in result.stdout, "chromium dumped the DOM")
        if "<main>" in result.stdout:
            dom = Dom(result.stdout)
            check_structure(dom, source)
            check_numbers(dom, doc)
            check_slices(dom, doc)
        check_console(result.stderr)
        check_network(workdir)
        if failures:
            print("--- chromium stderr (tail) ---\n" + result.stderr[-3000:])
    print(f"{len(failures)} failure(s)")
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()

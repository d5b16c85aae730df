"""The HTML counterexample page: structure, escaping, determinism, and a real browser."""

from __future__ import annotations

import re
import shutil
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from checker import Spec, State, action, check, fault, invariant, reachable, terminal
from checker.engine import Violation, ViolationKind
from checker.report.html import html_report
from checker.report.render import dot_available, render_svg
from checker.report.run import RunInfo
from specs.echo import Echo
from specs.paxos import PaxosSmallQuorums
from specs.registers import LocklessRegister

SVG = "{http://www.w3.org/2000/svg}svg"
EVIL = '<script>alert(1)</script>"&'


class Evil(Spec):
    """A spec whose state, labels and message carry markup that must stay text."""

    def __init__(self, faults: int = 1):
        self.faults = faults

    def init_states(self):
        yield State(note="", mood=EVIL)

    @action(text=[EVIL])
    def write(self, s, text):
        return None if s.note else s.set(note=text)

    @fault()
    def glitch(self, s):
        return s.set(mood="calm") if s.mood == EVIL else None

    @terminal
    def written(self, s):
        return bool(s.note)

    @invariant
    def blank(self, s):
        assert not s.note, f"note is {s.note}"
        return True


class NeverSeven(Spec):
    def init_states(self):
        yield State(n=0)

    @action()
    def inc(self, s):
        return s.set(n=s.n + 1) if s.n < 3 else None

    @terminal
    def at_three(self, s):
        return s.n == 3

    @reachable
    def seven(self, s):
        """n gets to 7"""
        return s.n == 7


CASES = {
    "lockless-register": LocklessRegister(nodes=2),
    "paxos-small-quorums": PaxosSmallQuorums(),
    "echo": Echo(duplicate=1),
    "evil": Evil(),
}


def violated(ref: str, spec: Spec | None = None) -> tuple[RunInfo, Violation, object]:
    spec = spec or CASES[ref]
    result = check(spec)
    assert result.violation is not None
    run = RunInfo(ref, ref, tuple(spec.describe_params().items()))
    return run, result.violation, result.stats


def parse(page: str) -> ET.Element:
    """The page is well-formed XML as well as HTML, so ElementTree can query it."""
    return ET.fromstring(page)


def text(element: ET.Element) -> str:
    return "".join(element.itertext())


def rows(root: ET.Element) -> list[ET.Element]:
    return root.findall(".//table[@class='trace']/tbody/tr")


def classes(element: ET.Element) -> set[str]:
    return set(element.get("class", "").split())


@pytest.mark.parametrize("ref", CASES)
def test_one_row_per_step_with_fault_and_violation_marked(ref):
    run, violation, stats = violated(ref)
    root = parse(html_report(run, violation, stats))
    trace = violation.trace
    found = rows(root)
    assert [r.get("id") for r in found] == [f"step-{k}" for k in range(len(trace.steps))]
    for row, step in zip(found, trace.steps):
        is_fault = step.label is not None and step.label.is_fault
        assert ("fault" in classes(row)) == is_fault
        badges = {text(b) for b in row.iter("span") if "badge" in classes(b)}
        assert ("fault" in badges) == is_fault
        label = "initial state" if step.label is None else str(step.label)
        assert text(row.find("td[@class='action']")).startswith(label)
    assert [("violation" in classes(r)) for r in found] == [False] * len(trace) + [True]


def test_faults_exist_where_the_spec_has_them():
    # guards the test above against passing only because no trace has a fault
    _, violation, _ = violated("echo")
    assert [str(s.label) for s in violation.trace.steps if s.label and s.label.is_fault] == [
        "duplicate(kind='Pong', src=1, dst=0)"
    ]


def test_header_shows_property_message_and_command():
    run, violation, stats = violated("lockless-register")
    root = parse(html_report(run, violation, stats))
    assert text(root.find(".//title")) == "lockless-register: Invariant agreement is violated"
    verdict = root.find(".//section[@class='verdict']")
    assert "agreement" in text(verdict)
    assert violation.message in text(verdict)
    assert text(root.find(".//pre[@class='command']")) == run.command()
    assert run.command() == "check lockless-register --nodes 2 --faults 0"
    assert [text(c) for c in root.findall(".//div[@class='params']/code")] == [
        "nodes=2",
        "faults=0",
    ]


def test_changes_read_path_before_after_and_set_additions():
    run, violation, _ = violated("echo")
    found = rows(parse(html_report(run, violation)))
    changes = [[text(li) for li in r.iter("li")] for r in found]
    assert changes[1] == [
        "node[1].pinged: False -> True",
        "net: + Pong(src=1, dst=0)",
        "net: - Ping(src=0, dst=1)",
    ]
    assert changes[2] == ["net: + Pong(src=1, dst=0)"]


def test_every_step_folds_its_full_state_and_marks_what_changed():
    run, violation, _ = violated("lockless-register")
    found = rows(parse(html_report(run, violation)))
    details = [r.find(".//details[@class='state']") for r in found]
    assert all(d is not None for d in details)
    assert [d.get("open") is not None for d in details] == [True] + [False] * len(violation.trace)
    assert text(details[0].find("pre")).splitlines() == [
        "V = 0",
        "X = None",
        "pc = ('read_V', 'read_V')",
        "decided = (None, None)",
        "crashed = (False, False)",
    ]
    marked = [text(s) for s in details[3].iter("span") if "hl" in classes(s)]
    assert marked == ["V = 1", "pc = ('read_X', 'write_V')"]


def test_spec_text_is_escaped_everywhere():
    spec = Evil()
    result = check(spec)
    run = RunInfo(EVIL, "evil.py:Evil", (("mood", EVIL),))
    page = html_report(run, result.violation, result.stats, [(EVIL, "<svg></svg>")])
    assert EVIL not in page
    assert "<script>alert" not in page
    assert page.count("<script") == 1  # the page's own
    assert "&lt;script&gt;alert(1)&lt;/script&gt;&quot;&amp;" in page
    root = parse(page)
    assert EVIL in text(root.find(".//title"))
    assert EVIL in text(root.find(".//section[@class='verdict']"))
    assert EVIL in text(root.find(".//figcaption"))
    assert EVIL in text(rows(root)[-1].find("td[@class='action']"))
    assert f"mood = '{EVIL}'" in text(rows(root)[0])


def test_a_violation_without_trace_says_so():
    run, violation, stats = violated("never-seven", NeverSeven())
    assert violation.kind is ViolationKind.REACHABLE and violation.trace is None
    page = html_report(run, violation, stats)
    root = parse(page)
    assert root.find(".//table") is None
    assert "No trace" in page
    assert "n gets to 7" in text(root.find(".//section[@class='verdict']"))
    assert "never reached" in text(root.find(".//title"))


def test_same_input_gives_the_same_bytes():
    first = violated("paxos-small-quorums")
    second = violated("paxos-small-quorums")
    stats = first[2]
    assert html_report(*first[:2], stats) == html_report(*second[:2], stats)


def test_stats_are_shown_only_when_given():
    run, violation, stats = violated("paxos-small-quorums")
    assert "Search" not in [text(h) for h in parse(html_report(run, violation)).iter("h2")]
    root = parse(html_report(run, violation, stats))
    terms = [text(dt) for dt in root.iter("dt")]
    assert terms[:3] == ["States", "Depth", "Time"]
    assert f"{stats.distinct:,} distinct" in text(root.find(".//dl"))


def test_svg_prolog_and_doctype_are_dropped():
    svg = (
        '<?xml version="1.0" encoding="UTF-8" standalone="no"?>\n'
        '<!DOCTYPE svg PUBLIC "-//W3C//DTD SVG 1.1//EN"\n'
        ' "http://www.w3.org/Graphics/SVG/1.1/DTD/svg11.dtd">\n'
        '<svg xmlns="http://www.w3.org/2000/svg" width="8pt" height="8pt"><g/></svg>\n'
    )
    run, violation, _ = violated("echo")
    page = html_report(run, violation, diagrams=[("states", svg), ("again", svg)])
    assert "<?xml" not in page and "<!DOCTYPE svg" not in page
    assert len(parse(page).findall(f".//div[@class='diagram']/{SVG}")) == 2


def graph_svg() -> str:
    svg = render_svg("digraph { a -> b }")
    assert svg is not None
    return svg


@pytest.mark.skipif(not dot_available(), reason="Graphviz's dot is not installed")
def test_real_graphviz_svg_is_embedded():
    run, violation, _ = violated("echo")
    root = parse(html_report(run, violation, diagrams=[("a to b", graph_svg())]))
    (figure,) = root.iter("figure")
    assert text(figure.find("figcaption")) == "a to b"
    assert figure.find(f".//{SVG}") is not None


# --- in a real browser ------------------------------------------------------------------------

needs_chromium = pytest.mark.skipif(shutil.which("chromium") is None, reason="no chromium")

# Console messages in chromium's log: `:INFO:CONSOLE:12] "..."` (older: `CONSOLE(12)`).
CONSOLE = re.compile(r"CONSOLE[:(]|Uncaught")


def browse(page: str, tmp_path: Path) -> tuple[str, list[str]]:
    """Load the page headless; its DOM after scripts ran, and its console messages."""
    path = tmp_path / "report.html"
    path.write_text(page, encoding="utf-8")
    done = subprocess.run(
        [
            "chromium",
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            f"--user-data-dir={tmp_path / 'profile'}",
            "--enable-logging=stderr",
            "--v=0",
            "--dump-dom",
            path.as_uri(),
        ],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    # chromium also logs plenty about dbus, GPUs and sandboxes: keep the page's lines only
    return done.stdout, [line for line in done.stderr.splitlines() if CONSOLE.search(line)]


@needs_chromium
def test_browser_renders_steps_and_svg_without_console_errors(tmp_path):
    run, violation, stats = violated("echo")
    diagrams = [("a to b", graph_svg())] if dot_available() else []
    dom, console = browse(html_report(run, violation, stats, diagrams), tmp_path)
    assert console == []
    for k in range(len(violation.trace.steps)):
        assert f'id="step-{k}"' in dom
    assert "duplicate(kind='Pong', src=1, dst=0)" in dom
    assert "Expand all" in dom
    # the script ran despite the page's Content-Security-Policy: it shows the buttons
    assert re.search(r'<div id="toolbar" class="toolbar">', dom)
    if diagrams:
        assert re.search(r"<svg[^>]*>", dom)


LEAKY = '<svg xmlns="http://www.w3.org/2000/svg"><image href="http://example.com/x.png"/></svg>'
NO_CSP = re.compile(r'<meta http-equiv="Content-Security-Policy"[^>]*>')


def with_fetch(page: str) -> str:
    return page.replace("</figure>", f"{LEAKY}</figure>", 1)


def with_script(page: str) -> str:
    return page.replace("</body>", "<script>nosuch();</script></body>")


def with_script_and_no_csp(page: str) -> str:
    return NO_CSP.sub("", with_script(page))


@needs_chromium
@pytest.mark.parametrize(
    "spoil, expected",
    [
        (with_fetch, "violates the following Content Security Policy directive"),
        (with_script, "Executing inline script violates"),
        (with_script_and_no_csp, "Uncaught ReferenceError: nosuch is not defined"),
    ],
    ids=["fetch-blocked", "injected-script-blocked", "script-error"],
)
def test_browser_check_can_fail(tmp_path, spoil, expected):
    # the check above must be able to fail: a fetch, a foreign script, a script error
    run, violation, _ = violated("echo")
    page = spoil(html_report(run, violation, diagrams=[("graph", "<svg></svg>")]))
    _, console = browse(page, tmp_path)
    assert any(expected in line for line in console), console

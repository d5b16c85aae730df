"""The README's example spec runs and prints what the README says it prints."""

from __future__ import annotations

import re
from pathlib import Path

from click.testing import CliRunner

from checker.cli import main

README = Path(__file__).resolve().parent.parent / "README.md"


def _example() -> tuple[str, str]:
    text = README.read_text()
    code = re.search(r"<!-- example: race.py -->\n```python\n(.*?)```", text, re.S)
    shown = re.search(r"```sh\n\$ check race.py --nodes 2\n(.*?)\.\.\.\n```", text, re.S)
    assert code and shown, "README lost its example"
    return code.group(1), shown.group(1)


def test_readme_example_prints_what_the_readme_shows():
    code, shown = _example()
    Path("race.py").write_text(code)
    result = CliRunner().invoke(main, ["race.py", "--nodes", "2"])
    assert result.exit_code == 1
    assert result.stdout.startswith(shown)


def test_readme_example_holds_for_one_process():
    code, _ = _example()
    Path("race.py").write_text(code)
    assert CliRunner().invoke(main, ["race.py", "--nodes", "1"]).exit_code == 0


def test_readme_starts_with_the_two_commands():
    lines = README.read_text().splitlines()
    block = lines[lines.index("```sh") + 1 : lines.index("```sh") + 3]
    assert block == [
        "pip install -e . && check lockless-register --nodes 2",
        "pip install -e '.[test]' && python -m pytest",
    ]


def test_readme_protocol_example_holds_and_breaks_under_duplication():
    text = README.read_text()
    code = re.search(r"### Message-passing protocols.*?```python\n(.*?)```", text, re.S)
    assert code, "README lost its protocol example"
    Path("ping.py").write_text(code.group(1))
    assert CliRunner().invoke(main, ["ping.py", "--nodes", "3"]).exit_code == 0
    broken = CliRunner().invoke(main, ["ping.py", "--nodes", "3", "--duplicate", "1"])
    assert broken.exit_code == 1
    assert "duplicate(kind='Ping', src=0, dst=1)  [fault]" in broken.stdout

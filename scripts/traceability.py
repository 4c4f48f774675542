"""The traceability matrix: each requirement of REQUIREMENTS.md and the tests that prove it.

Run from the project root (`make traceability`). Tests cite requirement IDs with
`@pytest.mark.req("A5.2", "A20.1")`; the tests are collected in-process (nothing runs, no
database is touched). Prints one line per requirement (ID, covered or missing, the citing tests),
the IDs tests cite that REQUIREMENTS.md does not have (typos), and "N/M requirements covered".
Exits 0 whatever the coverage: it is a report. Exits 1 only when the requirements cannot be read
or the tests cannot be collected.
"""

from __future__ import annotations

import contextlib
import io
import os
import re
import sys
from collections.abc import Iterable
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SHARED_REQUIREMENTS = ROOT.parent / "shared" / "spec" / "REQUIREMENTS.md"
LOCAL_REQUIREMENTS = ROOT / "docs" / "requirements.md"  # the copy, one line on top of the original
TESTS = ROOT / "tests"

# A requirement is a list item that starts with its ID: "- A12.3 ...".
REQUIREMENT_LINE = re.compile(r"^- (A\d+\.\d+)\b")


class CollectionFailed(Exception):
    """The tests could not be collected; the message holds pytest's output."""


def requirements_file() -> Path:
    """The shared original when it exists, else the in-repo copy."""
    return SHARED_REQUIREMENTS if SHARED_REQUIREMENTS.exists() else LOCAL_REQUIREMENTS


def read_requirement_ids(path: Path) -> list[str]:
    """The IDs in the order the file lists them (a repeated ID counts once)."""
    ids: dict[str, None] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        match = REQUIREMENT_LINE.match(line)
        if match:
            ids.setdefault(match.group(1))
    return list(ids)


def copy_is_stale() -> bool:
    """Whether docs/requirements.md (below its first line) no longer matches the original."""
    if not (SHARED_REQUIREMENTS.exists() and LOCAL_REQUIREMENTS.exists()):
        return False
    original = SHARED_REQUIREMENTS.read_text(encoding="utf-8")
    copy = LOCAL_REQUIREMENTS.read_text(encoding="utf-8").split("\n", 1)[-1]
    return copy != original


def _cited_ids(args: Iterable[object]) -> Iterable[str]:
    # req("A1.1", "A2.1") is the documented form; a list or tuple argument is accepted too.
    for arg in args:
        if isinstance(arg, (list, tuple)):
            yield from (str(a).strip() for a in arg)
        else:
            yield str(arg).strip()


def _test_id(item: pytest.Item) -> str:
    """The node id without the parametrization suffix: one entry per test function."""
    original = getattr(item, "originalname", None) or item.name
    return item.nodeid.removesuffix(item.name[len(original) :])


class Collector:
    """A pytest plugin that records which tests cite which requirement IDs."""

    def __init__(self) -> None:
        self.citations: dict[str, list[str]] = {}

    def pytest_collection_modifyitems(self, items: list[pytest.Item]) -> None:
        for item in items:
            test = _test_id(item)
            for marker in item.iter_markers("req"):
                for req_id in _cited_ids(marker.args):
                    tests = self.citations.setdefault(req_id, [])
                    if test not in tests:
                        tests.append(test)


def collect_citations(tests_dir: Path) -> dict[str, list[str]]:
    """Requirement ID -> citing tests, from an in-process `pytest --collect-only`."""
    collector = Collector()
    output = io.StringIO()
    with contextlib.redirect_stdout(output), contextlib.redirect_stderr(output):
        code = pytest.main(
            ["--collect-only", "-q", "-p", "no:cacheprovider", str(tests_dir)],
            plugins=[collector],
        )
    # NO_TESTS_COLLECTED is an empty matrix, not a failure.
    if code not in (pytest.ExitCode.OK, pytest.ExitCode.NO_TESTS_COLLECTED):
        raise CollectionFailed(f"pytest exited with {code!r}:\n{output.getvalue().rstrip()}")
    return collector.citations


def _order(req_id: str) -> tuple[int, int, int, str]:
    """A2.1 before A12.1; anything not shaped like an ID sorts last, by its text."""
    match = re.fullmatch(r"A(\d+)\.(\d+)", req_id)
    if match:
        return (0, int(match.group(1)), int(match.group(2)), "")
    return (1, 0, 0, req_id)


def report(requirement_ids: list[str], citations: dict[str, list[str]]) -> str:
    width = max((len(i) for i in [*requirement_ids, *citations]), default=0)
    lines = []
    for req_id in requirement_ids:
        tests = citations.get(req_id, [])
        status = "covered" if tests else "missing"
        lines.append(f"{req_id:<{width}}  {status:<7}  {', '.join(tests)}".rstrip())
    known = set(requirement_ids)
    unknown = [i for i in citations if i not in known]
    if unknown:
        lines += ["", "Cited by tests but not in REQUIREMENTS.md:"]
        lines += [f"{i:<{width}}  {', '.join(citations[i])}" for i in sorted(unknown, key=_order)]
    covered = sum(1 for i in requirement_ids if citations.get(i))
    lines += ["", f"{covered}/{len(requirement_ids)} requirements covered"]
    return "\n".join(lines) + "\n"


def main() -> int:
    # Importable settings and apps whatever directory the script is started from.
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    source = requirements_file()
    try:
        requirement_ids = read_requirement_ids(source)
    except OSError as exc:
        sys.stderr.write(f"traceability: cannot read the requirements: {exc}\n")
        return 1
    if copy_is_stale():
        sys.stderr.write(
            f"traceability: {LOCAL_REQUIREMENTS.relative_to(ROOT)} differs from "
            f"{SHARED_REQUIREMENTS}: refresh the copy.\n"
        )
    try:
        citations = collect_citations(TESTS)
    except CollectionFailed as exc:
        sys.stderr.write(f"traceability: collecting the tests failed.\n{exc}\n")
        return 1
    sys.stdout.write(report(requirement_ids, citations))
    return 0


if __name__ == "__main__":
    sys.exit(main())

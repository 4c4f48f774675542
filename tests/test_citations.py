"""Every article the system cites exists and says what is quoted for it: the eligibility rules,
the reasons the Office may tick when refusing (不予受理), and every `article` the code gives a
refusal (`ServiceError`), a sanction, a ban or an audit entry, found by walking the source.

The IDs are those of REQUIREMENTS.md (the shared original when present, else the copy in
docs/requirements.md); where the Measures enumerate conditions the ID's number is the item
(`lib.articles.ENUMERATED`), and REQUIREMENTS.md lists an article's items together under its
first ID (article 14's five under A14.1), so A14.2-A14.5 are valid as items of the Measures.
The Measures' own text (shared/spec/measures-2021.zh.txt) decides which item a rule quotes."""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from intake import eligibility, forms
from intake import services as intake_services
from lib.articles import ENUMERATED, article_of, chinese_number, cite
from lib.errors import ServiceError

ROOT = Path(__file__).resolve().parent.parent
SPEC = ROOT.parent / "shared" / "spec"
REQUIREMENTS = (
    SPEC / "REQUIREMENTS.md"
    if (SPEC / "REQUIREMENTS.md").exists()
    else ROOT / "docs" / "requirements.md"
)
# The copy in docs/ keeps the check running where the shared spec is not beside the checkout
# (a test below holds it equal to the original when both are there).
MEASURES = (
    SPEC / "measures-2021.zh.txt"
    if (SPEC / "measures-2021.zh.txt").exists()
    else ROOT / "docs" / "measures-2021.zh.txt"
)
ID = re.compile(r"A(\d{1,2})\.(\d{1,2})")
SKIP = {".venv", "tests", "migrations", "node_modules", "var", ".git", "scripts", "benchmarks"}
ITEM = re.compile(r"（([一二三四五六七八九十]+)）")
QUOTED_ARTICLE = re.compile(r"第[一二三四五六七八九十]+条")
QUOTED_ITEM = re.compile(r"(第[一二三四五六七八九十]+条)第（?([一二三四五六七八九十]+)）?项")


def _requirement_ids() -> set[str]:
    text = REQUIREMENTS.read_text(encoding="utf-8")
    return set(re.findall(r"^- (A\d+\.\d+)\b", text, flags=re.MULTILINE))


def _measures() -> str:
    return MEASURES.read_text(encoding="utf-8")


def test_the_measures_copy_is_the_original() -> None:
    original = SPEC / "measures-2021.zh.txt"
    if not original.exists():
        pytest.skip("the shared spec is not beside this checkout; the copy is what is checked")
    copy = ROOT / "docs" / "measures-2021.zh.txt"
    assert copy.read_bytes() == original.read_bytes(), "docs/measures-2021.zh.txt has drifted"


def _items(article: int) -> dict[int, str]:
    """Article `article`'s enumerated items in the Measures: number -> text."""
    text = _measures()
    start = re.search(f"^第{chinese_number(article)}条", text, flags=re.MULTILINE)
    end = re.search(f"^第{chinese_number(article + 1)}条", text, flags=re.MULTILINE)
    assert start is not None
    assert end is not None
    numbers = {chinese_number(n): n for n in range(1, 20)}
    return {
        numbers[m[1]]: line[m.end() :]
        for line in text[start.start() : end.start()].splitlines()
        if (m := ITEM.match(line))
    }


def _valid(code: str, known: set[str]) -> bool:
    """In REQUIREMENTS.md, or an item of an enumerated article whose list REQUIREMENTS.md
    holds (A14.3: article 14 has an item （三） and A14.1 is its requirement)."""
    if code in known:
        return True
    match = ID.fullmatch(code)
    if match is None:
        return False
    article, item = int(match[1]), int(match[2])
    return article in ENUMERATED and f"A{article}.1" in known and item in _items(article)


# --- what the code cites -------------------------------------------------------------------------


@dataclass(frozen=True)
class Cited:
    where: str
    article: str
    message: str = ""  # the constant text of the refusal's message, when there is one


def _text(node: ast.expr) -> str:
    """The constant parts of a message: a literal, an f-string or literals joined with +."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.JoinedStr):
        return "".join(_text(v) for v in node.values if isinstance(v, ast.Constant))
    if isinstance(node, ast.BinOp):
        return _text(node.left) + _text(node.right)
    return ""


def _constant(node: ast.expr | None) -> str | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    return None


def _sources() -> Iterator[Path]:
    for path in sorted(ROOT.rglob("*.py")):
        if not SKIP & set(path.relative_to(ROOT).parts):
            yield path


def _cited_in(path: Path) -> Iterator[Cited]:
    """`article="A23.1"` of any call (a ServiceError, `revoke_award`), a constant passed in the
    place of a function's `article` parameter (`_raise(what, errors, "A23.2")`), an `"article"`
    entry of a dict, and `article = ...` assignments and model defaults."""
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    where = str(path.relative_to(ROOT))
    positions = {
        node.name: [a.arg for a in node.args.posonlyargs + node.args.args].index("article")
        for node in ast.walk(tree)
        if isinstance(node, ast.FunctionDef)
        and "article" in [a.arg for a in node.args.posonlyargs + node.args.args]
    }
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            article = next((_constant(k.value) for k in node.keywords if k.arg == "article"), None)
            name = getattr(node.func, "id", None) or getattr(node.func, "attr", None)
            if article is None and name in positions and len(node.args) > positions[name]:
                article = _constant(node.args[positions[name]])
            if article is not None:
                message = _text(node.args[0]) if node.args else ""
                yield Cited(f"{where}:{node.lineno}", article, message)
        elif isinstance(node, ast.Dict):
            for key, entry in zip(node.keys, node.values, strict=True):
                if _constant(key) == "article" and (article := _constant(entry)) is not None:
                    yield Cited(f"{where}:{node.lineno}", article)
        elif isinstance(node, ast.Assign):
            names = [t.id for t in node.targets if isinstance(t, ast.Name)]
            if "article" not in names:
                continue
            assigned: ast.expr | None = node.value
            if isinstance(assigned, ast.Call):  # a model field: its default
                assigned = next((k.value for k in assigned.keywords if k.arg == "default"), None)
            if (article := _constant(assigned)) is not None:
                yield Cited(f"{where}:{node.lineno}", article)


CITED = [c for path in _sources() for c in _cited_in(path)]


def test_the_source_walk_finds_the_citations_it_should() -> None:
    places = {c.where.split(":")[0] for c in CITED}
    assert {"supervision/services.py", "decision/services.py", "intake/standing.py"} <= places
    assert {"supervision/models.py", "intake/models.py"} <= places  # Sanction, Ban defaults
    assert any(c.article == "A5.1" and "第五条" in c.message for c in CITED)


# --- the checks ----------------------------------------------------------------------------------


@pytest.mark.req("A16.1")
def test_every_article_the_code_cites_exists() -> None:
    known = _requirement_ids()
    wrong = [f"{c.where} {c.article}" for c in CITED if not _valid(c.article, known)]
    assert wrong == []


@pytest.mark.req("A16.1")
def test_a_refusal_that_quotes_an_article_cites_that_article() -> None:
    """(《办法》第五条) in the message of a refusal citing A5.1; never another article's ID."""
    wrong = []
    for c in CITED:
        quoted = set(QUOTED_ARTICLE.findall(c.message))
        if quoted and article_of(cite(c.article)) not in quoted:
            wrong.append(f"{c.where} {c.article}: {c.message}")
    assert wrong == []


@pytest.mark.req("A12.1", "A13.1", "A14.1", "A16.1")
def test_every_eligibility_rule_cites_an_existing_article() -> None:
    known = _requirement_ids()
    assert [r.key for r in eligibility.RULES if not _valid(r.article, known)] == []


@pytest.mark.req("A12.1", "A13.1", "A14.1")
def test_each_rule_cites_the_item_whose_condition_it_checks() -> None:
    """The Measures' item a rule's ID names is the one its title matches best (shared pairs
    of characters), and better than any other item of the article."""

    def pairs(text: str) -> set[str]:
        text = re.sub(r"[\s，、。；;“”（）()0-9A-Za-z/]", "", text)
        return {text[i : i + 2] for i in range(len(text) - 1)}

    wrong = []
    for rule in eligibility.RULES:
        match = ID.fullmatch(rule.article)
        assert match is not None
        article, item = int(match[1]), int(match[2])
        if article not in ENUMERATED:
            continue
        scores = {n: len(pairs(rule.titled()) & pairs(text)) for n, text in _items(article).items()}
        others = [s for n, s in scores.items() if n != item]
        if scores.get(item, 0) <= max(others, default=0):
            wrong.append(f"{rule.key} {rule.article} {rule.titled()}: {scores}")
    assert wrong == []


@pytest.mark.req("A14.1")
def test_an_individuals_five_conditions_are_the_five_items_of_article_14() -> None:
    individual = [r for r in eligibility.RULES if r.applies_to == "individual"]
    assert [r.article for r in individual] == ["A14.1", "A14.2", "A14.3", "A14.4", "A14.5"]
    assert [cite(r.article) for r in individual] == [
        f"第十四条第（{n}）项" for n in ("一", "二", "三", "四", "五")
    ]
    assert len(_items(14)) == 5


@pytest.mark.req("A14.1")
def test_a_rules_message_quotes_only_its_own_item() -> None:
    """第十三条第三项 in the A13.3 rule's messages, never another item of an article it cites."""
    import inspect

    wrong = []
    for rule in eligibility.RULES:
        source = inspect.getsource(rule.check)
        for article, item in QUOTED_ITEM.findall(source):
            if article == article_of(cite(rule.article)) and f"（{item}）" not in cite(
                rule.article
            ):
                wrong.append(f"{rule.key} {rule.article}: {article}第{item}项")
    assert wrong == []


@pytest.mark.req("A16.1")
@pytest.mark.parametrize("kind", ["organization", "individual"])
def test_the_refusal_reasons_offered_to_the_office_exist_and_read_as_the_measures(
    kind: str,
) -> None:
    known = _requirement_ids()
    choices = forms.article_choices(kind)
    assert [code for code, _ in choices if not _valid(code, known)] == []
    for code, label in choices:
        assert label.startswith(cite(code) + " ")
    titles = {r.article: r.titled() for r in eligibility.RULES if r.applies_to == kind}
    for code, label in choices:
        if code in titles:
            assert titles[code] in label
    if kind == "individual":
        assert [code for code, _ in choices] == [f"A14.{n}" for n in range(1, 6)] + ["A16.1"]


@pytest.mark.req("A16.1")
def test_the_articles_a_refusal_may_cite_exist() -> None:
    known = _requirement_ids()
    assert sorted(a for a in intake_services.ARTICLES if not _valid(a, known)) == []
    assert {f"A14.{n}" for n in range(1, 6)} <= intake_services.ARTICLES


@pytest.mark.req("A16.1")
def test_a_message_naming_its_items_is_not_given_a_wrong_item() -> None:
    """A8.1 is article 8's list of four conditions; an expert refused for the third says so
    itself, and the page does not add 第八条第（一）项."""
    refused = ServiceError("该专家不能进入专家组：第八条第三项：缺少学习教育的依据", article="A8.1")
    assert "第（一）项" not in refused.display
    plain = ServiceError("工业企业环保信用等级为黄色。", article="A12.5")
    assert plain.display.endswith("（《办法》第十二条第（五）项）")


def test_article_6_is_not_cited_by_item() -> None:
    """A6.2 is the committee's Office, not article 6's item （二）."""
    assert cite("A6.2") == "第六条"
    assert cite("A8.1") == "第八条第（一）项"

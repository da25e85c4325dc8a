"""KTAB SMP CSV and decide-exchange-model files: reading, writing, round trips, located errors."""

from __future__ import annotations

import csv
import re
from decimal import Decimal
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from accord import AccordError, Scenario, ScenarioError, builtin_scenarios, load_scenario
from accord.scenario import RawScale, to_arrays
from accord.scenario.decide import is_decide_text, parse_decide, read_decide
from accord.scenario.decide_write import format_decide
from accord.scenario.ktab import format_ktab_csv, parse_ktab_csv, read_ktab_csv

from .conftest import REFERENCE, need
from .factories import make_scenario

KTAB_DIR = REFERENCE / "ktab-smp"
EXCHANGE_DIR = REFERENCE / "exchange"

# actors × dimensions, as in the table of reference/ktab-smp/README.md
KTAB_FILES = {
    "dummyData_3Dim.csv": (7, 3),
    "SOE-Pol-Comp.csv": (13, 2),
    "SOE-Policy.csv": (26, 1),
    "dummyData_6Dim.csv": (27, 6),
    "SOE-Competitive.csv": (34, 1),
    "dummyData-a040.csv": (40, 1),
    "dummyData-a080.csv": (80, 1),
    "dummyData-a160.csv": (160, 1),
}
# actors, issues, as in reference/exchange/README.md
DECIDE_FILES = {"copenhagen.csv": (11, 7), "sample_data.txt": (10, 6)}

FUZZ = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# Small valid files, so that the error tests run without the shared reference data.
KTAB_GOOD = """Tiny,"A tiny, quoted description",3,2,
Actor,Description,Power,Alpha Position,Alpha Salience,Beta Position,Beta Salience,
A1, First actor, 10, 20, 40, 80, 30,
A2, Second actor, 20.5, 60, 50, 10, 50,
A3, Third actor, 5, 90, 10, 50, 90,
"""

DECIDE_GOOD = (
    "'#A'\t'a1'\t'Actor one'\t''\n"
    "'#A'\t'a 2'\t'Actor two'\t'with a comment'\n"
    "'#A'\t'a3'\t'Actor three'\t''\n"
    "'#P'\t'p1'\t'first issue'\n"
    "'#M'\t'p1'\t0\t'none'\n"
    "'#M'\t'p1'\t10\t'all'\n"
    "'#P'\t'p2'\t'second issue'\n"
    "'#D'\t'a1'\t'p1'\t2.5\t0.5\t0.3\n"
    "'#D'\t'a 2'\t'p1'\t7.0\t0.8\t0.2\n"
    "'#D'\t'a3'\t'p1'\t10\t0.25\t0.5\n"
    "'#D'\t'a1'\t'p2'\t40.0\t0.9\t0.3\n"
    "'#D'\t'a 2'\t'p2'\t80.0\t0.1\t0.2\n"
)


def ktab_path(name: str) -> Path:
    return need(KTAB_DIR / name)


def decide_path(name: str) -> Path:
    return need(EXCHANGE_DIR / name)


# --- the reference files ---------------------------------------------------------------------


def test_readme_table_lists_the_ktab_files() -> None:
    readme = need(KTAB_DIR / "README.md").read_text(encoding="utf-8")
    table = {
        m[1]: (int(m[2]), int(m[3]))
        for m in re.finditer(r"^\| (\S+\.csv) \| (\d+) × (\d+) \|", readme, re.MULTILINE)
    }
    assert table == KTAB_FILES


@pytest.mark.parametrize("name", sorted(KTAB_FILES))
def test_ktab_reference_files_parse(name: str) -> None:
    s = read_ktab_csv(ktab_path(name))
    assert (len(s.actors), len(s.issues)) == KTAB_FILES[name]
    assert s.description.startswith("Imported from KTAB SMP CSV")
    assert all(i.status_quo is None and i.scale is None and not i.anchors for i in s.issues)
    assert all(not a.absent_from for a in s.actors)
    for a in s.actors:
        assert sum(a.saliences[i].value for i in s.issue_ids) <= 100.0 + 1e-9


@pytest.mark.parametrize("name", sorted(DECIDE_FILES))
def test_decide_reference_files_parse(name: str) -> None:
    path = decide_path(name)
    assert is_decide_text(path.read_text(encoding="utf-8"))
    s = read_decide(path)
    assert (len(s.actors), len(s.issues)) == DECIDE_FILES[name]
    assert all(i.status_quo is None for i in s.issues)
    assert "decide-exchange-model" in s.description


def test_ktab_spot_values() -> None:
    s = read_ktab_csv(ktab_path("dummyData_3Dim.csv"))
    assert s.id == "DummyData_3Dim" and s.name == "DummyData_3Dim"
    assert s.description == "Imported from KTAB SMP CSV: Dummy scenario to test reading format"
    assert s.issue_ids == ("Pstn1", "Pstn2", "Pstn3")
    actor = s.actor("SActor-02")
    assert actor.name == "SActor-02" and actor.description == "Random Spatial Actor"
    assert actor.capability.value == 129.643
    assert actor.positions["Pstn3"].value == 0.07
    assert actor.saliences["Pstn3"].value == 34.62
    # a040 labels have leading spaces: the name is stripped, the raw label is kept for write-back
    a040 = read_ktab_csv(ktab_path("dummyData-a040.csv"))
    issue = a040.issues[0]
    assert (issue.id, issue.name, issue.description) == ("XYZ-Position", "XYZ Position",
                                                         "  XYZ Position")
    assert "\n  XYZ Position,  XYZ Salience" not in format_ktab_csv(a040)
    assert ",  XYZ Position,  XYZ Salience\n" in format_ktab_csv(a040)


def test_decide_spot_values() -> None:
    s = read_decide(decide_path("sample_data.txt"))
    assert s.id == "sample_data"
    hoogte = s.issue("tol-hoogte")
    assert hoogte.scale == RawScale(low=0.5, high=7.0)
    assert hoogte.anchors == {0.0: "0.5", 100.0: "7"}
    willems = s.actor("Willems")
    assert willems.positions["tol-hoogte"].value == (3.0 - 0.5) * 100 / 6.5
    assert willems.saliences["tol-hoogte"].value == 70.0
    assert willems.capability.value == 1.0
    assert willems.description == "Test"
    assert s.issue("wanneer-tol").description == "wanneer-tol\tWat is dit voor onzin?"

    c = read_decide(decide_path("copenhagen.csv"))
    assert c.actor("Russia").absent_from == ("Commitments", "Extra")
    assert "Commitments" not in c.actor("Russia").positions
    eu = c.actor("EU-incl-Norway")
    assert eu.name == "EU (incl Norway)" and eu.capability.value == 0.156
    assert c.actor("USA").saliences["MRVdecrease"].value == 100.0
    assert c.issue("Newtreaty").anchors == {0.0: "0", 100.0: "100"}
    assert c.issue("Newtreaty").scale is None


# --- round trips -------------------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(KTAB_FILES))
def test_ktab_round_trip(name: str) -> None:
    s = read_ktab_csv(ktab_path(name))
    text = format_ktab_csv(s)
    again = parse_ktab_csv(text, "again.csv")
    assert again == s
    assert format_ktab_csv(again) == text


@pytest.mark.parametrize("name", sorted(DECIDE_FILES))
def test_decide_round_trip_is_byte_identical(name: str) -> None:
    path = decide_path(name)
    text = path.read_text(encoding="utf-8")
    s = read_decide(path)
    written = format_decide(s)
    assert written == text
    assert parse_decide(written, str(path)) == s


def _data_numbers(text: str) -> dict[tuple[str, str], tuple[Decimal, ...]]:
    """(actor, issue) → (position, salience, power) of every #D row, read as exact decimals."""
    out = {}
    for line in text.splitlines():
        fields = [f.strip().strip("'") for f in re.split(r"[\t;]", line)]
        if fields[0] == "#D":
            out[(fields[1], fields[2])] = tuple(Decimal(f) for f in fields[3:6])
    return out


def test_decide_round_trip_keeps_printed_numbers_on_a_raw_scale() -> None:
    text = (
        "'#A';'x 1';'x 1';'it''s a comment'\n"
        "'#A';'y';'Actor Y';''\n"
        "'#A';'z';'z';''\n"
        "'#P';'scale issue';'odd raw scale'\n"
        "'#M';'scale issue';0.1\n"
        "'#M';'scale issue';0.33;'a third'\n"
        "'#M';'scale issue';0.7;'top'\n"
        "'#P';'plain';''\n"
        "'#D';'x 1';'scale issue';0.3;0.333;3.3\n"
        "'#D';'y';'scale issue';0.123456789;0.07;0.1\n"
        "'#D';'z';'scale issue';0.7;1;0.2\n"
        "'#D';'x 1';'plain';12.34;0.5;3.3\n"
        "'#D';'y';'plain';99.99;0.01;0.1\n"
    )
    s = parse_decide(text, "odd.txt")
    assert s.actor("x-1").description == "it's a comment"
    assert s.issue("scale-issue").scale == RawScale(low=0.1, high=0.7)
    assert s.actor("z").absent_from == ("plain",)
    written = format_decide(s)
    assert parse_decide(written, "odd.txt") == s
    assert _data_numbers(written) == _data_numbers(text)
    assert "'#M'\t'scale issue'\t0.33\t'a third'" in written


@settings(max_examples=150, deadline=None)
@given(
    low=st.decimals(-1000, 1000, places=2),
    width=st.decimals(Decimal("0.01"), 1000, places=2),
    fractions=st.lists(st.decimals(0, 1, places=6), min_size=2, max_size=5),
    saliences=st.lists(st.decimals(Decimal("0.001"), 1, places=3), min_size=5, max_size=5),
)
def test_decide_printed_numbers_survive_any_raw_scale(
    low: Decimal, width: Decimal, fractions: list[Decimal], saliences: list[Decimal]
) -> None:
    high = low + width
    rows = [f"'#A'\t'a{k}'\t'a{k}'\t''" for k in range(len(fractions))]
    rows += ["'#P'\t'q'\t''", f"'#M'\t'q'\t{low}", f"'#M'\t'q'\t{high}"]
    for k, f in enumerate(fractions):
        raw = min(high, (low + f * width).quantize(Decimal("0.000001")))
        rows.append(f"'#D'\t'a{k}'\t'q'\t{raw}\t{saliences[k]}\t0.5")
    text = "\n".join(rows) + "\n"
    s = parse_decide(text, "p.txt")
    written = format_decide(s)
    assert parse_decide(written, "p.txt") == s
    assert _data_numbers(written) == _data_numbers(text)


def test_ktab_written_numbers_re_read_identically() -> None:
    s = make_scenario(
        positions=[[0.1, 100.0], [1 / 3, 2 / 3], [99.99999999999999, 5e-324]],
        saliences=[[10.0, 0.30000000000000004], [50.0, 50.0], [1e-9, 7.7]],
        capability=[1e-5, 123456.789, 1e8],
    )
    again = parse_ktab_csv(format_ktab_csv(s))
    for a, b in zip(s.actors, again.actors, strict=True):
        assert a.capability.value == b.capability.value
        assert [p.value for p in a.positions.values()] == [p.value for p in b.positions.values()]
        assert [p.value for p in a.saliences.values()] == [p.value for p in b.saliences.values()]


def test_ktab_saliences_above_100_are_scaled_to_total_100() -> None:
    s = make_scenario(
        positions=[[10, 20, 30, 40]] * 3,
        saliences=[[80, 70, 50, 0], [33.3, 33.3, 33.5, 10], [10, 20, 30, 40]],
        capability=[1, 2, 3],
    )
    again = parse_ktab_csv(format_ktab_csv(s))
    first = [again.actors[0].saliences[i].value for i in again.issue_ids]
    assert first == pytest.approx([40, 35, 25, 0], abs=1e-12)
    for actor in again.actors[:2]:
        total = sum(actor.saliences[i].value for i in again.issue_ids)
        assert 100.0 - 1e-9 <= total <= 100.0
    unchanged = again.actors[2]
    assert [unchanged.saliences[i].value for i in again.issue_ids] == [10, 20, 30, 40]


@settings(max_examples=100, deadline=None)
@given(st.lists(st.floats(0, 100), min_size=1, max_size=8).filter(lambda xs: sum(xs) > 100))
def test_ktab_scaled_saliences_never_exceed_100(saliences: list[float]) -> None:
    m = len(saliences)
    s = make_scenario(
        positions=[[50.0] * m] * 3,
        saliences=[saliences, [1.0] * m, [1.0] * m],
        capability=[1, 1, 1],
    )
    again = parse_ktab_csv(format_ktab_csv(s))  # the reader checks the total is at most 100
    total = 0.0
    for i in again.issue_ids:
        total += again.actors[0].saliences[i].value
    assert total <= 100.0
    assert total == pytest.approx(100.0, abs=1e-9)


def test_ktab_export_refuses_absent_actors() -> None:
    copenhagen = read_decide(decide_path("copenhagen.csv"))
    with pytest.raises(AccordError, match=r"actor 'Russia' is absent from issue 'Commitments'"):
        format_ktab_csv(copenhagen)
    small = parse_decide(DECIDE_GOOD, "small.txt")
    with pytest.raises(AccordError, match=r"actor 'a3' is absent from issue 'p2'"):
        format_ktab_csv(small)


def test_ktab_export_refuses_what_it_cannot_express() -> None:
    two = make_scenario(positions=[[1], [2]], saliences=[[1], [1]], capability=[1, 1])
    with pytest.raises(AccordError, match="between 3 and 250"):
        format_ktab_csv(two)
    big = make_scenario(positions=[[1]] * 3, saliences=[[1]] * 3, capability=[1, 1, 2e8])
    with pytest.raises(AccordError, match="at most 1e8"):
        format_ktab_csv(big)


def test_decide_export_refuses_power_above_100() -> None:
    s = make_scenario(positions=[[1], [2]], saliences=[[1], [1]], capability=[1, 250])
    with pytest.raises(AccordError, match=r"capability 250.*0–100"):
        format_decide(s)


@pytest.mark.parametrize("name", builtin_scenarios())
def test_builtins_export_to_decide_and_back(name: str) -> None:
    s = load_scenario(name)
    again = parse_decide(format_decide(s), f"{name}.txt")
    assert again.actor_ids == s.actor_ids and again.issue_ids == s.issue_ids
    for a, b in zip(s.actors, again.actors, strict=True):
        assert a.name == b.name and a.absent_from == b.absent_from
        assert a.capability.value == b.capability.value
        for iid in a.positions:
            assert a.positions[iid].value == b.positions[iid].value
            assert a.saliences[iid].value == b.saliences[iid].value
    for i, j in zip(s.issues, again.issues, strict=True):
        assert set(i.anchors.items()) <= set(j.anchors.items())


def test_ktab_weighted_mean_matches_the_raw_csv() -> None:
    path = ktab_path("dummyData_3Dim.csv")
    rows = list(csv.reader(path.read_text(encoding="utf-8").splitlines()))[2:]
    by_hand = []
    for k in range(3):
        num = den = 0.0
        for r in rows:
            capability, position, salience = float(r[2]), float(r[3 + 2 * k]), float(r[4 + 2 * k])
            num += capability * salience * position
            den += capability * salience
        by_hand.append(num / den)
    arrays = to_arrays(read_ktab_csv(path))
    weight = arrays.capability[:, None] * arrays.salience
    computed = (weight * arrays.position).sum(axis=0) / weight.sum(axis=0)
    np.testing.assert_allclose(computed, by_hand, rtol=1e-12)


# --- other behaviour ------------------------------------------------------------------------


def test_small_files_parse() -> None:
    k = parse_ktab_csv(KTAB_GOOD, "tiny.csv")
    assert k.description == "Imported from KTAB SMP CSV: A tiny, quoted description"
    assert k.issue_ids == ("Alpha-Position", "Beta-Position")
    assert k.actor("A2").capability.value == 20.5
    d = parse_decide(DECIDE_GOOD, "small.txt")
    assert d.actor_ids == ("a1", "a-2", "a3") and d.actor("a-2").name == "Actor two"
    assert d.issue("p1").scale == RawScale(low=0, high=10)
    assert d.issue("p1").anchors == {0.0: "none", 100.0: "all"}
    assert d.actor("a1").positions["p1"].value == 25.0
    assert d.actor("a3").absent_from == ("p2",)
    assert parse_decide(format_decide(d), "small.txt") == d
    assert parse_ktab_csv(format_ktab_csv(k)) == k


def test_duplicate_names_get_unique_ids() -> None:
    k = parse_ktab_csv(KTAB_GOOD.replace("A3,", "A1,"), "tiny.csv")
    assert k.actor_ids == ("A1", "A2", "A1-2")
    assert k.actors[2].name == "A1"


@pytest.mark.parametrize("delim", [";", ","])
def test_decide_delimiters_are_detected(delim: str) -> None:
    quoted = parse_decide(DECIDE_GOOD.replace("\t", delim), "small.txt")
    assert quoted == parse_decide(DECIDE_GOOD, "small.txt")
    bare = parse_decide(DECIDE_GOOD.replace("\t", delim).replace("'", ""), "small.txt")
    assert bare == quoted


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (DECIDE_GOOD, True),
        ("\n  \n#A;x;y\n", True),
        ("#D\tx", True),
        ("'#/'\tcomment\n", True),
        ("#Actors,are,here\n", False),
        (KTAB_GOOD, False),
        ("id: x\n", False),
        ("", False),
    ],
)
def test_is_decide_text(text: str, expected: bool) -> None:
    assert is_decide_text(text) is expected


def test_unreadable_files(tmp_path: Path) -> None:
    with pytest.raises(AccordError, match="file not found"):
        read_ktab_csv(tmp_path / "missing.csv")
    with pytest.raises(AccordError, match="is a directory"):
        read_decide(tmp_path)
    binary = tmp_path / "blob.csv"
    binary.write_bytes(b"\x81\x8d\x8f\x90\x9d")
    with pytest.raises(ScenarioError, match=r"blob\.csv:1: not a text file"):
        read_ktab_csv(binary)


# --- bad inputs: every error names the file and the line ----------------------------------------

KTAB_BAD = [
    ("3,2,", "x,2,", 1, "scenario.actors: 'x' is not a whole number"),
    ("3,2,", "2,2,", 1, "2 actors; KTAB needs between 3 and 250"),
    ("3,2,", "3,0,", 1, "0 dimensions; KTAB needs at least 1"),
    ("Alpha Salience,Beta Position", "Alpha Salience, ,", 2, "position label of dimension 2 is empty"),
    ("20.5, 60,", "20.5, 160,", 4, "actors[1].positions.Alpha Position: position 160 is outside 0–100"),
    ("10, 50, 90,", "10, 50, abc,", 5, "actors[2].saliences.Beta Salience: 'abc' is not a number"),
    ("20.5,", "nan,", 4, "actors[1].capability: 'nan' is not allowed"),
    ("A1, First actor, 10,", "A1, First actor, 2e8,", 3, "capability 2e8 is outside 0–100000000"),
    ("90, 10, 50, 90,", "90, 20, 50, 90,", 5, "actors[2].saliences: the saliences sum to 110"),
    ("40, 80, 30,", "0, 80, 0,", 3, "every salience is 0"),
    ("A2, Second", " , Second", 4, "actors[1].name: the actor name is empty"),
    ("A3, Third actor, 5, 90, 10, 50, 90,\n", "", 4, "row 1 says 3 actors but 2 actor rows follow"),
    ("50, 90,\n", "50, 90,\nA4, Extra, 1, 1, 1, 1, 1\n", 6, "there are 4 actor rows"),
    ("10, 50, 90,", "10, 50,", 5, "actors[2]: this actor row has 6 cells but needs 7"),
    ("40, 80, 30,\nA2, Second actor, 20.5, 60, 50, 10, 50,\nA3, Third actor, 5, 90, 10, 50, 90",
     "40, 80, 0,\nA2, Second actor, 20.5, 60, 50, 10, 0,\nA3, Third actor, 5, 90, 10, 50, 0", 2,
     "issues[1]: no actor has both capability and salience above 0"),
]


@pytest.mark.parametrize(("old", "new", "line", "expected"), KTAB_BAD)
def test_bad_ktab_is_located(tmp_path: Path, old: str, new: str, line: int, expected: str) -> None:
    assert old in KTAB_GOOD
    path = tmp_path / "bad.csv"
    path.write_text(KTAB_GOOD.replace(old, new, 1), encoding="utf-8")
    with pytest.raises(ScenarioError) as info:
        read_ktab_csv(path)
    message = str(info.value)
    assert f"bad.csv:{line}: " in message and expected in message, message


def test_empty_ktab_file(tmp_path: Path) -> None:
    path = tmp_path / "empty.csv"
    path.write_text("\n , ,\n", encoding="utf-8")
    with pytest.raises(ScenarioError, match=r"empty\.csv:1: the file is empty"):
        read_ktab_csv(path)


def test_many_ktab_problems_are_reported_together() -> None:
    bad = KTAB_GOOD.replace("20.5, 60,", "20.5, 160,").replace("10, 50, 90,", "10, 50, abc,")
    with pytest.raises(ScenarioError) as info:
        parse_ktab_csv(bad, "two.csv")
    assert [p.line for p in info.value.problems] == [4, 5]


DECIDE_BAD = [
    ("'#P'\t'p2'", "'#Q'\t'p2'", 7, "record.tag: unknown tag '#Q'"),
    ("'a3'\t'p1'\t10\t0.25\t0.5", "'a3'\t'p1'\t10", 10, "#D needs 5 fields after the tag"),
    ("\t2.5\t", "\tabc\t", 8, "#D.position: 'abc' is not a number"),
    ("\t2.5\t", "\tnan\t", 8, "#D.position: 'nan' is not allowed"),
    ("\t7.0\t", "\t12\t", 9, "position 12 of 'a 2' on 'p1' is outside the issue's scale 0–10"),
    ("\t0.9\t", "\t90\t", 11, "#D.salience: salience 90 of 'a1' on 'p2' is above 1"),
    ("\t0.25\t0.5", "\t0.25\t-0.5", 10, "#D.power: power -0.5 of 'a3' on 'p1' is outside 0–100"),
    ("'#D'\t'a3'", "'#D'\t'a4'", 10, "#D.actor id: unknown actor 'a4'"),
    ("'a1'\t'p2'", "'a1'\t'p3'", 11, "#D.issue name: unknown issue 'p3'"),
    ("0.1\t0.2\n", "0.1\t0.2\n'#D'\t'a1'\t'p1'\t2.5\t0.5\t0.3\n", 13,
     "actor 'a1' has a second #D row for issue 'p1' (first on line 8)"),
    ("\t0.9\t0.3", "\t0.9\t0.4", 11, "actor 'a1' has power 0.4 on 'p2' but 0.3 on 'p1' (line 8)"),
    ("'Actor one'", "'Actor one", 1, "record: the quoted field starting at column"),
    ("\t0\t'none'", "\t20\t'none'", 6, "#M values of issue 'p1' must be in ascending order"),
    ("'#M'\t'p1'\t10\t'all'\n", "", 5, "issue 'p1' has a single #M row"),
    ("'#M'\t'p1'\t10", "'#M'\t'px'\t10", 6, "#M.issue name: unknown issue 'px'"),
    ("'#A'\t'a3'", "'#A'\t'a1'", 3, "actor 'a1' is declared twice (first on line 1)"),
    ("'#D'\t'a3'\t'p1'\t10\t0.25\t0.5\n", "", 3, "actor 'a3' has no #D rows"),
    ("\t0.9\t0.3\n'#D'\t'a 2'\t'p2'\t80.0\t0.1", "\t0\t0.3\n'#D'\t'a 2'\t'p2'\t80.0\t0", 7,
     "issues[1]: no actor has both capability and salience above 0 on issue 'p2'"),
]


@pytest.mark.parametrize(("old", "new", "line", "expected"), DECIDE_BAD)
def test_bad_decide_is_located(tmp_path: Path, old: str, new: str, line: int, expected: str) -> None:
    assert old in DECIDE_GOOD
    path = tmp_path / "bad.txt"
    path.write_text(DECIDE_GOOD.replace(old, new, 1), encoding="utf-8")
    with pytest.raises(ScenarioError) as info:
        read_decide(path)
    message = str(info.value)
    assert f"bad.txt:{line}: " in message and expected in message, message


@pytest.mark.parametrize("text", ["", "\n\n  \n", "'#/'\tjust a comment\n"])
def test_empty_decide_file(tmp_path: Path, text: str) -> None:
    path = tmp_path / "empty.txt"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ScenarioError, match=r"empty\.txt:1: the file has no records"):
        read_decide(path)


# --- fuzzing: mutated files give a scenario or an accord error, nothing else -----------------------

_CHARS = [*list(",\"' \n\t\r0123456789.-+eE#;xnaif"), "nan", "inf", "'#D'", "\u2028", "\x00", "é"]


def _mutate(data: st.DataObject, text: str) -> str:
    for _ in range(data.draw(st.integers(1, 5))):
        i = data.draw(st.integers(0, len(text)))
        kind = data.draw(st.sampled_from(["delete", "insert", "replace"]))
        char = data.draw(st.one_of(st.sampled_from(_CHARS), st.characters()))
        if kind == "delete":
            text = text[:i] + text[i + 1 :]
        elif kind == "insert":
            text = text[:i] + char + text[i:]
        else:
            text = text[:i] + char + text[i + 1 :]
    return text


def _only_accord_errors(parse: object, text: str, file: str) -> None:
    assert callable(parse)
    try:
        result = parse(text, file)
    except AccordError as exc:
        message = str(exc)
        assert message.startswith(file) or f"  {file}:" in message, message
    else:
        assert isinstance(result, Scenario)


@FUZZ
@given(st.data())
def test_mutated_ktab_csv_gives_a_scenario_or_an_accord_error(data: st.DataObject) -> None:
    _only_accord_errors(parse_ktab_csv, _mutate(data, KTAB_GOOD), "fuzz.csv")


@FUZZ
@given(st.data())
def test_mutated_decide_text_gives_a_scenario_or_an_accord_error(data: st.DataObject) -> None:
    _only_accord_errors(parse_decide, _mutate(data, DECIDE_GOOD), "fuzz.txt")

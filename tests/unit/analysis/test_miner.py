"""The log template miner: masking of variables, merging, determinism, grouping accuracy."""

from __future__ import annotations

import random

import pytest

from benchmarks.loghub_ga import grouping_accuracy
from opsrunbook_dagster.analysis.miner import SignatureMiner, mine, shape_of

USERS = ("root", "admin", "oracle", "guest", "support", "test9")
SSH = [f"Failed password for {u} from 10.0.{i}.{i * 7} port {40000 + i} ssh2" for i, u in enumerate(USERS)]
VM = [
    f"[instance: 127e769a-4fe6-4548-93b1-513ac51e04{i:02d}] VM {state} (Lifecycle Event)"
    for i, state in enumerate(["Started", "Paused", "Resumed", "Stopped"] * 3)
]
LINES = [
    *SSH,
    *VM,
    "PopulateComponentFamiliesKey - Begin",
    "PopulateComponentFamiliesKey - End",
    "cupsd startup succeeded",
    "hcid startup succeeded",
    "session opened for user news by (uid=0)",
    "session opened for user cyrus by (uid=0)",
    "proxy.example.com:5070 close, 0 bytes sent, 0 bytes received, lifetime 00:01",
    "proxy.example.com:5070 close, 1190 bytes (1.16 KB) sent, 1671 bytes (1.63 KB) received, lifetime <1 sec",
]


@pytest.mark.parametrize(
    ("line", "shape"),
    [
        (
            "Deleting block blk_-1608999687919862906 file /mnt/hadoop/dfs/data/current/subdir1/blk_1",
            ("Deleting", "block", "<*>", "file", "<*>"),
        ),
        (
            "Accepted connection from 192.168.0.17:5432 and fe80::1ff:fe23:4567:890a",
            ("Accepted", "connection", "from", "<*>", "and", "<*>"),
        ),
        ("request 3f1c0a2e-1b2c-4d5e-8f90-123456789abc took 5 ms", ("request", "<*>", "took", "<*>")),
        (
            "denied arn:aws:iam::123456789012:role/app-role at 2026-11-26T10:00:00.000Z",
            ("denied", "<*>", "at", "<*>"),
        ),
        ("mask=ffffffff flags=0x1f", ("mask", "=", "<*>", "flags", "=", "<*>")),
        ("resolving api.github.com failed", ("resolving", "<*>", "failed")),
        ("GET https://example.org/a/b?x=1 returned 503", ("GET", "<*>", "returned", "<*>")),
        (
            "connection from 1.2.3.4 () at Sun Jul  3 10:05:25 2005",
            ("connection", "from", "<*>", "at", "<*>"),
        ),
        ("illegal instruction......0", ("illegal", "instruction", "<*>")),
        ("", ()),
    ],
)
def test_variables_are_masked(line: str, shape: tuple[str, ...]) -> None:
    assert shape_of(line) == shape


def test_values_with_many_spellings_merge_into_one_template() -> None:
    found = mine(SSH)
    assert len({t.id for t in found}) == 1
    assert found[0].text == "Failed password for <*> from <*> port <*>"
    assert found[0].count == len(SSH)


def test_optional_variables_and_units_give_one_template() -> None:
    found = mine(LINES[-2:])
    assert found[0].id == found[1].id


def test_few_valued_and_enumerated_columns_stay_separate() -> None:
    found = {line: t for line, t in zip(LINES, mine(LINES), strict=True)}
    assert len({found[line].id for line in VM}) == 4  # Started/Paused/Resumed/Stopped are states
    assert found[VM[0]].text == "[instance: <*>] VM Started (Lifecycle Event)"
    assert found["PopulateComponentFamiliesKey - Begin"] != found["PopulateComponentFamiliesKey - End"]
    assert found["cupsd startup succeeded"] != found["hcid startup succeeded"]  # first words are kept
    assert (
        found["session opened for user news by (uid=0)"] != found["session opened for user cyrus by (uid=0)"]
    )


def test_unrelated_lines_of_equal_length_do_not_collapse() -> None:
    lines = ["alpha beta gamma", "delta epsilon zeta", "eta theta iota", "kappa lambda mu", "nu xi omicron"]
    assert len({t.id for t in mine(lines)}) == len(lines)


def test_mining_is_deterministic_and_independent_of_order() -> None:
    first = [(t.id, t.text) for t in mine(LINES)]
    assert [(t.id, t.text) for t in mine(list(LINES))] == first
    order = list(range(len(LINES)))
    random.Random(3).shuffle(order)
    shuffled = mine([LINES[i] for i in order])
    expected = {line: t.id for line, t in zip(LINES, mine(LINES), strict=True)}
    assert {LINES[i]: shuffled[k].id for k, i in enumerate(order)} == expected


def test_incremental_miner_generalises_and_lists_templates() -> None:
    miner = SignatureMiner()
    assert miner.add(SSH[0]) == "Failed password for root from <*> port <*>"
    for line in SSH[1:]:
        miner.add(line)
    template = miner.template(SSH[0])
    assert template is not None and template.text == "Failed password for <*> from <*> port <*>"
    assert miner.template("never seen before") is None
    for line in VM:
        miner.add(line)
    listed = miner.templates()
    assert [t.count for t in listed] == [6, 3, 3, 3, 3]
    assert listed[0] == template


def test_recording_lines_gives_the_templates_adding_them_does() -> None:
    added, recorded = SignatureMiner(), SignatureMiner()
    for line in SSH + VM:
        added.add(line)
        recorded.record(line)
    assert [recorded.template(line) for line in SSH + VM] == [added.template(line) for line in SSH + VM]
    assert recorded.templates() == added.templates()


def test_grouping_accuracy_on_a_handful_of_lines() -> None:
    lines = [*SSH[:4], *VM[:4], "PopulateComponentFamiliesKey - Begin", "PopulateComponentFamiliesKey - End"]
    truth = ["ssh"] * 4 + ["vm-started", "vm-paused", "vm-resumed", "vm-stopped", "begin", "end"]
    assert grouping_accuracy([t.id for t in mine(lines)], truth) == 1.0
    # three users are too few to call the column a variable: the four lines split, costing all four
    assert grouping_accuracy([t.id for t in mine(lines[:3] + lines[4:])], truth[:3] + truth[4:]) == 6 / 9
    # one wrong merge costs both groups involved
    merged = ["a"] * 4 + ["b", "b", "c", "d", "e", "f"]
    assert grouping_accuracy(merged, truth) == 8 / 10

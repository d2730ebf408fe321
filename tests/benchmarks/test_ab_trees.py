"""The side-by-side A/B runs its two trees each round and prints a ratio per case (what it
prints, not how fast)."""

import os
from pathlib import Path

import pytest

from ab_trees import main

SRC = str(Path(__file__).resolve().parents[2] / "src")
TWO_CORES = hasattr(os, "sched_getaffinity") and len(os.sched_getaffinity(0)) >= 2


@pytest.mark.skipif(not TWO_CORES, reason="ab_trees.py pins its two processes to two cores")
def test_two_trees_print_every_round_and_a_ratio_per_case(capsys):
    main(
        ["--trees", f"a={SRC},b={SRC}", "--size", "8", "--rounds", "2", "--repeat", "1",
         "--seeds", "1679700", "--inits", "shared,independent"]
    )  # fmt: skip
    lines = capsys.readouterr().out.splitlines()
    assert [line.split(":")[0] for line in lines[:2]] == ["round 1", "round 2"]
    assert lines[3].split() == ["case", "a", "b", "B/A"]
    rows = [line.split() for line in lines[4:]]
    assert [row[:4] for row in rows] == [
        ["1679700", init, "float32", "8²"] for init in ("shared", "independent")
    ]
    for row in rows:
        a, b, ratio = float(row[4].rstrip("s")), float(row[5].rstrip("s")), float(row[6])
        assert a > 0 and b > 0 and ratio > 0


def test_it_wants_exactly_two_trees():
    with pytest.raises(SystemExit, match="exactly two checkouts"):
        main(["--trees", f"a={SRC}"])


def test_a_tree_without_attndyn_is_refused(tmp_path):
    # A missing src would silently time the installed attndyn under the tree's name.
    with pytest.raises(SystemExit, match="holds no attndyn package"):
        main(["--trees", f"a={SRC},b={tmp_path}"])

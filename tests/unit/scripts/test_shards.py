"""scripts/shards.py: the split of the integration tests into shards that run at once."""

import importlib.util
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]
spec = importlib.util.spec_from_file_location("shards_under_test", ROOT / "scripts" / "shards.py")
shards = importlib.util.module_from_spec(spec)
spec.loader.exec_module(shards)

WEIGHTS = {"a.py": 330, "b.py": 300, "c.py": 285, "d.py": 210, "e.py": 170, "f.py": 75}


def test_every_file_runs_in_exactly_one_shard_in_its_given_order():
    files = ["f.py", "a.py", "x.py", "c.py", "b.py", "e.py", "d.py", "y.py"]
    split = shards.assign(files, WEIGHTS, 2)
    assert sorted(sum(split, [])) == sorted(files)
    for shard in split:
        assert shard == [f for f in files if f in shard]


def test_the_longest_files_are_spread_so_the_shards_end_together():
    split = shards.assign(list(WEIGHTS), WEIGHTS, 2)
    loads = [sum(WEIGHTS[f] for f in shard) for shard in split]
    # The two longest never share a shard; the loads differ by less than the shortest file.
    assert not {"a.py", "b.py"} <= set(split[0]) and not {"a.py", "b.py"} <= set(split[1])
    assert abs(loads[0] - loads[1]) < min(WEIGHTS.values()), loads


def test_the_split_does_not_depend_on_the_order_files_are_listed_in():
    files = list(WEIGHTS) + ["new.py"]
    one = [set(s) for s in shards.assign(files, WEIGHTS, 2)]
    other = [set(s) for s in shards.assign(list(reversed(files)), WEIGHTS, 2)]
    assert one == other


def test_one_shard_holds_everything():
    assert shards.assign(["b.py", "a.py"], WEIGHTS, 1) == [["b.py", "a.py"]]


@pytest.mark.parametrize("spec", ["0/2", "3/2", "1", "a/b", "1/0", ""])
def test_a_malformed_shard_is_refused(spec):
    with pytest.raises(ValueError, match="a shard is k/n"):
        shards.parse(spec)


def test_a_shard_is_parsed():
    assert shards.parse("2/2") == (2, 2)

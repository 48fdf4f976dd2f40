"""Split test files into shards that take about the same time (make integration runs two at once).

Longest processing time first: each file, longest first, goes to the shard with the least work so far.
A file's weight is its seconds in a serial run on 2 cores (tests/integration/conftest.py WEIGHTS); a file
without one counts DEFAULT_WEIGHT. Deterministic: every process computes the same split.
Python standard library only.
"""

from __future__ import annotations

DEFAULT_WEIGHT = 30.0


def assign(files: list[str], weights: dict[str, float], count: int) -> list[list[str]]:
    """The files of each of `count` shards, each shard in the files' given order."""
    if count < 1:
        raise ValueError(f"a shard count must be at least 1, not {count}")
    load = [0.0] * count
    shard_of = {}
    for name in sorted(set(files), key=lambda f: (-weights.get(f, DEFAULT_WEIGHT), f)):
        lightest = min(range(count), key=lambda i: (load[i], i))
        shard_of[name] = lightest
        load[lightest] += weights.get(name, DEFAULT_WEIGHT)
    return [[f for f in files if shard_of[f] == i] for i in range(count)]


def parse(spec: str) -> tuple[int, int]:
    """'k/n' (1 <= k <= n) -> (k, n)."""
    try:
        index, count = (int(part) for part in spec.split("/"))
    except ValueError:
        raise ValueError(f"a shard is k/n, e.g. 1/2, not {spec!r}") from None
    if not 1 <= index <= count:
        raise ValueError(f"a shard is k/n with 1 <= k <= n, not {spec!r}")
    return index, count

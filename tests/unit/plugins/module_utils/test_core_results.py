"""results.py: the diff, snake case that keeps tags, exit_result."""

import pytest
from core_fakes import Exited, FakeModule

from ansible_collections.finproc.dr.plugins.module_utils import results


def test_diff():
    assert results.diff({"a": 1}, None) == {"before": {"a": 1}, "after": None}


def test_changes_shows_only_what_differs():
    before = {"rotation": False, "tags": {"a": "1"}, "description": "d"}
    after = {"rotation": True, "tags": {"a": "1"}, "description": "d"}
    assert results.changes(before, after) == {"before": {"rotation": False}, "after": {"rotation": True}}
    assert results.changes(before, dict(before)) == {"before": {}, "after": {}}
    # created, deleted: the whole resource on its side
    assert results.changes({}, after) == {"before": {}, "after": after}
    assert results.changes(before, None) == {"before": before, "after": {}}
    # a key on one side only
    assert results.changes({"a": None}, {}) == {"before": {"a": None}, "after": {}}


def test_snake_keeps_the_tags_and_the_listed_keys_as_they_are():
    resource = {"TopicArn": "arn", "Tags": {"CostCentre": "x"}, "Policy": {"Version": "2012-10-17"}}
    assert results.snake(resource) == {
        "topic_arn": "arn",
        "tags": {"CostCentre": "x"},
        "policy": {"version": "2012-10-17"},
    }
    assert results.snake(resource, keep=("Tags", "Policy"))["policy"] == {"Version": "2012-10-17"}
    assert results.snake(None) == {}


def test_exit_result_with_and_without_a_diff():
    with pytest.raises(Exited) as exited:
        results.exit_result(FakeModule(), True, {}, {"a": 1}, topic_arn="arn")
    assert exited.value.kwargs == {"changed": True, "diff": {"before": {}, "after": {"a": 1}}, "topic_arn": "arn"}
    with pytest.raises(Exited) as exited:
        results.exit_result(FakeModule(), False, thing={})
    assert exited.value.kwargs == {"changed": False, "thing": {}}

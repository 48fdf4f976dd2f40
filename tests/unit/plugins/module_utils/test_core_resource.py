"""resource.py: the present/absent skeleton, in check mode and not, through a resource kept in a dict."""

import re

import pytest
from core_fakes import Exited, Failed, FakeModule, client_error

from ansible_collections.finproc.dr.plugins.module_utils import resource
from ansible_collections.finproc.dr.plugins.module_utils.resource import (
    AWSResource,
    resource_argument_spec,
    resource_list_argument_spec,
    run,
    run_module,
)


class Thing(AWSResource):
    """A resource {"size": n} held in `store` (shared by the test)."""

    kind = "thing"
    store = {}
    log = []

    def read(self):
        self.log.append("read")
        return dict(self.store["thing"]) if "thing" in self.store else None

    def settings(self, state):
        return {"size": state["size"]}

    def desired(self):
        return {"size": self.params["size"]}

    def create(self):
        self.log.append("create")
        self.store["thing"] = {"size": self.params["size"]}

    def plan(self, state):
        resize = [self.params["size"]] if state["size"] != self.params["size"] else []
        return {"resize": resize}, {"size": self.params["size"]}

    def apply(self, state, writes):
        self.log.append("apply")
        self.store["thing"] = {"size": writes["resize"][0]}

    def delete(self, state):
        self.log.append("delete")
        del self.store["thing"]

    def result(self, changed, state, before, after):
        return dict(changed=changed, thing=state or {}, diff={"before": before, "after": after})


@pytest.fixture(autouse=True)
def fresh():
    Thing.store.clear()
    del Thing.log[:]


def exit_of(params, check_mode=False):
    with pytest.raises(Exited) as exited:
        run(FakeModule(params, check_mode=check_mode), Thing)
    return exited.value.kwargs


def test_present_creates_and_reads_again():
    result = exit_of({"name": "t", "size": 2})
    assert result == {"changed": True, "thing": {"size": 2}, "diff": {"before": {}, "after": {"size": 2}}}
    assert Thing.log == ["read", "create", "read"]


def test_without_a_region_run_fails_before_any_read():
    for module_class, message in ((Thing, "region is required"), (Homed, "region (the home) is required")):
        with pytest.raises(Failed) as failed:
            run(FakeModule({"name": "t", "size": 2}, region=None), module_class)
        assert failed.value.kwargs["msg"] == message
    assert Thing.log == []


class Homed(Thing):
    missing_region = "region (the home) is required"


class Named(Thing):
    name_pattern = re.compile(r"^[a-z]{1,3}$")
    name_rule = "1 to 3 small letters"


def test_a_name_against_the_rule_fails_before_any_read_naming_the_rule():
    with pytest.raises(Failed) as failed:
        run(FakeModule({"name": "four", "size": 2}), Named)
    assert failed.value.kwargs["msg"] == "four is not a valid thing name: 1 to 3 small letters"
    assert Thing.log == []
    with pytest.raises(Exited):
        run(FakeModule({"name": "abc", "size": 2}), Named)
    assert Thing.log == ["read", "create", "read"]


def test_present_in_check_mode_shows_the_desired_resource_and_creates_nothing():
    result = exit_of({"name": "t", "size": 2}, check_mode=True)
    assert result == {"changed": True, "thing": {}, "diff": {"before": {}, "after": {"size": 2}}}
    assert Thing.log == ["read"] and Thing.store == {}


def test_present_updates_what_differs():
    Thing.store["thing"] = {"size": 1}
    result = exit_of({"name": "t", "size": 3})
    assert result == {"changed": True, "thing": {"size": 3}, "diff": {"before": {"size": 1}, "after": {"size": 3}}}
    assert Thing.log == ["read", "apply", "read"]


def test_present_in_check_mode_reports_the_update_and_writes_nothing():
    Thing.store["thing"] = {"size": 1}
    result = exit_of({"name": "t", "size": 3}, check_mode=True)
    assert result == {"changed": True, "thing": {"size": 1}, "diff": {"before": {"size": 1}, "after": {"size": 3}}}
    assert Thing.log == ["read"] and Thing.store == {"thing": {"size": 1}}


def test_present_with_nothing_to_do_is_unchanged():
    Thing.store["thing"] = {"size": 3}
    result = exit_of({"name": "t", "size": 3})
    assert result["changed"] is False and Thing.log == ["read"]


def test_absent_deletes():
    Thing.store["thing"] = {"size": 3}
    result = exit_of({"name": "t", "state": "absent"})
    assert result == {"changed": True, "thing": {}, "diff": {"before": {"size": 3}, "after": {}}}
    assert Thing.log == ["read", "delete"] and Thing.store == {}


def test_absent_in_check_mode_reports_and_deletes_nothing():
    Thing.store["thing"] = {"size": 3}
    result = exit_of({"name": "t", "state": "absent"}, check_mode=True)
    assert result == {"changed": True, "thing": {"size": 3}, "diff": {"before": {"size": 3}, "after": {}}}
    assert Thing.store == {"thing": {"size": 3}}


def test_absent_of_nothing_is_unchanged():
    result = exit_of({"name": "t", "state": "absent"})
    assert result == {"changed": False, "thing": {}, "diff": {"before": {}, "after": {}}}


def test_call_and_fail_aws_name_the_kind_and_identity():
    thing = Thing(FakeModule({"name": "t1"}, region="eu-west-1"))

    def refused(**params):
        raise client_error("AccessDenied")

    with pytest.raises(Failed) as failed:
        thing.call(refused, "PutThing", Size=1)
    assert failed.value.kwargs["msg"].startswith("PutThing failed for thing t1 in eu-west-1: ")
    assert thing.call(refused, "PutThing", ignore=("AccessDenied",)) is None
    assert thing.call(lambda **params: params, "GetThing", Size=1) == {"aws_retry": True, "Size": 1}


def test_the_default_result_has_the_diff():
    thing = AWSResource(FakeModule({"name": "x"}))
    assert thing.result(True, None, {}, {"a": 1}) == {"changed": True, "diff": {"before": {}, "after": {"a": 1}}}
    assert thing.identity() == "x"


def test_name_and_arn_are_set_for_every_resource():
    thing = AWSResource(FakeModule({"name": "x"}))
    assert (thing.name, thing.arn) == ("x", None)
    nameless = AWSResource(FakeModule({"bucket": "b"}))
    assert (nameless.name, nameless.identity()) == (None, None)


def test_resource_argument_spec_adds_state_and_the_amazon_aws_tag_options():
    spec = resource_argument_spec(name=dict(type="str", required=True), wait=dict(type="bool", default=False))
    assert spec == {
        "name": {"type": "str", "required": True},
        "wait": {"type": "bool", "default": False},
        "state": {"type": "str", "default": "present", "choices": ["present", "absent"]},
        # as the amazon.aws.tags doc fragment documents them
        "tags": {"type": "dict", "aliases": ["resource_tags"]},
        "purge_tags": {"type": "bool", "default": True},
    }
    assert resource_argument_spec(tags=False, bucket=dict(type="str")) == {
        "bucket": {"type": "str"},
        "state": {"type": "str", "default": "present", "choices": ["present", "absent"]},
    }


class AnsweringThing(Thing):
    """create and apply return the thing as the write answered it: it is not read again."""

    def create(self):
        Thing.create(self)
        return {"size": self.params["size"], "answered": True}

    def apply(self, state, writes):
        Thing.apply(self, state, writes)
        return {"size": writes["resize"][0], "answered": True}


def test_a_state_returned_by_create_or_apply_is_not_read_again():
    with pytest.raises(Exited) as exited:
        run(FakeModule({"name": "t", "size": 2}), AnsweringThing)
    assert exited.value.kwargs["thing"] == {"size": 2, "answered": True}
    assert Thing.log == ["read", "create"]
    del Thing.log[:]
    with pytest.raises(Exited) as exited:
        run(FakeModule({"name": "t", "size": 5}), AnsweringThing)
    assert exited.value.kwargs["thing"] == {"size": 5, "answered": True}
    assert exited.value.kwargs["diff"] == {"before": {"size": 2}, "after": {"size": 5}}
    assert Thing.log == ["read", "apply"]


def test_resource_list_argument_spec_gives_each_element_its_tags_and_the_module_its_wait_options():
    spec = resource_list_argument_spec(
        "vpc_id", "gateways", dict(subnet_id=dict(type="str", required=True)), False, 600
    )
    assert spec == {
        "vpc_id": {"type": "str", "required": True},
        "gateways": {
            "type": "list",
            "elements": "dict",
            "required": True,
            "options": {"subnet_id": {"type": "str", "required": True}, "tags": {"type": "dict", "default": {}}},
        },
        "purge_tags": {"type": "bool", "default": True},
        "wait": {"type": "bool", "default": False},
        "wait_timeout": {"type": "int", "default": 600},
    }


def test_run_module_builds_the_module_validates_then_runs(monkeypatch):
    made, order = {}, []

    def module_of(**options):
        made.update(options)
        return FakeModule({"name": "t", "size": 3})

    def validate(module):
        order.append("validate")
        assert Thing.log == []  # before any read

    monkeypatch.setattr(resource, "AnsibleAWSModule", module_of)
    with pytest.raises(Exited) as exited:
        run_module({"size": {"type": "int"}}, Thing, validate, required_if=[("state", "present", ["size"])])
    assert made == {
        "argument_spec": {"size": {"type": "int"}},
        "supports_check_mode": True,
        "required_if": [("state", "present", ["size"])],
    }
    assert order == ["validate"] and Thing.log == ["read", "create", "read"]
    assert exited.value.kwargs["thing"] == {"size": 3}

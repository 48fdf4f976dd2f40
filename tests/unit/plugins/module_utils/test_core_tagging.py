"""tagging.py: the planner, every API's tagger and reader (against the botocore models), apply/read."""

import pytest
from ansible_collections.amazon.aws.plugins.module_utils.retries import AWSRetry
from ansible_collections.amazon.aws.plugins.module_utils.retries import RetryingBotoClientWrapper
from core_fakes import Failed, FakeModule, stubbed

from ansible_collections.finproc.dr.plugins.module_utils import tagging

ARN = {
    "sns": "arn:aws:sns:us-east-2:123456789012:alerts",
    "lambda": "arn:aws:lambda:us-east-2:123456789012:function:monitor",
    "cloudwatch": "arn:aws:cloudwatch:us-east-2:123456789012:alarm:a",
    "elbv2": "arn:aws:elasticloadbalancing:us-east-2:123456789012:targetgroup/tg/0123456789abcdef",
    "acm": "arn:aws:acm:us-east-2:123456789012:certificate/12345678-1234-1234-1234-123456789012",
    "dynamodb": "arn:aws:dynamodb:us-east-2:123456789012:table/t",
    "logs": "arn:aws:logs:us-east-2:123456789012:log-group:/finproc/flow",
    "events": "arn:aws:events:us-east-2:123456789012:rule/r",
    "route53": "healthcheck/abcdef01-2345-6789-abcd-ef0123456789",
    "ec2": "subnet-0123456789abcdef0",
    "kms": "arn:aws:kms:us-east-2:123456789012:key/11111111-1111-4111-8111-111111111111",
    "iam": "finproc-dev-monitor-us-east-2",  # a role is named by its name
}
BOTO_SERVICE = {"lambda": "lambda"}
TO_SET = {"b": "2", "a": "1"}
TO_UNSET = ["z", "y"]
KV = [{"Key": "a", "Value": "1"}, {"Key": "b", "Value": "2"}]
HC_ID = "abcdef01-2345-6789-abcd-ef0123456789"

# (untag request, tag request) each API must send, in this order, keys sorted.
WRITES = {
    "sns": [
        ("untag_resource", {"ResourceArn": ARN["sns"], "TagKeys": ["y", "z"]}),
        ("tag_resource", {"ResourceArn": ARN["sns"], "Tags": KV}),
    ],
    "lambda": [
        ("untag_resource", {"Resource": ARN["lambda"], "TagKeys": ["y", "z"]}),
        ("tag_resource", {"Resource": ARN["lambda"], "Tags": {"a": "1", "b": "2"}}),
    ],
    "cloudwatch": [
        ("untag_resource", {"ResourceARN": ARN["cloudwatch"], "TagKeys": ["y", "z"]}),
        ("tag_resource", {"ResourceARN": ARN["cloudwatch"], "Tags": KV}),
    ],
    "elbv2": [
        ("remove_tags", {"ResourceArns": [ARN["elbv2"]], "TagKeys": ["y", "z"]}),
        ("add_tags", {"ResourceArns": [ARN["elbv2"]], "Tags": KV}),
    ],
    "acm": [
        ("remove_tags_from_certificate", {"CertificateArn": ARN["acm"], "Tags": [{"Key": "y"}, {"Key": "z"}]}),
        ("add_tags_to_certificate", {"CertificateArn": ARN["acm"], "Tags": KV}),
    ],
    "dynamodb": [
        ("untag_resource", {"ResourceArn": ARN["dynamodb"], "TagKeys": ["y", "z"]}),
        ("tag_resource", {"ResourceArn": ARN["dynamodb"], "Tags": KV}),
    ],
    "logs": [
        ("untag_resource", {"resourceArn": ARN["logs"], "tagKeys": ["y", "z"]}),
        ("tag_resource", {"resourceArn": ARN["logs"], "tags": {"a": "1", "b": "2"}}),
    ],
    "events": [
        ("untag_resource", {"ResourceARN": ARN["events"], "TagKeys": ["y", "z"]}),
        ("tag_resource", {"ResourceARN": ARN["events"], "Tags": KV}),
    ],
    "route53": [
        ("change_tags_for_resource", {"ResourceType": "healthcheck", "ResourceId": HC_ID, "RemoveTagKeys": ["y", "z"]}),
        ("change_tags_for_resource", {"ResourceType": "healthcheck", "ResourceId": HC_ID, "AddTags": KV}),
    ],
    "ec2": [
        ("delete_tags", {"Resources": [ARN["ec2"]], "Tags": [{"Key": "y"}, {"Key": "z"}]}),
        ("create_tags", {"Resources": [ARN["ec2"]], "Tags": KV}),
    ],
    "kms": [
        ("untag_resource", {"KeyId": ARN["kms"], "TagKeys": ["y", "z"]}),
        (
            "tag_resource",
            {"KeyId": ARN["kms"], "Tags": [{"TagKey": "a", "TagValue": "1"}, {"TagKey": "b", "TagValue": "2"}]},
        ),
    ],
    "iam": [
        ("untag_role", {"RoleName": ARN["iam"], "TagKeys": ["y", "z"]}),
        ("tag_role", {"RoleName": ARN["iam"], "Tags": KV}),
    ],
}

# (read request, its reply) per API, the reply holding the tags {"a": "1", "b": "2"}.
READS = {
    "sns": ("list_tags_for_resource", {"ResourceArn": ARN["sns"]}, {"Tags": KV}),
    "lambda": ("list_tags", {"Resource": ARN["lambda"]}, {"Tags": {"a": "1", "b": "2"}}),
    "cloudwatch": ("list_tags_for_resource", {"ResourceARN": ARN["cloudwatch"]}, {"Tags": KV}),
    "elbv2": (
        "describe_tags",
        {"ResourceArns": [ARN["elbv2"]]},
        {"TagDescriptions": [{"ResourceArn": ARN["elbv2"], "Tags": KV}]},
    ),
    "acm": ("list_tags_for_certificate", {"CertificateArn": ARN["acm"]}, {"Tags": KV}),
    "dynamodb": ("list_tags_of_resource", {"ResourceArn": ARN["dynamodb"]}, {"Tags": KV}),
    "logs": ("list_tags_for_resource", {"resourceArn": ARN["logs"]}, {"tags": {"a": "1", "b": "2"}}),
    "events": ("list_tags_for_resource", {"ResourceARN": ARN["events"]}, {"Tags": KV}),
    "route53": (
        "list_tags_for_resource",
        {"ResourceType": "healthcheck", "ResourceId": HC_ID},
        {"ResourceTagSet": {"ResourceType": "healthcheck", "ResourceId": HC_ID, "Tags": KV}},
    ),
    "ec2": (
        "describe_tags",
        {"Filters": [{"Name": "resource-id", "Values": [ARN["ec2"]]}]},
        {"Tags": [dict(tag, ResourceId=ARN["ec2"], ResourceType="subnet") for tag in KV]},
    ),
    "kms": (
        "list_resource_tags",
        {"KeyId": ARN["kms"]},
        {"Tags": [{"TagKey": "a", "TagValue": "1"}, {"TagKey": "b", "TagValue": "2"}], "Truncated": False},
    ),
    "iam": (
        "get_role",
        {"RoleName": ARN["iam"]},
        {
            "Role": {
                "Path": "/",
                "RoleName": ARN["iam"],
                "RoleId": "AROAEXAMPLEEXAMPLE123",
                "Arn": "arn:aws:iam::123456789012:role/" + ARN["iam"],
                "CreateDate": "2026-01-01T00:00:00Z",
                "Tags": KV,
            }
        },
    ),
}


@pytest.fixture(autouse=True)
def no_backoff(monkeypatch):
    monkeypatch.setattr("time.sleep", lambda seconds: None)


def retrying(raw):
    return RetryingBotoClientWrapper(raw, AWSRetry.jittered_backoff(retries=2))


def test_the_registries_cover_the_same_apis():
    assert set(tagging.TAGGERS) == set(tagging.TAG_READERS) == set(WRITES)


def test_an_acm_tag_without_a_value_is_read_with_an_empty_one():
    raw, stub = stubbed("acm")
    with stub:
        stub.add_response(
            "list_tags_for_certificate",
            {"Tags": [{"Key": "Bare"}, {"Key": "a", "Value": "1"}]},
            {"CertificateArn": ARN["acm"]},
        )
        assert tagging.TAG_READERS["acm"](retrying(raw), ARN["acm"]) == {"Bare": "", "a": "1"}


def test_plan_tags_without_wanted_tags_changes_nothing():
    plan = tagging.plan_tags({"a": "1"}, None)
    assert not plan.changed and plan.to_set == {} and plan.to_unset == [] and plan.after == {"a": "1"}


def test_plan_tags_sets_unsets_and_keeps_aws_tags():
    plan = tagging.plan_tags({"a": "1", "old": "x", "aws:cloudformation:stack": "s"}, {"a": "1", "n": 5, "b": True})
    assert plan.changed
    assert plan.to_set == {"n": "5", "b": "True"}
    assert plan.to_unset == ["old"]
    assert plan.before == {"a": "1", "old": "x", "aws:cloudformation:stack": "s"}
    assert plan.after == {"a": "1", "n": "5", "b": "True", "aws:cloudformation:stack": "s"}


def test_plan_tags_without_purge_only_adds_and_updates():
    plan = tagging.plan_tags({"a": "1", "old": "x"}, {"a": "2"}, purge=False)
    assert plan.to_set == {"a": "2"} and plan.to_unset == []
    assert plan.after == {"a": "2", "old": "x"}
    assert not tagging.plan_tags({"a": "1"}, {"a": "1"}).changed
    # an empty dict with purge removes everything but aws: tags
    assert tagging.plan_tags({"a": "1", "aws:x": "y"}, {}).to_unset == ["a"]


@pytest.mark.parametrize("api", sorted(WRITES))
def test_each_tagger_untags_first_then_tags_keys_sorted(api):
    raw, stub = stubbed(BOTO_SERVICE.get(api, api))
    with stub:
        for operation, params in WRITES[api]:
            stub.add_response(operation, {}, params)
        tagging.TAGGERS[api](retrying(raw), ARN[api], TO_SET, TO_UNSET)
        stub.assert_no_pending_responses()


@pytest.mark.parametrize("api", sorted(READS))
def test_each_reader_returns_a_dict(api):
    raw, stub = stubbed(BOTO_SERVICE.get(api, api))
    operation, params, reply = READS[api]
    with stub:
        stub.add_response(operation, reply, params)
        assert tagging.TAG_READERS[api](retrying(raw), ARN[api]) == {"a": "1", "b": "2"}
        stub.assert_no_pending_responses()


def test_route53_sends_at_most_ten_tags_a_request_and_takes_a_type_id_tuple():
    raw, stub = stubbed("route53")
    many = dict(("k%02d" % i, "v") for i in range(12))
    with stub:
        first = [{"Key": "k%02d" % i, "Value": "v"} for i in range(10)]
        rest = [{"Key": "k%02d" % i, "Value": "v"} for i in range(10, 12)]
        for tags in (first, rest):
            stub.add_response(
                "change_tags_for_resource", {}, {"ResourceType": "healthcheck", "ResourceId": HC_ID, "AddTags": tags}
            )
        tagging.TAGGERS["route53"](retrying(raw), ("healthcheck", HC_ID), many, [])
        stub.assert_no_pending_responses()


def test_apply_tags_writes_the_plan_and_returns_the_tags_after():
    raw, stub = stubbed("sns")
    plan = tagging.plan_tags({"y": "1", "z": "1", "a": "0"}, TO_SET)
    with stub:
        for operation, params in WRITES["sns"]:
            stub.add_response(operation, {}, params)
        assert tagging.apply_tags(FakeModule(), retrying(raw), "sns", ARN["sns"], plan) == {"a": "1", "b": "2"}
        stub.assert_no_pending_responses()


def test_apply_tags_makes_no_call_when_nothing_changes_or_in_check_mode():
    raw, stub = stubbed("sns")
    with stub:  # nothing queued: any request fails the test
        unchanged = tagging.plan_tags({"a": "1"}, {"a": "1"})
        assert tagging.apply_tags(FakeModule(), retrying(raw), "sns", ARN["sns"], unchanged) == {"a": "1"}
        changed = tagging.plan_tags({"a": "1"}, {"a": "2"})
        module = FakeModule(check_mode=True)
        assert tagging.apply_tags(module, retrying(raw), "sns", ARN["sns"], changed) == {"a": "2"}


def test_apply_tags_and_read_tags_fail_naming_the_resource():
    raw, stub = stubbed("sns")
    with stub:
        stub.add_client_error("untag_resource", "AuthorizationError")
        plan = tagging.plan_tags({"a": "1"}, {})
        with pytest.raises(Failed) as failed:
            tagging.apply_tags(FakeModule(), retrying(raw), "sns", ARN["sns"], plan, what="SNS topic alerts")
        assert failed.value.kwargs["msg"].startswith("Tagging failed for SNS topic alerts in us-east-2: ")
        stub.add_client_error("list_tags_for_resource", "AuthorizationError")
        with pytest.raises(Failed) as failed:
            tagging.read_tags(FakeModule(), retrying(raw), "sns", ARN["sns"])
        assert failed.value.kwargs["msg"].startswith("Reading tags failed for %s in us-east-2: " % ARN["sns"])


def test_read_tags_reads_through_the_registry():
    raw, stub = stubbed("lambda")
    operation, params, reply = READS["lambda"]
    with stub:
        stub.add_response(operation, reply, params)
        assert tagging.read_tags(FakeModule(), retrying(raw), "lambda", ARN["lambda"]) == {"a": "1", "b": "2"}

"""sns_topic against botocore Stubbers (SNS, and STS for the caller's account).

Every request is checked against the API model and its expected parameters; every reply against
the model. A request nobody queued fails, and the Stubbers must be drained.
"""

import json

import pytest
from ansible.module_utils.common import warnings
from ansible_collections.amazon.aws.plugins.module_utils import modules as aws_modules
from ansible_collections.finproc.dr.plugins.modules import sns_topic
from aws_stub import record_requests, run_module, stubbed_client

NAME = "finproc-dev-dr-alerts"
ACCOUNT = "123456789012"
ARN = f"arn:aws:sns:us-east-2:{ACCOUNT}:{NAME}"
KEY = f"arn:aws:kms:us-east-2:{ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab"
OTHER_KEY = f"arn:aws:kms:us-east-2:{ACCOUNT}:key/abcd1234-ab12-cd34-ef56-abcdef123456"
MAIL = "oncall@example.com"
OTHER_MAIL = "dr-team@example.com"
SUB_ARN = f"{ARN}:11111111-2222-3333-4444-555555555555"
OTHER_SUB_ARN = f"{ARN}:66666666-7777-8888-9999-000000000000"
BY_ARN = {"TopicArn": ARN}
BY_RESOURCE = {"ResourceArn": ARN}
IDENTITY = {"UserId": "AIDAEXAMPLE", "Account": ACCOUNT, "Arn": f"arn:aws:iam::{ACCOUNT}:user/ansible"}
DEFAULT_POLICY = {
    "Version": "2008-10-17",
    "Id": "__default_policy_ID",
    "Statement": [
        {
            "Sid": "__default_statement_ID",
            "Effect": "Allow",
            "Principal": {"AWS": "*"},
            "Action": ["SNS:Publish", "SNS:Subscribe"],
            "Resource": ARN,
            "Condition": {"StringEquals": {"AWS:SourceOwner": ACCOUNT}},
        }
    ],
}
ALARM_POLICY = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Sid": "CloudWatchAlarms",
            "Effect": "Allow",
            "Principal": {"Service": "cloudwatch.amazonaws.com"},
            "Action": "sns:Publish",
            "Resource": ARN,
        }
    ],
}
TAGS = {"Environment": "dev", "Service": "finproc-dr"}
TAG_LIST = [{"Key": "Environment", "Value": "dev"}, {"Key": "Service", "Value": "finproc-dr"}]
ARGS = {
    "name": NAME,
    "kms_master_key_id": KEY,
    "subscriptions": [{"protocol": "email", "endpoint": MAIL}],
    "tags": TAGS,
}


@pytest.fixture
def sts():
    client, stub = stubbed_client("sts")
    with stub:
        yield client, stub
        stub.assert_no_pending_responses()


@pytest.fixture
def sent(sns):
    """The operation and parameters of every SNS request the module makes."""
    return record_requests(sns[0])


def ops(sent):
    return [op for op, _params in sent]


def writes(sent):
    return [op for op, _params in sent if not op.startswith(("Get", "List"))]


def run(sns, sts, monkeypatch, capsys, args=None, caller=True, **kw):
    """Run the module with the SNS and STS stubs; the caller's identity is queued unless caller=False."""
    if caller:
        sts[1].add_response("get_caller_identity", IDENTITY, {})
    clients = {"sns": sns[0], "sts": sts[0]}

    def main():
        # run_module hands out one client; this module needs two.
        monkeypatch.setattr(
            aws_modules, "boto3_conn", lambda module, conn_type=None, resource=None, **k: clients[resource]
        )
        sns_topic.main()

    return run_module(main, ARGS if args is None else args, sns[0], monkeypatch, capsys, **kw)


@pytest.fixture(autouse=True)
def no_sleep(monkeypatch):
    monkeypatch.setattr("time.sleep", lambda seconds: None)


@pytest.fixture(autouse=True)
def own_warnings():
    """Ansible keeps module warnings in a process-wide store: only this test's are reported."""
    warnings._global_warnings.clear()
    yield
    warnings._global_warnings.clear()


def attributes(key=KEY, display_name="", policy=None, confirmed="0", pending="0"):
    attrs = {
        "TopicArn": ARN,
        "Owner": ACCOUNT,
        "DisplayName": display_name,
        "Policy": json.dumps(policy or DEFAULT_POLICY),
        "SubscriptionsConfirmed": confirmed,
        "SubscriptionsPending": pending,
        "SubscriptionsDeleted": "0",
        "EffectiveDeliveryPolicy": json.dumps({"http": {"defaultHealthyRetryPolicy": {"numRetries": 3}}}),
    }
    if key:
        attrs["KmsMasterKeyId"] = key
    return {"Attributes": attrs}


def subscription(endpoint=MAIL, arn=SUB_ARN, protocol="email"):
    return {"SubscriptionArn": arn, "Owner": ACCOUNT, "Protocol": protocol, "Endpoint": endpoint, "TopicArn": ARN}


def found(stub, attrs=None, tags=None, subscriptions=None):
    """GetTopicAttributes, ListTagsForResource and ListSubscriptionsByTopic of the topic."""
    tags = TAG_LIST if tags is None else tags
    stub.add_response("get_topic_attributes", attrs or attributes(), BY_ARN)
    stub.add_response("list_tags_for_resource", {"Tags": tags}, BY_RESOURCE)
    stub.add_response(
        "list_subscriptions_by_topic",
        {"Subscriptions": [subscription()] if subscriptions is None else subscriptions},
        BY_ARN,
    )


def nothing_found(stub):
    stub.add_client_error(
        "get_topic_attributes",
        service_error_code="NotFound",
        service_message="Topic does not exist",
        http_status_code=404,
        expected_params=BY_ARN,
    )


def set_attribute(name, value):
    return {"TopicArn": ARN, "AttributeName": name, "AttributeValue": value}


def settings(key=KEY, display_name="", policy=None, subscriptions=(MAIL,), tags=None):
    return {
        "kms_master_key_id": key,
        "display_name": display_name,
        "policy": policy or DEFAULT_POLICY,
        "subscriptions": [{"protocol": "email", "endpoint": e} for e in sorted(subscriptions)],
        "tags": TAGS if tags is None else tags,
    }


# -- create ----------------------------------------------------------------------------------------
def test_create_with_key_tags_and_an_email_subscription(sns, sts, monkeypatch, capsys, sent):
    client, stub = sns
    nothing_found(stub)
    stub.add_response(
        "create_topic",
        {"TopicArn": ARN},
        {"Name": NAME, "Attributes": {"KmsMasterKeyId": KEY}, "Tags": TAG_LIST},
    )
    stub.add_response(
        "subscribe",
        {"SubscriptionArn": "pending confirmation"},
        {"TopicArn": ARN, "Protocol": "email", "Endpoint": MAIL},
    )
    found(stub, attributes(pending="1"), subscriptions=[subscription(arn="PendingConfirmation")])
    result, code = run(sns, sts, monkeypatch, capsys, diff=True)
    assert code == 0, result
    assert result["changed"] is True
    assert ops(sent) == [
        "GetTopicAttributes",
        "CreateTopic",
        "Subscribe",
        "GetTopicAttributes",
        "ListTagsForResource",
        "ListSubscriptionsByTopic",
    ]
    assert result["topic_arn"] == ARN
    topic = result["topic"]
    assert topic["topic_arn"] == ARN
    assert topic["kms_master_key_id"] == KEY
    assert topic["subscriptions_pending"] == "1"
    assert topic["policy"] == json.dumps(DEFAULT_POLICY)
    assert topic["tags"] == TAGS
    assert topic["subscriptions"] == [
        {"protocol": "email", "endpoint": MAIL, "subscription_arn": "PendingConfirmation"}
    ]
    assert result["diff"] == {"before": {}, "after": settings()}


def test_create_with_display_name_and_policy_sends_them_as_attributes(sns, sts, monkeypatch, capsys, sent):
    client, stub = sns
    nothing_found(stub)
    stub.add_response(
        "create_topic",
        {"TopicArn": ARN},
        {
            "Name": NAME,
            "Attributes": {
                "KmsMasterKeyId": KEY,
                "DisplayName": "finproc DR",
                "Policy": json.dumps(ALARM_POLICY, sort_keys=True),
            },
        },
    )
    found(stub, attributes(display_name="finproc DR", policy=ALARM_POLICY), tags=[], subscriptions=[])
    args = {"name": NAME, "kms_master_key_id": KEY, "display_name": "finproc DR", "policy": ALARM_POLICY}
    result, code = run(sns, sts, monkeypatch, capsys, args=args, diff=True)
    assert code == 0, result
    assert writes(sent) == ["CreateTopic"]
    assert result["diff"]["after"] == settings(
        display_name="finproc DR", policy=ALARM_POLICY, subscriptions=(), tags={}
    )


def test_create_without_settings_sends_only_the_name(sns, sts, monkeypatch, capsys, sent):
    client, stub = sns
    nothing_found(stub)
    stub.add_response("create_topic", {"TopicArn": ARN}, {"Name": NAME})
    found(stub, attributes(key=None), tags=[], subscriptions=[])
    result, code = run(sns, sts, monkeypatch, capsys, args={"name": NAME})
    assert code == 0, result
    assert writes(sent) == ["CreateTopic"]
    assert "kms_master_key_id" not in result["topic"]
    assert result["topic"]["subscriptions"] == []
    assert result["topic"]["tags"] == {}


def test_a_topic_not_visible_right_after_create_is_waited_for(sns, sts, monkeypatch, capsys, sent):
    client, stub = sns
    nothing_found(stub)
    stub.add_response("create_topic", {"TopicArn": ARN}, {"Name": NAME})
    nothing_found(stub)
    found(stub, attributes(key=None), tags=[], subscriptions=[])
    result, code = run(sns, sts, monkeypatch, capsys, args={"name": NAME})
    assert code == 0, result
    assert result["topic"]["topic_arn"] == ARN


# -- update ----------------------------------------------------------------------------------------
def test_identical_only_reads(sns, sts, monkeypatch, capsys, sent):
    client, stub = sns
    found(stub)
    result, code = run(sns, sts, monkeypatch, capsys, diff=True)
    assert code == 0, result
    assert result["changed"] is False
    assert ops(sent) == ["GetTopicAttributes", "ListTagsForResource", "ListSubscriptionsByTopic"]
    assert result["diff"]["before"] == result["diff"]["after"] == settings()
    assert result["topic"]["subscriptions"] == [{"protocol": "email", "endpoint": MAIL, "subscription_arn": SUB_ARN}]
    assert "warnings" not in result, result["warnings"]


def test_options_not_given_are_left_alone(sns, sts, monkeypatch, capsys, sent):
    client, stub = sns
    found(stub, attributes(display_name="old"), subscriptions=[subscription(), subscription(OTHER_MAIL, OTHER_SUB_ARN)])
    result, code = run(sns, sts, monkeypatch, capsys, args={"name": NAME})
    assert code == 0, result
    assert result["changed"] is False
    assert writes(sent) == []


def test_a_key_change_is_set(sns, sts, monkeypatch, capsys, sent):
    client, stub = sns
    found(stub, attributes(key=OTHER_KEY))
    stub.add_response("set_topic_attributes", {}, set_attribute("KmsMasterKeyId", KEY))
    found(stub)
    result, code = run(sns, sts, monkeypatch, capsys, diff=True)
    assert code == 0, result
    assert result["changed"] is True
    assert writes(sent) == ["SetTopicAttributes"]
    assert result["topic"]["kms_master_key_id"] == KEY
    assert result["diff"]["before"] == settings(key=OTHER_KEY)
    assert result["diff"]["after"] == settings()


def test_an_unencrypted_topic_is_encrypted(sns, sts, monkeypatch, capsys, sent):
    client, stub = sns
    found(stub, attributes(key=None))
    stub.add_response("set_topic_attributes", {}, set_attribute("KmsMasterKeyId", KEY))
    found(stub)
    result, code = run(sns, sts, monkeypatch, capsys, diff=True)
    assert result["changed"] is True
    assert result["diff"]["before"]["kms_master_key_id"] is None


def test_an_empty_key_removes_the_encryption(sns, sts, monkeypatch, capsys, sent):
    client, stub = sns
    found(stub)
    stub.add_response("set_topic_attributes", {}, set_attribute("KmsMasterKeyId", ""))
    found(stub, attributes(key=None))
    result, code = run(sns, sts, monkeypatch, capsys, args=dict(ARGS, kms_master_key_id=""), diff=True)
    assert result["changed"] is True
    assert result["diff"]["after"]["kms_master_key_id"] is None
    assert "kms_master_key_id" not in result["topic"]


def test_a_display_name_change_is_set(sns, sts, monkeypatch, capsys, sent):
    client, stub = sns
    found(stub, attributes(display_name="old"))
    stub.add_response("set_topic_attributes", {}, set_attribute("DisplayName", "finproc DR"))
    found(stub, attributes(display_name="finproc DR"))
    result, code = run(sns, sts, monkeypatch, capsys, args=dict(ARGS, display_name="finproc DR"), diff=True)
    assert code == 0, result
    assert result["changed"] is True
    assert writes(sent) == ["SetTopicAttributes"]
    assert result["topic"]["display_name"] == "finproc DR"
    assert result["diff"]["before"] == settings(display_name="old")
    assert result["diff"]["after"] == settings(display_name="finproc DR")


def test_a_policy_change_is_set(sns, sts, monkeypatch, capsys, sent):
    client, stub = sns
    found(stub)
    stub.add_response("set_topic_attributes", {}, set_attribute("Policy", json.dumps(ALARM_POLICY, sort_keys=True)))
    found(stub, attributes(policy=ALARM_POLICY))
    result, code = run(sns, sts, monkeypatch, capsys, args=dict(ARGS, policy=ALARM_POLICY), diff=True)
    assert code == 0, result
    assert result["changed"] is True
    assert writes(sent) == ["SetTopicAttributes"]
    assert json.loads(result["topic"]["policy"]) == ALARM_POLICY
    assert result["diff"]["before"]["policy"] == DEFAULT_POLICY
    assert result["diff"]["after"]["policy"] == ALARM_POLICY


def test_the_same_policy_in_another_key_order_is_no_change(sns, sts, monkeypatch, capsys, sent):
    client, stub = sns
    reordered = dict(reversed(list(ALARM_POLICY.items())))
    stub.add_response("get_topic_attributes", attributes(policy=reordered), BY_ARN)
    stub.add_response("list_tags_for_resource", {"Tags": TAG_LIST}, BY_RESOURCE)
    stub.add_response("list_subscriptions_by_topic", {"Subscriptions": [subscription()]}, BY_ARN)
    result, code = run(sns, sts, monkeypatch, capsys, args=dict(ARGS, policy=ALARM_POLICY))
    assert result["changed"] is False
    assert writes(sent) == []


def test_every_differing_attribute_is_set_once(sns, sts, monkeypatch, capsys, sent):
    client, stub = sns
    found(stub, attributes(key=OTHER_KEY, display_name="old"))
    stub.add_response("set_topic_attributes", {}, set_attribute("KmsMasterKeyId", KEY))
    stub.add_response("set_topic_attributes", {}, set_attribute("DisplayName", "new"))
    stub.add_response("set_topic_attributes", {}, set_attribute("Policy", json.dumps(ALARM_POLICY, sort_keys=True)))
    found(stub, attributes(display_name="new", policy=ALARM_POLICY))
    result, code = run(sns, sts, monkeypatch, capsys, args=dict(ARGS, display_name="new", policy=ALARM_POLICY))
    assert code == 0, result
    assert writes(sent) == ["SetTopicAttributes"] * 3


# -- subscriptions ---------------------------------------------------------------------------------
def two_subscriptions(args=None):
    return dict(
        args or ARGS,
        subscriptions=[{"protocol": "email", "endpoint": MAIL}, {"protocol": "email", "endpoint": OTHER_MAIL}],
    )


def test_a_missing_subscription_is_subscribed(sns, sts, monkeypatch, capsys, sent):
    client, stub = sns
    found(stub)
    stub.add_response(
        "subscribe",
        {"SubscriptionArn": "pending confirmation"},
        {"TopicArn": ARN, "Protocol": "email", "Endpoint": OTHER_MAIL},
    )
    found(stub, subscriptions=[subscription(), subscription(OTHER_MAIL, "PendingConfirmation")])
    result, code = run(sns, sts, monkeypatch, capsys, args=two_subscriptions(), diff=True)
    assert code == 0, result
    assert result["changed"] is True
    assert writes(sent) == ["Subscribe"]
    assert result["diff"]["before"]["subscriptions"] == [{"protocol": "email", "endpoint": MAIL}]
    assert result["diff"]["after"]["subscriptions"] == [
        {"protocol": "email", "endpoint": OTHER_MAIL},
        {"protocol": "email", "endpoint": MAIL},
    ]
    assert {"protocol": "email", "endpoint": OTHER_MAIL, "subscription_arn": "PendingConfirmation"} in result["topic"][
        "subscriptions"
    ]


def test_a_subscription_listed_twice_is_subscribed_once(sns, sts, monkeypatch, capsys, sent):
    client, stub = sns
    found(stub)
    args = dict(ARGS, subscriptions=[{"protocol": "email", "endpoint": MAIL}] * 2)
    result, code = run(sns, sts, monkeypatch, capsys, args=args)
    assert result["changed"] is False


def test_an_unwanted_subscription_is_removed_with_purge(sns, sts, monkeypatch, capsys, sent):
    client, stub = sns
    found(stub, subscriptions=[subscription(), subscription(OTHER_MAIL, OTHER_SUB_ARN)])
    stub.add_response("unsubscribe", {}, {"SubscriptionArn": OTHER_SUB_ARN})
    found(stub)
    result, code = run(sns, sts, monkeypatch, capsys, diff=True)
    assert code == 0, result
    assert result["changed"] is True
    assert writes(sent) == ["Unsubscribe"]
    assert result["diff"]["before"] == settings(subscriptions=(MAIL, OTHER_MAIL))
    assert result["diff"]["after"] == settings()


def test_a_pending_unwanted_subscription_is_skipped_with_a_warning(sns, sts, monkeypatch, capsys, sent):
    client, stub = sns
    found(stub, subscriptions=[subscription(), subscription(OTHER_MAIL, "PendingConfirmation")])
    result, code = run(sns, sts, monkeypatch, capsys, diff=True)
    assert code == 0, result
    assert result["changed"] is False
    assert writes(sent) == []
    assert "email %s" % OTHER_MAIL in str(result["warnings"])
    assert "PendingConfirmation" in str(result["warnings"])
    assert result["diff"]["after"]["subscriptions"] == result["diff"]["before"]["subscriptions"]


def test_a_pending_one_is_skipped_while_a_confirmed_one_is_removed(sns, sts, monkeypatch, capsys, sent):
    client, stub = sns
    pending = subscription("late@example.com", "PendingConfirmation")
    found(stub, subscriptions=[subscription(), subscription(OTHER_MAIL, OTHER_SUB_ARN), pending])
    stub.add_response("unsubscribe", {}, {"SubscriptionArn": OTHER_SUB_ARN})
    found(stub, subscriptions=[subscription(), pending])
    result, code = run(sns, sts, monkeypatch, capsys, diff=True)
    assert result["changed"] is True
    assert writes(sent) == ["Unsubscribe"]
    assert "late@example.com" in str(result["warnings"])
    assert result["diff"]["after"]["subscriptions"] == [
        {"protocol": "email", "endpoint": "late@example.com"},
        {"protocol": "email", "endpoint": MAIL},
    ]


def test_purge_false_keeps_the_extra_subscriptions(sns, sts, monkeypatch, capsys, sent):
    client, stub = sns
    found(stub, subscriptions=[subscription(), subscription(OTHER_MAIL, OTHER_SUB_ARN)])
    result, code = run(sns, sts, monkeypatch, capsys, args=dict(ARGS, purge_subscriptions=False), diff=True)
    assert code == 0, result
    assert result["changed"] is False
    assert writes(sent) == []
    assert len(result["topic"]["subscriptions"]) == 2


def test_a_subscription_gone_meanwhile_is_not_an_error(sns, sts, monkeypatch, capsys, sent):
    client, stub = sns
    found(stub, subscriptions=[subscription(), subscription(OTHER_MAIL, OTHER_SUB_ARN)])
    stub.add_client_error(
        "unsubscribe",
        service_error_code="NotFound",
        service_message="Subscription does not exist",
        http_status_code=404,
        expected_params={"SubscriptionArn": OTHER_SUB_ARN},
    )
    found(stub)
    result, code = run(sns, sts, monkeypatch, capsys)
    assert code == 0, result
    assert result["changed"] is True


def test_subscriptions_are_read_across_pages(sns, sts, monkeypatch, capsys, sent):
    client, stub = sns
    stub.add_response("get_topic_attributes", attributes(), BY_ARN)
    stub.add_response("list_tags_for_resource", {"Tags": TAG_LIST}, BY_RESOURCE)
    stub.add_response("list_subscriptions_by_topic", {"Subscriptions": [subscription()], "NextToken": "page2"}, BY_ARN)
    stub.add_response(
        "list_subscriptions_by_topic",
        {"Subscriptions": [subscription(OTHER_MAIL, OTHER_SUB_ARN)]},
        {"TopicArn": ARN, "NextToken": "page2"},
    )
    result, code = run(sns, sts, monkeypatch, capsys, args=two_subscriptions())
    assert code == 0, result
    assert result["changed"] is False
    assert len(result["topic"]["subscriptions"]) == 2


# -- tags ------------------------------------------------------------------------------------------
def test_tags_are_added_and_purged(sns, sts, monkeypatch, capsys, sent):
    client, stub = sns
    found(stub, tags=[{"Key": "Environment", "Value": "old"}, {"Key": "Stale", "Value": "x"}])
    stub.add_response("untag_resource", {}, {"ResourceArn": ARN, "TagKeys": ["Stale"]})
    stub.add_response("tag_resource", {}, {"ResourceArn": ARN, "Tags": TAG_LIST})
    found(stub)
    result, code = run(sns, sts, monkeypatch, capsys, diff=True)
    assert code == 0, result
    assert result["changed"] is True
    assert writes(sent) == ["UntagResource", "TagResource"]
    assert result["diff"]["before"]["tags"] == {"Environment": "old", "Stale": "x"}
    assert result["diff"]["after"]["tags"] == TAGS
    assert result["topic"]["tags"] == TAGS


def test_tags_are_only_added_without_purge(sns, sts, monkeypatch, capsys, sent):
    client, stub = sns
    found(stub, tags=[{"Key": "Stale", "Value": "x"}])
    stub.add_response("tag_resource", {}, {"ResourceArn": ARN, "Tags": TAG_LIST})
    found(stub, tags=TAG_LIST + [{"Key": "Stale", "Value": "x"}])
    result, code = run(sns, sts, monkeypatch, capsys, args=dict(ARGS, purge_tags=False), diff=True)
    assert result["changed"] is True
    assert writes(sent) == ["TagResource"]
    assert result["diff"]["after"]["tags"] == dict(TAGS, Stale="x")


# -- check mode ------------------------------------------------------------------------------------
def test_check_mode_create_writes_nothing_and_shows_the_settings(sns, sts, monkeypatch, capsys, sent):
    client, stub = sns
    nothing_found(stub)
    args = dict(ARGS, display_name="finproc DR", policy=ALARM_POLICY)
    result, code = run(sns, sts, monkeypatch, capsys, args=args, check_mode=True, diff=True)
    assert code == 0, result
    assert result["changed"] is True
    assert ops(sent) == ["GetTopicAttributes"]
    assert result["topic"] == {}
    assert result["topic_arn"] == ARN
    assert result["diff"] == {
        "before": {},
        "after": settings(display_name="finproc DR", policy=ALARM_POLICY),
    }


def test_check_mode_update_reports_each_change_without_writing(sns, sts, monkeypatch, capsys, sent):
    client, stub = sns
    found(
        stub,
        attributes(key=OTHER_KEY),
        tags=[{"Key": "Stale", "Value": "x"}],
        subscriptions=[subscription(OTHER_MAIL, OTHER_SUB_ARN)],
    )
    result, code = run(sns, sts, monkeypatch, capsys, args=dict(ARGS, display_name="new"), check_mode=True, diff=True)
    assert code == 0, result
    assert result["changed"] is True
    assert writes(sent) == []
    assert result["topic"]["kms_master_key_id"] == OTHER_KEY
    assert result["diff"]["before"] == settings(key=OTHER_KEY, subscriptions=(OTHER_MAIL,), tags={"Stale": "x"})
    assert result["diff"]["after"] == settings(display_name="new")


def test_check_mode_without_differences_is_unchanged(sns, sts, monkeypatch, capsys, sent):
    client, stub = sns
    found(stub)
    result, code = run(sns, sts, monkeypatch, capsys, check_mode=True)
    assert result["changed"] is False


# -- absent ----------------------------------------------------------------------------------------
def test_absent_deletes(sns, sts, monkeypatch, capsys, sent):
    client, stub = sns
    found(stub)
    stub.add_response("delete_topic", {}, BY_ARN)
    result, code = run(sns, sts, monkeypatch, capsys, args={"name": NAME, "state": "absent"}, diff=True)
    assert code == 0, result
    assert result["changed"] is True
    assert writes(sent) == ["DeleteTopic"]
    assert result["topic"] == {}
    assert result["topic_arn"] == ARN
    assert result["diff"] == {"before": settings(), "after": {}}


def test_absent_missing_is_unchanged(sns, sts, monkeypatch, capsys, sent):
    client, stub = sns
    nothing_found(stub)
    result, code = run(sns, sts, monkeypatch, capsys, args={"name": NAME, "state": "absent"})
    assert code == 0, result
    assert result["changed"] is False
    assert ops(sent) == ["GetTopicAttributes"]
    assert result["topic"] == {}


def test_absent_in_check_mode_writes_nothing(sns, sts, monkeypatch, capsys, sent):
    client, stub = sns
    found(stub)
    result, code = run(sns, sts, monkeypatch, capsys, args={"name": NAME, "state": "absent"}, check_mode=True)
    assert result["changed"] is True
    assert writes(sent) == []
    assert result["topic"]["topic_arn"] == ARN


# -- errors and input ------------------------------------------------------------------------------
def test_throttling_is_retried(sns, sts, monkeypatch, capsys, sent):
    client, stub = sns
    stub.add_client_error(
        "get_topic_attributes", service_error_code="Throttled", service_message="Rate exceeded", expected_params=BY_ARN
    )
    found(stub)
    result, code = run(sns, sts, monkeypatch, capsys)
    assert code == 0, result
    assert result["changed"] is False


def test_an_api_error_fails_with_the_step(sns, sts, monkeypatch, capsys, sent):
    client, stub = sns
    found(stub, attributes(key=OTHER_KEY))
    stub.add_client_error(
        "set_topic_attributes",
        service_error_code="AuthorizationError",
        service_message="not allowed",
        http_status_code=403,
        expected_params=set_attribute("KmsMasterKeyId", KEY),
    )
    result, code = run(sns, sts, monkeypatch, capsys)
    assert code == 1
    assert "SetTopicAttributes (KmsMasterKeyId) failed for SNS topic %s (%s)" % (NAME, ARN) in result["msg"]
    assert result["error"]["code"] == "AuthorizationError"


@pytest.mark.parametrize(
    "args, message",
    [
        ({"name": NAME + ".fifo"}, "FIFO topic name"),
        ({"name": NAME + ".fifo", "state": "absent"}, "standard SNS topics only"),
        ({"name": "finproc dr alerts"}, "not a valid SNS topic name"),
        ({"name": ARN}, "not a valid SNS topic name"),
    ],
)
def test_bad_names_fail_before_any_call(sns, sts, monkeypatch, capsys, sent, args, message):
    result, code = run(sns, sts, monkeypatch, capsys, args=args, caller=False)
    assert code == 1
    assert message in result["msg"]
    assert sent == []

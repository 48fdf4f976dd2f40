"""kms_key against a botocore Stubber (every request checked), and against moto in-process."""

import datetime
import json

import boto3
import pytest
from aws_stub import record_requests, run_module, stubbed_client

from ansible_collections.finproc.dr.plugins.modules import kms_key

ACCOUNT = "123456789012"
KEY_ID = "11111111-1111-4111-8111-111111111111"
ARN = f"arn:aws:kms:us-east-2:{ACCOUNT}:key/{KEY_ID}"
OTHER_ID = "22222222-2222-4222-8222-222222222222"
OTHER_ARN = f"arn:aws:kms:us-east-2:{ACCOUNT}:key/{OTHER_ID}"
OLD_ID = "33333333-3333-4333-8333-333333333333"
OLD_ARN = f"arn:aws:kms:us-east-2:{ACCOUNT}:key/{OLD_ID}"
ALIAS = "alias/finproc-dev"
TAGS = {"Name": "finproc-dev", "finproc:stack": "finproc-dev", "CostCenter": "CC-1"}
POLICY = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Sid": "AccountControl",
            "Effect": "Allow",
            "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"},
            "Action": "kms:*",
            "Resource": "*",
        }
    ],
}
ARGS = {
    "alias": "finproc-dev",
    "description": "finproc-dev data key (us-east-2)",
    "policy": json.dumps(POLICY),
    "enable_key_rotation": True,
    "tags": TAGS,
}
WRITES = (
    "CreateKey",
    "CreateAlias",
    "EnableKeyRotation",
    "DisableKeyRotation",
    "PutKeyPolicy",
    "UpdateKeyDescription",
    "TagResource",
    "UntagResource",
    "EnableKey",
    "DisableKey",
    "CancelKeyDeletion",
    "ScheduleKeyDeletion",
)


def metadata(key_id=KEY_ID, arn=ARN, state="Enabled", **more):
    found = {
        "KeyId": key_id,
        "Arn": arn,
        "AWSAccountId": ACCOUNT,
        "CreationDate": datetime.datetime(2026, 1, 1, tzinfo=datetime.timezone.utc),
        "Enabled": state == "Enabled",
        "Description": ARGS["description"],
        "KeyUsage": "ENCRYPT_DECRYPT",
        "KeyState": state,
        "Origin": "AWS_KMS",
        "KeyManager": "CUSTOMER",
        "KeySpec": "SYMMETRIC_DEFAULT",
        "CustomerMasterKeySpec": "SYMMETRIC_DEFAULT",
        "EncryptionAlgorithms": ["SYMMETRIC_DEFAULT"],
        "MultiRegion": False,
    }
    if state == "PendingDeletion":
        found["DeletionDate"] = datetime.datetime(2026, 2, 1, tzinfo=datetime.timezone.utc)
    found.update(more)
    return found


def kms_tags(tags):
    return [{"TagKey": key, "TagValue": value} for key, value in sorted(tags.items())]


def expect_read(stub, key=None, by=KEY_ID, rotation=True, policy=None, tags=None):
    """DescribeKey (by alias, or by ID once known), rotation, policy, tags and aliases of the key."""
    key = key or metadata()
    stub.add_response("describe_key", {"KeyMetadata": key}, {"KeyId": by})
    if rotation is None:
        stub.add_client_error(
            "get_key_rotation_status", service_error_code="KMSInvalidStateException", expected_params={"KeyId": KEY_ID}
        )
    else:
        stub.add_response("get_key_rotation_status", {"KeyRotationEnabled": rotation}, {"KeyId": KEY_ID})
    stub.add_response(
        "get_key_policy",
        {"Policy": json.dumps(POLICY if policy is None else policy)},
        {"KeyId": KEY_ID, "PolicyName": "default"},
    )
    stub.add_response(
        "list_resource_tags", {"Tags": kms_tags(TAGS if tags is None else tags), "Truncated": False}, {"KeyId": KEY_ID}
    )
    stub.add_response(
        "list_aliases",
        {
            "Aliases": [
                {"AliasName": ALIAS, "AliasArn": f"arn:aws:kms:us-east-2:{ACCOUNT}:{ALIAS}", "TargetKeyId": KEY_ID}
            ]
        },
        {"KeyId": KEY_ID},
    )


def expect_no_key_without_alias(stub):
    """No key has the alias: the account's keys are listed for one with our identity tags (none here)."""
    stub.add_response("list_keys", {"Keys": [], "Truncated": False}, {})


def run(kms, monkeypatch, capsys, args=None, **kw):
    monkeypatch.setattr("time.sleep", lambda seconds: None)
    return run_module(kms_key.main, ARGS if args is None else args, kms[0], monkeypatch, capsys, **kw)


def writes(calls):
    return [name for name, _params in calls if name in WRITES]


@pytest.fixture
def kms():
    client, stub = stubbed_client("kms")
    with stub:
        yield client, stub
        stub.assert_no_pending_responses()


CREATE_KEY = {
    "KeySpec": "SYMMETRIC_DEFAULT",
    "KeyUsage": "ENCRYPT_DECRYPT",
    "Tags": kms_tags(TAGS),
    "Description": ARGS["description"],
    "Policy": ARGS["policy"],
}
CREATE_ALIAS = {"AliasName": ALIAS, "TargetKeyId": KEY_ID}


def expect_after_create(stub):
    """After CreateKey: the alias, the new key read by its ID (rotation off), rotation on, read again."""
    stub.add_response("create_alias", {}, CREATE_ALIAS)
    expect_read(stub, rotation=False)
    stub.add_response("enable_key_rotation", {}, {"KeyId": KEY_ID})
    expect_read(stub)


def test_creates_the_key_tagged_then_its_alias_and_rotation(kms, monkeypatch, capsys):
    client, stub = kms
    calls = record_requests(client)
    stub.add_client_error("describe_key", service_error_code="NotFoundException", expected_params={"KeyId": ALIAS})
    expect_no_key_without_alias(stub)
    stub.add_response("create_key", {"KeyMetadata": metadata()}, CREATE_KEY)
    expect_after_create(stub)
    result, code = run(kms, monkeypatch, capsys, diff=True)
    assert code == 0, result
    assert result["changed"] is True
    assert writes(calls) == ["CreateKey", "CreateAlias", "EnableKeyRotation"]
    assert result["key_arn"] == ARN and result["key_id"] == KEY_ID
    assert result["aliases"] == ["finproc-dev"]
    assert result["enable_key_rotation"] is True
    assert result["tags"] == TAGS
    assert result["key_policies"] == [POLICY]
    assert result["diff"]["before"] == {}
    assert result["diff"]["after"]["enable_key_rotation"] is True
    assert result["diff"]["after"]["policy"] == POLICY


def test_a_converged_key_is_only_read(kms, monkeypatch, capsys):
    client, stub = kms
    calls = record_requests(client)
    expect_read(stub, by=ALIAS)
    result, code = run(kms, monkeypatch, capsys, diff=True)
    assert code == 0, result
    assert result["changed"] is False
    assert writes(calls) == []
    assert result["diff"] == {"before": {}, "after": {}}
    assert result["key_arn"] == ARN


def test_check_mode_on_no_key_writes_nothing_and_returns_no_arn(kms, monkeypatch, capsys):
    client, stub = kms
    calls = record_requests(client)
    stub.add_client_error("describe_key", service_error_code="NotFoundException", expected_params={"KeyId": ALIAS})
    expect_no_key_without_alias(stub)
    result, code = run(kms, monkeypatch, capsys, check_mode=True, diff=True)
    assert code == 0, result
    assert result["changed"] is True
    assert writes(calls) == []
    # The role publishes key_arn | default(''): undefined, not null, in check mode.
    assert "key_arn" not in result and "key_id" not in result
    assert result["diff"]["after"]["tags"] == TAGS


def test_rotation_turned_off_behind_our_back_is_exactly_the_diff_in_check_mode(kms, monkeypatch, capsys):
    client, stub = kms
    calls = record_requests(client)
    expect_read(stub, by=ALIAS, rotation=False)
    result, code = run(kms, monkeypatch, capsys, check_mode=True, diff=True)
    assert code == 0, result
    assert result["changed"] is True
    assert writes(calls) == []
    assert result["diff"] == {"before": {"enable_key_rotation": False}, "after": {"enable_key_rotation": True}}


def test_rotation_turned_off_is_turned_on_again(kms, monkeypatch, capsys):
    client, stub = kms
    calls = record_requests(client)
    expect_read(stub, by=ALIAS, rotation=False)
    stub.add_response("enable_key_rotation", {}, {"KeyId": KEY_ID})
    expect_read(stub)
    result, code = run(kms, monkeypatch, capsys)
    assert code == 0, result
    assert writes(calls) == ["EnableKeyRotation"]
    assert result["enable_key_rotation"] is True


def test_a_changed_policy_is_put_back_and_shown_as_json(kms, monkeypatch, capsys):
    client, stub = kms
    calls = record_requests(client)
    drifted = dict(
        POLICY,
        Statement=POLICY["Statement"]
        + [{"Sid": "Extra", "Effect": "Allow", "Principal": "*", "Action": "kms:Decrypt", "Resource": "*"}],
    )
    expect_read(stub, by=ALIAS, policy=drifted)
    stub.add_response("put_key_policy", {}, {"KeyId": KEY_ID, "PolicyName": "default", "Policy": ARGS["policy"]})
    expect_read(stub)
    result, code = run(kms, monkeypatch, capsys, diff=True)
    assert code == 0, result
    assert writes(calls) == ["PutKeyPolicy"]
    assert result["diff"] == {"before": {"policy": drifted}, "after": {"policy": POLICY}}


def test_the_same_policy_written_otherwise_is_no_change(kms, monkeypatch, capsys):
    client, stub = kms
    same = dict(POLICY, Statement=[dict(POLICY["Statement"][0], Action=["kms:*"])])
    expect_read(stub, by=ALIAS, policy=same)
    result, code = run(kms, monkeypatch, capsys, diff=True)
    assert code == 0, result
    assert result["changed"] is False
    assert result["diff"] == {"before": {}, "after": {}}


def test_tags_drift_is_written_back_and_shown_as_tags(kms, monkeypatch, capsys):
    client, stub = kms
    calls = record_requests(client)
    drifted = dict(TAGS, CostCenter="CC-0", Extra="x")
    expect_read(stub, by=ALIAS, tags=drifted)
    stub.add_response("untag_resource", {}, {"KeyId": KEY_ID, "TagKeys": ["Extra"]})
    stub.add_response("tag_resource", {}, {"KeyId": KEY_ID, "Tags": [{"TagKey": "CostCenter", "TagValue": "CC-1"}]})
    expect_read(stub)
    result, code = run(kms, monkeypatch, capsys, diff=True)
    assert code == 0, result
    assert writes(calls) == ["UntagResource", "TagResource"]
    assert result["diff"] == {"before": {"tags": drifted}, "after": {"tags": TAGS}}


def test_description_drift_is_updated(kms, monkeypatch, capsys):
    client, stub = kms
    calls = record_requests(client)
    expect_read(stub, by=ALIAS, key=metadata(Description="old"))
    stub.add_response("update_key_description", {}, {"KeyId": KEY_ID, "Description": ARGS["description"]})
    expect_read(stub)
    result, code = run(kms, monkeypatch, capsys, diff=True)
    assert code == 0, result
    assert writes(calls) == ["UpdateKeyDescription"]
    assert result["diff"] == {"before": {"description": "old"}, "after": {"description": ARGS["description"]}}


def test_absent_schedules_the_deletion_and_keeps_the_alias(kms, monkeypatch, capsys):
    client, stub = kms
    calls = record_requests(client)
    expect_read(stub, by=ALIAS)
    stub.add_response(
        "schedule_key_deletion",
        {"KeyId": KEY_ID, "KeyState": "PendingDeletion"},
        {"KeyId": KEY_ID, "PendingWindowInDays": 7},
    )
    expect_read(stub, key=metadata(state="PendingDeletion"), rotation=None)
    args = {"alias": "finproc-dev", "pending_window": 7, "state": "absent"}
    result, code = run(kms, monkeypatch, capsys, args=args, diff=True)
    assert code == 0, result
    assert result["changed"] is True
    assert writes(calls) == ["ScheduleKeyDeletion"]  # no DeleteAlias
    assert result["key_state"] == "PendingDeletion"
    assert result["diff"]["before"]["key_state"] == "Enabled"
    assert result["diff"]["after"]["key_state"] == "PendingDeletion"


def test_absent_on_a_key_pending_deletion_or_no_key_changes_nothing(kms, monkeypatch, capsys):
    client, stub = kms
    calls = record_requests(client)
    expect_read(stub, by=ALIAS, key=metadata(state="PendingDeletion"), rotation=None)
    result, code = run(kms, monkeypatch, capsys, args={"alias": "finproc-dev", "state": "absent"})
    assert code == 0, result
    assert result["changed"] is False
    # Without tags (destroy passes none) no key is looked for by its tags.
    stub.add_client_error("describe_key", service_error_code="NotFoundException", expected_params={"KeyId": ALIAS})
    result, code = run(kms, monkeypatch, capsys, args={"alias": "finproc-dev", "state": "absent"})
    assert code == 0, result
    assert result["changed"] is False
    assert writes(calls) == []


def test_absent_in_check_mode_schedules_nothing(kms, monkeypatch, capsys):
    client, stub = kms
    calls = record_requests(client)
    expect_read(stub, by=ALIAS)
    result, code = run(kms, monkeypatch, capsys, args={"alias": "finproc-dev", "state": "absent"}, check_mode=True)
    assert code == 0, result
    assert result["changed"] is True
    assert writes(calls) == []


def test_present_brings_back_a_key_pending_deletion_enabled_and_rotating(kms, monkeypatch, capsys):
    client, stub = kms
    calls = record_requests(client)
    expect_read(stub, by=ALIAS, key=metadata(state="PendingDeletion"), rotation=None)
    stub.add_response("cancel_key_deletion", {"KeyId": KEY_ID}, {"KeyId": KEY_ID})
    stub.add_response("enable_key", {}, {"KeyId": KEY_ID})
    stub.add_response("enable_key_rotation", {}, {"KeyId": KEY_ID})
    expect_read(stub)
    result, code = run(kms, monkeypatch, capsys, diff=True)
    assert code == 0, result
    assert writes(calls) == ["CancelKeyDeletion", "EnableKey", "EnableKeyRotation"]
    assert result["diff"]["before"]["key_state"] == "PendingDeletion"
    assert result["diff"]["after"]["key_state"] == "Enabled"


def test_a_cancel_sent_again_after_a_lost_answer_counts_as_cancelled(kms, monkeypatch, capsys):
    client, stub = kms
    calls = record_requests(client)
    expect_read(stub, by=ALIAS, key=metadata(state="PendingDeletion"), rotation=None)
    stub.add_client_error(
        "cancel_key_deletion", service_error_code="KMSInvalidStateException", expected_params={"KeyId": KEY_ID}
    )
    stub.add_response("enable_key", {}, {"KeyId": KEY_ID})
    stub.add_response("enable_key_rotation", {}, {"KeyId": KEY_ID})
    expect_read(stub)
    result, code = run(kms, monkeypatch, capsys)
    assert code == 0, result
    assert writes(calls) == ["CancelKeyDeletion", "EnableKey", "EnableKeyRotation"]


def test_create_key_whose_answer_is_lost_is_found_by_its_tags_and_not_sent_again(kms, monkeypatch, capsys):
    """CreateKey takes no client token: after a 500, the key the lost call made (tagged in the request,
    no alias yet) is found by its identity tags and gets the alias; a key an alias names (not even its
    tags read), a key of another team (its tags refused to us) and an old key of the stack pending
    deletion are not it. ONE CreateKey in all."""
    client, stub = kms
    calls = record_requests(client)
    stub.add_client_error("describe_key", service_error_code="NotFoundException", expected_params={"KeyId": ALIAS})
    expect_no_key_without_alias(stub)
    stub.add_client_error(
        "create_key", service_error_code="InternalError", http_status_code=500, expected_params=CREATE_KEY
    )
    aliased = ("44444444-4444-4444-8444-444444444444", f"arn:aws:kms:us-east-2:{ACCOUNT}:key/4444")
    pairs = (aliased, (OTHER_ID, OTHER_ARN), (OLD_ID, OLD_ARN), (KEY_ID, ARN))
    keys = [{"KeyId": k, "KeyArn": a} for k, a in pairs]
    stub.add_response("list_keys", {"Keys": keys, "Truncated": False}, {})
    stub.add_response(
        "list_aliases", {"Aliases": [{"AliasName": "alias/aws/s3", "TargetKeyId": aliased[0]}], "Truncated": False}, {}
    )
    stub.add_client_error(
        "list_resource_tags", service_error_code="AccessDeniedException", expected_params={"KeyId": OTHER_ID}
    )
    stub.add_response("list_resource_tags", {"Tags": kms_tags(TAGS), "Truncated": False}, {"KeyId": OLD_ID})
    stub.add_response(
        "describe_key", {"KeyMetadata": metadata(OLD_ID, OLD_ARN, state="PendingDeletion")}, {"KeyId": OLD_ID}
    )
    stub.add_response("list_resource_tags", {"Tags": kms_tags(TAGS), "Truncated": False}, {"KeyId": KEY_ID})
    stub.add_response("describe_key", {"KeyMetadata": metadata()}, {"KeyId": KEY_ID})
    expect_after_create(stub)
    result, code = run(kms, monkeypatch, capsys)
    assert code == 0, result
    assert [name for name, _params in calls].count("CreateKey") == 1
    assert writes(calls) == ["CreateKey", "CreateAlias", "EnableKeyRotation"]
    assert result["key_arn"] == ARN


def test_a_lost_create_key_without_identity_tags_fails_rather_than_create_again(kms, monkeypatch, capsys):
    client, stub = kms
    calls = record_requests(client)
    stub.add_client_error("describe_key", service_error_code="NotFoundException", expected_params={"KeyId": ALIAS})
    request = dict(CREATE_KEY, Tags=[{"TagKey": "CostCenter", "TagValue": "CC-1"}])
    stub.add_client_error(
        "create_key", service_error_code="InternalError", http_status_code=500, expected_params=request
    )
    result, code = run(kms, monkeypatch, capsys, args=dict(ARGS, tags={"CostCenter": "CC-1"}))
    assert code == 1
    assert "none of identity_tags (finproc:stack, Name) is in tags" in result["msg"]
    assert writes(calls) == ["CreateKey"]


def test_an_alias_sent_again_after_a_lost_answer_names_our_key(kms, monkeypatch, capsys):
    client, stub = kms
    stub.add_client_error("describe_key", service_error_code="NotFoundException", expected_params={"KeyId": ALIAS})
    expect_no_key_without_alias(stub)
    stub.add_response("create_key", {"KeyMetadata": metadata()}, CREATE_KEY)
    stub.add_client_error("create_alias", service_error_code="AlreadyExistsException", expected_params=CREATE_ALIAS)
    stub.add_response("describe_key", {"KeyMetadata": metadata()}, {"KeyId": ALIAS})
    expect_read(stub, rotation=False)
    stub.add_response("enable_key_rotation", {}, {"KeyId": KEY_ID})
    expect_read(stub)
    result, code = run(kms, monkeypatch, capsys)
    assert code == 0, result
    assert result["key_arn"] == ARN


def test_a_key_of_another_spec_is_refused(kms, monkeypatch, capsys):
    client, stub = kms
    expect_read(stub, by=ALIAS, key=metadata(KeySpec="RSA_2048", KeyUsage="ENCRYPT_DECRYPT"))
    result, code = run(kms, monkeypatch, capsys)
    assert code == 1
    assert "has KeySpec RSA_2048, not SYMMETRIC_DEFAULT" in result["msg"]


@pytest.mark.parametrize(
    "args, message",
    [
        (dict(ARGS, alias="alias/aws/s3"), "AWS managed key"),
        (dict(ARGS, policy="{not json"), "policy is not valid JSON"),
        ({"alias": "finproc-dev", "state": "absent", "pending_window": 6}, "from 7 to 30 days"),
    ],
)
def test_bad_options_fail_before_any_call(kms, monkeypatch, capsys, args, message):
    result, code = run(kms, monkeypatch, capsys, args=args)
    assert code == 1
    assert message in result["msg"]


# -- moto in-process -----------------------------------------------------------------------------


@pytest.fixture
def moto_kms(moto_account):
    return boto3.client("kms", region_name="us-east-2")


def test_moto_create_converge_drift_and_schedule_deletion(moto_kms, monkeypatch, capsys):
    client = moto_kms
    recorded = record_requests(client)

    def module_run(args, **kw):
        start = len(recorded)
        result, code = run_module(kms_key.main, args, client, monkeypatch, capsys, **kw)
        assert code == 0, result
        return result, writes(recorded[start:])

    created, made = module_run(ARGS)
    assert made == ["CreateKey", "CreateAlias", "EnableKeyRotation"]
    key_id = created["key_id"]
    assert client.describe_key(KeyId=ALIAS)["KeyMetadata"]["KeyId"] == key_id
    assert client.get_key_rotation_status(KeyId=key_id)["KeyRotationEnabled"] is True

    again, made = module_run(ARGS)
    assert again["changed"] is False and made == []

    client.disable_key_rotation(KeyId=key_id)
    checked, made = module_run(ARGS, check_mode=True, diff=True)
    assert checked["changed"] is True and made == []
    assert checked["diff"] == {"before": {"enable_key_rotation": False}, "after": {"enable_key_rotation": True}}
    repaired, made = module_run(ARGS)
    assert made == ["EnableKeyRotation"]

    gone, made = module_run({"alias": "finproc-dev", "pending_window": 7, "state": "absent"})
    assert made == ["ScheduleKeyDeletion"] and gone["key_state"] == "PendingDeletion"
    assert [a["AliasName"] for a in client.list_aliases(KeyId=key_id)["Aliases"]] == [ALIAS]
    _result, made = module_run({"alias": "finproc-dev", "state": "absent"})
    assert made == []
    back, made = module_run(ARGS)
    assert made[:2] == ["CancelKeyDeletion", "EnableKey"] and back["key_state"] == "Enabled"
    assert len(client.list_keys()["Keys"]) == 1


def expect_key_without_alias(stub):
    """No key has the alias; ListKeys finds ours by its identity tags, then it is read: no alias."""
    stub.add_client_error("describe_key", service_error_code="NotFoundException", expected_params={"KeyId": ALIAS})
    stub.add_response("list_keys", {"Keys": [{"KeyId": KEY_ID, "KeyArn": ARN}], "Truncated": False}, {})
    stub.add_response("list_aliases", {"Aliases": [], "Truncated": False}, {})
    stub.add_response("list_resource_tags", {"Tags": kms_tags(TAGS), "Truncated": False}, {"KeyId": KEY_ID})
    stub.add_response("describe_key", {"KeyMetadata": metadata()}, {"KeyId": KEY_ID})
    stub.add_response("get_key_rotation_status", {"KeyRotationEnabled": True}, {"KeyId": KEY_ID})
    stub.add_response("get_key_policy", {"Policy": json.dumps(POLICY)}, {"KeyId": KEY_ID, "PolicyName": "default"})
    stub.add_response("list_resource_tags", {"Tags": kms_tags(TAGS), "Truncated": False}, {"KeyId": KEY_ID})
    stub.add_response("list_aliases", {"Aliases": []}, {"KeyId": KEY_ID})


def test_a_key_a_cut_off_run_left_without_its_alias_is_shown_as_missing_the_alias(kms, monkeypatch, capsys):
    """A run cut off between CreateKey and CreateAlias left our tagged key without the alias: check mode
    says exactly that (the alias is missing), not that a key would be created."""
    client, stub = kms
    calls = record_requests(client)
    expect_key_without_alias(stub)
    result, code = run(kms, monkeypatch, capsys, check_mode=True, diff=True)
    assert code == 0, result
    assert result["changed"] is True
    assert writes(calls) == []
    assert result["diff"] == {"before": {"alias": None}, "after": {"alias": ALIAS}}
    assert result["key_arn"] == ARN


def test_a_key_a_cut_off_run_left_without_its_alias_gets_the_alias_not_a_twin(kms, monkeypatch, capsys):
    client, stub = kms
    calls = record_requests(client)
    expect_key_without_alias(stub)
    stub.add_response("create_alias", {}, CREATE_ALIAS)
    expect_read(stub)
    result, code = run(kms, monkeypatch, capsys, diff=True)
    assert code == 0, result
    assert result["changed"] is True
    assert writes(calls) == ["CreateAlias"]
    assert result["aliases"] == ["finproc-dev"] and result["key_arn"] == ARN

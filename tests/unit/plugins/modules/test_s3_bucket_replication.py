import copy

import pytest
from ansible_collections.finproc.dr.plugins.modules import s3_bucket_replication
from aws_stub import run_module

BUCKET = "finproc-prod-ledger-us-east-2"
ROLE = "arn:aws:iam::123456789012:role/finproc-prod-s3-replication"
DEST = "finproc-prod-ledger-us-west-2"
VAULT = "arn:aws:s3:::finproc-vault-reports"
KEY = "arn:aws:kms:us-west-2:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"
RTC = {"Status": "Enabled", "Time": {"Minutes": 15}}
METRICS = {"Status": "Enabled", "EventThreshold": {"Minutes": 15}}
BY_BUCKET = {"Bucket": BUCKET}

ARGS = {
    "bucket": BUCKET,
    "role": ROLE,
    "rules": [
        {
            "id": "ledger-to-dr",
            "destination": {
                "bucket": DEST,
                "account": "210987654321",
                "storage_class": "STANDARD_IA",
                "replica_kms_key_id": KEY,
            },
            "replication_time": {"enabled": True},
            "sse_kms_encrypted_objects": True,
        },
        {
            "id": "reports",
            "priority": 10,
            "filter": {"prefix": "monthly/", "tags": {"class": "dr"}},
            "destination": {"bucket": VAULT},
            "delete_marker_replication": False,
            "replica_modifications": True,
        },
    ],
}
CONFIG = {
    "Role": ROLE,
    "Rules": [
        {
            "ID": "ledger-to-dr",
            "Priority": 1,
            "Status": "Enabled",
            "Filter": {"Prefix": ""},
            "DeleteMarkerReplication": {"Status": "Enabled"},
            "Destination": {
                "Bucket": "arn:aws:s3:::" + DEST,
                "Account": "210987654321",
                "AccessControlTranslation": {"Owner": "Destination"},
                "StorageClass": "STANDARD_IA",
                "EncryptionConfiguration": {"ReplicaKmsKeyID": KEY},
                "ReplicationTime": RTC,
                "Metrics": METRICS,
            },
            "SourceSelectionCriteria": {"SseKmsEncryptedObjects": {"Status": "Enabled"}},
        },
        {
            "ID": "reports",
            "Priority": 10,
            "Status": "Enabled",
            "Filter": {"And": {"Prefix": "monthly/", "Tags": [{"Key": "class", "Value": "dr"}]}},
            "DeleteMarkerReplication": {"Status": "Disabled"},
            "Destination": {"Bucket": VAULT},
            "SourceSelectionCriteria": {"ReplicaModifications": {"Status": "Enabled"}},
        },
    ],
}
PUT = {"Bucket": BUCKET, "ReplicationConfiguration": CONFIG}


@pytest.fixture(autouse=True)
def no_sleep(monkeypatch):
    monkeypatch.setattr("time.sleep", lambda s: None)


def run(s3, monkeypatch, capsys, args=None, **kw):
    return run_module(s3_bucket_replication.main, args or ARGS, s3[0], monkeypatch, capsys, **kw)


def no_configuration(stub):
    stub.add_client_error(
        "get_bucket_replication",
        service_error_code="ReplicationConfigurationNotFoundError",
        service_message="The replication configuration was not found",
        http_status_code=404,
        expected_params=BY_BUCKET,
    )


def configuration(stub, config):
    stub.add_response("get_bucket_replication", {"ReplicationConfiguration": config}, BY_BUCKET)


def one_rule_args(**rule):
    rule.setdefault("id", "all")
    rule.setdefault("destination", {"bucket": DEST})
    return {"bucket": BUCKET, "role": ROLE, "rules": [rule]}


def one_rule_put(**changes):
    rule = {
        "ID": "all",
        "Priority": 1,
        "Status": "Enabled",
        "Filter": {"Prefix": ""},
        "DeleteMarkerReplication": {"Status": "Enabled"},
        "Destination": {"Bucket": "arn:aws:s3:::" + DEST},
    }
    rule.update(changes)
    return {"Bucket": BUCKET, "ReplicationConfiguration": {"Role": ROLE, "Rules": [rule]}}


# ---------------------------------------------------------------- present


def test_creates_the_configuration_when_there_is_none(s3, monkeypatch, capsys):
    client, stub = s3
    no_configuration(stub)
    stub.add_response("put_bucket_replication", {}, PUT)
    configuration(stub, CONFIG)
    result, code = run(s3, monkeypatch, capsys, diff=True)
    assert code == 0, result
    assert result["changed"] is True
    assert result["diff"]["before"] == {}
    after = result["diff"]["after"]
    assert after["role"] == ROLE
    assert [rule["id"] for rule in after["rules"]] == ["ledger-to-dr", "reports"]
    assert after["rules"][0]["replication_time"] == {"enabled": True, "minutes": 15}
    assert after["rules"][0]["metrics"] == {"enabled": True, "minutes": 15}
    assert after["rules"][0]["destination"]["owner_override"] == "Destination"
    assert after["rules"][1]["filter"] == {"prefix": "monthly/", "tags": {"class": "dr"}}
    assert after["rules"][1]["delete_marker_replication"] is False


def test_the_result_is_the_configuration_as_s3_describes_it_after_the_put(s3, monkeypatch, capsys):
    client, stub = s3
    no_configuration(stub)
    stub.add_response("put_bucket_replication", {}, PUT)
    configuration(stub, CONFIG)
    result, code = run(s3, monkeypatch, capsys)
    replication = result["replication"]
    assert replication["role"] == ROLE
    first, second = replication["rules"]
    assert first["id"] == "ledger-to-dr"
    assert first["priority"] == 1
    assert first["filter"] == {"prefix": ""}
    assert first["delete_marker_replication"] == {"status": "Enabled"}
    assert first["destination"] == {
        "bucket": "arn:aws:s3:::" + DEST,
        "account": "210987654321",
        "access_control_translation": {"owner": "Destination"},
        "storage_class": "STANDARD_IA",
        "encryption_configuration": {"replica_kms_key_id": KEY},
        "replication_time": {"status": "Enabled", "time": {"minutes": 15}},
        "metrics": {"status": "Enabled", "event_threshold": {"minutes": 15}},
    }
    assert first["source_selection_criteria"] == {"sse_kms_encrypted_objects": {"status": "Enabled"}}
    assert second["filter"] == {"and": {"prefix": "monthly/", "tags": [{"key": "class", "value": "dr"}]}}
    assert second["source_selection_criteria"] == {"replica_modifications": {"status": "Enabled"}}


def test_an_identical_configuration_is_left_alone(s3, monkeypatch, capsys):
    client, stub = s3
    configuration(stub, CONFIG)
    result, code = run(s3, monkeypatch, capsys, diff=True)
    assert code == 0, result
    assert result["changed"] is False
    assert result["diff"]["before"] == result["diff"]["after"]
    assert result["replication"]["rules"][0]["id"] == "ledger-to-dr"


def test_aws_defaults_and_rule_order_are_not_differences(s3, monkeypatch, capsys):
    client, stub = s3
    described = copy.deepcopy(CONFIG)
    described["Rules"].reverse()
    reports, ledger = described["Rules"]
    # Explicitly disabled elements mean the same as missing ones.
    reports["SourceSelectionCriteria"]["SseKmsEncryptedObjects"] = {"Status": "Disabled"}
    reports["Destination"]["ReplicationTime"] = {"Status": "Disabled", "Time": {"Minutes": 15}}
    reports["Destination"]["Metrics"] = {"Status": "Disabled"}
    reports["ExistingObjectReplication"] = {"Status": "Disabled"}
    # Missing delete marker setting means Disabled.
    del reports["DeleteMarkerReplication"]
    # An empty filter means every object.
    ledger["Filter"] = {}
    configuration(stub, described)
    result, code = run(s3, monkeypatch, capsys)
    assert code == 0, result
    assert result["changed"] is False


@pytest.mark.parametrize(
    "described_filter",
    [{"Tag": {"Key": "class", "Value": "dr"}}, {"And": {"Tags": [{"Key": "class", "Value": "dr"}]}}],
    ids=["tag", "and-without-prefix"],
)
def test_tag_filter_forms_are_equivalent(s3, monkeypatch, capsys, described_filter):
    client, stub = s3
    args = one_rule_args(filter={"tags": {"class": "dr"}}, delete_marker_replication=False)
    described = one_rule_put(Filter=described_filter, DeleteMarkerReplication={"Status": "Disabled"})
    configuration(stub, described["ReplicationConfiguration"])
    result, code = run(s3, monkeypatch, capsys, args=args)
    assert code == 0, result
    assert result["changed"] is False


def test_a_single_tag_filter_is_sent_as_a_tag(s3, monkeypatch, capsys):
    client, stub = s3
    args = one_rule_args(filter={"tags": {"class": "dr"}}, delete_marker_replication=False)
    no_configuration(stub)
    put = one_rule_put(Filter={"Tag": {"Key": "class", "Value": "dr"}}, DeleteMarkerReplication={"Status": "Disabled"})
    stub.add_response("put_bucket_replication", {}, put)
    configuration(stub, put["ReplicationConfiguration"])
    result, code = run(s3, monkeypatch, capsys, args=args)
    assert result["changed"] is True


def test_an_explicit_priority_zero_matches_a_rule_without_priority(s3, monkeypatch, capsys):
    client, stub = s3
    described = one_rule_put()["ReplicationConfiguration"]
    del described["Rules"][0]["Priority"]
    configuration(stub, described)
    result, code = run(s3, monkeypatch, capsys, args=one_rule_args(priority=0))
    assert result["changed"] is False


def test_priorities_default_to_the_position_of_the_rule(s3, monkeypatch, capsys):
    client, stub = s3
    args = one_rule_args()
    args["rules"].append({"id": "second", "destination": {"bucket": DEST}})
    described = one_rule_put()["ReplicationConfiguration"]
    second = dict(described["Rules"][0], ID="second", Priority=2)
    described["Rules"].append(second)
    no_configuration(stub)
    stub.add_response("put_bucket_replication", {}, {"Bucket": BUCKET, "ReplicationConfiguration": described})
    configuration(stub, described)
    result, code = run(s3, monkeypatch, capsys, args=args)
    assert result["changed"] is True


def test_one_changed_field_puts_the_whole_configuration(s3, monkeypatch, capsys):
    client, stub = s3
    drifted = copy.deepcopy(CONFIG)
    drifted["Rules"][0]["Destination"]["StorageClass"] = "STANDARD"
    configuration(stub, drifted)
    stub.add_response("put_bucket_replication", {}, PUT)
    configuration(stub, CONFIG)
    result, code = run(s3, monkeypatch, capsys, diff=True)
    assert code == 0, result
    assert result["changed"] is True
    assert result["diff"]["before"]["rules"][0]["destination"]["storage_class"] == "STANDARD"
    assert result["diff"]["after"]["rules"][0]["destination"]["storage_class"] == "STANDARD_IA"
    assert result["replication"]["rules"][0]["destination"]["storage_class"] == "STANDARD_IA"


def test_a_rule_not_in_the_options_is_removed(s3, monkeypatch, capsys):
    client, stub = s3
    extra = copy.deepcopy(CONFIG)
    extra["Rules"].append(dict(copy.deepcopy(CONFIG["Rules"][1]), ID="old", Priority=99))
    configuration(stub, extra)
    stub.add_response("put_bucket_replication", {}, PUT)
    configuration(stub, CONFIG)
    result, code = run(s3, monkeypatch, capsys)
    assert result["changed"] is True


def test_a_v1_rule_is_rewritten_in_the_v2_schema(s3, monkeypatch, capsys):
    client, stub = s3
    v1 = {
        "Role": ROLE,
        "Rules": [{"ID": "all", "Prefix": "", "Status": "Enabled", "Destination": {"Bucket": "arn:aws:s3:::" + DEST}}],
    }
    configuration(stub, v1)
    put = one_rule_put(Priority=0, DeleteMarkerReplication={"Status": "Disabled"})
    stub.add_response("put_bucket_replication", {}, put)
    configuration(stub, put["ReplicationConfiguration"])
    args = one_rule_args(priority=0, delete_marker_replication=False)
    result, code = run(s3, monkeypatch, capsys, args=args)
    assert result["changed"] is True


def test_the_destination_arn_takes_the_partition_of_the_role(s3, monkeypatch, capsys):
    client, stub = s3
    role = "arn:aws-cn:iam::123456789012:role/finproc-prod-s3-replication"
    args = dict(one_rule_args(), role=role)
    put = one_rule_put(Destination={"Bucket": "arn:aws-cn:s3:::" + DEST})
    put["ReplicationConfiguration"]["Role"] = role
    no_configuration(stub)
    stub.add_response("put_bucket_replication", {}, put)
    configuration(stub, put["ReplicationConfiguration"])
    result, code = run(s3, monkeypatch, capsys, args=args)
    assert code == 0, result


@pytest.mark.parametrize(
    "rule, destination",
    [
        ({"metrics": True}, {"Metrics": METRICS}),
        ({"replication_time": {"enabled": False}}, {}),
        ({"replication_time": {}}, {"ReplicationTime": RTC, "Metrics": METRICS}),
    ],
    ids=["metrics-only", "rtc-disabled", "rtc-defaults"],
)
def test_metrics_follow_replication_time(s3, monkeypatch, capsys, rule, destination):
    client, stub = s3
    put = one_rule_put(Destination=dict({"Bucket": "arn:aws:s3:::" + DEST}, **destination))
    no_configuration(stub)
    stub.add_response("put_bucket_replication", {}, put)
    configuration(stub, put["ReplicationConfiguration"])
    result, code = run(s3, monkeypatch, capsys, args=one_rule_args(**rule))
    assert code == 0, result


# ---------------------------------------------------------------- check mode


def test_check_mode_reports_the_creation_without_writing(s3, monkeypatch, capsys):
    client, stub = s3
    no_configuration(stub)
    result, code = run(s3, monkeypatch, capsys, check_mode=True, diff=True)
    assert code == 0, result
    assert result["changed"] is True
    assert result["replication"] == {}
    assert result["diff"]["before"] == {}
    assert len(result["diff"]["after"]["rules"]) == 2


def test_check_mode_returns_the_current_configuration_on_an_update(s3, monkeypatch, capsys):
    client, stub = s3
    drifted = copy.deepcopy(CONFIG)
    drifted["Rules"][1]["Status"] = "Disabled"
    configuration(stub, drifted)
    result, code = run(s3, monkeypatch, capsys, check_mode=True, diff=True)
    assert result["changed"] is True
    assert result["replication"]["rules"][1]["status"] == "Disabled"
    assert result["diff"]["before"]["rules"][1]["status"] == "Disabled"
    assert result["diff"]["after"]["rules"][1]["status"] == "Enabled"


# ---------------------------------------------------------------- absent


def test_absent_deletes_the_configuration(s3, monkeypatch, capsys):
    client, stub = s3
    configuration(stub, CONFIG)
    stub.add_response("delete_bucket_replication", {}, BY_BUCKET)
    result, code = run(s3, monkeypatch, capsys, args={"bucket": BUCKET, "state": "absent"}, diff=True)
    assert code == 0, result
    assert result["changed"] is True
    assert result["replication"] == {}
    assert result["diff"]["before"]["role"] == ROLE
    assert result["diff"]["after"] == {}


def test_absent_in_check_mode_deletes_nothing(s3, monkeypatch, capsys):
    client, stub = s3
    configuration(stub, CONFIG)
    result, code = run(s3, monkeypatch, capsys, args={"bucket": BUCKET, "state": "absent"}, check_mode=True)
    assert result["changed"] is True
    assert result["replication"]["role"] == ROLE


def test_absent_when_there_is_none_is_no_change(s3, monkeypatch, capsys):
    client, stub = s3
    no_configuration(stub)
    result, code = run(s3, monkeypatch, capsys, args={"bucket": BUCKET, "state": "absent"})
    assert code == 0, result
    assert result["changed"] is False
    assert result["replication"] == {}


# ---------------------------------------------------------------- validation: no request at all


def _rules_with(**changes):
    args = copy.deepcopy(ARGS)
    args["rules"][0].update(changes)
    return args


def _duplicate_ids():
    args = copy.deepcopy(ARGS)
    args["rules"][1]["id"] = "ledger-to-dr"
    return args


def _duplicate_priorities():
    args = copy.deepcopy(ARGS)
    args["rules"][1]["priority"] = 1  # the first rule defaults to 1
    return args


def _without_key():
    args = copy.deepcopy(ARGS)
    del args["rules"][0]["destination"]["replica_kms_key_id"]
    return args


@pytest.mark.parametrize(
    "args, message",
    [
        (
            _without_key(),
            "rule ledger-to-dr: destination.replica_kms_key_id is required when sse_kms_encrypted_objects is true",
        ),
        (_duplicate_ids(), "rule ids must be unique: ledger-to-dr is used more than once"),
        (
            _duplicate_priorities(),
            "rule priorities must be unique: rules ledger-to-dr and reports both have priority 1",
        ),
        (
            _rules_with(replication_time={"minutes": 10}),
            "rule ledger-to-dr: replication_time.minutes must be 15 (the only value S3 accepts), got 10",
        ),
        (
            _rules_with(metrics=False),
            "rule ledger-to-dr: metrics cannot be false when replication_time is enabled (RTC needs metrics)",
        ),
        (
            _rules_with(filter={"tags": {"a": "b"}}),
            "rule ledger-to-dr: delete_marker_replication must be false for a rule that filters on tags "
            "(S3 does not replicate delete markers for tag-based rules)",
        ),
        ({"bucket": BUCKET, "rules": ARGS["rules"]}, "role is required when state is present"),
        ({"bucket": BUCKET, "role": ROLE}, "at least one rule is required when state is present"),
        ({"bucket": BUCKET, "role": ROLE, "rules": []}, "at least one rule is required when state is present"),
        (dict(ARGS, role="finproc-prod-s3-replication"), "role must be the ARN of an IAM role"),
    ],
    ids=[
        "sse-kms-without-key",
        "duplicate-ids",
        "duplicate-priorities",
        "minutes",
        "rtc-without-metrics",
        "tags-with-delete-markers",
        "no-role",
        "no-rules",
        "empty-rules",
        "role-not-an-arn",
    ],
)
def test_invalid_options_fail_before_any_request(s3, monkeypatch, capsys, args, message):
    client, stub = s3
    calls = []
    client.meta.events.register("before-call.s3", lambda **kw: calls.append(kw["model"].name))
    result, code = run(s3, monkeypatch, capsys, args=args)
    assert code == 1
    assert result["msg"].startswith(message), result["msg"]
    assert calls == []


# ---------------------------------------------------------------- errors and retries


def test_a_missing_bucket_is_named(s3, monkeypatch, capsys):
    client, stub = s3
    stub.add_client_error(
        "get_bucket_replication",
        service_error_code="NoSuchBucket",
        service_message="The specified bucket does not exist",
        http_status_code=404,
        expected_params=BY_BUCKET,
    )
    result, code = run(s3, monkeypatch, capsys)
    assert code == 1
    assert result["msg"].startswith("bucket %s does not exist" % BUCKET)
    assert result["error"]["code"] == "NoSuchBucket"


def test_an_api_error_names_the_step(s3, monkeypatch, capsys):
    client, stub = s3
    no_configuration(stub)
    stub.add_client_error(
        "put_bucket_replication",
        service_error_code="InvalidRequest",
        service_message="Versioning must be 'Enabled' on the bucket to apply a replication configuration",
        http_status_code=400,
        expected_params=PUT,
    )
    result, code = run(s3, monkeypatch, capsys)
    assert code == 1
    assert result["msg"].startswith("PutBucketReplication failed for bucket %s" % BUCKET)
    assert result["error"]["code"] == "InvalidRequest"


@pytest.mark.parametrize("error_code", ["SlowDown", "Throttling"])
def test_throttling_is_retried(s3, monkeypatch, capsys, error_code):
    client, stub = s3
    for _attempt in range(2):
        stub.add_client_error(
            "get_bucket_replication",
            service_error_code=error_code,
            service_message="Please reduce your request rate.",
            http_status_code=503,
            expected_params=BY_BUCKET,
        )
    configuration(stub, CONFIG)
    result, code = run(s3, monkeypatch, capsys)
    assert code == 0, result
    assert result["changed"] is False


def test_a_conflicting_operation_is_retried(s3, monkeypatch, capsys):
    client, stub = s3
    no_configuration(stub)
    stub.add_client_error(
        "put_bucket_replication",
        service_error_code="OperationAborted",
        service_message="A conflicting conditional operation is currently in progress",
        http_status_code=409,
        expected_params=PUT,
    )
    stub.add_response("put_bucket_replication", {}, PUT)
    configuration(stub, CONFIG)
    result, code = run(s3, monkeypatch, capsys)
    assert code == 0, result
    assert result["changed"] is True

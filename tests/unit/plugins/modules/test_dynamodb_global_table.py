"""dynamodb_global_table against botocore Stubbers: one stubbed client per (service, region).

Every request is checked against the API model and the expected parameters (expected_params);
every reply against the model. A request nobody queued fails, and each Stubber must be drained.
A shared log of every request (service, region, operation) proves the order across regions.
"""

import contextlib
import copy
import datetime
import json
import types

import pytest
from ansible.module_utils.testing import patch_module_args
from ansible_collections.amazon.aws.plugins.module_utils import modules as aws_modules
from ansible_collections.finproc.dr.plugins.modules import dynamodb_global_table
from aws_stub import stubbed_client
from botocore.stub import ANY

ACCOUNT = "123456789012"
NAME = "finproc-dev-transactions"
HOME, WEST, EU = "us-east-2", "us-west-2", "eu-west-1"
KEYS = {
    HOME: f"arn:aws:kms:{HOME}:{ACCOUNT}:key/1a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d",
    WEST: f"arn:aws:kms:{WEST}:{ACCOUNT}:key/0aa1b2c3-d4e5-f6a7-b8c9-d0e1f2a3b4c5",
    EU: f"arn:aws:kms:{EU}:{ACCOUNT}:key/9f8e7d6c-5b4a-4392-8170-6f5e4d3c2b1a",
}
TAGS = {"App": "finproc", "Environment": "dev"}
CREATED = datetime.datetime(2026, 11, 1, tzinfo=datetime.timezone.utc)
BY_NAME = {"TableName": NAME}
CLIENTS = [("dynamodb", HOME), ("dynamodb", WEST), ("dynamodb", EU), ("kms", HOME), ("kms", WEST)]
WRITES = {"CreateTable", "UpdateTable", "DeleteTable", "UpdateContinuousBackups", "TagResource", "UntagResource"}

ARGS = {
    "name": NAME,
    "hash_key_name": "transactionId",
    "kms_key_id": KEYS[HOME],
    "replicas": [{"region_name": WEST, "kms_key_id": KEYS[WEST]}],
    "point_in_time_recovery": True,
    "deletion_protection": True,
    "tags": TAGS,
}
CREATE = {
    "TableName": NAME,
    "KeySchema": [{"AttributeName": "transactionId", "KeyType": "HASH"}],
    "AttributeDefinitions": [{"AttributeName": "transactionId", "AttributeType": "S"}],
    "StreamSpecification": {"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"},
    "TableClass": "STANDARD",
    "DeletionProtectionEnabled": True,
    "BillingMode": "PAY_PER_REQUEST",
    "SSESpecification": {"Enabled": True, "SSEType": "KMS", "KMSMasterKeyId": KEYS[HOME]},
    "Tags": [{"Key": "App", "Value": "finproc"}, {"Key": "Environment", "Value": "dev"}],
}


# -- harness ---------------------------------------------------------------------------------------
class Aws:
    """The stubbed clients, the log of requests, and the clients the module asked for."""

    def __init__(self):
        self.clients, self.stubs, self.calls, self.connections, self.sent = {}, {}, [], [], []
        for service, region in CLIENTS:
            client, stub = stubbed_client(service, region)
            client.meta.events.register("before-parameter-build", self._recorder(service, region))
            self.clients[(service, region)], self.stubs[(service, region)] = client, stub

    def _recorder(self, service, region):
        def record(params, model, **kwargs):
            self.calls.append((service, region, model.name))
            self.sent.append((region, model.name, copy.deepcopy(params)))

        return record

    def ddb(self, region):
        return self.stubs[("dynamodb", region)]

    def kms(self, region):
        return self.stubs[("kms", region)]

    def params(self, region, operation):
        return [params for r, op, params in self.sent if (r, op) == (region, operation)]

    def writes(self):
        return [(region, op) for service, region, op in self.calls if op in WRITES]

    def connect(self, module, conn_type=None, resource=None, region=None, endpoint=None, **kw):
        self.connections.append((resource, region))
        if conn_type != "client" or (resource, region) not in self.clients:
            pytest.fail(f"unexpected connection: {conn_type} {resource} in {region}")
        return self.clients[(resource, region)]


@pytest.fixture
def aws(monkeypatch):
    fake = Aws()
    monkeypatch.setattr(aws_modules, "boto3_conn", fake.connect)
    monkeypatch.setattr("time.sleep", lambda seconds: None)  # polling and AWSRetry back-off
    with contextlib.ExitStack() as stack:
        for stub in fake.stubs.values():
            stack.enter_context(stub)
        yield fake
        for stub in fake.stubs.values():
            stub.assert_no_pending_responses()


def run(capsys, args, check_mode=False, diff=False):
    """Run the module with `args` in HOME; return (result dict, exit code)."""
    module_args = dict(args, region=HOME, _ansible_check_mode=check_mode, _ansible_diff=diff)
    with patch_module_args(module_args), pytest.raises(SystemExit) as exit_info:
        dynamodb_global_table.main()
    return json.loads(capsys.readouterr().out), exit_info.value.code


def args(**overrides):
    return dict(ARGS, **overrides)


# -- replies ---------------------------------------------------------------------------------------
def arn(region=HOME):
    return f"arn:aws:dynamodb:{region}:{ACCOUNT}:table/{NAME}"


def table(region=HOME, status="ACTIVE", replicas=None, protection=True, billing="PAY_PER_REQUEST", keys=None):
    """A DescribeTable `Table`; `replicas` maps the other regions to their ReplicaStatus."""
    keys = keys or [("transactionId", "HASH", "S")]
    reply = {
        "AttributeDefinitions": [{"AttributeName": n, "AttributeType": t} for n, _kind, t in keys],
        "TableName": NAME,
        "KeySchema": [{"AttributeName": n, "KeyType": k} for n, k, _type in keys],
        "TableStatus": status,
        "CreationDateTime": CREATED,
        "TableSizeBytes": 0,
        "ItemCount": 0,
        "TableArn": arn(region),
        "TableId": "4b8f7c1e-2d3a-4e5f-9a8b-7c6d5e4f3a2b",
        "BillingModeSummary": {"BillingMode": billing},
        "StreamSpecification": {"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"},
        "LatestStreamLabel": "2026-11-01T00:00:00.000",
        "LatestStreamArn": arn(region) + "/stream/2026-11-01T00:00:00.000",
        "GlobalTableVersion": "2019.11.21",
        "Replicas": [
            {
                "RegionName": name,
                "ReplicaStatus": replica_status,
                "KMSMasterKeyId": KEYS[name],
                "ReplicaTableClassSummary": {"TableClass": "STANDARD"},
            }
            for name, replica_status in (replicas or {}).items()
        ],
        "SSEDescription": {"Status": "ENABLED", "SSEType": "KMS", "KMSMasterKeyArn": KEYS[region]},
        "TableClassSummary": {"TableClass": "STANDARD"},
        "DeletionProtectionEnabled": protection,
    }
    if billing == "PROVISIONED":  # on-demand tables report zeros, which the API model's minimum of 1 refuses
        reply["ProvisionedThroughput"] = {"ReadCapacityUnits": 5, "WriteCapacityUnits": 5}
    return reply


def peer(region, **kw):
    """The table as DescribeTable shows it in a replica region."""
    return table(region, replicas={HOME: "ACTIVE"}, **kw)


def backups(enabled):
    return {
        "ContinuousBackupsDescription": {
            "ContinuousBackupsStatus": "ENABLED",
            "PointInTimeRecoveryDescription": {"PointInTimeRecoveryStatus": "ENABLED" if enabled else "DISABLED"},
        }
    }


def tag_list(tags):
    return [{"Key": k, "Value": v} for k, v in tags.items()]


# -- expected requests -----------------------------------------------------------------------------
def describe(aws, region, reply):
    aws.ddb(region).add_response("describe_table", {"Table": reply}, BY_NAME)


def missing(aws, region=HOME):
    aws.ddb(region).add_client_error(
        "describe_table", "ResourceNotFoundException", "Requested resource not found", expected_params=BY_NAME
    )


def region_state(aws, region, reply, pitr=True, tags=None):
    """What region_state reads: continuous backups and tags."""
    tags = TAGS if tags is None else tags
    aws.ddb(region).add_response("describe_continuous_backups", backups(pitr), BY_NAME)
    aws.ddb(region).add_response("list_tags_of_resource", {"Tags": tag_list(tags)}, {"ResourceArn": reply["TableArn"]})


def region_reads(region):
    """The calls one region's read makes, in order."""
    return [
        ("dynamodb", region, "DescribeTable"),
        ("dynamodb", region, "DescribeContinuousBackups"),
        ("dynamodb", region, "ListTagsOfResource"),
    ]


def reads(aws, region, reply, pitr=True, tags=None):
    """DescribeTable, then the region's state."""
    tags = TAGS if tags is None else tags
    describe(aws, region, reply)
    region_state(aws, region, reply, pitr, tags)


def settled(aws, replicas=(WEST,), home_pitr=True):
    """One whole read (GlobalTable.current) of a table with every setting as ARGS wants it."""
    reads(aws, HOME, table(replicas=dict.fromkeys(replicas, "ACTIVE")), pitr=home_pitr)
    for region in replicas:
        reads(aws, region, peer(region))


def update_table(aws, region, params, reply):
    aws.ddb(region).add_response("update_table", {"TableDescription": reply}, dict(BY_NAME, **params))


def enable_pitr(aws, region):
    aws.ddb(region).add_response(
        "update_continuous_backups",
        backups(True),
        dict(BY_NAME, PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": True}),
    )


def create_replica(aws, region=WEST, polls=("CREATING", "ACTIVE")):
    """UpdateTable with the replica's Create (and its key), then the wait for ACTIVE."""
    create = {"Create": {"RegionName": region, "KMSMasterKeyId": KEYS[region]}}
    update_table(aws, HOME, {"ReplicaUpdates": [create]}, table(status="UPDATING", replicas={region: "CREATING"}))
    for replica_status in polls:
        describe(aws, HOME, table(replicas={region: replica_status}))


def settle_new_replica(aws, region=WEST):
    """A new replica has no deletion protection, PITR or tags of its own: the module sets them there."""
    update_table(aws, region, {"DeletionProtectionEnabled": True}, peer(region))
    enable_pitr(aws, region)
    # compare_aws_tags goes through sets, so the order of the tags varies between runs: see tags_sent
    aws.ddb(region).add_response("tag_resource", {}, {"ResourceArn": arn(region), "Tags": ANY})


def tags_sent(aws, region):
    return [{t["Key"]: t["Value"] for t in params["Tags"]} for params in aws.params(region, "TagResource")]


def new_replica_reads(aws, region=WEST, home_pitr=True):
    """The read after a replica was created: home as it is, the replica bare."""
    reads(aws, HOME, table(replicas={region: "ACTIVE"}), pitr=home_pitr)
    reads(aws, region, peer(region, protection=False), pitr=False, tags={})


# In check mode a replica to create lists the settings the module would then make in its region
# (a new replica starts with no deletion protection, no PITR and no tags), after the existing regions'.
NEW_WEST_STEPS = [
    "enable deletion protection in us-west-2",
    "enable point-in-time recovery in us-west-2",
    "set tags App, Environment in us-west-2",
]


def region_view(region, pitr=True, protection=True, tags=None):
    tags = TAGS if tags is None else tags
    return {
        "kms_key_arn": KEYS[region],
        "point_in_time_recovery": pitr,
        "deletion_protection": protection,
        "tags": tags,
    }


def west_joins_and_home_gets_pitr(aws):
    """The calls of a run that adds the us-west-2 replica and turns PITR on at home, in order."""
    create_replica(aws)
    new_replica_reads(aws, home_pitr=False)
    enable_pitr(aws, HOME)
    settle_new_replica(aws)
    settled(aws)


# -- present ---------------------------------------------------------------------------------------
def test_creates_the_table_then_the_replica_then_the_settings_of_each_region(aws, capsys):
    missing(aws)
    aws.ddb(HOME).add_response("create_table", {"TableDescription": table(status="CREATING")}, CREATE)
    describe(aws, HOME, table(status="CREATING"))
    describe(aws, HOME, table())  # the wait's ACTIVE description is what converge_replicas works from
    region_state(aws, HOME, table(), pitr=False)
    west_joins_and_home_gets_pitr(aws)

    result, code = run(capsys, ARGS, diff=True)

    assert code == 0, result.get("msg")
    assert result["changed"] is True
    assert result["changes"] == [
        "create table in us-east-2",
        "create replica in us-west-2",
        "enable point-in-time recovery in us-east-2",
        "enable deletion protection in us-west-2",
        "enable point-in-time recovery in us-west-2",
        "set tags App, Environment in us-west-2",
    ]
    assert aws.writes() == [
        (HOME, "CreateTable"),
        (HOME, "UpdateTable"),
        (HOME, "UpdateContinuousBackups"),
        (WEST, "UpdateTable"),
        (WEST, "UpdateContinuousBackups"),
        (WEST, "TagResource"),
    ]
    assert tags_sent(aws, WEST) == [TAGS]
    # no DescribeTable between the home region's state and the replica's creation
    assert (
        aws.calls[:8]
        == [
            ("dynamodb", HOME, "DescribeTable"),
            ("dynamodb", HOME, "CreateTable"),
            ("dynamodb", HOME, "DescribeTable"),  # CREATING
            ("dynamodb", HOME, "DescribeTable"),  # ACTIVE: the wait's description is used from here on
            *region_reads(HOME)[1:],
            ("dynamodb", HOME, "UpdateTable"),
            ("dynamodb", HOME, "DescribeTable"),
        ]
    )
    assert result["table"]["table_arn"] == arn()
    assert result["table"]["replicas"][0]["region_name"] == WEST
    assert result["table"]["sse_description"]["kms_master_key_arn"] == KEYS[HOME]
    assert result["regions"] == {
        HOME: {"table_status": "ACTIVE", "point_in_time_recovery": True, "deletion_protection": True,
               "kms_key_arn": KEYS[HOME]},
        WEST: {"table_status": "ACTIVE", "point_in_time_recovery": True, "deletion_protection": True,
               "kms_key_arn": KEYS[WEST], "replica_status": "ACTIVE"},
    }  # fmt: skip
    assert result["diff"]["before"] == {}
    assert result["diff"]["after"]["regions"] == {HOME: region_view(HOME), WEST: region_view(WEST)}


@pytest.mark.parametrize(
    ("code", "status"), [("InternalServerError", 500), ("ServiceUnavailable", 503), ("ResourceInUseException", 400)]
)
def test_a_lost_create_table_answer_adopts_the_table_instead_of_failing(aws, capsys, code, status):
    """CreateTable answered 5xx (DynamoDB may have made it) or ResourceInUseException (it exists): the table of
    this name is looked up and used; ONE CreateTable."""
    missing(aws)
    aws.ddb(HOME).add_client_error("create_table", code, http_status_code=status, expected_params=CREATE)
    describe(aws, HOME, table(status="CREATING"))  # the look-up: there it is
    describe(aws, HOME, table())
    region_state(aws, HOME, table(), pitr=False)
    west_joins_and_home_gets_pitr(aws)

    result, code = run(capsys, ARGS)

    assert code == 0, result.get("msg")
    assert aws.writes().count((HOME, "CreateTable")) == 1
    assert result["changes"][0] == "create table in us-east-2"


def test_a_table_being_deleted_is_neither_adopted_after_a_lost_create_nor_converged(aws, capsys):
    """Right after destroy_data, CreateTable answers ResourceInUseException for the table DynamoDB is still
    deleting: that table is going, and the run stops saying so (not a timeout waiting for it to be ACTIVE)."""
    missing(aws)
    aws.ddb(HOME).add_client_error(
        "create_table", "ResourceInUseException", http_status_code=400, expected_params=CREATE
    )
    describe(aws, HOME, table(status="DELETING"))
    result, code = run(capsys, ARGS)
    assert code == 1
    assert "is being deleted (TableStatus DELETING)" in result["msg"]
    assert aws.writes() == [(HOME, "CreateTable")]


@pytest.mark.parametrize(("code", "status"), [("InternalServerError", 500), ("ValidationException", 400)])
def test_a_lost_replica_create_answer_counts_as_done_when_the_replica_is_there(aws, capsys, code, status):
    """The replica's Create answered 5xx, or refused as a replica that exists (the retry of a create carried
    out): the table's Replicas are read, the replica is there, the run goes on; ONE replica Create."""
    settled(aws, replicas=())
    create = {"Create": {"RegionName": WEST, "KMSMasterKeyId": KEYS[WEST]}}
    aws.ddb(HOME).add_client_error(
        "update_table", code, http_status_code=status, expected_params=dict(BY_NAME, ReplicaUpdates=[create])
    )
    describe(aws, HOME, table(status="UPDATING", replicas={WEST: "CREATING"}))  # the look-up
    describe(aws, HOME, table(replicas={WEST: "ACTIVE"}))  # the wait
    new_replica_reads(aws)
    settle_new_replica(aws)
    settled(aws)

    result, code = run(capsys, ARGS)

    assert code == 0, result.get("msg")
    assert [op for region, op in aws.writes() if region == HOME].count("UpdateTable") == 1


def test_a_busy_table_is_asked_again_for_the_replica(aws, capsys):
    settled(aws, replicas=())
    aws.ddb(HOME).add_client_error("update_table", "ResourceInUseException", http_status_code=400)
    create_replica(aws)
    new_replica_reads(aws)
    settle_new_replica(aws)
    settled(aws)

    result, code = run(capsys, ARGS)

    assert code == 0, result.get("msg")


def test_adds_a_replica_to_an_existing_table(aws, capsys):
    settled(aws, replicas=())
    create_replica(aws)
    new_replica_reads(aws)
    settle_new_replica(aws)
    settled(aws)

    result, code = run(capsys, ARGS)

    assert code == 0, result.get("msg")
    assert result["changed"] is True
    assert result["changes"] == [
        "create replica in us-west-2",
        "enable deletion protection in us-west-2",
        "enable point-in-time recovery in us-west-2",
        "set tags App, Environment in us-west-2",
    ]
    assert aws.writes() == [
        (HOME, "UpdateTable"),
        (WEST, "UpdateTable"),
        (WEST, "UpdateContinuousBackups"),
        (WEST, "TagResource"),
    ]
    assert tags_sent(aws, WEST) == [TAGS]
    assert sorted(result["regions"]) == [HOME, WEST]
    # home read once before the change (no re-read before converge_replicas), then the replica's creation
    creation = [("dynamodb", HOME, "UpdateTable"), ("dynamodb", HOME, "DescribeTable")]
    assert aws.calls[:5] == region_reads(HOME) + creation


def test_purge_replicas_deletes_an_unlisted_replica(aws, capsys):
    settled(aws)
    update_table(
        aws,
        HOME,
        {"ReplicaUpdates": [{"Delete": {"RegionName": WEST}}]},
        table(status="UPDATING", replicas={WEST: "DELETING"}),
    )
    describe(aws, HOME, table(replicas={WEST: "DELETING"}))
    describe(aws, HOME, table())
    settled(aws, replicas=())
    settled(aws, replicas=())

    result, code = run(capsys, args(replicas=[], purge_replicas=True), diff=True)

    assert code == 0, result.get("msg")
    assert result["changed"] is True
    assert result["changes"] == ["delete replica in us-west-2"]
    assert aws.writes() == [(HOME, "UpdateTable")]
    assert list(result["regions"]) == [HOME]
    assert result["table"]["replicas"] == []
    assert sorted(result["diff"]["before"]["regions"]) == [HOME, WEST]
    assert sorted(result["diff"]["after"]["regions"]) == [HOME]


def test_an_unlisted_replica_stays_without_purge_replicas(aws, capsys):
    settled(aws)

    result, code = run(capsys, args(replicas=[]))

    assert code == 0, result.get("msg")
    assert result["changed"] is False
    assert result["changes"] == []
    assert aws.writes() == []
    assert aws.calls == region_reads(HOME) + region_reads(WEST)
    assert sorted(result["regions"]) == [HOME, WEST]


def test_nothing_to_do_reads_each_thing_once(aws, capsys):
    settled(aws)

    result, code = run(capsys, ARGS, diff=True)

    assert code == 0, result.get("msg")
    assert result["changed"] is False
    assert result["changes"] == []
    assert aws.writes() == []
    assert aws.calls == region_reads(HOME) + region_reads(WEST)
    assert result["diff"]["before"] == result["diff"]["after"]
    assert result["regions"][WEST]["replica_status"] == "ACTIVE"
    assert result["table"]["table_status"] == "ACTIVE"


def test_check_mode_on_a_missing_table_lists_the_steps_and_writes_nothing(aws, capsys):
    missing(aws)

    result, code = run(capsys, ARGS, check_mode=True, diff=True)

    assert code == 0, result.get("msg")
    assert result["changed"] is True
    assert result["changes"] == [
        "create table in us-east-2",
        "create replica in us-west-2",
        "enable point-in-time recovery in us-east-2",  # a new table starts with PITR off
        *NEW_WEST_STEPS,
    ]
    assert aws.writes() == []
    assert aws.calls == [("dynamodb", HOME, "DescribeTable")]
    assert "table" not in result
    assert result["diff"]["before"] == {}
    assert result["diff"]["after"]["regions"] == {HOME: region_view(HOME), WEST: region_view(WEST)}


def test_check_mode_with_a_missing_replica_lists_its_steps_and_writes_nothing(aws, capsys):
    settled(aws, replicas=())

    result, code = run(capsys, ARGS, check_mode=True)

    assert code == 0, result.get("msg")
    assert result["changed"] is True
    assert result["changes"] == ["create replica in us-west-2", *NEW_WEST_STEPS]
    assert aws.writes() == []
    assert aws.calls == region_reads(HOME)  # nothing is read or written in us-west-2
    assert list(result["regions"]) == [HOME]  # as it is


def test_check_mode_without_protection_or_pitr_lists_only_the_tags_of_a_new_replica(aws, capsys):
    reads(aws, HOME, table(protection=False), pitr=False)

    result, code = run(
        capsys, args(point_in_time_recovery=False, deletion_protection=False), check_mode=True, diff=True
    )

    assert code == 0, result.get("msg")
    assert result["changed"] is True
    # a new replica starts with both off: nothing to disable there
    assert result["changes"] == ["create replica in us-west-2", "set tags App, Environment in us-west-2"]
    assert aws.writes() == []
    assert aws.calls == region_reads(HOME)
    assert result["diff"]["after"]["regions"] == {
        HOME: region_view(HOME, pitr=False, protection=False),
        WEST: region_view(WEST, pitr=False, protection=False),
    }


def test_check_mode_on_a_missing_table_without_protection_or_pitr(aws, capsys):
    missing(aws)

    result, code = run(capsys, args(point_in_time_recovery=False, deletion_protection=False), check_mode=True)

    assert code == 0, result.get("msg")
    assert result["changed"] is True
    # the table is created with protection off and its tags, PITR starts off: nothing more at home
    assert result["changes"] == [
        "create table in us-east-2",
        "create replica in us-west-2",
        "set tags App, Environment in us-west-2",
    ]
    assert aws.writes() == []
    assert aws.calls == [("dynamodb", HOME, "DescribeTable")]


def test_diff_shows_the_new_replica_and_the_pitr_change(aws, capsys):
    settled(aws, replicas=(), home_pitr=False)
    west_joins_and_home_gets_pitr(aws)

    result, code = run(capsys, ARGS, diff=True)

    assert code == 0, result.get("msg")
    assert result["diff"]["before"] == {
        "billing_mode": "PAY_PER_REQUEST",
        "stream_view_type": "NEW_AND_OLD_IMAGES",
        "table_class": "STANDARD",
        "regions": {HOME: region_view(HOME, pitr=False)},
    }
    assert result["diff"]["after"] == {
        "billing_mode": "PAY_PER_REQUEST",
        "stream_view_type": "NEW_AND_OLD_IMAGES",
        "table_class": "STANDARD",
        "regions": {HOME: region_view(HOME), WEST: region_view(WEST)},
    }


def test_diff_in_check_mode_shows_what_would_change(aws, capsys):
    settled(aws, replicas=(), home_pitr=False)

    result, code = run(capsys, ARGS, check_mode=True, diff=True)

    assert code == 0, result.get("msg")
    assert result["changes"] == [
        "create replica in us-west-2",
        "enable point-in-time recovery in us-east-2",  # the existing regions first, then the new replica
        *NEW_WEST_STEPS,
    ]
    assert aws.writes() == []
    assert aws.calls == region_reads(HOME)
    assert result["diff"]["before"]["regions"] == {HOME: region_view(HOME, pitr=False)}
    assert result["diff"]["after"]["regions"] == {HOME: region_view(HOME), WEST: region_view(WEST)}


def test_a_replica_stuck_in_creating_times_out_naming_region_status_and_step(aws, capsys, monkeypatch):
    clock = iter(range(0, 10_000, 4))
    monkeypatch.setattr(
        dynamodb_global_table, "time", types.SimpleNamespace(monotonic=lambda: next(clock), sleep=lambda s: None)
    )
    settled(aws, replicas=())
    create_replica(aws, polls=("CREATING", "CREATING", "CREATING"))  # t=4, 8, 12 against a deadline of 10

    result, code = run(capsys, args(wait_timeout=10))

    assert code == 1
    assert result["failed"] is True
    assert "timed out after 10 s" in result["msg"]
    assert "while creating the replica in us-west-2" in result["msg"]
    assert "replica in us-west-2: CREATING" in result["msg"]
    assert result["changes"] == ["create replica in us-west-2"]


def test_a_throttled_replica_update_is_retried(aws, capsys):
    settled(aws, replicas=())
    create = {"Create": {"RegionName": WEST, "KMSMasterKeyId": KEYS[WEST]}}
    aws.ddb(HOME).add_client_error(
        "update_table",
        "LimitExceededException",
        "Too many replica operations at once",
        expected_params=dict(BY_NAME, ReplicaUpdates=[create]),
    )
    create_replica(aws)
    new_replica_reads(aws)
    settle_new_replica(aws)
    settled(aws)

    result, code = run(capsys, ARGS)

    assert code == 0, result.get("msg")
    assert result["changed"] is True
    assert result["changes"][0] == "create replica in us-west-2"
    assert aws.writes()[:2] == [(HOME, "UpdateTable"), (HOME, "UpdateTable")]


def test_switching_to_provisioned_sends_the_capacities_with_the_billing_mode(aws, capsys):
    settled(aws, replicas=())
    update_table(
        aws,
        HOME,
        {"BillingMode": "PROVISIONED", "ProvisionedThroughput": {"ReadCapacityUnits": 5, "WriteCapacityUnits": 5}},
        table(status="UPDATING", billing="PROVISIONED"),
    )
    describe(aws, HOME, table(billing="PROVISIONED"))  # wait_active
    describe(aws, HOME, table(billing="PROVISIONED"))  # before converge_replicas, as a change was made
    settled(aws, replicas=())  # the final read; converge_replicas changed nothing, so no read after it

    provisioned = args(replicas=[], billing_mode="PROVISIONED", read_capacity=5, write_capacity=5)
    result, code = run(capsys, provisioned)

    assert code == 0, result.get("msg")
    assert result["changes"] == ["update BillingMode of the table in us-east-2"]
    assert aws.writes() == [(HOME, "UpdateTable")]


def test_a_key_schema_change_fails_without_writing(aws, capsys):
    settled(aws, replicas=())

    result, code = run(capsys, args(hash_key_name="accountId", range_key_name="transactionId"))

    assert code == 1
    assert "the key schema of table finproc-dev-transactions" in result["msg"]
    assert "cannot be changed" in result["msg"]
    assert aws.writes() == []


def test_a_key_type_change_fails_without_writing(aws, capsys):
    settled(aws, replicas=())  # transactionId is S

    result, code = run(capsys, args(replicas=[], hash_key_type="N"))

    assert code == 1
    assert "the key schema of table finproc-dev-transactions" in result["msg"]
    assert "cannot be changed" in result["msg"]
    assert "'S'" in result["msg"] and "'N'" in result["msg"]
    assert aws.writes() == []


def test_tags_on_two_pages_are_read_together(aws, capsys):
    describe(aws, HOME, table())
    aws.ddb(HOME).add_response("describe_continuous_backups", backups(True), BY_NAME)
    aws.ddb(HOME).add_response(
        "list_tags_of_resource",
        {"Tags": tag_list({"App": "finproc"}), "NextToken": "page-2"},
        {"ResourceArn": arn()},
    )
    aws.ddb(HOME).add_response(
        "list_tags_of_resource",
        {"Tags": tag_list({"Environment": "dev"})},
        {"ResourceArn": arn(), "NextToken": "page-2"},
    )

    result, code = run(capsys, args(replicas=[]), diff=True)

    assert code == 0, result.get("msg")
    assert result["changed"] is False
    assert result["changes"] == []
    assert aws.writes() == []
    assert result["diff"]["before"]["regions"][HOME]["tags"] == TAGS


def test_continuous_backups_unavailable_is_retried(aws, capsys):
    settled(aws, replicas=(), home_pitr=False)
    aws.ddb(HOME).add_client_error(
        "update_continuous_backups",
        "ContinuousBackupsUnavailableException",
        "Backups are being enabled for the table",
        expected_params=dict(BY_NAME, PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": True}),
    )
    enable_pitr(aws, HOME)
    settled(aws, replicas=())

    result, code = run(capsys, args(replicas=[]))

    assert code == 0, result.get("msg")
    assert result["changed"] is True
    assert result["changes"] == ["enable point-in-time recovery in us-east-2"]
    assert aws.writes() == [(HOME, "UpdateContinuousBackups"), (HOME, "UpdateContinuousBackups")]
    assert result["regions"][HOME]["point_in_time_recovery"] is True


# -- KMS -------------------------------------------------------------------------------------------
def key_metadata(region):
    return {
        "KeyMetadata": {
            "AWSAccountId": ACCOUNT,
            "KeyId": KEYS[region].rsplit("/", 1)[1],
            "Arn": KEYS[region],
            "Enabled": True,
            "KeyState": "Enabled",
            "KeyManager": "CUSTOMER",
        }
    }


def test_a_kms_alias_is_resolved_to_the_key_arn_used_by_create_table(aws, capsys):
    aws.kms(HOME).add_response("describe_key", key_metadata(HOME), {"KeyId": "alias/finproc-dev"})
    missing(aws)
    create = {k: v for k, v in CREATE.items() if k != "Tags"}
    aws.ddb(HOME).add_response("create_table", {"TableDescription": table(status="CREATING")}, create)
    describe(aws, HOME, table())  # wait_active; no other DescribeTable until the final read
    region_state(aws, HOME, table(), pitr=False, tags={})
    reads(aws, HOME, table(), pitr=False, tags={})

    alias = {"name": NAME, "hash_key_name": "transactionId", "kms_key_id": "alias/finproc-dev"}
    result, code = run(capsys, dict(alias, point_in_time_recovery=False))

    assert code == 0, result.get("msg")
    assert result["changes"] == ["create table in us-east-2"]
    assert aws.calls[0] == ("kms", HOME, "DescribeKey")
    assert result["regions"][HOME]["kms_key_arn"] == KEYS[HOME]


def test_a_replica_alias_is_resolved_in_the_replica_region(aws, capsys):
    aws.kms(HOME).add_response("describe_key", key_metadata(HOME), {"KeyId": "alias/finproc-dev"})
    aws.kms(WEST).add_response("describe_key", key_metadata(WEST), {"KeyId": "alias/finproc-dev"})
    settled(aws, replicas=())

    replica = [{"region_name": WEST, "kms_key_id": "alias/finproc-dev"}]
    result, code = run(capsys, args(kms_key_id="alias/finproc-dev", replicas=replica), check_mode=True, diff=True)

    assert code == 0, result.get("msg")
    assert result["changes"] == ["create replica in us-west-2", *NEW_WEST_STEPS]
    assert aws.writes() == []
    assert result["diff"]["after"]["regions"][WEST]["kms_key_arn"] == KEYS[WEST]


# -- the replicas' keys ----------------------------------------------------------------------------
# A replica's key is read from its own DescribeTable (SSEDescription.KMSMasterKeyArn, "The KMS key
# ARN used for the KMS encryption"), and only where that is missing from the home region's
# Replicas[].KMSMasterKeyId, whose format the API reference leaves open and which AWS may leave out
# (https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_ReplicaDescription.html,
# "ReplicaDescription - Amazon DynamoDB"; seen as a bare key ID in aws/aws-cdk#35136, empty in
# hashicorp/terraform-provider-aws#37335). Keys are compared by key ID.
OTHER_WEST = f"arn:aws:kms:{WEST}:{ACCOUNT}:key/5d4c3b2a-1f0e-4d9c-8b7a-6f5e4d3c2b1a"
UNSET = object()


def key_id(arn_of_key):
    return arn_of_key.rsplit("/", 1)[1]


def keyed(home_field=UNSET, own_key=UNSET):
    """The home table (its Replicas[] entry for WEST holds `home_field`, None = left out) and the
    replica's own table (its SSEDescription names `own_key`, None = no SSEDescription)."""
    home = table(replicas={WEST: "ACTIVE"})
    if home_field is None:
        del home["Replicas"][0]["KMSMasterKeyId"]
    elif home_field is not UNSET:
        home["Replicas"][0]["KMSMasterKeyId"] = home_field
    west = peer(WEST)
    if own_key is None:
        del west["SSEDescription"]
    elif own_key is not UNSET:
        west["SSEDescription"]["KMSMasterKeyArn"] = own_key
    return home, west


def keyed_reads(aws, home_field=UNSET, own_key=UNSET):
    home, west = keyed(home_field, own_key)
    reads(aws, HOME, home)
    reads(aws, WEST, west)


def change_west_key(aws):
    """The one UpdateTable that re-keys the WEST replica (with the key ARN), and the wait for ACTIVE."""
    update = {"Update": {"RegionName": WEST, "KMSMasterKeyId": KEYS[WEST]}}
    update_table(aws, HOME, {"ReplicaUpdates": [update]}, table(status="UPDATING", replicas={WEST: "UPDATING"}))
    describe(aws, HOME, table(replicas={WEST: "ACTIVE"}))


KEY_WARNING = "reports no KMS key for the replica in us-west-2"


def key_warnings(result):
    """The module's warnings about unknown replica keys (a warning is a str, or a dict in newer ansible-core)."""
    texts = [w["event"]["msg"] if isinstance(w, dict) else w for w in result.get("warnings", [])]
    return [text for text in texts if KEY_WARNING in text]


@pytest.mark.parametrize(
    "home_field, own_key",
    [
        (UNSET, UNSET),  # both the key ARN
        (key_id(KEYS[WEST]), UNSET),  # the home region answers the key ID (aws/aws-cdk#35136)
        (None, UNSET),  # the home region leaves the field out (terraform-provider-aws#37335)
        (OTHER_WEST, UNSET),  # a stale or odd home answer: the replica's own description decides
        (key_id(KEYS[WEST]), None),  # no SSEDescription in the replica's region: the home's key ID
        (KEYS[WEST], None),  # ... or its key ARN
    ],
    ids=["arn-arn", "home-key-id", "home-missing", "home-other", "no-own-sse-home-key-id", "no-own-sse-home-arn"],
)
def test_a_converged_replica_key_is_not_updated_whatever_form_aws_answers_in(aws, capsys, home_field, own_key):
    keyed_reads(aws, home_field, own_key)

    result, code = run(capsys, ARGS, diff=True)

    assert code == 0, result.get("msg")
    assert result["changed"] is False
    assert result["changes"] == []
    assert aws.writes() == []
    assert aws.calls == region_reads(HOME) + region_reads(WEST)  # no other call: the replica is read anyway
    assert result["regions"][WEST]["kms_key_arn"] == KEYS[WEST]  # the same key, shown in one form
    assert result["diff"]["before"] == result["diff"]["after"]
    assert key_warnings(result) == []


def test_a_replica_key_given_as_key_id_is_resolved_once_and_compared_by_key_id(aws, capsys):
    aws.kms(WEST).add_response("describe_key", key_metadata(WEST), {"KeyId": key_id(KEYS[WEST])})
    keyed_reads(aws, home_field=key_id(KEYS[WEST]))

    result, code = run(capsys, args(replicas=[{"region_name": WEST, "kms_key_id": key_id(KEYS[WEST])}]))

    assert code == 0, result.get("msg")
    assert result["changed"] is False
    assert [c for c in aws.calls if c[0] == "kms"] == [("kms", WEST, "DescribeKey")]


@pytest.mark.parametrize(
    "home_field, own_key",
    [
        (UNSET, OTHER_WEST),  # the replica's own description names another key (the home's still the old)
        (KEYS[WEST], OTHER_WEST),  # ... even where the home region's field names the wanted one
        (key_id(OTHER_WEST), None),  # no SSEDescription in the replica's region, the home names another key
    ],
    ids=["own-other", "own-other-home-wanted", "no-own-sse-home-other-key-id"],
)
def test_a_real_key_change_is_one_update_with_the_key_arn(aws, capsys, home_field, own_key):
    if home_field is UNSET:
        home_field = OTHER_WEST
    keyed_reads(aws, home_field, own_key)
    change_west_key(aws)
    settled(aws)  # the read after the replica change
    settled(aws)  # the final read

    result, code = run(capsys, ARGS, diff=True)

    assert code == 0, result.get("msg")
    assert result["changed"] is True
    assert result["changes"] == ["change the KMS key of the replica in us-west-2"]
    assert aws.writes() == [(HOME, "UpdateTable")]
    assert aws.params(HOME, "UpdateTable") == [
        dict(BY_NAME, ReplicaUpdates=[{"Update": {"RegionName": WEST, "KMSMasterKeyId": KEYS[WEST]}}])
    ]
    assert result["diff"]["before"]["regions"][WEST]["kms_key_arn"] in (OTHER_WEST, key_id(OTHER_WEST))
    assert result["diff"]["after"]["regions"][WEST]["kms_key_arn"] == KEYS[WEST]


def test_check_mode_lists_the_key_change_and_writes_nothing(aws, capsys):
    keyed_reads(aws, own_key=OTHER_WEST)

    result, code = run(capsys, ARGS, check_mode=True, diff=True)

    assert code == 0, result.get("msg")
    assert result["changed"] is True
    assert result["changes"] == ["change the KMS key of the replica in us-west-2"]
    assert aws.writes() == []
    assert aws.calls == region_reads(HOME) + region_reads(WEST)
    assert result["diff"]["before"]["regions"][WEST]["kms_key_arn"] == OTHER_WEST
    assert result["diff"]["after"]["regions"] == {HOME: region_view(HOME), WEST: region_view(WEST)}


@pytest.mark.parametrize("check_mode", [False, True], ids=["run", "check-mode"])
def test_a_replica_key_nobody_reports_is_left_alone_with_one_warning(aws, capsys, check_mode):
    keyed_reads(aws, home_field=None, own_key=None)

    result, code = run(capsys, ARGS, check_mode=check_mode, diff=True)

    assert code == 0, result.get("msg")
    assert result["changed"] is False  # unknown is not different
    assert result["changes"] == []
    assert aws.writes() == []
    warnings = key_warnings(result)
    assert len(warnings) == 1, result.get("warnings")
    assert "table-sse-kms" in warnings[0]
    assert result["regions"][WEST]["kms_key_arn"] is None


# -- absent ----------------------------------------------------------------------------------------
ABSENT = {"name": NAME, "state": "absent"}


def test_absent_refuses_to_delete_a_protected_table(aws, capsys):
    settled(aws)

    result, code = run(capsys, ABSENT)

    assert code == 1
    assert "refusing to delete table finproc-dev-transactions" in result["msg"]
    assert "us-east-2, us-west-2" in result["msg"]
    assert aws.writes() == []


def test_absent_with_protection_off_deletes_replicas_then_the_table(aws, capsys):
    settled(aws)
    update_table(aws, HOME, {"DeletionProtectionEnabled": False}, table(replicas={WEST: "ACTIVE"}, protection=False))
    update_table(aws, WEST, {"DeletionProtectionEnabled": False}, peer(WEST, protection=False))
    update_table(
        aws,
        HOME,
        {"ReplicaUpdates": [{"Delete": {"RegionName": WEST}}]},
        table(status="UPDATING", replicas={WEST: "DELETING"}, protection=False),
    )
    describe(aws, HOME, table(replicas={WEST: "DELETING"}, protection=False))
    describe(aws, HOME, table(protection=False))
    aws.ddb(HOME).add_response(
        "delete_table", {"TableDescription": table(status="DELETING", protection=False)}, BY_NAME
    )
    describe(aws, HOME, table(status="DELETING", protection=False))
    missing(aws)

    result, code = run(capsys, dict(ABSENT, deletion_protection=False), diff=True)

    assert code == 0, result.get("msg")
    assert result["changed"] is True
    assert result["changes"] == [
        "disable deletion protection in us-east-2",
        "disable deletion protection in us-west-2",
        "delete replica in us-west-2",
        "delete table in us-east-2",
    ]
    assert aws.writes() == [(HOME, "UpdateTable"), (WEST, "UpdateTable"), (HOME, "UpdateTable"), (HOME, "DeleteTable")]
    assert aws.calls[-1] == ("dynamodb", HOME, "DescribeTable")
    assert "table" not in result
    assert result["diff"]["after"] == {}


def test_absent_when_missing_is_no_change(aws, capsys):
    missing(aws)

    result, code = run(capsys, ABSENT)

    assert code == 0, result.get("msg")
    assert result["changed"] is False
    assert result["changes"] == []


# -- validation ------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "overrides, message",
    [
        ({"name": "ab"}, "table name 'ab'"),
        ({"name": "finproc dev"}, "table name 'finproc dev'"),
        ({"billing_mode": "PROVISIONED"}, "billing_mode PROVISIONED needs read_capacity and write_capacity"),
        ({"billing_mode": "PROVISIONED", "read_capacity": 5}, "needs read_capacity and write_capacity"),
        (
            {"replicas": [{"region_name": WEST}, {"region_name": EU}, {"region_name": WEST}]},
            "replicas lists a region twice",
        ),
    ],
    ids=["short-name", "space-in-name", "provisioned-no-capacity", "provisioned-no-write", "replica-twice"],
)
def test_bad_input_fails_before_any_aws_call(aws, capsys, overrides, message):
    result, code = run(capsys, args(**overrides))

    assert code == 1
    assert result["failed"] is True
    assert message in result["msg"]
    assert aws.connections == []
    assert aws.calls == []

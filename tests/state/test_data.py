"""The data role's state: the global table in every region, the buckets and their replication.

What verify.yml does not check: the table's billing mode, its exact set of replicas, each replica's key as the
primary lists it, each region's table ACTIVE, an item replicated, Name tags; the bucket's algorithm, bucket key,
ACLs, upload policy and lifecycle; the replication rules' ids, role, metrics threshold, delete markers and replica
modifications; the replication role. The rest is verify.yml's (table-replica-active, table-sse-kms, table-pitr,
table-deletion-protection, table-streams, bucket-versioning, bucket-sse-kms, bucket-public-access-blocked,
bucket-tls-only, bucket-replication-rtc, tags: see conftest.py).
"""

import json
import time
import uuid

import boto3
from conftest import Aws, assert_acls_disabled, assert_named, assert_tagged, key_arn, tags_of


def _primary(all_expected):
    return next(e for e in all_expected if e["dr_role"] == "primary")


def _table_name(expected):
    """data_table_name, as the data role has it (molecule verify writes it)."""
    return expected["table_name"]


def _bucket(aws, expected):
    """data_bucket_name of the region, as the data role has it."""
    return expected["bucket_name"]


def test_the_global_table_has_an_active_replica_in_every_other_region(aws, expected, all_expected):
    primary = _primary(all_expected)
    home = Aws(primary["region"])
    table = home.dynamodb.describe_table(TableName=_table_name(expected))["Table"]
    # ACTIVE with ACTIVE replicas: table-replica-active; stream: table-streams; the primary's key: table-sse-kms.
    assert table["BillingModeSummary"]["BillingMode"] == "PAY_PER_REQUEST"
    replicas = {r["RegionName"]: r for r in table.get("Replicas", [])}
    others = {e["region"] for e in all_expected} - {primary["region"]}
    # Exactly these (table-replica-active holds to at least these).
    assert set(replicas) == others
    if expected["region"] != primary["region"]:
        replica = replicas[expected["region"]]
        # As the primary lists it (table-sse-kms reads the replica's own DescribeTable first).
        assert replica["KMSMasterKeyId"] == key_arn(aws, expected), "the replica must use its region's key"


def test_every_region_of_the_table_is_active_and_named(aws, expected):
    """Deletion protection: table-deletion-protection; PITR: table-pitr; required tags: tags."""
    name = _table_name(expected)
    table = aws.dynamodb.describe_table(TableName=name)["Table"]
    assert table["TableStatus"] == "ACTIVE"
    tags = aws.dynamodb.list_tags_of_resource(ResourceArn=table["TableArn"])["Tags"]
    assert_named(f"table in {expected['region']}", tags_of({"Tags": tags}), name)


def test_an_item_written_in_the_primary_is_read_in_this_region(aws, expected, all_expected):
    primary = _primary(all_expected)
    name = _table_name(expected)
    item_id = "verify-" + uuid.uuid4().hex
    Aws(primary["region"]).dynamodb.put_item(
        TableName=name, Item={"transactionId": {"S": item_id}, "amount": {"N": "42"}}
    )
    deadline = time.monotonic() + 60
    while True:
        item = aws.dynamodb.get_item(TableName=name, Key={"transactionId": {"S": item_id}}).get("Item")
        if item or time.monotonic() > deadline:
            break
        time.sleep(1)
    assert item == {"transactionId": {"S": item_id}, "amount": {"N": "42"}}


def test_the_bucket_uses_kms_with_a_bucket_key_owns_its_objects_and_refuses_other_keys(aws, expected):
    """Versioning: bucket-versioning; the region's key: bucket-sse-kms; public access blocked:
    bucket-public-access-blocked; no request without TLS: bucket-tls-only; required tags: tags."""
    bucket = _bucket(aws, expected)
    s3 = aws.s3
    rule = s3.get_bucket_encryption(Bucket=bucket)["ServerSideEncryptionConfiguration"]["Rules"][0]
    # aws:kms (bucket-sse-kms also takes aws:kms:dsse), with a bucket key (bucket-sse-kms only reports it).
    assert rule["ApplyServerSideEncryptionByDefault"]["SSEAlgorithm"] == "aws:kms"
    assert rule["BucketKeyEnabled"] is True
    assert_acls_disabled(s3, bucket)
    policy = {s["Sid"]: s for s in json.loads(s3.get_bucket_policy(Bucket=bucket)["Policy"])["Statement"]}
    assert policy["DenyUploadsNotEncryptedWithKms"]["Effect"] == "Deny"
    # Denied only when the header is present and wrong: an upload without SSE headers gets the default encryption.
    assert policy["DenyUploadsWithAnotherKey"]["Condition"] == {
        "Null": {"s3:x-amz-server-side-encryption-aws-kms-key-id": "false"},
        "StringNotEquals": {"s3:x-amz-server-side-encryption-aws-kms-key-id": key_arn(aws, expected)},
    }
    lifecycle = s3.get_bucket_lifecycle_configuration(Bucket=bucket)["Rules"]
    assert [r["NoncurrentVersionExpiration"]["NoncurrentDays"] for r in lifecycle] == [90]
    assert_named(f"bucket {bucket}", tags_of({"Tags": s3.get_bucket_tagging(Bucket=bucket)["TagSet"]}), bucket)


def test_replication_primary_to_each_secondary_and_back_with_rtc(aws, expected, all_expected):
    bucket = _bucket(aws, expected)
    config = aws.s3.get_bucket_replication(Bucket=bucket)["ReplicationConfiguration"]
    role_name = f"{expected['name_prefix']}-s3-replication-{expected['region']}"
    assert config["Role"].endswith(":role/" + role_name)
    if expected["dr_role"] == "primary":
        destinations = [e for e in all_expected if e["region"] != expected["region"]]
    else:
        destinations = [_primary(all_expected)]
    rules = {r["ID"]: r for r in config["Rules"]}
    # Exactly one rule per destination, named after it. bucket-replication-rtc finds each destination's rules
    # by bucket and checks them Enabled, with RTC 15 minutes, metrics on, SSE-KMS objects replicated with the
    # destination's key.
    assert set(rules) == {f"to-{d['region']}" for d in destinations}
    for dest in destinations:
        rule = rules[f"to-{dest['region']}"]
        assert rule["Destination"]["Metrics"] == {"Status": "Enabled", "EventThreshold": {"Minutes": 15}}
        assert rule["DeleteMarkerReplication"] == {"Status": "Enabled"}
        assert rule["SourceSelectionCriteria"]["ReplicaModifications"] == {"Status": "Enabled"}


def test_the_replication_role_names_its_buckets_and_keys(aws, expected, all_expected):
    role_name = f"{expected['name_prefix']}-s3-replication-{expected['region']}"
    iam = boto3.client("iam", region_name=expected["region"])
    role = iam.get_role(RoleName=role_name)["Role"]
    trust = role["AssumeRolePolicyDocument"]["Statement"]
    assert [s["Principal"] for s in trust] == [{"Service": "s3.amazonaws.com"}]
    # No aws:SourceArn/aws:SourceAccount: AWS does not document that S3 sends them (replication_trust.json.j2).
    assert "Condition" not in trust[0]
    assert iam.list_role_policies(RoleName=role_name)["PolicyNames"] == ["replicate-named-buckets"]
    assert iam.list_attached_role_policies(RoleName=role_name)["AttachedPolicies"] == []
    policy = iam.get_role_policy(RoleName=role_name, PolicyName="replicate-named-buckets")["PolicyDocument"]
    for statement in policy["Statement"]:
        resources = statement["Resource"] if isinstance(statement["Resource"], list) else [statement["Resource"]]
        assert "*" not in resources, statement["Sid"]
        actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
        assert not any(a.endswith(":*") for a in actions), statement["Sid"]
    assert_tagged("replication role", tags_of(role), expected, name=role_name)

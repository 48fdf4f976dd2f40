"""The data role's state: the global table in every region, the buckets and their replication."""

import json
import time
import uuid

import boto3
from conftest import Aws, assert_private, assert_tagged, key_arn, tags_of


def _primary(all_expected):
    return next(e for e in all_expected if e["dr_role"] == "primary")


def _table_name(expected):
    return f"{expected['name_prefix']}-transactions"


def _bucket(aws, expected):
    account = aws.sts.get_caller_identity()["Account"]
    return f"{expected['name_prefix']}-{account}-{expected['region']}"


def test_the_global_table_has_an_active_replica_in_every_other_region(aws, expected, all_expected):
    primary = _primary(all_expected)
    home = Aws(primary["region"])
    table = home.dynamodb.describe_table(TableName=_table_name(expected))["Table"]
    assert table["TableStatus"] == "ACTIVE"
    assert table["BillingModeSummary"]["BillingMode"] == "PAY_PER_REQUEST"
    assert table["StreamSpecification"] == {"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"}
    assert table["SSEDescription"]["SSEType"] == "KMS"
    assert table["SSEDescription"]["KMSMasterKeyArn"] == key_arn(home, primary)
    replicas = {r["RegionName"]: r for r in table.get("Replicas", [])}
    others = {e["region"] for e in all_expected} - {primary["region"]}
    assert set(replicas) == others
    if expected["region"] != primary["region"]:
        replica = replicas[expected["region"]]
        assert replica["ReplicaStatus"] == "ACTIVE"
        assert replica["KMSMasterKeyId"] == key_arn(aws, expected), "the replica must use its region's key"


def test_every_region_of_the_table_is_protected_recoverable_and_tagged(aws, expected):
    name = _table_name(expected)
    table = aws.dynamodb.describe_table(TableName=name)["Table"]
    assert table["TableStatus"] == "ACTIVE"
    assert table["DeletionProtectionEnabled"] is True
    backups = aws.dynamodb.describe_continuous_backups(TableName=name)["ContinuousBackupsDescription"]
    assert backups["PointInTimeRecoveryDescription"]["PointInTimeRecoveryStatus"] == "ENABLED"
    tags = aws.dynamodb.list_tags_of_resource(ResourceArn=table["TableArn"])["Tags"]
    assert_tagged(f"table in {expected['region']}", tags_of({"Tags": tags}), expected, name=name)


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


def test_the_bucket_is_versioned_encrypted_private_and_tls_only(aws, expected):
    bucket = _bucket(aws, expected)
    s3 = aws.s3
    assert s3.get_bucket_versioning(Bucket=bucket)["Status"] == "Enabled"
    rule = s3.get_bucket_encryption(Bucket=bucket)["ServerSideEncryptionConfiguration"]["Rules"][0]
    assert rule["ApplyServerSideEncryptionByDefault"] == {
        "SSEAlgorithm": "aws:kms",
        "KMSMasterKeyID": key_arn(aws, expected),
    }
    assert rule["BucketKeyEnabled"] is True
    assert_private(s3, bucket)
    policy = {s["Sid"]: s for s in json.loads(s3.get_bucket_policy(Bucket=bucket)["Policy"])["Statement"]}
    tls = policy["DenyInsecureTransport"]
    assert tls["Effect"] == "Deny" and tls["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
    assert policy["DenyUploadsNotEncryptedWithKms"]["Effect"] == "Deny"
    # Denied only when the header is present and wrong: an upload without SSE headers gets the default encryption.
    assert policy["DenyUploadsWithAnotherKey"]["Condition"] == {
        "Null": {"s3:x-amz-server-side-encryption-aws-kms-key-id": "false"},
        "StringNotEquals": {"s3:x-amz-server-side-encryption-aws-kms-key-id": key_arn(aws, expected)},
    }
    lifecycle = s3.get_bucket_lifecycle_configuration(Bucket=bucket)["Rules"]
    assert [r["NoncurrentVersionExpiration"]["NoncurrentDays"] for r in lifecycle] == [90]
    assert_tagged(
        f"bucket {bucket}", tags_of({"Tags": s3.get_bucket_tagging(Bucket=bucket)["TagSet"]}), expected, name=bucket
    )


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
    assert set(rules) == {f"to-{d['region']}" for d in destinations}
    for dest in destinations:
        rule = rules[f"to-{dest['region']}"]
        dest_aws = Aws(dest["region"])
        assert rule["Status"] == "Enabled"
        assert rule["Destination"]["Bucket"] == f"arn:aws:s3:::{_bucket(dest_aws, dest)}"
        assert rule["Destination"]["EncryptionConfiguration"] == {"ReplicaKmsKeyID": key_arn(dest_aws, dest)}
        assert rule["Destination"]["ReplicationTime"] == {"Status": "Enabled", "Time": {"Minutes": 15}}
        assert rule["Destination"]["Metrics"] == {"Status": "Enabled", "EventThreshold": {"Minutes": 15}}
        assert rule["DeleteMarkerReplication"] == {"Status": "Enabled"}
        assert rule["SourceSelectionCriteria"] == {
            "SseKmsEncryptedObjects": {"Status": "Enabled"},
            "ReplicaModifications": {"Status": "Enabled"},
        }


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

"""The data controls (plugins/module_utils/controls/data.py): the table and the bucket, against the
moto stack of live_stack.py, broken one thing at a time."""

from live_stack import (
    PREFIX,
    PRIMARY,
    SECONDARY,
    assert_broken,
    broken_cases,
    bucket_name,
    bucket_policy,
    by_id,
    client,
    put_replication,
    replicas,
    run,
)


BREAKS = [
    (
        "point-in-time recovery off",
        PRIMARY,
        lambda s: client("dynamodb", PRIMARY).update_continuous_backups(
            TableName=f"{PREFIX}-transactions",
            PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": False},
        ),
        {},
        {"table-pitr"},
        "point-in-time recovery DISABLED, wanted ENABLED",
    ),
    (
        "deletion protection off",
        SECONDARY,
        lambda s: client("dynamodb", SECONDARY).update_table(
            TableName=f"{PREFIX}-transactions", DeletionProtectionEnabled=False
        ),
        {},
        {"table-deletion-protection"},
        "deletion protection off",
    ),
    (
        "stream off",
        PRIMARY,
        lambda s: client("dynamodb", PRIMARY).update_table(
            TableName=f"{PREFIX}-transactions", StreamSpecification={"StreamEnabled": False}
        ),
        {},
        {"table-streams"},
        "no stream, wanted NEW_AND_OLD_IMAGES",
    ),
    (
        "bucket versioning suspended",
        SECONDARY,
        lambda s: client("s3", SECONDARY).put_bucket_versioning(
            Bucket=bucket_name(SECONDARY), VersioningConfiguration={"Status": "Suspended"}
        ),
        {},
        {"bucket-versioning"},
        "versioning Suspended, wanted Enabled",
    ),
    (
        "bucket encrypted with S3 keys",
        PRIMARY,
        lambda s: client("s3", PRIMARY).put_bucket_encryption(
            Bucket=bucket_name(PRIMARY),
            ServerSideEncryptionConfiguration={
                "Rules": [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}]
            },
        ),
        {},
        {"bucket-sse-kms"},
        "default encryption AES256, wanted aws:kms",
    ),
    (
        "a public access block flag off",
        PRIMARY,
        lambda s: client("s3", PRIMARY).put_public_access_block(
            Bucket=bucket_name(PRIMARY),
            PublicAccessBlockConfiguration={
                "BlockPublicAcls": True,
                "IgnorePublicAcls": True,
                "BlockPublicPolicy": True,
                "RestrictPublicBuckets": False,
            },
        ),
        {},
        {"bucket-public-access-blocked"},
        "RestrictPublicBuckets off",
    ),
    (
        "bucket policy without the TLS deny",
        SECONDARY,
        lambda s: client("s3", SECONDARY).put_bucket_policy(
            Bucket=bucket_name(SECONDARY), Policy=bucket_policy(SECONDARY, tls=False)
        ),
        {},
        {"bucket-tls-only"},
        "no statement denying s3:* to Principal * when aws:SecureTransport is false",
    ),
    (
        "TLS deny on the objects only",
        PRIMARY,
        lambda s: client("s3", PRIMARY).put_bucket_policy(
            Bucket=bucket_name(PRIMARY),
            Policy=bucket_policy(PRIMARY, tls_resources=[f"arn:aws:s3:::{bucket_name(PRIMARY)}/*"]),
        ),
        {},
        {"bucket-tls-only"},
        f"does not cover arn:aws:s3:::{bucket_name(PRIMARY)}",
    ),
    (
        "replication without RTC",
        PRIMARY,
        lambda s: put_replication(
            PRIMARY, [SECONDARY], s.keys, Destination__ReplicationTime={"Status": "Disabled", "Time": {"Minutes": 15}}
        ),
        {},
        {"bucket-replication-rtc"},
        "Replication Time Control Disabled 15 minutes, wanted Enabled 15 minutes",
    ),
    (
        "replicas encrypted with the source region's key",
        SECONDARY,
        lambda s: put_replication(
            SECONDARY,
            [PRIMARY],
            s.keys,
            Destination__EncryptionConfiguration={"ReplicaKmsKeyID": s[SECONDARY].key},
        ),
        {},
        {"bucket-replication-rtc"},
        "replica key arn:aws:kms:us-west-2",
    ),
    (
        "SSE-KMS objects not replicated",
        PRIMARY,
        lambda s: put_replication(
            PRIMARY, [SECONDARY], s.keys, SourceSelectionCriteria={"ReplicaModifications": {"Status": "Enabled"}}
        ),
        {},
        {"bucket-replication-rtc"},
        "SSE-KMS encrypted objects not replicated",
    ),
]


@broken_cases(BREAKS)
def test_one_thing_broken_fails_exactly_its_control(stack, monkeypatch, capsys, region, breaker, args, failed, text):
    assert_broken(stack, monkeypatch, capsys, region, breaker, args, failed, text)


def test_a_replica_without_its_own_sse_description_fails(stack, monkeypatch, capsys):
    """The region's own DescribeTable decides (SSEDescription.KMSMasterKeyArn, Amazon DynamoDB API
    Reference "SSEDescription"); the primary's Replicas[] is not read instead, even where it names
    the right key. (LocalStack, which described a replica's key only there, is mended in the
    emulator layer: scripts/emulator.py LOCALSTACK_FIXES.)"""
    primary_reply = replicas(stack)["DescribeTable"]

    def mend(region, parsed):
        primary_reply(region, parsed)
        if region == SECONDARY:
            parsed["Table"].pop("SSEDescription", None)

    result, _code, calls = run(stack, monkeypatch, capsys, SECONDARY, replies={"DescribeTable": mend})
    assert result["failed_controls"] == ["table-sse-kms"]
    (sse,) = by_id(result, "table-sse-kms")
    assert sse["detail"] == (
        f"no KMS key (an AWS owned key encrypts the table), wanted {stack[SECONDARY].key} "
        f"(read from DescribeTable in {SECONDARY})"
    )
    assert ("dynamodb", PRIMARY, "DescribeTable") not in calls


def test_a_replica_key_is_read_from_its_own_description(stack, monkeypatch, capsys):
    """SSEDescription.KMSMasterKeyArn of the region's own DescribeTable decides: the primary's
    Replicas[].KMSMasterKeyId naming another key changes nothing, and an SSEDescription without
    its key ARN fails."""
    result, _code, _calls = run(stack, monkeypatch, capsys, SECONDARY, replies=replicas(stack, key=stack[PRIMARY].key))
    (sse,) = by_id(result, "table-sse-kms")
    assert sse["passed"], sse
    assert sse["detail"].endswith(f"(read from DescribeTable in {SECONDARY})")

    primary_reply = replicas(stack, key=stack[SECONDARY].key)["DescribeTable"]

    def mend(region, parsed):
        primary_reply(region, parsed)
        if region == SECONDARY:
            parsed["Table"]["SSEDescription"].pop("KMSMasterKeyArn")

    result, _code, _calls = run(stack, monkeypatch, capsys, SECONDARY, replies={"DescribeTable": mend})
    assert result["failed_controls"] == ["table-sse-kms"]
    (sse,) = by_id(result, "table-sse-kms")
    assert "no KMS key" in sse["detail"]


def test_the_table_is_the_one_given(stack, monkeypatch, capsys):
    """table_name (the data role's data_table_name) names the table every table control reads."""
    table_controls = [
        "table-replica-active",
        "table-sse-kms",
        "table-pitr",
        "table-deletion-protection",
        "table-streams",
    ]
    result, _code, _calls = run(stack, monkeypatch, capsys, PRIMARY, controls=table_controls)
    assert result["passed"] is True, result["failed_controls"]
    result, _code, _calls = run(
        stack, monkeypatch, capsys, PRIMARY, controls=table_controls, table_name=f"{PREFIX}-ledger"
    )
    assert result["failed_controls"] == table_controls
    assert {e["detail"] for e in result["controls"]} == {f"table {PREFIX}-ledger not found in {PRIMARY}"}
    assert {e["resource"] for e in result["controls"]} == {f"{PREFIX}-ledger"}


def test_the_buckets_are_the_ones_given(stack, monkeypatch, capsys):
    """bucket_names (each host's data_bucket_name) names the region's bucket and the destinations."""
    given = {PRIMARY: bucket_name(PRIMARY), SECONDARY: bucket_name(SECONDARY)}
    result, _code, _calls = run(
        stack, monkeypatch, capsys, PRIMARY, controls=["bucket-replication-rtc"], bucket_names=given
    )
    assert result["passed"] is True, result["controls"]
    result, _code, _calls = run(
        stack,
        monkeypatch,
        capsys,
        PRIMARY,
        controls=["bucket-versioning", "bucket-replication-rtc"],
        bucket_names={SECONDARY: "another-bucket"},
    )
    (replication,) = by_id(result, "bucket-replication-rtc")
    assert replication["resource"] == f"{bucket_name(PRIMARY)} -> another-bucket"
    assert replication["detail"] == "no replication rule to arn:aws:s3:::another-bucket"
    assert by_id(result, "bucket-versioning")[0]["passed"]
    result, _code, _calls = run(
        stack, monkeypatch, capsys, PRIMARY, controls=["bucket-versioning"], bucket_names={PRIMARY: "another-bucket"}
    )
    assert by_id(result, "bucket-versioning")[0]["detail"] == "bucket another-bucket not found"

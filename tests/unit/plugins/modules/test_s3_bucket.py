"""s3_bucket against a botocore Stubber (every request and reply checked against the S3 model).

The Get* answers are those of the S3 API reference (GetBucketVersioning, GetBucketEncryption,
GetPublicAccessBlock, GetBucketOwnershipControls, GetBucketPolicy, GetBucketTagging,
GetBucketLifecycleConfiguration: https://docs.aws.amazon.com/AmazonS3/latest/API/API_Operations_Amazon_Simple_Storage_Service.html);
a setting the bucket does not have is an error ("Error responses", List of error codes,
https://docs.aws.amazon.com/AmazonS3/latest/API/ErrorResponses.html).
"""

import copy
import json

import pytest
from aws_stub import record_requests, run_module

from ansible_collections.finproc.dr.plugins.modules import s3_bucket

ACCOUNT = "123456789012"
NAME = f"finproc-dev-{ACCOUNT}-us-east-2"
BY_NAME = {"Bucket": NAME}
KEY = f"arn:aws:kms:us-east-2:{ACCOUNT}:key/11111111-2222-4333-8444-555555555555"
OTHER_KEY = f"arn:aws:kms:us-east-2:{ACCOUNT}:key/99999999-2222-4333-8444-555555555555"
POLICY = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Sid": "TlsOnly",
            "Effect": "Deny",
            "Principal": "*",
            "Action": "s3:*",
            "Resource": [f"arn:aws:s3:::{NAME}", f"arn:aws:s3:::{NAME}/*"],
            "Condition": {"Bool": {"aws:SecureTransport": "false"}},
        }
    ],
}
TAGS = {"finproc:stack": "finproc-dev", "Name": NAME}
OUR_RULE = {
    "ID": "noncurrent-versions",
    "Filter": {"Prefix": ""},
    "Status": "Enabled",
    "NoncurrentVersionExpiration": {"NoncurrentDays": 30},
    "AbortIncompleteMultipartUpload": {"DaysAfterInitiation": 7},
}
FOREIGN_RULE = {"ID": "someone-elses", "Filter": {"Prefix": "tmp/"}, "Status": "Enabled", "Expiration": {"Days": 1}}
ARGS = {
    "name": NAME,
    "versioning": True,
    "encryption": "aws:kms",
    "encryption_key_id": KEY,
    "bucket_key_enabled": True,
    "public_access": {
        "block_public_acls": True,
        "ignore_public_acls": True,
        "block_public_policy": True,
        "restrict_public_buckets": True,
    },
    "object_ownership": "BucketOwnerEnforced",
    "policy": json.dumps(POLICY),
    "tags": TAGS,
    "purge_tags": True,
    "lifecycle_rules": [
        {
            "id": "noncurrent-versions",
            "noncurrent_version_expiration_days": 30,
            "abort_incomplete_multipart_upload_days": 7,
        }
    ],
}
BLOCK = {"BlockPublicAcls": True, "IgnorePublicAcls": True, "BlockPublicPolicy": True, "RestrictPublicBuckets": True}


def encryption(key=KEY, bucket_key=True, algorithm="aws:kms"):
    default = {"SSEAlgorithm": algorithm}
    if key:
        default["KMSMasterKeyID"] = key
    return {"Rules": [{"ApplyServerSideEncryptionByDefault": default, "BucketKeyEnabled": bucket_key}]}


def tag_set(tags):
    return [{"Key": key, "Value": tags[key]} for key in sorted(tags)]


# What each Get* answers for the bucket as ARGS wants it.
IN_LINE = {
    "get_bucket_versioning": {"Status": "Enabled"},
    "get_bucket_encryption": {"ServerSideEncryptionConfiguration": encryption()},
    "get_public_access_block": {"PublicAccessBlockConfiguration": BLOCK},
    "get_bucket_ownership_controls": {"OwnershipControls": {"Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]}},
    "get_bucket_policy": {"Policy": json.dumps(POLICY)},
    "get_bucket_tagging": {"TagSet": tag_set(TAGS)},
    "get_bucket_lifecycle_configuration": {"Rules": [OUR_RULE]},
}
# The writes that bring each setting back to ARGS.
REPAIRS = {
    "versioning": ("PutBucketVersioning", {"VersioningConfiguration": {"Status": "Enabled"}}),
    "encryption": ("PutBucketEncryption", {"ServerSideEncryptionConfiguration": encryption()}),
    "public_access_block": ("PutPublicAccessBlock", {"PublicAccessBlockConfiguration": BLOCK}),
    "object_ownership": (
        "PutBucketOwnershipControls",
        {"OwnershipControls": {"Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]}},
    ),
    "policy": ("PutBucketPolicy", {"Policy": json.dumps(POLICY, sort_keys=True)}),
    "tags": ("PutBucketTagging", {"Tagging": {"TagSet": tag_set(TAGS)}}),
    "lifecycle_rules": ("PutBucketLifecycleConfiguration", {"LifecycleConfiguration": {"Rules": [OUR_RULE]}}),
}


# A waiter's status matcher reads the HTTP status, which a stubbed answer has only when given.
HEAD_OK = {"ResponseMetadata": {"HTTPStatusCode": 200}}


def reads(stub, **answers):
    """Queue the seven reads; `answers` replaces one (a dict answer, or an error code string)."""
    for operation, answer in IN_LINE.items():
        answer = answers.get(operation, answer)
        if isinstance(answer, str):
            stub.add_client_error(operation, answer, http_status_code=404, expected_params=BY_NAME)
        else:
            stub.add_response(operation, copy.deepcopy(answer), BY_NAME)


def missing(stub):
    stub.add_client_error("get_bucket_versioning", "NoSuchBucket", http_status_code=404, expected_params=BY_NAME)


def put(stub, api, params):
    operation = {
        "PutBucketVersioning": "put_bucket_versioning",
        "PutBucketEncryption": "put_bucket_encryption",
        "PutPublicAccessBlock": "put_public_access_block",
        "PutBucketOwnershipControls": "put_bucket_ownership_controls",
        "PutBucketPolicy": "put_bucket_policy",
        "PutBucketTagging": "put_bucket_tagging",
        "PutBucketLifecycleConfiguration": "put_bucket_lifecycle_configuration",
    }[api]
    stub.add_response(operation, {}, dict(BY_NAME, **params))


def writes(sent):
    return [(op, params) for op, params in sent if not op.startswith(("Get", "Head"))]


def run(s3, monkeypatch, capsys, args=None, **kw):
    return run_module(s3_bucket.main, ARGS if args is None else args, s3[0], monkeypatch, capsys, **kw)


CREATE = dict(
    BY_NAME, CreateBucketConfiguration={"LocationConstraint": "us-east-2"}, ObjectOwnership="BucketOwnerEnforced"
)
NEW_BUCKET_WRITES = [
    "PutBucketVersioning",
    "PutBucketEncryption",
    "PutPublicAccessBlock",
    "PutBucketPolicy",
    "PutBucketTagging",
    "PutBucketLifecycleConfiguration",
]


def test_create_in_us_east_2_sets_the_region_and_ownership_at_birth_then_every_setting_block_before_policy(
    s3, monkeypatch, capsys
):
    client, stub = s3
    sent = record_requests(client)
    missing(stub)
    stub.add_response("create_bucket", {"Location": "/" + NAME}, CREATE)
    stub.add_response("head_bucket", HEAD_OK, BY_NAME)  # the BucketExists waiter
    for api in NEW_BUCKET_WRITES:
        put(stub, *REPAIRS[dict((v[0], k) for k, v in REPAIRS.items())[api]])

    result, code = run(s3, monkeypatch, capsys)

    assert code == 0, result
    assert result["changed"] is True and result["exists"] is True
    operations = [op for op, _params in sent]
    assert operations == ["GetBucketVersioning", "CreateBucket", "HeadBucket"] + NEW_BUCKET_WRITES
    assert operations.index("PutPublicAccessBlock") < operations.index("PutBucketPolicy")
    assert "PutBucketOwnershipControls" not in operations  # set by CreateBucket
    assert result["bucket"]["arn"] == "arn:aws:s3:::" + NAME
    assert result["bucket"]["policy"] == POLICY
    assert result["bucket"]["lifecycle_rules"] == [OUR_RULE]
    assert result["diff"]["before"] == {}


def test_a_new_bucket_not_yet_visible_to_a_put_is_retried_and_only_right_after_its_create(
    s3, monkeypatch, capsys, instant_backoff
):
    """S3 bucket configurations are eventually consistent (client.JUST_CREATED_CODES["s3"]): a Put right
    after the create may answer NoSuchBucket; it is sent again, not failed."""
    client, stub = s3
    sent = record_requests(client)
    missing(stub)
    stub.add_response("create_bucket", {"Location": "/" + NAME}, CREATE)
    stub.add_response("head_bucket", HEAD_OK, BY_NAME)
    stub.add_client_error("put_bucket_versioning", "NoSuchBucket", http_status_code=404)
    for api in NEW_BUCKET_WRITES:
        put(stub, *REPAIRS[dict((v[0], k) for k, v in REPAIRS.items())[api]])

    result, code = run(s3, monkeypatch, capsys)

    assert code == 0, result
    assert [op for op, _params in sent].count("PutBucketVersioning") == 2
    assert [op for op, _params in writes(sent)][-len(NEW_BUCKET_WRITES) :] == NEW_BUCKET_WRITES


def test_no_op_reads_only_what_it_manages_and_writes_nothing(s3, monkeypatch, capsys):
    client, stub = s3
    sent = record_requests(client)
    reads(stub)

    result, code = run(s3, monkeypatch, capsys)

    assert code == 0, result
    assert result["changed"] is False
    assert result["diff"] == {"before": {}, "after": {}}
    assert writes(sent) == []
    assert [op for op, _params in sent] == [
        "GetBucketVersioning",
        "GetBucketEncryption",
        "GetPublicAccessBlock",
        "GetBucketOwnershipControls",
        "GetBucketPolicy",
        "GetBucketTagging",
        "GetBucketLifecycleConfiguration",
    ]
    assert result["exists"] is True
    assert result["bucket"]["public_access_block"] == dict.fromkeys(
        ["block_public_acls", "ignore_public_acls", "block_public_policy", "restrict_public_buckets"], True
    )


def test_policy_compared_as_amazon_aws_does_statement_values_in_another_order(s3, monkeypatch, capsys):
    client, stub = s3
    sent = record_requests(client)
    reordered = copy.deepcopy(POLICY)
    reordered["Statement"][0]["Resource"].reverse()
    reads(stub, get_bucket_policy={"Policy": json.dumps(reordered)})

    result, code = run(s3, monkeypatch, capsys)

    assert code == 0 and result["changed"] is False and writes(sent) == []


RULE_90 = dict(OUR_RULE, NoncurrentVersionExpiration={"NoncurrentDays": 90})
DRIFTS = {
    "versioning suspended": ("versioning", {"get_bucket_versioning": {"Status": "Suspended"}}),
    "other KMS key": (
        "encryption",
        {"get_bucket_encryption": {"ServerSideEncryptionConfiguration": encryption(OTHER_KEY)}},
    ),
    "bucket key off": (
        "encryption",
        {"get_bucket_encryption": {"ServerSideEncryptionConfiguration": encryption(bucket_key=False)}},
    ),
    "a public-access flag off": (
        "public_access_block",
        {"get_public_access_block": {"PublicAccessBlockConfiguration": dict(BLOCK, RestrictPublicBuckets=False)}},
    ),
    "ownership": (
        "object_ownership",
        {"get_bucket_ownership_controls": {"OwnershipControls": {"Rules": [{"ObjectOwnership": "ObjectWriter"}]}}},
    ),
    "policy": ("policy", {"get_bucket_policy": {"Policy": json.dumps(dict(POLICY, Statement=[]))}}),
    "policy removed": ("policy", {"get_bucket_policy": "NoSuchBucketPolicy"}),
    "a tag changed": ("tags", {"get_bucket_tagging": {"TagSet": tag_set(dict(TAGS, Name="other"))}}),
    "a tag added": ("tags", {"get_bucket_tagging": {"TagSet": tag_set(dict(TAGS, Extra="x"))}}),
    "our lifecycle rule changed": ("lifecycle_rules", {"get_bucket_lifecycle_configuration": {"Rules": [RULE_90]}}),
    "our lifecycle rule gone": (
        "lifecycle_rules",
        {"get_bucket_lifecycle_configuration": "NoSuchLifecycleConfiguration"},
    ),
}


@pytest.mark.parametrize("drift", sorted(DRIFTS))
def test_drift_is_reported_in_check_mode_for_that_setting_only_and_nothing_written(drift, s3, monkeypatch, capsys):
    client, stub = s3
    sent = record_requests(client)
    setting, answers = DRIFTS[drift]
    reads(stub, **answers)

    result, code = run(s3, monkeypatch, capsys, check_mode=True, diff=True)

    assert code == 0, result
    assert result["changed"] is True
    assert writes(sent) == []
    assert list(result["diff"]["after"]) == [setting]
    assert list(result["diff"]["before"]) in ([setting], [])
    assert result["diff"]["before"] != result["diff"]["after"]


@pytest.mark.parametrize("drift", sorted(DRIFTS))
def test_drift_is_repaired_with_that_settings_put_only(drift, s3, monkeypatch, capsys):
    client, stub = s3
    sent = record_requests(client)
    setting, answers = DRIFTS[drift]
    reads(stub, **answers)
    put(stub, *REPAIRS[setting])

    result, code = run(s3, monkeypatch, capsys)

    assert code == 0, result
    assert result["changed"] is True
    assert [op for op, _params in writes(sent)] == [REPAIRS[setting][0]]


def test_the_diff_of_a_drift_names_the_values(s3, monkeypatch, capsys):
    _client, stub = s3
    reads(stub, get_bucket_encryption={"ServerSideEncryptionConfiguration": encryption(OTHER_KEY, bucket_key=False)})

    result, _code = run(s3, monkeypatch, capsys, check_mode=True, diff=True)

    assert result["diff"] == {
        "before": {
            "encryption": {"sse_algorithm": "aws:kms", "kms_master_key_id": OTHER_KEY, "bucket_key_enabled": False}
        },
        "after": {"encryption": {"sse_algorithm": "aws:kms", "kms_master_key_id": KEY, "bucket_key_enabled": True}},
    }


def test_a_foreign_lifecycle_rule_is_kept_and_alone_writes_nothing(s3, monkeypatch, capsys):
    client, stub = s3
    sent = record_requests(client)
    reads(stub, get_bucket_lifecycle_configuration={"Rules": [FOREIGN_RULE, OUR_RULE]})

    result, code = run(s3, monkeypatch, capsys)

    assert code == 0 and result["changed"] is False and writes(sent) == []
    assert result["bucket"]["lifecycle_rules"] == [FOREIGN_RULE, OUR_RULE]


def test_our_rule_changed_beside_a_foreign_one_sends_both_the_foreign_one_unchanged(s3, monkeypatch, capsys):
    client, stub = s3
    sent = record_requests(client)
    reads(stub, get_bucket_lifecycle_configuration={"Rules": [FOREIGN_RULE, RULE_90]})
    put(stub, "PutBucketLifecycleConfiguration", {"LifecycleConfiguration": {"Rules": [FOREIGN_RULE, OUR_RULE]}})

    result, code = run(s3, monkeypatch, capsys)

    assert code == 0, result
    assert result["changed"] is True
    assert [op for op, _params in writes(sent)] == ["PutBucketLifecycleConfiguration"]


def test_an_older_rule_with_a_top_level_prefix_is_the_same_rule(s3, monkeypatch, capsys):
    client, stub = s3
    sent = record_requests(client)
    older = dict((k, v) for k, v in OUR_RULE.items() if k != "Filter")
    older["Prefix"] = ""
    reads(stub, get_bucket_lifecycle_configuration={"Rules": [older]})

    result, code = run(s3, monkeypatch, capsys)

    assert code == 0 and result["changed"] is False and writes(sent) == []


def test_check_mode_on_a_missing_bucket_reads_once_writes_nothing_and_shows_it_whole(s3, monkeypatch, capsys):
    client, stub = s3
    sent = record_requests(client)
    missing(stub)

    result, code = run(s3, monkeypatch, capsys, check_mode=True, diff=True)

    assert code == 0, result
    assert [op for op, _params in sent] == ["GetBucketVersioning"]
    assert result["changed"] is True and result["exists"] is False
    assert result["diff"] == {
        "before": {},
        "after": {
            "versioning": "Enabled",
            "encryption": {"sse_algorithm": "aws:kms", "kms_master_key_id": KEY, "bucket_key_enabled": True},
            "public_access_block": dict.fromkeys(
                ["block_public_acls", "ignore_public_acls", "block_public_policy", "restrict_public_buckets"], True
            ),
            "object_ownership": "BucketOwnerEnforced",
            "policy": POLICY,
            "tags": TAGS,
            "lifecycle_rules": [OUR_RULE],
        },
    }


def test_check_mode_before_the_key_exists_shows_the_bucket_with_its_key_unknown(s3, monkeypatch, capsys):
    """A check run on an empty account: the key the bucket will use is created by the same run, so
    the role passes no ARN yet; check mode says what it would create instead of failing."""
    client, stub = s3
    sent = record_requests(client)
    missing(stub)

    result, code = run(s3, monkeypatch, capsys, dict(ARGS, encryption_key_id=""), check_mode=True, diff=True)

    assert code == 0, result
    assert [op for op, _params in sent] == ["GetBucketVersioning"]
    assert result["changed"] is True and result["exists"] is False
    assert result["diff"]["after"]["encryption"] == {
        "sse_algorithm": "aws:kms",
        "kms_master_key_id": "",
        "bucket_key_enabled": True,
    }


def test_a_lost_create_answer_is_looked_up_and_the_bucket_adopted_not_created_again(
    s3, monkeypatch, capsys, instant_backoff
):
    client, stub = s3
    sent = record_requests(client)
    missing(stub)
    stub.add_client_error("create_bucket", "InternalError", http_status_code=500, expected_params=CREATE)
    stub.add_response("head_bucket", {}, BY_NAME)  # the look-up: it exists, the lost call made it
    stub.add_response("head_bucket", HEAD_OK, BY_NAME)  # the BucketExists waiter
    reads(stub, get_bucket_tagging="NoSuchTagSet")
    put(stub, *REPAIRS["tags"])

    result, code = run(s3, monkeypatch, capsys)

    assert code == 0, result
    assert [op for op, _params in sent].count("CreateBucket") == 1
    assert [op for op, _params in writes(sent)] == ["CreateBucket", "PutBucketTagging"]
    assert result["changed"] is True and result["exists"] is True


def test_bucket_already_owned_by_you_is_adopted(s3, monkeypatch, capsys, instant_backoff):
    client, stub = s3
    sent = record_requests(client)
    missing(stub)
    stub.add_client_error("create_bucket", "BucketAlreadyOwnedByYou", http_status_code=409, expected_params=CREATE)
    stub.add_response("head_bucket", {}, BY_NAME)
    stub.add_response("head_bucket", HEAD_OK, BY_NAME)
    reads(stub)

    result, code = run(s3, monkeypatch, capsys)

    assert code == 0, result
    assert [op for op, _params in writes(sent)] == ["CreateBucket"]


def test_bucket_already_exists_fails_naming_the_bucket(s3, monkeypatch, capsys):
    client, stub = s3
    sent = record_requests(client)
    missing(stub)
    stub.add_client_error("create_bucket", "BucketAlreadyExists", http_status_code=409, expected_params=CREATE)

    result, code = run(s3, monkeypatch, capsys)

    assert code == 1
    assert result["failed"] is True
    assert NAME in result["msg"] and "another AWS account" in result["msg"]
    assert [op for op, _params in writes(sent)] == ["CreateBucket"]


def test_aes256_bucket_compares_no_key(s3, monkeypatch, capsys):
    client, stub = s3
    sent = record_requests(client)
    args = dict(ARGS, encryption="AES256", encryption_key_id=None, bucket_key_enabled=False)
    reads(stub, get_bucket_encryption={"ServerSideEncryptionConfiguration": encryption(None, False, "AES256")})

    result, code = run(s3, monkeypatch, capsys, args=args)

    assert code == 0 and result["changed"] is False and writes(sent) == []


@pytest.mark.parametrize(
    "args, message",
    [
        (dict(ARGS, encryption_key_id=None), "needs encryption_key_id"),
        (dict(ARGS, policy="{not json"), "policy is not JSON"),
        (
            dict(ARGS, lifecycle_rules=[{"id": "a", "expiration_days": 1}, {"id": "a", "expiration_days": 2}]),
            "listed 2 times",
        ),
        (dict(ARGS, lifecycle_rules=[{"id": "a"}]), "at least one"),
    ],
)
def test_bad_options_fail_before_any_call(args, message, s3, monkeypatch, capsys):
    client, _stub = s3
    sent = record_requests(client)

    result, code = run(s3, monkeypatch, capsys, args=args)

    assert code == 1 and message in result["msg"] and sent == []


def test_the_buckets_transition_minimum_size_is_sent_back_with_the_rules(s3, monkeypatch, capsys):
    """PutBucketLifecycleConfiguration without TransitionDefaultMinimumObjectSize sets the default
    ("PutBucketLifecycleConfiguration", https://docs.aws.amazon.com/AmazonS3/latest/API/API_PutBucketLifecycleConfiguration.html)."""
    _client, stub = s3
    size = "varies_by_storage_class"
    reads(stub, get_bucket_lifecycle_configuration={"Rules": [RULE_90], "TransitionDefaultMinimumObjectSize": size})
    put(
        stub,
        "PutBucketLifecycleConfiguration",
        {"LifecycleConfiguration": {"Rules": [OUR_RULE]}, "TransitionDefaultMinimumObjectSize": size},
    )

    result, code = run(s3, monkeypatch, capsys)

    assert code == 0 and result["changed"] is True
    assert "transition_default_minimum_object_size" not in result["bucket"]

# -*- coding: utf-8 -*-
# Copyright: finproc.dr contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Data controls: the global table (replicas, encryption, PITR, deletion protection, stream) and
the region's bucket (versioning, encryption, public access, TLS only, replication with RTC)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json

from ansible_collections.finproc.dr.plugins.module_utils.controls.base import (
    control, covers, key_matches, tls_deny_resources)

# S3 Replication Time Control: 15 minutes is the only time S3 offers (Amazon S3 API Reference,
# "ReplicationTimeValue": "Minutes ... Valid value: 15",
# https://docs.aws.amazon.com/AmazonS3/latest/API/API_ReplicationTimeValue.html).
RTC_MINUTES = 15


@control(
    "table-replica-active",
    "Global table ACTIVE with an ACTIVE replica in every other region",
    resource=lambda s: s.table_name,
)
def table_replica_active(ctx):
    s = ctx.stack
    if not s.is_primary:
        return
    table = s.need_table()
    problems = []
    if table.get("TableStatus") != "ACTIVE":
        problems.append("table %s, wanted ACTIVE" % table.get("TableStatus"))
    replicas = dict((r["RegionName"], r) for r in table.get("Replicas") or [])
    for region in s.other_regions:
        if region not in replicas:
            problems.append("no replica in %s" % region)
        elif replicas[region].get("ReplicaStatus") != "ACTIVE":
            problems.append("replica in %s is %s" % (region, replicas[region].get("ReplicaStatus")))
    if problems:
        yield table["TableArn"], False, "; ".join(problems)
    elif s.other_regions:
        yield table["TableArn"], True, "ACTIVE; replicas ACTIVE in %s" % ", ".join(s.other_regions)
    else:
        yield table["TableArn"], True, "ACTIVE; the stack has no other region"


@control("table-sse-kms", "Table encrypted with the region's KMS key", resource=lambda s: s.table_name)
def table_sse_kms(ctx):
    s = ctx.stack
    table = s.need_table()
    key = s.need_key()
    # The region's own DescribeTable describes the encryption of the table or replica there:
    # SSEDescription.KMSMasterKeyArn, "The KMS key ARN used for the KMS encryption" (Amazon DynamoDB
    # API Reference, "SSEDescription",
    # https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_SSEDescription.html); where
    # it names no key, no key of the account encrypts the table.
    sse = table.get("SSEDescription") or {}
    where = "DescribeTable in %s" % s.region
    found = sse.get("KMSMasterKeyArn")
    problems = []
    if sse and (sse.get("Status") != "ENABLED" or sse.get("SSEType") != "KMS"):
        problems.append("SSE %s %s, wanted KMS ENABLED" % (sse.get("SSEType"), sse.get("Status")))
    if not found and not problems:
        problems.append("no KMS key (an AWS owned key encrypts the table)")
    elif found and not key_matches(found, key, s.alias):
        problems.append("encrypted with %s" % found)
    if problems:
        yield table["TableArn"], False, "%s, wanted %s (read from %s)" % ("; ".join(problems), key["Arn"], where)
    else:
        yield table["TableArn"], True, "encrypted with %s (read from %s)" % (key["Arn"], where)


@control("table-pitr", "Table point-in-time recovery enabled", resource=lambda s: s.table_name)
def table_pitr(ctx):
    s = ctx.stack
    table = s.need_table()
    backups = s.client("dynamodb").describe_continuous_backups(aws_retry=True, TableName=s.table_name)
    status = backups["ContinuousBackupsDescription"].get("PointInTimeRecoveryDescription", {}).get(
        "PointInTimeRecoveryStatus")
    if status == "ENABLED":
        yield table["TableArn"], True, "point-in-time recovery ENABLED"
    else:
        yield table["TableArn"], False, "point-in-time recovery %s, wanted ENABLED" % status


@control("table-deletion-protection", "Table deletion protection enabled", resource=lambda s: s.table_name)
def table_deletion_protection(ctx):
    table = ctx.stack.need_table()
    if table.get("DeletionProtectionEnabled"):
        yield table["TableArn"], True, "deletion protection on"
    else:
        yield table["TableArn"], False, "deletion protection off"


@control("table-streams", "Table stream with new and old images", resource=lambda s: s.table_name)
def table_streams(ctx):
    table = ctx.stack.need_table()
    stream = table.get("StreamSpecification") or {}
    if stream.get("StreamEnabled") and stream.get("StreamViewType") == "NEW_AND_OLD_IMAGES":
        yield table["TableArn"], True, "stream NEW_AND_OLD_IMAGES"
    elif not stream.get("StreamEnabled"):
        yield table["TableArn"], False, "no stream, wanted NEW_AND_OLD_IMAGES"
    else:
        yield table["TableArn"], False, "stream %s, wanted NEW_AND_OLD_IMAGES" % stream.get("StreamViewType")


@control("bucket-versioning", "Bucket versioning enabled", resource=lambda s: s.bucket_name)
def bucket_versioning(ctx):
    s = ctx.stack
    status = s.bucket_call("get_bucket_versioning", []).get("Status")
    if status == "Enabled":
        yield s.bucket_name, True, "versioning Enabled"
    else:
        yield s.bucket_name, False, "versioning %s, wanted Enabled" % (status or "never enabled")


@control("bucket-sse-kms", "Bucket default encryption SSE-KMS with the region's key",
         resource=lambda s: s.bucket_name)
def bucket_sse_kms(ctx):
    s = ctx.stack
    config = s.bucket_call("get_bucket_encryption", ["ServerSideEncryptionConfigurationNotFoundError"])
    key = s.need_key()
    rules = (config or {}).get("ServerSideEncryptionConfiguration", {}).get("Rules", [])
    if not rules:
        yield s.bucket_name, False, "no default encryption, wanted SSE-KMS with %s" % key["Arn"]
        return
    default = rules[0].get("ApplyServerSideEncryptionByDefault", {})
    algorithm = default.get("SSEAlgorithm")
    found = default.get("KMSMasterKeyID")
    bucket_key = "bucket key %s" % ("on" if rules[0].get("BucketKeyEnabled") else "off")
    if algorithm not in ("aws:kms", "aws:kms:dsse"):
        yield s.bucket_name, False, "default encryption %s, wanted aws:kms with %s" % (algorithm, key["Arn"])
    elif not key_matches(found, key, s.alias):
        yield s.bucket_name, False, "SSE-KMS with %s, wanted %s" % (
            found or "the AWS managed key aws/s3", key["Arn"])
    else:
        yield s.bucket_name, True, "SSE-KMS with %s (%s)" % (key["Arn"], bucket_key)


@control(
    "bucket-public-access-blocked",
    "Bucket blocks public access (all four settings)",
    resource=lambda s: s.bucket_name,
)
def bucket_public_access_blocked(ctx):
    s = ctx.stack
    found = s.bucket_call("get_public_access_block", ["NoSuchPublicAccessBlockConfiguration"])
    flags = (found or {}).get("PublicAccessBlockConfiguration", {})
    names = ("BlockPublicAcls", "IgnorePublicAcls", "BlockPublicPolicy", "RestrictPublicBuckets")
    off = [name for name in names if flags.get(name) is not True]
    if found is None:
        yield s.bucket_name, False, "no public access block on the bucket"
    elif off:
        yield s.bucket_name, False, "%s off (all four must be on)" % ", ".join(off)
    else:
        yield s.bucket_name, True, "all four public access block settings on"


@control("bucket-tls-only", "Bucket policy denies requests without TLS", resource=lambda s: s.bucket_name)
def bucket_tls_only(ctx):
    s = ctx.stack
    found = s.bucket_call("get_bucket_policy", ["NoSuchBucketPolicy"])
    if found is None:
        yield s.bucket_name, False, "no bucket policy: requests without TLS are not denied"
        return
    arn = s.bucket_arn(s.bucket_name)
    resources = tls_deny_resources(json.loads(found["Policy"]))
    # The bucket itself, and any object (a pattern that covers arn/* covers every key).
    uncovered = [name for name, probe in ((arn, arn), (arn + "/*", arn + "/any-object"))
                 if not covers(resources, probe)]
    if not resources:
        yield s.bucket_name, False, ("the policy has no statement denying s3:* to Principal * when "
                                     "aws:SecureTransport is false")
    elif uncovered:
        yield s.bucket_name, False, "the deny without TLS does not cover %s" % ", ".join(uncovered)
    else:
        yield s.bucket_name, True, "s3:* denied on the bucket and its objects when aws:SecureTransport is false"


@control(
    "bucket-replication-rtc",
    "Bucket replicates with RTC and metrics, SSE-KMS objects with the destination's key",
    resource=lambda s: s.bucket_name,
)
def bucket_replication_rtc(ctx):
    s = ctx.stack
    if s.is_primary:
        destinations = s.other_regions
    else:
        destinations = [p["region"] for p in s.peers if p["dr_role"] == "primary" and p["region"] != s.region]
    if not destinations:
        yield s.bucket_name, True, "the stack has no other region: nothing to replicate"
        return
    for region in destinations:
        resource = "%s -> %s" % (s.bucket_name, s.bucket_of(region))
        yield ctx.guard(resource, lambda region=region, resource=resource: replication_to(ctx, region, resource))


def replication_to(ctx, region, resource):
    s = ctx.stack
    found = s.bucket_call("get_bucket_replication", ["ReplicationConfigurationNotFoundError"])
    if found is None:
        return resource, False, "no replication configuration"
    destination = s.bucket_arn(s.bucket_of(region))
    rules = found.get("ReplicationConfiguration", {}).get("Rules", [])
    to_destination = [r for r in rules if r.get("Destination", {}).get("Bucket") == destination]
    if not to_destination:
        return resource, False, "no replication rule to %s" % destination
    key = s.key(region)
    problems = []
    for rule in to_destination:
        problems.extend("rule %s: %s" % (rule.get("ID"), p) for p in replication_problems(ctx, rule, key))
    if key is None:
        problems.append("no KMS key %s in %s to replicate SSE-KMS objects with" % (s.alias, region))
    if problems:
        return resource, False, "; ".join(problems)
    return resource, True, "rule %s: Enabled, RTC %d minutes, metrics on, SSE-KMS objects with %s" % (
        ", ".join(r.get("ID", "") for r in to_destination), RTC_MINUTES, key["Arn"])


def replication_problems(ctx, rule, key):
    problems = []
    if rule.get("Status") != "Enabled":
        problems.append("status %s" % rule.get("Status"))
    destination = rule.get("Destination", {})
    rtc = destination.get("ReplicationTime") or {}
    if rtc.get("Status") != "Enabled" or (rtc.get("Time") or {}).get("Minutes") != RTC_MINUTES:
        problems.append("Replication Time Control %s %s minutes, wanted Enabled %d minutes" % (
            rtc.get("Status", "off"), (rtc.get("Time") or {}).get("Minutes"), RTC_MINUTES))
    if (destination.get("Metrics") or {}).get("Status") != "Enabled":
        problems.append("replication metrics off")
    criteria = (rule.get("SourceSelectionCriteria") or {}).get("SseKmsEncryptedObjects") or {}
    if criteria.get("Status") != "Enabled":
        problems.append("SSE-KMS encrypted objects not replicated")
    replica_key = (destination.get("EncryptionConfiguration") or {}).get("ReplicaKmsKeyID")
    if key is not None and not key_matches(replica_key, key, ctx.stack.alias):
        problems.append("replica key %s, wanted %s" % (replica_key, key["Arn"]))
    return problems

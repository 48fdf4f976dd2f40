# -*- coding: utf-8 -*-
# Copyright: finproc.dr contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Every permission path the DR stack depends on, in ONE place, and their evaluation.

``access_paths(stack)`` lists the paths: who (principal) does what (action) on which resource with
which request context, which policies decide it (symbolic references, resolved later), whether AWS
must allow it (``expect=True``) or refuse it (``expect=False``), and the AWS documentation page that
states the requirement. ``evaluate_paths(paths, resolve)`` evaluates them with the IAM evaluator of
``iam_policy`` on documents found by ``resolve(reference)``: the unit tests resolve the documents the
roles' templates render, ``dr_controls_info`` (verify.yml) the live documents.

The request contexts hold what AWS documents it sends, nothing more: a condition on a key AWS does
not send would make the real request fail, so adding keys here "to make a row pass" would hide
exactly the faults this table exists to find.

References (tuples):
  ("role-policy", role name, policy name)  an inline policy of an IAM role (identity policy)
  ("trust", role name)                     the role's trust policy (AssumeRolePolicyDocument)
  ("key-policy", region)                   the key policy of the stack's key alias/<prefix> there
  ("bucket-policy", bucket name)           a bucket policy
  ("topic-policy", topic ARN)              a topic's access policy (Policy attribute)
  ("function-policy", region)              the health monitor function's resource policy there
  ("given", name)                          a document of this module (GIVEN), e.g. the policy an
                                           application role would hold: not something we deploy
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.finproc.dr.plugins.module_utils.iam_policy import Request, is_allowed

# What the roles name (roles/*/vars/main.yml, roles/*/defaults/main.yml); dr_controls_info and the
# tests take every name from here. The table's name is a setting (data_table_name, the stack's
# table_name); this is its default, <prefix>-transactions.
TABLE_SUFFIX = "-transactions"
REPLICATION_POLICY = "replicate-named-buckets"
MONITOR_POLICY = "health-monitor"
FLOW_LOGS_POLICY = "write-flow-log-group"
# files/health_check.py HEARTBEAT_PREFIX and roles/monitoring/vars/main.yml monitoring_heartbeat_key_prefix.
HEARTBEAT_PREFIX = "finproc-monitor#heartbeat#"
# An object key, a log stream, an item key that the stack never names itself (any would do).
OBJECT_KEY = "access-path/probe.json"
LOG_STREAM = "2026/01/01/[$LATEST]0123456789abcdef"
TRANSACTION_KEY = "txn-0001"

# The documentation each row cites: (URL, page title). The requirement is quoted next to the rows.
DOCS = {
    "s3-replication-kms": (
        "https://docs.aws.amazon.com/AmazonS3/latest/userguide/replication-config-for-kms-objects.html",
        "Replicating encrypted objects (SSE-C, SSE-S3, SSE-KMS, DSSE-KMS)",
    ),
    "s3-replication-permissions": (
        "https://docs.aws.amazon.com/AmazonS3/latest/userguide/setting-repl-config-perm-overview.html",
        "Setting up permissions for live replication",
    ),
    "dynamodb-kms": (
        "https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/encryption.howitworks.html",
        "DynamoDB encryption at rest: How it works",
    ),
    "dynamodb-leading-keys": (
        "https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/specifying-conditions.html",
        "Using IAM policy conditions for fine-grained access control",
    ),
    "lambda-execution-role": (
        "https://docs.aws.amazon.com/lambda/latest/dg/lambda-intro-execution-role.html",
        "Defining Lambda function permissions with an execution role",
    ),
    "lambda-logs": (
        "https://docs.aws.amazon.com/lambda/latest/dg/monitoring-cloudwatchlogs.html",
        "Sending Lambda function logs to CloudWatch Logs",
    ),
    "cloudwatch-namespace": (
        "https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/iam-cw-condition-keys-namespace.html",
        "Using condition keys to limit access to CloudWatch namespaces",
    ),
    "route53-health-check-status": (
        "https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonroute53.html",
        "Actions, resources, and condition keys for Amazon Route 53 (GetHealthCheckStatus: healthcheck)",
    ),
    "sns-kms": (
        "https://docs.aws.amazon.com/sns/latest/dg/sns-key-management.html#compatibility-with-aws-services",
        "Managing Amazon SNS encryption keys: Enable compatibility between event sources from AWS services "
        "and encrypted topics",
    ),
    "sns-default-policy": (
        "https://docs.aws.amazon.com/sns/latest/dg/sns-access-policy-use-cases.html",
        "Amazon SNS access control case examples",
    ),
    "logs-kms": (
        "https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/encrypt-log-data-kms.html",
        "Encrypt log data in CloudWatch Logs using AWS Key Management Service",
    ),
    "flow-logs-role": (
        "https://docs.aws.amazon.com/vpc/latest/userguide/flow-logs-iam-role.html",
        "IAM role for publishing flow logs to CloudWatch Logs",
    ),
    "eventbridge-lambda": (
        "https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-use-resource-based.html#eb-lambda-permissions",
        "Using resource-based policies for Amazon EventBridge: AWS Lambda permissions",
    ),
    "s3-default-encryption": (
        "https://docs.aws.amazon.com/AmazonS3/latest/userguide/bucket-encryption.html",
        "Setting default server-side encryption behavior for Amazon S3 buckets",
    ),
    "s3-tls": (
        "https://docs.aws.amazon.com/AmazonS3/latest/userguide/security-best-practices.html",
        "Security best practices for Amazon S3 (enforce encryption of data in transit: aws:SecureTransport)",
    ),
    "s3-put-object": (
        "https://docs.aws.amazon.com/AmazonS3/latest/API/API_PutObject.html",
        "PutObject (x-amz-server-side-encryption-aws-kms-key-id)",
    ),
    "elb-access-logs": (
        "https://docs.aws.amazon.com/elasticloadbalancing/latest/application/enable-access-logging.html",
        "Enable access logs for your Application Load Balancer (Step 2: Attach a policy to your S3 bucket)",
    ),
    "s3-multipart": (
        "https://docs.aws.amazon.com/AmazonS3/latest/userguide/mpuoverview.html#mpuAndPermissions",
        "Uploading and copying objects using multipart upload: Multipart upload API and permissions",
    ),
}

# The policy an application role that uploads into the bucket would hold: the application is not
# ours, so its identity allow is given here and only the bucket policy is on trial.
GIVEN = {
    "application-uploader": lambda bucket_arn: {
        "Version": "2012-10-17",
        "Statement": [{"Sid": "UploadObjects", "Effect": "Allow", "Action": "s3:PutObject",
                       "Resource": bucket_arn + "/*"}],
    },
}


class AccessPath(object):
    """One permission path: a request, the policies that decide it, and what AWS must answer."""

    def __init__(self, path_id, region, title, doc, action, resource, principal, context, identity=(),
                 resource_policy=None, resource_type=None, expect=True):
        self.id = path_id
        self.region = region
        self.title = title
        self.doc_url, self.doc_title = DOCS[doc]
        self.action = action
        self.resource = resource
        self.principal = principal
        self.context = dict(context or {})
        self.identity = [tuple(ref) for ref in identity]
        self.resource_policy = tuple(resource_policy) if resource_policy else None
        self.resource_type = resource_type
        self.expect = expect

    def references(self):
        return self.identity + ([self.resource_policy] if self.resource_policy else [])

    def to_dict(self):
        return dict(id=self.id, region=self.region, title=self.title, doc_url=self.doc_url, doc_title=self.doc_title,
                    action=self.action, resource=self.resource, principal=self.principal, context=self.context,
                    identity=[list(r) for r in self.identity],
                    resource_policy=list(self.resource_policy) if self.resource_policy else None,
                    resource_type=self.resource_type, expect=self.expect)

    def __repr__(self):
        return "AccessPath(%s)" % self.id


def reference_label(reference):
    """A policy label for Decision texts: 'role-policy <role>/<policy>', 'key-policy us-east-2'..."""
    return "%s %s" % (reference[0], "/".join(str(part) for part in reference[1:]))


def derived_names(prefix):
    """The names the roles derive from the stack's prefix in their vars/main.yml, which no setting
    changes: the health monitor's function and rule and its log group, the topics
    (roles/monitoring/vars, roles/dns_failover/vars), the flow-log group (roles/network/vars), the
    load balancer and target group (roles/load_balancing/vars)."""
    function = prefix + "-health-monitor"
    return dict(
        function=function,
        rule=prefix + "-health-monitor",
        function_log_group="/aws/lambda/" + function,
        flow_log_group="/" + prefix.replace("-", "/") + "/vpc-flow-logs",
        monitoring_topic=prefix + "-monitoring",
        dns_topic=prefix + "-dns-health",
        alb=prefix + "-alb",
        target_group=prefix + "-app",
    )


def alb_log_bucket_name(prefix, account, region):
    """The ALB access-log bucket of a region (roles/load_balancing/vars/main.yml)."""
    return "%s-%s-%s-alb-logs" % (prefix, account, region)


class Names(object):
    """The names and ARNs of the stack, as the roles make them."""

    def __init__(self, stack):
        self.partition = stack.get("partition") or "aws"
        self.account = stack["account_id"]
        self.prefix = stack["name_prefix"]
        self.namespace = stack["monitoring_namespace"]
        self.application_log_group = stack["application_log_group"]
        self.metrics_region = stack.get("metrics_region") or "us-east-1"
        self.regions = [dict(r) for r in stack["regions"]]
        for region in self.regions:
            region.setdefault("bucket_name", "%s-%s-%s" % (self.prefix, self.account, region["region"]))
        self.keys = dict((r["region"], r["kms_key_arn"]) for r in self.regions)
        # The key of the metrics region (the DNS health topic): a stack region's key, or the one
        # the primary makes there (roles/encryption, encryption_global_key_arn).
        self.keys.setdefault(self.metrics_region, stack.get("metrics_key_arn") or "")
        self.table = stack.get("table_name") or self.prefix + TABLE_SUFFIX
        derived = derived_names(self.prefix)
        self.function = derived["function"]
        self.rule = derived["rule"]
        self.function_log_group = derived["function_log_group"]
        self.flow_log_group = derived["flow_log_group"]
        self.monitoring_topic = derived["monitoring_topic"]
        self.dns_topic = derived["dns_topic"]
        self.alb_access_logs = stack.get("alb_access_logs", True)
        self.alb_access_logs_prefix = stack.get("alb_access_logs_prefix") or "alb"

    def arn(self, service, region, resource, account=True):
        return "arn:%s:%s:%s:%s:%s" % (self.partition, service, region, self.account if account else "", resource)

    def role(self, name):
        return "arn:%s:iam::%s:role/%s" % (self.partition, self.account, name)

    def bucket_arn(self, bucket):
        return "arn:%s:s3:::%s" % (self.partition, bucket)

    def replication_role(self, region):
        return "%s-s3-replication-%s" % (self.prefix, region)

    def monitor_role(self, region):
        return "%s-monitor-%s" % (self.prefix, region)

    def flow_logs_role(self, region):
        return "%s-flow-logs-%s" % (self.prefix, region)

    def table_arn(self, region, table=None):
        return self.arn("dynamodb", region, "table/" + (table or self.table))

    def log_group_arn(self, region, group):
        return self.arn("logs", region, "log-group:" + group)

    def topic_arn(self, region, name):
        return self.arn("sns", region, name)

    def alarm_arn(self, region, name):
        return self.arn("cloudwatch", region, "alarm:" + name)


def access_paths(stack):
    """Every access path of the stack.

    stack: {partition, account_id, name_prefix, table_name (default <prefix>-transactions),
    monitoring_namespace, application_log_group,
    metrics_region, metrics_key_arn (when the metrics region is not one of the regions),
    alb_access_logs (default true), alb_access_logs_prefix (default "alb"),
    regions: [{region, dr_role, kms_key_arn, bucket_name (default <prefix>-<account>-<region>),
    alb_log_bucket_name (default <prefix>-<account>-<region>-alb-logs), health_check_id
    (optional), flow_log_id (optional)}]}.
    Returns [AccessPath] in a stable order.
    """
    n = Names(stack)
    paths = []
    paths.extend(_replication_paths(n))
    paths.extend(_monitor_paths(n))
    paths.extend(_topic_paths(n))
    paths.extend(_log_paths(n))
    paths.extend(_flow_log_paths(n))
    paths.extend(_schedule_paths(n))
    paths.extend(_upload_paths(n))
    paths.extend(_alb_log_paths(n))
    return paths


def _kms_key(region):
    return ("key-policy", region)


def _service_key_paths(id_prefix, owner, service, region, what, doc, actions, key_arn, principal, context):
    """`service` (its principal `principal`) uses the key of `region` for `what`: one path per KMS
    action, decided by the key policy alone; the path's id is `id_prefix` and the action's name."""
    return [AccessPath(
        id_prefix + action.split(":")[1], owner, "%s uses the key of %s for %s (%s)" % (service, region, what, action),
        doc, action, key_arn, principal, context, resource_policy=_kms_key(region), resource_type="kms")
        for action in actions]


def _replication_paths(n):
    """S3 replication of SSE-KMS objects with S3 Bucket Keys, primary -> each secondary and back."""
    if len(n.regions) < 2:
        return []
    primary = [r for r in n.regions if r["dr_role"] == "primary"][0]
    secondaries = [r for r in n.regions if r is not primary]
    directions = [(primary, s) for s in secondaries] + [(s, primary) for s in secondaries]
    paths = []
    sources_done = set()
    for source, destination in directions:
        src, dst = source["region"], destination["region"]
        role = n.replication_role(src)
        role_arn = n.role(role)
        identity = [("role-policy", role, REPLICATION_POLICY)]
        src_bucket, dst_bucket = n.bucket_arn(source["bucket_name"]), n.bucket_arn(destination["bucket_name"])
        if src not in sources_done:
            sources_done.add(src)
            base = "s3-replication:%s" % src
            # "The following example shows a trust policy where you identify Amazon S3 as the AWS
            # service principal that can assume the role" (no condition: the page documents no
            # aws:SourceAccount/aws:SourceArn that S3 would send when it assumes the role).
            paths.append(AccessPath(
                base + ":assume-role", src, "S3 assumes the replication role of %s" % src,
                "s3-replication-permissions", "sts:AssumeRole", role_arn, "s3.amazonaws.com", {},
                resource_policy=("trust", role)))
            # The minimum policy: s3:GetReplicationConfiguration and s3:ListBucket on the source
            # bucket; s3:GetObjectVersionForReplication (and ...Tagging, to replicate tags) on its objects.
            for action, resource in (("s3:GetReplicationConfiguration", src_bucket), ("s3:ListBucket", src_bucket),
                                     ("s3:GetObjectVersionForReplication", src_bucket + "/" + OBJECT_KEY),
                                     ("s3:GetObjectVersionTagging", src_bucket + "/" + OBJECT_KEY)):
                paths.append(AccessPath(
                    "%s:%s" % (base, action.split(":")[1]), src,
                    "The replication role reads %s of %s" % (action, source["bucket_name"]),
                    "s3-replication-permissions", action, resource, role_arn, {"aws:SecureTransport": True},
                    identity=identity, resource_policy=("bucket-policy", source["bucket_name"])))
            # "When an S3 Bucket Key is enabled for the source or destination bucket, the encryption
            # context will be the bucket's Amazon Resource Name (ARN), not the object's ARN (for
            # example, arn:aws:s3:::bucket_ARN). You must update your IAM policies to use the bucket
            # ARN for the encryption context" - our buckets have bucket keys (roles/data/tasks/bucket.yml).
            paths.append(AccessPath(
                base + ":decrypt-source", src, "S3 decrypts %s's objects with its key, for the role" % src,
                "s3-replication-kms", "kms:Decrypt", source["kms_key_arn"], role_arn,
                {"kms:ViaService": "s3.%s.amazonaws.com" % src, "kms:CallerAccount": n.account,
                 "kms:EncryptionContext:aws:s3:arn": src_bucket},
                identity=identity, resource_policy=_kms_key(src), resource_type="kms"))
        base = "s3-replication:%s->%s" % (src, dst)
        kms_context = {"kms:ViaService": "s3.%s.amazonaws.com" % dst, "kms:CallerAccount": n.account,
                       "kms:EncryptionContext:aws:s3:arn": dst_bucket}
        # Encrypt the replica with the destination key (kms:Encrypt in the page's example policies;
        # kms:GenerateDataKey makes the destination's S3 Bucket Key) and "To use replication with an
        # S3 Bucket Key, the AWS KMS key policy for the KMS key that's used to encrypt the object
        # replica must include the kms:Decrypt permission for the calling principal. The call to
        # kms:Decrypt verifies the integrity of the S3 Bucket Key before using it."
        for action, name in (("kms:Encrypt", "encrypt"), ("kms:GenerateDataKey", "generate-data-key"),
                             ("kms:Decrypt", "decrypt-destination")):
            paths.append(AccessPath(
                "%s:%s" % (base, name), src,
                "S3 uses %s's key (%s) for the replica, bucket-key context" % (dst, action),
                "s3-replication-kms", action, destination["kms_key_arn"], role_arn, kms_context,
                identity=identity, resource_policy=_kms_key(dst), resource_type="kms"))
        # s3:ReplicateObject, s3:ReplicateDelete and s3:ReplicateTags on the destination objects
        # (identity policy; the destination bucket policy must not deny them over TLS).
        for action in ("s3:ReplicateObject", "s3:ReplicateDelete", "s3:ReplicateTags"):
            paths.append(AccessPath(
                "%s:%s" % (base, action.split(":")[1]), src,
                "The replication role writes %s into %s" % (action, destination["bucket_name"]),
                "s3-replication-permissions", action, dst_bucket + "/" + OBJECT_KEY, role_arn,
                {"aws:SecureTransport": True},
                identity=identity, resource_policy=("bucket-policy", destination["bucket_name"])))
    return paths


def _dynamodb_kms(n, path_id, owner, region, key_arn, role_arn, identity, table=None, expect=True):
    # "When you first access an encrypted table, DynamoDB sends a request to AWS KMS to use the KMS
    # key to decrypt the table key" (and again after five minutes of inactivity); with a customer
    # managed key "DynamoDB gets permission to use the KMS key on behalf of the principal" and "In its
    # requests to AWS KMS, DynamoDB uses an encryption context with two key-value pairs"
    # (aws:dynamodb:tableName, aws:dynamodb:subscriberId). kms:ViaService is the DynamoDB endpoint of
    # the table's region.
    return AccessPath(
        path_id, owner, "DynamoDB decrypts the table key of %s in %s for the monitor of %s"
        % (table or n.table, region, owner),
        "dynamodb-kms", "kms:Decrypt", key_arn, role_arn,
        {"kms:ViaService": "dynamodb.%s.amazonaws.com" % region, "kms:CallerAccount": n.account,
         "kms:EncryptionContext:aws:dynamodb:tableName": table or n.table,
         "kms:EncryptionContext:aws:dynamodb:subscriberId": n.account},
        identity=identity, resource_policy=_kms_key(region), resource_type="kms", expect=expect)


def _item(n, path_id, owner, title, action, region, role_arn, identity, leading_key, table=None, expect=True):
    # dynamodb:LeadingKeys holds the partition key values of the request (fine-grained access control).
    return AccessPath(
        path_id, owner, title, "dynamodb-leading-keys", action, n.table_arn(region, table), role_arn,
        {"dynamodb:LeadingKeys": [leading_key], "aws:SecureTransport": True}, identity=identity, expect=expect)


def _monitor_paths(n):
    """The health monitor (files/health_check.py as a Lambda function in every region)."""
    paths = []
    keys = n.keys
    for me in n.regions:
        region = me["region"]
        role = n.monitor_role(region)
        role_arn = n.role(role)
        identity = [("role-policy", role, MONITOR_POLICY)]
        base = "monitor:%s" % region
        # The execution role's trust policy names lambda.amazonaws.com; the page documents no
        # condition key Lambda would send when it assumes the role.
        paths.append(AccessPath(
            base + ":assume-role", region, "Lambda assumes the monitor's role in %s" % region,
            "lambda-execution-role", "sts:AssumeRole", role_arn, "lambda.amazonaws.com", {},
            resource_policy=("trust", role)))
        stream = n.log_group_arn(region, n.function_log_group) + ":log-stream:" + LOG_STREAM
        for action in ("logs:CreateLogStream", "logs:PutLogEvents"):
            paths.append(AccessPath(
                "%s:%s" % (base, action.split(":")[1]), region, "The monitor writes its log group (%s)" % action,
                "lambda-logs", action, stream, role_arn, {}, identity=identity))
        for namespace, expect in ((n.namespace, True), (n.namespace + "-other", False)):
            paths.append(AccessPath(
                base + (":PutMetricData" if expect else ":refused:PutMetricData-other-namespace"), region,
                "The monitor puts metrics in %s" % namespace, "cloudwatch-namespace", "cloudwatch:PutMetricData",
                "*", role_arn, {"cloudwatch:namespace": namespace}, identity=identity, expect=expect))
        for peer in n.regions:
            if peer.get("health_check_id"):
                paths.append(AccessPath(
                    "%s:GetHealthCheckStatus:%s" % (base, peer["region"]), region,
                    "The monitor reads the Route53 health check of %s" % peer["region"],
                    "route53-health-check-status", "route53:GetHealthCheckStatus",
                    "arn:%s:route53:::healthcheck/%s" % (n.partition, peer["health_check_id"]), role_arn, {},
                    identity=identity))
        peers = [r["region"] for r in n.regions if r["region"] != region]
        if not peers:
            continue  # one region: the handler is given no table (roles/monitoring/tasks/function.yml)
        own_key = HEARTBEAT_PREFIX + region
        # write_heartbeat: PutItem of its own heartbeat item in its own region's replica.
        paths.append(_item(n, base + ":PutItem-heartbeat", region, "The monitor writes its heartbeat in %s" % region,
                           "dynamodb:PutItem", region, role_arn, identity, own_key))
        paths.append(_dynamodb_kms(n, base + ":kms-decrypt:%s" % region, region, region, keys[region], role_arn,
                                   identity))
        for peer in peers:
            # measure_replication_lag: GetItem of its own heartbeat in the peer's replica;
            # read_heartbeat_age: GetItem of the peer's heartbeat in its own replica.
            paths.append(_item(n, "%s:GetItem-heartbeat:%s" % (base, peer), region,
                               "The monitor reads its heartbeat in the replica of %s" % peer,
                               "dynamodb:GetItem", peer, role_arn, identity, own_key))
            paths.append(_dynamodb_kms(n, "%s:kms-decrypt:%s" % (base, peer), region, peer, keys[peer], role_arn,
                                       identity))
            paths.append(_item(n, "%s:GetItem-heartbeat-of:%s" % (base, peer), region,
                               "The monitor reads the heartbeat of %s in its own replica" % peer,
                               "dynamodb:GetItem", region, role_arn, identity, HEARTBEAT_PREFIX + peer))
        # Refused: anything but heartbeat items, and any other table (or its key).
        other = n.prefix + "-other"
        paths.append(_item(n, base + ":refused:PutItem-other-table", region, "The monitor cannot write another table",
                           "dynamodb:PutItem", region, role_arn, identity, own_key, table=other, expect=False))
        paths.append(_item(n, base + ":refused:PutItem-transaction", region,
                           "The monitor cannot write a non-heartbeat item", "dynamodb:PutItem", region, role_arn,
                           identity, TRANSACTION_KEY, expect=False))
        paths.append(_item(n, base + ":refused:GetItem-transaction", region,
                           "The monitor cannot read a non-heartbeat item", "dynamodb:GetItem", region, role_arn,
                           identity, TRANSACTION_KEY, expect=False))
        paths.append(_dynamodb_kms(n, base + ":refused:kms-decrypt-other-table", region, region, keys[region],
                                   role_arn, identity, table=other, expect=False))
    return paths


def _topic_paths(n):
    """CloudWatch alarms publish to KMS-encrypted topics (each region's monitoring topic; the DNS
    health topic in the metrics region, encrypted with that region's key)."""
    topics = [(r["region"], n.monitoring_topic, "%s-%s-monitor-self" % (n.prefix, r["region"])) for r in n.regions]
    primary = [r["region"] for r in n.regions if r["dr_role"] == "primary"]
    topics.append((n.metrics_region, n.dns_topic, "%s-%s-endpoint-unhealthy" % (n.prefix, primary[0])))
    paths = []
    for region, name, alarm in topics:
        topic = n.topic_arn(region, name)
        owner = region if name == n.monitoring_topic else primary[0]
        base = "alarm-topic:%s@%s" % (name, region)
        source = {"aws:SourceArn": n.alarm_arn(region, alarm), "aws:SourceAccount": n.account}
        # The topic policy: SNS gives a new topic its default policy (finproc.dr.sns_topic sets none),
        # which allows sns:Publish to every principal under the condition AWS:SourceOwner = the
        # topic owner's account; an alarm of the same account publishes as that owner.
        context = dict(source, **{"aws:SourceOwner": n.account, "aws:SecureTransport": True})
        paths.append(AccessPath(
            base + ":Publish", owner, "CloudWatch alarm %s publishes to %s" % (alarm, name), "sns-default-policy",
            "sns:Publish", topic, "cloudwatch.amazonaws.com", context, resource_policy=("topic-policy", topic)))
        # "Enable compatibility between event sources from AWS services and encrypted topics": the
        # key policy must allow the service principal kms:GenerateDataKey* and kms:Decrypt. SNS
        # encrypts with the encryption context aws:sns:topicArn = the topic's ARN.
        kms_context = dict(source, **{"kms:EncryptionContext:aws:sns:topicArn": topic})
        paths.extend(_service_key_paths(
            base + ":kms-", owner, "CloudWatch", region, name, "sns-kms", ("kms:GenerateDataKey", "kms:Decrypt"),
            n.keys[region], "cloudwatch.amazonaws.com", kms_context))
    return paths


def _log_paths(n):
    """CloudWatch Logs uses each region's key for the log groups it encrypts."""
    paths = []
    for r in n.regions:
        region = r["region"]
        for group in (n.function_log_group, n.application_log_group, n.flow_log_group):
            # The key policy allows logs.<region>.amazonaws.com kms:Encrypt*, kms:Decrypt*,
            # kms:ReEncrypt*, kms:GenerateDataKey*, kms:Describe* with the condition
            # kms:EncryptionContext:aws:logs:arn = the log group's ARN (Logs sends that context).
            paths.extend(_service_key_paths(
                "logs-kms:%s:%s:" % (region, group), region, "CloudWatch Logs", region, group, "logs-kms",
                ("kms:Encrypt", "kms:Decrypt", "kms:GenerateDataKey"), r["kms_key_arn"],
                "logs.%s.amazonaws.com" % region,
                {"kms:EncryptionContext:aws:logs:arn": n.log_group_arn(region, group)}))
    return paths


def _flow_log_paths(n):
    """VPC flow logs assume the delivery role and write the flow-log group."""
    paths = []
    for r in n.regions:
        region = r["region"]
        role = n.flow_logs_role(region)
        role_arn = n.role(role)
        base = "flow-logs:%s" % region
        flow_log = n.arn("ec2", region, "vpc-flow-log/" + (r.get("flow_log_id") or "fl-0123456789abcdef0"))
        # The page's trust policy carries aws:SourceAccount and aws:SourceArn
        # (arn:aws:ec2:region:account-id:vpc-flow-log/flow-log-id) "to protect against the confused
        # deputy problem": the service sends both.
        paths.append(AccessPath(
            base + ":assume-role", region, "VPC Flow Logs assumes the delivery role of %s" % region, "flow-logs-role",
            "sts:AssumeRole", role_arn, "vpc-flow-logs.amazonaws.com",
            {"aws:SourceAccount": n.account, "aws:SourceArn": flow_log}, resource_policy=("trust", role)))
        group = n.log_group_arn(region, n.flow_log_group)
        for action, resource in (("logs:CreateLogStream", group + ":log-stream:eni-0123456789abcdef0-all"),
                                 ("logs:PutLogEvents", group + ":log-stream:eni-0123456789abcdef0-all"),
                                 ("logs:DescribeLogStreams", group)):
            paths.append(AccessPath(
                "%s:%s" % (base, action.split(":")[1]), region, "The delivery role writes the flow-log group (%s)"
                % action, "flow-logs-role", action, resource, role_arn, {},
                identity=[("role-policy", role, FLOW_LOGS_POLICY)]))
    return paths


def _schedule_paths(n):
    """EventBridge invokes the health monitor (lambda_schedule's AddPermission statement)."""
    paths = []
    for r in n.regions:
        region = r["region"]
        function = n.arn("lambda", region, "function:" + n.function)
        for rule, expect in ((n.rule, True), (n.prefix + "-another-rule", False)):
            # EventBridge invokes the function under its resource-based policy, with aws:SourceArn =
            # the rule's ARN and aws:SourceAccount = the rule's account: EventBridge user guide, "Using IAM
            # policy conditions in Amazon EventBridge", condition keys table
            # (https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-use-conditions.html):
            # "aws:SourceAccount: The account where the rule specified by aws:SourceArn exists";
            # "aws:SourceArn: The ARN of the rule that is sending the event".
            paths.append(AccessPath(
                "schedule:%s:%s" % (region, "invoke" if expect else "refused:invoke-by-another-rule"), region,
                "EventBridge rule %s invokes the monitor in %s" % (rule, region), "eventbridge-lambda",
                "lambda:InvokeFunction", function, "events.amazonaws.com",
                {"aws:SourceArn": n.arn("events", region, "rule/" + rule), "aws:SourceAccount": n.account},
                resource_policy=("function-policy", region), expect=expect))
    return paths


def _upload_paths(n):
    """The application's uploads into each region's bucket: the bucket policy on trial."""
    paths = []
    principal = n.role(n.prefix + "-application")
    for r in n.regions:
        region = r["region"]
        base = "app-upload:%s" % region
        obj = n.bucket_arn(r["bucket_name"]) + "/" + OBJECT_KEY
        other_key = r["kms_key_arn"].rsplit("/", 1)[0] + "/00000000-0000-0000-0000-000000000000"
        kms = "aws:kms"
        rows = [
            # Default encryption applies to uploads that name no encryption.
            ("tls-no-sse-headers", "s3-default-encryption", {}, True, True),
            # Uploads over plain HTTP are refused (aws:SecureTransport false).
            ("refused:plain-http", "s3-tls", {}, False, False),
            ("tls-our-key", "s3-put-object", {"s3:x-amz-server-side-encryption": kms,
                                              "s3:x-amz-server-side-encryption-aws-kms-key-id": r["kms_key_arn"]},
             True, True),
            ("refused:another-key", "s3-put-object", {"s3:x-amz-server-side-encryption": kms,
                                                      "s3:x-amz-server-side-encryption-aws-kms-key-id": other_key},
             True, False),
            # "If you specify x-amz-server-side-encryption:aws:kms ... but do not provide
            # x-amz-server-side-encryption-aws-kms-key-id, Amazon S3 uses the AWS managed key
            # (aws/s3) to protect the data": another key than ours.
            ("refused:kms-without-key-id", "s3-put-object", {"s3:x-amz-server-side-encryption": kms}, True, False),
            # SSE-S3 is not our key either.
            ("refused:sse-s3", "s3-put-object", {"s3:x-amz-server-side-encryption": "AES256"}, True, False),
            # UploadPart is authorised as s3:PutObject and carries no SSE-KMS header.
            ("tls-upload-part", "s3-multipart", {}, True, True),
        ]
        for name, doc, headers, tls, expect in rows:
            context = dict(headers, **{"aws:SecureTransport": tls})
            paths.append(AccessPath(
                "%s:%s" % (base, name), region, "The application uploads into %s (%s)" % (r["bucket_name"], name),
                doc, "s3:PutObject", obj, principal, context, identity=[("given", "application-uploader")],
                resource_policy=("bucket-policy", r["bucket_name"]), expect=expect))
    return paths


# The Elastic Load Balancing account of each Region "available before August 2022", to which the
# access-log bucket policy grants s3:PutObject; every other Region delivers with the service
# principal logdelivery.elasticloadbalancing.amazonaws.com. ELB user guide, "Enable access logs for
# your Application Load Balancer", Step 2 "Attach a policy to your S3 bucket". The load_balancing
# role keeps the same table (load_balancing_elb_account_ids); a unit test holds them equal.
ELB_LOG_DELIVERY_SERVICE = "logdelivery.elasticloadbalancing.amazonaws.com"
ELB_ACCOUNTS = {
    "us-east-1": "127311923021", "us-east-2": "033677994240", "us-west-1": "027434742980",
    "us-west-2": "797873946194", "af-south-1": "098369216593", "ap-east-1": "754344448648",
    "ap-southeast-3": "589379963580", "ap-south-1": "718504428378", "ap-northeast-3": "383597477331",
    "ap-northeast-2": "600734575887", "ap-southeast-1": "114774131450", "ap-southeast-2": "783225319266",
    "ap-northeast-1": "582318560864", "ca-central-1": "985666609251", "eu-central-1": "054676820928",
    "eu-west-1": "156460612806", "eu-west-2": "652711504416", "eu-south-1": "635631232127",
    "eu-west-3": "009996457667", "eu-north-1": "897822967062", "me-south-1": "076674570225",
    "sa-east-1": "507241528517", "us-gov-west-1": "048591011584", "us-gov-east-1": "190560391635",
    "cn-north-1": "638102146993", "cn-northwest-1": "037604701340",
}


def elb_log_delivery_principal(partition, region):
    """Who writes a region's ALB access logs (the ELB account's root, or the service principal)."""
    if region in ELB_ACCOUNTS:
        return "arn:%s:iam::%s:root" % (partition, ELB_ACCOUNTS[region])
    return ELB_LOG_DELIVERY_SERVICE


def _alb_log_paths(n):
    """ALB access-log delivery into each region's log bucket (roles/load_balancing)."""
    if not n.alb_access_logs:
        return []
    paths = []
    for r in n.regions:
        region = r["region"]
        bucket = r.get("alb_log_bucket_name") or alb_log_bucket_name(n.prefix, n.account, region)
        base = "alb-logs:%s" % region
        logs = "%s/%s/AWSLogs/%s/elasticloadbalancing/%s/2026/01/01/probe.log.gz" % (
            n.bucket_arn(bucket), n.alb_access_logs_prefix, n.account, region)
        elsewhere = "%s/elsewhere/AWSLogs/%s/probe.log.gz" % (n.bucket_arn(bucket), n.account)
        # The bucket policy lets the delivery principal s3:PutObject under
        # <prefix>/AWSLogs/<account>/ (the page's policy); nothing else, and nothing without TLS.
        for name, resource, tls, expect in (("deliver", logs, True, True),
                                            ("refused:another-prefix", elsewhere, True, False),
                                            ("refused:plain-http", logs, False, False)):
            paths.append(AccessPath(
                "%s:%s" % (base, name), region, "Elastic Load Balancing delivers the access logs of %s (%s)"
                % (region, name), "elb-access-logs", "s3:PutObject", resource,
                elb_log_delivery_principal(n.partition, region), {"aws:SecureTransport": tls},
                resource_policy=("bucket-policy", bucket), expect=expect))
    return paths


class PathResult(object):
    """The evaluation of one path: allowed (AWS's answer), passed (allowed == expect), reason."""

    def __init__(self, path, allowed, reason, allowed_by=(), denied_by=(), missing=()):
        self.path = path
        self.allowed = allowed
        self.passed = allowed == path.expect
        self.reason = reason
        self.allowed_by = list(allowed_by)
        self.denied_by = list(denied_by)
        self.missing = list(missing)

    def detail(self):
        wanted = "allowed" if self.path.expect else "refused"
        found = "allowed" if self.allowed else "refused"
        return "%s %s on %s: %s, wanted %s: %s (AWS: %s, %s)" % (
            self.path.principal, self.path.action, self.path.resource, found, wanted, self.reason,
            self.path.doc_title, self.path.doc_url)


def evaluate_path(path, resolve):
    """PathResult of one path; resolve(reference) -> document (dict or JSON) or None when absent."""
    missing = []
    identity = {}
    for reference in path.identity:
        if reference[0] == "given":
            document = GIVEN[reference[1]](path.resource.split("/", 1)[0])
        else:
            document = resolve(reference)
        if document is None:
            missing.append(reference_label(reference))
        else:
            identity[reference_label(reference)] = document
    resource_policy = None
    if path.resource_policy:
        resource_policy = resolve(path.resource_policy)
        if resource_policy is None:
            missing.append(reference_label(path.resource_policy))
            if path.resource_policy[0] in ("key-policy", "trust"):
                # No key (policy) or no role: nothing can allow the request.
                return PathResult(path, False, "%s not found" % reference_label(path.resource_policy), missing=missing)
    request = Request(path.action, path.resource, path.principal, dict(path.context))
    decision = is_allowed(request, identity_policies=identity, resource_policy=resource_policy,
                          resource_type=path.resource_type)
    reason = decision.reason
    if missing:
        reason = "%s (not found: %s)" % (reason, ", ".join(missing))
    return PathResult(path, bool(decision.allowed), reason, decision.allowed_by, decision.denied_by, missing)


def evaluate_paths(paths, resolve):
    """[PathResult] of every path (see evaluate_path)."""
    return [evaluate_path(path, resolve) for path in paths]

#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: finproc.dr contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: dr_controls_info
version_added: 0.1.0
short_description: Evaluate the controls of one region of the DR stack, as AWS Config rules would
description:
  - Reads the live state of one region of the stack (I(region)) and evaluates every control the
    roles C(encryption), C(network), C(data), C(load_balancing), C(dns_failover) and C(monitoring)
    are designed to meet, each with pass or fail and a detail saying what was found and what was
    wanted.
  - Read only. The module makes C(Describe*), C(Get*) and C(List*) calls only; it never writes,
    so check mode and a normal run are the same and C(changed) is always false.
  - Each resource is described once and reused by every control that needs it; lists are
    paginated.
  - An AWS error while a control is evaluated (access denied, a resource that cannot be read)
    makes that control fail, with the error in its detail; the other controls are evaluated as
    usual. Missing or rejected credentials and an unreachable endpoint fail the module, as does
    STS GetCallerIdentity (the account names the bucket).
  - The controls follow, each with what it checks.
  - C(kms-key-rotation) the key C(alias/<name_prefix>) exists, is C(Enabled), customer managed
    and rotates automatically.
  - C(kms-key-policy) the key policy grants C(kms:*) to the account root only (statement
    C(AccountControl)) and allows nothing to C(Principal *).
  - C(table-replica-active) (primary only) the global table C(<name_prefix>-transactions) is
    C(ACTIVE) with an C(ACTIVE) replica in every other region of I(peers).
  - C(table-sse-kms) the table (or replica) of the region is encrypted with the region's key, read
    from DescribeTable in the region or, for a replica whose DescribeTable has no
    C(SSEDescription) (LocalStack), from C(Replicas[].KMSMasterKeyId) of the primary's table; the
    detail says where it was read.
  - C(table-pitr), C(table-deletion-protection), C(table-streams) point-in-time recovery,
    deletion protection and a C(NEW_AND_OLD_IMAGES) stream on the region's table.
  - C(bucket-versioning), C(bucket-sse-kms), C(bucket-public-access-blocked), C(bucket-tls-only)
    the bucket C(<name_prefix>-<account>-<region>) is versioned, encrypted with SSE-KMS by the
    region's key (the bucket key is reported, not required), blocks public access with all four
    flags, and its policy denies C(s3:*) to everyone on the bucket and its objects when
    C(aws:SecureTransport) is false.
  - C(bucket-replication-rtc) one entry per destination (the primary replicates to every other
    region, a secondary to the primary) - each rule to the destination bucket is C(Enabled), with
    Replication Time Control (15 minutes) and replication metrics, and replicates SSE-KMS objects
    with the destination region's key C(alias/<name_prefix>) (resolved there to its ARN).
  - C(vpc-cidr) exactly one VPC tagged C(finproc:stack=<name_prefix>), with I(vpc_cidr).
  - C(security-groups) one entry per group - C(<name_prefix>-alb) allows exactly TCP 80 and 443
    from 0.0.0.0/0 in (no IPv6) and only I(app_port) out to the app group; C(<name_prefix>-app)
    allows exactly I(app_port) from the ALB group in and TCP 443 to 0.0.0.0/0 out.
  - C(flow-logs) an C(ACTIVE) flow log of the VPC, traffic C(ALL), to the log group
    C(/<name_prefix with - as />/vpc-flow-logs), delivering without error.
  - C(listener-tls-policy) the HTTPS listener on port 443 of C(<name_prefix>-alb) uses
    I(tls_policy).
  - C(listener-http-redirect) the HTTP listener on port 80 only redirects (default action and
    every rule) to HTTPS on port 443 with C(HTTP_301).
  - C(alb-access-logs) (with I(alb_access_logs)) the load balancer's C(access_logs.s3.*)
    attributes deliver to the bucket C(<name_prefix>-<account>-<region>-alb-logs) under
    I(alb_access_logs_prefix); that bucket's default encryption is SSE-S3 (C(AES256), the only one
    ALB log delivery supports), it blocks public access with all four flags, its policy denies
    C(s3:*) on the bucket and its objects when C(aws:SecureTransport) is false, and an enabled
    lifecycle rule over the whole bucket expires objects after I(alb_access_log_retention_days)
    and aborts incomplete uploads. Without I(alb_access_logs) it passes, saying that logs are off.
  - C(health-check) the Route53 health check tagged C(Name=<name_prefix>-<region>) is HTTPS on the
    load balancer's DNS name, port 443, I(health_check_path), I(health_check_interval_seconds),
    I(health_check_failure_threshold), neither inverted nor disabled.
  - C(failover-record) with I(failover_record) C(PRIMARY) or C(SECONDARY), the A alias record
    I(service_name) in the public zone I(zone_name) with set identifier I(region) has that failover
    role, targets the region's load balancer (DNS name compared in lower case without the final
    dot, and its hosted zone), evaluates target health and names the health check; with an empty
    I(failover_record), no record of the name has the region as set identifier.
  - C(rto-budget) the live health check's interval x failure threshold + I(dns_record_ttl_seconds)
    + I(dns_resolver_allowance_seconds) is at most I(rto_target_seconds) (the arithmetic is in the
    detail, as preflight shows it).
  - C(alarm-actions) the monitoring alarms of the region (names starting with
    C(<name_prefix>-<region>-monitor-)) notify the topic C(<name_prefix>-monitoring) on C(ALARM)
    and on C(OK), with actions enabled; the topic is encrypted with the region's key; the set holds
    at least C(self), C(lambda-errors), C(service-name), C(endpoint-<region>) for every region of
    I(peers), and C(replication-lag-<region>) for every other region, whose threshold is
    I(rpo_target_seconds) and which treats missing data as breaching, and C(heartbeat-write) when
    there is another region. On the primary, a second entry - in I(metrics_region), the alarms
    C(<name_prefix>-<region>-endpoint-unhealthy) of every region notify the topic
    C(<name_prefix>-dns-health) the same way, and that topic is encrypted with the key
    C(alias/<name_prefix>) of I(metrics_region).
  - C(log-groups) one entry per log group - C(/aws/lambda/<name_prefix>-health-monitor),
    I(application_log_group) and the flow-log group are encrypted with the region's key and kept
    I(log_retention_days) days.
  - C(monitor-function) the function C(<name_prefix>-health-monitor) is C(Active), runs
    C(python3.12), has its environment encrypted with the region's key, and the EventBridge rule
    C(<name_prefix>-health-monitor) is C(ENABLED), runs C(rate(2 minutes)) and targets the function.
  - C(monitor-role-least-privilege) the function's role has no attached managed policy, and no
    inline policy statement allows a wildcard action, C(NotAction), C(NotResource) or the resource
    C(*), except C(cloudwatch:PutMetricData) on C(*) held to I(monitoring_namespace) by a
    C(StringEquals cloudwatch:namespace) condition.
  - C(tags) one entry per resource type (KMS key, VPC, subnets, security groups, load balancer,
    target group, table, bucket, function, schedule rule, topics, monitoring alarms, log groups,
    health check) - every resource carries I(required_tags) with their values and
    C(finproc:stack=<name_prefix>); the detail names the resources missing a tag.
  - C(access-path:<path id>) (with I(access_paths)) one entry per permission path of the region
    listed by C(plugins/module_utils/access_paths.py) (S3 replication of SSE-KMS objects with
    bucket keys to and from the region, the monitor's heartbeat items and the KMS keys DynamoDB
    uses for it, CloudWatch alarms publishing to the encrypted topics, CloudWatch Logs and VPC flow
    logs using the key and the log groups, EventBridge invoking the monitor, the application's
    uploads into the bucket, ALB access-log delivery) - evaluated with
    C(plugins/module_utils/iam_policy.py) on the live documents (inline role policies, trust
    policies, key policies read by alias in each region, bucket policies, topic policies, the
    function's resource policy) - each path is allowed, or refused, exactly as the AWS page it
    cites requires; the detail names the deciding statements and the page.
author:
  - finproc.dr maintainers (@finproc)
options:
  name_prefix:
    description:
      - The stack's name prefix, C(<app>-<environment>) (for example C(finproc-dev)); every
        resource name starts with it.
    type: str
    required: true
  dr_role:
    description: The role of I(region) in the DR pair.
    type: str
    choices: [primary, secondary]
    required: true
  peers:
    description:
      - Every region of the stack, this one included, with its DR role; exactly one is the
        primary.
    type: list
    elements: dict
    required: true
    suboptions:
      region:
        description: The region.
        type: str
        required: true
      dr_role:
        description: The region's DR role.
        type: str
        choices: [primary, secondary]
        required: true
  failover_record:
    description:
      - The failover role of the region's record of I(service_name) - C(PRIMARY), C(SECONDARY), or
        an empty string for a region that takes no part in the failover (it must have no record).
    type: str
    choices: [PRIMARY, SECONDARY, '']
    required: true
  required_tags:
    description:
      - The tags every resource must carry, with these values; C(finproc:stack=<name_prefix>) is
        always required as well.
    type: dict
    default: {}
  vpc_cidr:
    description: The CIDR block of the region's VPC.
    type: str
    required: true
  app_port:
    description: The application port (ALB to the application).
    type: int
    default: 8080
  tls_policy:
    description: The security policy of the HTTPS listener.
    type: str
    default: ELBSecurityPolicy-TLS13-1-2-2021-06
  zone_name:
    description: The public hosted zone that holds I(service_name), without the final dot.
    type: str
    required: true
  service_name:
    description: The name clients use, with a failover record per region. Defaults to C(api.<zone_name>).
    type: str
  health_check_path:
    description: The path the Route53 health check requests.
    type: str
    default: /health
  health_check_interval_seconds:
    description: The interval of the Route53 health check.
    type: int
    default: 30
  health_check_failure_threshold:
    description: The failures before the Route53 health check turns unhealthy.
    type: int
    default: 3
  dns_record_ttl_seconds:
    description: The TTL resolvers see on the service name (RTO budget).
    type: int
    default: 60
  dns_resolver_allowance_seconds:
    description: What resolvers keeping answers longer than the TTL may add (RTO budget).
    type: int
    default: 60
  rto_target_seconds:
    description: The recovery time objective the RTO budget must fit in.
    type: int
    default: 300
  rpo_target_seconds:
    description: The recovery point objective; the threshold of the replication-lag alarms.
    type: int
    default: 60
  log_retention_days:
    description: The retention of every log group of the stack.
    type: int
    default: 30
  monitoring_namespace:
    description: The CloudWatch namespace of the health monitor's metrics (C(<app>/<environment>/dr)).
    type: str
    required: true
  application_log_group:
    description: The application's log group (C(/<app>/<environment>/application)).
    type: str
    required: true
  metrics_region:
    description:
      - Where the Route53 health-check metrics, their alarms and the topic C(<name_prefix>-dns-health)
        live. Only the primary checks them.
    type: str
    default: us-east-1
  access_paths:
    description:
      - Evaluate the C(access-path:<path id>) controls when I(controls) is empty (or names
        C(access-paths)).
    type: bool
    default: true
  alb_access_logs:
    description:
      - Whether the load balancers deliver access logs (the C(alb-access-logs) control and the
        C(alb-logs) access paths).
    type: bool
    default: true
  alb_access_logs_prefix:
    description: The key prefix of the access logs in the log bucket.
    type: str
    default: alb
  alb_access_log_retention_days:
    description: Days the access-log bucket keeps a log object (the C(alb-access-logs) control).
    type: int
    default: 400
  controls:
    description:
      - The controls to evaluate, by id; empty means every control.
      - C(access-paths) stands for every C(access-path:<path id>) control of the region.
      - C(table-replica-active) and the I(metrics_region) entry of C(alarm-actions) are evaluated on
        the primary only.
    type: list
    elements: str
    default: []
    choices:
      - kms-key-rotation
      - kms-key-policy
      - table-replica-active
      - table-sse-kms
      - table-pitr
      - table-deletion-protection
      - table-streams
      - bucket-versioning
      - bucket-sse-kms
      - bucket-public-access-blocked
      - bucket-tls-only
      - bucket-replication-rtc
      - vpc-cidr
      - security-groups
      - flow-logs
      - listener-tls-policy
      - listener-http-redirect
      - alb-access-logs
      - health-check
      - failover-record
      - rto-budget
      - alarm-actions
      - log-groups
      - monitor-function
      - monitor-role-least-privilege
      - tags
      - access-paths
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
notes:
  - Needs read permissions on KMS, DynamoDB, S3, EC2, ELBv2, Route53, SNS, CloudWatch, CloudWatch
    Logs, Lambda, EventBridge and IAM in I(region) (KMS, DynamoDB and SNS, CloudWatch in the other
    regions too), and C(sts:GetCallerIdentity); the access paths also read C(iam:GetRole),
    C(iam:GetRolePolicy), C(kms:GetKeyPolicy), C(s3:GetBucketPolicy), C(sns:GetTopicAttributes)
    and C(lambda:GetPolicy) in the regions their paths cross.
  - Route53 and IAM are global; their resources are read through I(region)'s endpoint settings.
  - Check mode is supported (the module never writes).
"""

EXAMPLES = r"""
- name: Evaluate every control of the region
  finproc.dr.dr_controls_info:
    region: us-east-2
    name_prefix: finproc-prod
    dr_role: primary
    peers:
      - {region: us-east-2, dr_role: primary}
      - {region: us-west-2, dr_role: secondary}
    failover_record: PRIMARY
    required_tags:
      Environment: prod
      App: finproc
      ManagedBy: ansible-finproc.dr
      CostCenter: CC-0042
    vpc_cidr: 10.0.0.0/16
    zone_name: prod.finproc.example.com
    monitoring_namespace: finproc/prod/dr
    application_log_group: /finproc/prod/application
  register: controls

- name: Fail naming every failed control
  ansible.builtin.assert:
    that: controls.passed
    fail_msg: "Failed controls: {{ controls.failed_controls | join(', ') }}"

- name: Only the bucket's controls
  finproc.dr.dr_controls_info:
    region: us-west-2
    name_prefix: finproc-prod
    dr_role: secondary
    peers:
      - {region: us-east-2, dr_role: primary}
      - {region: us-west-2, dr_role: secondary}
    failover_record: SECONDARY
    vpc_cidr: 10.1.0.0/16
    zone_name: prod.finproc.example.com
    monitoring_namespace: finproc/prod/dr
    application_log_group: /finproc/prod/application
    controls: [bucket-versioning, bucket-sse-kms, bucket-public-access-blocked, bucket-tls-only]
"""

RETURN = r"""
controls:
  description: One entry per control and resource checked, in the order of the controls.
  returned: always
  type: list
  elements: dict
  contains:
    id:
      description: The control's stable id; a control checked on several resources has several entries.
      type: str
      sample: kms-key-rotation
    title:
      description: What the control asks for.
      type: str
      sample: KMS key enabled, customer managed, rotating
    region:
      description: The region evaluated (I(region)); resources of other regions are named in I(resource) and I(detail).
      type: str
      sample: us-east-2
    resource:
      description: The resource checked (ARN, ID or name; for C(tags), the resource type or the resource).
      type: str
      sample: arn:aws:kms:us-east-2:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab
    passed:
      description: Whether the control passed.
      type: bool
      sample: true
    detail:
      description: What was found against what was wanted; on a pass, a short confirmation.
      type: str
      sample: Enabled, customer managed, automatic rotation on
passed:
  description: Whether every control evaluated passed.
  returned: always
  type: bool
  sample: false
failed_controls:
  description:
    - The ids of the controls that failed (each once), in the order of the controls.
    - Not C(failed), which Ansible reads as the task's own failure.
  returned: always
  type: list
  elements: str
  sample: [bucket-tls-only]
"""

import fnmatch
import ipaddress
import json

try:
    from urllib.parse import unquote
except ImportError:  # Python 2
    from urllib import unquote

try:
    import botocore
except ImportError:
    pass  # AnsibleAWSModule reports a missing botocore

from ansible_collections.amazon.aws.plugins.module_utils.botocore import is_boto3_error_code
from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.amazon.aws.plugins.module_utils.retries import AWSRetry
from ansible_collections.amazon.aws.plugins.module_utils.tagging import boto3_tag_list_to_ansible_dict
from ansible_collections.finproc.dr.plugins.module_utils import access_paths as paths_of_the_stack

# Throttling of the services read here, beyond what AWSRetry retries anyway.
RETRY_CODES = ["ThrottlingException", "Throttled", "TooManyRequestsException", "PriorRequestNotComplete",
               "SlowDown"]
retry = AWSRetry.jittered_backoff(retries=10, catch_extra_error_codes=RETRY_CODES)

# Errors that say the credentials are missing or refused: they fail the module, not a control.
CREDENTIAL_ERROR_CODES = frozenset([
    "AuthFailure", "ExpiredToken", "ExpiredTokenException", "IncompleteSignature", "InvalidAccessKeyId",
    "InvalidClientTokenId", "InvalidSignatureException", "InvalidToken", "MissingAuthenticationToken",
    "MissingAuthenticationTokenException", "RequestExpired", "SignatureDoesNotMatch", "UnrecognizedClientException",
])

# (id, title), in the order they are evaluated and reported.
CONTROLS = [
    ("kms-key-rotation", "KMS key enabled, customer managed, rotating"),
    ("kms-key-policy", "KMS key policy grants kms:* to the account root only, nothing to Principal *"),
    ("table-replica-active", "Global table ACTIVE with an ACTIVE replica in every other region"),
    ("table-sse-kms", "Table encrypted with the region's KMS key"),
    ("table-pitr", "Table point-in-time recovery enabled"),
    ("table-deletion-protection", "Table deletion protection enabled"),
    ("table-streams", "Table stream with new and old images"),
    ("bucket-versioning", "Bucket versioning enabled"),
    ("bucket-sse-kms", "Bucket default encryption SSE-KMS with the region's key"),
    ("bucket-public-access-blocked", "Bucket blocks public access (all four settings)"),
    ("bucket-tls-only", "Bucket policy denies requests without TLS"),
    ("bucket-replication-rtc", "Bucket replicates with RTC and metrics, SSE-KMS objects with the destination's key"),
    ("vpc-cidr", "VPC of the stack with the designed CIDR"),
    ("security-groups", "Security groups allow exactly the designed traffic"),
    ("flow-logs", "VPC flow log of all traffic to the flow-log group, active"),
    ("listener-tls-policy", "HTTPS listener uses the designed TLS policy"),
    ("listener-http-redirect", "HTTP listener only redirects to HTTPS (301)"),
    ("alb-access-logs", "ALB access logs on, to an SSE-S3, private, TLS-only log bucket with a retention"),
    ("health-check", "Route53 health check of the load balancer as designed"),
    ("failover-record", "Failover record of the service name as designed"),
    ("rto-budget", "Failover detection, TTL and resolver allowance fit in the RTO target"),
    ("alarm-actions", "Alarms complete, notifying an encrypted topic on ALARM and OK"),
    ("log-groups", "Log group encrypted with the region's key, retention as designed"),
    ("monitor-function", "Health monitor function active, encrypted, run every 2 minutes"),
    ("monitor-role-least-privilege", "Health monitor role is least privilege"),
    ("tags", "Resources carry the required tags"),
]
TITLES = dict(CONTROLS)
CONTROL_IDS = [control_id for control_id, _title in CONTROLS]
# The access-path controls (access-path:<path id>, one per path of plugins/module_utils/access_paths.py).
ACCESS_PATHS = "access-paths"
ACCESS_PATHS_TITLE = "Every permission path of the region allowed or refused as AWS requires"

# What the monitoring role deploys (roles/monitoring/defaults/main.yml).
MONITOR_RUNTIME = "python3.12"
MONITOR_SCHEDULE = "rate(2 minutes)"
# S3 Replication Time Control: 15 minutes is the only time S3 offers.
RTC_MINUTES = 15
STACK_TAG = "finproc:stack"
# Route53 ListTagsForResources takes 10 IDs a call.
ROUTE53_TAG_CHUNK = 10
PROTOCOLS = {"6": "tcp", "17": "udp", "1": "icmp", "-1": "all"}


class Missing(Exception):
    """A resource a control needs is not there (the control fails with this text)."""


def as_list(value):
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def chunks(items, size):
    for start in range(0, len(items), size):
        yield items[start:start + size]


def normalized_name(name):
    return (name or "").lower().rstrip(".")


def is_fatal(e):
    """Missing or refused credentials, or an endpoint that cannot be reached."""
    if isinstance(e, botocore.exceptions.ClientError):
        return e.response.get("Error", {}).get("Code") in CREDENTIAL_ERROR_CODES
    return isinstance(e, (
        botocore.exceptions.NoCredentialsError,
        botocore.exceptions.PartialCredentialsError,
        botocore.exceptions.CredentialRetrievalError,
        botocore.exceptions.NoRegionError,
        botocore.exceptions.ConnectionError,  # EndpointConnectionError, ConnectTimeoutError, proxy, SSL
    ))


def describe_error(e):
    if isinstance(e, botocore.exceptions.ClientError):
        error = e.response.get("Error", {})
        return "AWS error: %s failed: %s (%s)" % (e.operation_name, error.get("Message") or "", error.get("Code"))
    return "AWS error: %s" % e


@retry
def paginate(client, operation, **params):
    return client.get_paginator(operation).paginate(**params).build_full_result()


def key_id_of(reference):
    """The key ID in a key ARN (its last path element) or a bare key ID; None for an alias or nothing."""
    if not reference:
        return None
    if reference.startswith("arn:"):
        resource = reference.split(":", 5)[-1]
        return resource.split("/", 1)[1] if resource.startswith("key/") else None
    return None if reference.startswith("alias/") else reference


def key_matches(reference, key, alias):
    """Whether `reference` (key ARN, key ID, alias name or alias ARN) names `key` (KeyMetadata)."""
    if not reference or not key:
        return False
    arn = key["Arn"]
    alias_arn = arn.split(":key/")[0] + ":" + alias
    return reference in (arn, key["KeyId"], alias, alias_arn)


def policy_document(document):
    """A policy as a dict (IAM returns it URL-encoded text when botocore has not decoded it)."""
    if isinstance(document, dict):
        return document
    try:
        return json.loads(document)
    except ValueError:
        return json.loads(unquote(document))


def principals(statement):
    """The principals of a statement, as a list of strings ('*' for everyone)."""
    principal = statement.get("Principal")
    if principal is None:
        return []
    if not isinstance(principal, dict):
        return as_list(principal)
    found = []
    for value in principal.values():
        found.extend(as_list(value))
    return found


def covers(patterns, value):
    """Whether an IAM pattern (* and ?, case sensitive) of `patterns` matches `value`."""
    return any(fnmatch.fnmatchcase(value, pattern.replace("[", "[[]")) for pattern in patterns)


def condition_value(condition, operators, key):
    """The values of `key` (case-insensitive) under the first of `operators` that has it."""
    for operator in operators:
        block = (condition or {}).get(operator) or {}
        for name, value in block.items():
            if name.lower() == key.lower():
                return [str(v).lower() for v in as_list(value)]
    return None


def sg_rules(permissions):
    """Every rule of a group as (protocol, from port, to port, source or destination)."""
    rules = set()
    for permission in permissions or []:
        protocol = PROTOCOLS.get(str(permission.get("IpProtocol")), permission.get("IpProtocol"))
        head = (protocol, permission.get("FromPort"), permission.get("ToPort"))
        for item in permission.get("IpRanges", []):
            rules.add(head + (item["CidrIp"],))
        for item in permission.get("Ipv6Ranges", []):
            rules.add(head + (item["CidrIpv6"],))
        for item in permission.get("UserIdGroupPairs", []):
            rules.add(head + (item["GroupId"],))
        for item in permission.get("PrefixListIds", []):
            rules.add(head + (item["PrefixListId"],))
    return rules


def rule_text(rule, direction):
    protocol, low, high, peer = rule
    if protocol == "all":
        ports = "all traffic"
    elif low == high:
        ports = "%s %s" % (protocol, low)
    else:
        ports = "%s %s-%s" % (protocol, low, high)
    return "%s %s %s" % (ports, "from" if direction == "in" else "to", peer)


def missing_tags(tags, wanted):
    """What is missing or different in `tags` against `wanted`, as text."""
    problems = []
    for key in sorted(wanted):
        if key not in tags:
            problems.append("no %s" % key)
        elif tags[key] != wanted[key]:
            problems.append("%s=%r, wanted %r" % (key, tags[key], wanted[key]))
    return problems


class Stack(object):
    """The live state of one region of the stack, read lazily, each call made once."""

    def __init__(self, module):
        self.module = module
        self.params = module.params
        self.region = module.region
        self.prefix = module.params["name_prefix"]
        self.peers = module.params["peers"]
        self.primary_region = [p["region"] for p in self.peers if p["dr_role"] == "primary"][0]
        self.is_primary = module.params["dr_role"] == "primary"
        self.other_regions = [p["region"] for p in self.peers if p["region"] != self.region]
        self.alias = "alias/" + self.prefix
        self._clients = {}
        self._cache = {}
        self.account_id, self.partition = self.caller()
        self.bucket_name = self.bucket_of(self.region)
        self.table_name = self.prefix + "-transactions"
        self.alb_name = self.prefix + "-alb"
        self.target_group_name = self.prefix + "-app"
        self.function_name = self.prefix + "-health-monitor"
        self.rule_name = self.prefix + "-health-monitor"
        self.topic_name = self.prefix + "-monitoring"
        self.dns_topic_name = self.prefix + "-dns-health"
        self.alarm_prefix = "%s-%s-monitor-" % (self.prefix, self.region)
        self.flow_log_group = "/" + self.prefix.replace("-", "/") + "/vpc-flow-logs"
        self.log_groups = ["/aws/lambda/" + self.function_name, self.params["application_log_group"],
                           self.flow_log_group]
        self.health_check_name = "%s-%s" % (self.prefix, self.region)
        self.service_name = self.params["service_name"] or "api." + self.params["zone_name"]
        self.wanted_tags = dict((k, str(v)) for k, v in self.params["required_tags"].items())
        self.wanted_tags[STACK_TAG] = self.prefix

    # -- plumbing --------------------------------------------------------------------------------
    def client(self, service, region=None):
        region = region or self.region
        if (service, region) not in self._clients:
            self._clients[(service, region)] = self.module.client(service, retry_decorator=retry, region=region)
        return self._clients[(service, region)]

    def cached(self, key, read):
        """`read()` once per key; its AWS error (or Missing) is kept and raised again for every later caller."""
        if key not in self._cache:
            try:
                self._cache[key] = (True, read())
            except (Missing, botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as e:
                self._cache[key] = (False, e)
        ok, value = self._cache[key]
        if not ok:
            raise value
        return value

    def caller(self):
        try:
            identity = self.client("sts").get_caller_identity(aws_retry=True)
        except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as e:
            self.module.fail_json_aws(e, msg="STS GetCallerIdentity failed (credentials or endpoint of %s)"
                                      % self.region)
        return identity["Account"], identity["Arn"].split(":")[1]

    def bucket_of(self, region):
        return "%s-%s-%s" % (self.prefix, self.account_id, region)

    def bucket_arn(self, name):
        return "arn:%s:s3:::%s" % (self.partition, name)

    # -- KMS -------------------------------------------------------------------------------------
    def key(self, region=None):
        """KeyMetadata of alias/<prefix> in `region`; None when the alias does not exist."""
        region = region or self.region

        def read():
            try:
                return self.client("kms", region).describe_key(aws_retry=True, KeyId=self.alias)["KeyMetadata"]
            except is_boto3_error_code("NotFoundException"):
                return None
        return self.cached(("key", region), read)

    def need_key(self, region=None):
        key = self.key(region)
        if key is None:
            raise Missing("no KMS key has the alias %s in %s" % (self.alias, region or self.region))
        return key

    def key_tags(self):
        key = self.need_key()
        return self.cached(("key-tags",), lambda: boto3_tag_list_to_ansible_dict(
            paginate(self.client("kms"), "list_resource_tags", KeyId=key["Arn"]).get("Tags", []),
            tag_name_key_name="TagKey", tag_value_key_name="TagValue"))

    # -- DynamoDB --------------------------------------------------------------------------------
    def table(self, region=None):
        region = region or self.region

        def read():
            try:
                client = self.client("dynamodb", region)
                return client.describe_table(aws_retry=True, TableName=self.table_name)["Table"]
            except is_boto3_error_code("ResourceNotFoundException"):
                return None
        return self.cached(("table", region), read)

    def need_table(self):
        table = self.table()
        if table is None:
            raise Missing("table %s not found in %s" % (self.table_name, self.region))
        return table

    def table_tags(self):
        table = self.need_table()
        return self.cached(("table-tags",), lambda: boto3_tag_list_to_ansible_dict(
            paginate(self.client("dynamodb"), "list_tags_of_resource", ResourceArn=table["TableArn"]).get("Tags", [])))

    # -- S3 --------------------------------------------------------------------------------------
    def bucket_call(self, operation, not_found_codes, **params):
        """An S3 Get of the bucket; None for one of `not_found_codes` (the setting is absent)."""
        def read():
            try:
                return getattr(self.client("s3"), operation)(aws_retry=True, Bucket=self.bucket_name, **params)
            except is_boto3_error_code("NoSuchBucket"):
                raise Missing("bucket %s not found" % self.bucket_name) from None
            except is_boto3_error_code(not_found_codes):  # pylint: disable=duplicate-except
                return None
        return self.cached(("s3", operation), read)

    # -- EC2 -------------------------------------------------------------------------------------
    def vpcs(self):
        return self.cached(("vpcs",), lambda: paginate(
            self.client("ec2"), "describe_vpcs",
            Filters=[{"Name": "tag:" + STACK_TAG, "Values": [self.prefix]}])["Vpcs"])

    def vpc(self):
        vpcs = self.vpcs()
        if len(vpcs) != 1:
            raise Missing("%d VPCs tagged %s=%s in %s, wanted exactly one (%s)"
                          % (len(vpcs), STACK_TAG, self.prefix, self.region,
                             ", ".join(v["VpcId"] for v in vpcs) or "none"))
        return vpcs[0]

    def subnets(self):
        vpc_id = self.vpc()["VpcId"]
        return self.cached(("subnets",), lambda: paginate(
            self.client("ec2"), "describe_subnets", Filters=[{"Name": "vpc-id", "Values": [vpc_id]}])["Subnets"])

    def security_groups(self):
        """The stack's two groups by name (a missing one is absent)."""
        vpc_id = self.vpc()["VpcId"]
        names = [self.prefix + "-alb", self.prefix + "-app"]
        groups = self.cached(("groups",), lambda: paginate(
            self.client("ec2"), "describe_security_groups",
            Filters=[{"Name": "vpc-id", "Values": [vpc_id]}, {"Name": "group-name", "Values": names}],
        )["SecurityGroups"])
        return dict((g["GroupName"], g) for g in groups)

    # -- ELBv2 -----------------------------------------------------------------------------------
    def alb(self):
        def read():
            try:
                found = self.client("elbv2").describe_load_balancers(aws_retry=True, Names=[self.alb_name])
            except is_boto3_error_code("LoadBalancerNotFound"):
                return None
            return found["LoadBalancers"][0] if found["LoadBalancers"] else None
        return self.cached(("alb",), read)

    def need_alb(self):
        alb = self.alb()
        if alb is None:
            raise Missing("load balancer %s not found in %s" % (self.alb_name, self.region))
        return alb

    def listeners(self):
        arn = self.need_alb()["LoadBalancerArn"]
        return self.cached(("listeners",), lambda: paginate(
            self.client("elbv2"), "describe_listeners", LoadBalancerArn=arn)["Listeners"])

    def listener_rules(self, listener_arn):
        return self.cached(("rules", listener_arn), lambda: paginate(
            self.client("elbv2"), "describe_rules", ListenerArn=listener_arn)["Rules"])

    def target_group(self):
        def read():
            try:
                found = paginate(self.client("elbv2"), "describe_target_groups", Names=[self.target_group_name])
            except is_boto3_error_code("TargetGroupNotFound"):
                return None
            return found["TargetGroups"][0] if found["TargetGroups"] else None
        return self.cached(("target-group",), read)

    def elb_tags(self, arns):
        """Tags of load balancer and target group ARNs, in one DescribeTags."""
        def read():
            described = self.client("elbv2").describe_tags(aws_retry=True, ResourceArns=arns)["TagDescriptions"]
            return dict((d["ResourceArn"], boto3_tag_list_to_ansible_dict(d.get("Tags", []))) for d in described)
        return self.cached(("elb-tags", tuple(arns)), read)

    # -- Route53 ---------------------------------------------------------------------------------
    def health_checks(self):
        """Every health check of the account with its tags: [(check, tags)]."""
        def read():
            route53 = self.client("route53")
            checks = paginate(route53, "list_health_checks")["HealthChecks"]
            tags = {}
            for chunk in chunks([c["Id"] for c in checks], ROUTE53_TAG_CHUNK):
                sets = route53.list_tags_for_resources(aws_retry=True, ResourceType="healthcheck", ResourceIds=chunk)
                for tag_set in sets["ResourceTagSets"]:
                    tags[tag_set["ResourceId"]] = boto3_tag_list_to_ansible_dict(tag_set.get("Tags", []))
            return [(c, tags.get(c["Id"], {})) for c in checks]
        return self.cached(("health-checks",), read)

    def health_check(self):
        """The region's health check (its Name tag) and its tags."""
        found = [(c, t) for c, t in self.health_checks() if t.get("Name") == self.health_check_name]
        if len(found) != 1:
            raise Missing("%d Route53 health checks tagged Name=%s, wanted exactly one%s"
                          % (len(found), self.health_check_name,
                             " (%s)" % ", ".join(c["Id"] for c, _t in found) if found else ""))
        return found[0]

    def zone_id(self):
        def read():
            zones = self.client("route53").list_hosted_zones_by_name(
                aws_retry=True, DNSName=self.params["zone_name"], MaxItems="100")["HostedZones"]
            return [z["Id"].split("/")[-1] for z in zones
                    if normalized_name(z["Name"]) == normalized_name(self.params["zone_name"])
                    and not z.get("Config", {}).get("PrivateZone")]
        zones = self.cached(("zones",), read)
        if len(zones) != 1:
            raise Missing("%d public hosted zones named %s, wanted exactly one"
                          % (len(zones), self.params["zone_name"]))
        return zones[0]

    def service_records(self):
        """Every record set named service_name (any type), read from the name on."""
        zone_id = self.zone_id()

        def read():
            route53 = self.client("route53")
            wanted = normalized_name(self.service_name)
            records = []
            request = {"HostedZoneId": zone_id, "StartRecordName": self.service_name, "MaxItems": "100"}
            while True:
                page = route53.list_resource_record_sets(aws_retry=True, **request)
                sets = page["ResourceRecordSets"]
                records.extend(r for r in sets if normalized_name(r["Name"]) == wanted)
                if not page.get("IsTruncated") or not sets or normalized_name(sets[-1]["Name"]) != wanted:
                    return records
                request = {"HostedZoneId": zone_id, "StartRecordName": page["NextRecordName"], "MaxItems": "100"}
                for token in ("NextRecordType", "NextRecordIdentifier"):
                    if page.get(token):
                        request["Start" + token[len("Next"):]] = page[token]
        return self.cached(("records",), read)

    # -- SNS, CloudWatch -------------------------------------------------------------------------
    def topic_arn(self, name, region):
        return "arn:%s:sns:%s:%s:%s" % (self.partition, region, self.account_id, name)

    def topic_attributes(self, arn, region):
        def read():
            try:
                return self.client("sns", region).get_topic_attributes(aws_retry=True, TopicArn=arn)["Attributes"]
            except is_boto3_error_code(["NotFound", "NotFoundException"]):
                return None
        return self.cached(("topic", arn), read)

    def topic_tags(self, arn, region):
        return self.cached(("topic-tags", arn), lambda: boto3_tag_list_to_ansible_dict(
            self.client("sns", region).list_tags_for_resource(aws_retry=True, ResourceArn=arn).get("Tags", [])))

    def monitoring_alarms(self):
        return self.cached(("alarms",), lambda: paginate(
            self.client("cloudwatch"), "describe_alarms", AlarmNamePrefix=self.alarm_prefix)["MetricAlarms"])

    def alarms_named(self, names, region):
        def read():
            found = []
            for chunk in chunks(names, 100):
                found.extend(paginate(self.client("cloudwatch", region), "describe_alarms",
                                      AlarmNames=chunk)["MetricAlarms"])
            return found
        return self.cached(("alarms-named", region, tuple(names)), read)

    def alarm_tags(self, arn):
        return self.cached(("alarm-tags", arn), lambda: boto3_tag_list_to_ansible_dict(
            self.client("cloudwatch").list_tags_for_resource(aws_retry=True, ResourceARN=arn).get("Tags", [])))

    # -- Logs ------------------------------------------------------------------------------------
    def log_group(self, name):
        def read():
            groups = paginate(self.client("logs"), "describe_log_groups", logGroupNamePrefix=name)["logGroups"]
            return ([g for g in groups if g["logGroupName"] == name] or [None])[0]
        return self.cached(("log-group", name), read)

    def log_group_tags(self, group):
        arn = group["arn"][:-2] if group["arn"].endswith(":*") else group["arn"]
        return self.cached(("log-group-tags", arn), lambda: self.client("logs").list_tags_for_resource(
            aws_retry=True, resourceArn=arn).get("tags", {}))

    # -- Lambda, EventBridge, IAM ----------------------------------------------------------------
    def function(self):
        def read():
            try:
                return self.client("lambda").get_function(aws_retry=True, FunctionName=self.function_name)
            except is_boto3_error_code("ResourceNotFoundException"):
                return None
        return self.cached(("function",), read)

    def need_function(self):
        function = self.function()
        if function is None:
            raise Missing("function %s not found in %s" % (self.function_name, self.region))
        return function

    def rule(self):
        def read():
            try:
                return self.client("events").describe_rule(aws_retry=True, Name=self.rule_name)
            except is_boto3_error_code("ResourceNotFoundException"):
                return None
        return self.cached(("rule",), read)

    def need_rule(self):
        rule = self.rule()
        if rule is None:
            raise Missing("EventBridge rule %s not found in %s" % (self.rule_name, self.region))
        return rule

    def rule_targets(self):
        return self.cached(("rule-targets",), lambda: paginate(
            self.client("events"), "list_targets_by_rule", Rule=self.rule_name)["Targets"])

    def rule_tags(self):
        arn = self.need_rule()["Arn"]
        return self.cached(("rule-tags",), lambda: boto3_tag_list_to_ansible_dict(
            self.client("events").list_tags_for_resource(aws_retry=True, ResourceARN=arn).get("Tags", [])))


class Controls(object):
    """Evaluates the controls; each is a generator of (resource, passed, detail)."""

    def __init__(self, module):
        self.module = module
        self.params = module.params
        self.stack = Stack(module)
        self.results = []
        self.bucket_regions = {}

    def run(self):
        wanted = self.params["controls"] or CONTROL_IDS
        for control_id in CONTROL_IDS:
            if control_id in wanted:
                self.evaluate(control_id)
        if ACCESS_PATHS in self.params["controls"] or (not self.params["controls"] and self.params["access_paths"]):
            self.evaluate_access_paths()
        failed = []
        for entry in self.results:
            if not entry["passed"] and entry["id"] not in failed:
                failed.append(entry["id"])
        # Not "failed": Ansible would take a non-empty list for the task's failure ("Module failed:
        # Unknown error") and verify.yml could not report which controls failed.
        return dict(changed=False, controls=self.results, passed=not failed, failed_controls=failed)

    def add(self, control_id, resource, passed, detail):
        self.results.append(dict(id=control_id, title=TITLES[control_id], region=self.stack.region,
                                 resource=resource, passed=bool(passed), detail=detail))

    def evaluate(self, control_id):
        """Adds the entries of one control; an error before its first entry fails the control."""
        method = getattr(self, "control_" + control_id.replace("-", "_"))
        try:
            for resource, passed, detail in method():
                self.add(control_id, resource, passed, detail)
        except Missing as e:
            self.add(control_id, self.default_resource(control_id), False, str(e))
        except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as e:
            if is_fatal(e):
                self.module.fail_json_aws(e, msg="Control %s in %s: the credentials or the endpoint failed"
                                          % (control_id, self.stack.region))
            self.add(control_id, self.default_resource(control_id), False, describe_error(e))

    @staticmethod
    def guard(resource, check):
        """check() -> (resource, passed, detail), for one entry of a control with several: a missing
        resource or an AWS error fails that entry only (credentials and endpoint errors go on up)."""
        try:
            return check()
        except Missing as e:
            return resource, False, str(e)
        except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as e:
            if is_fatal(e):
                raise
            return resource, False, describe_error(e)

    def default_resource(self, control_id):
        """What an entry names when its control fails before it could name a resource."""
        s = self.stack
        if control_id.startswith("kms-"):
            return s.alias
        if control_id.startswith("table-"):
            return s.table_name
        if control_id.startswith("bucket-"):
            return s.bucket_name
        if control_id in ("vpc-cidr", "security-groups", "flow-logs"):
            return "VPC %s=%s" % (STACK_TAG, s.prefix)
        if control_id.startswith("listener-") or control_id == "alb-access-logs":
            return s.alb_name
        if control_id in ("health-check", "rto-budget"):
            return s.health_check_name
        if control_id == "failover-record":
            return "%s A %s" % (s.service_name, s.region)
        if control_id == "alarm-actions":
            return s.topic_arn(s.topic_name, s.region)
        if control_id.startswith("monitor-"):
            return s.function_name
        return s.region

    # -- KMS -------------------------------------------------------------------------------------
    def control_kms_key_rotation(self):
        s = self.stack
        key = s.need_key()
        problems = []
        if key.get("KeyState") != "Enabled":
            problems.append("key state %s, wanted Enabled" % key.get("KeyState"))
        if key.get("KeyManager") != "CUSTOMER":
            problems.append("managed by %s, wanted a customer managed key" % key.get("KeyManager"))
        try:
            rotation = s.client("kms").get_key_rotation_status(aws_retry=True, KeyId=key["Arn"])
        except is_boto3_error_code(["KMSInvalidStateException", "UnsupportedOperationException"]) as e:
            problems.append("rotation status unreadable: %s" % e.response["Error"].get("Message"))
        else:
            if not rotation.get("KeyRotationEnabled"):
                problems.append("automatic rotation is off")
        if problems:
            yield key["Arn"], False, "; ".join(problems)
        else:
            yield key["Arn"], True, "Enabled, customer managed, automatic rotation on"

    def control_kms_key_policy(self):
        s = self.stack
        key = s.need_key()
        found = s.client("kms").get_key_policy(aws_retry=True, KeyId=key["Arn"], PolicyName="default")
        policy = json.loads(found["Policy"])
        root = "arn:%s:iam::%s:root" % (s.partition, s.account_id)
        roots = (root, s.account_id)
        problems = []
        account_control = False
        for index, statement in enumerate(as_list(policy.get("Statement"))):
            name = statement.get("Sid") or "#%d" % (index + 1)
            if statement.get("Effect") != "Allow":
                continue
            who = principals(statement)
            actions = [a.lower() for a in as_list(statement.get("Action"))]
            if "*" in who:
                problems.append("statement %s allows Principal *" % name)
            everything = "kms:*" in actions or "*" in actions or "NotAction" in statement
            if everything and not all(p in roots for p in who):
                problems.append("statement %s grants %s to %s" % (
                    name, "kms:*" if "NotAction" not in statement else "NotAction",
                    ", ".join(p for p in who if p not in roots)))
            if statement.get("Sid") == "AccountControl" and everything and who and all(p in roots for p in who):
                account_control = True
        if not account_control:
            problems.append("no statement AccountControl allowing kms:* to %s" % root)
        if problems:
            yield key["Arn"], False, "; ".join(problems)
        else:
            yield key["Arn"], True, "kms:* for the account root only (AccountControl); no Principal *"

    # -- DynamoDB --------------------------------------------------------------------------------
    def control_table_replica_active(self):
        s = self.stack
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

    def control_table_sse_kms(self):
        s = self.stack
        table = s.need_table()
        key = s.need_key()
        # The region's own DescribeTable first (SSEDescription.KMSMasterKeyArn, "The KMS key ARN used
        # for the KMS encryption"); only where it names no key, the primary's Replicas[].KMSMasterKeyId,
        # whose format is not documented (a key ARN or a bare key ID): Amazon DynamoDB API Reference,
        # https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_SSEDescription.html and
        # https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_ReplicaDescription.html.
        sse = table.get("SSEDescription") or {}
        where = "DescribeTable in %s" % s.region
        found = sse.get("KMSMasterKeyArn")
        problems = []
        if sse and (sse.get("Status") != "ENABLED" or sse.get("SSEType") != "KMS"):
            problems.append("SSE %s %s, wanted KMS ENABLED" % (sse.get("SSEType"), sse.get("Status")))
        if not found and s.region != s.primary_region:
            primary = s.table(s.primary_region)
            replica = [r for r in (primary or {}).get("Replicas") or [] if r.get("RegionName") == s.region]
            where = "Replicas[].KMSMasterKeyId of the table in %s (DescribeTable in %s has no %s)" % (
                s.primary_region, s.region, "SSEDescription.KMSMasterKeyArn" if sse else "SSEDescription")
            found = replica[0].get("KMSMasterKeyId") if replica else None
            if not replica:
                problems.append("the table in %s lists no replica in %s" % (s.primary_region, s.region))
        if not found and not problems:
            problems.append("no KMS key (an AWS owned key encrypts the table)")
        elif found and not key_matches(found, key, s.alias) and key_id_of(found) != key["KeyId"]:
            problems.append("encrypted with %s" % found)
        if problems:
            yield table["TableArn"], False, "%s, wanted %s (read from %s)" % ("; ".join(problems), key["Arn"], where)
        else:
            yield table["TableArn"], True, "encrypted with %s (read from %s)" % (key["Arn"], where)

    def control_table_pitr(self):
        s = self.stack
        table = s.need_table()
        backups = s.client("dynamodb").describe_continuous_backups(aws_retry=True, TableName=s.table_name)
        status = backups["ContinuousBackupsDescription"].get("PointInTimeRecoveryDescription", {}).get(
            "PointInTimeRecoveryStatus")
        if status == "ENABLED":
            yield table["TableArn"], True, "point-in-time recovery ENABLED"
        else:
            yield table["TableArn"], False, "point-in-time recovery %s, wanted ENABLED" % status

    def control_table_deletion_protection(self):
        table = self.stack.need_table()
        if table.get("DeletionProtectionEnabled"):
            yield table["TableArn"], True, "deletion protection on"
        else:
            yield table["TableArn"], False, "deletion protection off"

    def control_table_streams(self):
        table = self.stack.need_table()
        stream = table.get("StreamSpecification") or {}
        if stream.get("StreamEnabled") and stream.get("StreamViewType") == "NEW_AND_OLD_IMAGES":
            yield table["TableArn"], True, "stream NEW_AND_OLD_IMAGES"
        elif not stream.get("StreamEnabled"):
            yield table["TableArn"], False, "no stream, wanted NEW_AND_OLD_IMAGES"
        else:
            yield table["TableArn"], False, "stream %s, wanted NEW_AND_OLD_IMAGES" % stream.get("StreamViewType")

    # -- S3 --------------------------------------------------------------------------------------
    def control_bucket_versioning(self):
        s = self.stack
        status = s.bucket_call("get_bucket_versioning", []).get("Status")
        if status == "Enabled":
            yield s.bucket_name, True, "versioning Enabled"
        else:
            yield s.bucket_name, False, "versioning %s, wanted Enabled" % (status or "never enabled")

    def control_bucket_sse_kms(self):
        s = self.stack
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

    def control_bucket_public_access_blocked(self):
        s = self.stack
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

    def control_bucket_tls_only(self):
        s = self.stack
        found = s.bucket_call("get_bucket_policy", ["NoSuchBucketPolicy"])
        if found is None:
            yield s.bucket_name, False, "no bucket policy: requests without TLS are not denied"
            return
        policy = json.loads(found["Policy"])
        arn = s.bucket_arn(s.bucket_name)
        resources = []
        for statement in as_list(policy.get("Statement")):
            if statement.get("Effect") != "Deny" or "*" not in principals(statement):
                continue
            actions = [a.lower() for a in as_list(statement.get("Action"))]
            if "s3:*" not in actions and "*" not in actions:
                continue
            secure = condition_value(statement.get("Condition"), ("Bool", "BoolIfExists"), "aws:SecureTransport")
            if secure != ["false"]:
                continue
            resources.extend(as_list(statement.get("Resource")))
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

    def control_bucket_replication_rtc(self):
        s = self.stack
        if s.is_primary:
            destinations = s.other_regions
        else:
            destinations = [p["region"] for p in s.peers if p["dr_role"] == "primary" and p["region"] != s.region]
        if not destinations:
            yield s.bucket_name, True, "the stack has no other region: nothing to replicate"
            return
        for region in destinations:
            resource = "%s -> %s" % (s.bucket_name, s.bucket_of(region))
            yield self.guard(resource, lambda region=region, resource=resource: self.replication_to(region, resource))

    def replication_to(self, region, resource):
        s = self.stack
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
            problems.extend("rule %s: %s" % (rule.get("ID"), p) for p in self.replication_problems(rule, key))
        if key is None:
            problems.append("no KMS key %s in %s to replicate SSE-KMS objects with" % (s.alias, region))
        if problems:
            return resource, False, "; ".join(problems)
        return resource, True, "rule %s: Enabled, RTC %d minutes, metrics on, SSE-KMS objects with %s" % (
            ", ".join(r.get("ID", "") for r in to_destination), RTC_MINUTES, key["Arn"])

    def replication_problems(self, rule, key):
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
        if key is not None and not key_matches(replica_key, key, self.stack.alias):
            problems.append("replica key %s, wanted %s" % (replica_key, key["Arn"]))
        return problems

    # -- Network ---------------------------------------------------------------------------------
    def control_vpc_cidr(self):
        vpc = self.stack.vpc()
        wanted = ipaddress.ip_network(self.params["vpc_cidr"], strict=False)
        found = vpc.get("CidrBlock")
        if ipaddress.ip_network(found, strict=False) == wanted:
            yield vpc["VpcId"], True, "CIDR %s" % found
        else:
            yield vpc["VpcId"], False, "CIDR %s, wanted %s" % (found, wanted)

    def control_security_groups(self):
        s = self.stack
        groups = s.security_groups()
        alb, app = groups.get(s.prefix + "-alb"), groups.get(s.prefix + "-app")
        port = self.params["app_port"]
        alb_id = alb["GroupId"] if alb else s.prefix + "-alb"
        app_id = app["GroupId"] if app else s.prefix + "-app"
        designed = [
            (s.prefix + "-alb", alb,
             set([("tcp", 80, 80, "0.0.0.0/0"), ("tcp", 443, 443, "0.0.0.0/0")]),
             set([("tcp", port, port, app_id)])),
            (s.prefix + "-app", app,
             set([("tcp", port, port, alb_id)]),
             set([("tcp", 443, 443, "0.0.0.0/0")])),
        ]
        for name, group, ingress, egress in designed:
            if group is None:
                yield name, False, "security group %s not found in %s" % (name, s.vpc()["VpcId"])
                continue
            problems = []
            for direction, wanted, found in (("in", ingress, sg_rules(group.get("IpPermissions"))),
                                             ("out", egress, sg_rules(group.get("IpPermissionsEgress")))):
                label = "ingress" if direction == "in" else "egress"
                extra = sorted(found - wanted, key=str)
                absent = sorted(wanted - found, key=str)
                if extra:
                    problems.append("unexpected %s: %s" % (label, ", ".join(rule_text(r, direction) for r in extra)))
                if absent:
                    problems.append("missing %s: %s" % (label, ", ".join(rule_text(r, direction) for r in absent)))
            resource = "%s (%s)" % (group["GroupId"], name)
            if problems:
                yield resource, False, "; ".join(problems)
            else:
                yield resource, True, "exactly %s in, %s out" % (
                    ", ".join(rule_text(r, "in") for r in sorted(ingress, key=str)),
                    ", ".join(rule_text(r, "out") for r in sorted(egress, key=str)))

    def control_flow_logs(self):
        s = self.stack
        vpc_id = s.vpc()["VpcId"]
        flow_logs = s.cached(("flow-logs",), lambda: paginate(
            s.client("ec2"), "describe_flow_logs", Filters=[{"Name": "resource-id", "Values": [vpc_id]}])["FlowLogs"])
        summaries = []
        for flow_log in flow_logs:
            problems = []
            if flow_log.get("TrafficType") != "ALL":
                problems.append("traffic %s" % flow_log.get("TrafficType"))
            if flow_log.get("LogDestinationType", "cloud-watch-logs") != "cloud-watch-logs" or \
                    flow_log.get("LogGroupName") != s.flow_log_group:
                problems.append("to %s" % (flow_log.get("LogGroupName") or flow_log.get("LogDestination")))
            if flow_log.get("FlowLogStatus") != "ACTIVE":
                problems.append("status %s" % flow_log.get("FlowLogStatus"))
            if flow_log.get("DeliverLogsStatus", "SUCCESS") != "SUCCESS":
                problems.append("delivery %s (%s)" % (flow_log.get("DeliverLogsStatus"),
                                                      flow_log.get("DeliverLogsErrorMessage", "")))
            if not problems:
                yield flow_log["FlowLogId"], True, "%s: traffic ALL to %s, ACTIVE" % (vpc_id, s.flow_log_group)
                return
            summaries.append("%s %s" % (flow_log["FlowLogId"], ", ".join(problems)))
        yield vpc_id, False, "no active flow log of all traffic to %s (found: %s)" % (
            s.flow_log_group, "; ".join(summaries) or "no flow log")

    # -- Load balancer ---------------------------------------------------------------------------
    def listener_on(self, port):
        found = [listener for listener in self.stack.listeners() if listener.get("Port") == port]
        if not found:
            raise Missing("load balancer %s has no listener on port %d" % (self.stack.alb_name, port))
        return found[0]

    def control_listener_tls_policy(self):
        listener = self.listener_on(443)
        policy = listener.get("SslPolicy")
        wanted = self.params["tls_policy"]
        if listener.get("Protocol") != "HTTPS":
            yield listener["ListenerArn"], False, "port 443 listens %s, wanted HTTPS with %s" % (
                listener.get("Protocol"), wanted)
        elif policy != wanted:
            yield listener["ListenerArn"], False, "SslPolicy %s, wanted %s" % (policy, wanted)
        else:
            yield listener["ListenerArn"], True, "HTTPS with %s" % policy

    @staticmethod
    def redirect_problems(actions):
        if len(actions) != 1 or actions[0].get("Type") != "redirect":
            return ["actions %s, wanted one redirect" % ", ".join(a.get("Type", "?") for a in actions)]
        config = actions[0].get("RedirectConfig") or {}
        found = (config.get("Protocol"), config.get("Port"), config.get("StatusCode"))
        if found != ("HTTPS", "443", "HTTP_301"):
            return ["redirects to %s port %s with %s, wanted HTTPS port 443 with HTTP_301" % found]
        return []

    def control_listener_http_redirect(self):
        listener = self.listener_on(80)
        problems = []
        if listener.get("Protocol") != "HTTP":
            problems.append("port 80 listens %s, wanted HTTP" % listener.get("Protocol"))
        problems.extend("default action: " + p for p in self.redirect_problems(listener.get("DefaultActions") or []))
        for rule in self.stack.listener_rules(listener["ListenerArn"]):
            if rule.get("IsDefault"):
                continue
            problems.extend("rule %s: %s" % (rule.get("Priority"), p)
                            for p in self.redirect_problems(rule.get("Actions") or []))
        if problems:
            yield listener["ListenerArn"], False, "; ".join(problems)
        else:
            yield listener["ListenerArn"], True, "HTTP only redirects to HTTPS 443 with HTTP_301"

    # -- DNS failover ----------------------------------------------------------------------------
    def control_health_check(self):
        s = self.stack
        check, _tags = s.health_check()
        config = check.get("HealthCheckConfig", {})
        alb = s.alb()
        alb_name = normalized_name(alb["DNSName"]) if alb else "the DNS name of %s (not found)" % s.alb_name
        wanted = [
            ("Type", "HTTPS", config.get("Type")),
            ("FullyQualifiedDomainName", alb_name, normalized_name(config.get("FullyQualifiedDomainName"))),
            ("Port", 443, config.get("Port")),
            ("ResourcePath", self.params["health_check_path"], config.get("ResourcePath")),
            ("RequestInterval", self.params["health_check_interval_seconds"], config.get("RequestInterval")),
            ("FailureThreshold", self.params["health_check_failure_threshold"], config.get("FailureThreshold")),
            ("Inverted", False, bool(config.get("Inverted"))),
            ("Disabled", False, bool(config.get("Disabled"))),
        ]
        problems = ["%s %s, wanted %s" % (name, found, value) for name, value, found in wanted if found != value]
        if problems:
            yield check["Id"], False, "; ".join(problems)
        else:
            yield check["Id"], True, "HTTPS %s:443%s every %d s, %d failures" % (
                alb_name, config.get("ResourcePath"), config.get("RequestInterval"), config.get("FailureThreshold"))

    def control_failover_record(self):
        s = self.stack
        role = self.params["failover_record"]
        records = [r for r in s.service_records() if r.get("SetIdentifier") == s.region]
        resource = "%s A %s" % (s.service_name, s.region)
        if not role:
            if records:
                yield resource, False, "the region takes no part in the failover but has %s" % ", ".join(
                    "a %s %s record" % (r.get("Failover", "non-failover"), r["Type"]) for r in records)
            else:
                yield resource, True, "no record: the region takes no part in the failover"
            return
        records = [r for r in records if r["Type"] == "A"]
        if len(records) != 1:
            yield resource, False, "%d A records of %s with set identifier %s in zone %s, wanted one %s record" % (
                len(records), s.service_name, s.region, self.params["zone_name"], role)
            return
        record = records[0]
        alb = s.need_alb()
        check, _tags = s.health_check()
        alias = record.get("AliasTarget") or {}
        problems = []
        if record.get("Failover") != role:
            problems.append("Failover %s, wanted %s" % (record.get("Failover"), role))
        if not alias:
            problems.append("not an alias record")
        else:
            target = normalized_name(alb["DNSName"]) + "."
            if normalized_name(alias.get("DNSName")) + "." != target:
                problems.append("alias to %s, wanted %s" % (alias.get("DNSName"), target))
            zone = alb.get("CanonicalHostedZoneId")
            if alias.get("HostedZoneId") != zone:
                problems.append("alias zone %s, wanted %s" % (alias.get("HostedZoneId"), zone))
            if alias.get("EvaluateTargetHealth") is not True:
                problems.append("EvaluateTargetHealth off")
        if record.get("HealthCheckId") != check["Id"]:
            problems.append("health check %s, wanted %s" % (record.get("HealthCheckId"), check["Id"]))
        if problems:
            yield resource, False, "; ".join(problems)
        else:
            yield resource, True, "%s alias to %s, target health evaluated, health check %s" % (
                role, normalized_name(alb["DNSName"]) + ".", check["Id"])

    def control_rto_budget(self):
        check, _tags = self.stack.health_check()
        config = check.get("HealthCheckConfig", {})
        interval = config.get("RequestInterval", 30)
        threshold = config.get("FailureThreshold", 3)
        ttl = self.params["dns_record_ttl_seconds"]
        allowance = self.params["dns_resolver_allowance_seconds"]
        rto = self.params["rto_target_seconds"]
        detection = interval * threshold
        total = detection + ttl + allowance
        arithmetic = ("health checks %d s \u00d7 %d failures = %d s + record TTL %d s + resolver allowance %d s = %d s"
                      % (interval, threshold, detection, ttl, allowance, total))
        if total > rto:
            yield check["Id"], False, "%s, more than the RTO target %d s" % (arithmetic, rto)
        else:
            yield check["Id"], True, "%s, within the RTO target %d s" % (arithmetic, rto)

    # -- Monitoring ------------------------------------------------------------------------------
    def topic_problems(self, arn, region):
        s = self.stack
        attributes = s.topic_attributes(arn, region)
        if attributes is None:
            return ["topic %s not found" % arn]
        key = s.key(region)
        found = attributes.get("KmsMasterKeyId")
        if key is None:
            return ["no KMS key %s in %s to encrypt the topic" % (s.alias, region)]
        if not key_matches(found, key, s.alias):
            return ["topic encrypted with %s, wanted %s" % (found or "nothing", key["Arn"])]
        return []

    @staticmethod
    def action_problems(alarms, topic_arn):
        problems = []
        for alarm in sorted(alarms, key=lambda a: a["AlarmName"]):
            wrong = []
            if alarm.get("AlarmActions") != [topic_arn]:
                wrong.append("AlarmActions %s" % (alarm.get("AlarmActions") or "empty"))
            if alarm.get("OKActions") != [topic_arn]:
                wrong.append("OKActions %s" % (alarm.get("OKActions") or "empty"))
            if not alarm.get("ActionsEnabled"):
                wrong.append("actions disabled")
            if wrong:
                problems.append("%s: %s" % (alarm["AlarmName"], ", ".join(wrong)))
        return problems

    def control_alarm_actions(self):
        s = self.stack
        topic_arn = s.topic_arn(s.topic_name, s.region)
        yield self.guard(topic_arn, lambda: self.monitoring_alarm_actions(topic_arn))
        if s.is_primary:
            dns_topic = s.topic_arn(s.dns_topic_name, self.params["metrics_region"])
            yield self.guard(dns_topic, lambda: self.health_check_alarm_actions(dns_topic))

    def monitoring_alarm_actions(self, topic_arn):
        s = self.stack
        alarms = s.monitoring_alarms()
        by_name = dict((a["AlarmName"], a) for a in alarms)
        wanted = ["self", "lambda-errors", "service-name"]
        wanted += ["endpoint-" + p["region"] for p in s.peers]
        wanted += ["replication-lag-" + region for region in s.other_regions]
        wanted += ["heartbeat-write"] if s.other_regions else []
        missing = [s.alarm_prefix + name for name in wanted if s.alarm_prefix + name not in by_name]
        problems = self.topic_problems(topic_arn, s.region)
        if missing:
            problems.append("missing alarms: %s" % ", ".join(missing))
        for region in s.other_regions:
            alarm = by_name.get(s.alarm_prefix + "replication-lag-" + region)
            if alarm is not None and alarm.get("Threshold") != self.params["rpo_target_seconds"]:
                problems.append("%s: threshold %s s, wanted the RPO target %d s" % (
                    alarm["AlarmName"], alarm.get("Threshold"), self.params["rpo_target_seconds"]))
            # A lag that is not measured must raise the RPO alarm: CloudWatch user guide, "Configuring
            # how CloudWatch alarms treat missing data",
            # https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/alarms-and-missing-data.html:
            # with `missing` an alarm without data goes to INSUFFICIENT_DATA and notifies nobody.
            if alarm is not None and alarm.get("TreatMissingData", "missing") != "breaching":
                problems.append("%s: TreatMissingData %s, wanted breaching" % (
                    alarm["AlarmName"], alarm.get("TreatMissingData", "missing")))
        problems.extend(self.action_problems(alarms, topic_arn))
        if problems:
            return topic_arn, False, "; ".join(problems)
        return topic_arn, True, "%d alarms %s* notify the encrypted topic on ALARM and OK" % (
            len(alarms), s.alarm_prefix)

    def health_check_alarm_actions(self, dns_topic):
        s = self.stack
        region = self.params["metrics_region"]
        names = ["%s-%s-endpoint-unhealthy" % (s.prefix, p["region"]) for p in s.peers]
        alarms = s.alarms_named(names, region)
        found = set(a["AlarmName"] for a in alarms)
        problems = self.topic_problems(dns_topic, region)
        missing = [name for name in names if name not in found]
        if missing:
            problems.append("missing alarms in %s: %s" % (region, ", ".join(missing)))
        problems.extend(self.action_problems(alarms, dns_topic))
        if problems:
            return dns_topic, False, "; ".join(problems)
        return dns_topic, True, "%d health-check alarms in %s notify the encrypted topic on ALARM and OK" % (
            len(alarms), region)

    def control_log_groups(self):
        for name in self.stack.log_groups:
            yield self.guard(name, lambda name=name: self.log_group_entry(name))

    def log_group_entry(self, name):
        s = self.stack
        days = self.params["log_retention_days"]
        group = s.log_group(name)
        if group is None:
            return name, False, "log group %s not found in %s" % (name, s.region)
        key = s.need_key()
        problems = []
        if not key_matches(group.get("kmsKeyId"), key, s.alias):
            problems.append("encrypted with %s, wanted %s" % (group.get("kmsKeyId") or "the service key", key["Arn"]))
        if group.get("retentionInDays") != days:
            problems.append("retention %s, wanted %d days" % (
                "%s days" % group["retentionInDays"] if group.get("retentionInDays") else "never expire", days))
        if problems:
            return name, False, "; ".join(problems)
        return name, True, "encrypted with %s, kept %d days" % (key["Arn"], days)

    def control_monitor_function(self):
        s = self.stack
        config = s.need_function()["Configuration"]
        key = s.need_key()
        problems = []
        if config.get("State") != "Active":
            problems.append("state %s, wanted Active" % config.get("State"))
        if config.get("Runtime") != MONITOR_RUNTIME:
            problems.append("runtime %s, wanted %s" % (config.get("Runtime"), MONITOR_RUNTIME))
        if not key_matches(config.get("KMSKeyArn"), key, s.alias):
            problems.append("environment encrypted with %s, wanted %s" % (
                config.get("KMSKeyArn") or "the AWS managed key", key["Arn"]))
        rule = s.rule()
        if rule is None:
            problems.append("no EventBridge rule %s" % s.rule_name)
        else:
            if rule.get("State") != "ENABLED":
                problems.append("rule %s %s, wanted ENABLED" % (s.rule_name, rule.get("State")))
            if rule.get("ScheduleExpression") != MONITOR_SCHEDULE:
                problems.append("rule %s runs %s, wanted %s"
                                % (s.rule_name, rule.get("ScheduleExpression"), MONITOR_SCHEDULE))
            targets = [t.get("Arn") for t in s.rule_targets()]
            if config["FunctionArn"] not in targets:
                problems.append("rule %s targets %s, not the function" % (s.rule_name, ", ".join(targets) or "nothing"))
        if problems:
            yield config["FunctionArn"], False, "; ".join(problems)
        else:
            yield config["FunctionArn"], True, "Active, %s, environment encrypted with %s, rule %s ENABLED %s" % (
                MONITOR_RUNTIME, key["Arn"], s.rule_name, MONITOR_SCHEDULE)

    def statement_problems(self, policy_name, index, statement):
        name = "%s/%s" % (policy_name, statement.get("Sid") or "#%d" % (index + 1))
        if statement.get("Effect") != "Allow":
            return []
        problems = []
        actions = as_list(statement.get("Action"))
        resources = as_list(statement.get("Resource"))
        if "NotAction" in statement:
            problems.append("%s allows NotAction" % name)
        if "NotResource" in statement:
            problems.append("%s allows NotResource" % name)
        wildcards = [a for a in actions if "*" in a]
        if wildcards:
            problems.append("%s: wildcard action %s" % (name, ", ".join(wildcards)))
        if "*" in resources:
            namespace = condition_value(statement.get("Condition"), ("StringEquals",), "cloudwatch:namespace")
            if [a.lower() for a in actions] != ["cloudwatch:putmetricdata"]:
                problems.append("%s: resource * for %s" % (name, ", ".join(actions)))
            elif namespace != [self.params["monitoring_namespace"].lower()]:
                problems.append("%s: cloudwatch:PutMetricData on * without a StringEquals cloudwatch:namespace %s "
                                "condition" % (name, self.params["monitoring_namespace"]))
        return problems

    def control_monitor_role_least_privilege(self):
        s = self.stack
        function = s.function()
        if function is not None:
            role_name = function["Configuration"]["Role"].split("/")[-1]
        else:
            role_name = "%s-monitor-%s" % (s.prefix, s.region)
        iam = s.client("iam")
        try:
            policy_names = paginate(iam, "list_role_policies", RoleName=role_name)["PolicyNames"]
        except is_boto3_error_code("NoSuchEntity"):
            yield role_name, False, "role %s not found" % role_name
            return
        attached = paginate(iam, "list_attached_role_policies", RoleName=role_name)["AttachedPolicies"]
        problems = []
        if attached:
            problems.append("managed policies attached: %s" % ", ".join(p["PolicyArn"] for p in attached))
        for policy_name in policy_names:
            document = policy_document(iam.get_role_policy(
                aws_retry=True, RoleName=role_name, PolicyName=policy_name)["PolicyDocument"])
            for index, statement in enumerate(as_list(document.get("Statement"))):
                problems.extend(self.statement_problems(policy_name, index, statement))
        if problems:
            yield role_name, False, "; ".join(problems)
        else:
            yield role_name, True, "inline %s: no wildcard action, * only for cloudwatch:PutMetricData in %s; no " \
                "managed policy" % (", ".join(policy_names) or "none", self.params["monitoring_namespace"])

    # -- Tags ------------------------------------------------------------------------------------
    def tag_entry(self, label, resources):
        """resources: [(id, tags)] (tags None: not found). One (resource, passed, detail)."""
        wanted = self.stack.wanted_tags
        problems = []
        for resource_id, tags in resources:
            if tags is None:
                problems.append("%s not found" % resource_id)
                continue
            missing = missing_tags(tags, wanted)
            if missing:
                problems.append("%s: %s" % (resource_id, ", ".join(missing)))
        if not resources:
            raise Missing("none found")
        if len(resources) == 1:
            resource, what = resources[0][0], "the %s carries" % label
        else:
            resource, what = "%s (%d)" % (label, len(resources)), "all %d %s carry" % (len(resources), label)
        if problems:
            return resource, False, "%s missing required tags: %s" % (label, "; ".join(problems))
        return resource, True, "%s %s" % (what, ", ".join("%s=%s" % (k, wanted[k]) for k in sorted(wanted)))

    def tag_sources(self):
        """(label, reader) per resource type; a reader returns [(id, tags or None)]."""
        s = self.stack

        def key():
            return [(s.need_key()["Arn"], s.key_tags())]

        def vpc():
            vpc = s.vpc()
            return [(vpc["VpcId"], boto3_tag_list_to_ansible_dict(vpc.get("Tags", [])))]

        def subnets():
            found = s.subnets()
            if not found:
                raise Missing("no subnet in %s" % s.vpc()["VpcId"])
            return [(n["SubnetId"], boto3_tag_list_to_ansible_dict(n.get("Tags", []))) for n in found]

        def groups():
            found = s.security_groups()
            return [(found[name]["GroupId"] if name in found else name,
                     boto3_tag_list_to_ansible_dict(found[name].get("Tags", [])) if name in found else None)
                    for name in (s.prefix + "-alb", s.prefix + "-app")]

        def alb():
            alb = s.need_alb()
            group = s.target_group()
            arns = [alb["LoadBalancerArn"]] + ([group["TargetGroupArn"]] if group else [])
            return [(alb["LoadBalancerArn"], s.elb_tags(arns).get(alb["LoadBalancerArn"], {}))]

        def target_group():
            group = s.target_group()
            if group is None:
                return [(s.target_group_name, None)]
            alb = s.alb()
            arns = ([alb["LoadBalancerArn"]] if alb else []) + [group["TargetGroupArn"]]
            return [(group["TargetGroupArn"], s.elb_tags(arns).get(group["TargetGroupArn"], {}))]

        def table():
            return [(s.need_table()["TableArn"], s.table_tags())]

        def bucket():
            found = s.bucket_call("get_bucket_tagging", ["NoSuchTagSet"])
            return [(s.bucket_name, boto3_tag_list_to_ansible_dict((found or {}).get("TagSet", [])))]

        def function():
            found = s.need_function()
            return [(found["Configuration"]["FunctionArn"], found.get("Tags") or {})]

        def rule():
            return [(s.need_rule()["Arn"], s.rule_tags())]

        def topics():
            wanted = [(s.topic_arn(s.topic_name, s.region), s.region)]
            if s.is_primary:
                region = self.params["metrics_region"]
                wanted.append((s.topic_arn(s.dns_topic_name, region), region))
            return [(arn, s.topic_tags(arn, region) if s.topic_attributes(arn, region) is not None else None)
                    for arn, region in wanted]

        def alarms():
            found = s.monitoring_alarms()
            if not found:
                raise Missing("no alarm named %s* in %s" % (s.alarm_prefix, s.region))
            return [(a["AlarmName"], s.alarm_tags(a["AlarmArn"])) for a in found]

        def log_groups():
            found = []
            for name in s.log_groups:
                group = s.log_group(name)
                found.append((name, s.log_group_tags(group) if group is not None else None))
            return found

        def health_check():
            check, tags = s.health_check()
            return [(check["Id"], tags)]

        return [
            ("KMS key", key), ("VPC", vpc), ("subnets", subnets), ("security groups", groups),
            ("load balancer", alb), ("target group", target_group), ("table", table), ("bucket", bucket),
            ("function", function), ("schedule rule", rule), ("topics", topics), ("monitoring alarms", alarms),
            ("log groups", log_groups), ("health check", health_check),
        ]

    def control_tags(self):
        for label, reader in self.tag_sources():
            resource, passed, detail = self.guard(
                label, lambda label=label, reader=reader: self.tag_entry(label, reader()))
            yield resource, passed, detail if passed or detail.startswith(label) else "%s: %s" % (label, detail)

    def control_alb_access_logs(self):
        """ELB user guide, "Enable access logs for your Application Load Balancer": "The only
        server-side encryption option that's supported is Amazon S3-managed keys (SSE-S3)"
        (https://docs.aws.amazon.com/elasticloadbalancing/latest/application/enable-access-logging.html)."""
        s = self.stack
        if not self.params["alb_access_logs"]:
            yield s.alb_name, True, "access logs off by configuration (alb_access_logs false)"
            return
        bucket = "%s-%s-%s-alb-logs" % (s.prefix, s.account_id, s.region)
        arn = s.need_alb()["LoadBalancerArn"]
        attributes = s.cached(("alb-attributes",), lambda: dict(
            (a["Key"], a["Value"]) for a in s.client("elbv2").describe_load_balancer_attributes(
                aws_retry=True, LoadBalancerArn=arn)["Attributes"]))
        problems = []
        for key, wanted in (("access_logs.s3.enabled", "true"), ("access_logs.s3.bucket", bucket),
                            ("access_logs.s3.prefix", self.params["alb_access_logs_prefix"])):
            if attributes.get(key) != wanted:
                problems.append("%s is %r, wanted %r" % (key, attributes.get(key), wanted))

        def get(operation, absent):
            try:
                return getattr(s.client("s3"), operation)(aws_retry=True, Bucket=bucket)
            except is_boto3_error_code(absent):
                return None

        try:
            encryption = get("get_bucket_encryption", "ServerSideEncryptionConfigurationNotFoundError")
        except is_boto3_error_code("NoSuchBucket"):
            yield bucket, False, "; ".join(problems + ["bucket %s not found" % bucket])
            return
        algorithms = [r.get("ApplyServerSideEncryptionByDefault", {}).get("SSEAlgorithm")
                      for r in (encryption or {}).get("ServerSideEncryptionConfiguration", {}).get("Rules", [])]
        if algorithms != ["AES256"]:
            problems.append("default encryption %s, wanted AES256 (SSE-S3)"
                            % (", ".join(map(str, algorithms)) or "none"))
        block = (get("get_public_access_block", "NoSuchPublicAccessBlockConfiguration") or {}).get(
            "PublicAccessBlockConfiguration", {})
        off = [flag for flag in ("BlockPublicAcls", "IgnorePublicAcls", "BlockPublicPolicy", "RestrictPublicBuckets")
               if not block.get(flag)]
        if off:
            problems.append("public access block %s off" % ", ".join(off))
        found = get("get_bucket_policy", "NoSuchBucketPolicy")
        denied = []
        for statement in as_list(json.loads(found["Policy"]).get("Statement") if found else []):
            actions = [a.lower() for a in as_list(statement.get("Action"))]
            if (statement.get("Effect") == "Deny" and "*" in principals(statement)
                    and ("s3:*" in actions or "*" in actions)
                    and condition_value(statement.get("Condition"), ("Bool", "BoolIfExists"),
                                        "aws:SecureTransport") == ["false"]):
                denied.extend(as_list(statement.get("Resource")))
        bucket_arn = s.bucket_arn(bucket)
        if not (covers(denied, bucket_arn) and covers(denied, bucket_arn + "/any-object")):
            problems.append("the policy does not deny s3:* on the bucket and its objects without TLS")
        lifecycle = get("get_bucket_lifecycle_configuration", "NoSuchLifecycleConfiguration") or {}
        retention = self.params["alb_access_log_retention_days"]
        rules = [r for r in lifecycle.get("Rules", []) if r.get("Status") == "Enabled"
                 and not (r.get("Filter") or {}).get("Prefix", r.get("Prefix", ""))
                 and set(r.get("Filter") or {}) <= {"Prefix"}
                 and (r.get("Expiration") or {}).get("Days") == retention
                 and (r.get("AbortIncompleteMultipartUpload") or {}).get("DaysAfterInitiation")]
        if not rules:
            problems.append("no enabled lifecycle rule over the whole bucket expires objects after %d days and "
                            "aborts incomplete uploads" % retention)
        if problems:
            yield bucket, False, "; ".join(problems)
        else:
            yield bucket, True, ("%s delivers to %s/%s, SSE-S3, public access blocked, TLS only, objects expire "
                                 "after %d days" % (s.alb_name, bucket, self.params["alb_access_logs_prefix"],
                                                    retention))

    # -- Access paths ----------------------------------------------------------------------------
    def access_path_stack(self):
        """The stack as access_paths() takes it, from the live state (keys by alias, health checks
        by Name tag, the flow log of the VPC)."""
        s = self.stack
        regions = []
        for peer in s.peers:
            region = peer["region"]
            key = s.key(region)
            regions.append(dict(
                region=region, dr_role=peer["dr_role"], bucket_name=s.bucket_of(region),
                # A missing key: its rows fail with "key-policy <region> not found".
                kms_key_arn=key["Arn"] if key else "arn:%s:kms:%s:%s:alias/%s" % (
                    s.partition, region, s.account_id, s.prefix),
                health_check_id=self.live_health_check_id(region),
                flow_log_id=self.live_flow_log_id() if region == s.region else None))
        metrics = s.key(self.params["metrics_region"]) if s.is_primary else None
        return dict(partition=s.partition, account_id=s.account_id, name_prefix=s.prefix,
                    monitoring_namespace=self.params["monitoring_namespace"],
                    application_log_group=self.params["application_log_group"],
                    metrics_region=self.params["metrics_region"], metrics_key_arn=metrics["Arn"] if metrics else "",
                    alb_access_logs=self.params["alb_access_logs"],
                    alb_access_logs_prefix=self.params["alb_access_logs_prefix"], regions=regions)

    def live_health_check_id(self, region):
        name = "%s-%s" % (self.stack.prefix, region)
        found = [c["Id"] for c, tags in self.stack.health_checks() if tags.get("Name") == name]
        return found[0] if len(found) == 1 else None

    def live_flow_log_id(self):
        s = self.stack
        try:
            vpc_id = s.vpc()["VpcId"]
            flow_logs = s.cached(("flow-logs",), lambda: paginate(
                s.client("ec2"), "describe_flow_logs",
                Filters=[{"Name": "resource-id", "Values": [vpc_id]}])["FlowLogs"])
        except (Missing, botocore.exceptions.ClientError) as e:
            if not isinstance(e, Missing) and is_fatal(e):
                raise
            return None  # the flow-logs control says what is missing
        found = [f["FlowLogId"] for f in flow_logs if f.get("LogGroupName") == s.flow_log_group]
        return found[0] if found else None

    def live_document(self, reference):
        """The live document of an access-path reference; None when it does not exist."""
        s = self.stack
        kind = reference[0]

        def read():
            iam = s.client("iam")
            try:
                if kind == "role-policy":
                    return policy_document(iam.get_role_policy(
                        aws_retry=True, RoleName=reference[1], PolicyName=reference[2])["PolicyDocument"])
                if kind == "trust":
                    return policy_document(iam.get_role(
                        aws_retry=True, RoleName=reference[1])["Role"]["AssumeRolePolicyDocument"])
            except is_boto3_error_code("NoSuchEntity"):
                return None
            if kind == "key-policy":
                key = s.key(reference[1])
                if key is None:
                    return None
                return policy_document(s.client("kms", reference[1]).get_key_policy(
                    aws_retry=True, KeyId=key["Arn"], PolicyName="default")["Policy"])
            if kind == "bucket-policy":
                try:
                    return policy_document(s.client("s3", self.bucket_regions[reference[1]]).get_bucket_policy(
                        aws_retry=True, Bucket=reference[1])["Policy"])
                except is_boto3_error_code(["NoSuchBucketPolicy", "NoSuchBucket"]):
                    return None
            if kind == "topic-policy":
                attributes = s.topic_attributes(reference[1], reference[1].split(":")[3])
                return policy_document(attributes["Policy"]) if attributes and attributes.get("Policy") else None
            if kind == "function-policy":
                try:
                    return policy_document(s.client("lambda", reference[1]).get_policy(
                        aws_retry=True, FunctionName=s.function_name)["Policy"])
                except is_boto3_error_code("ResourceNotFoundException"):
                    return None
            raise ValueError("unknown access-path reference %r" % (reference,))
        return s.cached(("access-path-document",) + tuple(reference), read)

    def evaluate_access_paths(self):
        """One entry access-path:<path id> per path of this region, on the live documents."""
        s = self.stack
        try:
            description = self.access_path_stack()
        except (Missing, botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as e:
            if not isinstance(e, Missing) and is_fatal(e):
                self.module.fail_json_aws(e, msg="Access paths in %s: the credentials or the endpoint failed"
                                          % s.region)
            self.results.append(dict(id=ACCESS_PATHS, title=ACCESS_PATHS_TITLE, region=s.region, resource=s.region,
                                     passed=False, detail=str(e) if isinstance(e, Missing) else describe_error(e)))
            return
        self.bucket_regions = {}
        for region in description["regions"]:
            self.bucket_regions[region["bucket_name"]] = region["region"]
            self.bucket_regions["%s-%s-%s-alb-logs" % (s.prefix, s.account_id, region["region"])] = region["region"]
        for path in paths_of_the_stack.access_paths(description):
            if path.region != s.region:
                continue
            try:
                result = paths_of_the_stack.evaluate_path(path, self.live_document)
                passed, detail = result.passed, result.detail()
            except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as e:
                if is_fatal(e):
                    self.module.fail_json_aws(e, msg="Access path %s in %s: the credentials or the endpoint failed"
                                              % (path.id, s.region))
                passed, detail = False, "%s (AWS: %s, %s)" % (describe_error(e), path.doc_title, path.doc_url)
            self.results.append(dict(id="access-path:" + path.id, title=path.title, region=s.region,
                                     resource=path.resource, passed=bool(passed), detail=detail))


def validate(module):
    params = module.params
    region = module.region
    if not region:
        module.fail_json(msg="region is required")
    peers = params["peers"]
    regions = [p["region"] for p in peers]
    problems = []
    if len(set(regions)) != len(regions):
        problems.append("peers name a region more than once: %s" % ", ".join(regions))
    primaries = [p["region"] for p in peers if p["dr_role"] == "primary"]
    if len(primaries) != 1:
        problems.append("peers must hold exactly one primary, found %d (%s)" % (len(primaries), ", ".join(primaries)))
    this = [p for p in peers if p["region"] == region]
    if not this:
        problems.append("peers must include this region %s" % region)
    elif this[0]["dr_role"] != params["dr_role"]:
        problems.append("dr_role is %s but peers say %s is %s" % (params["dr_role"], region, this[0]["dr_role"]))
    if params["dr_role"] == "primary" and params["failover_record"] != "PRIMARY":
        problems.append("the primary's failover_record must be PRIMARY, got %r" % params["failover_record"])
    if params["dr_role"] == "secondary" and params["failover_record"] == "PRIMARY":
        problems.append("a secondary cannot take the PRIMARY failover record")
    try:
        ipaddress.ip_network(params["vpc_cidr"], strict=False)
    except ValueError as e:
        problems.append("vpc_cidr: %s" % e)
    if problems:
        module.fail_json(msg="; ".join(problems))


def main():
    argument_spec = dict(
        name_prefix=dict(type="str", required=True),
        dr_role=dict(type="str", required=True, choices=["primary", "secondary"]),
        peers=dict(type="list", elements="dict", required=True, options=dict(
            region=dict(type="str", required=True),
            dr_role=dict(type="str", required=True, choices=["primary", "secondary"]),
        )),
        failover_record=dict(type="str", required=True, choices=["PRIMARY", "SECONDARY", ""]),
        required_tags=dict(type="dict", default={}),
        vpc_cidr=dict(type="str", required=True),
        app_port=dict(type="int", default=8080),
        tls_policy=dict(type="str", default="ELBSecurityPolicy-TLS13-1-2-2021-06"),
        zone_name=dict(type="str", required=True),
        service_name=dict(type="str"),
        health_check_path=dict(type="str", default="/health"),
        health_check_interval_seconds=dict(type="int", default=30),
        health_check_failure_threshold=dict(type="int", default=3),
        dns_record_ttl_seconds=dict(type="int", default=60),
        dns_resolver_allowance_seconds=dict(type="int", default=60),
        rto_target_seconds=dict(type="int", default=300),
        rpo_target_seconds=dict(type="int", default=60),
        log_retention_days=dict(type="int", default=30),
        monitoring_namespace=dict(type="str", required=True),
        application_log_group=dict(type="str", required=True),
        metrics_region=dict(type="str", default="us-east-1"),
        access_paths=dict(type="bool", default=True),
        alb_access_logs=dict(type="bool", default=True),
        alb_access_logs_prefix=dict(type="str", default="alb"),
        alb_access_log_retention_days=dict(type="int", default=400),
        controls=dict(type="list", elements="str", default=[], choices=CONTROL_IDS + [ACCESS_PATHS]),
    )
    module = AnsibleAWSModule(argument_spec=argument_spec, supports_check_mode=True)
    validate(module)
    module.exit_json(**Controls(module).run())


if __name__ == "__main__":
    main()

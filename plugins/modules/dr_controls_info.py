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
  - Each control is one function of its area file in C(plugins/module_utils/controls/) (kms, data,
    network, traffic, monitoring, tags), registered there; they follow, each with what it checks.
  - C(kms-key-rotation) the key C(alias/<key_alias>) exists, is C(Enabled), customer managed
    and rotates automatically.
  - C(kms-key-policy) the key policy grants C(kms:*) to the account root only (statement
    C(AccountControl)) and allows nothing to C(Principal *).
  - C(table-replica-active) (primary only) the global table I(table_name) is
    C(ACTIVE) with an C(ACTIVE) replica in every other region of I(peers).
  - C(table-sse-kms) the table (or replica) of the region is encrypted with the region's key, as
    C(SSEDescription.KMSMasterKeyArn) of DescribeTable in the region says.
  - C(table-pitr), C(table-deletion-protection), C(table-streams) point-in-time recovery,
    deletion protection and a C(NEW_AND_OLD_IMAGES) stream on the region's table.
  - C(bucket-versioning), C(bucket-sse-kms), C(bucket-public-access-blocked), C(bucket-tls-only)
    the region's bucket (I(bucket_names)) is versioned, encrypted with SSE-KMS by the
    region's key (the bucket key is reported, not required), blocks public access with all four
    flags, and its policy denies C(s3:*) to everyone on the bucket and its objects when
    C(aws:SecureTransport) is false.
  - C(bucket-replication-rtc) one entry per destination (the primary replicates to every other
    region, a secondary to the primary) - each rule to the destination bucket is C(Enabled), with
    Replication Time Control (15 minutes) and replication metrics, and replicates SSE-KMS objects
    with the destination region's key C(alias/<key_alias>) (resolved there to its ARN).
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
    C(alias/<key_alias>) of I(metrics_region).
  - C(log-groups) one entry per log group - C(/aws/lambda/<name_prefix>-health-monitor),
    I(application_log_group) and the flow-log group are encrypted with the region's key and kept
    I(log_retention_days) days (the flow-log group I(flow_log_retention_days)).
  - C(monitor-function) the function C(<name_prefix>-health-monitor) is C(Active), runs
    I(monitor_runtime), has its environment encrypted with the region's key, and the EventBridge rule
    C(<name_prefix>-health-monitor) is C(ENABLED), runs I(monitor_schedule_expression) and targets
    the function.
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
  key_alias:
    description:
      - The alias of the stack's KMS key in every region, without C(alias/) (the encryption role's
        C(encryption_key_alias)). Defaults to I(name_prefix).
    type: str
  table_name:
    description:
      - The global table (the data role's C(data_table_name)). Defaults to
        C(<name_prefix>-transactions).
    type: str
  bucket_names:
    description:
      - The data bucket of each region of I(peers), by region (the data role's C(data_bucket_name)
        of each host). A region not named has C(<name_prefix>-<account>-<region>).
    type: dict
    default: {}
  monitor_runtime:
    description: The health monitor function's runtime (the monitoring role's C(monitoring_function_runtime)).
    type: str
    default: python3.12
  monitor_schedule_expression:
    description:
      - The schedule expression of the health monitor's EventBridge rule (the monitoring role's
        C(monitoring_schedule_expression)).
    type: str
    default: rate(2 minutes)
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
    description: The retention of the health monitor's log group and of I(application_log_group).
    type: int
    default: 30
  flow_log_retention_days:
    description: The retention of the flow-log group. Defaults to I(log_retention_days).
    type: int
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
      - The controls to evaluate, by id or by area; empty means every control.
      - C(access-paths) stands for every C(access-path:<path id>) control of the region.
      - An area - C(kms), C(data), C(network), C(traffic) (load balancer and DNS failover) or
        C(monitoring) - stands for the controls of its file in C(plugins/module_utils/controls/), the
        C(tags) entries of its resources and, with I(access_paths), the access paths whose documents
        all belong to the areas named. The services of the areas not named are not called, so
        C([kms, data, network]) verifies a stack of only the encryption, network and data roles.
      - C(tags) by id checks the resources of every area.
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
      - kms
      - data
      - network
      - traffic
      - monitoring
extends_documentation_fragment:
  - finproc.dr.aws
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

import ipaddress

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.finproc.dr.plugins.module_utils.controls.runner import SELECTORS, Controls


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
        key_alias=dict(type="str", no_log=False),
        table_name=dict(type="str"),
        bucket_names=dict(type="dict", default={}),
        monitor_runtime=dict(type="str", default="python3.12"),
        monitor_schedule_expression=dict(type="str", default="rate(2 minutes)"),
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
        flow_log_retention_days=dict(type="int"),
        monitoring_namespace=dict(type="str", required=True),
        application_log_group=dict(type="str", required=True),
        metrics_region=dict(type="str", default="us-east-1"),
        access_paths=dict(type="bool", default=True),
        alb_access_logs=dict(type="bool", default=True),
        alb_access_logs_prefix=dict(type="str", default="alb"),
        alb_access_log_retention_days=dict(type="int", default=400),
        controls=dict(type="list", elements="str", default=[], choices=SELECTORS),
    )
    module = AnsibleAWSModule(argument_spec=argument_spec, supports_check_mode=True)
    validate(module)
    module.exit_json(**Controls(module).run())


if __name__ == "__main__":
    main()

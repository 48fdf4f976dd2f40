# -*- coding: utf-8 -*-
# Copyright: finproc.dr contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Traffic controls: the load balancer's listeners and access logs, the Route53 health check, the
failover record, the RTO budget."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json

from ansible_collections.amazon.aws.plugins.module_utils.botocore import is_boto3_error_code
from ansible_collections.finproc.dr.plugins.module_utils.controls.base import (
    Missing, control, covers, normalized_name, tls_deny_resources, verdict)


def listener_on(ctx, port):
    found = [listener for listener in ctx.stack.listeners() if listener.get("Port") == port]
    if not found:
        raise Missing("load balancer %s has no listener on port %d" % (ctx.stack.alb_name, port))
    return found[0]


@control("listener-tls-policy", "HTTPS listener uses the designed TLS policy", resource=lambda s: s.alb_name)
def listener_tls_policy(ctx):
    listener = listener_on(ctx, 443)
    policy = listener.get("SslPolicy")
    wanted = ctx.params["tls_policy"]
    if listener.get("Protocol") != "HTTPS":
        yield listener["ListenerArn"], False, "port 443 listens %s, wanted HTTPS with %s" % (
            listener.get("Protocol"), wanted)
    elif policy != wanted:
        yield listener["ListenerArn"], False, "SslPolicy %s, wanted %s" % (policy, wanted)
    else:
        yield listener["ListenerArn"], True, "HTTPS with %s" % policy


def redirect_problems(actions):
    if len(actions) != 1 or actions[0].get("Type") != "redirect":
        return ["actions %s, wanted one redirect" % ", ".join(a.get("Type", "?") for a in actions)]
    config = actions[0].get("RedirectConfig") or {}
    found = (config.get("Protocol"), config.get("Port"), config.get("StatusCode"))
    if found != ("HTTPS", "443", "HTTP_301"):
        return ["redirects to %s port %s with %s, wanted HTTPS port 443 with HTTP_301" % found]
    return []


@control("listener-http-redirect", "HTTP listener only redirects to HTTPS (301)", resource=lambda s: s.alb_name)
def listener_http_redirect(ctx):
    listener = listener_on(ctx, 80)
    problems = []
    if listener.get("Protocol") != "HTTP":
        problems.append("port 80 listens %s, wanted HTTP" % listener.get("Protocol"))
    problems.extend("default action: " + p for p in redirect_problems(listener.get("DefaultActions") or []))
    for rule in ctx.stack.listener_rules(listener["ListenerArn"]):
        if rule.get("IsDefault"):
            continue
        problems.extend("rule %s: %s" % (rule.get("Priority"), p)
                        for p in redirect_problems(rule.get("Actions") or []))
    yield verdict(listener["ListenerArn"], problems, "HTTP only redirects to HTTPS 443 with HTTP_301")


@control(
    "alb-access-logs",
    "ALB access logs on, to an SSE-S3, private, TLS-only log bucket with a retention",
    resource=lambda s: s.alb_name,
)
def alb_access_logs(ctx):
    """ELB user guide, "Enable access logs for your Application Load Balancer": "The only
    server-side encryption option that's supported is Amazon S3-managed keys (SSE-S3)"
    (https://docs.aws.amazon.com/elasticloadbalancing/latest/application/enable-access-logging.html)."""
    s = ctx.stack
    if not ctx.params["alb_access_logs"]:
        yield s.alb_name, True, "access logs off by configuration (alb_access_logs false)"
        return
    bucket = s.alb_log_bucket()
    arn = s.need_alb()["LoadBalancerArn"]
    attributes = s.cached(("alb-attributes",), lambda: dict(
        (a["Key"], a["Value"]) for a in s.client("elbv2").describe_load_balancer_attributes(
            aws_retry=True, LoadBalancerArn=arn)["Attributes"]))
    problems = []
    for key, wanted in (("access_logs.s3.enabled", "true"), ("access_logs.s3.bucket", bucket),
                        ("access_logs.s3.prefix", ctx.params["alb_access_logs_prefix"])):
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
    denied = tls_deny_resources(json.loads(found["Policy"])) if found else []
    bucket_arn = s.bucket_arn(bucket)
    if not (covers(denied, bucket_arn) and covers(denied, bucket_arn + "/any-object")):
        problems.append("the policy does not deny s3:* on the bucket and its objects without TLS")
    lifecycle = get("get_bucket_lifecycle_configuration", "NoSuchLifecycleConfiguration") or {}
    retention = ctx.params["alb_access_log_retention_days"]
    rules = [r for r in lifecycle.get("Rules", []) if r.get("Status") == "Enabled"
             and not (r.get("Filter") or {}).get("Prefix", r.get("Prefix", ""))
             and set(r.get("Filter") or {}) <= {"Prefix"}
             and (r.get("Expiration") or {}).get("Days") == retention
             and (r.get("AbortIncompleteMultipartUpload") or {}).get("DaysAfterInitiation")]
    if not rules:
        problems.append("no enabled lifecycle rule over the whole bucket expires objects after %d days and "
                        "aborts incomplete uploads" % retention)
    yield verdict(bucket, problems, "%s delivers to %s/%s, SSE-S3, public access blocked, TLS only, objects expire "
                  "after %d days" % (s.alb_name, bucket, ctx.params["alb_access_logs_prefix"], retention))


@control(
    "health-check",
    "Route53 health check of the load balancer as designed",
    resource=lambda s: s.health_check_name,
)
def health_check(ctx):
    s = ctx.stack
    check, _tags = s.health_check()
    config = check.get("HealthCheckConfig", {})
    alb = s.alb()
    alb_name = normalized_name(alb["DNSName"]) if alb else "the DNS name of %s (not found)" % s.alb_name
    wanted = [
        ("Type", "HTTPS", config.get("Type")),
        ("FullyQualifiedDomainName", alb_name, normalized_name(config.get("FullyQualifiedDomainName"))),
        ("Port", 443, config.get("Port")),
        ("ResourcePath", ctx.params["health_check_path"], config.get("ResourcePath")),
        ("RequestInterval", ctx.params["health_check_interval_seconds"], config.get("RequestInterval")),
        ("FailureThreshold", ctx.params["health_check_failure_threshold"], config.get("FailureThreshold")),
        ("Inverted", False, bool(config.get("Inverted"))),
        ("Disabled", False, bool(config.get("Disabled"))),
    ]
    problems = ["%s %s, wanted %s" % (name, found, value) for name, value, found in wanted if found != value]
    yield verdict(check["Id"], problems, "HTTPS %s:443%s every %d s, %d failures" % (
        alb_name, config.get("ResourcePath"), config.get("RequestInterval"), config.get("FailureThreshold")))


@control(
    "failover-record",
    "Failover record of the service name as designed",
    resource=lambda s: "%s A %s" % (s.service_name, s.region),
)
def failover_record(ctx):
    s = ctx.stack
    role = ctx.params["failover_record"]
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
            len(records), s.service_name, s.region, ctx.params["zone_name"], role)
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
    yield verdict(resource, problems, "%s alias to %s, target health evaluated, health check %s" % (
        role, normalized_name(alb["DNSName"]) + ".", check["Id"]))


@control(
    "rto-budget",
    "Failover detection, TTL and resolver allowance fit in the RTO target",
    resource=lambda s: s.health_check_name,
)
def rto_budget(ctx):
    check, _tags = ctx.stack.health_check()
    config = check.get("HealthCheckConfig", {})
    interval = config.get("RequestInterval", 30)
    threshold = config.get("FailureThreshold", 3)
    ttl = ctx.params["dns_record_ttl_seconds"]
    allowance = ctx.params["dns_resolver_allowance_seconds"]
    rto = ctx.params["rto_target_seconds"]
    detection = interval * threshold
    total = detection + ttl + allowance
    arithmetic = ("health checks %d s \u00d7 %d failures = %d s + record TTL %d s + resolver allowance %d s = %d s"
                  % (interval, threshold, detection, ttl, allowance, total))
    if total > rto:
        yield check["Id"], False, "%s, more than the RTO target %d s" % (arithmetic, rto)
    else:
        yield check["Id"], True, "%s, within the RTO target %d s" % (arithmetic, rto)

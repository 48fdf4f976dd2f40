"""The traffic controls (plugins/module_utils/controls/traffic.py): listeners, access logs, health
check, failover record, RTO budget, against the moto stack of live_stack.py, broken one thing at a
time."""

from live_stack import (
    PREFIX,
    PRIMARY,
    SECONDARY,
    SERVICE,
    TLS_POLICY,
    ZONE,
    assert_broken,
    broken_cases,
    by_id,
    client,
    create_health_check,
    log_bucket_lifecycle,
    log_bucket_name,
    log_bucket_policy,
    record,
    redirect,
    run,
    upsert_record,
)


def _recreate_health_check_every_10_seconds(stack):
    route53 = client("route53")
    route53.delete_health_check(HealthCheckId=stack[PRIMARY].health_check)
    stack[PRIMARY].health_check = create_health_check(PRIMARY, stack[PRIMARY].alb["DNSName"], interval=10)
    upsert_record(stack, PRIMARY)


def _forwarding_rule_on_http(stack):
    client("elbv2", PRIMARY).create_rule(
        ListenerArn=stack[PRIMARY].http,
        Priority=10,
        Conditions=[{"Field": "path-pattern", "Values": ["/legacy/*"]}],
        Actions=[{"Type": "forward", "TargetGroupArn": stack[PRIMARY].target_group}],
    )


BREAKS = [
    (
        "a weaker TLS policy",
        PRIMARY,
        lambda s: client("elbv2", PRIMARY).modify_listener(
            ListenerArn=s[PRIMARY].https, SslPolicy="ELBSecurityPolicy-2016-08"
        ),
        {},
        {"listener-tls-policy"},
        f"SslPolicy ELBSecurityPolicy-2016-08, wanted {TLS_POLICY}",
    ),
    (
        "a temporary redirect",
        SECONDARY,
        lambda s: client("elbv2", SECONDARY).modify_listener(
            ListenerArn=s[SECONDARY].http, DefaultActions=[redirect("HTTP_302")]
        ),
        {},
        {"listener-http-redirect"},
        "redirects to HTTPS port 443 with HTTP_302, wanted HTTPS port 443 with HTTP_301",
    ),
    (
        "a rule forwarding plain HTTP",
        PRIMARY,
        _forwarding_rule_on_http,
        {},
        {"listener-http-redirect"},
        "rule 10: actions forward, wanted one redirect",
    ),
    (
        "ALB access logs turned off",
        SECONDARY,
        lambda s: client("elbv2", SECONDARY).modify_load_balancer_attributes(
            LoadBalancerArn=s[SECONDARY].alb["LoadBalancerArn"],
            Attributes=[{"Key": "access_logs.s3.enabled", "Value": "false"}],
        ),
        {},
        {"alb-access-logs"},
        "access_logs.s3.enabled is 'false', wanted 'true'",
    ),
    (
        "ALB access logs to another prefix",
        PRIMARY,
        lambda s: client("elbv2", PRIMARY).modify_load_balancer_attributes(
            LoadBalancerArn=s[PRIMARY].alb["LoadBalancerArn"],
            Attributes=[{"Key": "access_logs.s3.prefix", "Value": "other"}],
        ),
        {},
        {"alb-access-logs"},
        "access_logs.s3.prefix is 'other', wanted 'alb'",
    ),
    (
        "the access-log bucket encrypted with SSE-KMS (ALB cannot deliver)",
        PRIMARY,
        lambda s: client("s3", PRIMARY).put_bucket_encryption(
            Bucket=log_bucket_name(PRIMARY),
            ServerSideEncryptionConfiguration={
                "Rules": [
                    {
                        "ApplyServerSideEncryptionByDefault": {
                            "SSEAlgorithm": "aws:kms",
                            "KMSMasterKeyID": s[PRIMARY].key,
                        }
                    }
                ]
            },
        ),
        {},
        {"alb-access-logs"},
        "default encryption aws:kms, wanted AES256 (SSE-S3)",
    ),
    (
        "the access-log bucket public",
        SECONDARY,
        lambda s: client("s3", SECONDARY).delete_public_access_block(Bucket=log_bucket_name(SECONDARY)),
        {},
        {"alb-access-logs"},
        "public access block BlockPublicAcls, IgnorePublicAcls, BlockPublicPolicy, RestrictPublicBuckets off",
    ),
    (
        "the access-log bucket without its retention",
        PRIMARY,
        lambda s: client("s3", PRIMARY).put_bucket_lifecycle_configuration(
            Bucket=log_bucket_name(PRIMARY), LifecycleConfiguration=log_bucket_lifecycle(days=30)
        ),
        {},
        {"alb-access-logs"},
        "no enabled lifecycle rule over the whole bucket expires objects after 400 days",
    ),
    (
        "the access-log bucket's retention, as configured",
        PRIMARY,
        None,
        {"alb_access_log_retention_days": 365},
        {"alb-access-logs"},
        "no enabled lifecycle rule over the whole bucket expires objects after 365 days",
    ),
    (
        "health check every 10 s (budget still met)",
        PRIMARY,
        _recreate_health_check_every_10_seconds,
        {},
        {"health-check"},
        "RequestInterval 10, wanted 30",
    ),
    (
        "health check threshold 10 (budget exceeded)",
        SECONDARY,
        lambda s: client("route53").update_health_check(HealthCheckId=s[SECONDARY].health_check, FailureThreshold=10),
        {},
        {"health-check", "rto-budget"},
        "= 420 s, more than the RTO target 300 s",
    ),
    (
        "health check inverted (a drill left behind)",
        PRIMARY,
        lambda s: client("route53").update_health_check(HealthCheckId=s[PRIMARY].health_check, Inverted=True),
        {},
        {"health-check"},
        "Inverted True, wanted False",
    ),
    (
        "record that ignores target health",
        PRIMARY,
        lambda s: upsert_record(
            s,
            PRIMARY,
            AliasTarget=dict(record(PRIMARY, s)["AliasTarget"], EvaluateTargetHealth=False),
        ),
        {},
        {"failover-record"},
        "EvaluateTargetHealth off",
    ),
    (
        "the primary's record gone",
        PRIMARY,
        lambda s: client("route53").change_resource_record_sets(
            HostedZoneId=s.zone,
            ChangeBatch={"Changes": [{"Action": "DELETE", "ResourceRecordSet": record(PRIMARY, s)}]},
        ),
        {},
        {"failover-record"},
        f"0 A records of {SERVICE} with set identifier {PRIMARY} in zone {ZONE}, wanted one PRIMARY record",
    ),
    (
        "a region out of the failover keeps its record",
        SECONDARY,
        None,
        {"failover_record": ""},
        {"failover-record"},
        "the region takes no part in the failover but has a SECONDARY A record",
    ),
]


@broken_cases(BREAKS)
def test_one_thing_broken_fails_exactly_its_control(stack, monkeypatch, capsys, region, breaker, args, failed, text):
    assert_broken(stack, monkeypatch, capsys, region, breaker, args, failed, text)


def test_a_health_check_every_10_seconds_still_fits_the_budget(stack, monkeypatch, capsys):
    _recreate_health_check_every_10_seconds(stack)
    result, _code, _calls = run(stack, monkeypatch, capsys, PRIMARY)
    (rto,) = by_id(result, "rto-budget")
    assert rto["passed"] and rto["detail"].startswith("health checks 10 s \u00d7 3 failures = 30 s")
    assert rto["resource"] == stack[PRIMARY].health_check


def test_a_region_out_of_the_failover_passes_without_a_record(stack, monkeypatch, capsys):
    change = {"Action": "DELETE", "ResourceRecordSet": record(SECONDARY, stack)}
    client("route53").change_resource_record_sets(HostedZoneId=stack.zone, ChangeBatch={"Changes": [change]})
    result, _code, _calls = run(stack, monkeypatch, capsys, SECONDARY, failover_record="")
    assert result["passed"] is True, result["failed_controls"]
    assert by_id(result, "failover-record")[0]["detail"] == "no record: the region takes no part in the failover"


def test_an_access_log_bucket_that_accepts_plain_http_fails(stack, monkeypatch, capsys):
    client("s3", SECONDARY).put_bucket_policy(
        Bucket=log_bucket_name(SECONDARY), Policy=log_bucket_policy(SECONDARY, tls=False)
    )
    result, _code, _calls = run(stack, monkeypatch, capsys, SECONDARY, controls=["alb-access-logs"])
    (entry,) = by_id(result, "alb-access-logs")
    assert not entry["passed"] and entry["resource"] == log_bucket_name(SECONDARY)
    assert entry["detail"] == "the policy does not deny s3:* on the bucket and its objects without TLS"


def test_access_logs_off_by_configuration_pass_and_say_so(stack, monkeypatch, capsys):
    client("elbv2", PRIMARY).modify_load_balancer_attributes(
        LoadBalancerArn=stack[PRIMARY].alb["LoadBalancerArn"],
        Attributes=[{"Key": "access_logs.s3.enabled", "Value": "false"}],
    )
    result, _code, _calls = run(
        stack, monkeypatch, capsys, PRIMARY, controls=["alb-access-logs"], alb_access_logs=False
    )
    (entry,) = by_id(result, "alb-access-logs")
    assert entry["passed"] and entry["detail"] == "access logs off by configuration (alb_access_logs false)"


def test_the_access_log_control_passes_on_the_compliant_bucket_and_names_it(stack, monkeypatch, capsys):
    result, _code, _calls = run(stack, monkeypatch, capsys, PRIMARY, controls=["alb-access-logs"])
    (entry,) = by_id(result, "alb-access-logs")
    assert entry["passed"], entry
    assert entry["resource"] == log_bucket_name(PRIMARY)
    assert entry["detail"] == (
        f"{PREFIX}-alb delivers to {log_bucket_name(PRIMARY)}/alb, SSE-S3, public access blocked, TLS only, "
        "objects expire after 400 days"
    )

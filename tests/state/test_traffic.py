"""The load_balancing and dns_failover roles' state: ALB, listeners, target group, certificate,
Route53 health checks, failover records and the health-check alarms (traffic issue).

What verify.yml does not check: the load balancer's scheme, subnets, group and attributes; exactly the two
listeners, the certificate and the forward to the target group; the target group; the certificate; the
access-log bucket's region, versioning, ACLs, lifecycle details, tags and its exact policy (who may deliver);
the health check's latency measurement; exactly which regions have records; what the health-check alarms
watch and their tags; the alarm topic's policy; Name tags. The rest is verify.yml's (listener-tls-policy,
listener-http-redirect, alb-access-logs, health-check, failover-record, alarm-actions, tags: see conftest.py).
"""

import json

from conftest import Aws, assert_acls_disabled, assert_named, assert_tagged, tags_of

# Route53 health-check metrics (and so their alarms and topic) exist only here.
METRICS_REGION = "us-east-1"


def _alb(aws, expected):
    name = f"{expected['name_prefix']}-alb"
    balancers = aws.elbv2.describe_load_balancers(Names=[name])["LoadBalancers"]
    assert len(balancers) == 1, f"expected one load balancer {name}"
    return balancers[0]


def _elb_tags(aws, arn):
    return tags_of(aws.elbv2.describe_tags(ResourceArns=[arn])["TagDescriptions"][0])


def _vpc_and_subnets(aws, expected):
    vpc = aws.ec2.describe_vpcs(Filters=[{"Name": "tag:finproc:stack", "Values": [expected["name_prefix"]]}])["Vpcs"]
    assert len(vpc) == 1
    subnets = aws.ec2.describe_subnets(
        Filters=[
            {"Name": "vpc-id", "Values": [vpc[0]["VpcId"]]},
            {"Name": "tag:finproc:tier", "Values": ["public"]},
        ]
    )["Subnets"]
    return vpc[0]["VpcId"], sorted(s["SubnetId"] for s in subnets)


def _target_group(aws, expected):
    name = f"{expected['name_prefix']}-app"
    groups = aws.elbv2.describe_target_groups(Names=[name])["TargetGroups"]
    assert len(groups) == 1
    return groups[0]


def _certificate_arn(aws, expected):
    wanted = f"{expected['name_prefix']}-alb"
    found = []
    for summary in aws.acm.list_certificates()["CertificateSummaryList"]:
        tags = tags_of({"Tags": aws.acm.list_tags_for_certificate(CertificateArn=summary["CertificateArn"])["Tags"]})
        if tags.get("Name") == wanted:
            found.append((summary["CertificateArn"], tags))
    assert len(found) == 1, f"expected one certificate named {wanted}, found {len(found)}"
    arn, tags = found[0]
    assert_tagged("certificate", tags, expected, name=wanted)
    return arn


def test_the_load_balancer_is_internet_facing_in_the_public_subnets_with_the_alb_group(aws, expected):
    alb = _alb(aws, expected)
    vpc_id, public_subnets = _vpc_and_subnets(aws, expected)
    assert alb["Type"] == "application"
    assert alb["Scheme"] == "internet-facing"
    assert alb["VpcId"] == vpc_id
    assert sorted(z["SubnetId"] for z in alb["AvailabilityZones"]) == public_subnets
    groups = aws.ec2.describe_security_groups(
        Filters=[
            {"Name": "vpc-id", "Values": [vpc_id]},
            {"Name": "group-name", "Values": [f"{expected['name_prefix']}-alb"]},
        ]
    )["SecurityGroups"]
    assert alb["SecurityGroups"] == [groups[0]["GroupId"]]
    attributes = {
        a["Key"]: a["Value"]
        for a in aws.elbv2.describe_load_balancer_attributes(LoadBalancerArn=alb["LoadBalancerArn"])["Attributes"]
    }
    assert attributes["deletion_protection.enabled"] == str(expected["alb_deletion_protection"]).lower()
    assert attributes["routing.http.drop_invalid_header_fields.enabled"] == "true"
    assert attributes["idle_timeout.timeout_seconds"] == str(expected["alb_idle_timeout_seconds"])
    # Required tags: tags.
    assert_named("load balancer", _elb_tags(aws, alb["LoadBalancerArn"]), f"{expected['name_prefix']}-alb")


def test_only_two_listeners_and_https_forwards_to_the_target_group_with_the_certificate(aws, expected):
    """HTTPS with the designed TLS 1.3 policy (preflight refuses any other): listener-tls-policy; HTTP only
    redirecting to HTTPS 443 with a 301: listener-http-redirect."""
    alb = _alb(aws, expected)
    listeners = {
        listener["Port"]: listener
        for listener in aws.elbv2.describe_listeners(LoadBalancerArn=alb["LoadBalancerArn"])["Listeners"]
    }
    assert sorted(listeners) == [80, 443]
    https = listeners[443]
    assert [c["CertificateArn"] for c in https["Certificates"]] == [_certificate_arn(aws, expected)]
    assert [(a["Type"], a["TargetGroupArn"]) for a in https["DefaultActions"]] == [
        ("forward", _target_group(aws, expected)["TargetGroupArn"])
    ]


def test_the_target_group_checks_the_application_on_its_health_path(aws, expected):
    group = _target_group(aws, expected)
    vpc_id, _public_subnets = _vpc_and_subnets(aws, expected)
    assert group["Protocol"] == "HTTP"
    assert group["Port"] == int(expected["app_port"])
    assert group["VpcId"] == vpc_id
    assert group["HealthCheckProtocol"] == "HTTP"
    assert group["HealthCheckPath"] == expected["health_check_path"]
    assert group["HealthCheckPort"] == "traffic-port"
    assert group["Matcher"] == {"HttpCode": "200"}
    attributes = {
        a["Key"]: a["Value"]
        for a in aws.elbv2.describe_target_group_attributes(TargetGroupArn=group["TargetGroupArn"])["Attributes"]
    }
    assert attributes["deregistration_delay.timeout_seconds"] == "30"
    # Required tags: tags.
    assert_named("target group", _elb_tags(aws, group["TargetGroupArn"]), f"{expected['name_prefix']}-app")


def test_the_listener_certificate_lives_in_the_region_and_covers_the_service(aws, expected):
    arn = _certificate_arn(aws, expected)
    assert arn.split(":")[3] == expected["region"]
    certificate = aws.acm.describe_certificate(CertificateArn=arn)["Certificate"]
    assert certificate["Status"] == "ISSUED"
    if expected["certificate_source"] == "import":
        assert certificate["Type"] == "IMPORTED"
    service = expected["service_name"]
    names = [certificate["DomainName"], *certificate.get("SubjectAlternativeNames", [])]
    parent = service.split(".", 1)[1]
    assert service in names or f"*.{parent}" in names, f"{names} do not cover {service}"


# The Elastic Load Balancing account that delivers the logs in the regions of the test inventories
# (ELB user guide, "Enable access logs for your Application Load Balancer", Step 2, "Regions available
# before August 2022": https://docs.aws.amazon.com/elasticloadbalancing/latest/application/enable-access-logging.html).
ELB_ACCOUNTS = {
    "us-east-1": "127311923021",
    "us-east-2": "033677994240",
    "us-west-2": "797873946194",
    "eu-west-1": "156460612806",
}


def _account(aws):
    return aws.sts.get_caller_identity()["Account"]


def _access_log_bucket(aws, expected):
    return f"{expected['name_prefix']}-{_account(aws)}-{expected['region']}-alb-logs"


def test_the_access_log_bucket_is_in_the_region_versioned_owns_its_objects_and_keeps_one_lifecycle_rule(aws, expected):
    """The load balancer's access_logs.s3.* attributes (on, to this bucket, under the prefix), the bucket's
    SSE-S3 (the only encryption ALB log delivery supports), its four public-access blocks, its TLS-only policy,
    and an enabled lifecycle rule over the whole bucket that expires objects after the retention and aborts
    incomplete uploads: alb-access-logs."""
    bucket = _access_log_bucket(aws, expected)
    s3 = aws.s3
    assert s3.get_bucket_location(Bucket=bucket).get("LocationConstraint") in (expected["region"], None)
    assert s3.get_bucket_versioning(Bucket=bucket)["Status"] == "Enabled"
    assert_acls_disabled(s3, bucket)
    rules = [r for r in s3.get_bucket_lifecycle_configuration(Bucket=bucket)["Rules"] if r["Status"] == "Enabled"]
    assert len(rules) == 1, f"expected one enabled lifecycle rule, got {rules}"
    rule = rules[0]
    assert rule["NoncurrentVersionExpiration"]["NoncurrentDays"] == 30
    assert rule["AbortIncompleteMultipartUpload"]["DaysAfterInitiation"] == 7
    assert_tagged(
        f"bucket {bucket}", tags_of({"Tags": s3.get_bucket_tagging(Bucket=bucket)["TagSet"]}), expected, name=bucket
    )


def test_the_access_log_bucket_admits_only_elb_log_delivery_under_its_prefix_over_tls(aws, expected):
    bucket = _access_log_bucket(aws, expected)
    arn = f"arn:aws:s3:::{bucket}"
    statements = {s["Sid"]: s for s in json.loads(aws.s3.get_bucket_policy(Bucket=bucket)["Policy"])["Statement"]}
    # Nothing else; the deny of s3:* to everyone without TLS on the bucket and its objects: alb-access-logs.
    assert set(statements) == {"DenyInsecureTransport", "AllowElbAccessLogDelivery"}
    allow = statements["AllowElbAccessLogDelivery"]
    assert allow["Effect"] == "Allow"
    assert allow["Action"] == "s3:PutObject"
    prefix = expected["alb_access_logs_prefix"]
    assert allow["Resource"] == f"{arn}/{prefix}/AWSLogs/{_account(aws)}/*"
    region = expected["region"]
    if region in ELB_ACCOUNTS:
        assert allow["Principal"] == {"AWS": f"arn:aws:iam::{ELB_ACCOUNTS[region]}:root"}
    else:
        assert allow["Principal"] == {"Service": "logdelivery.elasticloadbalancing.amazonaws.com"}
    assert "Condition" not in allow


def _zone_id(expected):
    route53 = Aws(METRICS_REGION).route53
    zones = [
        z
        for z in route53.list_hosted_zones_by_name(DNSName=expected["zone_name"])["HostedZones"]
        if z["Name"] == expected["zone_name"] + "." and not z["Config"]["PrivateZone"]
    ]
    assert len(zones) == 1, f"expected one public zone {expected['zone_name']}, found {len(zones)}"
    return zones[0]["Id"].split("/")[-1]


def _health_check(expected):
    route53 = Aws(METRICS_REGION).route53
    name = f"{expected['name_prefix']}-{expected['region']}"
    found = []
    for check in route53.list_health_checks()["HealthChecks"]:
        tags = route53.list_tags_for_resource(ResourceType="healthcheck", ResourceId=check["Id"])["ResourceTagSet"]
        tags = tags_of(tags)
        if tags.get("Name") == name:
            found.append((check, tags))
    assert len(found) == 1, f"expected one health check named {name}, found {len(found)}"
    return found[0]


def test_the_region_health_check_measures_latency(aws, expected):
    """Found by its Name tag, HTTPS on the load balancer's DNS name, port 443, the health path, interval and
    threshold, neither inverted nor disabled: health-check; its required tags: tags."""
    check, _tags = _health_check(expected)
    assert check["HealthCheckConfig"]["MeasureLatency"] is True


def test_the_service_name_has_exactly_a_primary_and_a_secondary_record(all_expected):
    """Each record's failover role, alias to its region's load balancer with target health evaluated, and its
    health check: failover-record (which reads the records of the stack's regions only)."""
    first = all_expected[0]
    route53 = Aws(METRICS_REGION).route53
    records = [
        r
        for r in route53.list_resource_record_sets(HostedZoneId=_zone_id(first))["ResourceRecordSets"]
        if r["Name"].rstrip(".") == first["service_name"]
    ]
    by_region = {r["SetIdentifier"]: r for r in records}
    wanted = {e["region"]: e["failover_record"] for e in all_expected if e["failover_record"]}
    assert sorted(wanted.values()) == ["PRIMARY", "SECONDARY"]
    assert {region: r["Failover"] for region, r in by_region.items()} == wanted


def test_each_health_check_has_an_alarm_on_its_status(all_expected):
    """The topic in us-east-1 encrypted with the key there, every region's alarm present and notifying it on
    ALARM and OK: alarm-actions (on the primary); the topic's required tags: tags."""
    cloudwatch = Aws(METRICS_REGION).cloudwatch
    sns = Aws(METRICS_REGION).sns
    prefix = all_expected[0]["name_prefix"]
    topic = f"{prefix}-dns-health"
    topics = [t["TopicArn"] for t in sns.list_topics()["Topics"] if t["TopicArn"].endswith(":" + topic)]
    assert len(topics) == 1, f"expected one topic {topic}"
    topic_arn = topics[0]
    assert_named("alarm topic", tags_of(sns.list_tags_for_resource(ResourceArn=topic_arn)), topic)
    for expected in all_expected:
        name = f"{prefix}-{expected['region']}-endpoint-unhealthy"
        alarms = cloudwatch.describe_alarms(AlarmNames=[name])["MetricAlarms"]
        assert len(alarms) == 1, f"alarm {name} missing"
        alarm = alarms[0]
        assert (alarm["Namespace"], alarm["MetricName"]) == ("AWS/Route53", "HealthCheckStatus")
        assert alarm["Dimensions"] == [{"Name": "HealthCheckId", "Value": _health_check(expected)[0]["Id"]}]
        assert alarm["Statistic"] == "Minimum"
        assert alarm["ComparisonOperator"] == "LessThanThreshold"
        assert alarm["Threshold"] == 1.0
        assert alarm["TreatMissingData"] == "breaching"
        tags = tags_of(cloudwatch.list_tags_for_resource(ResourceARN=alarm["AlarmArn"]))
        assert_tagged(f"alarm {name}", tags, expected)


def test_the_alarm_topic_admits_only_the_account(all_expected):
    sns = Aws(METRICS_REGION).sns
    topic = f"{all_expected[0]['name_prefix']}-dns-health"
    topic_arn = next(t["TopicArn"] for t in sns.list_topics()["Topics"] if t["TopicArn"].endswith(":" + topic))
    policy = json.loads(sns.get_topic_attributes(TopicArn=topic_arn)["Attributes"]["Policy"])
    account = topic_arn.split(":")[4]
    for statement in policy["Statement"]:
        principal = statement.get("Principal")
        if statement["Effect"] == "Allow" and principal in ("*", {"AWS": "*"}):
            assert statement.get("Condition", {}).get("StringEquals", {}).get("AWS:SourceOwner") == account, statement

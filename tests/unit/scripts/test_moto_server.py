"""The moto fixes of scripts/moto_server.py, in-process: each makes moto answer as AWS does."""

import datetime
import importlib.util
import io
import json
import subprocess
import zipfile
from pathlib import Path

import boto3
import pytest
from botocore.exceptions import ClientError
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID
from moto import mock_aws

ROOT = Path(__file__).resolve().parents[3]
spec = importlib.util.spec_from_file_location("finproc_moto_fixes", ROOT / "scripts" / "moto_server.py")
moto_server = importlib.util.module_from_spec(spec)
spec.loader.exec_module(moto_server)  # applies the fixes; main() is not called

REGION = "us-east-2"


@pytest.fixture
def aws(monkeypatch):
    for key in ("AWS_ENDPOINT_URL", "AWS_PROFILE"):
        monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    with mock_aws():
        yield


def _alb(name="fix-alb"):
    ec2 = boto3.client("ec2", region_name=REGION)
    vpc = ec2.create_vpc(CidrBlock="10.9.0.0/16")["Vpc"]["VpcId"]
    subnets = [
        ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.9.{i}.0/24", AvailabilityZone=f"{REGION}{az}")["Subnet"]["SubnetId"]
        for i, az in enumerate("ab")
    ]
    elbv2 = boto3.client("elbv2", region_name=REGION)
    arn = elbv2.create_load_balancer(Name=name, Subnets=subnets, Type="application")["LoadBalancers"][0][
        "LoadBalancerArn"
    ]
    return elbv2, arn, vpc


def test_an_alb_lists_every_attribute_with_the_default_aws_gives_it(aws):
    elbv2, arn, _vpc = _alb()
    attributes = {
        a["Key"]: a["Value"] for a in elbv2.describe_load_balancer_attributes(LoadBalancerArn=arn)["Attributes"]
    }
    assert attributes["idle_timeout.timeout_seconds"] == "60"
    assert attributes["routing.http.drop_invalid_header_fields.enabled"] == "false"
    assert attributes["deletion_protection.enabled"] == "false"
    assert attributes["load_balancing.cross_zone.enabled"] == "true"


def test_a_protected_alb_cannot_be_deleted(aws):
    elbv2, arn, _vpc = _alb()
    elbv2.modify_load_balancer_attributes(
        LoadBalancerArn=arn, Attributes=[{"Key": "deletion_protection.enabled", "Value": "true"}]
    )
    with pytest.raises(ClientError) as refused:
        elbv2.delete_load_balancer(LoadBalancerArn=arn)
    assert refused.value.response["Error"]["Code"] == "OperationNotPermitted"
    elbv2.modify_load_balancer_attributes(
        LoadBalancerArn=arn, Attributes=[{"Key": "deletion_protection.enabled", "Value": "false"}]
    )
    elbv2.delete_load_balancer(LoadBalancerArn=arn)
    assert elbv2.describe_load_balancers()["LoadBalancers"] == []


def _certificate(tmp_path):
    key, cert = tmp_path / "key.pem", tmp_path / "cert.pem"
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "2",
            "-subj",
            "/CN=fix.example",
            "-keyout",
            str(key),
            "-out",
            str(cert),
        ],
        check=True,
        capture_output=True,
    )
    acm = boto3.client("acm", region_name=REGION)
    return acm, acm.import_certificate(Certificate=cert.read_bytes(), PrivateKey=key.read_bytes())["CertificateArn"]


def _https_listener(elbv2, arn, vpc, certificate):
    """An HTTPS listener of the load balancer `arn` that uses `certificate`; its ARN."""
    group = elbv2.create_target_group(Name="fix-app", Protocol="HTTP", Port=8080, VpcId=vpc)["TargetGroups"][0]
    return elbv2.create_listener(
        LoadBalancerArn=arn,
        Protocol="HTTPS",
        Port=443,
        Certificates=[{"CertificateArn": certificate}],
        DefaultActions=[{"Type": "forward", "TargetGroupArn": group["TargetGroupArn"]}],
    )["Listeners"][0]["ListenerArn"]


def test_a_deleted_listener_no_longer_uses_its_certificate(aws, tmp_path):
    elbv2, arn, vpc = _alb()
    acm, certificate = _certificate(tmp_path)
    listener = _https_listener(elbv2, arn, vpc, certificate)
    assert acm.describe_certificate(CertificateArn=certificate)["Certificate"]["InUseBy"] == [listener]
    elbv2.delete_load_balancer(LoadBalancerArn=arn)
    assert acm.describe_certificate(CertificateArn=certificate)["Certificate"]["InUseBy"] == []
    acm.delete_certificate(CertificateArn=certificate)


def _issued(subject, issuer_name, key, signing_key, ca):
    """A PEM certificate of `subject`, signed by `signing_key` as `issuer_name`, valid now."""
    now = datetime.datetime.now(datetime.timezone.utc)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, subject)]))
        .issuer_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, issuer_name)]))
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=2))
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
        .sign(signing_key, hashes.SHA256())
    )
    return certificate.public_bytes(serialization.Encoding.PEM)


def _leaf_and_chain():
    """(leaf PEM, its key PEM, the intermediate that signed it, PEM): a leaf with a one-certificate chain."""
    ca_key, leaf_key = (rsa.generate_private_key(public_exponent=65537, key_size=2048) for _unused in range(2))
    intermediate = _issued("Fix Intermediate", "Fix Intermediate", ca_key, ca_key, ca=True)
    leaf = _issued("fix.example", "Fix Intermediate", leaf_key, ca_key, ca=False)
    key = leaf_key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.TraditionalOpenSSL, serialization.NoEncryption()
    )
    return leaf, key, intermediate


def test_an_imported_certificate_has_the_chain_it_was_imported_with(aws):
    acm = boto3.client("acm", region_name=REGION)
    leaf, key, intermediate = _leaf_and_chain()
    with_chain = acm.import_certificate(Certificate=leaf, PrivateKey=key, CertificateChain=intermediate)
    held = acm.get_certificate(CertificateArn=with_chain["CertificateArn"])
    assert held["CertificateChain"].encode() == intermediate  # nothing appended
    without_chain = acm.import_certificate(Certificate=leaf, PrivateKey=key)
    held = acm.get_certificate(CertificateArn=without_chain["CertificateArn"])
    assert held["Certificate"].encode() == leaf
    assert "CertificateChain" not in held


def test_a_reimport_keeps_the_certificates_tags_and_users(aws, tmp_path):
    elbv2, arn, vpc = _alb()
    acm, certificate = _certificate(tmp_path)
    acm.add_tags_to_certificate(CertificateArn=certificate, Tags=[{"Key": "Name", "Value": "fix-alb"}])
    listener = _https_listener(elbv2, arn, vpc, certificate)
    leaf, key, intermediate = _leaf_and_chain()
    again = acm.import_certificate(CertificateArn=certificate, Certificate=leaf, PrivateKey=key)
    assert again["CertificateArn"] == certificate
    assert acm.get_certificate(CertificateArn=certificate)["Certificate"].encode() == leaf
    assert acm.list_tags_for_certificate(CertificateArn=certificate)["Tags"] == [{"Key": "Name", "Value": "fix-alb"}]
    assert acm.describe_certificate(CertificateArn=certificate)["Certificate"]["InUseBy"] == [listener]


def _failover(identifier, role, action):
    return {
        "Action": action,
        "ResourceRecordSet": {
            "Name": "api.fix.example",
            "Type": "A",
            "SetIdentifier": identifier,
            "Failover": role,
            "AliasTarget": {"HostedZoneId": "Z2", "DNSName": f"{identifier}.example.", "EvaluateTargetHealth": True},
        },
    }


def test_a_record_created_again_after_its_deletion_is_created_and_a_duplicate_refused(aws):
    route53 = boto3.client("route53", region_name="us-east-1")
    zone = route53.create_hosted_zone(Name="fix.example", CallerReference="fix")["HostedZone"]["Id"]

    def change(*changes):
        route53.change_resource_record_sets(HostedZoneId=zone, ChangeBatch={"Changes": list(changes)})

    def records():
        sets = route53.list_resource_record_sets(HostedZoneId=zone)["ResourceRecordSets"]
        return sorted((r["SetIdentifier"], r["Failover"]) for r in sets if r["Type"] == "A")

    change(_failover("a", "PRIMARY", "CREATE"), _failover("b", "SECONDARY", "CREATE"))
    change(_failover("b", "SECONDARY", "DELETE"))
    change(_failover("b", "SECONDARY", "CREATE"))
    assert records() == [("a", "PRIMARY"), ("b", "SECONDARY")]
    with pytest.raises(ClientError) as refused:
        change(_failover("b", "SECONDARY", "CREATE"))
    assert refused.value.response["Error"]["Code"] == "InvalidChangeBatch"
    assert records() == [("a", "PRIMARY"), ("b", "SECONDARY")]


def _zip(text="def handler(event, context):\n    return event\n"):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr(zipfile.ZipInfo("index.py", date_time=(2024, 1, 1, 0, 0, 0)), text)  # the same bytes each time
    return buffer.getvalue()


def _function(name="fix-fn", **kwargs):
    iam = boto3.client("iam", region_name=REGION)
    role = iam.create_role(
        RoleName=f"{name}-role",
        AssumeRolePolicyDocument=json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [
                    {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}
                ],
            }
        ),
    )["Role"]["Arn"]
    awslambda = boto3.client("lambda", region_name=REGION)
    created = awslambda.create_function(
        FunctionName=name, Runtime="python3.12", Role=role, Handler="index.handler", Code={"ZipFile": _zip()}, **kwargs
    )
    return awslambda, created


def _configurations(awslambda, name="fix-fn"):
    """The function's configuration as GetFunction and as GetFunctionConfiguration report it."""
    return [
        awslambda.get_function(FunctionName=name)["Configuration"],
        awslambda.get_function_configuration(FunctionName=name),
    ]


def test_a_function_reports_the_default_logging_config(aws):
    awslambda, created = _function()
    default = {"LogFormat": "Text", "LogGroup": "/aws/lambda/fix-fn"}
    assert created["LoggingConfig"] == default
    for config in _configurations(awslambda):
        assert config["LoggingConfig"] == default
    listed = awslambda.list_functions()["Functions"]
    assert [f["LoggingConfig"] for f in listed] == [default]


def test_the_logging_config_given_is_kept_and_reported(aws):
    awslambda, created = _function(LoggingConfig={"LogGroup": "/finproc/fix"})
    assert created["LoggingConfig"] == {"LogFormat": "Text", "LogGroup": "/finproc/fix"}
    json_logs = {"LogFormat": "JSON", "ApplicationLogLevel": "WARN", "SystemLogLevel": "INFO", "LogGroup": "/finproc/x"}
    updated = awslambda.update_function_configuration(FunctionName="fix-fn", LoggingConfig=json_logs)
    assert updated["LoggingConfig"] == json_logs
    for config in _configurations(awslambda):
        assert config["LoggingConfig"] == json_logs
    updated = awslambda.update_function_configuration(FunctionName="fix-fn", LoggingConfig={"LogFormat": "Text"})
    assert updated["LoggingConfig"] == {"LogFormat": "Text", "LogGroup": "/aws/lambda/fix-fn"}
    # Other updates leave it alone.
    awslambda.update_function_configuration(FunctionName="fix-fn", Timeout=30)
    for config in _configurations(awslambda):
        assert config["LoggingConfig"] == {"LogFormat": "Text", "LogGroup": "/aws/lambda/fix-fn"}
        assert config["Timeout"] == 30


KEY = f"arn:aws:kms:{REGION}:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"
OTHER_KEY = f"arn:aws:kms:{REGION}:123456789012:key/5678abcd-12ab-34cd-56ef-1234567890ab"


def test_update_function_configuration_changes_and_removes_the_kms_key(aws):
    awslambda, created = _function(KMSKeyArn=KEY)
    assert created["KMSKeyArn"] == KEY
    updated = awslambda.update_function_configuration(FunctionName="fix-fn", KMSKeyArn=OTHER_KEY)
    assert updated["KMSKeyArn"] == OTHER_KEY
    for config in _configurations(awslambda):
        assert config["KMSKeyArn"] == OTHER_KEY
    awslambda.update_function_configuration(FunctionName="fix-fn", Description="no key change")
    assert awslambda.get_function_configuration(FunctionName="fix-fn")["KMSKeyArn"] == OTHER_KEY
    updated = awslambda.update_function_configuration(FunctionName="fix-fn", KMSKeyArn="")
    assert "KMSKeyArn" not in updated
    for config in _configurations(awslambda):
        assert "KMSKeyArn" not in config


def test_update_function_code_changes_the_architecture(aws):
    awslambda, created = _function()
    assert created["Architectures"] == ["x86_64"]
    code = _zip("def handler(event, context):\n    return None\n")
    updated = awslambda.update_function_code(FunctionName="fix-fn", ZipFile=code, Architectures=["arm64"])
    assert updated["Architectures"] == ["arm64"]
    assert updated["CodeSha256"] != created["CodeSha256"]
    for config in _configurations(awslambda):
        assert config["Architectures"] == ["arm64"]
    awslambda.update_function_code(FunctionName="fix-fn", ZipFile=_zip())
    for config in _configurations(awslambda):
        assert config["Architectures"] == ["arm64"]
    with pytest.raises(ClientError) as refused:
        awslambda.update_function_code(FunctionName="fix-fn", ZipFile=code, Architectures=["sparc"])
    assert refused.value.response["Error"]["Code"] == "ValidationException"
    # Code that cannot be read: moto raises ValueError(InvalidParameterValueException, ...) from the
    # handler (in-process it reaches the caller; the server answers 500).
    with pytest.raises((ClientError, ValueError), match="InvalidParameterValueException"):
        awslambda.update_function_code(
            FunctionName="fix-fn", S3Bucket="fix-missing", S3Key="code.zip", Architectures=["x86_64"]
        )
    config = awslambda.get_function_configuration(FunctionName="fix-fn")
    assert config["Architectures"] == ["arm64"]  # the refused updates changed nothing
    assert config["CodeSha256"] == created["CodeSha256"]


def _tags(cloudwatch, arn):
    return {t["Key"]: t["Value"] for t in cloudwatch.list_tags_for_resource(ResourceARN=arn)["Tags"]}


DASHBOARD_BODY = json.dumps({"widgets": []})


def _dashboard(cloudwatch, **kwargs):
    cloudwatch.put_dashboard(DashboardName="fix-dash", DashboardBody=DASHBOARD_BODY, **kwargs)
    return cloudwatch.get_dashboard(DashboardName="fix-dash")["DashboardArn"]


def test_a_new_dashboard_gets_the_tags_of_put_dashboard_and_an_update_ignores_them(aws):
    cloudwatch = boto3.client("cloudwatch", region_name=REGION)
    arn = _dashboard(cloudwatch, Tags=[{"Key": "App", "Value": "finproc"}])
    assert arn == "arn:aws:cloudwatch::123456789012:dashboard/fix-dash"  # global: no region
    assert _tags(cloudwatch, arn) == {"App": "finproc"}
    _dashboard(cloudwatch, Tags=[{"Key": "App", "Value": "other"}, {"Key": "Owner", "Value": "platform"}])
    assert _tags(cloudwatch, arn) == {"App": "finproc"}


def test_a_dashboard_is_tagged_and_untagged_by_its_arn(aws):
    cloudwatch = boto3.client("cloudwatch", region_name=REGION)
    arn = _dashboard(cloudwatch)
    cloudwatch.untag_resource(ResourceARN=arn, TagKeys=["App"])  # a dashboard never tagged too
    assert _tags(cloudwatch, arn) == {}
    cloudwatch.tag_resource(ResourceARN=arn, Tags=[{"Key": "App", "Value": "finproc"}, {"Key": "Owner", "Value": "x"}])
    assert _tags(cloudwatch, arn) == {"App": "finproc", "Owner": "x"}
    cloudwatch.tag_resource(ResourceARN=arn, Tags=[{"Key": "Owner", "Value": "platform"}])
    assert _tags(cloudwatch, arn) == {"App": "finproc", "Owner": "platform"}
    cloudwatch.untag_resource(ResourceARN=arn, TagKeys=["App", "Missing"])
    assert _tags(cloudwatch, arn) == {"Owner": "platform"}
    cloudwatch.untag_resource(ResourceARN=arn, TagKeys=["Owner"])
    assert _tags(cloudwatch, arn) == {}


def test_a_deleted_dashboard_takes_its_tags_with_it(aws):
    cloudwatch = boto3.client("cloudwatch", region_name=REGION)
    arn = _dashboard(cloudwatch)
    cloudwatch.tag_resource(ResourceARN=arn, Tags=[{"Key": "App", "Value": "finproc"}])
    cloudwatch.delete_dashboards(DashboardNames=["fix-dash"])
    assert _dashboard(cloudwatch) == arn
    assert _tags(cloudwatch, arn) == {}


def test_alarms_are_still_tagged_and_an_unknown_arn_refused(aws):
    cloudwatch = boto3.client("cloudwatch", region_name=REGION)
    cloudwatch.put_metric_alarm(
        AlarmName="fix-alarm",
        MetricName="Errors",
        Namespace="AWS/Lambda",
        Statistic="Sum",
        Period=60,
        EvaluationPeriods=1,
        Threshold=1,
        ComparisonOperator="GreaterThanOrEqualToThreshold",
        Tags=[{"Key": "App", "Value": "finproc"}],
    )
    arn = cloudwatch.describe_alarms(AlarmNames=["fix-alarm"])["MetricAlarms"][0]["AlarmArn"]
    cloudwatch.tag_resource(ResourceARN=arn, Tags=[{"Key": "Owner", "Value": "platform"}])
    cloudwatch.untag_resource(ResourceARN=arn, TagKeys=["App"])
    assert _tags(cloudwatch, arn) == {"Owner": "platform"}
    missing = "arn:aws:cloudwatch::123456789012:dashboard/fix-missing"
    for call in (
        lambda: cloudwatch.tag_resource(ResourceARN=missing, Tags=[{"Key": "App", "Value": "finproc"}]),
        lambda: cloudwatch.untag_resource(ResourceARN=missing, TagKeys=["App"]),
    ):
        with pytest.raises(ClientError) as refused:
            call()
        assert refused.value.response["Error"]["Code"] == "ResourceNotFoundException"


def test_an_ec2_client_token_seen_before_returns_the_first_resource(aws):
    ec2 = boto3.client("ec2", region_name=REGION)
    vpc = ec2.create_vpc(CidrBlock="10.8.0.0/16")["Vpc"]["VpcId"]
    subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.8.0.0/24")["Subnet"]["SubnetId"]
    allocation = ec2.allocate_address(Domain="vpc")["AllocationId"]
    first = ec2.create_nat_gateway(SubnetId=subnet, AllocationId=allocation, ClientToken="t-1")["NatGateway"]
    again = ec2.create_nat_gateway(SubnetId=subnet, AllocationId=allocation, ClientToken="t-1")["NatGateway"]
    assert again["NatGatewayId"] == first["NatGatewayId"]
    assert len(ec2.describe_nat_gateways()["NatGateways"]) == 1
    other = ec2.allocate_address(Domain="vpc")["AllocationId"]
    with pytest.raises(ClientError) as refused:
        ec2.create_nat_gateway(SubnetId=subnet, AllocationId=other, ClientToken="t-1")
    assert refused.value.response["Error"]["Code"] == "IdempotentParameterMismatch"
    # without a token, or with another one, moto creates as before
    second = ec2.create_nat_gateway(SubnetId=subnet, AllocationId=other, ClientToken="t-2")["NatGateway"]
    assert second["NatGatewayId"] != first["NatGatewayId"]


def test_a_flow_log_client_token_seen_before_returns_the_first_flow_log(aws):
    ec2 = boto3.client("ec2", region_name=REGION)
    vpc = ec2.create_vpc(CidrBlock="10.7.0.0/16")["Vpc"]["VpcId"]
    request = dict(
        ResourceIds=[vpc],
        ResourceType="VPC",
        TrafficType="ALL",
        LogDestinationType="s3",
        LogDestination="arn:aws:s3:::finproc-fix-flow-logs",
        ClientToken="fl-1",
    )
    boto3.client("s3", region_name="us-east-1").create_bucket(Bucket="finproc-fix-flow-logs")
    first = ec2.create_flow_logs(**request)["FlowLogIds"]
    assert ec2.create_flow_logs(**request)["FlowLogIds"] == first
    assert len(ec2.describe_flow_logs()["FlowLogs"]) == 1


def test_create_target_group_with_the_same_settings_returns_the_group(aws):
    ec2 = boto3.client("ec2", region_name=REGION)
    vpc = ec2.create_vpc(CidrBlock="10.6.0.0/16")["Vpc"]["VpcId"]
    elbv2 = boto3.client("elbv2", region_name=REGION)
    request = dict(Name="fix-tg", Protocol="HTTP", Port=8080, VpcId=vpc, TargetType="ip")
    first = elbv2.create_target_group(**request)["TargetGroups"][0]["TargetGroupArn"]
    assert elbv2.create_target_group(**request)["TargetGroups"][0]["TargetGroupArn"] == first
    assert len(elbv2.describe_target_groups()["TargetGroups"]) == 1
    with pytest.raises(ClientError) as refused:
        elbv2.create_target_group(**dict(request, Port=9090))
    assert refused.value.response["Error"]["Code"] == "DuplicateTargetGroupName"


def test_a_health_check_caller_reference_returns_the_check_or_is_refused(aws):
    route53 = boto3.client("route53", region_name="us-east-1")
    config = {"Type": "HTTPS", "FullyQualifiedDomainName": "api.fix.example", "Port": 443, "RequestInterval": 30}
    first = route53.create_health_check(CallerReference="ref-1", HealthCheckConfig=config)["HealthCheck"]["Id"]
    again = route53.create_health_check(CallerReference="ref-1", HealthCheckConfig=config)["HealthCheck"]["Id"]
    assert again == first and len(route53.list_health_checks()["HealthChecks"]) == 1
    for other in (dict(config, Port=8443), config):
        if other is config:
            route53.delete_health_check(HealthCheckId=first)  # a deleted check's reference: refused too
        with pytest.raises(ClientError) as refused:
            route53.create_health_check(CallerReference="ref-1", HealthCheckConfig=other)
        assert refused.value.response["Error"]["Code"] == "HealthCheckAlreadyExists"
        assert refused.value.response["ResponseMetadata"]["HTTPStatusCode"] == 409


def test_a_hosted_zone_caller_reference_used_before_is_refused(aws):
    route53 = boto3.client("route53", region_name="us-east-1")
    route53.create_hosted_zone(Name="fix.example", CallerReference="zone-1")
    with pytest.raises(ClientError) as refused:
        route53.create_hosted_zone(Name="fix.example", CallerReference="zone-1")
    assert refused.value.response["Error"]["Code"] == "HostedZoneAlreadyExists"
    assert len(route53.list_hosted_zones()["HostedZones"]) == 1


def test_create_load_balancer_and_listener_with_the_same_settings_return_the_one_there(aws):
    ec2 = boto3.client("ec2", region_name=REGION)
    vpc = ec2.create_vpc(CidrBlock="10.5.0.0/16")["Vpc"]["VpcId"]
    subnets = [
        ec2.create_subnet(VpcId=vpc, CidrBlock=cidr, AvailabilityZone=az)["Subnet"]["SubnetId"]
        for cidr, az in (("10.5.0.0/24", "us-east-2a"), ("10.5.1.0/24", "us-east-2b"))
    ]
    group = ec2.create_security_group(GroupName="fix-lb", Description="fix", VpcId=vpc)["GroupId"]
    elbv2 = boto3.client("elbv2", region_name=REGION)
    request = dict(Name="fix-lb", Subnets=subnets, SecurityGroups=[group], Scheme="internet-facing")
    first = elbv2.create_load_balancer(**request)["LoadBalancers"][0]["LoadBalancerArn"]
    assert elbv2.create_load_balancer(**request)["LoadBalancers"][0]["LoadBalancerArn"] == first
    assert len(elbv2.describe_load_balancers()["LoadBalancers"]) == 1
    with pytest.raises(ClientError) as refused:
        elbv2.create_load_balancer(**dict(request, Subnets=subnets[:1] + subnets[:1]))
    assert refused.value.response["Error"]["Code"] == "DuplicateLoadBalancerName"
    action = [{"Type": "fixed-response", "FixedResponseConfig": {"StatusCode": "404"}}]
    listener = dict(LoadBalancerArn=first, Protocol="HTTP", Port=80, DefaultActions=action)
    one = elbv2.create_listener(**listener)["Listeners"][0]["ListenerArn"]
    assert elbv2.create_listener(**listener)["Listeners"][0]["ListenerArn"] == one
    assert len(elbv2.describe_listeners(LoadBalancerArn=first)["Listeners"]) == 1

"""The moto fixes of scripts/moto_server.py, in-process: each makes moto answer as AWS does."""

import importlib.util
import subprocess
from pathlib import Path

import boto3
import pytest
from botocore.exceptions import ClientError
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


def test_a_deleted_listener_no_longer_uses_its_certificate(aws, tmp_path):
    elbv2, arn, vpc = _alb()
    acm, certificate = _certificate(tmp_path)
    group = elbv2.create_target_group(Name="fix-app", Protocol="HTTP", Port=8080, VpcId=vpc)["TargetGroups"][0]
    listener = elbv2.create_listener(
        LoadBalancerArn=arn,
        Protocol="HTTPS",
        Port=443,
        Certificates=[{"CertificateArn": certificate}],
        DefaultActions=[{"Type": "forward", "TargetGroupArn": group["TargetGroupArn"]}],
    )["Listeners"][0]["ListenerArn"]
    assert acm.describe_certificate(CertificateArn=certificate)["Certificate"]["InUseBy"] == [listener]
    elbv2.delete_load_balancer(LoadBalancerArn=arn)
    assert acm.describe_certificate(CertificateArn=certificate)["Certificate"]["InUseBy"] == []
    acm.delete_certificate(CertificateArn=certificate)


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

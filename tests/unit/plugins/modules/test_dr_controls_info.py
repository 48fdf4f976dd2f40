"""dr_controls_info against a compliant two-region stack built in in-process moto, then broken one
thing at a time: exactly the control concerned fails, with a detail that says what is wrong.

moto departs from AWS in two ways that matter here, both mended in the test and not in the module:
DynamoDB has no replicas (the primary's DescribeTable reply gets the replica a global table would
report, as LocalStack does), and GetBucketReplication drops SourceSelectionCriteria (the stored
configuration is replied as it was put).
"""

import contextlib
import datetime
import io
import json
import os
import sys
import zipfile
from pathlib import Path
from types import SimpleNamespace

import boto3
import botocore.exceptions
import botocore.session
import pytest
from ansible.module_utils.testing import patch_module_args
from ansible_collections.amazon.aws.plugins.module_utils import modules as aws_modules
from ansible_collections.finproc.dr.plugins.module_utils import access_paths
from ansible_collections.finproc.dr.plugins.modules import dr_controls_info
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from moto import mock_aws
from moto.core.responses import ActionResult
from moto.s3.exceptions import ReplicationConfigurationNotFoundError
from moto.s3.responses import S3Response

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "policies"))
import render  # noqa: E402  (tests/unit/policies/render.py: the roles' rendered policies)

ACCOUNT = "123456789012"
PREFIX = "finproc-dev"
PRIMARY, SECONDARY, METRICS = "us-east-2", "us-west-2", "us-east-1"
REGIONS = (PRIMARY, SECONDARY)
ROLES = {PRIMARY: "primary", SECONDARY: "secondary"}
RECORDS = {PRIMARY: "PRIMARY", SECONDARY: "SECONDARY"}
CIDRS = {PRIMARY: "10.0.0.0/16", SECONDARY: "10.1.0.0/16"}
TAGS = {"Environment": "dev", "App": "finproc", "ManagedBy": "ansible-finproc.dr", "CostCenter": "CC-0000"}
STACK_TAGS = dict(TAGS, **{"finproc:stack": PREFIX})
NAMESPACE = "finproc/dev/dr"
APP_LOG = "/finproc/dev/application"
FLOW_LOG = "/finproc/dev/vpc-flow-logs"
FUNCTION_LOG = f"/aws/lambda/{PREFIX}-health-monitor"
ZONE = "dev.finproc.example"
SERVICE = f"api.{ZONE}"
APP_PORT = 8080
TLS_POLICY = "ELBSecurityPolicy-TLS13-1-2-2021-06"
READ_PREFIXES = ("Describe", "Get", "List")


# --------------------------------------------------------------------------------------------
# A compliant stack, as the roles build it
# --------------------------------------------------------------------------------------------


_CLIENTS = {}


def client(service, region=PRIMARY):
    """A client of the test (cached: creating one takes longer than most moto calls)."""
    if (service, region) not in _CLIENTS:
        _CLIENTS[(service, region)] = boto3.client(service, region_name=region)
    return _CLIENTS[(service, region)]


def tag_list(extra=None, key="Key", value="Value"):
    return [{key: k, value: v} for k, v in dict(STACK_TAGS, **(extra or {})).items()]


def bucket_name(region):
    return f"{PREFIX}-{ACCOUNT}-{region}"


# The ALB access-log bucket and who delivers into it in these regions (roles/load_balancing).
ELB_ACCOUNTS = {PRIMARY: "033677994240", SECONDARY: "797873946194"}


def log_bucket_name(region):
    return f"{PREFIX}-{ACCOUNT}-{region}-alb-logs"


def log_bucket_policy(region, tls=True):
    arn = f"arn:aws:s3:::{log_bucket_name(region)}"
    statements = [
        {
            "Sid": "AllowElbAccessLogDelivery",
            "Effect": "Allow",
            "Principal": {"AWS": f"arn:aws:iam::{ELB_ACCOUNTS[region]}:root"},
            "Action": "s3:PutObject",
            "Resource": f"{arn}/alb/AWSLogs/{ACCOUNT}/*",
        }
    ]
    if tls:
        statements.insert(
            0,
            {
                "Sid": "DenyInsecureTransport",
                "Effect": "Deny",
                "Principal": "*",
                "Action": "s3:*",
                "Resource": [arn, f"{arn}/*"],
                "Condition": {"Bool": {"aws:SecureTransport": "false"}},
            },
        )
    return json.dumps({"Version": "2012-10-17", "Statement": statements})


def log_bucket_lifecycle(days=400):
    return {
        "Rules": [
            {
                "ID": "access-log-retention",
                "Filter": {"Prefix": ""},
                "Status": "Enabled",
                "Expiration": {"Days": days},
                "NoncurrentVersionExpiration": {"NoncurrentDays": 30},
                "AbortIncompleteMultipartUpload": {"DaysAfterInitiation": 7},
            }
        ]
    }


def key_policy(region):
    root = f"arn:aws:iam::{ACCOUNT}:root"
    return {
        "Version": "2012-10-17",
        "Id": PREFIX,
        "Statement": [
            {
                "Sid": "AccountControl",
                "Effect": "Allow",
                "Principal": {"AWS": root},
                "Action": "kms:*",
                "Resource": "*",
            },
            {
                "Sid": "CloudWatchLogsOfThisAccountAndRegion",
                "Effect": "Allow",
                "Principal": {"Service": f"logs.{region}.amazonaws.com"},
                "Action": ["kms:Encrypt*", "kms:Decrypt*", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:Describe*"],
                "Resource": "*",
            },
            {
                "Sid": "ServicesOfThisRegion",
                "Effect": "Allow",
                "Principal": {"AWS": root},
                "Action": ["kms:Encrypt", "kms:Decrypt", "kms:GenerateDataKey*", "kms:DescribeKey", "kms:CreateGrant"],
                "Resource": "*",
                "Condition": {"StringEquals": {"kms:CallerAccount": ACCOUNT}},
            },
        ],
    }


def bucket_policy(region, tls=True, tls_resources=None):
    arn = f"arn:aws:s3:::{bucket_name(region)}"
    statements = [
        {
            "Sid": "DenyUploadsNotEncryptedWithKms",
            "Effect": "Deny",
            "Principal": "*",
            "Action": "s3:PutObject",
            "Resource": arn + "/*",
            "Condition": {"StringNotEqualsIfExists": {"s3:x-amz-server-side-encryption": "aws:kms"}},
        }
    ]
    if tls:
        statements.insert(
            0,
            {
                "Sid": "DenyInsecureTransport",
                "Effect": "Deny",
                "Principal": "*",
                "Action": "s3:*",
                "Resource": tls_resources or [arn, arn + "/*"],
                "Condition": {"Bool": {"aws:SecureTransport": "false"}},
            },
        )
    return json.dumps({"Version": "2012-10-17", "Statement": statements})


def monitor_policy(region, extra=None):
    statements = [
        {
            "Sid": "WriteItsOwnLogGroup",
            "Effect": "Allow",
            "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
            "Resource": f"arn:aws:logs:{region}:{ACCOUNT}:log-group:{FUNCTION_LOG}:*",
        },
        {
            "Sid": "PutMetricsOfItsNamespaceOnly",
            "Effect": "Allow",
            "Action": "cloudwatch:PutMetricData",
            "Resource": "*",
            "Condition": {"StringEquals": {"cloudwatch:namespace": NAMESPACE}},
        },
        {
            "Sid": "WriteAndReadHeartbeatItemsOnly",
            "Effect": "Allow",
            "Action": ["dynamodb:PutItem", "dynamodb:GetItem"],
            "Resource": [f"arn:aws:dynamodb:{r}:{ACCOUNT}:table/{PREFIX}-transactions" for r in REGIONS],
            "Condition": {"ForAllValues:StringLike": {"dynamodb:LeadingKeys": ["finproc-monitor#heartbeat#*"]}},
        },
    ]
    return json.dumps({"Version": "2012-10-17", "Statement": statements + (extra or [])})


def replication_rule(source, destination, keys, **changes):
    rule = {
        "ID": f"to-{destination}",
        "Priority": 1,
        "Status": "Enabled",
        "Filter": {"Prefix": ""},
        "DeleteMarkerReplication": {"Status": "Enabled"},
        "SourceSelectionCriteria": {
            "SseKmsEncryptedObjects": {"Status": "Enabled"},
            "ReplicaModifications": {"Status": "Enabled"},
        },
        "Destination": {
            "Bucket": f"arn:aws:s3:::{bucket_name(destination)}",
            "StorageClass": "STANDARD",
            "EncryptionConfiguration": {"ReplicaKmsKeyID": keys[destination]},
            "ReplicationTime": {"Status": "Enabled", "Time": {"Minutes": 15}},
            "Metrics": {"Status": "Enabled", "EventThreshold": {"Minutes": 15}},
        },
    }
    for path, value in changes.items():
        target = rule
        *parents, last = path.split("__")
        for parent in parents:
            target = target[parent]
        target[last] = value
    return rule


def put_replication(source, destinations, keys, **changes):
    client("s3", source).put_bucket_replication(
        Bucket=bucket_name(source),
        ReplicationConfiguration={
            "Role": f"arn:aws:iam::{ACCOUNT}:role/{PREFIX}-s3-replication-{source}",
            "Rules": [replication_rule(source, d, keys, **changes) for d in destinations],
        },
    )


def make_key(region):
    kms = client("kms", region)
    key = kms.create_key(
        Policy=json.dumps(key_policy(region)),
        Description=f"{PREFIX} data key ({region})",
        Tags=tag_list({"Name": PREFIX}, "TagKey", "TagValue"),
    )["KeyMetadata"]
    kms.enable_key_rotation(KeyId=key["KeyId"])
    kms.create_alias(AliasName=f"alias/{PREFIX}", TargetKeyId=key["KeyId"])
    return key["Arn"]


def monitoring_alarm_names(region):
    others = [r for r in REGIONS if r != region]
    destinations = others if ROLES[region] == "primary" else [PRIMARY]
    names = ["self", "service-name", "lambda-errors"] + [f"endpoint-{r}" for r in REGIONS]
    names += ["heartbeat-write"] if others else []
    for peer in others:
        names += [f"replication-lag-{peer}", f"heartbeat-age-{peer}", f"dynamodb-replication-latency-{peer}"]
    for destination in destinations:
        names += [f"s3-replication-failures-to-{destination}", f"s3-replication-latency-to-{destination}"]
    return [f"{PREFIX}-{region}-monitor-{n}" for n in names]


def put_alarm(region, name, topic, threshold=1.0, actions=True, ok_actions=True, tags=True, missing=None):
    lag = "-replication-lag-" in name
    request = dict(
        AlarmName=name,
        Namespace=NAMESPACE,
        MetricName="ReplicationLagSeconds" if lag else "EndpointHealthy",
        Statistic="Maximum",
        Period=240,
        EvaluationPeriods=1,
        Threshold=threshold,
        ComparisonOperator="GreaterThanThreshold",
        AlarmActions=[topic] if actions else [],
        OKActions=[topic] if ok_actions else [],
        TreatMissingData=missing or ("breaching" if lag else "missing"),
    )
    if tags:
        request["Tags"] = tag_list()
    client("cloudwatch", region).put_metric_alarm(**request)


def build_region(region, keys, stack):
    key = keys[region]
    ec2 = client("ec2", region)
    vpc = ec2.create_vpc(CidrBlock=CIDRS[region])["Vpc"]["VpcId"]
    ec2.create_tags(Resources=[vpc], Tags=tag_list({"Name": f"{PREFIX}-vpc"}))
    base = CIDRS[region].split(".0.0/")[0]
    subnets = {"public": [], "private": []}
    for index, az in enumerate((f"{region}a", f"{region}b")):
        for tier, third in (("public", index), ("private", 10 + index)):
            subnet = ec2.create_subnet(VpcId=vpc, CidrBlock=f"{base}.{third}.0/24", AvailabilityZone=az)["Subnet"]
            ec2.create_tags(
                Resources=[subnet["SubnetId"]],
                Tags=tag_list({"Name": f"{PREFIX}-{tier}-{az}", "finproc:tier": tier}),
            )
            subnets[tier].append(subnet["SubnetId"])
    groups = {}
    for name in ("alb", "app"):
        group = ec2.create_security_group(GroupName=f"{PREFIX}-{name}", Description=name, VpcId=vpc)["GroupId"]
        ec2.create_tags(Resources=[group], Tags=tag_list({"Name": f"{PREFIX}-{name}"}))
        ec2.revoke_security_group_egress(
            GroupId=group, IpPermissions=[{"IpProtocol": "-1", "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}]
        )
        groups[name] = group
    for port in (80, 443):
        ec2.authorize_security_group_ingress(
            GroupId=groups["alb"],
            IpPermissions=[
                {"IpProtocol": "tcp", "FromPort": port, "ToPort": port, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}
            ],
        )
    ec2.authorize_security_group_egress(
        GroupId=groups["alb"],
        IpPermissions=[
            {
                "IpProtocol": "tcp",
                "FromPort": APP_PORT,
                "ToPort": APP_PORT,
                "UserIdGroupPairs": [{"GroupId": groups["app"]}],
            }
        ],
    )
    ec2.authorize_security_group_ingress(
        GroupId=groups["app"],
        IpPermissions=[
            {
                "IpProtocol": "tcp",
                "FromPort": APP_PORT,
                "ToPort": APP_PORT,
                "UserIdGroupPairs": [{"GroupId": groups["alb"]}],
            }
        ],
    )
    ec2.authorize_security_group_egress(
        GroupId=groups["app"],
        IpPermissions=[{"IpProtocol": "tcp", "FromPort": 443, "ToPort": 443, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}],
    )

    logs = client("logs", region)
    for name in (FLOW_LOG, FUNCTION_LOG, APP_LOG):
        logs.create_log_group(logGroupName=name, kmsKeyId=key, tags=dict(STACK_TAGS, Name=name))
        logs.put_retention_policy(logGroupName=name, retentionInDays=30)
    iam = client("iam", region)
    trust = json.dumps({"Version": "2012-10-17", "Statement": []})
    flow_role = iam.create_role(RoleName=f"{PREFIX}-flow-logs-{region}", AssumeRolePolicyDocument=trust)["Role"]
    ec2.create_flow_logs(
        ResourceIds=[vpc],
        ResourceType="VPC",
        TrafficType="ALL",
        LogGroupName=FLOW_LOG,
        DeliverLogsPermissionArn=flow_role["Arn"],
        MaxAggregationInterval=60,
        TagSpecifications=[{"ResourceType": "vpc-flow-log", "Tags": tag_list({"Name": f"{PREFIX}-vpc"})}],
    )

    s3 = client("s3", region)
    bucket = bucket_name(region)
    s3.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": region})
    s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
    s3.put_bucket_encryption(
        Bucket=bucket,
        ServerSideEncryptionConfiguration={
            "Rules": [
                {
                    "ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": key},
                    "BucketKeyEnabled": True,
                }
            ]
        },
    )
    s3.put_public_access_block(
        Bucket=bucket,
        PublicAccessBlockConfiguration=dict.fromkeys(
            ("BlockPublicAcls", "IgnorePublicAcls", "BlockPublicPolicy", "RestrictPublicBuckets"), True
        ),
    )
    s3.put_bucket_policy(Bucket=bucket, Policy=bucket_policy(region))
    s3.put_bucket_tagging(Bucket=bucket, Tagging={"TagSet": tag_list({"Name": bucket})})

    ddb = client("dynamodb", region)
    ddb.create_table(
        TableName=f"{PREFIX}-transactions",
        KeySchema=[{"AttributeName": "transactionId", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "transactionId", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
        StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"},
        SSESpecification={"Enabled": True, "SSEType": "KMS", "KMSMasterKeyId": key},
        DeletionProtectionEnabled=True,
        Tags=tag_list({"Name": f"{PREFIX}-transactions"}),
    )
    ddb.update_continuous_backups(
        TableName=f"{PREFIX}-transactions", PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": True}
    )

    certificate = client("acm", region).import_certificate(
        Certificate=CERTIFICATE[0], PrivateKey=CERTIFICATE[1], Tags=tag_list({"Name": f"{PREFIX}-alb"})
    )["CertificateArn"]
    elbv2 = client("elbv2", region)
    target_group = elbv2.create_target_group(
        Name=f"{PREFIX}-app",
        Protocol="HTTP",
        Port=APP_PORT,
        VpcId=vpc,
        TargetType="ip",
        Tags=tag_list({"Name": f"{PREFIX}-app"}),
    )["TargetGroups"][0]["TargetGroupArn"]
    alb = elbv2.create_load_balancer(
        Name=f"{PREFIX}-alb",
        Subnets=subnets["public"],
        SecurityGroups=[groups["alb"]],
        Scheme="internet-facing",
        Tags=tag_list({"Name": f"{PREFIX}-alb"}),
    )["LoadBalancers"][0]
    https = elbv2.create_listener(
        LoadBalancerArn=alb["LoadBalancerArn"],
        Protocol="HTTPS",
        Port=443,
        SslPolicy=TLS_POLICY,
        Certificates=[{"CertificateArn": certificate}],
        DefaultActions=[{"Type": "forward", "TargetGroupArn": target_group}],
    )["Listeners"][0]["ListenerArn"]
    http = elbv2.create_listener(
        LoadBalancerArn=alb["LoadBalancerArn"],
        Protocol="HTTP",
        Port=80,
        DefaultActions=[redirect()],
    )["Listeners"][0]["ListenerArn"]
    logs = log_bucket_name(region)
    s3.create_bucket(Bucket=logs, CreateBucketConfiguration={"LocationConstraint": region})
    s3.put_bucket_versioning(Bucket=logs, VersioningConfiguration={"Status": "Enabled"})
    s3.put_bucket_encryption(
        Bucket=logs,
        ServerSideEncryptionConfiguration={
            "Rules": [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}]
        },
    )
    s3.put_public_access_block(
        Bucket=logs,
        PublicAccessBlockConfiguration=dict.fromkeys(
            ("BlockPublicAcls", "IgnorePublicAcls", "BlockPublicPolicy", "RestrictPublicBuckets"), True
        ),
    )
    s3.put_bucket_policy(Bucket=logs, Policy=log_bucket_policy(region))
    s3.put_bucket_lifecycle_configuration(Bucket=logs, LifecycleConfiguration=log_bucket_lifecycle())
    elbv2.modify_load_balancer_attributes(
        LoadBalancerArn=alb["LoadBalancerArn"],
        Attributes=[
            {"Key": "access_logs.s3.enabled", "Value": "true"},
            {"Key": "access_logs.s3.bucket", "Value": logs},
            {"Key": "access_logs.s3.prefix", "Value": "alb"},
        ],
    )

    role = iam.create_role(RoleName=f"{PREFIX}-monitor-{region}", AssumeRolePolicyDocument=trust)["Role"]
    iam.put_role_policy(RoleName=role["RoleName"], PolicyName="health-monitor", PolicyDocument=monitor_policy(region))
    package = io.BytesIO()
    with zipfile.ZipFile(package, "w") as archive:
        archive.writestr("health_check.py", "def handler(event, context):\n    return {}\n")
    function = client("lambda", region).create_function(
        FunctionName=f"{PREFIX}-health-monitor",
        Runtime="python3.12",
        Role=role["Arn"],
        Handler="health_check.handler",
        Code={"ZipFile": package.getvalue()},
        KMSKeyArn=key,
        Environment={"Variables": {"FINPROC_NAMESPACE": NAMESPACE}},
        Tags=dict(STACK_TAGS, Name=f"{PREFIX}-health-monitor"),
    )["FunctionArn"]
    events = client("events", region)
    events.put_rule(
        Name=f"{PREFIX}-health-monitor",
        ScheduleExpression="rate(2 minutes)",
        State="ENABLED",
        Tags=tag_list({"Name": f"{PREFIX}-health-monitor"}),
    )
    events.put_targets(Rule=f"{PREFIX}-health-monitor", Targets=[{"Id": "health-monitor", "Arn": function}])

    topic = client("sns", region).create_topic(
        Name=f"{PREFIX}-monitoring",
        Attributes={"KmsMasterKeyId": key},
        Tags=tag_list({"Name": f"{PREFIX}-monitoring"}),
    )["TopicArn"]
    for name in monitoring_alarm_names(region):
        put_alarm(region, name, topic, threshold=60.0 if "-replication-lag-" in name else 1.0)

    stack[region] = SimpleNamespace(
        key=key,
        vpc=vpc,
        groups=groups,
        alb=alb,
        target_group=target_group,
        https=https,
        http=http,
        role=role["RoleName"],
        function=function,
        topic=topic,
    )


def redirect(status="HTTP_301"):
    return {
        "Type": "redirect",
        "RedirectConfig": {
            "Protocol": "HTTPS",
            "Port": "443",
            "Host": "#{host}",
            "Path": "/#{path}",
            "Query": "#{query}",
            "StatusCode": status,
        },
    }


def create_health_check(region, alb_dns_name, interval=30):
    route53 = client("route53")
    check = route53.create_health_check(
        CallerReference=f"{region}-{interval}",
        HealthCheckConfig={
            "Type": "HTTPS",
            "FullyQualifiedDomainName": alb_dns_name,
            "Port": 443,
            "ResourcePath": "/health",
            "RequestInterval": interval,
            "FailureThreshold": 3,
            "MeasureLatency": True,
        },
    )["HealthCheck"]["Id"]
    route53.change_tags_for_resource(
        ResourceType="healthcheck", ResourceId=check, AddTags=tag_list({"Name": f"{PREFIX}-{region}"})
    )
    return check


def record(region, stack, **changes):
    alb = stack[region].alb
    record = {
        "Name": SERVICE,
        "Type": "A",
        "SetIdentifier": region,
        "Failover": RECORDS[region],
        "HealthCheckId": stack[region].health_check,
        "AliasTarget": {
            "HostedZoneId": alb["CanonicalHostedZoneId"],
            "DNSName": alb["DNSName"].lower() + ".",
            "EvaluateTargetHealth": True,
        },
    }
    record.update(changes)
    return record


def upsert_record(stack, region, **changes):
    client("route53").change_resource_record_sets(
        HostedZoneId=stack.zone,
        ChangeBatch={"Changes": [{"Action": "UPSERT", "ResourceRecordSet": record(region, stack, **changes)}]},
    )


class Stack(dict):
    """Region -> SimpleNamespace of what was built there; attributes for the global resources."""


def build_stack():
    stack = Stack()
    keys = {region: make_key(region) for region in (*REGIONS, METRICS)}
    stack.keys = keys
    for region in REGIONS:
        build_region(region, keys, stack)
    put_replication(PRIMARY, [SECONDARY], keys)
    put_replication(SECONDARY, [PRIMARY], keys)
    route53 = client("route53")
    stack.zone = route53.create_hosted_zone(Name=ZONE, CallerReference="zone")["HostedZone"]["Id"].split("/")[-1]
    for region in REGIONS:
        stack[region].health_check = create_health_check(region, stack[region].alb["DNSName"])
        upsert_record(stack, region)
    dns_topic = client("sns", METRICS).create_topic(
        Name=f"{PREFIX}-dns-health",
        Attributes={"KmsMasterKeyId": keys[METRICS]},
        Tags=tag_list({"Name": f"{PREFIX}-dns-health"}),
    )["TopicArn"]
    stack.dns_topic = dns_topic
    for region in REGIONS:
        put_alarm(METRICS, f"{PREFIX}-{region}-endpoint-unhealthy", dns_topic)
    return stack


def _faithful_replication(self):
    """GetBucketReplication replying the configuration as it was put (moto drops SourceSelectionCriteria)."""
    self.data["Action"] = "GetBucketReplication"
    replication = self.backend.get_bucket_replication(self.bucket_name)
    if not replication:
        raise ReplicationConfigurationNotFoundError(bucket_name=self.bucket_name)
    config = {"Role": replication["Role"], "Rules": replication["Rule"]}
    return self.serialized(ActionResult({"ReplicationConfiguration": config}))


def _self_signed_certificate():
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, SERVICE)])
    now = datetime.datetime.now(datetime.timezone.utc)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(hours=1))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(SERVICE)]), critical=False)
        .sign(key, hashes.SHA256())
    )
    return (
        certificate.public_bytes(serialization.Encoding.PEM),
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()),
    )


CERTIFICATE = _self_signed_certificate()


class _Paths(list):
    """Search paths that stay unique (every boto3 session appends its own data path again)."""

    def append(self, path):
        if path not in self:
            super().append(path)


_LOADERS = {}
_create_loader = botocore.session.create_loader


def _shared_loader(search_path_string=None):
    """Every client the module makes comes from a new boto3 session, which would parse botocore's
    endpoint and service data again (a quarter of a second a client): here they share one loader."""
    if search_path_string not in _LOADERS:
        loader = _create_loader(search_path_string)
        loader._search_paths = _Paths(loader.search_paths)
        _LOADERS[search_path_string] = loader
    return _LOADERS[search_path_string]


def _aws_environment(monkeypatch):
    """Dummy credentials and nothing else of the environment (no endpoint of an emulator)."""
    for name in list(os.environ):
        if name.startswith("AWS_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_CONFIG_FILE", "/dev/null")
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", "/dev/null")
    monkeypatch.setenv("MOTO_EC2_LOAD_DEFAULT_AMIS", "false")
    monkeypatch.setattr(botocore.session, "create_loader", _shared_loader)
    monkeypatch.setattr(S3Response, "get_bucket_replication", _faithful_replication)
    monkeypatch.setattr("time.sleep", lambda seconds: None)


@pytest.fixture
def stack(monkeypatch):
    """A compliant stack of its own, for a test that breaks something."""
    _aws_environment(monkeypatch)
    with mock_aws():
        yield build_stack()


@pytest.fixture(scope="class")
def intact_stack():
    """A compliant stack shared by the tests of a class that changes nothing."""
    with pytest.MonkeyPatch.context() as monkeypatch:
        _aws_environment(monkeypatch)
        with mock_aws():
            yield build_stack()


# --------------------------------------------------------------------------------------------
# Running the module: every call recorded, replies mended or errors injected per operation
# --------------------------------------------------------------------------------------------


def module_args(region, **overrides):
    args = dict(
        name_prefix=PREFIX,
        dr_role=ROLES[region],
        peers=[{"region": r, "dr_role": ROLES[r]} for r in REGIONS],
        failover_record=RECORDS[region],
        required_tags=TAGS,
        vpc_cidr=CIDRS[region],
        app_port=APP_PORT,
        tls_policy=TLS_POLICY,
        zone_name=ZONE,
        service_name=SERVICE,
        health_check_path="/health",
        health_check_interval_seconds=30,
        health_check_failure_threshold=3,
        dns_record_ttl_seconds=60,
        dns_resolver_allowance_seconds=60,
        rto_target_seconds=300,
        rpo_target_seconds=60,
        log_retention_days=30,
        monitoring_namespace=NAMESPACE,
        application_log_group=APP_LOG,
        metrics_region=METRICS,
        # The access paths read the stack's policies: the tests at the end install the rendered ones.
        access_paths=False,
    )
    args.update(overrides)
    return args


def replicas(stack, status="ACTIVE", key=None):
    """The primary's DescribeTable as a global table's home reports it (moto has no replicas)."""

    def mend(region, parsed):
        if region == PRIMARY:
            parsed["Table"]["Replicas"] = [
                {
                    "RegionName": SECONDARY,
                    "ReplicaStatus": status,
                    "KMSMasterKeyId": key or stack[SECONDARY].key,
                }
            ]

    return {"DescribeTable": mend}


class FakeHttp:
    status_code = 403
    headers = {}


# What the module's clients do in the current run: calls recorded, replies mended, errors injected.
_RUN = {"calls": [], "replies": {}, "errors": {}}
# The module's clients, made by amazon.aws's boto3_conn once and reused by every run (a client
# takes longer to make than a run of the module takes in moto).
_MODULE_CLIENTS = {}
_boto3_conn = aws_modules.boto3_conn


def _before(model, context, **kw):
    service, region = context["finproc"]
    _RUN["calls"].append((service, region, model.name))
    error = _RUN["errors"].get(model.name)
    if isinstance(error, Exception):
        raise error
    if error:
        return FakeHttp(), {"Error": {"Code": error, "Message": f"injected {error}"}}
    return None


def _after(model, parsed, context, **kw):
    if model.name in _RUN["replies"] and "Error" not in parsed:
        _RUN["replies"][model.name](context["finproc"][1], parsed)


def _connect(module, conn_type=None, resource=None, region=None, endpoint=None, **params):
    key = (conn_type, resource, region, endpoint)
    if key not in _MODULE_CLIENTS:
        aws = _boto3_conn(module, conn_type=conn_type, resource=resource, region=region, endpoint=endpoint, **params)
        where = (resource, aws.meta.region_name)
        aws.meta.events.register("before-parameter-build", lambda context, **kw: context.update(finproc=where))
        aws.meta.events.register("before-call", _before)
        aws.meta.events.register("after-call", _after)
        _MODULE_CLIENTS[key] = aws
    return _MODULE_CLIENTS[key]


def run(stack, monkeypatch, capsys, region, replies=None, errors=None, check_mode=False, **overrides):
    """Run the module for `region`; returns (result, exit code, calls [(service, region, operation)])."""
    calls = []
    _RUN.update(calls=calls, replies=replicas(stack) if replies is None else replies, errors=errors or {})
    monkeypatch.setattr(aws_modules, "boto3_conn", _connect)
    args = dict(module_args(region, **overrides), region=region, _ansible_check_mode=check_mode)
    with patch_module_args(args), pytest.raises(SystemExit) as exit_info:
        dr_controls_info.main()
    return json.loads(capsys.readouterr().out), exit_info.value.code, calls


def by_id(result, control_id):
    return [entry for entry in result["controls"] if entry["id"] == control_id]


def assert_read_only(calls):
    writes = sorted({op for _s, _r, op in calls if not op.startswith(READ_PREFIXES)})
    assert not writes, f"the module wrote: {writes}"


# --------------------------------------------------------------------------------------------
# The compliant stack: every control passes; replies and AWS errors on top of it
# --------------------------------------------------------------------------------------------


class TestTheIntactStack:
    """The module never writes (every run checks it): these runs share one stack."""

    @pytest.fixture
    def stack(self, intact_stack):
        return intact_stack

    @pytest.mark.parametrize("region", REGIONS)
    def test_every_control_passes_on_the_compliant_stack(self, stack, monkeypatch, capsys, region):
        result, code, calls = run(stack, monkeypatch, capsys, region)
        assert code == 0, result
        failures = [e for e in result["controls"] if not e["passed"]]
        assert not failures, json.dumps(failures, indent=1)
        assert result["passed"] is True and result["failed_controls"] == [] and result["changed"] is False
        expected = [c for c in dr_controls_info.CONTROL_IDS if region == PRIMARY or c != "table-replica-active"]
        assert list(dict.fromkeys(e["id"] for e in result["controls"])) == expected
        assert all(e["region"] == region and e["title"] and e["detail"] and e["resource"] for e in result["controls"])
        assert len(by_id(result, "security-groups")) == 2
        assert len(by_id(result, "log-groups")) == 3
        assert len(by_id(result, "tags")) == 14
        assert len(by_id(result, "alarm-actions")) == (2 if region == PRIMARY else 1)
        assert len(by_id(result, "bucket-replication-rtc")) == 1
        (rto,) = by_id(result, "rto-budget")
        assert rto["detail"] == (
            "health checks 30 s \u00d7 3 failures = 90 s + record TTL 60 s + resolver allowance 60 s = 210 s, "
            "within the RTO target 300 s"
        )
        (sse,) = by_id(result, "table-sse-kms")
        assert sse["detail"] == f"encrypted with {stack[region].key} (read from DescribeTable in {region})"
        subnets = [e for e in by_id(result, "tags") if e["resource"] == "subnets (4)"]
        assert subnets[0]["detail"] == (
            "all 4 subnets carry App=finproc, CostCenter=CC-0000, Environment=dev, ManagedBy=ansible-finproc.dr, "
            "finproc:stack=finproc-dev"
        )
        assert_read_only(calls)
        # Each resource is read once: the number of calls stays near the number of resources.
        assert len(calls) < 90, len(calls)
        assert len({c for c in calls if c[2] == "DescribeTable" and c[1] == region}) == 1

    def test_check_mode_reads_the_same_and_changes_nothing(self, stack, monkeypatch, capsys):
        result, code, calls = run(stack, monkeypatch, capsys, SECONDARY, check_mode=True)
        assert code == 0 and result["passed"] is True and result["changed"] is False
        assert_read_only(calls)

    def test_a_replica_without_sse_description_is_read_from_the_primary_table(self, stack, monkeypatch, capsys):
        """LocalStack reports a replica's key only in the primary's Replicas[].KMSMasterKeyId."""
        replies = replicas(stack)
        primary_reply = replies["DescribeTable"]

        def mend(region, parsed):
            primary_reply(region, parsed)
            if region == SECONDARY:
                parsed["Table"].pop("SSEDescription", None)

        result, _code, _calls = run(stack, monkeypatch, capsys, SECONDARY, replies={"DescribeTable": mend})
        (sse,) = by_id(result, "table-sse-kms")
        assert sse["passed"], sse
        assert f"Replicas[].KMSMasterKeyId of the table in {PRIMARY}" in sse["detail"]

        replies = replicas(stack, key=stack[PRIMARY].key)
        wrong_key = replies["DescribeTable"]

        def mend_wrong(region, parsed):
            wrong_key(region, parsed)
            if region == SECONDARY:
                parsed["Table"].pop("SSEDescription", None)

        result, _code, _calls = run(stack, monkeypatch, capsys, SECONDARY, replies={"DescribeTable": mend_wrong})
        assert result["failed_controls"] == ["table-sse-kms"]
        (sse,) = by_id(result, "table-sse-kms")
        assert f"encrypted with {stack[PRIMARY].key}, wanted {stack[SECONDARY].key}" in sse["detail"]

    def test_a_replica_key_is_read_from_its_own_description_first_and_compared_by_key_id(
        self, stack, monkeypatch, capsys
    ):
        """SSEDescription.KMSMasterKeyArn of the region's own DescribeTable decides; the primary's
        Replicas[].KMSMasterKeyId (format undocumented: a key ARN or a bare key ID, API reference
        "ReplicaDescription - Amazon DynamoDB") only where that names no key, compared by key ID."""
        # The primary's field names another key: the replica's own description wins.
        result, _code, _calls = run(
            stack, monkeypatch, capsys, SECONDARY, replies=replicas(stack, key=stack[PRIMARY].key)
        )
        (sse,) = by_id(result, "table-sse-kms")
        assert sse["passed"], sse
        assert sse["detail"].endswith(f"(read from DescribeTable in {SECONDARY})")

        # An SSEDescription without its key ARN: the primary's field, here the bare key ID.
        primary_reply = replicas(stack, key=stack[SECONDARY].key.rsplit("/", 1)[1])["DescribeTable"]

        def mend(region, parsed):
            primary_reply(region, parsed)
            if region == SECONDARY:
                parsed["Table"]["SSEDescription"].pop("KMSMasterKeyArn")

        result, _code, _calls = run(stack, monkeypatch, capsys, SECONDARY, replies={"DescribeTable": mend})
        (sse,) = by_id(result, "table-sse-kms")
        assert sse["passed"], sse
        assert "has no SSEDescription.KMSMasterKeyArn" in sse["detail"]

    def test_only_the_controls_asked_for_are_evaluated(self, stack, monkeypatch, capsys):
        result, code, calls = run(stack, monkeypatch, capsys, PRIMARY, controls=["bucket-versioning", "rto-budget"])
        assert code == 0 and result["passed"] is True
        assert [e["id"] for e in result["controls"]] == ["bucket-versioning", "rto-budget"]
        assert {service for service, _r, _op in calls} == {"sts", "s3", "route53"}

    def test_inconsistent_peers_fail_before_any_call(self, stack, monkeypatch, capsys):
        result, code, calls = run(
            stack, monkeypatch, capsys, PRIMARY, peers=[{"region": SECONDARY, "dr_role": "primary"}]
        )
        assert code == 1
        assert "peers must include this region us-east-2" in result["msg"]
        assert calls == []

    def test_a_replica_not_yet_active(self, stack, monkeypatch, capsys):
        result, _code, _calls = run(stack, monkeypatch, capsys, PRIMARY, replies=replicas(stack, status="CREATING"))
        assert result["failed_controls"] == ["table-replica-active"]
        (entry,) = by_id(result, "table-replica-active")
        assert entry["detail"] == f"replica in {SECONDARY} is CREATING"

    def test_a_table_without_replicas(self, stack, monkeypatch, capsys):
        result, _code, _calls = run(stack, monkeypatch, capsys, PRIMARY, replies={})
        assert result["failed_controls"] == ["table-replica-active"]
        assert by_id(result, "table-replica-active")[0]["detail"] == f"no replica in {SECONDARY}"

    def test_an_aws_error_fails_only_the_control_that_met_it(self, stack, monkeypatch, capsys):
        result, code, _calls = run(stack, monkeypatch, capsys, PRIMARY, errors={"GetBucketPolicy": "AccessDenied"})
        assert code == 0
        # Both controls that read a bucket policy met the error (the data bucket's, the log bucket's).
        assert result["failed_controls"] == ["bucket-tls-only", "alb-access-logs"]
        (entry,) = by_id(result, "bucket-tls-only")
        assert entry["resource"] == bucket_name(PRIMARY)
        assert entry["detail"] == "AWS error: GetBucketPolicy failed: injected AccessDenied (AccessDenied)"
        (entry,) = by_id(result, "alb-access-logs")
        assert entry["resource"] == f"{PREFIX}-alb"
        assert entry["detail"] == "AWS error: GetBucketPolicy failed: injected AccessDenied (AccessDenied)"

    def test_an_aws_error_on_one_resource_fails_only_its_entry(self, stack, monkeypatch, capsys):
        result, _code, _calls = run(
            stack, monkeypatch, capsys, SECONDARY, errors={"ListTagsForResource": "AccessDeniedException"}
        )
        failed = [e for e in result["controls"] if not e["passed"]]
        # CloudWatch, SNS, EventBridge and Logs all call it ListTagsForResource.
        assert {e["resource"].split(" (")[0] for e in failed} >= {"log groups", "monitoring alarms"}
        assert result["failed_controls"] == ["tags"]
        assert all("AccessDeniedException" in e["detail"] for e in failed)
        assert [e["passed"] for e in by_id(result, "tags") if e["resource"].startswith("subnets")] == [True]

    @pytest.mark.parametrize(
        "error",
        [
            botocore.exceptions.EndpointConnectionError(endpoint_url="https://dynamodb.us-east-2.amazonaws.com"),
            "UnrecognizedClientException",
        ],
        ids=["endpoint unreachable", "credentials refused"],
    )
    def test_credential_and_endpoint_errors_fail_the_module(self, stack, monkeypatch, capsys, error):
        result, code, _calls = run(stack, monkeypatch, capsys, PRIMARY, errors={"DescribeTable": error})
        assert code == 1
        assert "the credentials or the endpoint failed" in result["msg"]

    def test_without_the_caller_identity_the_module_fails(self, stack, monkeypatch, capsys):
        result, code, calls = run(stack, monkeypatch, capsys, PRIMARY, errors={"GetCallerIdentity": "AccessDenied"})
        assert code == 1
        assert "GetCallerIdentity failed" in result["msg"]
        assert [op for _s, _r, op in calls] == ["GetCallerIdentity"]


# --------------------------------------------------------------------------------------------
# One thing broken at a time
# --------------------------------------------------------------------------------------------


def _recreate_health_check_every_10_seconds(stack):
    route53 = client("route53")
    route53.delete_health_check(HealthCheckId=stack[PRIMARY].health_check)
    stack[PRIMARY].health_check = create_health_check(PRIMARY, stack[PRIMARY].alb["DNSName"], interval=10)
    upsert_record(stack, PRIMARY)


def _flow_log_of_rejected_traffic_only(stack):
    ec2 = client("ec2", PRIMARY)
    ids = [f["FlowLogId"] for f in ec2.describe_flow_logs()["FlowLogs"] if f["ResourceId"] == stack[PRIMARY].vpc]
    ec2.delete_flow_logs(FlowLogIds=ids)
    ec2.create_flow_logs(
        ResourceIds=[stack[PRIMARY].vpc],
        ResourceType="VPC",
        TrafficType="REJECT",
        LogGroupName=FLOW_LOG,
        DeliverLogsPermissionArn=f"arn:aws:iam::{ACCOUNT}:role/{PREFIX}-flow-logs-{PRIMARY}",
    )


def _flow_log_group_without_key(stack):
    """(moto has no DisassociateKmsKey: the group is made again without the key.)"""
    logs = client("logs", SECONDARY)
    logs.delete_log_group(logGroupName=FLOW_LOG)
    logs.create_log_group(logGroupName=FLOW_LOG, tags=dict(STACK_TAGS, Name=FLOW_LOG))
    logs.put_retention_policy(logGroupName=FLOW_LOG, retentionInDays=30)


def _attach_a_managed_policy(stack):
    iam = client("iam")
    arn = iam.create_policy(PolicyName="broad", PolicyDocument=monitor_policy(SECONDARY))["Policy"]["Arn"]
    iam.attach_role_policy(RoleName=stack[SECONDARY].role, PolicyArn=arn)


def _forwarding_rule_on_http(stack):
    client("elbv2", PRIMARY).create_rule(
        ListenerArn=stack[PRIMARY].http,
        Priority=10,
        Conditions=[{"Field": "path-pattern", "Values": ["/legacy/*"]}],
        Actions=[{"Type": "forward", "TargetGroupArn": stack[PRIMARY].target_group}],
    )


BREAKS = [
    # (name, region, break(stack) or None, module args, failed ids, text in the failed detail)
    (
        "key rotation off",
        PRIMARY,
        lambda s: client("kms", PRIMARY).disable_key_rotation(KeyId=s[PRIMARY].key),
        {},
        {"kms-key-rotation"},
        "automatic rotation is off",
    ),
    (
        "key policy allows everyone",
        SECONDARY,
        lambda s: client("kms", SECONDARY).put_key_policy(
            KeyId=s[SECONDARY].key,
            PolicyName="default",
            Policy=json.dumps(
                dict(
                    key_policy(SECONDARY),
                    Statement=key_policy(SECONDARY)["Statement"]
                    + [{"Sid": "Open", "Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "kms:Decrypt"}],
                )
            ),
        ),
        {},
        {"kms-key-policy"},
        "statement Open allows Principal *",
    ),
    (
        "point-in-time recovery off",
        PRIMARY,
        lambda s: client("dynamodb", PRIMARY).update_continuous_backups(
            TableName=f"{PREFIX}-transactions",
            PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": False},
        ),
        {},
        {"table-pitr"},
        "point-in-time recovery DISABLED, wanted ENABLED",
    ),
    (
        "deletion protection off",
        SECONDARY,
        lambda s: client("dynamodb", SECONDARY).update_table(
            TableName=f"{PREFIX}-transactions", DeletionProtectionEnabled=False
        ),
        {},
        {"table-deletion-protection"},
        "deletion protection off",
    ),
    (
        "stream off",
        PRIMARY,
        lambda s: client("dynamodb", PRIMARY).update_table(
            TableName=f"{PREFIX}-transactions", StreamSpecification={"StreamEnabled": False}
        ),
        {},
        {"table-streams"},
        "no stream, wanted NEW_AND_OLD_IMAGES",
    ),
    (
        "bucket versioning suspended",
        SECONDARY,
        lambda s: client("s3", SECONDARY).put_bucket_versioning(
            Bucket=bucket_name(SECONDARY), VersioningConfiguration={"Status": "Suspended"}
        ),
        {},
        {"bucket-versioning"},
        "versioning Suspended, wanted Enabled",
    ),
    (
        "bucket encrypted with S3 keys",
        PRIMARY,
        lambda s: client("s3", PRIMARY).put_bucket_encryption(
            Bucket=bucket_name(PRIMARY),
            ServerSideEncryptionConfiguration={
                "Rules": [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}]
            },
        ),
        {},
        {"bucket-sse-kms"},
        "default encryption AES256, wanted aws:kms",
    ),
    (
        "a public access block flag off",
        PRIMARY,
        lambda s: client("s3", PRIMARY).put_public_access_block(
            Bucket=bucket_name(PRIMARY),
            PublicAccessBlockConfiguration={
                "BlockPublicAcls": True,
                "IgnorePublicAcls": True,
                "BlockPublicPolicy": True,
                "RestrictPublicBuckets": False,
            },
        ),
        {},
        {"bucket-public-access-blocked"},
        "RestrictPublicBuckets off",
    ),
    (
        "bucket policy without the TLS deny",
        SECONDARY,
        lambda s: client("s3", SECONDARY).put_bucket_policy(
            Bucket=bucket_name(SECONDARY), Policy=bucket_policy(SECONDARY, tls=False)
        ),
        {},
        {"bucket-tls-only"},
        "no statement denying s3:* to Principal * when aws:SecureTransport is false",
    ),
    (
        "TLS deny on the objects only",
        PRIMARY,
        lambda s: client("s3", PRIMARY).put_bucket_policy(
            Bucket=bucket_name(PRIMARY),
            Policy=bucket_policy(PRIMARY, tls_resources=[f"arn:aws:s3:::{bucket_name(PRIMARY)}/*"]),
        ),
        {},
        {"bucket-tls-only"},
        f"does not cover arn:aws:s3:::{bucket_name(PRIMARY)}",
    ),
    (
        "replication without RTC",
        PRIMARY,
        lambda s: put_replication(
            PRIMARY, [SECONDARY], s.keys, Destination__ReplicationTime={"Status": "Disabled", "Time": {"Minutes": 15}}
        ),
        {},
        {"bucket-replication-rtc"},
        "Replication Time Control Disabled 15 minutes, wanted Enabled 15 minutes",
    ),
    (
        "replicas encrypted with the source region's key",
        SECONDARY,
        lambda s: put_replication(
            SECONDARY,
            [PRIMARY],
            s.keys,
            Destination__EncryptionConfiguration={"ReplicaKmsKeyID": s[SECONDARY].key},
        ),
        {},
        {"bucket-replication-rtc"},
        "replica key arn:aws:kms:us-west-2",
    ),
    (
        "SSE-KMS objects not replicated",
        PRIMARY,
        lambda s: put_replication(
            PRIMARY, [SECONDARY], s.keys, SourceSelectionCriteria={"ReplicaModifications": {"Status": "Enabled"}}
        ),
        {},
        {"bucket-replication-rtc"},
        "SSE-KMS encrypted objects not replicated",
    ),
    (
        "VPC of another CIDR",
        SECONDARY,
        None,
        {"vpc_cidr": "10.9.0.0/16"},
        {"vpc-cidr"},
        "CIDR 10.1.0.0/16, wanted 10.9.0.0/16",
    ),
    (
        "SSH open on the ALB group",
        PRIMARY,
        lambda s: client("ec2", PRIMARY).authorize_security_group_ingress(
            GroupId=s[PRIMARY].groups["alb"],
            IpPermissions=[{"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}],
        ),
        {},
        {"security-groups"},
        "unexpected ingress: tcp 22 from 0.0.0.0/0",
    ),
    (
        "HTTPS over IPv6 on the ALB group",
        SECONDARY,
        lambda s: client("ec2", SECONDARY).authorize_security_group_ingress(
            GroupId=s[SECONDARY].groups["alb"],
            IpPermissions=[{"IpProtocol": "tcp", "FromPort": 443, "ToPort": 443, "Ipv6Ranges": [{"CidrIpv6": "::/0"}]}],
        ),
        {},
        {"security-groups"},
        "unexpected ingress: tcp 443 from ::/0",
    ),
    (
        "the app port open to everyone",
        SECONDARY,
        lambda s: client("ec2", SECONDARY).authorize_security_group_ingress(
            GroupId=s[SECONDARY].groups["app"],
            IpPermissions=[
                {"IpProtocol": "tcp", "FromPort": APP_PORT, "ToPort": APP_PORT, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}
            ],
        ),
        {},
        {"security-groups"},
        "unexpected ingress: tcp 8080 from 0.0.0.0/0",
    ),
    (
        "flow log of rejected traffic only",
        PRIMARY,
        _flow_log_of_rejected_traffic_only,
        {},
        {"flow-logs"},
        "traffic REJECT",
    ),
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
    (
        "an alarm without OK action",
        SECONDARY,
        lambda s: put_alarm(SECONDARY, f"{PREFIX}-{SECONDARY}-monitor-self", s[SECONDARY].topic, ok_actions=False),
        {},
        {"alarm-actions"},
        f"{PREFIX}-{SECONDARY}-monitor-self: OKActions empty",
    ),
    (
        "a replication-lag alarm missing",
        SECONDARY,
        lambda s: client("cloudwatch", SECONDARY).delete_alarms(
            AlarmNames=[f"{PREFIX}-{SECONDARY}-monitor-replication-lag-{PRIMARY}"]
        ),
        {},
        {"alarm-actions"},
        f"missing alarms: {PREFIX}-{SECONDARY}-monitor-replication-lag-{PRIMARY}",
    ),
    (
        "the heartbeat-write alarm missing",
        SECONDARY,
        lambda s: client("cloudwatch", SECONDARY).delete_alarms(
            AlarmNames=[f"{PREFIX}-{SECONDARY}-monitor-heartbeat-write"]
        ),
        {},
        {"alarm-actions"},
        f"missing alarms: {PREFIX}-{SECONDARY}-monitor-heartbeat-write",
    ),
    (
        "a replication-lag alarm that stays silent without data",
        SECONDARY,
        lambda s: put_alarm(
            SECONDARY,
            f"{PREFIX}-{SECONDARY}-monitor-replication-lag-{PRIMARY}",
            s[SECONDARY].topic,
            threshold=60.0,
            missing="missing",
        ),
        {},
        {"alarm-actions"},
        f"{PREFIX}-{SECONDARY}-monitor-replication-lag-{PRIMARY}: TreatMissingData missing, wanted breaching",
    ),
    (
        "a health-check alarm missing in the metrics region",
        PRIMARY,
        lambda s: client("cloudwatch", METRICS).delete_alarms(AlarmNames=[f"{PREFIX}-{SECONDARY}-endpoint-unhealthy"]),
        {},
        {"alarm-actions"},
        f"missing alarms in {METRICS}: {PREFIX}-{SECONDARY}-endpoint-unhealthy",
    ),
    (
        "the monitoring topic unencrypted",
        PRIMARY,
        lambda s: client("sns", PRIMARY).set_topic_attributes(
            TopicArn=s[PRIMARY].topic, AttributeName="KmsMasterKeyId", AttributeValue=""
        ),
        {},
        {"alarm-actions"},
        "topic encrypted with nothing",
    ),
    (
        "log retention 7 days",
        PRIMARY,
        lambda s: client("logs", PRIMARY).put_retention_policy(logGroupName=APP_LOG, retentionInDays=7),
        {},
        {"log-groups"},
        "retention 7 days, wanted 30 days",
    ),
    (
        "flow-log group without its key",
        SECONDARY,
        _flow_log_group_without_key,
        {},
        {"log-groups"},
        "encrypted with the service key",
    ),
    (
        "target group without CostCenter",
        PRIMARY,
        lambda s: client("elbv2", PRIMARY).remove_tags(ResourceArns=[s[PRIMARY].target_group], TagKeys=["CostCenter"]),
        {},
        {"tags"},
        "target group missing required tags",
    ),
    (
        "an alarm of another environment",
        SECONDARY,
        lambda s: client("cloudwatch", SECONDARY).tag_resource(
            ResourceARN=f"arn:aws:cloudwatch:{SECONDARY}:{ACCOUNT}:alarm:{PREFIX}-{SECONDARY}-monitor-lambda-errors",
            Tags=[{"Key": "Environment", "Value": "prod"}],
        ),
        {},
        {"tags"},
        f"{PREFIX}-{SECONDARY}-monitor-lambda-errors: Environment='prod', wanted 'dev'",
    ),
    (
        "a '*' resource in the monitor policy",
        PRIMARY,
        lambda s: client("iam").put_role_policy(
            RoleName=s[PRIMARY].role,
            PolicyName="health-monitor",
            PolicyDocument=monitor_policy(
                PRIMARY, [{"Sid": "Everything", "Effect": "Allow", "Action": "logs:PutLogEvents", "Resource": "*"}]
            ),
        ),
        {},
        {"monitor-role-least-privilege"},
        "health-monitor/Everything: resource * for logs:PutLogEvents",
    ),
    (
        "a wildcard action in the monitor policy",
        SECONDARY,
        lambda s: client("iam").put_role_policy(
            RoleName=s[SECONDARY].role,
            PolicyName="extra",
            PolicyDocument=json.dumps(
                {
                    "Version": "2012-10-17",
                    "Statement": [
                        {
                            "Effect": "Allow",
                            "Action": "dynamodb:*",
                            "Resource": f"arn:aws:dynamodb:{SECONDARY}:{ACCOUNT}:table/x",
                        }
                    ],
                }
            ),
        ),
        {},
        {"monitor-role-least-privilege"},
        "extra/#1: wildcard action dynamodb:*",
    ),
    (
        "a managed policy on the monitor role",
        SECONDARY,
        _attach_a_managed_policy,
        {},
        {"monitor-role-least-privilege"},
        f"managed policies attached: arn:aws:iam::{ACCOUNT}:policy/broad",
    ),
    (
        "the schedule disabled",
        SECONDARY,
        lambda s: client("events", SECONDARY).disable_rule(Name=f"{PREFIX}-health-monitor"),
        {},
        {"monitor-function"},
        f"rule {PREFIX}-health-monitor DISABLED, wanted ENABLED",
    ),
    (
        "the monitor function gone (its role is then found by name)",
        PRIMARY,
        lambda s: client("lambda", PRIMARY).delete_function(FunctionName=f"{PREFIX}-health-monitor"),
        {},
        {"monitor-function", "tags"},
        f"function {PREFIX}-health-monitor not found in {PRIMARY}",
    ),
    (
        "the monitor on another runtime",
        PRIMARY,
        lambda s: client("lambda", PRIMARY).update_function_configuration(
            FunctionName=f"{PREFIX}-health-monitor", Runtime="python3.11"
        ),
        {},
        {"monitor-function"},
        "runtime python3.11, wanted python3.12",
    ),
]


@pytest.mark.parametrize(
    ("region", "breaker", "args", "failed", "text"),
    [case[1:] for case in BREAKS],
    ids=[case[0] for case in BREAKS],
)
def test_one_thing_broken_fails_exactly_its_control(stack, monkeypatch, capsys, region, breaker, args, failed, text):
    if breaker:
        breaker(stack)
    result, code, calls = run(stack, monkeypatch, capsys, region, **args)
    assert code == 0, result
    assert set(result["failed_controls"]) == failed, json.dumps(
        [e for e in result["controls"] if not e["passed"]], indent=1
    )
    assert result["passed"] is False
    details = [e["detail"] for e in result["controls"] if not e["passed"]]
    assert any(text in d for d in details), details
    assert_read_only(calls)


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


@pytest.mark.parametrize(
    ("resources", "covered"),
    [
        (["arn:aws:s3:::b", "arn:aws:s3:::b/*"], True),
        (["arn:aws:s3:::b*"], True),
        (["arn:aws:s3:::b/*"], False),
        (["arn:aws:s3:::b"], False),
        (["arn:aws:s3:::b/logs/*", "arn:aws:s3:::b"], False),
    ],
)
def test_which_resources_a_tls_deny_must_cover(resources, covered):
    arn = "arn:aws:s3:::b"
    found = dr_controls_info.covers(resources, arn) and dr_controls_info.covers(resources, arn + "/any-object")
    assert found is covered


def test_a_key_is_named_by_its_arn_id_alias_or_alias_arn():
    key = {"Arn": "arn:aws:kms:us-east-2:123456789012:key/k-1", "KeyId": "k-1"}
    for reference in (key["Arn"], "k-1", "alias/finproc-dev", "arn:aws:kms:us-east-2:123456789012:alias/finproc-dev"):
        assert dr_controls_info.key_matches(reference, key, "alias/finproc-dev"), reference
    for reference in (None, "", "k-2", "alias/other", "arn:aws:kms:us-west-2:123456789012:key/k-1"):
        assert not dr_controls_info.key_matches(reference, key, "alias/finproc-dev"), reference


# --------------------------------------------------------------------------------------------
# Access paths: every permission path of the region, on the live documents
# --------------------------------------------------------------------------------------------


def rendered_documents(stack):
    """The documents the roles' templates render (tests/unit/policies/render.py), for this moto
    account: its account id, key ARNs and health check ids."""
    documents = render.Stack().documents()
    text = json.dumps({json.dumps(reference): document for reference, document in documents.items()})
    for region in (*REGIONS, METRICS):
        text = text.replace(render.key_arn(region), stack.keys[region])
    for region in REGIONS:
        text = text.replace(render.HEALTH_CHECKS[region], stack[region].health_check)
    text = text.replace(render.ACCOUNT, ACCOUNT)
    return {tuple(json.loads(reference)): document for reference, document in json.loads(text).items()}


def install_documents(stack, documents):
    """Put every rendered document where the roles put it (the moto stack was built with stand-ins)."""
    for reference, document in documents.items():
        kind, name = reference[0], reference[1]
        iam = client("iam")
        if kind == "trust":
            try:
                iam.update_assume_role_policy(RoleName=name, PolicyDocument=json.dumps(document))
            except iam.exceptions.NoSuchEntityException:
                iam.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(document))
        elif kind == "role-policy":
            iam.put_role_policy(RoleName=name, PolicyName=reference[2], PolicyDocument=json.dumps(document))
        elif kind == "key-policy":
            client("kms", name).put_key_policy(
                KeyId=stack.keys[name], PolicyName="default", Policy=json.dumps(document)
            )
        elif kind == "bucket-policy":
            region = [r for r in REGIONS if name.startswith(bucket_name(r))][0]
            if name != bucket_name(region):  # the ALB access-log bucket, where the stack has none yet
                s3 = client("s3", region)
                with contextlib.suppress(s3.exceptions.BucketAlreadyOwnedByYou):
                    s3.create_bucket(Bucket=name, CreateBucketConfiguration={"LocationConstraint": region})
            client("s3", region).put_bucket_policy(Bucket=name, Policy=json.dumps(document))
        elif kind == "topic-policy":
            region = name.split(":")[3]
            client("sns", region).set_topic_attributes(
                TopicArn=name, AttributeName="Policy", AttributeValue=json.dumps(document)
            )
        elif kind == "function-policy":
            (statement,) = document["Statement"]
            client("lambda", name).add_permission(
                FunctionName=statement["Resource"],
                StatementId=statement["Sid"],
                Action=statement["Action"],
                Principal=statement["Principal"]["Service"],
                SourceArn=statement["Condition"]["ArnLike"]["AWS:SourceArn"],
                SourceAccount=statement["Condition"]["StringEquals"]["AWS:SourceAccount"],
            )


@pytest.fixture
def rendered_stack(stack):
    """The moto stack with the policies the roles render (trusts, role policies, key policies,
    bucket policies, topic policies, the function's invoke permission)."""
    stack.documents = rendered_documents(stack)
    install_documents(stack, stack.documents)
    return stack


def access_entries(result):
    return [e for e in result["controls"] if e["id"].startswith("access-path:")]


def expected_paths(stack, region):
    description = render.Stack().description()
    text = json.dumps(description).replace(render.ACCOUNT, ACCOUNT)
    description = json.loads(text)
    for entry in description["regions"]:
        entry["kms_key_arn"] = stack.keys[entry["region"]]
    return [p.id for p in access_paths.access_paths(description) if p.region == region]


@pytest.mark.parametrize("region", REGIONS)
def test_every_access_path_holds_on_the_rendered_policies(rendered_stack, monkeypatch, capsys, region):
    result, code, calls = run(rendered_stack, monkeypatch, capsys, region, access_paths=True, controls=["access-paths"])
    assert code == 0, result
    entries = access_entries(result)
    assert [e["id"] for e in result["controls"]] == [e["id"] for e in entries]
    assert [e["id"][len("access-path:") :] for e in entries] == expected_paths(rendered_stack, region)
    failures = [e for e in entries if not e["passed"]]
    assert not failures, json.dumps(failures, indent=1)
    assert result["passed"] is True and result["failed_controls"] == []
    assert all(e["region"] == region and e["title"] and "https://docs.aws.amazon.com/" in e["detail"] for e in entries)
    assert_read_only(calls)


def test_a_statement_removed_behind_its_back_fails_naming_the_path(rendered_stack, monkeypatch, capsys):
    """verify.yml's proof: the replication role loses the statement that lets it encrypt replicas
    with the secondary's key; exactly the paths that stood on it fail, each naming the AWS page."""
    role = f"{PREFIX}-s3-replication-{PRIMARY}"
    document = rendered_stack.documents[("role-policy", role, access_paths.REPLICATION_POLICY)]
    kept = [s for s in document["Statement"] if not s.get("Sid", "").startswith("EncryptInto")]
    assert len(kept) == len(document["Statement"]) - 1
    client("iam").put_role_policy(
        RoleName=role,
        PolicyName=access_paths.REPLICATION_POLICY,
        PolicyDocument=json.dumps(dict(document, Statement=kept)),
    )
    result, code, _calls = run(
        rendered_stack, monkeypatch, capsys, PRIMARY, access_paths=True, controls=["access-paths"]
    )
    assert code == 0
    base = f"access-path:s3-replication:{PRIMARY}->{SECONDARY}:"
    # Not under "failed": Ansible takes a non-empty "failed" for the task's own failure, and
    # verify.yml could then not name the failed controls.
    assert "failed" not in result
    assert result["failed_controls"] == [base + "encrypt", base + "generate-data-key", base + "decrypt-destination"]
    (entry,) = [e for e in result["controls"] if e["id"] == base + "encrypt"]
    assert entry["resource"] == rendered_stack.keys[SECONDARY]
    assert "refused, wanted allowed" in entry["detail"]
    assert "no identity policy allows kms:Encrypt" in entry["detail"]
    assert "replication-config-for-kms-objects.html" in entry["detail"]
    # the secondary's own paths do not depend on the primary's role
    result, _code, _calls = run(
        rendered_stack, monkeypatch, capsys, SECONDARY, access_paths=True, controls=["access-paths"]
    )
    assert result["passed"] is True, result["failed_controls"]


def test_a_deny_removed_behind_its_back_fails_the_refused_path(rendered_stack, monkeypatch, capsys):
    """The bucket stops refusing uploads over plain HTTP: the refused path fails."""
    bucket = bucket_name(SECONDARY)
    document = rendered_stack.documents[("bucket-policy", bucket)]
    kept = [s for s in document["Statement"] if s.get("Sid") != "DenyInsecureTransport"]
    client("s3", SECONDARY).put_bucket_policy(Bucket=bucket, Policy=json.dumps(dict(document, Statement=kept)))
    result, _code, _calls = run(
        rendered_stack, monkeypatch, capsys, SECONDARY, access_paths=True, controls=["access-paths"]
    )
    assert result["failed_controls"] == [f"access-path:app-upload:{SECONDARY}:refused:plain-http"]
    (entry,) = [e for e in result["controls"] if not e["passed"]]
    assert "allowed, wanted refused" in entry["detail"]


def test_a_missing_role_fails_its_paths_as_not_found(rendered_stack, monkeypatch, capsys):
    iam = client("iam")
    role = f"{PREFIX}-monitor-{SECONDARY}"
    iam.delete_role_policy(RoleName=role, PolicyName=access_paths.MONITOR_POLICY)
    result, _code, _calls = run(
        rendered_stack, monkeypatch, capsys, SECONDARY, access_paths=True, controls=["access-paths"]
    )
    failed = result["failed_controls"]
    assert f"access-path:monitor:{SECONDARY}:PutItem-heartbeat" in failed
    assert f"access-path:monitor:{SECONDARY}:kms-decrypt:{PRIMARY}" in failed
    assert not [f for f in failed if ":refused:" in f]  # still refused: nothing allows them
    (entry,) = [e for e in result["controls"] if e["id"] == f"access-path:monitor:{SECONDARY}:PutMetricData"]
    assert f"not found: role-policy {role}/{access_paths.MONITOR_POLICY}" in entry["detail"]


def test_an_aws_error_fails_the_paths_that_needed_the_document(rendered_stack, monkeypatch, capsys):
    result, code, _calls = run(
        rendered_stack,
        monkeypatch,
        capsys,
        SECONDARY,
        access_paths=True,
        controls=["access-paths"],
        errors={"GetKeyPolicy": "AccessDeniedException"},
    )
    assert code == 0
    failed = [e for e in access_entries(result) if not e["passed"]]
    assert failed and all("GetKeyPolicy failed" in e["detail"] for e in failed)
    assert {e["id"] for e in failed} == {
        e["id"] for e in access_entries(result) if e["resource"].startswith("arn:aws:kms:")
    }


def test_access_paths_are_evaluated_by_default_and_can_be_left_out(rendered_stack, monkeypatch, capsys):
    result, _code, _calls = run(rendered_stack, monkeypatch, capsys, PRIMARY, access_paths=True)
    assert access_entries(result) and by_id(result, "kms-key-rotation")
    assert result["passed"] is True, result["failed_controls"]
    result, _code, _calls = run(rendered_stack, monkeypatch, capsys, PRIMARY, access_paths=False)
    assert not access_entries(result)


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

"""The live stack of the controls' tests (plugins/module_utils/controls/): a compliant two-region
stack built in in-process moto, and dr_controls_info run against it (every call recorded, replies
mended or errors injected per operation). The tests of each area (test_controls_<area>.py) break
one thing at a time: exactly the control concerned fails, with a detail that says what is wrong.

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
from moto.core.responses import ActionResult
from moto.s3.exceptions import ReplicationConfigurationNotFoundError
from moto.s3.responses import S3Response

sys.path.insert(0, str(Path(__file__).resolve().parents[3] / "policies"))
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


def broken_cases(breaks):
    """Parametrize a test over an area's BREAKS: (id, region, breaker, args, failed controls, text)."""
    return pytest.mark.parametrize(
        ("region", "breaker", "args", "failed", "text"), [case[1:] for case in breaks], ids=[case[0] for case in breaks]
    )


def assert_broken(stack, monkeypatch, capsys, region, breaker, args, failed, text):
    """One thing broken: exactly the controls `failed` fail, one of them saying `text`; read only."""
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


# --------------------------------------------------------------------------------------------
# Access paths: the documents the roles render, installed in the moto stack
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


def access_entries(result):
    return [e for e in result["controls"] if e["id"].startswith("access-path:")]


def region_paths(stack, region):
    """The AccessPath objects of `region` for the rendered stack (access_paths.access_paths)."""
    description = render.Stack().description()
    text = json.dumps(description).replace(render.ACCOUNT, ACCOUNT)
    description = json.loads(text)
    for entry in description["regions"]:
        entry["kms_key_arn"] = stack.keys[entry["region"]]
    return [p for p in access_paths.access_paths(description) if p.region == region]


def expected_paths(stack, region):
    return [p.id for p in region_paths(stack, region)]

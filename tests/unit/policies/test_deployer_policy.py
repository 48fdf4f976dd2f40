"""docs/iam/deployer-policy.json: what site.yml, verify.yml, the drill and destroy.yml need, scoped by name.

- the document and its two managed-policy parts are valid, within AWS's size quotas, and the parts
  are exactly the whole;
- no "Action": "*", no service-wide action, no NotAction/NotResource/Deny;
- Resource "*" only for actions that AWS authorizes on no resource (Service Authorization
  Reference: the action lists no resource type) or that create a resource whose ARN AWS makes up;
  and no such action in a scoped statement, where AWS would never match it;
- every API call a converge, verify.yml, the drill, a second converge and destroy.yml (destroy_data)
  made on the emulators (recorded: moto's request recorder, LocalStack's request log) is allowed by
  some statement's actions;
- with the IAM policy evaluator (plugins/module_utils/iam_policy.py), each representative call on
  OUR resources (the names the roles create) is allowed and the same call on someone else's is
  refused; and no statement can go without a row or a recorded call failing.

tests/integration/test_permissions.py proves the actions under moto's IAM enforcement.
"""

import copy
import json
import re
from pathlib import Path

import botocore.session
import pytest
from botocore import xform_name
from ansible_collections.finproc.dr.plugins.module_utils.iam_policy import Request, is_allowed

ROOT = Path(__file__).resolve().parents[3]
IAM_DOCS = ROOT / "docs" / "iam"
POLICY = json.loads((IAM_DOCS / "deployer-policy.json").read_text())
PARTS = {path.name: json.loads(path.read_text()) for path in sorted(IAM_DOCS.glob("deployer-policy-part*.json"))}
ACCOUNT = "000000000000"
DEPLOYER = f"arn:aws:iam::{ACCOUNT}:role/ci-finproc-deployer"

# "IAM and AWS STS quotas" (IAM User Guide), https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_iam-quotas.html
# "Managed policy size: 6,144 characters"; "Role policy size: 10,240 characters" (the aggregate of a
# role's inline policies); "IAM doesn't count white space when calculating the size of a policy".
MANAGED_POLICY_SIZE = 6144
ROLE_INLINE_POLICY_SIZE = 10240

SAR = "https://docs.aws.amazon.com/service-authorization/latest/reference/"
# Actions with no resource type in the Service Authorization Reference (the "Resource types" column
# is empty): AWS authorizes them on "*" only, a statement naming an ARN never allows them.
NO_RESOURCE_TYPE = {
    # list_amazonec2.html: the Describe* actions have no resource type
    "ec2:Describe*": SAR + "list_amazonec2.html",
    # list_awselasticloadbalancing.html (V2): Describe* have no resource type
    "elasticloadbalancing:Describe*": SAR + "list_awselasticloadbalancing.html",
    "acm:ListCertificates": SAR + "list_awscertificatemanager.html",
    "acm:RequestCertificate": SAR + "list_awscertificatemanager.html",
    "cloudwatch:ListDashboards": SAR + "list_amazoncloudwatch.html",
    "logs:DescribeLogGroups": SAR + "list_amazoncloudwatchlogs.html",
    "lambda:ListFunctions": SAR + "list_awslambda.html",
    "sns:ListTopics": SAR + "list_amazonsns.html",
    "sns:Unsubscribe": SAR + "list_amazonsns.html",
    "dynamodb:ListTables": SAR + "list_amazondynamodb.html",
    "s3:ListAllMyBuckets": SAR + "list_amazons3.html",
    "kms:CreateKey": SAR + "list_awskeymanagementservice.html",
    "kms:ListAliases": SAR + "list_awskeymanagementservice.html",
    "kms:ListKeys": SAR + "list_awskeymanagementservice.html",
    "iam:ListAccountAliases": SAR + "list_awsidentityandaccessmanagementiam.html",
    "iam:ListRoles": SAR + "list_awsidentityandaccessmanagementiam.html",
    "route53:CreateHealthCheck": SAR + "list_amazonroute53.html",
    "route53:CreateHostedZone": SAR + "list_amazonroute53.html",
    "route53:ListHealthChecks": SAR + "list_amazonroute53.html",
    "route53:ListHostedZones": SAR + "list_amazonroute53.html",
    "route53:ListHostedZonesByName": SAR + "list_amazonroute53.html",
    "route53:TestDNSAnswer": SAR + "list_amazonroute53.html",
    "route53:GetHealthCheckCount": SAR + "list_amazonroute53.html",
    "sts:GetCallerIdentity": SAR + "list_awssecuritytokenservice.html",
}
# Actions that list a resource type but are used here to create a resource whose ARN AWS makes up:
# list_awscertificatemanager.html lists "certificate" for ImportCertificate (the re-import of a
# certificate named by CertificateArn); a first import names no certificate.
CREATES_UNNAMED = {"acm:ImportCertificate": SAR + "list_awscertificatemanager.html"}

# The calls the playbooks made on the emulators (site.yml, verify.yml, failover_drill.yml, site.yml
# again, destroy.yml with destroy_data), as IAM actions: moto's request recorder
# (/moto-api/recorder) for moto's services; LocalStack's request log for DynamoDB and S3, its
# operations named by their IAM action (list_amazons3.html maps each S3 API to its action:
# HeadBucket -> s3:ListBucket, GetBucketEncryption -> s3:GetEncryptionConfiguration, ...).
RECORDED = """
acm:DeleteCertificate acm:DescribeCertificate acm:GetCertificate acm:ImportCertificate acm:ListCertificates
acm:ListTagsForCertificate cloudwatch:DeleteAlarms cloudwatch:DeleteDashboards cloudwatch:DescribeAlarms
cloudwatch:GetDashboard cloudwatch:ListTagsForResource cloudwatch:PutDashboard cloudwatch:PutMetricAlarm
ec2:AllocateAddress ec2:AssociateRouteTable ec2:AttachInternetGateway ec2:AuthorizeSecurityGroupEgress
ec2:AuthorizeSecurityGroupIngress ec2:CreateFlowLogs ec2:CreateInternetGateway ec2:CreateNatGateway ec2:CreateRoute
ec2:CreateRouteTable ec2:CreateSecurityGroup ec2:CreateSubnet ec2:CreateVpc ec2:CreateVpcEndpoint ec2:DeleteFlowLogs
ec2:DeleteInternetGateway ec2:DeleteNatGateway ec2:DeleteRouteTable ec2:DeleteSecurityGroup ec2:DeleteSubnet
ec2:DeleteVpc ec2:DeleteVpcEndpoints ec2:DescribeAddresses ec2:DescribeAvailabilityZones ec2:DescribeFlowLogs
ec2:DescribeInternetGateways
ec2:DescribeNatGateways ec2:DescribeRouteTables ec2:DescribeSecurityGroups ec2:DescribeSubnets ec2:DescribeTags
ec2:DescribeVpcAttribute ec2:DescribeVpcEndpoints ec2:DescribeVpcs ec2:DetachInternetGateway
ec2:DisassociateRouteTable ec2:ModifyVpcAttribute ec2:ReleaseAddress ec2:RevokeSecurityGroupEgress
ec2:RevokeSecurityGroupIngress elasticloadbalancing:CreateListener elasticloadbalancing:CreateLoadBalancer
elasticloadbalancing:CreateTargetGroup elasticloadbalancing:DeleteListener elasticloadbalancing:DeleteLoadBalancer
elasticloadbalancing:DeleteTargetGroup elasticloadbalancing:DescribeListeners
elasticloadbalancing:DescribeLoadBalancerAttributes elasticloadbalancing:DescribeLoadBalancers
elasticloadbalancing:DescribeRules elasticloadbalancing:DescribeTags elasticloadbalancing:DescribeTargetGroupAttributes
elasticloadbalancing:DescribeTargetGroups elasticloadbalancing:ModifyLoadBalancerAttributes
elasticloadbalancing:ModifyTargetGroupAttributes events:DeleteRule events:DescribeRule events:ListTagsForResource
events:ListTargetsByRule events:PutRule events:PutTargets events:RemoveTargets iam:CreateRole iam:DeleteRole
iam:DeleteRolePolicy iam:GetRole iam:GetRolePolicy iam:ListAccountAliases iam:ListAttachedRolePolicies
iam:ListRolePolicies iam:PutRolePolicy kms:CreateAlias kms:CreateKey kms:DescribeKey
kms:EnableKeyRotation kms:GetKeyPolicy kms:GetKeyRotationStatus kms:ListAliases
kms:ListResourceTags kms:ScheduleKeyDeletion lambda:AddPermission lambda:CreateFunction lambda:DeleteFunction
lambda:GetFunction lambda:GetPolicy lambda:ListTags lambda:RemovePermission logs:CreateLogGroup logs:DeleteLogGroup
logs:DescribeLogGroups logs:ListTagsForResource logs:ListTagsLogGroup logs:PutRetentionPolicy
route53:ChangeResourceRecordSets route53:ChangeTagsForResource route53:CreateHealthCheck route53:CreateHostedZone
route53:DeleteHealthCheck route53:GetDNSSEC route53:GetHealthCheck route53:GetHealthCheckStatus route53:GetHostedZone
route53:ListHealthChecks route53:ListHostedZones route53:ListHostedZonesByName route53:ListResourceRecordSets
route53:ListTagsForResource route53:ListTagsForResources route53:UpdateHealthCheck sns:CreateTopic sns:DeleteTopic
sns:GetTopicAttributes sns:ListSubscriptionsByTopic sns:ListTagsForResource sts:GetCallerIdentity
dynamodb:CreateTable dynamodb:DeleteItem dynamodb:DeleteTable dynamodb:DescribeContinuousBackups
dynamodb:DescribeTable dynamodb:GetItem dynamodb:ListTables dynamodb:ListTagsOfResource dynamodb:PutItem
dynamodb:TagResource dynamodb:UpdateContinuousBackups dynamodb:UpdateTable
s3:CreateBucket s3:DeleteBucket s3:PutReplicationConfiguration
s3:GetEncryptionConfiguration s3:GetLifecycleConfiguration s3:GetBucketOwnershipControls s3:GetBucketPolicy
s3:GetReplicationConfiguration s3:GetBucketTagging s3:GetBucketVersioning
s3:GetBucketPublicAccessBlock s3:ListBucket
s3:ListBucketVersions s3:PutEncryptionConfiguration s3:PutLifecycleConfiguration s3:PutBucketPolicy
s3:PutBucketTagging s3:PutBucketVersioning s3:PutBucketPublicAccessBlock
""".split()  # noqa: SIM905 (a block of text is easier to compare with a recording)

# A key's own policy decides first: the encryption role's key policy delegates to IAM through its
# account-root statement ("Default key policy", AWS KMS Developer Guide,
# https://docs.aws.amazon.com/kms/latest/developerguide/key-policy-default.html#key-policy-default-allow-root-enable-iam).
KEY_POLICY = {
    "Version": "2012-10-17",
    "Statement": [
        {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"}, "Action": "kms:*", "Resource": "*"}
    ],
}
OURS_TAG = {"aws:ResourceTag/finproc:stack": "finproc-dev"}
OTHER_TAG = {"aws:ResourceTag/finproc:stack": "payments-prod"}
KEY = f"arn:aws:kms:us-east-2:{ACCOUNT}:key/11111111-1111-4111-8111-111111111111"
BUCKET = f"arn:aws:s3:::finproc-dev-{ACCOUNT}-us-east-2"
ELB = f"arn:aws:elasticloadbalancing:us-east-2:{ACCOUNT}"

# (action, our resource, someone else's resource (None: AWS names no resource), context of ours,
# context of theirs, why). Our names are the ones the roles create (roles/*/vars, defaults).
ROWS = [
    (
        "iam:CreateRole",
        f"arn:aws:iam::{ACCOUNT}:role/finproc-dev-monitor-us-east-2",
        f"arn:aws:iam::{ACCOUNT}:role/other-app",
        {},
        {},
        "the monitor's role",
    ),
    (
        "iam:PutRolePolicy",
        f"arn:aws:iam::{ACCOUNT}:role/finproc-dev-s3-replication-us-east-2",
        f"arn:aws:iam::{ACCOUNT}:role/admin",
        {},
        {},
        "the replication role's policy",
    ),
    (
        "iam:PassRole",
        f"arn:aws:iam::{ACCOUNT}:role/finproc-dev-monitor-us-east-2",
        f"arn:aws:iam::{ACCOUNT}:role/other-app",
        {"iam:PassedToService": "lambda.amazonaws.com"},
        {"iam:PassedToService": "lambda.amazonaws.com"},
        "Lambda takes the monitor's role",
    ),
    (
        "iam:PassRole",
        f"arn:aws:iam::{ACCOUNT}:role/finproc-dev-s3-replication-us-east-2",
        f"arn:aws:iam::{ACCOUNT}:role/finproc-dev-s3-replication-us-east-2",
        {"iam:PassedToService": "s3.amazonaws.com"},
        {"iam:PassedToService": "ec2.amazonaws.com"},
        "our role to its service only, never to EC2 (an instance would run with it)",
    ),
    (
        # "IAM role for publishing flow logs to CloudWatch Logs" (Amazon VPC User Guide) shows the
        # publisher's iam:PassRole without a service condition and documents none:
        # https://docs.aws.amazon.com/vpc/latest/userguide/flow-logs-iam-role.html
        "iam:PassRole",
        f"arn:aws:iam::{ACCOUNT}:role/finproc-dev-flow-logs-us-east-2",
        f"arn:aws:iam::{ACCOUNT}:role/finproc-dev-monitor-us-east-2",
        {"iam:PassedToService": "vpc-flow-logs.amazonaws.com"},
        {"iam:PassedToService": "vpc-flow-logs.amazonaws.com"},
        "the flow-log roles only, with no service condition (none is documented)",
    ),
    (
        "iam:CreateServiceLinkedRole",
        f"arn:aws:iam::{ACCOUNT}:role/aws-service-role/elasticloadbalancing.amazonaws.com/AWSServiceRoleForElasticLoadBalancing",
        f"arn:aws:iam::{ACCOUNT}:role/aws-service-role/autoscaling.amazonaws.com/AWSServiceRoleForAutoScaling",
        {"iam:AWSServiceName": "elasticloadbalancing.amazonaws.com"},
        {"iam:AWSServiceName": "autoscaling.amazonaws.com"},
        "ELB's service-linked role (created with the account's first load balancer)",
    ),
    ("kms:EnableKeyRotation", KEY, KEY, OURS_TAG, OTHER_TAG, "our key (tagged at CreateKey), not another team's"),
    ("kms:PutKeyPolicy", KEY, KEY, OURS_TAG, OTHER_TAG, "our key's policy"),
    # finproc.dr.kms_key, after a CreateKey whose answer was lost, lists the account's keys and reads
    # their tags to find the one it made: another team's key refuses ListResourceTags (AccessDenied),
    # which the module counts as "not ours".
    ("kms:ListResourceTags", KEY, KEY, OURS_TAG, OTHER_TAG, "our key's tags; another team's refused"),
    ("kms:ListKeys", "*", None, {}, {}, "no resource: list_awskeymanagementservice.html"),
    (
        "kms:CreateAlias",
        f"arn:aws:kms:us-east-2:{ACCOUNT}:alias/finproc-dev",
        f"arn:aws:kms:us-east-2:{ACCOUNT}:alias/payments-prod",
        {},
        {},
        "the alias part of CreateAlias",
    ),
    (
        "kms:CreateGrant",
        KEY,
        KEY,
        dict(OURS_TAG, **{"kms:ViaService": "dynamodb.us-west-2.amazonaws.com"}),
        OURS_TAG,
        "DynamoDB's grant for a replica with our key; never a grant made directly",
    ),
    (
        "kms:Decrypt",
        KEY,
        KEY,
        dict(OURS_TAG, **{"kms:ViaService": "lambda.us-east-2.amazonaws.com"}),
        dict(OTHER_TAG, **{"kms:ViaService": "lambda.us-east-2.amazonaws.com"}),
        "the function's environment",
    ),
    (
        "logs:CreateLogGroup",
        f"arn:aws:logs:us-east-2:{ACCOUNT}:log-group:/finproc/dev/vpc-flow-logs",
        f"arn:aws:logs:us-east-2:{ACCOUNT}:log-group:/payments/prod/audit",
        {},
        {},
        "flow-log group",
    ),
    (
        "logs:PutRetentionPolicy",
        f"arn:aws:logs:us-east-2:{ACCOUNT}:log-group:/aws/lambda/finproc-dev-health-monitor",
        f"arn:aws:logs:us-east-2:{ACCOUNT}:log-group:/aws/lambda/other-function",
        {},
        {},
        "the function's log group",
    ),
    (
        "logs:AssociateKmsKey",
        f"arn:aws:logs:us-east-2:{ACCOUNT}:log-group:/finproc/dev/application",
        f"arn:aws:logs:us-east-2:{ACCOUNT}:log-group:/payments/prod/audit",
        {},
        {},
        "the region's key on a group of ours found with another key or none",
    ),
    (
        "dynamodb:UpdateTable",
        f"arn:aws:dynamodb:us-east-2:{ACCOUNT}:table/finproc-dev-transactions",
        f"arn:aws:dynamodb:us-east-2:{ACCOUNT}:table/payments-ledger",
        {},
        {},
        "a replica added from the primary",
    ),
    (
        "dynamodb:CreateTableReplica",
        f"arn:aws:dynamodb:us-west-2:{ACCOUNT}:table/finproc-dev-transactions",
        f"arn:aws:dynamodb:us-west-2:{ACCOUNT}:table/payments-ledger",
        {},
        {},
        "the replica's region",
    ),
    (
        "dynamodb:PutItem",
        f"arn:aws:dynamodb:us-east-2:{ACCOUNT}:table/finproc-dev-transactions",
        f"arn:aws:dynamodb:us-east-2:{ACCOUNT}:table/payments-ledger",
        {},
        {},
        "the drill's canary item",
    ),
    ("s3:PutBucketPolicy", BUCKET, "arn:aws:s3:::payments-statements", {}, {}, "the data bucket's policy"),
    ("s3:PutReplicationConfiguration", BUCKET, "arn:aws:s3:::payments-statements", {}, {}, "replication"),
    (
        "s3:PutBucketPublicAccessBlock",
        f"arn:aws:s3:::finproc-dev-{ACCOUNT}-us-east-2-alb-logs",
        "arn:aws:s3:::payments-statements",
        {},
        {},
        "the ALB access-log bucket",
    ),
    (
        "s3:DeleteObjectVersion",
        BUCKET + "/2026/12/06/tx.json",
        "arn:aws:s3:::payments-statements/2026/tx.json",
        {},
        {},
        "destroy_data empties our buckets only",
    ),
    (
        "elasticloadbalancing:CreateLoadBalancer",
        f"{ELB}:loadbalancer/app/finproc-dev-alb/50dc6c495c0c9188",
        f"{ELB}:loadbalancer/app/payments-alb/50dc6c495c0c9188",
        {},
        {},
        "the ALB",
    ),
    (
        "elasticloadbalancing:ModifyListener",
        f"{ELB}:listener/app/finproc-dev-alb/50dc6c495c0c9188/f2f7dc8efc522ab2",
        f"{ELB}:listener/app/payments-alb/50dc6c495c0c9188/f2f7dc8efc522ab2",
        {},
        {},
        "its HTTPS listener",
    ),
    (
        "elasticloadbalancing:CreateTargetGroup",
        f"{ELB}:targetgroup/finproc-dev-app/73e2d6bc24d8a067",
        f"{ELB}:targetgroup/payments-app/73e2d6bc24d8a067",
        {},
        {},
        "its target group",
    ),
    (
        "lambda:UpdateFunctionCode",
        f"arn:aws:lambda:us-east-2:{ACCOUNT}:function:finproc-dev-health-monitor",
        f"arn:aws:lambda:us-east-2:{ACCOUNT}:function:payments-settlement",
        {},
        {},
        "the monitor",
    ),
    (
        "events:PutTargets",
        f"arn:aws:events:us-east-2:{ACCOUNT}:rule/finproc-dev-health-monitor",
        f"arn:aws:events:us-east-2:{ACCOUNT}:rule/payments-nightly",
        {},
        {},
        "the monitor's schedule",
    ),
    (
        "sns:SetTopicAttributes",
        f"arn:aws:sns:us-east-1:{ACCOUNT}:finproc-dev-dns-health",
        f"arn:aws:sns:us-east-1:{ACCOUNT}:payments-alerts",
        {},
        {},
        "the health-check alarms' topic",
    ),
    (
        "cloudwatch:PutMetricAlarm",
        f"arn:aws:cloudwatch:us-east-2:{ACCOUNT}:alarm:finproc-dev-us-east-2-monitor-silent",
        f"arn:aws:cloudwatch:us-east-2:{ACCOUNT}:alarm:payments-latency",
        {},
        {},
        "a monitoring alarm",
    ),
    (
        "cloudwatch:PutDashboard",
        f"arn:aws:cloudwatch::{ACCOUNT}:dashboard/finproc-dev-us-east-2",
        f"arn:aws:cloudwatch::{ACCOUNT}:dashboard/payments",
        {},
        {},
        "the dashboard",
    ),
    (
        "route53:ChangeResourceRecordSets",
        "arn:aws:route53:::hostedzone/Z0123456789ABCDEFGHIJ",
        None,
        {},
        {},
        "the failover records (zone ids are AWS's: the zone is found by name)",
    ),
    ("route53:CreateHealthCheck", "*", None, {}, {}, "no resource: list_amazonroute53.html"),
    ("kms:CreateKey", "*", None, {}, {}, "no resource: list_awskeymanagementservice.html"),
    ("ec2:CreateVpc", f"arn:aws:ec2:us-east-2:{ACCOUNT}:vpc/*", None, {}, {}, "EC2 ARNs carry ids, not names"),
    ("ec2:DescribeVpcs", "*", None, {}, {}, "no resource: list_amazonec2.html"),
]


def statements(policy):
    return policy["Statement"] if isinstance(policy["Statement"], list) else [policy["Statement"]]


def as_list(value):
    return [value] if isinstance(value, str) else list(value)


def size(policy):
    return len("".join(json.dumps(policy, separators=(",", ":")).split()))


def decide(policy, action, resource, context):
    # A key: its key policy decides, and ours delegates to IAM. An alias has no policy of its own:
    # "Control access to aliases" (AWS KMS Developer Guide), IAM policies alone control it,
    # https://docs.aws.amazon.com/kms/latest/developerguide/alias-access.html
    key = resource.startswith("arn:aws:kms:") and ":key/" in resource
    return is_allowed(
        Request(action, resource, DEPLOYER, context),
        identity_policies=[policy],
        resource_policy=KEY_POLICY if key else None,
        resource_type="kms" if key else "identity",
    )


def action_allowed(policy, action):
    """Some statement names the action (its resources and conditions aside)."""
    service, _sep, name = action.partition(":")
    for statement in statements(policy):
        for pattern in as_list(statement["Action"]):
            p_service, _sep, p_name = pattern.partition(":")
            if p_service == service and (p_name == name or (p_name.endswith("*") and name.startswith(p_name[:-1]))):
                return True
    return False


def test_the_policy_and_its_parts_are_valid_and_within_the_quotas():
    assert POLICY["Version"] == "2012-10-17"
    sids = [s["Sid"] for s in statements(POLICY)]
    assert len(sids) == len(set(sids)), "duplicate Sid"
    assert size(POLICY) <= ROLE_INLINE_POLICY_SIZE, "too big even as a role's inline policy"
    assert len(PARTS) >= 2, "the whole does not fit a managed policy: it ships in parts"
    for name, part in PARTS.items():
        assert size(part) <= MANAGED_POLICY_SIZE, f"{name}: {size(part)} characters > {MANAGED_POLICY_SIZE}"
    # The parts are the whole: every statement once, unchanged.
    in_parts = [s for part in PARTS.values() for s in statements(part)]
    assert sorted(json.dumps(s, sort_keys=True) for s in in_parts) == sorted(
        json.dumps(s, sort_keys=True) for s in statements(POLICY)
    )


def test_no_wildcard_action_no_negation_no_deny():
    for statement in statements(POLICY):
        assert statement["Effect"] == "Allow", statement["Sid"]
        assert not {"NotAction", "NotResource", "Principal"} & set(statement), statement["Sid"]
        for action in as_list(statement["Action"]):
            service, _sep, name = action.partition(":")
            assert action != "*" and name not in ("", "*"), f"{statement['Sid']}: {action}"
            assert name.endswith("*") is False or action in NO_RESOURCE_TYPE, f"{statement['Sid']}: {action}"


def test_resource_star_only_where_aws_names_no_resource():
    exempt = {**NO_RESOURCE_TYPE, **CREATES_UNNAMED}
    for statement in statements(POLICY):
        resources = as_list(statement["Resource"])
        for action in as_list(statement["Action"]):
            if "*" in resources:
                assert action in exempt, f"{statement['Sid']}: {action} on '*' (it takes a resource: name ours)"
            else:
                # AWS authorizes these on "*": a statement naming ARNs would never allow them.
                assert action not in NO_RESOURCE_TYPE, f"{statement['Sid']}: {action} can only be allowed on '*'"


def test_named_resources_carry_the_name_prefix():
    """Wherever the ARN holds our name, the statement names the prefix (finproc- or /finproc/)."""
    unnamed = ("arn:aws:ec2:", "arn:aws:acm:", "arn:aws:route53:", "arn:aws:kms:*:*:key/")
    for statement in statements(POLICY):
        for resource in as_list(statement["Resource"]):
            if resource == "*" or resource.startswith(unnamed):
                continue
            if statement["Sid"] == "ServiceLinkedRolesOfElbAndGlobalTables":
                assert "/aws-service-role/" in resource  # AWS names these roles
                continue
            assert "finproc-" in resource or "/finproc/" in resource, f"{statement['Sid']}: {resource}"
    keys = [s for s in statements(POLICY) if "arn:aws:kms:*:*:key/*" in as_list(s["Resource"])]
    assert keys and all(s["Condition"]["StringLike"]["aws:ResourceTag/finproc:stack"] == "finproc-*" for s in keys)


def test_every_recorded_call_is_allowed():
    missing = [action for action in RECORDED if not action_allowed(POLICY, action)]
    assert not missing


@pytest.mark.parametrize(
    "action, ours, theirs, context, their_context, why", ROWS, ids=[f"{r[0]}:{r[5]}" for r in ROWS]
)
def test_our_resources_allowed_someone_elses_refused(action, ours, theirs, context, their_context, why):
    decision = decide(POLICY, action, ours, context)
    assert decision.allowed, f"{action} on {ours} ({why}): {decision.reason}"
    if theirs is not None:
        decision = decide(POLICY, action, theirs, their_context)
        assert not decision.allowed, f"{action} on {theirs} ({why}) must be refused: {decision.reason}"


@pytest.mark.parametrize("sid", [s["Sid"] for s in statements(POLICY)])
def test_no_statement_is_decoration(sid):
    """Without any one statement, a row or a recorded call fails (so none of these tests passes by
    accident, and the policy holds nothing that nothing needs)."""
    less = copy.deepcopy(POLICY)
    less["Statement"] = [s for s in statements(less) if s["Sid"] != sid]
    rows = [r for r in ROWS if not decide(less, r[0], r[1], r[3]).allowed]
    recorded = [a for a in RECORDED if not action_allowed(less, a)]
    assert rows or recorded, f"nothing fails without {sid}"


# The stack's roles are made, changed and deleted by finproc.dr.iam_role alone (its IAM calls are in its
# source and in tagging.py's "iam" tagger and reader). RolesOfTheStack allows exactly those, so an action
# that nothing calls any more (amazon.aws.iam_role's ListInstanceProfilesForRole and ListRoleTags, say) makes
# this test fail when it is added back. One call is deliberately not allowed:
ROLE_CALLERS = [ROOT / "plugins" / "modules" / "iam_role.py", ROOT / "plugins" / "module_utils" / "tagging.py"]
NOT_GRANTED = {
    # Attaching a managed policy (AdministratorAccess, say) to a role the deployer may pass to Lambda would
    # let the deployer grant itself anything; the stack's roles attach none (managed_policy_arns: []), so
    # the module only ever detaches (drift, destroy).
    "iam:AttachRolePolicy",
}


def api_calls(service, paths):
    """The actions of `service` whose client method (e.g. put_role_policy) the files name."""
    model = botocore.session.get_session().get_service_model(service)
    text = "\n".join(path.read_text() for path in paths)
    return {
        service + ":" + operation
        for operation in model.operation_names
        if re.search(r"\b%s\b" % re.escape(xform_name(operation)), text)
    }


def iam_calls(paths):
    """The IAM actions whose client method (e.g. put_role_policy) the files name."""
    return api_calls("iam", paths)


def test_the_roles_statement_allows_exactly_what_finproc_dr_iam_role_calls():
    (statement,) = [s for s in statements(POLICY) if s["Sid"] == "RolesOfTheStack"]
    allowed = set(as_list(statement["Action"]))
    called = iam_calls(ROLE_CALLERS)
    assert "iam:CreateRole" in called and "iam:TagRole" in called  # the scan finds the module's calls
    assert sorted(allowed - called) == [], "allowed on the stack's roles, but nothing calls it"
    assert sorted(called - allowed) == sorted(NOT_GRANTED)


# The stack's log groups are made and changed by finproc.dr.cloudwatch_log_groups (its Logs calls are in its
# source and in tagging.py's "logs" tagger and reader) and deleted by amazon.aws.cloudwatchlogs_log_group in
# the destroy tasks (DescribeLogGroups, ListTagsLogGroup, DeleteLogGroup). LogGroupsOfTheStack allows exactly
# those (DescribeLogGroups, which names no resource, is in the statement on "*"), so an action nothing calls
# any more (amazon.aws's TagLogGroup and UntagLogGroup, say) makes this test fail when it is added back.
LOG_GROUP_CALLERS = [
    ROOT / "plugins" / "modules" / "cloudwatch_log_groups.py",
    ROOT / "plugins" / "module_utils" / "tagging.py",
]
LOG_GROUP_DESTROY = {"logs:DescribeLogGroups", "logs:ListTagsLogGroup", "logs:DeleteLogGroup"}


def test_the_log_groups_statement_allows_exactly_what_the_log_group_tasks_call():
    (statement,) = [s for s in statements(POLICY) if s["Sid"] == "LogGroupsOfTheStack"]
    allowed = set(as_list(statement["Action"]))
    called = (api_calls("logs", LOG_GROUP_CALLERS) | LOG_GROUP_DESTROY) - {"logs:DescribeLogGroups"}
    assert {"logs:CreateLogGroup", "logs:AssociateKmsKey", "logs:TagResource"} <= called  # the scan finds them
    assert sorted(allowed - called) == [], "allowed on the stack's log groups, but nothing calls it"
    assert sorted(called - allowed) == []


# The gateway endpoints are made, changed and (purge_endpoints) deleted by finproc.dr.ec2_vpc_endpoints, whose
# EC2 calls are in its source (its tags through tagging.py's "ec2" tagger: CreateTags, DeleteTags, allowed for
# every resource of the network); destroy.yml deletes them with amazon.aws.ec2_vpc_endpoint (DeleteVpcEndpoints).
# Ec2NetworkOfTheStack's endpoint actions are exactly those (DescribeVpcEndpoints is ec2:Describe* on "*").
ENDPOINT_CALLERS = [ROOT / "plugins" / "modules" / "ec2_vpc_endpoints.py"]


def test_the_network_statement_allows_exactly_the_endpoint_actions_the_endpoint_tasks_call():
    (statement,) = [s for s in statements(POLICY) if s["Sid"] == "Ec2NetworkOfTheStack"]
    allowed = {action for action in as_list(statement["Action"]) if "VpcEndpoint" in action}
    called = {action for action in api_calls("ec2", ENDPOINT_CALLERS) if "VpcEndpoint" in action}
    assert {"ec2:CreateVpcEndpoint", "ec2:ModifyVpcEndpoint", "ec2:DescribeVpcEndpoints"} <= called  # found
    called = (called | {"ec2:DeleteVpcEndpoints"}) - {"ec2:DescribeVpcEndpoints"}
    assert sorted(allowed ^ called) == []
    assert {"ec2:CreateTags", "ec2:DeleteTags"} <= set(as_list(statement["Action"]))


# The stack's buckets are made and changed by finproc.dr.s3_bucket, their replication by
# finproc.dr.s3_bucket_replication, read by dr_controls_info (plugins/module_utils/controls) and deleted by
# amazon.aws.s3_bucket state absent in the destroy tasks (HeadBucket, ListObjectVersions, DeleteObjects,
# DeleteBucket; "s3_bucket" of amazon.aws, destroy_bucket). BucketsOfTheStack allows exactly those, so an action
# nothing calls any more (amazon.aws.s3_bucket's GetBucketAcl, GetAccelerateConfiguration, say) makes this test
# fail when it is added back. S3 names most actions after the API ("Actions, resources, and condition keys for
# Amazon S3", https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazons3.html); these
# differ (the API operation: the action that table lists for it).
BUCKET_CALLERS = [
    ROOT / "plugins" / "modules" / "s3_bucket.py",
    ROOT / "plugins" / "modules" / "s3_bucket_replication.py",
    *sorted((ROOT / "plugins" / "module_utils" / "controls").glob("*.py")),
]
S3_ACTION_OF = {
    "s3:HeadBucket": "s3:ListBucket",
    "s3:GetBucketEncryption": "s3:GetEncryptionConfiguration",
    "s3:PutBucketEncryption": "s3:PutEncryptionConfiguration",
    "s3:GetPublicAccessBlock": "s3:GetBucketPublicAccessBlock",
    "s3:PutPublicAccessBlock": "s3:PutBucketPublicAccessBlock",
    "s3:GetBucketLifecycleConfiguration": "s3:GetLifecycleConfiguration",
    "s3:PutBucketLifecycleConfiguration": "s3:PutLifecycleConfiguration",
    "s3:DeleteBucketTagging": "s3:PutBucketTagging",
    "s3:GetBucketReplication": "s3:GetReplicationConfiguration",
    "s3:PutBucketReplication": "s3:PutReplicationConfiguration",
    "s3:DeleteBucketReplication": "s3:PutReplicationConfiguration",
    "s3:ListObjectVersions": "s3:ListBucketVersions",
}
BUCKET_DESTROY = {"s3:ListBucket", "s3:ListBucketVersions", "s3:DeleteBucket"}  # DeleteObjects: object statement


def test_the_buckets_statement_allows_exactly_what_the_bucket_tasks_call():
    (statement,) = [s for s in statements(POLICY) if s["Sid"] == "BucketsOfTheStack"]
    allowed = set(as_list(statement["Action"]))
    called = {S3_ACTION_OF.get(api, api) for api in api_calls("s3", BUCKET_CALLERS)} | BUCKET_DESTROY
    assert {"s3:CreateBucket", "s3:PutLifecycleConfiguration", "s3:GetBucketOwnershipControls"} <= called  # found
    assert sorted(allowed - called) == [], "allowed on the stack's buckets, but nothing calls it"
    assert sorted(called - allowed) == []

"""The encryption and network roles' state, region by region (foundation issue).

What verify.yml does not check: the key's spec, its exact key policy and its Name tag; the VPC's DNS attributes;
the subnets, internet and NAT gateways, Elastic IPs, route tables and gateway endpoints; the security groups'
Name tags; the flow log's aggregation interval, its tags, and its role. The rest is verify.yml's (kms-key-rotation,
vpc-cidr, security-groups, flow-logs, log-groups, tags: see conftest.py).
"""

import json

from conftest import assert_named, assert_tagged, tags_of


def _vpc(aws, expected):
    vpcs = aws.ec2.describe_vpcs(Filters=[{"Name": "tag:finproc:stack", "Values": [expected["name_prefix"]]}])["Vpcs"]
    assert len(vpcs) == 1, f"expected exactly one VPC of the stack, found {len(vpcs)}"
    return vpcs[0]


def _key(aws, expected):
    alias = f"alias/{expected['key_alias']}"
    aliases = [a for a in aws.kms.list_aliases()["Aliases"] if a["AliasName"] == alias]
    assert len(aliases) == 1, f"KMS alias {alias} missing"
    return aws.kms.describe_key(KeyId=aliases[0]["TargetKeyId"])["KeyMetadata"]


def test_kms_key_rotates_and_its_policy_is_scoped(aws, expected):
    key = _key(aws, expected)
    # Enabled and rotating: kms-key-rotation. Required tags: tags.
    assert key["KeySpec"] == "SYMMETRIC_DEFAULT"
    tags = {t["TagKey"]: t["TagValue"] for t in aws.kms.list_resource_tags(KeyId=key["KeyId"])["Tags"]}
    assert_named("KMS key", tags, expected["key_alias"])
    policy = json.loads(aws.kms.get_key_policy(KeyId=key["KeyId"], PolicyName="default")["Policy"])
    sids = {s["Sid"]: s for s in policy["Statement"]}
    assert set(sids) == {
        "AccountControl",
        "CloudWatchLogsOfThisAccountAndRegion",
        "ServicesOfThisRegion",
        "CloudWatchAlarmsPublishToEncryptedTopics",
    }
    region = expected["region"]
    assert sids["CloudWatchLogsOfThisAccountAndRegion"]["Principal"] == {"Service": f"logs.{region}.amazonaws.com"}
    via = sids["ServicesOfThisRegion"]["Condition"]["StringEquals"]["kms:ViaService"]
    assert sorted(via) == sorted(f"{s}.{region}.amazonaws.com" for s in ("sns", "s3", "dynamodb", "lambda"))
    for sid, statement in sids.items():
        if sid != "AccountControl":
            assert statement["Action"] != "kms:*", f"{sid} grants every KMS action"


def test_vpc(aws, expected):
    vpc = _vpc(aws, expected)
    # Its CIDR: vpc-cidr. Required tags: tags.
    assert_named("VPC", tags_of(vpc), f"{expected['name_prefix']}-vpc")
    for attribute in ("enableDnsSupport", "enableDnsHostnames"):
        value = aws.ec2.describe_vpc_attribute(VpcId=vpc["VpcId"], Attribute=attribute)
        assert value[attribute[0].upper() + attribute[1:]]["Value"] is True, attribute


def _subnets(aws, vpc_id):
    return aws.ec2.describe_subnets(Filters=[{"Name": "vpc-id", "Values": [vpc_id]}])["Subnets"]


def test_subnets_one_public_and_one_private_per_az(aws, expected):
    vpc = _vpc(aws, expected)
    subnets = _subnets(aws, vpc["VpcId"])
    found = sorted((tags_of(s).get("finproc:tier"), s["AvailabilityZone"], s["CidrBlock"]) for s in subnets)
    wanted = sorted(
        [("public", az, cidr) for az, cidr in zip(expected["azs"], expected["public_subnet_cidrs"], strict=False)]
        + [("private", az, cidr) for az, cidr in zip(expected["azs"], expected["private_subnet_cidrs"], strict=False)]
    )
    assert found == wanted
    for subnet in subnets:
        assert subnet["MapPublicIpOnLaunch"] is False, f"{subnet['SubnetId']} gives instances public IPs"
        tier = tags_of(subnet)["finproc:tier"]
        # Required tags: tags.
        assert_named(
            f"subnet {subnet['CidrBlock']}",
            tags_of(subnet),
            f"{expected['name_prefix']}-{tier}-{subnet['AvailabilityZone']}",
        )


def _by_tier(aws, vpc_id):
    result = {"public": {}, "private": {}}
    for subnet in _subnets(aws, vpc_id):
        result[tags_of(subnet)["finproc:tier"]][subnet["AvailabilityZone"]] = subnet["SubnetId"]
    return result


def test_internet_gateway_and_nat_gateways(aws, expected):
    vpc = _vpc(aws, expected)
    igws = aws.ec2.describe_internet_gateways(Filters=[{"Name": "attachment.vpc-id", "Values": [vpc["VpcId"]]}])[
        "InternetGateways"
    ]
    assert len(igws) == 1
    assert_tagged("internet gateway", tags_of(igws[0]), expected, name=f"{expected['name_prefix']}-igw")

    subnets = _by_tier(aws, vpc["VpcId"])
    nats = aws.ec2.describe_nat_gateways(
        Filters=[{"Name": "vpc-id", "Values": [vpc["VpcId"]]}, {"Name": "state", "Values": ["pending", "available"]}]
    )["NatGateways"]
    azs = expected["azs"] if expected["nat_gateway_mode"] == "per_az" else expected["azs"][:1]
    assert sorted(n["SubnetId"] for n in nats) == sorted(subnets["public"][az] for az in azs)
    assert all(n["State"] == "available" for n in nats)
    allocation_ids = [n["NatGatewayAddresses"][0]["AllocationId"] for n in nats]
    addresses = aws.ec2.describe_addresses(AllocationIds=allocation_ids)["Addresses"]
    for nat in nats:
        az = next(az for az, sid in subnets["public"].items() if sid == nat["SubnetId"])
        assert_tagged(f"NAT {nat['NatGatewayId']}", tags_of(nat), expected, name=f"{expected['name_prefix']}-nat-{az}")
    for address in addresses:
        assert_tagged(f"EIP {address['AllocationId']}", tags_of(address), expected)


def test_route_tables(aws, expected):
    vpc = _vpc(aws, expected)
    prefix = expected["name_prefix"]
    subnets = _by_tier(aws, vpc["VpcId"])
    igw = aws.ec2.describe_internet_gateways(Filters=[{"Name": "attachment.vpc-id", "Values": [vpc["VpcId"]]}])[
        "InternetGateways"
    ][0]
    nats = {
        n["SubnetId"]: n["NatGatewayId"]
        for n in aws.ec2.describe_nat_gateways(
            Filters=[{"Name": "vpc-id", "Values": [vpc["VpcId"]]}, {"Name": "state", "Values": ["available"]}]
        )["NatGateways"]
    }
    tables = aws.ec2.describe_route_tables(
        Filters=[{"Name": "vpc-id", "Values": [vpc["VpcId"]]}, {"Name": "tag:finproc:stack", "Values": [prefix]}]
    )["RouteTables"]
    by_name = {tags_of(t)["Name"]: t for t in tables}
    assert sorted(by_name) == sorted([f"{prefix}-public"] + [f"{prefix}-private-{az}" for az in expected["azs"]])
    endpoints = {
        e["VpcEndpointId"]
        for e in aws.ec2.describe_vpc_endpoints(Filters=[{"Name": "vpc-id", "Values": [vpc["VpcId"]]}])["VpcEndpoints"]
    }

    def check(name, subnet_ids, default_target):
        table = by_name[name]
        assert_tagged(f"route table {name}", tags_of(table), expected, name=name)
        assert sorted(a["SubnetId"] for a in table["Associations"] if a.get("SubnetId")) == sorted(subnet_ids)
        created = [r for r in table["Routes"] if r.get("Origin") == "CreateRoute"]
        defaults = [r for r in created if r.get("DestinationCidrBlock") == "0.0.0.0/0"]
        assert len(defaults) == 1, f"{name}: {len(defaults)} default routes"
        assert default_target(defaults[0]), f"{name}: default route {defaults[0]}"
        via_endpoints = {r["GatewayId"] for r in created if r.get("DestinationPrefixListId")}
        assert via_endpoints == endpoints, f"{name}: gateway endpoint routes {via_endpoints} != {endpoints}"
        others = [r for r in created if r not in defaults and not r.get("DestinationPrefixListId")]
        assert not others, f"{name}: unexpected routes {others}"

    check(f"{prefix}-public", subnets["public"].values(), lambda r: r.get("GatewayId") == igw["InternetGatewayId"])
    for _index, az in enumerate(expected["azs"]):
        nat_az = az if expected["nat_gateway_mode"] == "per_az" else expected["azs"][0]
        nat = nats[subnets["public"][nat_az]]
        check(f"{prefix}-private-{az}", [subnets["private"][az]], lambda r, nat=nat: r.get("NatGatewayId") == nat)


def test_security_groups_are_named(aws, expected):
    """Exactly the designed rules (in and out): security-groups. Required tags: tags."""
    vpc = _vpc(aws, expected)
    prefix = expected["name_prefix"]
    groups = {
        g["GroupName"]: g
        for g in aws.ec2.describe_security_groups(
            Filters=[
                {"Name": "vpc-id", "Values": [vpc["VpcId"]]},
                {"Name": "group-name", "Values": [f"{prefix}-alb", f"{prefix}-app"]},
            ]
        )["SecurityGroups"]
    }
    alb, app = groups[f"{prefix}-alb"], groups[f"{prefix}-app"]
    assert_named("ALB security group", tags_of(alb), f"{prefix}-alb")
    assert_named("app security group", tags_of(app), f"{prefix}-app")


def test_gateway_endpoints(aws, expected):
    vpc = _vpc(aws, expected)
    endpoints = aws.ec2.describe_vpc_endpoints(Filters=[{"Name": "vpc-id", "Values": [vpc["VpcId"]]}])["VpcEndpoints"]
    region = expected["region"]
    assert sorted(e["ServiceName"] for e in endpoints) == [
        f"com.amazonaws.{region}.dynamodb",
        f"com.amazonaws.{region}.s3",
    ]
    tables = {
        t["RouteTableId"]
        for t in aws.ec2.describe_route_tables(
            Filters=[
                {"Name": "vpc-id", "Values": [vpc["VpcId"]]},
                {"Name": "tag:finproc:stack", "Values": [expected["name_prefix"]]},
            ]
        )["RouteTables"]
    }
    for endpoint in endpoints:
        assert endpoint["VpcEndpointType"] == "Gateway"
        assert set(endpoint["RouteTableIds"]) == tables
        assert_tagged(f"endpoint {endpoint['ServiceName']}", tags_of(endpoint), expected)


def test_flow_logs_to_an_encrypted_log_group_through_a_scoped_role(aws, expected):
    vpc = _vpc(aws, expected)
    prefix = expected["name_prefix"]
    group_name = "/" + prefix.replace("-", "/") + "/vpc-flow-logs"
    flow_logs = aws.ec2.describe_flow_logs(Filters=[{"Name": "resource-id", "Values": [vpc["VpcId"]]}])["FlowLogs"]
    # One (flow-logs passes with one good flow log among several), of all traffic to the group: flow-logs.
    assert len(flow_logs) == 1
    flow_log = flow_logs[0]
    assert flow_log["MaxAggregationInterval"] == 60
    assert_tagged("flow log", tags_of(flow_log), expected, name=f"{prefix}-vpc")

    groups = [
        g
        for g in aws.logs.describe_log_groups(logGroupNamePrefix=group_name)["logGroups"]
        if g["logGroupName"] == group_name
    ]
    assert len(groups) == 1
    # Its key and retention: log-groups. Its required tags: tags.
    group_arn = groups[0]["arn"].removesuffix(":*")

    role_name = flow_log["DeliverLogsPermissionArn"].split("/")[-1]
    assert role_name == f"{prefix}-flow-logs-{expected['region']}"
    role = aws.iam.get_role(RoleName=role_name)["Role"]
    trust = role["AssumeRolePolicyDocument"]
    assert [s["Principal"] for s in trust["Statement"]] == [{"Service": "vpc-flow-logs.amazonaws.com"}]
    assert_tagged("flow-log role", tags_of(role), expected, name=role_name)
    assert aws.iam.list_attached_role_policies(RoleName=role_name)["AttachedPolicies"] == []
    assert aws.iam.list_role_policies(RoleName=role_name)["PolicyNames"] == ["write-flow-log-group"]
    policy = aws.iam.get_role_policy(RoleName=role_name, PolicyName="write-flow-log-group")["PolicyDocument"]
    resources = [r for s in policy["Statement"] for r in s["Resource"]]
    assert sorted(resources) == sorted([group_arn, group_arn + ":log-stream:*"])
    assert "*" not in [a for s in policy["Statement"] for a in s["Action"]]

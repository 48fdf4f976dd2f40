"""elb_target_group against a botocore Stubber.

Every request is checked against the ELBv2 API model and its expected parameters; every reply
against the model. A request nobody queued fails, and the Stubber must be drained.
"""

import pytest
from ansible_collections.finproc.dr.plugins.modules import elb_target_group
from aws_stub import fake_clock, record_requests, run_module

NAME = "finproc-dev-app"
ACCOUNT = "123456789012"
ARN = f"arn:aws:elasticloadbalancing:us-east-2:{ACCOUNT}:targetgroup/{NAME}/0123456789abcdef"
LB_ARN = f"arn:aws:elasticloadbalancing:us-east-2:{ACCOUNT}:loadbalancer/app/finproc-dev/fedcba9876543210"
VPC = "vpc-0123456789abcdef0"
BY_ARN = {"TargetGroupArn": ARN}
BY_NAME = {"Names": [NAME]}

HEALTH_CHECK = {
    "path": "/health",
    "interval_seconds": 15,
    "timeout_seconds": 5,
    "healthy_threshold": 3,
    "unhealthy_threshold": 3,
    "matcher": "200",
}
ARGS = {
    "name": NAME,
    "protocol": "HTTP",
    "port": 8080,
    "vpc_id": VPC,
    "target_type": "ip",
    "health_check": HEALTH_CHECK,
    "attributes": {"deregistration_delay.timeout_seconds": "30", "load_balancing.algorithm.type": "round_robin"},
    "tags": {"Name": NAME, "App": "finproc"},
}
TAGS = [{"Key": "Name", "Value": NAME}, {"Key": "App", "Value": "finproc"}]
# The health check fields of ARGS, as CreateTargetGroup takes them and DescribeTargetGroups returns them.
HEALTH_CHECK_FIELDS = {
    "HealthCheckProtocol": "HTTP",
    "HealthCheckPort": "traffic-port",
    "HealthCheckEnabled": True,
    "HealthCheckPath": "/health",
    "HealthCheckIntervalSeconds": 15,
    "HealthCheckTimeoutSeconds": 5,
    "HealthyThresholdCount": 3,
    "UnhealthyThresholdCount": 3,
    "Matcher": {"HttpCode": "200"},
}
# What AWS reports for a new ALB target group of type ip.
AWS_DEFAULT_ATTRIBUTES = {
    "deregistration_delay.timeout_seconds": "300",
    "stickiness.enabled": "false",
    "stickiness.type": "lb_cookie",
    "stickiness.lb_cookie.duration_seconds": "86400",
    "load_balancing.algorithm.type": "round_robin",
    "load_balancing.algorithm.anomaly_mitigation": "off",
    "load_balancing.cross_zone.enabled": "use_load_balancer_configuration",
    "slow_start.duration_seconds": "0",
    "waf.fail_open.enabled": "false",
}
CONVERGED_ATTRIBUTES = dict(AWS_DEFAULT_ATTRIBUTES, **{"deregistration_delay.timeout_seconds": "30"})


# -- replies ---------------------------------------------------------------------------------------
def target_group(load_balancers=(), **changes):
    """A DescribeTargetGroups entry with the settings of ARGS, changed by `changes`."""
    tg = {
        "TargetGroupArn": ARN,
        "TargetGroupName": NAME,
        "Protocol": "HTTP",
        "Port": 8080,
        "VpcId": VPC,
        "TargetType": "ip",
        "ProtocolVersion": "HTTP1",
        "IpAddressType": "ipv4",
        "LoadBalancerArns": list(load_balancers),
    }
    tg.update(HEALTH_CHECK_FIELDS)
    tg.update(changes)
    return tg


def attribute_list(attributes):
    return {"Attributes": [{"Key": key, "Value": value} for key, value in attributes.items()]}


def tag_descriptions(tags):
    return {"TagDescriptions": [{"ResourceArn": ARN, "Tags": tags}]}


# -- harness ---------------------------------------------------------------------------------------
@pytest.fixture
def clock(monkeypatch):
    return fake_clock(monkeypatch, elb_target_group)


@pytest.fixture
def sent(elbv2):
    """The operation and parameters of every request the module makes."""
    return record_requests(elbv2[0])


def writes(sent):
    return [op for op, _params in sent if not op.startswith("Describe")]


def run(elbv2, monkeypatch, capsys, args=None, **kw):
    return run_module(elb_target_group.main, ARGS if args is None else args, elbv2[0], monkeypatch, capsys, **kw)


def found(stub, tg=None, attributes=None, tags=None):
    """DescribeTargetGroups by name, then the group's attributes and tags."""
    attributes = CONVERGED_ATTRIBUTES if attributes is None else attributes
    tags = TAGS if tags is None else tags
    stub.add_response("describe_target_groups", {"TargetGroups": [tg or target_group()]}, BY_NAME)
    stub.add_response("describe_target_group_attributes", attribute_list(attributes), BY_ARN)
    stub.add_response("describe_tags", tag_descriptions(tags), {"ResourceArns": [ARN]})


def nothing_found(stub):
    stub.add_client_error(
        "describe_target_groups",
        service_error_code="TargetGroupNotFound",
        service_message="One or more target groups not found",
        expected_params=BY_NAME,
    )


def in_use(stub):
    stub.add_client_error(
        "delete_target_group",
        service_error_code="ResourceInUse",
        service_message=f"Target group '{ARN}' is currently in use by a listener or a rule",
        expected_params=BY_ARN,
    )


CREATE = dict(
    {
        "Name": NAME,
        "Protocol": "HTTP",
        "ProtocolVersion": "HTTP1",
        "Port": 8080,
        "VpcId": VPC,
        "TargetType": "ip",
        "Tags": TAGS,
    },
    **HEALTH_CHECK_FIELDS,
)
CONVERGED_VIEW = {
    "protocol": "HTTP",
    "protocol_version": "HTTP1",
    "port": 8080,
    "vpc_id": VPC,
    "target_type": "ip",
    "health_check": {
        "protocol": "HTTP",
        "port": "traffic-port",
        "enabled": True,
        "path": "/health",
        "interval_seconds": 15,
        "timeout_seconds": 5,
        "healthy_threshold": 3,
        "unhealthy_threshold": 3,
        "matcher": "200",
    },
    "attributes": {"deregistration_delay.timeout_seconds": "30", "load_balancing.algorithm.type": "round_robin"},
    "tags": {"Name": NAME, "App": "finproc"},
}


# -- create ----------------------------------------------------------------------------------------
def test_create_sends_every_health_check_field_and_tags_then_only_the_differing_attributes(
    elbv2, monkeypatch, capsys, clock, sent
):
    client, stub = elbv2
    nothing_found(stub)
    created = {k: v for k, v in target_group().items() if k != "LoadBalancerArns"}
    stub.add_response("create_target_group", {"TargetGroups": [created]}, CREATE)
    stub.add_response("describe_target_group_attributes", attribute_list(AWS_DEFAULT_ATTRIBUTES), BY_ARN)
    # load_balancing.algorithm.type is round_robin already: only the deregistration delay is sent.
    stub.add_response(
        "modify_target_group_attributes",
        attribute_list(CONVERGED_ATTRIBUTES),
        {"TargetGroupArn": ARN, "Attributes": [{"Key": "deregistration_delay.timeout_seconds", "Value": "30"}]},
    )
    result, code = run(elbv2, monkeypatch, capsys, diff=True)
    assert code == 0, result
    assert result["changed"] is True
    assert writes(sent) == ["CreateTargetGroup", "ModifyTargetGroupAttributes"]
    assert result["target_group_arn"] == ARN
    tg = result["target_group"]
    assert tg["target_group_arn"] == ARN
    assert tg["health_check_path"] == "/health"
    assert tg["matcher"] == {"http_code": "200"}
    assert tg["load_balancer_arns"] == []
    # Attribute keys as AWS names them, every one AWS reports.
    assert tg["attributes"] == CONVERGED_ATTRIBUTES
    assert tg["tags"] == {"Name": NAME, "App": "finproc"}
    assert result["diff"] == {"before": {}, "after": CONVERGED_VIEW}


def test_create_writes_no_attribute_when_the_defaults_are_wanted(elbv2, monkeypatch, capsys, clock, sent):
    client, stub = elbv2
    nothing_found(stub)
    stub.add_response("create_target_group", {"TargetGroups": [target_group()]}, CREATE)
    stub.add_response("describe_target_group_attributes", attribute_list(AWS_DEFAULT_ATTRIBUTES), BY_ARN)
    args = dict(ARGS, attributes={"deregistration_delay.timeout_seconds": 300, "stickiness.enabled": False})
    result, code = run(elbv2, monkeypatch, capsys, args)
    assert code == 0, result
    assert writes(sent) == ["CreateTargetGroup"]
    assert result["target_group"]["attributes"] == AWS_DEFAULT_ATTRIBUTES


def test_create_with_the_defaults_and_without_tags(elbv2, monkeypatch, capsys, clock):
    client, stub = elbv2
    nothing_found(stub)
    request = {
        "Name": NAME,
        "Protocol": "HTTP",
        "ProtocolVersion": "HTTP1",
        "Port": 80,
        "VpcId": VPC,
        "TargetType": "ip",
        "HealthCheckProtocol": "HTTP",
        "HealthCheckPort": "traffic-port",
        "HealthCheckEnabled": True,
        "HealthCheckPath": "/",
        "HealthCheckIntervalSeconds": 30,
        "HealthCheckTimeoutSeconds": 5,
        "HealthyThresholdCount": 5,
        "UnhealthyThresholdCount": 2,
        "Matcher": {"HttpCode": "200"},
    }
    reply = dict(target_group(), **{k: v for k, v in request.items() if k != "Name"})
    stub.add_response("create_target_group", {"TargetGroups": [reply]}, request)
    stub.add_response("describe_target_group_attributes", attribute_list(AWS_DEFAULT_ATTRIBUTES), BY_ARN)
    result, code = run(elbv2, monkeypatch, capsys, {"name": NAME, "port": 80, "vpc_id": VPC})
    assert code == 0, result
    assert result["changed"] is True
    assert result["target_group"]["tags"] == {}


def test_create_grpc_uses_the_grpc_matcher_and_path(elbv2, monkeypatch, capsys, clock):
    client, stub = elbv2
    nothing_found(stub)
    request = dict(
        CREATE,
        Protocol="HTTPS",
        ProtocolVersion="GRPC",
        HealthCheckProtocol="HTTPS",
        HealthCheckPath="/AWS.ALB/healthcheck",
        Matcher={"GrpcCode": "12"},
    )
    del request["Tags"]
    reply = dict(target_group(), **{k: v for k, v in request.items() if k != "Name"})
    stub.add_response("create_target_group", {"TargetGroups": [reply]}, request)
    stub.add_response("describe_target_group_attributes", attribute_list(AWS_DEFAULT_ATTRIBUTES), BY_ARN)
    health_check = {k: v for k, v in HEALTH_CHECK.items() if k not in ("path", "matcher")}
    args = dict(ARGS, protocol="HTTPS", protocol_version="GRPC", attributes={}, tags=None)
    args["health_check"] = dict(health_check, protocol="HTTPS")
    result, code = run(elbv2, monkeypatch, capsys, args, diff=True)
    assert code == 0, result
    assert result["diff"]["after"]["health_check"]["matcher"] == "12"
    assert result["target_group"]["matcher"] == {"grpc_code": "12"}


def test_attributes_read_right_after_create_are_retried_until_the_group_is_visible(elbv2, monkeypatch, capsys, clock):
    client, stub = elbv2
    nothing_found(stub)
    stub.add_response("create_target_group", {"TargetGroups": [target_group()]}, CREATE)
    stub.add_client_error(
        "describe_target_group_attributes", service_error_code="TargetGroupNotFound", expected_params=BY_ARN
    )
    stub.add_response("describe_target_group_attributes", attribute_list(CONVERGED_ATTRIBUTES), BY_ARN)
    result, code = run(elbv2, monkeypatch, capsys)
    assert code == 0, result
    assert result["target_group"]["attributes"] == CONVERGED_ATTRIBUTES


def test_create_needs_port_and_vpc_id(elbv2, monkeypatch, capsys, clock, sent):
    client, stub = elbv2
    nothing_found(stub)
    args = {k: v for k, v in ARGS.items() if k not in ("port", "vpc_id")}
    result, code = run(elbv2, monkeypatch, capsys, args, check_mode=True)
    assert code == 1
    assert (
        result["msg"] == f"target group {NAME} does not exist in us-east-2; port and vpc_id are required to create it"
    )
    assert writes(sent) == []


# -- update ----------------------------------------------------------------------------------------
def test_identical_writes_nothing(elbv2, monkeypatch, capsys, clock, sent):
    client, stub = elbv2
    found(stub, target_group(load_balancers=[LB_ARN]), tags=list(reversed(TAGS)))
    result, code = run(elbv2, monkeypatch, capsys, diff=True)
    assert code == 0, result
    assert result["changed"] is False
    assert writes(sent) == []
    assert [op for op, _params in sent] == ["DescribeTargetGroups", "DescribeTargetGroupAttributes", "DescribeTags"]
    assert result["diff"]["before"] == result["diff"]["after"] == CONVERGED_VIEW
    assert result["target_group"]["load_balancer_arns"] == [LB_ARN]
    assert result["target_group"]["attributes"] == CONVERGED_ATTRIBUTES
    assert result["target_group_arn"] == ARN


def test_an_existing_group_without_port_and_vpc_id_given_is_not_compared_on_them(elbv2, monkeypatch, capsys, clock):
    client, stub = elbv2
    found(stub, target_group(Port=9090, VpcId="vpc-0fedcba987654321f"))
    args = {k: v for k, v in ARGS.items() if k not in ("port", "vpc_id")}
    result, code = run(elbv2, monkeypatch, capsys, args)
    assert code == 0, result
    assert result["changed"] is False


def test_a_health_check_change_modifies_only_the_changed_fields(elbv2, monkeypatch, capsys, clock, sent):
    client, stub = elbv2
    held = target_group(load_balancers=[LB_ARN], HealthCheckPath="/", HealthCheckIntervalSeconds=30)
    found(stub, held)
    modified = {k: v for k, v in target_group().items() if k != "LoadBalancerArns"}
    stub.add_response(
        "modify_target_group",
        {"TargetGroups": [modified]},
        {"TargetGroupArn": ARN, "HealthCheckPath": "/health", "HealthCheckIntervalSeconds": 15},
    )
    result, code = run(elbv2, monkeypatch, capsys, diff=True)
    assert code == 0, result
    assert result["changed"] is True
    assert writes(sent) == ["ModifyTargetGroup"]
    assert result["diff"]["before"]["health_check"]["path"] == "/"
    assert result["diff"]["before"]["health_check"]["interval_seconds"] == 30
    assert result["diff"]["after"] == CONVERGED_VIEW
    assert result["target_group"]["health_check_path"] == "/health"
    # ModifyTargetGroup's reply left the load balancers out: they are kept from the description.
    assert result["target_group"]["load_balancer_arns"] == [LB_ARN]


def test_a_matcher_change_sends_the_matcher_only(elbv2, monkeypatch, capsys, clock, sent):
    client, stub = elbv2
    found(stub, target_group(Matcher={"HttpCode": "200-299"}))
    stub.add_response(
        "modify_target_group",
        {"TargetGroups": [target_group()]},
        {"TargetGroupArn": ARN, "Matcher": {"HttpCode": "200"}},
    )
    result, code = run(elbv2, monkeypatch, capsys)
    assert code == 0, result
    assert writes(sent) == ["ModifyTargetGroup"]


def test_an_attribute_change_modifies_only_the_differing_keys(elbv2, monkeypatch, capsys, clock, sent):
    client, stub = elbv2
    found(stub, attributes=AWS_DEFAULT_ATTRIBUTES)
    # AWS answers with every attribute.
    stub.add_response(
        "modify_target_group_attributes",
        attribute_list(dict(CONVERGED_ATTRIBUTES, **{"slow_start.duration_seconds": "60"})),
        {
            "TargetGroupArn": ARN,
            "Attributes": [
                {"Key": "deregistration_delay.timeout_seconds", "Value": "30"},
                {"Key": "slow_start.duration_seconds", "Value": "60"},
            ],
        },
    )
    # YAML integers and booleans: compared as AWS's strings (stickiness.enabled false is no change).
    attributes = {
        "deregistration_delay.timeout_seconds": 30,
        "stickiness.enabled": False,
        "slow_start.duration_seconds": 60,
    }
    result, code = run(elbv2, monkeypatch, capsys, dict(ARGS, attributes=attributes), diff=True)
    assert code == 0, result
    assert result["changed"] is True
    assert writes(sent) == ["ModifyTargetGroupAttributes"]
    assert result["diff"]["before"]["attributes"] == {
        "deregistration_delay.timeout_seconds": "300",
        "slow_start.duration_seconds": "0",
        "stickiness.enabled": "false",
    }
    assert result["diff"]["after"]["attributes"] == {
        "deregistration_delay.timeout_seconds": "30",
        "slow_start.duration_seconds": "60",
        "stickiness.enabled": "false",
    }
    assert result["target_group"]["attributes"]["slow_start.duration_seconds"] == "60"
    assert result["target_group"]["attributes"]["stickiness.type"] == "lb_cookie"


def test_an_attribute_aws_does_not_report_is_set(elbv2, monkeypatch, capsys, clock, sent):
    client, stub = elbv2
    found(stub, attributes={"deregistration_delay.timeout_seconds": "30"})
    # An endpoint that answers with the changed attributes only (moto): the others are kept.
    stub.add_response(
        "modify_target_group_attributes",
        attribute_list({"load_balancing.algorithm.type": "round_robin"}),
        {"TargetGroupArn": ARN, "Attributes": [{"Key": "load_balancing.algorithm.type", "Value": "round_robin"}]},
    )
    result, code = run(elbv2, monkeypatch, capsys)
    assert code == 0, result
    assert result["target_group"]["attributes"] == ARGS["attributes"]


def test_tags_are_added_and_removed(elbv2, monkeypatch, capsys, clock, sent):
    client, stub = elbv2
    found(stub, tags=[{"Key": "Name", "Value": NAME}, {"Key": "Owner", "Value": "someone"}])
    stub.add_response("remove_tags", {}, {"ResourceArns": [ARN], "TagKeys": ["Owner"]})
    stub.add_response("add_tags", {}, {"ResourceArns": [ARN], "Tags": [{"Key": "App", "Value": "finproc"}]})
    result, code = run(elbv2, monkeypatch, capsys, diff=True)
    assert code == 0, result
    assert result["changed"] is True
    assert writes(sent) == ["RemoveTags", "AddTags"]
    assert result["diff"]["before"]["tags"] == {"Name": NAME, "Owner": "someone"}
    assert result["diff"]["after"]["tags"] == {"Name": NAME, "App": "finproc"}
    assert result["target_group"]["tags"] == {"Name": NAME, "App": "finproc"}


def test_tags_are_only_added_without_purge(elbv2, monkeypatch, capsys, clock, sent):
    client, stub = elbv2
    found(stub, tags=[{"Key": "Name", "Value": NAME}, {"Key": "Owner", "Value": "someone"}])
    stub.add_response("add_tags", {}, {"ResourceArns": [ARN], "Tags": [{"Key": "App", "Value": "finproc"}]})
    result, code = run(elbv2, monkeypatch, capsys, dict(ARGS, purge_tags=False))
    assert code == 0, result
    assert writes(sent) == ["AddTags"]
    assert result["target_group"]["tags"] == {"Name": NAME, "Owner": "someone", "App": "finproc"}


def test_tags_are_left_alone_when_not_given(elbv2, monkeypatch, capsys, clock, sent):
    client, stub = elbv2
    found(stub, tags=[{"Key": "Owner", "Value": "someone"}])
    result, code = run(elbv2, monkeypatch, capsys, {k: v for k, v in ARGS.items() if k != "tags"})
    assert code == 0, result
    assert result["changed"] is False
    assert result["target_group"]["tags"] == {"Owner": "someone"}


@pytest.mark.parametrize("check_mode", [False, True])
def test_an_immutable_difference_fails_naming_each_and_writes_nothing(
    elbv2, monkeypatch, capsys, clock, sent, check_mode
):
    client, stub = elbv2
    stub.add_response(
        "describe_target_groups",
        {"TargetGroups": [target_group(Protocol="HTTPS", Port=443, TargetType="instance", HealthCheckPath="/")]},
        BY_NAME,
    )
    result, code = run(elbv2, monkeypatch, capsys, check_mode=check_mode)
    assert code == 1
    assert writes(sent) == []
    assert result["msg"].startswith(
        f"target group {NAME} ({ARN}) has protocol HTTPS (wanted HTTP); port 443 (wanted 8080); "
        "target_type instance (wanted ip). "
    )
    assert "it must be replaced" in result["msg"]
    assert result["target_group_arn"] == ARN


def test_another_vpc_or_protocol_version_fails(elbv2, monkeypatch, capsys, clock, sent):
    client, stub = elbv2
    held = target_group(VpcId="vpc-0fedcba987654321f", ProtocolVersion="HTTP2")
    stub.add_response("describe_target_groups", {"TargetGroups": [held]}, BY_NAME)
    result, code = run(elbv2, monkeypatch, capsys)
    assert code == 1
    assert (
        "protocol_version HTTP2 (wanted HTTP1); vpc_id vpc-0fedcba987654321f (wanted vpc-0123456789abcdef0)"
        in (result["msg"])
    )
    assert writes(sent) == []


# -- check mode ------------------------------------------------------------------------------------
def test_check_mode_create_writes_nothing_and_predicts(elbv2, monkeypatch, capsys, clock, sent):
    client, stub = elbv2
    nothing_found(stub)
    result, code = run(elbv2, monkeypatch, capsys, check_mode=True, diff=True)
    assert code == 0, result
    assert result["changed"] is True
    assert writes(sent) == []
    assert result["target_group"] == {}
    assert result["target_group_arn"] is None
    assert result["diff"] == {"before": {}, "after": CONVERGED_VIEW}


def test_check_mode_update_writes_nothing_and_predicts(elbv2, monkeypatch, capsys, clock, sent):
    client, stub = elbv2
    found(
        stub,
        target_group(HealthCheckPath="/"),
        attributes=AWS_DEFAULT_ATTRIBUTES,
        tags=[{"Key": "Owner", "Value": "someone"}],
    )
    result, code = run(elbv2, monkeypatch, capsys, check_mode=True, diff=True)
    assert code == 0, result
    assert result["changed"] is True
    assert writes(sent) == []
    assert result["diff"]["before"]["health_check"]["path"] == "/"
    assert result["diff"]["before"]["attributes"]["deregistration_delay.timeout_seconds"] == "300"
    assert result["diff"]["before"]["tags"] == {"Owner": "someone"}
    assert result["diff"]["after"] == CONVERGED_VIEW
    # The target group as it is now.
    assert result["target_group"]["health_check_path"] == "/"
    assert result["target_group"]["tags"] == {"Owner": "someone"}


def test_check_mode_without_differences_is_unchanged(elbv2, monkeypatch, capsys, clock, sent):
    client, stub = elbv2
    found(stub)
    result, code = run(elbv2, monkeypatch, capsys, check_mode=True, diff=True)
    assert code == 0, result
    assert result["changed"] is False
    assert result["diff"]["before"] == result["diff"]["after"]


# -- absent ----------------------------------------------------------------------------------------
ABSENT = {"name": NAME, "state": "absent"}


def test_absent_deletes(elbv2, monkeypatch, capsys, clock, sent):
    client, stub = elbv2
    found(stub)
    stub.add_response("delete_target_group", {}, BY_ARN)
    result, code = run(elbv2, monkeypatch, capsys, ABSENT, diff=True)
    assert code == 0, result
    assert result["changed"] is True
    assert writes(sent) == ["DeleteTargetGroup"]
    assert result["target_group"] == {}
    assert result["target_group_arn"] is None
    assert result["diff"]["before"]["port"] == 8080
    assert result["diff"]["before"]["tags"] == {"Name": NAME, "App": "finproc"}
    assert result["diff"]["after"] == {}


def test_absent_missing_is_unchanged(elbv2, monkeypatch, capsys, clock, sent):
    client, stub = elbv2
    nothing_found(stub)
    result, code = run(elbv2, monkeypatch, capsys, ABSENT, diff=True)
    assert code == 0, result
    assert result["changed"] is False
    assert writes(sent) == []
    assert result["diff"] == {"before": {}, "after": {}}


def test_absent_in_check_mode_writes_nothing_and_warns_when_in_use(elbv2, monkeypatch, capsys, clock, sent):
    client, stub = elbv2
    found(stub, target_group(load_balancers=[LB_ARN]))
    result, code = run(elbv2, monkeypatch, capsys, ABSENT, check_mode=True)
    assert code == 0, result
    assert result["changed"] is True
    assert writes(sent) == []
    assert LB_ARN in str(result["warnings"])


def test_absent_in_use_retries_then_succeeds(elbv2, monkeypatch, capsys, clock, sent):
    client, stub = elbv2
    found(stub, target_group(load_balancers=[LB_ARN]))
    in_use(stub)
    in_use(stub)
    stub.add_response("delete_target_group", {}, BY_ARN)
    result, code = run(elbv2, monkeypatch, capsys, ABSENT)
    assert code == 0, result
    assert result["changed"] is True
    assert writes(sent) == ["DeleteTargetGroup"] * 3
    assert clock.sleeps == [5, 5]


def test_absent_in_use_past_the_timeout_fails(elbv2, monkeypatch, capsys, clock, sent):
    client, stub = elbv2
    found(stub, target_group(load_balancers=[LB_ARN]))
    for _attempt in range(4):  # at 0, 5, 10 and 12 seconds
        in_use(stub)
    result, code = run(elbv2, monkeypatch, capsys, dict(ABSENT, wait_timeout=12))
    assert code == 1
    assert clock.sleeps == [5, 5, 2]
    assert result["msg"].startswith(f"target group {NAME} ({ARN}) is still in use by {LB_ARN} after 12 s")
    assert "Remove it from those listeners and rules" in result["msg"]
    assert result["load_balancer_arns"] == [LB_ARN]


def test_absent_gone_meanwhile_is_deleted(elbv2, monkeypatch, capsys, clock):
    client, stub = elbv2
    found(stub)
    in_use(stub)
    stub.add_client_error("delete_target_group", service_error_code="TargetGroupNotFound", expected_params=BY_ARN)
    result, code = run(elbv2, monkeypatch, capsys, ABSENT)
    assert code == 0, result
    assert result["changed"] is True


# -- validation ------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "args, message",
    [
        pytest.param(dict(ARGS, name="x" * 33), "is not a target group name", id="name too long"),
        pytest.param(dict(ARGS, name="-app"), "is not a target group name", id="leading hyphen"),
        pytest.param(dict(ARGS, name="app_1"), "is not a target group name", id="underscore"),
        pytest.param(
            dict(ARGS, health_check=dict(HEALTH_CHECK, timeout_seconds=15)),
            "health_check.timeout_seconds (15) must be less than health_check.interval_seconds (15)",
            id="timeout not below the interval",
        ),
        pytest.param(
            dict(ARGS, health_check=dict(HEALTH_CHECK, enabled=False)),
            "health_check.enabled cannot be false",
            id="health checks disabled",
        ),
        pytest.param(
            dict(ARGS, health_check=dict(HEALTH_CHECK, healthy_threshold=11)),
            "health_check.healthy_threshold must be 2 to 10, not 11",
            id="threshold",
        ),
        pytest.param(
            dict(ARGS, health_check=dict(HEALTH_CHECK, port="http")),
            "health_check.port must be traffic-port or a port number",
            id="port",
        ),
        pytest.param(
            dict(ARGS, health_check=dict(HEALTH_CHECK, path="health")), "health_check.path must begin with /", id="path"
        ),
        pytest.param(
            dict(ARGS, health_check=dict(HEALTH_CHECK, matcher="2xx")),
            "health_check.matcher must be codes",
            id="matcher",
        ),
        pytest.param(dict(ABSENT, wait_timeout=-1), "wait_timeout must be 0 or more seconds", id="wait_timeout"),
    ],
)
def test_bad_input_fails_before_any_call(elbv2, monkeypatch, capsys, clock, sent, args, message):
    result, code = run(elbv2, monkeypatch, capsys, args, check_mode=True)
    assert code == 1
    assert message in result["msg"]
    assert sent == []

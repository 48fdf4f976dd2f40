"""The network controls (plugins/module_utils/controls/network.py), against the moto stack of
live_stack.py, broken one thing at a time."""

from live_stack import (
    ACCOUNT,
    APP_PORT,
    FLOW_LOG,
    PREFIX,
    PRIMARY,
    SECONDARY,
    assert_broken,
    broken_cases,
    client,
)


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


BREAKS = [
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
]


@broken_cases(BREAKS)
def test_one_thing_broken_fails_exactly_its_control(stack, monkeypatch, capsys, region, breaker, args, failed, text):
    assert_broken(stack, monkeypatch, capsys, region, breaker, args, failed, text)

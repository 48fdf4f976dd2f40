"""ec2_security_group_rules against a botocore Stubber: the rules of a group set exactly, unwanted ones
revoked first, a description changed in place; the diff names only the rules of the direction that
differs (a rule added behind our back is one line of it).

Every request is checked against the EC2 API model and its expected parameters; every reply against
the model. A request nobody queued fails, and the Stubber must be drained.
"""

import pytest
from ansible_collections.finproc.dr.plugins.modules import ec2_security_group_rules as module
from aws_stub import record_requests, run_module

GROUP, ALB = "sg-0123456789abcdef0", "sg-0fedcba9876543210"
ARGS = {
    "group_id": GROUP,
    "rules": [{"proto": "tcp", "from_port": 8080, "group_id": ALB, "description": "From the load balancer only"}],
    "rules_egress": [{"proto": "tcp", "from_port": 443, "cidr_ip": "0.0.0.0/0", "description": "HTTPS out"}],
}
APP_IN = {
    "IpProtocol": "tcp",
    "FromPort": 8080,
    "ToPort": 8080,
    "UserIdGroupPairs": [{"GroupId": ALB, "UserId": "123456789012", "Description": "From the load balancer only"}],
    "IpRanges": [],
}
HTTPS_OUT = {
    "IpProtocol": "tcp",
    "FromPort": 443,
    "ToPort": 443,
    "IpRanges": [{"CidrIp": "0.0.0.0/0", "Description": "HTTPS out"}],
}
ROGUE = {"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "IpRanges": [{"CidrIp": "10.0.0.0/8"}]}
ALL_OUT = {"IpProtocol": "-1", "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}


def described(stub, ingress, egress):
    group = {
        "GroupId": GROUP,
        "GroupName": "app",
        "VpcId": "vpc-1",
        "IpPermissions": ingress,
        "IpPermissionsEgress": egress,
    }
    stub.add_response("describe_security_groups", {"SecurityGroups": [group]}, {"GroupIds": [GROUP]})


@pytest.fixture
def sent(ec2):
    return record_requests(ec2[0])


@pytest.fixture(autouse=True)
def instant_backoff(monkeypatch):
    monkeypatch.setattr("time.sleep", lambda seconds: None)


def run(ec2, monkeypatch, capsys, args=None, **kw):
    return run_module(module.main, dict(args or ARGS), ec2[0], monkeypatch, capsys, **kw)


def writes(sent):
    return [(op, params) for op, params in sent if not op.startswith("Describe")]


def test_a_converged_group_is_read_once_and_left_alone(ec2, monkeypatch, capsys, sent):
    described(ec2[1], [APP_IN], [HTTPS_OUT])
    result, code = run(ec2, monkeypatch, capsys, diff=True)
    assert code == 0, result
    assert result["changed"] is False
    assert result["diff"] == {"before": {}, "after": {}}
    assert result["rules"] == {"tcp 8080 " + ALB: "From the load balancer only"}
    assert writes(sent) == []


def test_a_rule_added_behind_our_back_is_the_only_difference_check_mode_shows(ec2, monkeypatch, capsys, sent):
    described(ec2[1], [APP_IN, ROGUE], [HTTPS_OUT])
    result, code = run(ec2, monkeypatch, capsys, check_mode=True, diff=True)
    assert code == 0, result
    assert result["changed"] is True
    # The inbound rules only (the outbound ones do not differ), and in them only the rogue rule.
    assert result["diff"] == {
        "before": {"rules": {"tcp 22 10.0.0.0/8": "", "tcp 8080 " + ALB: "From the load balancer only"}},
        "after": {"rules": {"tcp 8080 " + ALB: "From the load balancer only"}},
    }
    assert writes(sent) == []


def test_a_rule_added_behind_our_back_is_revoked_alone(ec2, monkeypatch, capsys, sent):
    described(ec2[1], [APP_IN, ROGUE], [HTTPS_OUT])
    revoked = {"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "IpRanges": [{"CidrIp": "10.0.0.0/8"}]}
    ec2[1].add_response(
        "revoke_security_group_ingress", {"Return": True}, {"GroupId": GROUP, "IpPermissions": [revoked]}
    )
    result, code = run(ec2, monkeypatch, capsys, diff=True)
    assert code == 0, result
    assert result["changed"] is True
    assert [op for op, _params in writes(sent)] == ["RevokeSecurityGroupIngress"]


def test_a_new_group_loses_its_default_egress_before_its_rules_are_authorized(ec2, monkeypatch, capsys, sent):
    described(ec2[1], [], [ALL_OUT])
    stub = ec2[1]
    stub.add_response(
        "authorize_security_group_ingress",
        {"Return": True},
        {
            "GroupId": GROUP,
            "IpPermissions": [
                {
                    "IpProtocol": "tcp",
                    "FromPort": 8080,
                    "ToPort": 8080,
                    "UserIdGroupPairs": [{"GroupId": ALB, "Description": "From the load balancer only"}],
                }
            ],
        },
    )
    stub.add_response(
        "revoke_security_group_egress",
        {"Return": True},
        {"GroupId": GROUP, "IpPermissions": [{"IpProtocol": "-1", "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}]},
    )
    stub.add_response(
        "authorize_security_group_egress",
        {"Return": True},
        {
            "GroupId": GROUP,
            "IpPermissions": [
                {
                    "IpProtocol": "tcp",
                    "FromPort": 443,
                    "ToPort": 443,
                    "IpRanges": [{"CidrIp": "0.0.0.0/0", "Description": "HTTPS out"}],
                }
            ],
        },
    )
    result, code = run(ec2, monkeypatch, capsys, diff=True)
    assert code == 0, result
    assert [op for op, _params in writes(sent)] == [
        "AuthorizeSecurityGroupIngress",
        "RevokeSecurityGroupEgress",
        "AuthorizeSecurityGroupEgress",
    ]
    assert result["diff"]["before"]["rules_egress"] == {"all 0.0.0.0/0": ""}


def test_a_description_changed_behind_our_back_is_set_back_in_place(ec2, monkeypatch, capsys, sent):
    renamed = dict(HTTPS_OUT, IpRanges=[{"CidrIp": "0.0.0.0/0", "Description": "rogue"}])
    described(ec2[1], [APP_IN], [renamed])
    ec2[1].add_response(
        "update_security_group_rule_descriptions_egress",
        {"Return": True},
        {"GroupId": GROUP, "IpPermissions": [HTTPS_OUT]},
    )
    result, code = run(ec2, monkeypatch, capsys, diff=True)
    assert code == 0, result
    assert result["diff"] == {
        "before": {"rules_egress": {"tcp 443 0.0.0.0/0": "rogue"}},
        "after": {"rules_egress": {"tcp 443 0.0.0.0/0": "HTTPS out"}},
    }
    assert [op for op, _params in writes(sent)] == ["UpdateSecurityGroupRuleDescriptionsEgress"]


def test_without_purge_an_unlisted_rule_stays(ec2, monkeypatch, capsys, sent):
    described(ec2[1], [APP_IN, ROGUE], [HTTPS_OUT])
    result, code = run(ec2, monkeypatch, capsys, dict(ARGS, purge_rules=False))
    assert code == 0, result
    assert result["changed"] is False
    assert writes(sent) == []


def test_check_mode_on_a_group_still_to_be_created_reports_its_rules_and_calls_nothing(ec2, monkeypatch, capsys, sent):
    result, code = run(ec2, monkeypatch, capsys, dict(ARGS, group_id=""), check_mode=True, diff=True)
    assert code == 0, result
    assert result["changed"] is True
    assert result["diff"]["before"] == {}
    assert sent == []


@pytest.mark.parametrize(
    "rule, message",
    [
        ({"proto": "gre", "cidr_ip": "10.0.0.0/8"}, "proto must be tcp, udp, icmp or all"),
        ({"proto": "tcp", "from_port": 22}, "give exactly one of cidr_ip and group_id"),
        ({"proto": "tcp", "cidr_ip": "10.0.0.0/8"}, "from_port is required for tcp"),
    ],
)
def test_bad_rules_fail_before_any_aws_call(ec2, monkeypatch, capsys, sent, rule, message):
    result, code = run(ec2, monkeypatch, capsys, dict(ARGS, rules=[rule]))
    assert code == 1
    assert message in result["msg"] and "rules[0]" in result["msg"]
    assert sent == []


@pytest.mark.parametrize(("code", "status"), [("InternalError", 500), ("InvalidPermission.NotFound", 400)])
def test_a_lost_revoke_answer_counts_as_done_when_the_rule_is_gone(ec2, monkeypatch, capsys, sent, code, status):
    """The retry of a revoke carried out is refused (InvalidPermission.NotFound) and a 5xx may hide a revoke
    carried out: the group is read, the rule is gone, the run goes on; ONE revoke."""
    described(ec2[1], [APP_IN, ROGUE], [HTTPS_OUT])
    ec2[1].add_client_error("revoke_security_group_ingress", code, http_status_code=status)
    described(ec2[1], [APP_IN], [HTTPS_OUT])  # the look: gone
    result, code = run(ec2, monkeypatch, capsys)
    assert code == 0, result
    assert [op for op, _params in writes(sent)] == ["RevokeSecurityGroupIngress"]


@pytest.mark.parametrize(("code", "status"), [("Unavailable", 503), ("InvalidPermission.Duplicate", 400)])
def test_a_lost_authorize_answer_counts_as_done_when_the_rule_is_there(ec2, monkeypatch, capsys, sent, code, status):
    described(ec2[1], [], [HTTPS_OUT])
    ec2[1].add_client_error("authorize_security_group_ingress", code, http_status_code=status)
    described(ec2[1], [APP_IN], [HTTPS_OUT])  # the look: there
    result, code = run(ec2, monkeypatch, capsys)
    assert code == 0, result
    assert [op for op, _params in writes(sent)] == ["AuthorizeSecurityGroupIngress"]


def test_a_refused_authorize_whose_rule_is_not_there_fails(ec2, monkeypatch, capsys, sent):
    described(ec2[1], [], [HTTPS_OUT])
    ec2[1].add_client_error("authorize_security_group_ingress", "InvalidPermission.Duplicate", http_status_code=400)
    for _look in range(5):  # at once, then after each settle pause
        described(ec2[1], [], [HTTPS_OUT])
    result, code = run(ec2, monkeypatch, capsys)
    assert code == 1
    assert "AuthorizeSecurityGroupIngress failed for security group " + GROUP in result["msg"]

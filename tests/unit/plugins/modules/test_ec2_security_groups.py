"""ec2_security_groups against a botocore Stubber: the groups of a VPC read with one call, the missing ones
created tagged at birth (once, even after a lost answer), the rules of each set exactly (unwanted ones
revoked first, a description changed in place), a differing group description refused; the diff names,
per group, only what differs (a rule added behind our back is one line of it).

The rule tests come from ec2_security_group_rules (issue 13), which this module replaces: each keeps its
assertions, on the group's entry of the diff and of the result.

Every request is checked against the EC2 API model and its expected parameters; every reply against
the model. A request nobody queued fails, and the Stubber must be drained.
"""

import pytest
from ansible_collections.finproc.dr.plugins.modules import ec2_security_groups as module
from aws_stub import run_module, writes

VPC = "vpc-1"
APP, ALB_NAME = "finproc-dev-app", "finproc-dev-alb"
GROUP, ALB = "sg-0123456789abcdef0", "sg-0fedcba9876543210"
APP_DESCRIPTION = "finproc-dev application: the app port from the ALB only"
ALB_DESCRIPTION = "finproc-dev load balancer: HTTPS from anywhere"
APP_TAGS = {"Name": APP, "finproc:stack": "finproc-dev"}
ALB_TAGS = {"Name": ALB_NAME, "finproc:stack": "finproc-dev"}
APP_SPEC = {
    "name": APP,
    "description": APP_DESCRIPTION,
    "tags": APP_TAGS,
    "rules": [{"proto": "tcp", "from_port": 8080, "group_id": ALB, "description": "From the load balancer only"}],
    "rules_egress": [{"proto": "tcp", "from_port": 443, "cidr_ip": "0.0.0.0/0", "description": "HTTPS out"}],
}
ARGS = {"vpc_id": VPC, "groups": [APP_SPEC]}
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
ALL_OUT_SENT = {"IpProtocol": "-1", "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}

# Both groups, as the role lists them: each names the other by group_name.
ALB_SPEC = {
    "name": ALB_NAME,
    "description": ALB_DESCRIPTION,
    "tags": ALB_TAGS,
    "rules": [{"proto": "tcp", "from_port": 443, "cidr_ip": "0.0.0.0/0", "description": "HTTPS from anywhere"}],
    "rules_egress": [{"proto": "tcp", "from_port": 8080, "group_name": APP, "description": "To the app only"}],
}
APP_BY_NAME = dict(
    APP_SPEC,
    rules=[{"proto": "tcp", "from_port": 8080, "group_name": ALB_NAME, "description": "From the load balancer only"}],
)
BOTH = {"vpc_id": VPC, "groups": [ALB_SPEC, APP_BY_NAME]}
ALB_IN = {"IpProtocol": "tcp", "FromPort": 443, "ToPort": 443, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}
ALB_IN["IpRanges"][0]["Description"] = "HTTPS from anywhere"
ALB_OUT = {
    "IpProtocol": "tcp",
    "FromPort": 8080,
    "ToPort": 8080,
    "UserIdGroupPairs": [{"GroupId": GROUP, "UserId": "123456789012", "Description": "To the app only"}],
}


def tag_list(tags):
    return [{"Key": key, "Value": value} for key, value in sorted(tags.items())]


def group(name=APP, group_id=GROUP, ingress=(), egress=(), description=APP_DESCRIPTION, tags=None):
    return {
        "GroupId": group_id,
        "GroupName": name,
        "Description": description,
        "VpcId": VPC,
        "OwnerId": "123456789012",
        "IpPermissions": list(ingress),
        "IpPermissionsEgress": list(egress),
        "Tags": tag_list(APP_TAGS if tags is None else tags),
    }


def by_names(*names):
    return {"Filters": [{"Name": "vpc-id", "Values": [VPC]}, {"Name": "group-name", "Values": list(names)}]}


def listed(stub, groups, names=(APP,)):
    """One DescribeSecurityGroups of the VPC's groups named `names` (the module's read)."""
    stub.add_response("describe_security_groups", {"SecurityGroups": list(groups)}, by_names(*names))


def described(stub, ingress, egress):
    """The APP group as the module reads it (by VPC and name)."""
    listed(stub, [group(ingress=ingress, egress=egress)])


def looked_up(stub, ingress, egress):
    """The APP group read again by ID (after a lost answer of a rule write)."""
    reply = {"SecurityGroups": [group(ingress=ingress, egress=egress)]}
    stub.add_response("describe_security_groups", reply, {"GroupIds": [GROUP]})


pytestmark = pytest.mark.usefixtures("instant_backoff")


@pytest.fixture
def sent(ec2_sent):
    return ec2_sent


def run(ec2, monkeypatch, capsys, args=None, **kw):
    return run_module(module.main, dict(args or ARGS), ec2[0], monkeypatch, capsys, **kw)


# -- the rules (moved from test_ec2_security_group_rules.py) ----------------------------------------
def test_a_converged_group_is_read_once_and_left_alone(ec2, monkeypatch, capsys, sent):
    described(ec2[1], [APP_IN], [HTTPS_OUT])
    result, code = run(ec2, monkeypatch, capsys, diff=True)
    assert code == 0, result
    assert result["changed"] is False
    assert result["diff"] == {"before": {}, "after": {}}
    assert result["groups"][APP]["rules"] == {"tcp 8080 " + ALB: "From the load balancer only"}
    assert writes(sent) == []
    assert [op for op, _params in sent] == ["DescribeSecurityGroups"]


@pytest.mark.parametrize("both", [False, True], ids=["app-group-alone", "both-groups"])
def test_a_rule_added_behind_our_back_is_the_only_difference_check_mode_shows(ec2, monkeypatch, capsys, sent, both):
    if both:
        groups = both_converged()
        groups[1]["IpPermissions"].append(ROGUE)
        listed(ec2[1], groups, (ALB_NAME, APP))
    else:
        described(ec2[1], [APP_IN, ROGUE], [HTTPS_OUT])
    result, code = run(ec2, monkeypatch, capsys, BOTH if both else ARGS, check_mode=True, diff=True)
    assert code == 0, result
    assert result["changed"] is True
    # The inbound rules only (the outbound ones do not differ), and in them only the rogue rule, on its
    # group (not on the other group, which does not differ).
    assert result["diff"] == {
        "before": {APP: {"rules": {"tcp 22 10.0.0.0/8": "", "tcp 8080 " + ALB: "From the load balancer only"}}},
        "after": {APP: {"rules": {"tcp 8080 " + ALB: "From the load balancer only"}}},
    }
    assert writes(sent) == []


def test_a_rule_added_behind_our_back_is_revoked_alone(ec2, monkeypatch, capsys, sent):
    described(ec2[1], [APP_IN, ROGUE], [HTTPS_OUT])
    revoked = {"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "IpRanges": [{"CidrIp": "10.0.0.0/8"}]}
    ec2[1].add_response(
        "revoke_security_group_ingress", {"Return": True}, {"GroupId": GROUP, "IpPermissions": [revoked]}
    )
    described(ec2[1], [APP_IN], [HTTPS_OUT])  # the group after the run, returned
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
        {"GroupId": GROUP, "IpPermissions": [ALL_OUT_SENT]},
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
    described(ec2[1], [APP_IN], [HTTPS_OUT])
    result, code = run(ec2, monkeypatch, capsys, diff=True)
    assert code == 0, result
    assert [op for op, _params in writes(sent)] == [
        "AuthorizeSecurityGroupIngress",
        "RevokeSecurityGroupEgress",
        "AuthorizeSecurityGroupEgress",
    ]
    assert result["diff"]["before"][APP]["rules_egress"] == {"all 0.0.0.0/0": ""}


def test_a_description_changed_behind_our_back_is_set_back_in_place(ec2, monkeypatch, capsys, sent):
    renamed = dict(HTTPS_OUT, IpRanges=[{"CidrIp": "0.0.0.0/0", "Description": "rogue"}])
    described(ec2[1], [APP_IN], [renamed])
    ec2[1].add_response(
        "update_security_group_rule_descriptions_egress",
        {"Return": True},
        {"GroupId": GROUP, "IpPermissions": [HTTPS_OUT]},
    )
    described(ec2[1], [APP_IN], [HTTPS_OUT])
    result, code = run(ec2, monkeypatch, capsys, diff=True)
    assert code == 0, result
    assert result["diff"] == {
        "before": {APP: {"rules_egress": {"tcp 443 0.0.0.0/0": "rogue"}}},
        "after": {APP: {"rules_egress": {"tcp 443 0.0.0.0/0": "HTTPS out"}}},
    }
    assert [op for op, _params in writes(sent)] == ["UpdateSecurityGroupRuleDescriptionsEgress"]


def test_without_purge_an_unlisted_rule_stays(ec2, monkeypatch, capsys, sent):
    described(ec2[1], [APP_IN, ROGUE], [HTTPS_OUT])
    result, code = run(ec2, monkeypatch, capsys, dict(ARGS, purge_rules=False))
    assert code == 0, result
    assert result["changed"] is False
    assert writes(sent) == []


def test_check_mode_in_a_vpc_still_to_be_created_reports_its_groups_and_calls_nothing(ec2, monkeypatch, capsys, sent):
    result, code = run(ec2, monkeypatch, capsys, dict(ARGS, vpc_id=""), check_mode=True, diff=True)
    assert code == 0, result
    assert result["changed"] is True
    assert result["diff"]["before"] == {}
    assert result["diff"]["after"][APP]["rules"] == {"tcp 8080 " + ALB: "From the load balancer only"}
    assert sent == []


def test_an_empty_vpc_id_fails_outside_check_mode(ec2, monkeypatch, capsys, sent):
    result, code = run(ec2, monkeypatch, capsys, dict(ARGS, vpc_id=""))
    assert code == 1
    assert "vpc_id is empty" in result["msg"]
    assert sent == []


@pytest.mark.parametrize(
    "rule, message",
    [
        ({"proto": "gre", "cidr_ip": "10.0.0.0/8"}, "proto must be tcp, udp, icmp or all"),
        ({"proto": "tcp", "from_port": 22}, "give exactly one of cidr_ip and group_id"),
        ({"proto": "tcp", "cidr_ip": "10.0.0.0/8"}, "from_port is required for tcp"),
        ({"proto": "tcp", "from_port": 22, "group_name": "elsewhere"}, "group_name elsewhere is not a group of"),
        ({"proto": "tcp", "from_port": 22, "group_name": APP, "cidr_ip": "10.0.0.0/8"}, "give exactly one of"),
    ],
)
def test_bad_rules_fail_before_any_aws_call(ec2, monkeypatch, capsys, sent, rule, message):
    result, code = run(ec2, monkeypatch, capsys, dict(ARGS, groups=[dict(APP_SPEC, rules=[rule])]))
    assert code == 1
    assert message in result["msg"] and "rules[0]" in result["msg"] and APP in result["msg"]
    assert sent == []


def test_a_group_listed_twice_fails_before_any_aws_call(ec2, monkeypatch, capsys, sent):
    result, code = run(ec2, monkeypatch, capsys, dict(ARGS, groups=[APP_SPEC, APP_SPEC]))
    assert code == 1
    assert "the name %s is listed 2 times" % APP in result["msg"]
    assert sent == []


@pytest.mark.parametrize(("code", "status"), [("InternalError", 500), ("InvalidPermission.NotFound", 400)])
def test_a_lost_revoke_answer_counts_as_done_when_the_rule_is_gone(ec2, monkeypatch, capsys, sent, code, status):
    """The retry of a revoke carried out is refused (InvalidPermission.NotFound) and a 5xx may hide a revoke
    carried out: the group is read, the rule is gone, the run goes on; ONE revoke."""
    described(ec2[1], [APP_IN, ROGUE], [HTTPS_OUT])
    ec2[1].add_client_error("revoke_security_group_ingress", code, http_status_code=status)
    looked_up(ec2[1], [APP_IN], [HTTPS_OUT])  # the look: gone
    described(ec2[1], [APP_IN], [HTTPS_OUT])
    result, code = run(ec2, monkeypatch, capsys)
    assert code == 0, result
    assert [op for op, _params in writes(sent)] == ["RevokeSecurityGroupIngress"]


@pytest.mark.parametrize(("code", "status"), [("Unavailable", 503), ("InvalidPermission.Duplicate", 400)])
def test_a_lost_authorize_answer_counts_as_done_when_the_rule_is_there(ec2, monkeypatch, capsys, sent, code, status):
    described(ec2[1], [], [HTTPS_OUT])
    ec2[1].add_client_error("authorize_security_group_ingress", code, http_status_code=status)
    looked_up(ec2[1], [APP_IN], [HTTPS_OUT])  # the look: there
    described(ec2[1], [APP_IN], [HTTPS_OUT])
    result, code = run(ec2, monkeypatch, capsys)
    assert code == 0, result
    assert [op for op, _params in writes(sent)] == ["AuthorizeSecurityGroupIngress"]


def test_a_refused_authorize_whose_rule_is_not_there_fails(ec2, monkeypatch, capsys, sent):
    described(ec2[1], [], [HTTPS_OUT])
    ec2[1].add_client_error("authorize_security_group_ingress", "InvalidPermission.Duplicate", http_status_code=400)
    for _look in range(5):  # at once, then after each settle pause
        looked_up(ec2[1], [], [HTTPS_OUT])
    result, code = run(ec2, monkeypatch, capsys)
    assert code == 1
    assert "AuthorizeSecurityGroupIngress failed for security group " + GROUP in result["msg"]


# -- the groups ----------------------------------------------------------------------------------
def create_request(name, description, tags):
    return {
        "GroupName": name,
        "Description": description,
        "VpcId": VPC,
        "TagSpecifications": [{"ResourceType": "security-group", "Tags": tag_list(tags)}],
    }


def created(stub, name, group_id, description, tags):
    reply = {"GroupId": group_id, "Tags": tag_list(tags)}
    stub.add_response("create_security_group", reply, create_request(name, description, tags))


def both_converged():
    return [
        group(ALB_NAME, ALB, [ALB_IN], [ALB_OUT], ALB_DESCRIPTION, ALB_TAGS),
        group(ingress=[APP_IN], egress=[HTTPS_OUT]),
    ]


def test_both_groups_are_created_tagged_at_birth_and_lose_their_default_egress(ec2, monkeypatch, capsys, sent):
    stub = ec2[1]
    listed(stub, [], (ALB_NAME, APP))
    created(stub, ALB_NAME, ALB, ALB_DESCRIPTION, ALB_TAGS)
    created(stub, APP, GROUP, APP_DESCRIPTION, APP_TAGS)
    born = [
        group(ALB_NAME, ALB, [], [ALL_OUT], ALB_DESCRIPTION, ALB_TAGS),
        group(APP, GROUP, [], [ALL_OUT]),
    ]
    listed(stub, born, (ALB_NAME, APP))  # both made are listed
    https_in = {"IpProtocol": "tcp", "FromPort": 443, "ToPort": 443, "IpRanges": [ALB_IN["IpRanges"][0]]}
    to_app = {
        "IpProtocol": "tcp",
        "FromPort": 8080,
        "ToPort": 8080,
        "UserIdGroupPairs": [{"GroupId": GROUP, "Description": "To the app only"}],
    }
    from_alb = {
        "IpProtocol": "tcp",
        "FromPort": 8080,
        "ToPort": 8080,
        "UserIdGroupPairs": [{"GroupId": ALB, "Description": "From the load balancer only"}],
    }
    for group_id, ingress, egress in ((ALB, https_in, to_app), (GROUP, from_alb, HTTPS_OUT)):
        stub.add_response("authorize_security_group_ingress", {}, {"GroupId": group_id, "IpPermissions": [ingress]})
        stub.add_response("revoke_security_group_egress", {}, {"GroupId": group_id, "IpPermissions": [ALL_OUT_SENT]})
        stub.add_response("authorize_security_group_egress", {}, {"GroupId": group_id, "IpPermissions": [egress]})
    listed(stub, both_converged(), (ALB_NAME, APP))
    result, code = run(ec2, monkeypatch, capsys, BOTH, diff=True)
    assert code == 0, result
    assert result["changed"] is True
    assert [op for op, _params in writes(sent)] == [
        "CreateSecurityGroup",
        "CreateSecurityGroup",
        "AuthorizeSecurityGroupIngress",
        "RevokeSecurityGroupEgress",
        "AuthorizeSecurityGroupEgress",
        "AuthorizeSecurityGroupIngress",
        "RevokeSecurityGroupEgress",
        "AuthorizeSecurityGroupEgress",
    ]
    assert not [op for op, _params in sent if op == "CreateTags"]  # tagged at birth
    assert result["group_ids"] == {ALB_NAME: ALB, APP: GROUP}
    assert result["diff"]["before"] == {}
    assert result["diff"]["after"][APP] == {
        "description": APP_DESCRIPTION,
        "tags": APP_TAGS,
        "rules": {"tcp 8080 " + ALB: "From the load balancer only"},
        "rules_egress": {"tcp 443 0.0.0.0/0": "HTTPS out"},
    }
    assert result["security_groups"][APP]["group_id"] == GROUP


def test_both_groups_converged_are_read_with_one_call_and_left_alone(ec2, monkeypatch, capsys, sent):
    listed(ec2[1], both_converged(), (ALB_NAME, APP))
    result, code = run(ec2, monkeypatch, capsys, BOTH, diff=True)
    assert code == 0, result
    assert result["changed"] is False
    assert [op for op, _params in sent] == ["DescribeSecurityGroups"]
    assert result["diff"] == {"before": {}, "after": {}}
    assert result["group_ids"] == {ALB_NAME: ALB, APP: GROUP}
    assert result["groups"][ALB_NAME] == {
        "group_id": ALB,
        "description": ALB_DESCRIPTION,
        "tags": ALB_TAGS,
        "rules": {"tcp 443 0.0.0.0/0": "HTTPS from anywhere"},
        "rules_egress": {"tcp 8080 " + GROUP: "To the app only"},
    }
    assert result["security_groups"][ALB_NAME]["tags"] == ALB_TAGS
    assert result["security_groups"][APP]["ip_permissions_egress"][0]["from_port"] == 443


def test_a_tag_changed_behind_our_back_is_set_back(ec2, monkeypatch, capsys, sent):
    groups = both_converged()
    groups[0]["Tags"] = tag_list(dict(ALB_TAGS, Name="rogue"))
    listed(ec2[1], groups, (ALB_NAME, APP))
    ec2[1].add_response("create_tags", {}, {"Resources": [ALB], "Tags": [{"Key": "Name", "Value": ALB_NAME}]})
    listed(ec2[1], both_converged(), (ALB_NAME, APP))
    result, code = run(ec2, monkeypatch, capsys, BOTH, diff=True)
    assert code == 0, result
    assert result["diff"] == {
        "before": {ALB_NAME: {"tags": dict(ALB_TAGS, Name="rogue")}},
        "after": {ALB_NAME: {"tags": ALB_TAGS}},
    }
    assert [op for op, _params in writes(sent)] == ["CreateTags"]


def test_a_differing_description_fails_before_any_write_naming_the_group_and_both(ec2, monkeypatch, capsys, sent):
    listed(ec2[1], [group(ingress=[APP_IN], egress=[HTTPS_OUT], description="made by hand")])
    result, code = run(ec2, monkeypatch, capsys)
    assert code == 1
    assert "security group %s (%s)" % (APP, GROUP) in result["msg"]
    assert "'made by hand'" in result["msg"] and repr(APP_DESCRIPTION) in result["msg"]
    assert "cannot change a security group's description" in result["msg"]
    assert writes(sent) == []


def test_a_differing_description_in_check_mode_fails_as_the_run_would(ec2, monkeypatch, capsys, sent):
    """--check tells the truth: no run can change a description, so check mode does not show it as a change."""
    listed(ec2[1], [group(ingress=[APP_IN], egress=[HTTPS_OUT], description="made by hand")])
    result, code = run(ec2, monkeypatch, capsys, check_mode=True, diff=True)
    assert code == 1, result
    assert "security group %s (%s)" % (APP, GROUP) in result["msg"]
    assert "'made by hand'" in result["msg"] and repr(APP_DESCRIPTION) in result["msg"]
    assert writes(sent) == []


@pytest.mark.parametrize(
    ("code", "status", "found_tags"),
    [("InternalError", 500, APP_TAGS), ("InvalidGroup.Duplicate", 400, APP_TAGS), ("InternalError", 500, {})],
    ids=["5xx", "duplicate", "5xx, found without our tags"],
)
def test_a_lost_create_answer_adopts_the_group_made_and_never_makes_a_second(
    ec2, monkeypatch, capsys, sent, code, status, found_tags
):
    """CreateSecurityGroup has no client token: after a 5xx (outcome unknown) or the refusal of a retry
    (InvalidGroup.Duplicate: the first call's group holds the name), the group is looked up by VPC and
    name; found, it is adopted: ONE CreateSecurityGroup. The group found was not necessarily tagged by
    this call (another run's, cut off): its tags are set like an existing group's."""
    stub = ec2[1]
    listed(stub, [])
    request = create_request(APP, APP_DESCRIPTION, APP_TAGS)
    stub.add_client_error("create_security_group", code, http_status_code=status, expected_params=request)
    found = group(egress=[ALL_OUT], tags=found_tags)
    listed(stub, [found])  # the look: the first call's group
    listed(stub, [found])  # the groups made, listed
    if found_tags != APP_TAGS:
        stub.add_response("create_tags", {}, {"Resources": [GROUP], "Tags": tag_list(APP_TAGS)})
    stub.add_response("authorize_security_group_ingress", {}, None)
    stub.add_response("revoke_security_group_egress", {}, {"GroupId": GROUP, "IpPermissions": [ALL_OUT_SENT]})
    stub.add_response("authorize_security_group_egress", {}, None)
    described(stub, [APP_IN], [HTTPS_OUT])
    result, code = run(ec2, monkeypatch, capsys)
    assert code == 0, result
    operations = [op for op, _params in writes(sent)]
    assert operations.count("CreateSecurityGroup") == 1
    assert ("CreateTags" in operations) == (found_tags != APP_TAGS)
    assert result["group_ids"] == {APP: GROUP}
    stub.assert_no_pending_responses()


def test_a_revoke_answered_with_unknown_rules_still_there_fails(ec2, monkeypatch, capsys, sent):
    """In a default VPC a revoke that matches no rule answers without error, naming the rules it did not
    revoke (UnknownIpPermissions): the group is read, and the rule still there fails the run."""
    stub = ec2[1]
    extra = {"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "IpRanges": [{"CidrIp": "10.0.0.0/8"}]}
    listed(stub, [group(ingress=[APP_IN, extra], egress=[HTTPS_OUT])])
    stub.add_response("revoke_security_group_ingress", {"Return": True, "UnknownIpPermissions": [extra]}, None)
    looked_up(stub, [APP_IN, extra], [HTTPS_OUT])  # read as AWS recommends: the rule is still there
    result, code = run(ec2, monkeypatch, capsys)
    assert code == 1, result
    assert "UnknownIpPermissions" in result["msg"] and "tcp 22 10.0.0.0/8" in result["msg"]


def test_check_mode_on_an_empty_vpc_shows_both_groups_to_be_created_with_rules_by_name(ec2, monkeypatch, capsys, sent):
    listed(ec2[1], [], (ALB_NAME, APP))
    result, code = run(ec2, monkeypatch, capsys, BOTH, check_mode=True, diff=True)
    assert code == 0, result
    assert result["changed"] is True
    assert [op for op, _params in sent] == ["DescribeSecurityGroups"]
    assert result["diff"]["before"] == {}
    assert result["diff"]["after"] == {
        ALB_NAME: {
            "description": ALB_DESCRIPTION,
            "tags": ALB_TAGS,
            "rules": {"tcp 443 0.0.0.0/0": "HTTPS from anywhere"},
            "rules_egress": {"tcp 8080 " + APP: "To the app only"},
        },
        APP: {
            "description": APP_DESCRIPTION,
            "tags": APP_TAGS,
            "rules": {"tcp 8080 " + ALB_NAME: "From the load balancer only"},
            "rules_egress": {"tcp 443 0.0.0.0/0": "HTTPS out"},
        },
    }
    assert result["group_ids"] == {}
    assert result["groups"][APP]["group_id"] == ""

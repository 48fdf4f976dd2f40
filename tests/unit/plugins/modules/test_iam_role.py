"""iam_role against a botocore Stubber (every request and reply checked against the IAM model).

IAM returns policy documents URL-encoded ("Policies returned by this operation are URL-encoded compliant
with RFC 3986", https://docs.aws.amazon.com/IAM/latest/APIReference/API_GetRolePolicy.html): the stubbed
replies carry them so, and botocore's own after-call handler decodes them, as with AWS.
"""

import datetime
import json
from urllib.parse import quote

import pytest
from aws_stub import record_requests, run_module

from ansible_collections.finproc.dr.plugins.modules import iam_role

ACCOUNT = "123456789012"
NAME = "finproc-dev-monitor-us-east-2"
ARN = f"arn:aws:iam::{ACCOUNT}:role/{NAME}"
TAGS = {"Name": NAME, "finproc:stack": "finproc-dev", "CostCenter": "CC-1"}
TRUST = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}],
}
POLICY = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Sid": "Metrics",
            "Effect": "Allow",
            "Action": ["cloudwatch:PutMetricData"],
            "Resource": "*",
            "Condition": {"StringEquals": {"cloudwatch:namespace": "finproc/dev/dr"}},
        },
        {"Sid": "Logs", "Effect": "Allow", "Action": ["logs:CreateLogStream", "logs:PutLogEvents"], "Resource": "*"},
    ],
}
ARGS = {
    "name": NAME,
    "description": "The health monitor of finproc-dev in us-east-2",
    "assume_role_policy_document": json.dumps(TRUST),
    "inline_policies": {"health-monitor": json.dumps(POLICY)},
    "tags": TAGS,
}
WRITES = (
    "CreateRole",
    "UpdateAssumeRolePolicy",
    "UpdateRole",
    "TagRole",
    "UntagRole",
    "PutRolePolicy",
    "DeleteRolePolicy",
    "AttachRolePolicy",
    "DetachRolePolicy",
    "DeleteRole",
)


def encoded(document):
    return quote(json.dumps(document))


def tag_list(tags):
    return [{"Key": key, "Value": value} for key, value in sorted(tags.items())]


def role(trust=None, tags=None, description=None, **more):
    found = {
        "Path": "/",
        "RoleName": NAME,
        "RoleId": "AROAEXAMPLEEXAMPLE1234",
        "Arn": ARN,
        "CreateDate": datetime.datetime(2026, 1, 1, tzinfo=datetime.timezone.utc),
        "AssumeRolePolicyDocument": encoded(TRUST if trust is None else trust),
        "Description": ARGS["description"] if description is None else description,
        "MaxSessionDuration": 3600,
        "Tags": tag_list(TAGS if tags is None else tags),
    }
    found.update(more)
    return found


def expect_read(stub, found=None, policies=None, attached=()):
    """GetRole, ListRolePolicies, GetRolePolicy per policy, ListAttachedRolePolicies."""
    stub.add_response("get_role", {"Role": found or role()}, {"RoleName": NAME})
    policies = {"health-monitor": POLICY} if policies is None else policies
    stub.add_response("list_role_policies", {"PolicyNames": sorted(policies), "IsTruncated": False}, {"RoleName": NAME})
    for name in sorted(policies):
        stub.add_response(
            "get_role_policy",
            {"RoleName": NAME, "PolicyName": name, "PolicyDocument": encoded(policies[name])},
            {"RoleName": NAME, "PolicyName": name},
        )
    stub.add_response(
        "list_attached_role_policies",
        {"AttachedPolicies": [{"PolicyName": a.rsplit("/", 1)[-1], "PolicyArn": a} for a in attached],
         "IsTruncated": False},
        {"RoleName": NAME},
    )  # fmt: skip


def expect_no_role(stub):
    stub.add_client_error(
        "get_role", service_error_code="NoSuchEntity", http_status_code=404, expected_params={"RoleName": NAME}
    )


CREATE_ROLE = {
    "RoleName": NAME,
    "Path": "/",
    "AssumeRolePolicyDocument": ARGS["assume_role_policy_document"],
    "Description": ARGS["description"],
    "Tags": tag_list(TAGS),
}
PUT_POLICY = {
    "RoleName": NAME,
    "PolicyName": "health-monitor",
    "PolicyDocument": ARGS["inline_policies"]["health-monitor"],
}


def run(iam, monkeypatch, capsys, args=None, **kw):
    monkeypatch.setattr("time.sleep", lambda seconds: None)
    return run_module(iam_role.main, ARGS if args is None else args, iam[0], monkeypatch, capsys, **kw)


def writes(calls):
    return [name for name, _params in calls if name in WRITES]


def test_creates_the_role_with_its_tags_then_its_inline_policy(iam, monkeypatch, capsys):
    client, stub = iam
    calls = record_requests(client)
    expect_no_role(stub)
    stub.add_response("create_role", {"Role": role()}, CREATE_ROLE)
    stub.add_response("put_role_policy", {}, PUT_POLICY)
    result, code = run(iam, monkeypatch, capsys, diff=True)
    assert code == 0, result
    assert result["changed"] is True
    assert writes(calls) == ["CreateRole", "PutRolePolicy"]
    assert [name for name, _params in calls] == ["GetRole", "CreateRole", "PutRolePolicy"]
    assert result["iam_role"]["arn"] == ARN
    assert result["iam_role"]["tags"] == TAGS
    assert result["iam_role"]["assume_role_policy_document"] == TRUST
    assert result["iam_role"]["inline_policies"] == {"health-monitor": POLICY}
    assert result["iam_role"]["managed_policy_arns"] == []
    assert result["diff"]["before"] == {}
    assert result["diff"]["after"]["inline_policies"] == {"health-monitor": POLICY}
    assert result["diff"]["after"]["tags"] == TAGS


def test_a_converged_role_costs_four_reads_and_no_write(iam, monkeypatch, capsys):
    client, stub = iam
    calls = record_requests(client)
    expect_read(stub)
    result, code = run(iam, monkeypatch, capsys, diff=True)
    assert code == 0, result
    assert result["changed"] is False
    assert [name for name, _params in calls] == [
        "GetRole",
        "ListRolePolicies",
        "GetRolePolicy",
        "ListAttachedRolePolicies",
    ]
    assert result["diff"] == {"before": {}, "after": {}}
    assert result["iam_role"]["arn"] == ARN
    assert result["iam_role"]["role_name"] == NAME


def test_the_same_policies_written_otherwise_are_no_change(iam, monkeypatch, capsys):
    """Statement order, a one-item list and its value, key order: compared as amazon.aws compares them."""
    client, stub = iam
    calls = record_requests(client)
    reordered = {"Version": "2012-10-17", "Statement": list(reversed(POLICY["Statement"]))}
    trust = {"Statement": [dict(TRUST["Statement"][0], Action=["sts:AssumeRole"])], "Version": "2012-10-17"}
    expect_read(stub, found=role(trust=trust), policies={"health-monitor": reordered})
    result, code = run(iam, monkeypatch, capsys)
    assert code == 0, result
    assert result["changed"] is False and writes(calls) == []


def test_trust_policy_drift_is_exactly_the_diff_in_check_mode_then_repaired(iam, monkeypatch, capsys):
    client, stub = iam
    calls = record_requests(client)
    wider = {"Version": "2012-10-17", "Statement": [dict(TRUST["Statement"][0], Principal={"AWS": "*"})]}
    expect_read(stub, found=role(trust=wider))
    result, code = run(iam, monkeypatch, capsys, check_mode=True, diff=True)
    assert code == 0, result
    assert result["changed"] is True and writes(calls) == []
    assert result["diff"] == {
        "before": {"assume_role_policy_document": wider},
        "after": {"assume_role_policy_document": TRUST},
    }
    expect_read(stub, found=role(trust=wider))
    stub.add_response(
        "update_assume_role_policy", {}, {"RoleName": NAME, "PolicyDocument": ARGS["assume_role_policy_document"]}
    )
    expect_read(stub)
    result, code = run(iam, monkeypatch, capsys)
    assert code == 0, result
    assert writes(calls) == ["UpdateAssumeRolePolicy"]
    assert result["iam_role"]["assume_role_policy_document"] == TRUST


def test_an_extra_inline_policy_is_deleted_and_shown_by_name(iam, monkeypatch, capsys):
    client, stub = iam
    calls = record_requests(client)
    extra = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]}
    expect_read(stub, policies={"health-monitor": POLICY, "added-by-hand": extra})
    stub.add_response("delete_role_policy", {}, {"RoleName": NAME, "PolicyName": "added-by-hand"})
    expect_read(stub)
    result, code = run(iam, monkeypatch, capsys, diff=True)
    assert code == 0, result
    assert writes(calls) == ["DeleteRolePolicy"]
    assert result["diff"] == {
        "before": {"inline_policies": {"added-by-hand": extra}},
        "after": {"inline_policies": {}},
    }


def test_a_changed_policy_is_put_back_and_only_it_is_in_the_diff(iam, monkeypatch, capsys):
    client, stub = iam
    calls = record_requests(client)
    other = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sns:Publish", "Resource": "*"}]}
    args = dict(ARGS, inline_policies={"health-monitor": json.dumps(POLICY), "notify": json.dumps(other)})
    widened = {"Version": "2012-10-17", "Statement": [dict(POLICY["Statement"][0], Resource="*", Condition={})]}
    expect_read(stub, policies={"health-monitor": widened, "notify": other})
    stub.add_response("put_role_policy", {}, PUT_POLICY)
    expect_read(stub, policies={"health-monitor": POLICY, "notify": other})
    result, code = run(iam, monkeypatch, capsys, args=args, diff=True)
    assert code == 0, result
    assert writes(calls) == ["PutRolePolicy"]
    assert result["diff"] == {
        "before": {"inline_policies": {"health-monitor": widened}},
        "after": {"inline_policies": {"health-monitor": POLICY}},
    }


def test_tags_description_and_a_managed_policy_attached_by_hand_are_repaired(iam, monkeypatch, capsys):
    client, stub = iam
    calls = record_requests(client)
    admin = "arn:aws:iam::aws:policy/AdministratorAccess"
    drifted = role(tags=dict(TAGS, Owner="someone", CostCenter="CC-9"), description="changed")
    expect_read(stub, found=drifted, attached=[admin])
    stub.add_response("update_role", {}, {"RoleName": NAME, "Description": ARGS["description"]})
    stub.add_response("untag_role", {}, {"RoleName": NAME, "TagKeys": ["Owner"]})
    stub.add_response("tag_role", {}, {"RoleName": NAME, "Tags": [{"Key": "CostCenter", "Value": "CC-1"}]})
    stub.add_response("detach_role_policy", {}, {"RoleName": NAME, "PolicyArn": admin})
    expect_read(stub)
    # The roles of the stack list their managed policies completely: none.
    result, code = run(iam, monkeypatch, capsys, dict(ARGS, managed_policy_arns=[]), diff=True)
    assert code == 0, result
    assert writes(calls) == ["UpdateRole", "UntagRole", "TagRole", "DetachRolePolicy"]
    assert result["diff"]["before"]["managed_policy_arns"] == [admin]
    assert result["diff"]["after"]["managed_policy_arns"] == []
    assert set(result["diff"]["before"]) == {"description", "managed_policy_arns", "tags"}


def test_without_managed_policy_arns_the_attached_policies_are_left_alone(iam, monkeypatch, capsys):
    """As amazon.aws.iam_role without managed_policies: only a listed set (even []) is complete."""
    client, stub = iam
    calls = record_requests(client)
    guardrail = "arn:aws:iam::123456789012:policy/deny-guardrail"
    expect_read(stub, attached=[guardrail])
    result, code = run(iam, monkeypatch, capsys, diff=True)
    assert code == 0, result
    assert result["changed"] is False
    assert writes(calls) == []


def test_a_lost_create_role_answer_adopts_the_role_it_made_and_sends_no_second_create(iam, monkeypatch, capsys):
    """CreateRole takes no client token: after a 500, the role is looked up by name; it is ours (our trust
    policy and identity tags): adopted, its policy put. ONE CreateRole, no error."""
    client, stub = iam
    calls = record_requests(client)
    expect_no_role(stub)
    stub.add_client_error(
        "create_role", service_error_code="ServiceFailure", http_status_code=500, expected_params=CREATE_ROLE
    )
    stub.add_response("get_role", {"Role": role()}, {"RoleName": NAME})
    stub.add_response("list_role_policies", {"PolicyNames": [], "IsTruncated": False}, {"RoleName": NAME})
    stub.add_response("list_attached_role_policies", {"AttachedPolicies": [], "IsTruncated": False}, {"RoleName": NAME})
    stub.add_response("put_role_policy", {}, PUT_POLICY)
    result, code = run(iam, monkeypatch, capsys)
    assert code == 0, result
    assert writes(calls) == ["CreateRole", "PutRolePolicy"]
    assert result["changed"] is True
    assert result["iam_role"]["arn"] == ARN


def test_entity_already_exists_for_a_role_that_is_not_ours_fails_clearly_and_changes_nothing(iam, monkeypatch, capsys):
    client, stub = iam
    calls = record_requests(client)
    expect_no_role(stub)
    stub.add_client_error(
        "create_role", service_error_code="EntityAlreadyExists", http_status_code=409, expected_params=CREATE_ROLE
    )
    theirs = role(
        trust={
            "Version": "2012-10-17",
            "Statement": [dict(TRUST["Statement"][0], Principal={"Service": "ec2.amazonaws.com"})],
        },
        tags={"Name": NAME, "finproc:stack": "payments-prod"},
    )
    stub.add_response("get_role", {"Role": theirs}, {"RoleName": NAME})
    result, code = run(iam, monkeypatch, capsys)
    assert code == 1
    assert "exists that this module did not make" in result["msg"]
    assert "finproc:stack=payments-prod" in result["msg"]
    assert "its trust policy is not ours" in result["msg"]
    assert "nothing was changed" in result["msg"]
    assert writes(calls) == ["CreateRole"]


def test_entity_already_exists_for_our_role_adopts_it(iam, monkeypatch, capsys):
    """Another run of ours made it between our GetRole and CreateRole: ours, adopted."""
    client, stub = iam
    calls = record_requests(client)
    expect_no_role(stub)
    stub.add_client_error(
        "create_role", service_error_code="EntityAlreadyExists", http_status_code=409, expected_params=CREATE_ROLE
    )
    stub.add_response("get_role", {"Role": role()}, {"RoleName": NAME})
    stub.add_response(
        "list_role_policies", {"PolicyNames": ["health-monitor"], "IsTruncated": False}, {"RoleName": NAME}
    )
    stub.add_response(
        "get_role_policy",
        {"RoleName": NAME, "PolicyName": "health-monitor", "PolicyDocument": encoded(POLICY)},
        {"RoleName": NAME, "PolicyName": "health-monitor"},
    )
    stub.add_response("list_attached_role_policies", {"AttachedPolicies": [], "IsTruncated": False}, {"RoleName": NAME})
    result, code = run(iam, monkeypatch, capsys)
    assert code == 0, result
    assert writes(calls) == ["CreateRole"]


def test_check_mode_on_no_role_writes_nothing_and_shows_the_role_with_its_policies(iam, monkeypatch, capsys):
    client, stub = iam
    calls = record_requests(client)
    expect_no_role(stub)
    result, code = run(iam, monkeypatch, capsys, check_mode=True, diff=True)
    assert code == 0, result
    assert result["changed"] is True and writes(calls) == []
    assert "iam_role" not in result  # the roles default the ARN: undefined, not null
    after = result["diff"]["after"]
    assert after["assume_role_policy_document"] == TRUST
    assert after["inline_policies"] == {"health-monitor": POLICY}
    assert after["tags"] == TAGS and after["description"] == ARGS["description"]


def test_absent_deletes_the_inline_policies_detaches_and_deletes_the_role(iam, monkeypatch, capsys):
    client, stub = iam
    calls = record_requests(client)
    managed = f"arn:aws:iam::{ACCOUNT}:policy/finproc-extra"
    expect_read(stub, attached=[managed])
    stub.add_response("delete_role_policy", {}, {"RoleName": NAME, "PolicyName": "health-monitor"})
    stub.add_response("detach_role_policy", {}, {"RoleName": NAME, "PolicyArn": managed})
    stub.add_response("delete_role", {}, {"RoleName": NAME})
    result, code = run(iam, monkeypatch, capsys, args={"name": NAME, "state": "absent"})
    assert code == 0, result
    assert result["changed"] is True
    assert writes(calls) == ["DeleteRolePolicy", "DetachRolePolicy", "DeleteRole"]
    assert "ListInstanceProfilesForRole" not in [name for name, _params in calls]


def test_absent_on_no_role_and_in_check_mode_writes_nothing(iam, monkeypatch, capsys):
    client, stub = iam
    calls = record_requests(client)
    expect_no_role(stub)
    result, code = run(iam, monkeypatch, capsys, args={"name": NAME, "state": "absent"})
    assert code == 0 and result["changed"] is False
    expect_read(stub)
    result, code = run(iam, monkeypatch, capsys, args={"name": NAME, "state": "absent"}, check_mode=True)
    assert code == 0 and result["changed"] is True
    assert writes(calls) == []


def test_a_role_at_another_path_is_refused(iam, monkeypatch, capsys):
    client, stub = iam
    expect_read(stub, found=role(Path="/service/"))
    result, code = run(iam, monkeypatch, capsys)
    assert code == 1
    assert "has the path /service/, not /" in result["msg"]


@pytest.mark.parametrize(
    "args, message",
    [
        (dict(ARGS, assume_role_policy_document="{not json"), "assume_role_policy_document is not valid JSON"),
        (dict(ARGS, inline_policies={"p": "[1]"}), "inline_policies[p] is not a policy document"),
        ({"name": NAME}, "assume_role_policy_document is required with state=present"),
        (dict(ARGS, max_session_duration=60), "max_session_duration must be from 3600 to 43200"),
    ],
)
def test_bad_options_fail_before_any_call(iam, monkeypatch, capsys, args, message):
    client, _stub = iam
    calls = record_requests(client)
    result, code = run(iam, monkeypatch, capsys, args=args)
    assert code == 1
    assert message in result["msg"]
    assert calls == []


def test_parse_policy_reads_url_encoded_text_dicts_and_json():
    assert iam_role.parse_policy(encoded(TRUST)) == TRUST
    assert iam_role.parse_policy(json.dumps(TRUST)) == TRUST
    assert iam_role.parse_policy(TRUST) is TRUST
    assert iam_role.parse_policy(None) is None

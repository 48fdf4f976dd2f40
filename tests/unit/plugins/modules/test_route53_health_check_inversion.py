"""route53_health_check_inversion against a botocore Stubber, and once against moto in-process.

Every request is checked against the Route53 API model and its expected parameters; every reply
against the model. A request nobody queued fails, and the Stubber must be drained.
"""

import json

import boto3
import pytest
from ansible.module_utils.testing import patch_module_args
from ansible_collections.finproc.dr.plugins.modules import route53_health_check_inversion as inversion
from aws_stub import record_requests, run_module

HC_ID = "0a1b2c3d-4e5f-4a7b-8c9d-0e1f2a3b4c5d"
BY_ID = {"HealthCheckId": HC_ID}
ALB = "finproc-prod-alb-1234567890.us-east-2.elb.amazonaws.com"


def health_check(inverted=False, version=4):
    return {
        "Id": HC_ID,
        "CallerReference": "finproc-prod-us-east-2",
        "HealthCheckConfig": {
            "Type": "HTTPS",
            "FullyQualifiedDomainName": ALB,
            "Port": 443,
            "ResourcePath": "/health",
            "RequestInterval": 10,
            "FailureThreshold": 3,
            "Inverted": inverted,
            "Disabled": False,
            "EnableSNI": True,
        },
        "HealthCheckVersion": version,
    }


def update(version, inverted):
    return {"HealthCheckId": HC_ID, "HealthCheckVersion": version, "Inverted": inverted}


@pytest.fixture
def sent(route53):
    return record_requests(route53[0])


@pytest.fixture(autouse=True)
def instant_backoff(monkeypatch):
    monkeypatch.setattr("time.sleep", lambda seconds: None)


def run(route53, monkeypatch, capsys, inverted, **kw):
    args = {"health_check_id": HC_ID, "inverted": inverted}
    return run_module(inversion.main, args, route53[0], monkeypatch, capsys, **kw)


def read(stub, check):
    stub.add_response("get_health_check", {"HealthCheck": check}, BY_ID)


def writes(sent):
    return [(op, params) for op, params in sent if not op.startswith("Get")]


def test_invert_writes_inverted_at_the_version_read(route53, monkeypatch, capsys, sent):
    client, stub = route53
    read(stub, health_check(inverted=False, version=4))
    stub.add_response("update_health_check", {"HealthCheck": health_check(True, 5)}, update(4, True))
    read(stub, health_check(inverted=True, version=5))
    result, code = run(route53, monkeypatch, capsys, True, diff=True)
    assert code == 0, result
    assert result["changed"] is True
    assert result["previous_inverted"] is False
    assert result["health_check"]["id"] == HC_ID
    assert result["health_check"]["health_check_version"] == 5
    assert result["health_check"]["health_check_config"]["inverted"] is True
    assert result["health_check"]["health_check_config"]["fully_qualified_domain_name"] == ALB
    assert result["diff"] == {"before": {"inverted": False}, "after": {"inverted": True}}
    # Nothing but Inverted is sent: the rest of the check stays as it is.
    assert writes(sent) == [("UpdateHealthCheck", update(4, True))]


def test_already_inverted_writes_nothing(route53, monkeypatch, capsys, sent):
    client, stub = route53
    read(stub, health_check(inverted=True))
    result, code = run(route53, monkeypatch, capsys, True, diff=True)
    assert code == 0, result
    assert result["changed"] is False
    assert result["previous_inverted"] is True
    assert result["health_check"]["health_check_config"]["inverted"] is True
    assert result["diff"] == {"before": {"inverted": True}, "after": {"inverted": True}}
    assert writes(sent) == []


def test_check_mode_reports_the_change_and_writes_nothing(route53, monkeypatch, capsys, sent):
    client, stub = route53
    read(stub, health_check(inverted=False))
    result, code = run(route53, monkeypatch, capsys, True, check_mode=True, diff=True)
    assert code == 0, result
    assert result["changed"] is True
    assert result["previous_inverted"] is False
    assert result["health_check"]["health_check_config"]["inverted"] is False  # as it is
    assert result["diff"] == {"before": {"inverted": False}, "after": {"inverted": True}}
    assert writes(sent) == []


def test_check_mode_without_a_change(route53, monkeypatch, capsys):
    client, stub = route53
    read(stub, health_check(inverted=False))
    result, code = run(route53, monkeypatch, capsys, False, check_mode=True)
    assert code == 0, result
    assert result["changed"] is False


def test_restore(route53, monkeypatch, capsys, sent):
    client, stub = route53
    read(stub, health_check(inverted=True, version=5))
    stub.add_response("update_health_check", {"HealthCheck": health_check(False, 6)}, update(5, False))
    read(stub, health_check(inverted=False, version=6))
    result, code = run(route53, monkeypatch, capsys, False, diff=True)
    assert code == 0, result
    assert result["changed"] is True
    assert result["previous_inverted"] is True
    assert result["health_check"]["health_check_config"]["inverted"] is False
    assert result["diff"] == {"before": {"inverted": True}, "after": {"inverted": False}}
    assert writes(sent) == [("UpdateHealthCheck", update(5, False))]


def test_a_check_without_inverted_is_not_inverted(route53, monkeypatch, capsys):
    client, stub = route53
    check = health_check()
    del check["HealthCheckConfig"]["Inverted"]
    read(stub, check)
    result, code = run(route53, monkeypatch, capsys, False)
    assert code == 0, result
    assert (result["changed"], result["previous_inverted"]) == (False, False)


def mismatch(stub):
    stub.add_client_error(
        "update_health_check",
        service_error_code="HealthCheckVersionMismatch",
        service_message="The value of HealthCheckVersion in the request doesn't match the value in the health check.",
        http_status_code=409,
        expected_params=None,
    )


def test_version_mismatch_reads_and_writes_again(route53, monkeypatch, capsys, sent):
    client, stub = route53
    read(stub, health_check(inverted=False, version=4))
    mismatch(stub)
    read(stub, health_check(inverted=False, version=5))  # someone else changed the check meanwhile
    stub.add_response("update_health_check", {"HealthCheck": health_check(True, 6)}, update(5, True))
    read(stub, health_check(inverted=True, version=6))
    result, code = run(route53, monkeypatch, capsys, True)
    assert code == 0, result
    assert result["changed"] is True
    assert result["health_check"]["health_check_version"] == 6
    assert writes(sent) == [("UpdateHealthCheck", update(4, True)), ("UpdateHealthCheck", update(5, True))]


def test_version_mismatch_by_the_same_change_is_no_change(route53, monkeypatch, capsys, sent):
    client, stub = route53
    read(stub, health_check(inverted=False, version=4))
    mismatch(stub)
    read(stub, health_check(inverted=True, version=5))  # another run inverted it first
    result, code = run(route53, monkeypatch, capsys, True)
    assert code == 0, result
    assert (result["changed"], result["previous_inverted"]) == (False, True)
    assert len(writes(sent)) == 1


def test_version_mismatch_is_retried_three_times_then_fails(route53, monkeypatch, capsys, sent):
    client, stub = route53
    for version in range(4, 8):
        read(stub, health_check(inverted=False, version=version))
        mismatch(stub)
    result, code = run(route53, monkeypatch, capsys, True)
    assert code == 1
    assert result["failed"] is True
    assert "HealthCheckVersionMismatch 4 times" in result["msg"]
    assert [params["HealthCheckVersion"] for _op, params in writes(sent)] == [4, 5, 6, 7]


def test_a_missing_health_check_fails_clearly(route53, monkeypatch, capsys, sent):
    client, stub = route53
    stub.add_client_error(
        "get_health_check",
        service_error_code="NoSuchHealthCheck",
        service_message=f"A health check with id {HC_ID} does not exist.",
        http_status_code=404,
        expected_params=BY_ID,
    )
    result, code = run(route53, monkeypatch, capsys, True)
    assert code == 1
    assert result["msg"] == f"Route53 health check {HC_ID} does not exist (NoSuchHealthCheck)"
    assert writes(sent) == []


def test_a_check_deleted_while_it_is_updated_fails_clearly(route53, monkeypatch, capsys, sent):
    client, stub = route53
    read(stub, health_check(inverted=False, version=4))
    stub.add_client_error(
        "update_health_check", service_error_code="NoSuchHealthCheck", http_status_code=404, expected_params=None
    )
    stub.add_client_error(
        "get_health_check", service_error_code="NoSuchHealthCheck", http_status_code=404, expected_params=BY_ID
    )
    result, code = run(route53, monkeypatch, capsys, True)
    assert code == 1
    assert result["msg"] == f"Route53 health check {HC_ID} does not exist (NoSuchHealthCheck)"
    assert writes(sent) == [("UpdateHealthCheck", update(4, True))]


def test_other_errors_fail_with_the_operation(route53, monkeypatch, capsys):
    client, stub = route53
    read(stub, health_check(inverted=False))
    stub.add_client_error("update_health_check", service_error_code="AccessDenied", http_status_code=403)
    result, code = run(route53, monkeypatch, capsys, True)
    assert code == 1
    assert result["msg"].startswith(f"UpdateHealthCheck failed for health check {HC_ID}")
    assert result["error"]["code"] == "AccessDenied"


# -- moto in-process ---------------------------------------------------------------------------
@pytest.fixture
def moto(moto_account):
    return boto3.client("route53", region_name="us-east-1")


def run_in_moto(capsys, inverted, health_check_id):
    args = {"health_check_id": health_check_id, "inverted": inverted, "region": "us-east-1", "_ansible_diff": True}
    with patch_module_args(args), pytest.raises(SystemExit) as exit_info:
        inversion.main()
    return json.loads(capsys.readouterr().out), exit_info.value.code


def test_moto_inverts_and_restores(moto, capsys):
    created = moto.create_health_check(
        CallerReference="finproc-drill",
        HealthCheckConfig={"Type": "HTTPS", "FullyQualifiedDomainName": ALB, "Port": 443, "ResourcePath": "/health"},
    )["HealthCheck"]
    hc_id = created["Id"]
    assert created["HealthCheckConfig"]["Inverted"] is False

    result, code = run_in_moto(capsys, True, hc_id)
    assert code == 0, result
    assert (result["changed"], result["previous_inverted"]) == (True, False)
    assert result["health_check"]["health_check_config"]["inverted"] is True
    assert moto.get_health_check(HealthCheckId=hc_id)["HealthCheck"]["HealthCheckConfig"]["Inverted"] is True
    # moto 5.2.5 keeps Inverted, but neither increments HealthCheckVersion nor checks it.
    assert result["health_check"]["health_check_version"] == created["HealthCheckVersion"]

    result, code = run_in_moto(capsys, True, hc_id)
    assert code == 0, result
    assert (result["changed"], result["previous_inverted"]) == (False, True)

    result, code = run_in_moto(capsys, False, hc_id)
    assert code == 0, result
    assert (result["changed"], result["previous_inverted"]) == (True, True)
    assert moto.get_health_check(HealthCheckId=hc_id)["HealthCheck"]["HealthCheckConfig"]["Inverted"] is False


def test_moto_missing_health_check(moto, capsys):
    result, code = run_in_moto(capsys, True, "00000000-0000-0000-0000-000000000000")
    assert code == 1
    assert "does not exist (NoSuchHealthCheck)" in result["msg"]

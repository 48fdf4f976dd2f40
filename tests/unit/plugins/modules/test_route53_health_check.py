"""route53_health_check against a botocore Stubber: found by its Name tag; the endpoint, path and
threshold updated in place; a type, interval or latency measurement that differs (Route53 cannot change
them: HealthCheckConfig - Amazon Route 53,
https://docs.aws.amazon.com/Route53/latest/APIReference/API_HealthCheckConfig.html) replaced by a new
check whose old one is returned, not deleted; the diff names only what differs.

Every request is checked against the Route53 API model and its expected parameters; every reply
against the model. A request nobody queued fails, and the Stubber must be drained.
"""

import boto3
import pytest
from ansible_collections.finproc.dr.plugins.modules import route53_health_check as module
from aws_stub import record_requests, run_module
from botocore.stub import ANY

NAME = "finproc-prod-us-east-2"
OLD, NEW, ROGUE = (
    "0a1b2c3d-4e5f-4a7b-8c9d-0e1f2a3b4c5d",
    "1b2c3d4e-5f6a-4b8c-9d0e-1f2a3b4c5d6e",
    "2c3d4e5f-6a7b-4c9d-8e0f-2a3b4c5d6e7f",
)
ALB = "finproc-prod-alb-1234567890.us-east-2.elb.amazonaws.com"
TAGS = {"App": "finproc", "Environment": "prod"}
ARGS = {
    "name": NAME,
    "type": "HTTPS",
    "fqdn": ALB,
    "resource_path": "/health",
    "request_interval": 30,
    "failure_threshold": 3,
    "measure_latency": True,
    "tags": TAGS,
}
WANTED_CONFIG = {
    "Type": "HTTPS",
    "RequestInterval": 30,
    "MeasureLatency": True,
    "FullyQualifiedDomainName": ALB,
    "Port": 443,
    "ResourcePath": "/health",
    "FailureThreshold": 3,
}


def check(check_id=OLD, version=1, **config):
    settings = dict(WANTED_CONFIG, Inverted=False, Disabled=False, EnableSNI=True)
    settings.update(config)
    return {
        "Id": check_id,
        "CallerReference": "ref-" + check_id,
        "HealthCheckConfig": settings,
        "HealthCheckVersion": version,
    }


def listed(stub, checks, tags):
    """ListHealthChecks, then ListTagsForResources of those checks (`tags`: {id: dict})."""
    stub.add_response(
        "list_health_checks", {"HealthChecks": checks, "IsTruncated": False, "Marker": "", "MaxItems": "100"}, {}
    )
    if checks:
        stub.add_response(
            "list_tags_for_resources",
            {
                "ResourceTagSets": [
                    {
                        "ResourceType": "healthcheck",
                        "ResourceId": c["Id"],
                        "Tags": [{"Key": k, "Value": v} for k, v in sorted(tags.get(c["Id"], {}).items())],
                    }
                    for c in checks
                ]
            },
            {"ResourceType": "healthcheck", "ResourceIds": [c["Id"] for c in checks]},
        )


def ours(**more):
    return dict(TAGS, Name=NAME, **more)


def created(stub, new_id=NEW):
    stub.add_response(
        "create_health_check",
        {"HealthCheck": check(new_id), "Location": "https://x/" + new_id},
        {"CallerReference": ANY, "HealthCheckConfig": WANTED_CONFIG},
    )
    stub.add_response(
        "change_tags_for_resource",
        {},
        {
            "ResourceType": "healthcheck",
            "ResourceId": new_id,
            "AddTags": [{"Key": k, "Value": v} for k, v in sorted(ours().items())],
        },
    )


@pytest.fixture
def sent(route53):
    return record_requests(route53[0])


@pytest.fixture(autouse=True)
def instant_backoff(monkeypatch):
    monkeypatch.setattr("time.sleep", lambda seconds: None)


def run(route53, monkeypatch, capsys, args=None, **kw):
    return run_module(module.main, dict(args or ARGS), route53[0], monkeypatch, capsys, **kw)


def writes(sent):
    return [(op, params) for op, params in sent if not op.startswith(("List", "Get"))]


def test_a_converged_check_is_read_and_left_alone(route53, monkeypatch, capsys, sent):
    listed(route53[1], [check()], {OLD: ours()})
    result, code = run(route53, monkeypatch, capsys, diff=True)
    assert code == 0, result
    assert result["changed"] is False
    assert result["diff"] == {"before": {}, "after": {}}
    assert result["health_check"]["id"] == OLD
    assert result["replaced_ids"] == [] and result["replacement"] is False
    assert writes(sent) == []


def test_a_check_of_another_name_is_not_ours(route53, monkeypatch, capsys, sent):
    listed(route53[1], [check(ROGUE)], {ROGUE: dict(ours(), Name="finproc-prod-us-west-2")})
    created(route53[1])
    result, code = run(route53, monkeypatch, capsys, diff=True)
    assert code == 0, result
    assert result["changed"] is True
    assert result["health_check"]["id"] == NEW
    assert result["diff"]["before"] == {}
    assert result["diff"]["after"]["request_interval"] == 30
    assert result["health_check"]["tags"] == ours()
    assert [op for op, _params in writes(sent)] == ["CreateHealthCheck", "ChangeTagsForResource"]


def test_an_interval_changed_behind_our_back_is_named_in_check_mode_and_nothing_is_written(
    route53, monkeypatch, capsys, sent
):
    listed(route53[1], [check(ROGUE, RequestInterval=10)], {ROGUE: ours()})
    result, code = run(route53, monkeypatch, capsys, check_mode=True, diff=True)
    assert code == 0, result
    assert result["changed"] is True
    assert result["replacement"] is True
    # Only the interval: nothing else of the check differs.
    assert result["diff"] == {"before": {"request_interval": 10}, "after": {"request_interval": 30}}
    assert result["health_check"]["id"] == ROGUE  # as it is: the records and alarms still name it
    assert result["replaced_ids"] == []
    assert writes(sent) == []


def test_an_interval_changed_behind_our_back_is_repaired_by_a_new_check_and_the_old_one_returned(
    route53, monkeypatch, capsys, sent
):
    listed(route53[1], [check(ROGUE, RequestInterval=10)], {ROGUE: ours()})
    created(route53[1])
    result, code = run(route53, monkeypatch, capsys, diff=True)
    assert code == 0, result
    assert result["changed"] is True
    assert result["diff"] == {"before": {"request_interval": 10}, "after": {"request_interval": 30}}
    assert result["health_check"]["id"] == NEW
    assert result["health_check"]["health_check_config"]["request_interval"] == 30
    # Not deleted here: the failover record and the alarm still name it until they are pointed at NEW.
    assert result["replaced_ids"] == [ROGUE]
    assert "DeleteHealthCheck" not in [op for op, _params in writes(sent)]
    assert writes(sent)[0][1]["CallerReference"].startswith(NAME[:14] + "-")


@pytest.mark.parametrize("drift", [{"MeasureLatency": False}, {"Type": "HTTP", "Port": 443}], ids=["latency", "type"])
def test_other_settings_route53_cannot_change_replace_the_check(route53, monkeypatch, capsys, sent, drift):
    listed(route53[1], [check(ROGUE, **drift)], {ROGUE: ours()})
    created(route53[1])
    result, code = run(route53, monkeypatch, capsys, diff=True)
    assert code == 0, result
    assert result["replacement"] is True and result["replaced_ids"] == [ROGUE]


def test_a_threshold_changed_behind_our_back_is_updated_in_place_at_the_version_read(
    route53, monkeypatch, capsys, sent
):
    listed(route53[1], [check(version=7, FailureThreshold=5)], {OLD: ours()})
    route53[1].add_response(
        "update_health_check",
        {"HealthCheck": check(version=8)},
        {"HealthCheckId": OLD, "HealthCheckVersion": 7, "FailureThreshold": 3},
    )
    result, code = run(route53, monkeypatch, capsys, diff=True)
    assert code == 0, result
    assert result["changed"] is True and result["replacement"] is False
    assert result["diff"] == {"before": {"failure_threshold": 5}, "after": {"failure_threshold": 3}}
    assert [op for op, _params in writes(sent)] == ["UpdateHealthCheck"]


def test_a_tag_changed_behind_our_back_is_named_and_set_back(route53, monkeypatch, capsys, sent):
    listed(route53[1], [check()], {OLD: ours(App="rogue")})
    route53[1].add_response(
        "change_tags_for_resource",
        {},
        {"ResourceType": "healthcheck", "ResourceId": OLD, "AddTags": [{"Key": "App", "Value": "finproc"}]},
    )
    result, code = run(route53, monkeypatch, capsys, diff=True)
    assert code == 0, result
    assert result["diff"] == {"before": {"tags": ours(App="rogue")}, "after": {"tags": ours()}}
    assert [op for op, _params in writes(sent)] == ["ChangeTagsForResource"]


def test_a_replacement_left_half_done_keeps_the_new_check_and_returns_the_old_one(route53, monkeypatch, capsys, sent):
    listed(route53[1], [check(OLD, RequestInterval=10), check(NEW)], {OLD: ours(), NEW: ours()})
    result, code = run(route53, monkeypatch, capsys, diff=True)
    assert code == 0, result
    assert result["changed"] is False
    assert result["health_check"]["id"] == NEW
    assert result["replaced_ids"] == [OLD]
    assert writes(sent) == []


def test_absent_deletes_every_check_of_the_name(route53, monkeypatch, capsys, sent):
    listed(route53[1], [check(OLD), check(NEW)], {OLD: ours(), NEW: ours()})
    for check_id in (OLD, NEW):
        route53[1].add_response("delete_health_check", {}, {"HealthCheckId": check_id})
    result, code = run(route53, monkeypatch, capsys, {"name": NAME, "state": "absent"})
    assert code == 0, result
    assert result["changed"] is True
    assert [p["HealthCheckId"] for op, p in writes(sent)] == [OLD, NEW]


@pytest.mark.parametrize(
    "overrides, message",
    [
        ({"fqdn": None}, "fqdn is required"),
        ({"type": "TCP", "resource_path": None}, "port is required for a TCP health check"),
        ({"failure_threshold": 11}, "failure_threshold must be 1 to 10"),
    ],
)
def test_bad_input_fails_before_any_aws_call(route53, monkeypatch, capsys, sent, overrides, message):
    result, code = run(route53, monkeypatch, capsys, dict(ARGS, **overrides))
    assert code == 1
    assert message in result["msg"]
    assert sent == []


def test_an_untagged_check_this_module_created_for_the_name_is_adopted_not_made_again(
    route53, monkeypatch, capsys, sent
):
    """A run cut off between CreateHealthCheck and ChangeTagsForResource left the check untagged: its
    CallerReference names it, so the next run tags it instead of creating a second check."""
    references = []
    listed(route53[1], [], {})
    created(route53[1])
    result, code = run(route53, monkeypatch, capsys)
    assert code == 0, result
    references.append(writes(sent)[0][1]["CallerReference"])
    prefix = references[0][:-32]
    # Within the model's limit (botocore checks only minimum lengths: Route53 would refuse a longer one).
    nonce = boto3.client("route53", region_name="us-east-1").meta.service_model.shape_for("HealthCheckNonce")
    assert len(references[0]) == nonce.metadata["max"] == 64
    assert prefix.startswith(NAME[:14] + "-")

    left = dict(check(OLD), CallerReference=prefix + "0" * 32)
    stranger = dict(check(ROGUE), CallerReference="finproc-prod-us-east-2-" + "f" * 49)  # another name's
    route53[1].add_response(
        "list_health_checks",
        {"HealthChecks": [left, stranger], "IsTruncated": False, "Marker": "", "MaxItems": "100"},
        {},
    )
    untagged = [{"ResourceType": "healthcheck", "ResourceId": i} for i in (OLD, ROGUE)]  # no Tags at all
    route53[1].add_response(
        "list_tags_for_resources",
        {"ResourceTagSets": untagged},
        {"ResourceType": "healthcheck", "ResourceIds": [OLD, ROGUE]},
    )
    route53[1].add_response(
        "change_tags_for_resource",
        {},
        {
            "ResourceType": "healthcheck",
            "ResourceId": OLD,
            "AddTags": [{"Key": k, "Value": v} for k, v in sorted(ours().items())],
        },
    )
    result, code = run(route53, monkeypatch, capsys)
    assert code == 0, result
    assert result["health_check"]["id"] == OLD
    assert [op for op, _params in writes(sent)] == [
        "CreateHealthCheck",
        "ChangeTagsForResource",
        "ChangeTagsForResource",
    ]

"""The access-path controls (plugins/module_utils/controls/access.py): every permission path of the
region on the live policies (the ones the roles render, installed in the moto stack)."""

import json
import pytest

from live_stack import (
    PREFIX,
    PRIMARY,
    REGIONS,
    SECONDARY,
    access_entries,
    access_paths,
    assert_read_only,
    bucket_name,
    by_id,
    client,
    expected_paths,
    region_paths,
    run,
)


@pytest.mark.parametrize("region", REGIONS)
def test_every_access_path_holds_on_the_rendered_policies(rendered_stack, monkeypatch, capsys, region):
    result, code, calls = run(rendered_stack, monkeypatch, capsys, region, access_paths=True, controls=["access-paths"])
    assert code == 0, result
    entries = access_entries(result)
    assert [e["id"] for e in result["controls"]] == [e["id"] for e in entries]
    assert [e["id"][len("access-path:") :] for e in entries] == expected_paths(rendered_stack, region)
    failures = [e for e in entries if not e["passed"]]
    assert not failures, json.dumps(failures, indent=1)
    assert result["passed"] is True and result["failed_controls"] == []
    assert all(e["region"] == region and e["title"] and "https://docs.aws.amazon.com/" in e["detail"] for e in entries)
    assert_read_only(calls)


def test_a_statement_removed_behind_its_back_fails_naming_the_path(rendered_stack, monkeypatch, capsys):
    """verify.yml's proof: the replication role loses the statement that lets it encrypt replicas
    with the secondary's key; exactly the paths that stood on it fail, each naming the AWS page."""
    role = f"{PREFIX}-s3-replication-{PRIMARY}"
    document = rendered_stack.documents[("role-policy", role, access_paths.REPLICATION_POLICY)]
    kept = [s for s in document["Statement"] if not s.get("Sid", "").startswith("EncryptInto")]
    assert len(kept) == len(document["Statement"]) - 1
    client("iam").put_role_policy(
        RoleName=role,
        PolicyName=access_paths.REPLICATION_POLICY,
        PolicyDocument=json.dumps(dict(document, Statement=kept)),
    )
    result, code, _calls = run(
        rendered_stack, monkeypatch, capsys, PRIMARY, access_paths=True, controls=["access-paths"]
    )
    assert code == 0
    base = f"access-path:s3-replication:{PRIMARY}->{SECONDARY}:"
    # Not under "failed": Ansible takes a non-empty "failed" for the task's own failure, and
    # verify.yml could then not name the failed controls.
    assert "failed" not in result
    assert result["failed_controls"] == [base + "encrypt", base + "generate-data-key", base + "decrypt-destination"]
    (entry,) = [e for e in result["controls"] if e["id"] == base + "encrypt"]
    assert entry["resource"] == rendered_stack.keys[SECONDARY]
    assert "refused, wanted allowed" in entry["detail"]
    assert "no identity policy allows kms:Encrypt" in entry["detail"]
    assert "replication-config-for-kms-objects.html" in entry["detail"]
    # the secondary's own paths do not depend on the primary's role
    result, _code, _calls = run(
        rendered_stack, monkeypatch, capsys, SECONDARY, access_paths=True, controls=["access-paths"]
    )
    assert result["passed"] is True, result["failed_controls"]


def test_a_deny_removed_behind_its_back_fails_the_refused_path(rendered_stack, monkeypatch, capsys):
    """The bucket stops refusing uploads over plain HTTP: the refused path fails."""
    bucket = bucket_name(SECONDARY)
    document = rendered_stack.documents[("bucket-policy", bucket)]
    kept = [s for s in document["Statement"] if s.get("Sid") != "DenyInsecureTransport"]
    client("s3", SECONDARY).put_bucket_policy(Bucket=bucket, Policy=json.dumps(dict(document, Statement=kept)))
    result, _code, _calls = run(
        rendered_stack, monkeypatch, capsys, SECONDARY, access_paths=True, controls=["access-paths"]
    )
    assert result["failed_controls"] == [f"access-path:app-upload:{SECONDARY}:refused:plain-http"]
    (entry,) = [e for e in result["controls"] if not e["passed"]]
    assert "allowed, wanted refused" in entry["detail"]


def test_a_missing_role_fails_its_paths_as_not_found(rendered_stack, monkeypatch, capsys):
    iam = client("iam")
    role = f"{PREFIX}-monitor-{SECONDARY}"
    iam.delete_role_policy(RoleName=role, PolicyName=access_paths.MONITOR_POLICY)
    result, _code, _calls = run(
        rendered_stack, monkeypatch, capsys, SECONDARY, access_paths=True, controls=["access-paths"]
    )
    failed = result["failed_controls"]
    assert f"access-path:monitor:{SECONDARY}:PutItem-heartbeat" in failed
    assert f"access-path:monitor:{SECONDARY}:kms-decrypt:{PRIMARY}" in failed
    assert not [f for f in failed if ":refused:" in f]  # still refused: nothing allows them
    (entry,) = [e for e in result["controls"] if e["id"] == f"access-path:monitor:{SECONDARY}:PutMetricData"]
    assert f"not found: role-policy {role}/{access_paths.MONITOR_POLICY}" in entry["detail"]


def test_an_aws_error_fails_the_paths_that_needed_the_document(rendered_stack, monkeypatch, capsys):
    result, code, _calls = run(
        rendered_stack,
        monkeypatch,
        capsys,
        SECONDARY,
        access_paths=True,
        controls=["access-paths"],
        errors={"GetKeyPolicy": "AccessDeniedException"},
    )
    assert code == 0
    failed = [e for e in access_entries(result) if not e["passed"]]
    assert failed and all("GetKeyPolicy failed" in e["detail"] for e in failed)
    assert {e["id"] for e in failed} == {
        e["id"] for e in access_entries(result) if e["resource"].startswith("arn:aws:kms:")
    }


def test_access_paths_are_evaluated_by_default_and_can_be_left_out(rendered_stack, monkeypatch, capsys):
    result, _code, _calls = run(rendered_stack, monkeypatch, capsys, PRIMARY, access_paths=True)
    assert access_entries(result) and by_id(result, "kms-key-rotation")
    assert result["passed"] is True, result["failed_controls"]
    result, _code, _calls = run(rendered_stack, monkeypatch, capsys, PRIMARY, access_paths=False)
    assert not access_entries(result)


def test_the_table_given_is_the_one_the_paths_name(rendered_stack, monkeypatch, capsys):
    """The heartbeat paths name the table of table_name (data_table_name), not a built-in name."""
    result, _code, _calls = run(
        rendered_stack,
        monkeypatch,
        capsys,
        SECONDARY,
        access_paths=True,
        controls=["access-paths"],
        table_name=f"{PREFIX}-ledger",
    )
    heartbeat = [e for e in access_entries(result) if e["id"] == f"access-path:monitor:{SECONDARY}:PutItem-heartbeat"]
    assert heartbeat and heartbeat[0]["resource"].endswith(f":table/{PREFIX}-ledger")
    # the rendered monitor policy names the table the roles made, so the path to another table is refused
    assert not heartbeat[0]["passed"]


@pytest.mark.parametrize("region", REGIONS)
def test_the_foundation_areas_evaluate_the_paths_their_documents_decide(rendered_stack, monkeypatch, capsys, region):
    """controls [kms, data, network] with access_paths (molecule localstack): the paths decided only by
    the key policies, the data buckets' policies, the replication and flow-log roles (and a given
    document) are evaluated and hold; the monitor's, the topics', the schedule's and the ALB logs' are
    not, and no Route53, Lambda, SNS, CloudWatch, EventBridge or ELBv2 call is made."""
    result, code, calls = run(
        rendered_stack, monkeypatch, capsys, region, access_paths=True, controls=["kms", "data", "network"]
    )
    assert code == 0, result
    entries = access_entries(result)
    failures = [e for e in entries if not e["passed"]]
    assert not failures, json.dumps(failures, indent=1)
    foundation_roles = (f"{PREFIX}-s3-replication-", f"{PREFIX}-flow-logs-")

    def foundation(reference):
        kind, name = reference[0], str(reference[1])
        return (
            kind in ("key-policy", "given")
            or (kind == "bucket-policy" and not name.endswith("-alb-logs"))
            or (kind in ("role-policy", "trust") and name.startswith(foundation_roles))
        )

    every = region_paths(rendered_stack, region)
    wanted = [p.id for p in every if all(foundation(r) for r in p.references())]
    assert [e["id"][len("access-path:") :] for e in entries] == wanted
    # The key policies' paths (S3, CloudWatch Logs, CloudWatch for the topics), the replication's, the
    # uploads' (the data bucket's policy) and the flow logs' delivery role.
    assert {p.split(":")[0] for p in wanted} == {"alarm-topic", "app-upload", "flow-logs", "logs-kms", "s3-replication"}
    assert len(wanted) < len(every)
    services = {service for service, _r, _op in calls}
    assert not services & {"route53", "lambda", "sns", "cloudwatch", "events", "elbv2"}, services
    assert_read_only(calls)

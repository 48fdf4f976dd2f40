"""A stack's life: a new tag value re-tags everything and duplicates nothing; destroy.yml is refused
without the typed confirmation; with it, nothing of the stack is left but the data (table, buckets
with their replication, keys, ALB access-log buckets) and the hosted zone (delegated from its
parent), emptied of the stack's records; with destroy_data, the data goes too and the keys' deletion is scheduled."""

import json

import boto3
from conftest import GLOBAL_REGION, REGIONS, recap, run_site, snapshot, write_inventory


DATA = ("kms_keys", "kms_aliases", "tables")


def without_zone(state, environment):
    """A snapshot less the stack's hosted zone, which destroy keeps (its records go)."""
    kept = dict(state, **{"global": dict(state["global"])})
    kept["global"]["hosted_zones"] = [z for z in state["global"]["hosted_zones"] if environment not in z]
    return kept


def without_data(state, environment):
    """A snapshot less what destroy keeps: keys, tables, buckets (data and ALB access logs) and the
    replication roles, the application's log group, the zone."""
    kept = {}
    application_logs = f"/finproc/{environment}/application"
    for key, value in without_zone(state, environment).items():
        if key in REGIONS or key == "global":
            kept[key] = {k: v for k, v in value.items() if k not in DATA}
            if "log_groups" in kept[key]:
                kept[key]["log_groups"] = [g for g in kept[key]["log_groups"] if g != application_logs]
        elif key == "buckets":
            kept[key] = [b for b in value if not b.startswith(f"finproc-{environment}-")]
        elif key == "iam_roles":
            kept[key] = [r for r in value if not r.startswith(f"finproc-{environment}-s3-replication-")]
        else:
            kept[key] = value
    return kept


def test_retag_then_guarded_destroy_leaves_only_the_data(tmp_path, local_inventory, environment_name):
    # Set where AWX puts inventory variables (the inventory's `all` vars), not -e: the environment's
    # name wins over the collection's default (dev) and every resource name below carries it; the
    # monitor's runtime and schedule and the table's name are deployed, and verify.yml expects them.
    # python3.13 is a Lambda runtime (AWS Lambda Developer Guide, "Building Lambda functions with
    # Python", https://docs.aws.amazon.com/lambda/latest/dg/lambda-python.html: Python 3.13, python3.13).
    table = f"finproc-{environment_name}-ledger"
    local_inventory["all"]["vars"] = dict(
        local_inventory["all"].get("vars") or {},
        dr_environment=environment_name,
        monitoring_function_runtime="python3.13",
        monitoring_schedule_minutes=5,
        data_table_name=table,
    )
    inventory = write_inventory(tmp_path, local_inventory)
    empty = snapshot()

    converge = run_site(inventory)
    assert converge.returncode == 0, converge.stdout[-4000:]
    # The summary says which region takes which part of the service name's failover.
    assert f'"service_name": "api.{environment_name}.finproc.example (PRIMARY)"' in converge.stdout
    assert f'"service_name": "api.{environment_name}.finproc.example (SECONDARY)"' in converge.stdout
    converged = snapshot()
    for region in REGIONS:
        assert len(converged[region]["vpcs"]) == len(empty[region]["vpcs"]) + 1
        # The overridden settings are what the stack runs with.
        assert table in converged[region]["tables"]
        assert f"finproc-{environment_name}-transactions" not in converged[region]["tables"]
        function = f"finproc-{environment_name}-health-monitor"
        config = boto3.client("lambda", region_name=region).get_function_configuration(FunctionName=function)
        assert config["Runtime"] == "python3.13"
        rule = boto3.client("events", region_name=region).describe_rule(Name=function)
        assert rule["ScheduleExpression"] == "rate(5 minutes)"

    # verify.yml passes on the converged stack, and fails naming a control broken behind its back.
    reports = tmp_path / "reports"
    verified = run_site(inventory, extra_vars=dict(dr_reports_dir=str(reports)), playbook="playbooks/verify.yml")
    assert verified.returncode == 0, verified.stdout[-4000:]
    assert recap(verified.stdout) and all(c["changed"] == 0 for c in recap(verified.stdout).values())
    report = json.loads(next(reports.glob("verify-*.json")).read_text())
    assert report["passed"] is True and report["failed"] == []
    assert {c["region"] for c in report["controls"]} >= set(REGIONS)
    # ... checking the overridden values, not the collection's defaults.
    monitors = [c for c in report["controls"] if c["id"] == "monitor-function"]
    assert len(monitors) == len(REGIONS) and all("python3.13" in c["detail"] for c in monitors), monitors
    assert all("rate(5 minutes)" in c["detail"] for c in monitors), monitors
    tables = [c for c in report["controls"] if c["id"] == "table-pitr"]
    assert tables and all(c["resource"].endswith(f":table/{table}") for c in tables), tables
    kms = boto3.client("kms", region_name=REGIONS[1])
    key_id = kms.describe_key(KeyId=f"alias/finproc-{environment_name}")["KeyMetadata"]["KeyId"]
    kms.disable_key_rotation(KeyId=key_id)
    # ... and an access path: the primary's replication role loses the statement that lets S3
    # encrypt replicas with the secondary's key (the live policy, as someone with IAM rights would).
    iam = boto3.client("iam", region_name=REGIONS[0])
    role = f"finproc-{environment_name}-s3-replication-{REGIONS[0]}"
    policy = iam.get_role_policy(RoleName=role, PolicyName="replicate-named-buckets")["PolicyDocument"]
    statements = [s for s in policy["Statement"] if not s.get("Sid", "").startswith("EncryptInto")]
    assert len(statements) == len(policy["Statement"]) - 1, policy
    iam.put_role_policy(
        RoleName=role,
        PolicyName="replicate-named-buckets",
        PolicyDocument=json.dumps(dict(policy, Statement=statements)),
    )
    broken = run_site(inventory, extra_vars=dict(dr_reports_dir=str(reports)), playbook="playbooks/verify.yml")
    assert broken.returncode != 0
    assert f"kms-key-rotation [{REGIONS[1]}]" in broken.stdout, broken.stdout[-4000:]
    assert f"kms-key-rotation [{REGIONS[0]}]" not in broken.stdout
    path = f"access-path:s3-replication:{REGIONS[0]}->{REGIONS[1]}"
    for name in ("encrypt", "generate-data-key", "decrypt-destination"):
        assert f"{path}:{name} [{REGIONS[0]}]" in broken.stdout, broken.stdout[-4000:]
    broken_report = json.loads(max(reports.glob("verify-*.json")).read_text())
    assert [c for c in broken_report["failed"] if c.startswith("access-path:")] == [
        f"{path}:{name}" for name in ("encrypt", "generate-data-key", "decrypt-destination")
    ]
    assert snapshot() == converged, "verify.yml changed something"

    # A new tag value (a new cost centre) re-tags everything and duplicates nothing (and the
    # encryption role turns the key rotation back on).
    retagged = run_site(inventory, extra_vars=dict(dr_cost_center="CC-9999"))
    assert retagged.returncode == 0, retagged.stdout[-4000:]
    assert all(counts["changed"] > 0 for counts in recap(retagged.stdout).values())
    assert snapshot() == converged
    for region in REGIONS:
        ec2 = boto3.client("ec2", region_name=region)
        stack = [{"Name": "tag:finproc:stack", "Values": [f"finproc-{environment_name}"]}]
        tagged = (
            ec2.describe_vpcs(Filters=stack)["Vpcs"]
            + ec2.describe_subnets(Filters=stack)["Subnets"]
            + ec2.describe_route_tables(Filters=stack)["RouteTables"]
            + ec2.describe_security_groups(Filters=stack)["SecurityGroups"]
        )
        assert len(tagged) == 1 + 4 + 3 + 2
        assert all({"Key": "CostCenter", "Value": "CC-9999"} in r["Tags"] for r in tagged)
    assert kms.get_key_rotation_status(KeyId=key_id)["KeyRotationEnabled"]
    # ... and the replication role's policy is whole again.
    policy = iam.get_role_policy(RoleName=role, PolicyName="replicate-named-buckets")["PolicyDocument"]
    assert [s for s in policy["Statement"] if s.get("Sid", "").startswith("EncryptInto")], policy
    converged = snapshot()

    for confirmation in ({}, {"confirm_destroy": "production"}):
        refused = run_site(inventory, extra_vars=dict(**confirmation), playbook="playbooks/destroy.yml")
        assert refused.returncode != 0
        assert "Nothing was changed" in refused.stdout
        assert f"-e confirm_destroy={environment_name}" in refused.stdout
        assert snapshot() == converged

    destroyed = run_site(inventory, extra_vars=dict(confirm_destroy=environment_name), playbook="playbooks/destroy.yml")
    assert destroyed.returncode == 0, destroyed.stdout[-4000:]
    after = snapshot()
    # Nothing orphaned: the account is as before the stack, but for the keys (data).
    assert without_data(after, environment_name) == without_data(empty, environment_name)
    for region in REGIONS:
        assert f"alias/finproc-{environment_name}" in after[region]["kms_aliases"]
        assert table in after[region]["tables"]
    assert "kept (data)" in destroyed.stdout
    for region in REGIONS:
        # The application's records stay with the data; the monitor's own log group goes.
        assert f"/finproc/{environment_name}/application" in after[region]["log_groups"]
        assert f"/aws/lambda/finproc-{environment_name}-health-monitor" not in after[region]["log_groups"]
        assert not [f for f in after[region]["functions"] if environment_name in f]
    # The zone is kept (delegated from its parent), with nothing of the stack left in it.
    assert f"{environment_name}.finproc.example." in after["global"]["hosted_zones"]
    assert not [r for r in after["global"]["records"] if environment_name in r]
    # The data buckets and the ALB access-log buckets (audit evidence) are kept.
    kept_buckets = [b for b in after["buckets"] if f"finproc-{environment_name}-" in b]
    log_buckets = [b for b in kept_buckets if b.endswith("-alb-logs")]
    account = boto3.client("sts", region_name=REGIONS[0]).get_caller_identity()["Account"]
    assert sorted(log_buckets) == sorted(f"finproc-{environment_name}-{account}-{r}-alb-logs" for r in REGIONS)
    assert len(kept_buckets) == 2 * len(REGIONS), kept_buckets
    assert "kept (audit evidence)" in destroyed.stdout

    again = run_site(inventory, extra_vars=dict(confirm_destroy=environment_name), playbook="playbooks/destroy.yml")
    assert again.returncode == 0, again.stdout[-4000:]
    assert all(counts["changed"] == 0 for counts in recap(again.stdout).values()), again.stdout[-3000:]

    with_data = run_site(
        inventory,
        extra_vars=dict(confirm_destroy=environment_name, destroy_data="true"),
        playbook="playbooks/destroy.yml",
    )
    assert with_data.returncode == 0, with_data.stdout[-4000:]
    assert not [b for b in snapshot()["buckets"] if f"finproc-{environment_name}-" in b], "buckets left"
    for region in REGIONS:
        kms = boto3.client("kms", region_name=region)
        alias = next(
            (a for a in kms.list_aliases()["Aliases"] if a["AliasName"] == f"alias/finproc-{environment_name}"), None
        )
        assert alias, f"{region}: the key's alias is gone, so is the way to find the key"
        assert kms.describe_key(KeyId=alias["TargetKeyId"])["KeyMetadata"]["KeyState"] == "PendingDeletion"
    # Only the aliases remain, pointing at keys pending deletion (AWS removes them with the keys).
    final = snapshot()
    for region in REGIONS:
        final[region]["kms_aliases"].remove(f"alias/finproc-{environment_name}")
    # The global region's key, made because no host of the inventory is there, goes the same way.
    final["global"]["kms_aliases"].remove(f"alias/finproc-{environment_name}")
    assert GLOBAL_REGION not in REGIONS
    assert without_zone(final, environment_name) == without_zone(empty, environment_name), (
        "destroy_data left something behind"
    )

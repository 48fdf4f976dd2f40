"""The permission proof: every access path of the stack (plugins/module_utils/access_paths.py),
evaluated on the policies the roles' own templates render (render.py), with the IAM evaluator of
plugins/module_utils/iam_policy.py. Both emulators enforce neither IAM nor KMS nor bucket policies:
this table is the only test that sees a policy AWS would refuse.

- test_access_path: each row, allowed exactly when AWS must allow it (each row cites the AWS page).
- test_each_statement_a_row_depends_on_is_needed: remove the statements that allow a passing row
  (per policy: the one statement, or every alternative statement of that policy) and the row fails;
  remove the Deny statements behind a refused row and the request goes through: no row passes by
  accident, no statement in the decision is decoration.
"""

import copy
import json
import sys
from pathlib import Path

import pytest
from ansible_collections.finproc.dr.plugins.module_utils import access_paths as ap

sys.path.insert(0, str(Path(__file__).resolve().parent))
import render  # noqa: E402

STACK = render.Stack()
DOCUMENTS = STACK.documents()
PATHS = ap.access_paths(STACK.description())
GIVEN_LABELS = {ap.reference_label(("given", name)) for name in ap.GIVEN}


def resolver(documents):
    return lambda reference: documents.get(tuple(reference))


def explain(path, result):
    return (
        f"\n  path     {path.id}: {path.title}"
        f"\n  request  {path.principal} {path.action} on {path.resource}"
        f"\n  context  {json.dumps(path.context, sort_keys=True)}"
        f"\n  wanted   {'allowed' if path.expect else 'refused'}, found {'allowed' if result.allowed else 'refused'}"
        f"\n  because  {result.reason}"
        f"\n  AWS      {path.doc_title}: {path.doc_url}"
    )


def evaluate(path, documents=None):
    return ap.evaluate_path(path, resolver(DOCUMENTS if documents is None else documents))


# --------------------------------------------------------------------------------------------
# The table
# --------------------------------------------------------------------------------------------


def test_the_table_covers_every_path_the_issue_lists():
    ids = [p.id for p in PATHS]
    assert len(ids) == len(set(ids)), "path ids must be unique"
    for needle in (
        "s3-replication:us-east-2->us-west-2:encrypt",
        "s3-replication:us-west-2->us-east-2:encrypt",
        "s3-replication:us-east-2->us-west-2:decrypt-destination",
        "s3-replication:us-west-2->us-east-2:generate-data-key",
        "s3-replication:us-east-2:decrypt-source",
        "s3-replication:us-west-2:assume-role",
        "s3-replication:us-east-2->us-west-2:ReplicateObject",
        "monitor:us-east-2:PutItem-heartbeat",
        "monitor:us-west-2:GetItem-heartbeat:us-east-2",
        "monitor:us-east-2:kms-decrypt:us-west-2",
        "monitor:us-east-2:refused:PutItem-other-table",
        "monitor:us-east-2:refused:PutItem-transaction",
        "monitor:us-west-2:PutMetricData",
        "monitor:us-east-2:GetHealthCheckStatus:us-west-2",
        "monitor:us-east-2:assume-role",
        "alarm-topic:finproc-dev-dns-health@us-east-1:Publish",
        "alarm-topic:finproc-dev-monitoring@us-west-2:kms-GenerateDataKey",
        "logs-kms:us-east-2:/finproc/dev/vpc-flow-logs:GenerateDataKey",
        "logs-kms:us-west-2:/aws/lambda/finproc-dev-health-monitor:Decrypt",
        "logs-kms:us-east-2:/finproc/dev/application:Encrypt",
        "flow-logs:us-west-2:assume-role",
        "flow-logs:us-east-2:PutLogEvents",
        "schedule:us-east-2:invoke",
        "schedule:us-east-2:refused:invoke-by-another-rule",
        "app-upload:us-east-2:tls-no-sse-headers",
        "app-upload:us-east-2:refused:plain-http",
        "app-upload:us-west-2:refused:another-key",
        "app-upload:us-west-2:tls-our-key",
        "app-upload:us-east-2:tls-upload-part",
        "alb-logs:us-east-2:deliver",
        "alb-logs:us-west-2:refused:another-prefix",
    ):
        assert needle in ids, needle
    for path in PATHS:
        assert path.doc_url.startswith("https://docs.aws.amazon.com/"), path.id
        assert path.region in render.HOSTS, path.id
        # every policy a row names is one the roles render (or one given by the table itself)
        for reference in path.references():
            assert reference in DOCUMENTS or reference[0] == "given", (path.id, reference)


@pytest.mark.parametrize("path", PATHS, ids=[p.id for p in PATHS])
def test_access_path(path):
    result = evaluate(path)
    assert result.allowed == path.expect, explain(path, result)


# --------------------------------------------------------------------------------------------
# Removing what a row stands on
# --------------------------------------------------------------------------------------------


def statement_label(statement, index):
    return str(statement.get("Sid") or "#%d" % index)


def without(documents, removals):
    """A copy of `documents` where each (reference, labels) of `removals` lacks those statements."""
    changed = copy.deepcopy(documents)
    for reference, labels in removals:
        document = changed[reference]
        statements = document["Statement"] if isinstance(document["Statement"], list) else [document["Statement"]]
        kept = [s for i, s in enumerate(statements) if statement_label(s, i) not in labels]
        assert len(kept) < len(statements), (reference, labels)
        document["Statement"] = kept
    return changed


def by_policy(path, labels):
    """{reference: {statement labels}} of Decision labels '<policy label>:<statement label>'."""
    identity = {ap.reference_label(r): r for r in path.identity}
    grouped = {}
    for entry in labels:
        policy, statement = entry.rsplit(":", 1)
        if policy in GIVEN_LABELS:
            continue  # the application's own policy is given, not deployed
        reference = identity.get(policy, path.resource_policy)
        grouped.setdefault(reference, set()).add(statement)
    return grouped


def removal_cases():
    """Allowed rows: one case per policy that allows it (its one statement, or all of its
    alternative statements). Refused rows refused by Deny statements: one case removing them all."""
    cases = []
    for path in PATHS:
        result = evaluate(path)
        if result.allowed != path.expect:
            continue  # a failing row already shows (test_access_path); nothing to take away
        if result.allowed:
            for reference, labels in sorted(by_policy(path, result.allowed_by).items()):
                removal = [(reference, labels)]
                cases.append(pytest.param(path, removal, id=f"{path.id} without {reference[0]} {sorted(labels)}"))
        elif result.denied_by:
            removal = sorted(by_policy(path, result.denied_by).items())
            names = sorted(label for _reference, labels in removal for label in labels)
            cases.append(pytest.param(path, removal, id=f"{path.id} without the denies {names}"))
    return cases


REMOVALS = removal_cases()


@pytest.mark.parametrize(("path", "removal"), REMOVALS)
def test_each_statement_a_row_depends_on_is_needed(path, removal):
    """Allowed rows: without the statements of one policy that allow it, AWS refuses. Refused rows:
    without the Deny statements that refuse it, AWS would allow it - the Deny is what refuses it,
    not a missing allow (so a refused row cannot pass by a typo in its request)."""
    result = evaluate(path, without(DOCUMENTS, removal))
    if path.expect:
        assert not result.allowed, f"still allowed without {removal}:" + explain(path, result)
    else:
        assert result.allowed, f"still refused without {removal}:" + explain(path, result)


def test_removal_cases_cover_every_kind_of_policy():
    """The removal test reaches identity, trust, key, bucket, topic and function policies (so it
    cannot silently shrink to nothing when a row fails)."""
    kinds = {reference[0] for case in REMOVALS for reference, _labels in case.values[1]}
    assert {"key-policy", "bucket-policy", "topic-policy", "function-policy", "trust", "role-policy"} <= kinds, kinds


# --------------------------------------------------------------------------------------------
# The harness renders what the roles render
# --------------------------------------------------------------------------------------------


def test_rendering_uses_the_roles_own_names():
    description = STACK.description()
    assert description["name_prefix"] == "finproc-dev"
    assert description["monitoring_namespace"] == "finproc/dev/dr"
    monitor = DOCUMENTS[("role-policy", "finproc-dev-monitor-us-east-2", ap.MONITOR_POLICY)]
    text = json.dumps(monitor)
    assert "arn:aws:logs:us-east-2:000000000000:log-group:/aws/lambda/finproc-dev-health-monitor:*" in text
    assert "route53:::healthcheck/" + render.HEALTH_CHECKS["us-west-2"] in text
    key_policy = DOCUMENTS[("key-policy", "us-east-1")]
    assert "logs.us-east-1.amazonaws.com" in json.dumps(key_policy)


def test_a_changed_name_prefix_reaches_every_document():
    stack = render.Stack(prefix_vars={"dr_environment": "prod"})
    documents = stack.documents()
    paths = ap.access_paths(stack.description())
    assert stack.description()["name_prefix"] == "finproc-prod"
    for path in paths:
        for reference in path.references():
            assert reference in documents or reference[0] == "given", (path.id, reference)
    assert ("role-policy", "finproc-prod-s3-replication-us-west-2", ap.REPLICATION_POLICY) in documents


def test_a_single_region_stack_has_no_replication_or_table_rows():
    stack = render.Stack(regions=("us-east-2",))
    paths = ap.access_paths(stack.description())
    ids = [p.id for p in paths]
    assert not [i for i in ids if i.startswith("s3-replication")]
    assert not [i for i in ids if "Item" in i or "kms-decrypt" in i]
    assert "monitor:us-east-2:PutMetricData" in ids


def test_the_elb_accounts_are_the_ones_the_load_balancing_role_grants():
    """access_paths' ELB log-delivery table and the role's are the same page's table."""
    role_vars = render._yaml("roles/load_balancing/vars/main.yml")
    assert dict(role_vars["load_balancing_elb_account_ids"]) == ap.ELB_ACCOUNTS
    assert role_vars["load_balancing_elb_log_delivery_service"] == ap.ELB_LOG_DELIVERY_SERVICE

"""The policy templates of the roles, rendered by Ansible's own Templar (issue 11).

What an access-path evaluation cannot show by itself: the shape of the rendered documents (a statement per
destination, the encryption contexts a bucket key uses, the key ARNs that reach the monitor's policy from the
peers' host facts, deny statements that only test headers present, trust conditions only where AWS documents
them). Each test fails on the templates as they were before the fix; the AWS pages are cited in the templates.
"""

import json
from pathlib import Path

import pytest
import yaml
from ansible.parsing.dataloader import DataLoader
from ansible.template import Templar, trust_as_template
from ansible_collections.finproc.dr.plugins.filter.topology import topology

ROOT = Path(__file__).resolve().parents[3]
ACCOUNT = "111122223333"


def template(text, **variables):
    return Templar(loader=DataLoader(), variables=variables).template(trust_as_template(text))


def render(role, name, **variables):
    """The JSON document the role's template renders with these variables."""
    return json.loads(template((ROOT / "roles" / role / "templates" / name).read_text(), **variables))


def role_default(role, name, **variables):
    """A variable of the role's defaults/main.yml, templated with these variables."""
    defaults = yaml.safe_load((ROOT / "roles" / role / "defaults" / "main.yml").read_text())
    return template(defaults[name], **variables)


def key_arn(region, key_id):
    return f"arn:aws:kms:{region}:{ACCOUNT}:key/{key_id}"


def bucket(region):
    return f"finproc-dev-{ACCOUNT}-{region}"


def as_list(value):
    return value if isinstance(value, list) else [value]


# --- S3 replication ---------------------------------------------------------------------------------------------

PRIMARY = "us-east-1"
DESTINATIONS = [
    {"region": "eu-west-1", "bucket_name": bucket("eu-west-1"), "kms_key_arn": key_arn("eu-west-1", "2222")},
    {
        "region": "ap-southeast-2",
        "bucket_name": bucket("ap-southeast-2"),
        "kms_key_arn": key_arn("ap-southeast-2", "9"),
    },
]


def replication_policy(destinations=None):
    return render(
        "data",
        "replication_policy.json.j2",
        data_replication_destinations=DESTINATIONS if destinations is None else destinations,
        data_bucket_arn=f"arn:aws:s3:::{bucket(PRIMARY)}",
        data_partition="aws",
        data_kms_key_arn=key_arn(PRIMARY, "1111"),
        data_region=PRIMARY,
    )


def test_the_replication_policy_has_an_encrypt_statement_per_destination():
    """Item 1: a {% set %} inside {% for %} is loop-scoped; the per-destination statements were lost."""
    statements = {s["Sid"]: s for s in replication_policy()["Statement"]}
    encrypt = {sid: s["Resource"] for sid, s in statements.items() if sid.startswith("EncryptInto")}
    assert encrypt == {
        "EncryptIntoEuwest1": key_arn("eu-west-1", "2222"),
        "EncryptIntoApsoutheast2": key_arn("ap-southeast-2", "9"),
    }
    # A secondary replicates to the primary only: one statement.
    single = replication_policy(DESTINATIONS[:1])["Statement"]
    assert [s["Sid"] for s in single if s["Sid"].startswith("EncryptInto")] == ["EncryptIntoEuwest1"]


def test_the_replication_keys_are_usable_in_the_bucket_key_context_and_the_destination_key_decrypts():
    """Item 2: with S3 Bucket Keys the encryption context is the bucket ARN; the destination key needs Decrypt."""
    statements = {s["Sid"]: s for s in replication_policy()["Statement"]}
    source = statements["DecryptTheSource"]
    assert as_list(source["Action"]) == ["kms:Decrypt"]
    assert source["Condition"] == {
        "StringEquals": {"kms:ViaService": f"s3.{PRIMARY}.amazonaws.com"},
        "StringLike": {
            "kms:EncryptionContext:aws:s3:arn": [f"arn:aws:s3:::{bucket(PRIMARY)}", f"arn:aws:s3:::{bucket(PRIMARY)}/*"]
        },
    }
    for peer in DESTINATIONS:
        statement = statements["EncryptInto" + peer["region"].replace("-", "").title()]
        assert sorted(as_list(statement["Action"])) == ["kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey"]
        arn = f"arn:aws:s3:::{peer['bucket_name']}"
        assert statement["Condition"] == {
            "StringEquals": {"kms:ViaService": f"s3.{peer['region']}.amazonaws.com"},
            "StringLike": {"kms:EncryptionContext:aws:s3:arn": [arn, arn + "/*"]},
        }


# --- the health monitor's KMS permissions ------------------------------------------------------------------------

HOSTVARS = {
    "us-east-1": {"dr_role": "primary", "encryption_key_arn": key_arn("us-east-1", "1111")},
    "eu": {"dr_role": "secondary", "dr_region": "eu-west-1", "encryption_key_arn": key_arn("eu-west-1", "22")},
}
TABLE = "finproc-dev-transactions"


def monitor_policy(region, table_regions, hostvars=None):
    hostvars = HOSTVARS if hostvars is None else hostvars
    # The play's topology as the common role sets it (a host's region is its dr_region or its name).
    dr_topology = topology(list(hostvars), hostvars)
    keys = role_default("monitoring", "monitoring_replica_kms_key_arns", hostvars=hostvars, dr_topology=dr_topology)
    return render(
        "monitoring",
        "lambda_policy.json.j2",
        monitoring_partition="aws",
        monitoring_region=region,
        monitoring_account_id=ACCOUNT,
        monitoring_function_log_group="/aws/lambda/finproc-dev-health-monitor",
        monitoring_namespace="finproc/dev/dr",
        monitoring_targets=[{"health_check_id": "hc-1"}],
        monitoring_table_name=TABLE,
        monitoring_table_regions=table_regions,
        monitoring_heartbeat_key_prefix="finproc-monitor#heartbeat#",
        monitoring_replica_kms_key_arns=keys,
    )


@pytest.mark.parametrize("region", ["us-east-1", "eu-west-1"])
def test_the_monitor_may_use_the_key_of_every_replica_through_dynamodb_of_its_region_for_the_table_only(region):
    """Item 3: the keys come from each host's encryption_key_arn (the region is dr_region or the host name)."""
    # ap-south-1: a replica kept after its host left the inventory; its key is not known to the play.
    statements = monitor_policy(region, ["us-east-1", "eu-west-1", "ap-south-1"])["Statement"]
    kms = [s for s in statements if any(a.startswith("kms:") for a in as_list(s["Action"]))]
    assert {s["Resource"]: s for s in kms}.keys() == {key_arn("us-east-1", "1111"), key_arn("eu-west-1", "22")}
    for statement in kms:
        replica_region = statement["Resource"].split(":")[3]
        assert statement["Effect"] == "Allow"
        assert as_list(statement["Action"]) == ["kms:Decrypt"]
        assert statement["Condition"] == {
            "StringEquals": {
                "kms:ViaService": f"dynamodb.{replica_region}.amazonaws.com",
                "kms:EncryptionContext:aws:dynamodb:tableName": TABLE,
                "kms:EncryptionContext:aws:dynamodb:subscriberId": ACCOUNT,
            }
        }


def test_the_monitor_gets_no_key_when_its_region_has_no_replica():
    statements = monitor_policy("eu-west-1", [])["Statement"]
    assert not [s for s in statements if any(a.startswith("kms:") for a in as_list(s["Action"]))]


# --- the bucket policy ------------------------------------------------------------------------------------------


def bucket_policy():
    return render(
        "data",
        "bucket_policy.json.j2",
        data_partition="aws",
        data_bucket_name=bucket(PRIMARY),
        data_kms_key_arn=key_arn(PRIMARY, "1111"),
    )


def test_the_bucket_policy_denies_uploads_only_on_encryption_headers_present():
    """Item 4: a Deny whose String condition tests a header must also require the header (Null: false).

    Otherwise StringNotEquals(IfExists) is true for a missing header and an upload relying on the default
    encryption, or a multipart UploadPart (no SSE header), is refused.
    """
    statements = {s["Sid"]: s for s in bucket_policy()["Statement"]}
    uploads = [s for s in statements.values() if s["Effect"] == "Deny" and as_list(s["Action"]) == ["s3:PutObject"]]
    assert uploads
    for statement in uploads:
        condition = statement["Condition"]
        assert not [op for op in condition if op.endswith("IfExists")], statement["Sid"]
        present = {k for k, v in condition.get("Null", {}).items() if v == "false"}
        tested = {k for op, keys in condition.items() if op.startswith("String") for k in keys}
        assert tested <= present, statement["Sid"]
        assert present, statement["Sid"]
    assert statements["DenyUploadsWithAnotherKey"]["Condition"]["StringNotEquals"] == {
        "s3:x-amz-server-side-encryption-aws-kms-key-id": key_arn(PRIMARY, "1111")
    }
    assert statements["DenyInsecureTransport"]["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}


# --- trust and key policies ---------------------------------------------------------------------------------------


def test_trust_conditions_only_where_aws_documents_that_the_service_sets_them():
    """Item 6: S3 replication and Lambda: none documented; VPC Flow Logs: both documented."""
    replication = render("data", "replication_trust.json.j2", data_account_id=ACCOUNT, data_bucket_arn="arn:aws:s3:::b")
    lambda_ = render("monitoring", "lambda_trust.json.j2", monitoring_account_id=ACCOUNT)
    for document, service in ((replication, "s3.amazonaws.com"), (lambda_, "lambda.amazonaws.com")):
        assert document["Statement"] == [
            {"Effect": "Allow", "Principal": {"Service": service}, "Action": "sts:AssumeRole"}
        ]
    flow_logs = render(
        "network",
        "flow_logs_trust.json.j2",
        network_account_id=ACCOUNT,
        network_partition="aws",
        network_region="eu-west-1",
    )
    assert flow_logs["Statement"][0]["Condition"] == {
        "StringEquals": {"aws:SourceAccount": ACCOUNT},
        "ArnLike": {"aws:SourceArn": f"arn:aws:ec2:eu-west-1:{ACCOUNT}:vpc-flow-log/*"},
    }


def test_cloudwatch_alarms_may_use_the_key_without_an_undocumented_condition():
    """The SNS page's statement for AWS event sources has no condition; EventBridge publishes to no topic here."""
    policy = render(
        "encryption",
        "key_policy.json.j2",
        encryption_account_id=ACCOUNT,
        encryption_partition="aws",
        encryption_region=PRIMARY,
        encryption_key_alias="finproc-dev",
        encryption_key_admin_arns=[],
    )
    services = [s for s in policy["Statement"] if "Service" in s["Principal"]]
    alarms = [s for s in services if "cloudwatch.amazonaws.com" in as_list(s["Principal"]["Service"])]
    assert alarms == [
        {
            "Sid": "CloudWatchAlarmsPublishToEncryptedTopics",
            "Effect": "Allow",
            "Principal": {"Service": "cloudwatch.amazonaws.com"},
            "Action": ["kms:Decrypt", "kms:GenerateDataKey*"],
            "Resource": "*",
        }
    ]
    assert not [s for s in services if "events.amazonaws.com" in as_list(s["Principal"]["Service"])]

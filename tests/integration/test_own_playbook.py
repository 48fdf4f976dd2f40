"""A user's own playbook, outside the repository, with the installed collection and only an inventory.

As a user would after `ansible-galaxy collection install`: the collection is built and installed
offline into an empty directory, and a playbook there, with its own ansible.cfg (collections_path
pointing at it) and its own inventory, runs finproc.dr.encryption and finproc.dr.network. The roles
get the shared defaults from finproc.dr.common (their meta dependency) and the inventory's `all` vars
win over them: the VPC carries the inventory's environment in its name. One region, single NAT.
"""

import os
import subprocess
from pathlib import Path

import boto3
import pytest
import yaml
from conftest import recap

ROOT = Path(__file__).resolve().parents[2]
GALAXY = yaml.safe_load((ROOT / "galaxy.yml").read_text())
REGION = "us-east-2"


def run(*cmd, cwd, env=None):
    """Run outside the repository's configuration (no ANSIBLE_CONFIG, no .collections)."""
    clean = {k: v for k, v in os.environ.items() if k not in ("ANSIBLE_CONFIG", "ANSIBLE_COLLECTIONS_PATH")}
    clean.update(ANSIBLE_NOCOLOR="1", ANSIBLE_FORCE_COLOR="0", **(env or {}))
    return subprocess.run(cmd, cwd=cwd, env=clean, capture_output=True, text=True, timeout=600, check=False)


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    out = tmp_path_factory.mktemp("build")
    built = run("ansible-galaxy", "collection", "build", "--output-path", str(out), cwd=ROOT)
    assert built.returncode == 0, built.stderr
    tarball = out / f"{GALAXY['namespace']}-{GALAXY['name']}-{GALAXY['version']}.tar.gz"
    target = tmp_path_factory.mktemp("collections")
    done = run("ansible-galaxy", "collection", "install", "--offline", str(tarball), "-p", str(target), cwd=out)
    assert done.returncode == 0, done.stdout + done.stderr
    return target


def test_network_from_an_own_playbook_with_only_an_inventory(tmp_path, installed, environment_name):
    project = tmp_path / "my-project"
    project.mkdir()
    (project / "ansible.cfg").write_text(
        f"[defaults]\ncollections_path = {installed}\ninventory = hosts.yml\ninterpreter_python = auto_silent\n"
    )
    (project / "hosts.yml").write_text(
        yaml.safe_dump(
            {
                "all": {
                    # Where AWX puts the inventory's variables: they win over the collection's defaults.
                    "vars": {"dr_environment": environment_name, "dr_nat_gateway_mode": "single"},
                    "children": {
                        "regions": {
                            "vars": {
                                "ansible_connection": "local",
                                "ansible_python_interpreter": "{{ ansible_playbook_python }}",
                            },
                            "hosts": {
                                REGION: {
                                    "dr_role": "primary",
                                    "dr_vpc_cidr": "10.42.0.0/16",
                                    "dr_azs": [f"{REGION}a", f"{REGION}b"],
                                    "dr_public_subnet_cidrs": ["10.42.0.0/24", "10.42.1.0/24"],
                                    "dr_private_subnet_cidrs": ["10.42.10.0/24", "10.42.11.0/24"],
                                }
                            },
                        }
                    },
                }
            },
            sort_keys=False,
        )
    )
    (project / "network.yml").write_text(
        yaml.safe_dump(
            [
                {
                    "name": "My network",
                    "hosts": "regions",
                    "gather_facts": False,
                    "roles": [{"role": "finproc.dr.encryption"}, {"role": "finproc.dr.network"}],
                }
            ],
            sort_keys=False,
        )
    )

    done = run("ansible-playbook", "network.yml", cwd=project, env={"ANSIBLE_CONFIG": str(project / "ansible.cfg")})
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]
    assert recap(done.stdout)[REGION]["failed"] == 0

    ec2 = boto3.client("ec2", region_name=REGION)
    prefix = f"finproc-{environment_name}"
    vpcs = ec2.describe_vpcs(Filters=[{"Name": "tag:Name", "Values": [f"{prefix}-vpc"]}])["Vpcs"]
    assert [v["CidrBlock"] for v in vpcs] == ["10.42.0.0/16"]
    tags = {t["Key"]: t["Value"] for t in vpcs[0]["Tags"]}
    assert tags["finproc:stack"] == prefix
    assert tags["Environment"] == environment_name
    # The shared default nobody set: the collection's.
    assert tags["CostCenter"] == "CC-0000"
    # The inventory's NAT mode won over the default (per_az).
    nats = ec2.describe_nat_gateways(Filters=[{"Name": "vpc-id", "Values": [vpcs[0]["VpcId"]]}])["NatGateways"]
    assert len([n for n in nats if n["State"] != "deleted"]) == 1
    # The region's key, found by its alias, encrypts the flow-log group.
    key = boto3.client("kms", region_name=REGION).describe_key(KeyId=f"alias/{prefix}")["KeyMetadata"]["Arn"]
    groups = boto3.client("logs", region_name=REGION).describe_log_groups(
        logGroupNamePrefix=f"/finproc/{environment_name}/"
    )["logGroups"]
    assert [g.get("kmsKeyId") for g in groups] == [key]

"""The collection's defaults have the lowest precedence: every documented way of setting a variable wins.

The shared dr_* defaults live in the finproc.dr.common role's defaults (every role depends on it),
the lowest of Ansible's variable precedence (Ansible docs, "Using Variables", section
"Understanding variable precedence",
https://docs.ansible.com/ansible/latest/playbook_guide/playbooks_variables.html#understanding-variable-precedence).
A probe role that depends on finproc.dr.common prints what a role of the collection sees, with an
inventory whose `all` vars (where AWX writes inventory variables), group_vars/all, group_vars/regions,
host vars (in the file and in host_vars/), play vars, a role param and -e each set one setting. The
probe playbook runs from the repository's playbooks/ (where a group_vars/all.yml would outrank the
inventory's `all` vars and group_vars/all) and from a directory of the user's own. No AWS call.
"""

import json
import os
import subprocess
import uuid
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[3]
SHOWN = [
    "dr_environment",
    "dr_cost_center",
    "dr_app_name",
    "dr_rto_target_seconds",
    "dr_log_retention_days",
    "dr_health_check_path",
    "dr_app_port",
    "dr_tls_policy",
    "dr_dns_record_ttl_seconds",
    "dr_tags",
    "dr_name_prefix",
    "dr_topology",
]


def write(path, data):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(data if isinstance(data, str) else yaml.safe_dump(data, sort_keys=False))


def inventory(tmp_path):
    base = tmp_path / "inventory"
    write(
        base / "hosts.yml",
        {
            "all": {
                # Where AWX puts the inventory's variables.
                "vars": {"dr_environment": "production", "ansible_connection": "local"},
                "children": {
                    "regions": {
                        "hosts": {
                            "us-east-2": {"dr_role": "primary", "dr_rto_target_seconds": 240},
                            "eu": {"dr_role": "secondary", "dr_region": "eu-west-1"},
                        }
                    }
                },
            }
        },
    )
    write(base / "group_vars" / "all.yml", {"dr_cost_center": "CC-1001"})
    write(base / "group_vars" / "regions.yml", {"dr_app_name": "payments"})
    write(base / "host_vars" / "us-east-2.yml", {"dr_log_retention_days": 90})
    return base / "hosts.yml"


def probe_role(tmp_path):
    roles = tmp_path / "roles"
    write(roles / "probe" / "meta" / "main.yml", {"dependencies": [{"role": "finproc.dr.common"}]})
    shown = "{" + ", ".join("%r: %s" % (name, name) for name in SHOWN) + "}"
    write(
        roles / "probe" / "tasks" / "main.yml",
        [{"name": "Show", "ansible.builtin.debug": {"msg": "{{ %s | to_json }}" % shown}}],
    )
    return roles


PLAY = [
    {
        "name": "Probe",
        "hosts": "regions",
        "gather_facts": False,
        "vars": {"dr_health_check_path": "/ping"},
        "roles": [{"role": "probe", "dr_app_port": 9443}],
    }
]


def run(tmp_path, playbook_dir):
    playbook = playbook_dir / (".precedence-probe-%s.yml" % uuid.uuid4().hex[:8])
    playbook.write_text(yaml.safe_dump(PLAY))
    config = tmp_path / "ansible.cfg"
    config.write_text("[defaults]\ninterpreter_python = auto_silent\n")
    env = dict(
        os.environ,
        ANSIBLE_COLLECTIONS_PATH=str(ROOT / ".collections"),
        ANSIBLE_ROLES_PATH=str(probe_role(tmp_path)),
        ANSIBLE_STDOUT_CALLBACK="ansible.builtin.json",
        ANSIBLE_CONFIG=str(config),
        ANSIBLE_NOCOLOR="1",
    )
    try:
        done = subprocess.run(
            [
                "ansible-playbook",
                "-i",
                str(inventory(tmp_path)),
                str(playbook),
                "-e",
                "dr_tls_policy=ELBSecurityPolicy-TLS13-1-3-2021-06",
            ],
            cwd=playbook_dir,
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
    finally:
        playbook.unlink()
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    tasks = json.loads(done.stdout)["plays"][0]["tasks"]
    shown = [t for t in tasks if t["task"]["name"].endswith("Show")][0]
    return {host: json.loads(result["msg"]) for host, result in shown["hosts"].items()}


@pytest.mark.parametrize("where", ["repository playbooks/", "a playbook of the user's own"])
def test_every_way_of_setting_a_variable_wins_over_the_collection_defaults(tmp_path, where):
    playbook_dir = ROOT / "playbooks" if where.startswith("repository") else tmp_path
    seen = run(tmp_path, playbook_dir)
    east, eu = seen["us-east-2"], seen["eu"]
    for host in (east, eu):
        assert host["dr_environment"] == "production"  # inventory `all` vars
        assert host["dr_cost_center"] == "CC-1001"  # the inventory's group_vars/all.yml
        assert host["dr_app_name"] == "payments"  # the inventory's group_vars/regions.yml
        assert host["dr_health_check_path"] == "/ping"  # play vars
        assert host["dr_app_port"] == 9443  # a role param
        assert host["dr_tls_policy"] == "ELBSecurityPolicy-TLS13-1-3-2021-06"  # -e
        assert host["dr_dns_record_ttl_seconds"] == 60  # nobody set it: the collection's default
        # Defaults built from other settings follow the values that won.
        assert host["dr_name_prefix"] == "payments-production"
        assert host["dr_tags"] == {
            "Environment": "production",
            "App": "payments",
            "ManagedBy": "ansible-finproc.dr",
            "CostCenter": "CC-1001",
        }
    assert east["dr_rto_target_seconds"] == 240  # a host var in the inventory file
    assert eu["dr_rto_target_seconds"] == 300
    assert east["dr_log_retention_days"] == 90  # host_vars/<host>.yml
    assert eu["dr_log_retention_days"] == 30
    # The topology every role reads: set once, the same on every host.
    assert east["dr_topology"] == eu["dr_topology"]
    assert [(p["host"], p["region"], p["failover_record"]) for p in east["dr_topology"]["peers"]] == [
        ("us-east-2", "us-east-2", "PRIMARY"),
        ("eu", "eu-west-1", "SECONDARY"),
    ]

"""The filters of plugins/filter/specs.py give exactly what the templates they replace gave.

The templates (roles/monitoring/templates/alarms.yml.j2, roles/dns_failover/templates/health_check_alarms.yml.j2,
roles/network/templates/subnets.yml.j2 and nat_gateways.yml.j2) rendered YAML for the play to parse back
(`lookup('ansible.builtin.template', ...) | from_yaml`). Here each is rendered by Ansible's own Templar and parsed
the same way, for the default inventory (inventories/local: us-east-2 primary, us-west-2 secondary, the
collection's defaults) and variants, and compared with the filter given the same settings.
"""

import pytest
import yaml
from ansible.parsing.dataloader import DataLoader
from ansible.template import Templar, trust_as_template
from pathlib import Path

from ansible_collections.finproc.dr.plugins.filter.specs import (
    health_check_alarms,
    monitor_alarms,
    nat_gateway_specs,
    subnet_specs,
)

ROOT = Path(__file__).resolve().parents[4]
PREFIX = "finproc-dev"
TAGS = {"Environment": "dev", "App": "finproc", "ManagedBy": "ansible-finproc.dr", "CostCenter": "CC-0000"}
STACK_TAGS = dict(TAGS, **{"finproc:stack": PREFIX})
INVENTORY = {
    "us-east-2": {
        "dr_role": "primary",
        "azs": ["us-east-2a", "us-east-2b"],
        "public": ["10.0.0.0/24", "10.0.1.0/24"],
        "private": ["10.0.10.0/24", "10.0.11.0/24"],
    },
    "us-west-2": {
        "dr_role": "secondary",
        "azs": ["us-west-2a", "us-west-2b"],
        "public": ["10.1.0.0/24", "10.1.1.0/24"],
        "private": ["10.1.10.0/24", "10.1.11.0/24"],
    },
}
THIRD = {"eu-west-1": {"dr_role": "secondary", "azs": ["eu-west-1a", "eu-west-1b", "eu-west-1c"]}}


def render(role, template, variables):
    text = (ROOT / "roles" / role / "templates" / template).read_text()
    return yaml.safe_load(Templar(loader=DataLoader(), variables=variables).template(trust_as_template(text)))


def monitoring_case(region, regions, rules=True, native=True):
    """The monitoring role's variables in `region` of a converged stack of `regions`."""
    others = [r for r in regions if r != region]
    primary = next(r for r in regions if INVENTORY.get(r, THIRD.get(r))["dr_role"] == "primary")
    destinations = others if region == primary else [primary]
    variables = {
        "monitoring_alarm_prefix": f"{PREFIX}-{region}-monitor-",
        "monitoring_namespace": "finproc/dev/dr",
        # Ansible 2.19 keeps native types: `monitoring_schedule_minutes | int * 60` is 120; a string when not.
        "monitoring_schedule_seconds": 120 if native else "120",
        "monitoring_rpo_target_seconds": 60 if native else "60",
        "monitoring_region": region,
        "monitoring_endpoints": [
            {
                "region": r,
                "target": "load-balancer",
                "url": f"https://{PREFIX}-alb-123.{r}.elb.amazonaws.com/health",
                "server_name": "api.dev.finproc.example",
            }
            for r in regions
        ]
        + [{"region": "global", "target": "service-name", "url": "https://api.dev.finproc.example/health"}],
        "monitoring_peer_regions": others,
        "monitoring_table_name": f"{PREFIX}-transactions",
        "monitoring_bucket_name": f"{PREFIX}-000000000000-{region}",
        "monitoring_bucket_replication_rules": [
            {"id": f"to-{d}", "destination": {"bucket": f"{PREFIX}-000000000000-{d}"}} for d in destinations
        ]
        if rules
        else [],
        "monitoring_s3_replication_latency_threshold_seconds": 900 if native else "900",
        "monitoring_function_name": f"{PREFIX}-health-monitor",
    }
    settings = {
        "alarm_prefix": variables["monitoring_alarm_prefix"],
        "namespace": variables["monitoring_namespace"],
        "schedule_seconds": variables["monitoring_schedule_seconds"],
        "rpo_target_seconds": variables["monitoring_rpo_target_seconds"],
        "region": region,
        "endpoints": variables["monitoring_endpoints"],
        "peer_regions": variables["monitoring_peer_regions"],
        "table_name": variables["monitoring_table_name"],
        "bucket_name": variables["monitoring_bucket_name"],
        "bucket_replication_rules": variables["monitoring_bucket_replication_rules"],
        "s3_replication_latency_threshold_seconds": variables["monitoring_s3_replication_latency_threshold_seconds"],
        "function_name": variables["monitoring_function_name"],
    }
    return variables, settings


CASES = [
    ("us-east-2", ["us-east-2", "us-west-2"], True, True),
    ("us-west-2", ["us-east-2", "us-west-2"], True, True),
    ("us-east-2", ["us-east-2", "us-west-2"], True, False),
    ("us-east-2", ["us-east-2"], False, True),
    ("eu-west-1", ["us-east-2", "us-west-2", "eu-west-1"], True, True),
]


@pytest.mark.parametrize(("region", "regions", "rules", "native"), CASES)
def test_monitor_alarms_equal_the_template(region, regions, rules, native):
    variables, settings = monitoring_case(region, regions, rules, native)
    wanted = render("monitoring", "alarms.yml.j2", variables)
    assert monitor_alarms(settings) == wanted
    # Same types too (an int threshold stays an int, 1.0 a float): == alone would take 1 == 1.0.
    assert [{k: type(v) for k, v in a.items()} for a in monitor_alarms(settings)] == [
        {k: type(v) for k, v in a.items()} for a in wanted
    ]


def dns_peers(regions, checks=True):
    return [
        {
            "host": r,
            "region": r,
            "name": f"{PREFIX}-{r}",
            "health_check_id": f"{index:08d}-1111-2222-3333-444444444444" if checks else "",
            "record": {"us-east-2": "PRIMARY", "us-west-2": "SECONDARY"}.get(r, ""),
        }
        for index, r in enumerate(regions)
    ]


@pytest.mark.parametrize(
    ("peers", "periods"),
    [
        (dns_peers(["us-east-2", "us-west-2"]), 1),
        (dns_peers(["us-east-2", "us-west-2"]), "3"),
        (dns_peers(["us-east-2", "us-west-2", "eu-west-1"]), 1),
        (dns_peers(["us-east-2", "us-west-2"], checks=False), 1),  # check mode: no health check yet
        (dns_peers(["us-east-2"]) + dns_peers(["us-west-2"], checks=False), 1),
    ],
)
def test_health_check_alarms_equal_the_template(peers, periods):
    topic = "arn:aws:sns:us-east-1:000000000000:finproc-dev-dns-health"
    variables = {
        "dns_failover_peers": peers,
        "dns_failover_name_prefix": PREFIX,
        "dns_failover_alarm_evaluation_periods": periods,
        "dns_failover_topic": {"topic_arn": topic},
    }
    wanted = render("dns_failover", "health_check_alarms.yml.j2", variables)
    found = health_check_alarms(peers, {"name_prefix": PREFIX, "evaluation_periods": periods, "topic_arn": topic})
    assert found == wanted
    assert [{k: type(v) for k, v in a.items()} for a in found] == [{k: type(v) for k, v in a.items()} for a in wanted]


@pytest.mark.parametrize("region", ["us-east-2", "us-west-2"])
def test_subnet_specs_equal_the_template(region):
    host = INVENTORY[region]
    variables = {
        "network_azs": host["azs"],
        "network_subnet_cidrs": {"public": host["public"], "private": host["private"]},
        "network_stack_tags": STACK_TAGS,
        "network_name_prefix": PREFIX,
    }
    wanted = render("network", "subnets.yml.j2", variables)
    found = subnet_specs(
        {
            "azs": host["azs"],
            "public_subnet_cidrs": host["public"],
            "private_subnet_cidrs": host["private"],
            "name_prefix": PREFIX,
            "tags": STACK_TAGS,
        }
    )
    assert found == wanted


@pytest.mark.parametrize(
    ("region", "count"), [("us-east-2", 2), ("us-west-2", 2), ("us-east-2", 1), ("us-east-2", "2")]
)
@pytest.mark.parametrize("ids", [["subnet-0a", "subnet-0b"], ["", ""]])  # check mode on an empty account: no IDs
def test_nat_gateway_specs_equal_the_template(region, count, ids):
    host = INVENTORY[region]
    variables = {
        "network_nat_count": count,
        "network_public_subnet_ids": ids,
        "network_stack_tags": STACK_TAGS,
        "network_name_prefix": PREFIX,
        "network_azs": host["azs"],
    }
    wanted = render("network", "nat_gateways.yml.j2", variables)
    found = nat_gateway_specs(
        {"count": count, "public_subnet_ids": ids, "azs": host["azs"], "name_prefix": PREFIX, "tags": STACK_TAGS}
    )
    assert found == wanted

import copy

import pytest
from ansible_collections.finproc.dr.plugins.filter.preflight import known_regions, preflight_problems

EAST = {
    "host": "us-east-2",
    "region": "us-east-2",
    "role": "primary",
    "vpc_cidr": "10.0.0.0/16",
    "azs": ["us-east-2a", "us-east-2b"],
    "public_subnet_cidrs": ["10.0.0.0/24", "10.0.1.0/24"],
    "private_subnet_cidrs": ["10.0.10.0/24", "10.0.11.0/24"],
}
WEST = {
    "host": "us-west-2",
    "region": "us-west-2",
    "role": "secondary",
    "vpc_cidr": "10.1.0.0/16",
    "azs": ["us-west-2a", "us-west-2b"],
    "public_subnet_cidrs": ["10.1.0.0/24", "10.1.1.0/24"],
    "private_subnet_cidrs": ["10.1.10.0/24", "10.1.11.0/24"],
}
SETTINGS = {
    "tags": {"Environment": "dev", "App": "finproc", "ManagedBy": "ansible", "CostCenter": "CC-1"},
    "required_tags": ["Environment", "App", "ManagedBy", "CostCenter"],
    "name_prefix": "finproc-dev",
    "rto_target_seconds": 300,
    "rpo_target_seconds": 60,
    "app_port": 8080,
    "nat_gateway_mode": "per_az",
    "log_retention_days": 30,
}


def regions(**changes):
    east, west = copy.deepcopy(EAST), copy.deepcopy(WEST)
    for key, value in changes.items():
        host, _sep, field = key.partition("__")
        (east if host == "east" else west)[field] = value
    return [east, west]


def settings(**changes):
    result = copy.deepcopy(SETTINGS)
    result.update(changes)
    return result


def test_a_sound_inventory_has_no_problem():
    assert preflight_problems(regions(), settings()) == []


def test_known_regions_come_from_botocore_without_a_call():
    found = known_regions()
    assert {"us-east-2", "us-west-2", "eu-west-1"} <= found
    assert "mars-north-1" not in found


@pytest.mark.parametrize(
    "changes, expected",
    [
        ({"west__role": "primary"}, "more than one primary region: us-east-2, us-west-2"),
        ({"east__role": "secondary"}, "no region has dr_role: primary; exactly one must"),
        ({"east__role": None}, "host us-east-2: dr_role is missing"),
        ({"west__role": "standby"}, "host us-west-2: dr_role 'standby' is not one of primary, secondary"),
        (
            {"west__region": "us-east-2", "west__azs": ["us-east-2a", "us-east-2b"]},
            "hosts us-east-2 and us-west-2 both deploy region us-east-2",
        ),
        (
            {"west__region": "mars-north-1", "west__azs": ["mars-north-1a", "mars-north-1b"]},
            "host us-west-2: 'mars-north-1' is not an AWS region",
        ),
        (
            {
                "west__vpc_cidr": "10.0.128.0/17",
                "west__public_subnet_cidrs": ["10.0.128.0/24", "10.0.129.0/24"],
                "west__private_subnet_cidrs": ["10.0.130.0/24", "10.0.131.0/24"],
            },
            "VPC CIDRs overlap: us-east-2 (10.0.0.0/16) and us-west-2 (10.0.128.0/17)",
        ),
        ({"east__vpc_cidr": "10.0.0.300/16"}, "host us-east-2: dr_vpc_cidr '10.0.0.300/16' is not a valid IPv4 CIDR"),
        ({"east__vpc_cidr": "10.0.0.1/16"}, "host us-east-2: dr_vpc_cidr '10.0.0.1/16' is not a valid IPv4 CIDR"),
        ({"east__vpc_cidr": "10.0.0.0"}, "is not a valid IPv4 CIDR"),
        ({"east__vpc_cidr": "fd00::/56"}, "is not a valid IPv4 CIDR"),
        (
            {"east__vpc_cidr": "10.0.0.0/8"},
            "host us-east-2: dr_vpc_cidr 10.0.0.0/8 has prefix /8; AWS allows /16 to /28",
        ),
        ({"east__vpc_cidr": None}, "host us-east-2: dr_vpc_cidr is missing"),
        (
            {"east__private_subnet_cidrs": ["10.0.10.0/24", "10.9.11.0/24"]},
            "host us-east-2: subnet 10.9.11.0/24 is outside its VPC 10.0.0.0/16",
        ),
        (
            {"east__private_subnet_cidrs": ["10.0.0.0/25", "10.0.11.0/24"]},
            "host us-east-2: subnets 10.0.0.0/24 and 10.0.0.0/25 overlap",
        ),
        (
            {"east__public_subnet_cidrs": ["10.0.0.0/24"]},
            "host us-east-2: dr_public_subnet_cidrs has 1 entries for 2 availability zones",
        ),
        ({"east__private_subnet_cidrs": None}, "host us-east-2: dr_private_subnet_cidrs is missing"),
        ({"east__public_subnet_cidrs": "10.0.0.0/24"}, "host us-east-2: dr_public_subnet_cidrs must be a list"),
        (
            {
                "east__azs": ["us-east-2a"],
                "east__public_subnet_cidrs": ["10.0.0.0/24"],
                "east__private_subnet_cidrs": ["10.0.10.0/24"],
            },
            "host us-east-2: dr_azs lists 1 availability zone(s); at least 2 are needed",
        ),
        (
            {"east__azs": ["us-east-2a", "us-west-2b"]},
            "host us-east-2: availability zone 'us-west-2b' is not a zone of us-east-2",
        ),
        ({"east__azs": ["us-east-2a", "us-east-2a"]}, "host us-east-2: dr_azs repeats an availability zone"),
    ],
)
def test_each_region_problem_is_named(changes, expected):
    problems = preflight_problems(regions(**changes), settings())
    assert any(expected in p for p in problems), problems


@pytest.mark.parametrize(
    "changes, expected",
    [
        (
            {"tags": {"Environment": "dev", "App": "finproc", "ManagedBy": "ansible"}},
            "required tag CostCenter is missing from dr_tags",
        ),
        (
            {"tags": {"Environment": "", "App": "finproc", "ManagedBy": "ansible", "CostCenter": "x"}},
            "required tag Environment is missing from dr_tags",
        ),
        ({"tags": dict(SETTINGS["tags"], **{"aws:owner": "x"})}, "tag aws:owner: the aws: prefix is reserved"),
        ({"tags": dict(SETTINGS["tags"], Long="x" * 257)}, "tag Long: a tag value has at most 256 characters"),
        ({"tags": "Environment=dev"}, "dr_tags must be a dictionary"),
        ({"name_prefix": "Finproc_Dev"}, "the name prefix 'Finproc_Dev'"),
        ({"rto_target_seconds": 10}, "dr_rto_target_seconds must be a whole number from 60 to 86400, got 10"),
        ({"rto_target_seconds": "300"}, "dr_rto_target_seconds must be a whole number"),
        ({"rpo_target_seconds": 0}, "dr_rpo_target_seconds must be a whole number from 1 to 86400, got 0"),
        ({"app_port": 70000}, "dr_app_port must be a whole number from 1 to 65535"),
        ({"app_port": 443}, "dr_app_port must differ from the load balancer's ports 80 and 443"),
        ({"nat_gateway_mode": "none"}, "dr_nat_gateway_mode 'none' is not one of per_az, single"),
        ({"log_retention_days": 31}, "dr_log_retention_days 31 is not a retention CloudWatch Logs accepts"),
    ],
)
def test_each_settings_problem_is_named(changes, expected):
    problems = preflight_problems(regions(), settings(**changes))
    assert any(expected in p for p in problems), problems


def test_every_problem_is_listed_at_once():
    problems = preflight_problems(
        regions(
            west__role="primary",
            east__vpc_cidr="10.0.0.0/33",
            west__private_subnet_cidrs=["10.1.10.0/24", "192.168.0.0/24"],
        ),
        settings(tags={}, rto_target_seconds=1),
    )
    # the CIDR, the subnet, the two primaries, four tags, the RTO target
    assert len(problems) == 8, problems
    joined = "\n".join(problems)
    for fragment in (
        "more than one primary",
        "10.0.0.0/33",
        "192.168.0.0/24 is outside its VPC",
        "required tag Environment",
        "required tag CostCenter",
        "dr_rto_target_seconds",
    ):
        assert fragment in joined


def test_an_empty_inventory_is_a_problem():
    assert "the inventory has no region host in group 'regions'" in preflight_problems([], settings())


@pytest.mark.parametrize(
    "urls, expected",
    [
        ({"AWS_ENDPOINT_URL": ""}, "AWS_ENDPOINT_URL is not set"),
        (
            {"AWS_ENDPOINT_URL": "https://ec2.us-east-2.amazonaws.com"},
            "AWS_ENDPOINT_URL=https://ec2.us-east-2.amazonaws.com is not on loopback",
        ),
        (
            {"AWS_ENDPOINT_URL": "http://127.0.0.1:5566", "AWS_ENDPOINT_URL_KMS": "http://10.1.2.3:4566"},
            "AWS_ENDPOINT_URL_KMS=http://10.1.2.3:4566 is not on loopback",
        ),
    ],
)
def test_the_loopback_guard(urls, expected):
    problems = preflight_problems(regions(), settings(endpoints={"require_loopback": True, "urls": urls}))
    assert any(expected in p for p in problems), problems


@pytest.mark.parametrize("url", ["http://127.0.0.1:5566", "http://localhost:4566", "http://[::1]:4566"])
def test_the_loopback_guard_accepts_loopback(url):
    urls = {"AWS_ENDPOINT_URL": url, "AWS_ENDPOINT_URL_DYNAMODB": "http://127.0.0.1:4566"}
    assert preflight_problems(regions(), settings(endpoints={"require_loopback": True, "urls": urls})) == []


def test_without_the_guard_no_endpoint_is_needed():
    assert preflight_problems(regions(), settings(endpoints={"require_loopback": False, "urls": {}})) == []

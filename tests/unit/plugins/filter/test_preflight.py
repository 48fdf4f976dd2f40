import copy

import pytest
from ansible_collections.finproc.dr.plugins.filter.preflight import (
    TLS_POLICIES,
    FilterModule,
    known_regions,
    preflight_problems,
    preflight_warnings,
    preflight_zone_findings,
)
from certificate_factory import DAY, NOW, cert_pem, intermediate, key, key_pem, leaf, root

WEST_ARN = "arn:aws:acm:us-west-2:123456789012:certificate/0c7a1e7e-5f2b-4d7e-9a3c-1b2c3d4e5f60"
# A certificate for the service name api.dr.example.com issued by a test intermediate, its key, its chain.
LEAF, LEAF_KEY = leaf("api.dr.example.com")
CERT_PEM = cert_pem(LEAF)
KEY_PEM = key_pem(LEAF_KEY)
CHAIN_PEM = cert_pem(intermediate()[0], root()[0])
SECOND = DAY / 86400
# Never to be seen in a message: the key's content (a line of its body).
KEY_BODY = KEY_PEM.splitlines()[1].decode()

EAST = {
    "host": "us-east-2",
    "region": "us-east-2",
    "role": "primary",
    "vpc_cidr": "10.0.0.0/16",
    "azs": ["us-east-2a", "us-east-2b"],
    "public_subnet_cidrs": ["10.0.0.0/24", "10.0.1.0/24"],
    "private_subnet_cidrs": ["10.0.10.0/24", "10.0.11.0/24"],
    "certificate_source": "request",
    "certificate_arn": "",
    "certificate_file": "",
    "certificate_key_file": "",
    "certificate_chain_file": "",
}
WEST = {
    "host": "us-west-2",
    "region": "us-west-2",
    "role": "secondary",
    "vpc_cidr": "10.1.0.0/16",
    "azs": ["us-west-2a", "us-west-2b"],
    "public_subnet_cidrs": ["10.1.0.0/24", "10.1.1.0/24"],
    "private_subnet_cidrs": ["10.1.10.0/24", "10.1.11.0/24"],
    "certificate_source": "arn",
    "certificate_arn": WEST_ARN,
    "certificate_file": "",
    "certificate_key_file": "",
    "certificate_chain_file": "",
}
# A third region, a second secondary, that imports PEM files (paths filled in by the fixture pem).
EU = {
    "host": "eu-west-1",
    "region": "eu-west-1",
    "role": "secondary",
    "vpc_cidr": "10.2.0.0/16",
    "azs": ["eu-west-1a", "eu-west-1b"],
    "public_subnet_cidrs": ["10.2.0.0/24", "10.2.1.0/24"],
    "private_subnet_cidrs": ["10.2.10.0/24", "10.2.11.0/24"],
    "certificate_source": "import",
    "certificate_arn": "",
    "certificate_file": None,
    "certificate_key_file": None,
    "certificate_chain_file": "",
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
    "dns_zone_name": "dr.example.com",
    "service_name": "api.dr.example.com",
    "failover_secondary": "",
    "health_check_path": "/health",
    "health_check_interval_seconds": 30,
    "health_check_failure_threshold": 3,
    "dns_record_ttl_seconds": 60,
    "dns_resolver_allowance_seconds": 60,
    "tls_policy": "ELBSecurityPolicy-TLS13-1-2-2021-06",
    "alb_idle_timeout_seconds": 60,
    "alb_deletion_protection": True,
}


@pytest.fixture
def pem(tmp_path):
    """PEM files on the "controller": a certificate, its key, a chain, and a file that is not PEM."""
    files = {
        "cert": tmp_path / "cert.pem",
        "key": tmp_path / "key.pem",
        "chain": tmp_path / "chain.pem",
        "text": tmp_path / "notes.txt",
        "encrypted": tmp_path / "encrypted.pem",
    }
    files["cert"].write_bytes(CERT_PEM)
    files["key"].write_bytes(KEY_PEM)
    files["chain"].write_bytes(CHAIN_PEM)
    files["text"].write_text("not a certificate\n")
    files["encrypted"].write_text(
        "-----BEGIN ENCRYPTED PRIVATE KEY-----\nMIIFHD\n-----END ENCRYPTED PRIVATE KEY-----\n"
    )
    return {name: str(path) for name, path in files.items()}


def _apply(records, changes):
    by_name = {"east": records[0], "west": records[1], "eu": records[2] if len(records) > 2 else None}
    for name, value in changes.items():
        host, _sep, field = name.partition("__")
        by_name[host][field] = value
    return records


def regions(**changes):
    return _apply([copy.deepcopy(EAST), copy.deepcopy(WEST)], changes)


def three_regions(pem, **changes):
    eu = dict(copy.deepcopy(EU), certificate_file=pem["cert"], certificate_key_file=pem["key"])
    return _apply([copy.deepcopy(EAST), copy.deepcopy(WEST), eu], changes)


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
            "host us-east-2: dr_private_subnet_cidrs[1] 10.9.11.0/24 is outside its VPC 10.0.0.0/16",
        ),
        (
            {"east__private_subnet_cidrs": ["10.0.0.0/25", "10.0.11.0/24"]},
            "host us-east-2: dr_public_subnet_cidrs[0] 10.0.0.0/24 and dr_private_subnet_cidrs[0] 10.0.0.0/25 overlap",
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
            "host us-east-2: dr_azs[1] 'us-west-2b' is not an availability zone of us-east-2 (a zone is named after "
            "its region and one letter: us-east-2a, us-east-2b, ...)",
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
        (
            {"tags": dict(SETTINGS["tags"], **{"aws:owner": "x"})},
            "dr_tags: tag 'aws:owner': the aws: prefix is reserved",
        ),
        (
            {"tags": dict(SETTINGS["tags"], Long="x" * 257)},
            "dr_tags: tag 'Long' value has 257 characters; KMS, EC2, CloudWatch Logs, IAM, DynamoDB, S3, ACM, ELBv2, "
            "Route53, SNS, CloudWatch, Lambda and EventBridge (tag value max 256) refuse it",
        ),
        ({"tags": "Environment=dev"}, "dr_tags must be a dictionary"),
        ({"name_prefix": "Finproc_Dev"}, "the name prefix 'Finproc_Dev'"),
        ({"rto_target_seconds": 10}, "dr_rto_target_seconds must be a whole number from 60 to 86400, got 10"),
        ({"rto_target_seconds": "five minutes"}, "dr_rto_target_seconds must be a whole number"),
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


# --- Traffic: the hosted zone, the service name, failover, health checks, the listener ---------


def problems_with(**changes):
    return preflight_problems(regions(), settings(**changes))


def test_the_zone_is_required():
    assert problems_with(dns_zone_name="") == [
        "dr_dns_zone_name is missing: the public hosted zone that carries the service name (for example dr.example.com)"
    ]
    # The service name (api.<zone> by default) is not checked against a zone that is not there.
    assert len(problems_with(dns_zone_name="", service_name="api.")) == 1
    assert len(problems_with(dns_zone_name=None)) == 1


@pytest.mark.parametrize(
    "zone, reason",
    [
        ("dr.example.com.", "give it without the trailing dot"),
        ("Dr.Example.com", "label 'Dr' must be 1 to 63 lower-case letters, digits and dashes"),
        ("localhost", "it needs at least two labels (for example dr.example.com)"),
        ("-dr.example.com", "label '-dr' must be 1 to 63 lower-case letters"),
        ("dr-.example.com", "label 'dr-' must be 1 to 63"),
        ("dr..example.com", "label '' must be 1 to 63"),
        ("dr_1.example.com", "label 'dr_1' must be"),
        ("dr.example.com\n", "label 'com\\n' must be 1 to 63"),
        ("a" * 64 + ".example.com", "label '%s' must be 1 to 63" % ("a" * 64)),
        (".".join(["a" * 63] * 4), "it has 255 characters; a DNS name has at most 253"),
    ],
)
def test_an_invalid_zone_is_named(zone, reason):
    problems = problems_with(dns_zone_name=zone, service_name="api.dr.example.com")
    assert "dr_dns_zone_name %r is not a valid DNS name: %s" % (zone, reason) in "\n".join(problems), problems


@pytest.mark.parametrize("zone", ["dr.example.com", "example.com", "a-1.b2.example", ".".join(["a" * 63] * 3)])
def test_a_valid_zone_passes(zone):
    assert problems_with(dns_zone_name=zone, service_name="api." + zone) == []


def test_the_service_name_must_be_in_the_zone():
    assert problems_with(service_name="api.example.org") == [
        "dr_service_name api.example.org is not in dr_dns_zone_name dr.example.com: it must be the zone itself "
        "or a name that ends with .dr.example.com"
    ]
    # A suffix is not enough: xdr.example.com is not in dr.example.com.
    assert "is not in dr_dns_zone_name" in problems_with(service_name="api.xdr.example.com")[0]
    assert problems_with(service_name="dr.example.com") == []
    assert problems_with(service_name="a.b.dr.example.com") == []


def test_the_service_name_must_be_a_valid_dns_name():
    assert problems_with(service_name="API.dr.example.com") == [
        "dr_service_name 'API.dr.example.com' is not a valid DNS name: label 'API' must be 1 to 63 lower-case "
        "letters, digits and dashes, not starting or ending with a dash"
    ]
    assert problems_with(service_name="api.dr.example.com.") == [
        "dr_service_name 'api.dr.example.com.' is not a valid DNS name: give it without the trailing dot"
    ]
    assert problems_with(service_name="") == [
        "dr_service_name is missing: the name clients use, in dr_dns_zone_name (for example api.dr.example.com)"
    ]


def test_three_regions_with_the_failover_secondary_named_pass(pem):
    assert preflight_problems(three_regions(pem), settings(failover_secondary="eu-west-1")) == []
    assert preflight_problems(three_regions(pem), settings(failover_secondary="us-west-2")) == []


def test_three_regions_without_the_failover_secondary_fail(pem):
    assert preflight_problems(three_regions(pem), settings()) == [
        "2 secondary regions (us-west-2, eu-west-1) and dr_failover_secondary does not say which one takes the "
        "SECONDARY failover record; set it to one of them"
    ]


@pytest.mark.parametrize(
    "chosen, expected",
    [
        (
            "ap-south-1",
            "dr_failover_secondary 'ap-south-1' is not a host of the inventory; set it to one of the secondary "
            "regions (us-west-2, eu-west-1)",
        ),
        (
            "us-east-2",
            "dr_failover_secondary us-east-2 has dr_role primary, not secondary; set it to one of the secondary "
            "regions (us-west-2, eu-west-1)",
        ),
    ],
)
def test_the_failover_secondary_must_be_a_secondary_host(pem, chosen, expected):
    assert preflight_problems(three_regions(pem), settings(failover_secondary=chosen)) == [expected]


def test_one_secondary_needs_no_failover_secondary_and_may_name_it():
    assert problems_with(failover_secondary="") == []
    assert problems_with(failover_secondary="us-west-2") == []
    assert problems_with(failover_secondary="eu-west-1") == [
        "dr_failover_secondary 'eu-west-1' is not a host of the inventory; set it to one of the secondary "
        "regions (us-west-2)"
    ]
    # No secondary at all (a single region): nothing to choose, and nothing to be named.
    assert preflight_problems(regions()[:1], settings()) == []
    assert preflight_problems(regions()[:1], settings(failover_secondary="us-west-2")) == [
        "dr_failover_secondary 'us-west-2' is not a host of the inventory; set it to a secondary region, and "
        "the inventory has none"
    ]


@pytest.mark.parametrize(
    "changes, expected",
    [
        (
            {"health_check_interval_seconds": 20},
            "dr_health_check_interval_seconds must be 10 or 30 (the intervals Route53 health checks allow), got 20",
        ),
        (
            {"health_check_interval_seconds": "30s"},
            "dr_health_check_interval_seconds must be 10 or 30 (the intervals Route53 health checks allow), got '30s'",
        ),
        (
            {"health_check_failure_threshold": 0},
            "dr_health_check_failure_threshold must be a whole number from 1 to 10, got 0",
        ),
        (
            {"health_check_failure_threshold": 11},
            "dr_health_check_failure_threshold must be a whole number from 1 to 10, got 11",
        ),
        (
            {"health_check_failure_threshold": True},
            "dr_health_check_failure_threshold must be a whole number from 1 to 10, got True",
        ),
        ({"health_check_path": "health"}, "dr_health_check_path 'health' must be a path that starts with /"),
        ({"health_check_path": None}, "dr_health_check_path None must be a path that starts with /"),
        (
            {"health_check_path": "/" + "h" * 255},
            "dr_health_check_path has 256 characters; Route53 (ResourcePath, max 255) refuses it",
        ),
        ({"dns_record_ttl_seconds": -1}, "dr_dns_record_ttl_seconds must be a whole number from 0 to 86400, got -1"),
        (
            {"dns_record_ttl_seconds": 86401},
            "dr_dns_record_ttl_seconds must be a whole number from 0 to 86400, got 86401",
        ),
        (
            {"dns_resolver_allowance_seconds": 3601},
            "dr_dns_resolver_allowance_seconds must be a whole number from 0 to 3600, got 3601",
        ),
        (
            {"dns_resolver_allowance_seconds": "-60"},
            "dr_dns_resolver_allowance_seconds must be a whole number from 0 to 3600, got '-60'",
        ),
        (
            {"alb_idle_timeout_seconds": 0},
            "dr_alb_idle_timeout_seconds must be a whole number from 1 to 4000, got 0",
        ),
        (
            {"alb_idle_timeout_seconds": 4001},
            "dr_alb_idle_timeout_seconds must be a whole number from 1 to 4000, got 4001",
        ),
        ({"alb_deletion_protection": "yes"}, "dr_alb_deletion_protection must be true or false, got 'yes'"),
        ({"alb_deletion_protection": 1}, "dr_alb_deletion_protection must be true or false, got 1"),
        ({"alb_deletion_protection": None}, "dr_alb_deletion_protection must be true or false, got None"),
        (
            {"alarm_email_addresses": "oncall@example.com"},
            "dr_alarm_email_addresses must be a list of e-mail addresses, got 'oncall@example.com'",
        ),
        ({"alarm_email_addresses": ["oncall"]}, "dr_alarm_email_addresses[0] 'oncall' is not an e-mail address"),
        (
            {"alarm_email_addresses": ["on call@example.com"]},
            "dr_alarm_email_addresses[0] 'on call@example.com' is not an e-mail address",
        ),
        (
            {"alarm_email_addresses": ["oncall@localhost"]},
            "dr_alarm_email_addresses[0] 'oncall@localhost' is not an e-mail address",
        ),
        ({"alarm_email_addresses": [None]}, "dr_alarm_email_addresses[0] None is not an e-mail address"),
        (
            {"alarm_email_addresses": ["oncall@example.com", "dr team@example.com"]},
            "dr_alarm_email_addresses[1] 'dr team@example.com' is not an e-mail address",
        ),
    ],
)
def test_each_traffic_setting_problem_is_named(changes, expected):
    assert problems_with(**changes) == [expected]


@pytest.mark.parametrize(
    "changes",
    [
        {"health_check_interval_seconds": 10},
        {"health_check_failure_threshold": 1},
        {"health_check_failure_threshold": 10, "health_check_interval_seconds": 10, "dns_record_ttl_seconds": 0},
        {"health_check_path": "/" + "h" * 254},
        {"dns_record_ttl_seconds": 0, "dns_resolver_allowance_seconds": 0},
        {"alb_idle_timeout_seconds": 1},
        {"alb_idle_timeout_seconds": 4000},
        {"alb_deletion_protection": False},
        {"alb_deletion_protection": "True"},
        {"alb_deletion_protection": "true"},
        {"alb_deletion_protection": "false"},
        {"alb_deletion_protection": "False"},
        {"alarm_email_addresses": []},
        {"alarm_email_addresses": ["oncall@example.com", "dr-team+alerts@bank.co.uk"]},
    ],
)
def test_sound_traffic_settings_pass(changes):
    assert problems_with(**changes) == []


def test_the_rto_budget_shows_its_arithmetic():
    assert problems_with(rto_target_seconds=180) == [
        "RTO budget: health checks 30 s \u00d7 3 failures = 90 s + record TTL 60 s + resolver allowance 60 s "
        "= 210 s, more than dr_rto_target_seconds 180 s; lower dr_health_check_interval_seconds or "
        "dr_health_check_failure_threshold, or raise the target"
    ]


def test_a_budget_that_exactly_fits_passes():
    assert problems_with(rto_target_seconds=210) == []
    assert problems_with(rto_target_seconds=209)[0].startswith("RTO budget: ")
    # 10 s x 5 = 50 s + 5 s + 5 s = 60 s: the smallest target fits exactly.
    fits = {
        "health_check_interval_seconds": 10,
        "health_check_failure_threshold": 5,
        "dns_record_ttl_seconds": 5,
        "dns_resolver_allowance_seconds": 5,
    }
    assert problems_with(rto_target_seconds=60, **fits) == []


@pytest.mark.parametrize(
    "changes, expected",
    [
        ({"health_check_interval_seconds": 20}, "dr_health_check_interval_seconds"),
        ({"health_check_failure_threshold": 40}, "dr_health_check_failure_threshold"),
        ({"dns_record_ttl_seconds": "1m"}, "dr_dns_record_ttl_seconds"),
        ({"dns_resolver_allowance_seconds": None}, "dr_dns_resolver_allowance_seconds"),
        ({"rto_target_seconds": 30}, "dr_rto_target_seconds"),
    ],
)
def test_the_rto_budget_is_only_checked_on_valid_inputs(changes, expected):
    problems = problems_with(**dict({"rto_target_seconds": 60}, **changes))
    assert len(problems) == 1 and problems[0].startswith(expected), problems


@pytest.mark.parametrize("policy", TLS_POLICIES)
def test_every_strict_tls_policy_passes(policy):
    assert problems_with(tls_policy=policy) == []


@pytest.mark.parametrize(
    "policy", ["ELBSecurityPolicy-2016-08", "ELBSecurityPolicy-TLS-1-2-2017-01", "ELBSecurityPolicy-TLS13-1-0-2021-06"]
)
def test_a_weaker_tls_policy_is_refused(policy):
    assert problems_with(tls_policy=policy) == [
        "dr_tls_policy %r is not a TLS 1.3 load balancer policy at least as strict as "
        "ELBSecurityPolicy-TLS13-1-2-2021-06; use one of ELBSecurityPolicy-TLS13-1-2-2021-06, "
        "ELBSecurityPolicy-TLS13-1-2-Res-2021-06, ELBSecurityPolicy-TLS13-1-3-2021-06, "
        "ELBSecurityPolicy-TLS13-1-2-FIPS-2023-04, ELBSecurityPolicy-TLS13-1-2-Res-FIPS-2023-04, "
        "ELBSecurityPolicy-TLS13-1-3-FIPS-2023-04" % policy
    ]


def test_the_name_prefix_leaves_room_for_the_load_balancer_names():
    prefix = "finproc-" + "x" * 21  # 29 characters: a valid prefix, but finproc-xxx...-alb has 33
    assert problems_with(name_prefix=prefix) == [
        "the name prefix %r (dr_app_name-dr_environment) has 29 characters; at most 28 fit, because the load "
        "balancer and target group names %s-alb and %s-app may have at most 32 characters" % (prefix, prefix, prefix)
    ]
    assert problems_with(name_prefix="finproc-" + "x" * 20) == []
    # Too long for both rules: both are said.
    assert len(problems_with(name_prefix="finproc-" + "x" * 30)) == 2


# --- Certificates ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "changes, expected",
    [
        ({"east__certificate_source": None}, "host us-east-2: dr_certificate_source is missing (request, import, arn)"),
        (
            {"east__certificate_source": "self-signed"},
            "host us-east-2: dr_certificate_source 'self-signed' is not one of request, import, arn",
        ),
        (
            {"west__certificate_arn": ""},
            "host us-west-2: dr_certificate_source is arn and dr_certificate_arn is missing: give the ARN of an "
            "ACM certificate of us-west-2 (an ACM certificate serves load balancers of its own region only)",
        ),
        (
            {"west__certificate_arn": WEST_ARN.replace("us-west-2", "us-east-2")},
            "host us-west-2: dr_certificate_arn %s is a certificate of us-east-2, not of us-west-2; an ACM "
            "certificate serves load balancers of its own region only" % WEST_ARN.replace("us-west-2", "us-east-2"),
        ),
        (
            {"west__certificate_arn": "arn:aws:iam::123456789012:server-certificate/api"},
            "host us-west-2: dr_certificate_arn 'arn:aws:iam::123456789012:server-certificate/api' is not an ACM "
            "certificate ARN (arn:aws:acm:us-west-2:<account>:certificate/<id>; an ACM certificate serves load "
            "balancers of its own region only)",
        ),
        (
            {"west__certificate_arn": WEST_ARN.replace("123456789012", "1234")},
            "is not an ACM certificate ARN (arn:aws:acm:us-west-2:<account>:certificate/<id>",
        ),
    ],
)
def test_each_certificate_problem_is_named(changes, expected):
    problems = preflight_problems(regions(**changes), settings())
    assert len(problems) == 1 and expected in problems[0], problems


@pytest.mark.parametrize(
    "arn",
    [
        WEST_ARN,
        "arn:aws-us-gov:acm:us-west-2:123456789012:certificate/abc-123",
        "arn:aws-cn:acm:us-west-2:123456789012:certificate/0c7a1e7e",
    ],
)
def test_an_acm_arn_of_the_region_passes(arn):
    assert preflight_problems(regions(west__certificate_arn=arn), settings()) == []


def test_import_needs_readable_pem_files(pem, tmp_path):
    def eu(**changes):
        problems = preflight_problems(
            three_regions(pem, **{"eu__" + k: v for k, v in changes.items()}), settings(failover_secondary="eu-west-1")
        )
        return problems

    assert eu(certificate_chain_file=pem["chain"]) == []
    assert eu(certificate_file="") == [
        "host eu-west-1: dr_certificate_source is import and dr_certificate_file is missing (the path of a PEM "
        "file on the controller)"
    ]
    assert eu(certificate_key_file=None) == [
        "host eu-west-1: dr_certificate_source is import and dr_certificate_key_file is missing (the path of a "
        "PEM file on the controller)"
    ]
    missing = str(tmp_path / "gone.pem")
    assert eu(certificate_file=missing) == [
        "host eu-west-1: dr_certificate_file %s is not a readable file on the controller" % missing
    ]
    assert eu(certificate_key_file=str(tmp_path)) == [
        "host eu-west-1: dr_certificate_key_file %s is not a readable file on the controller" % tmp_path
    ]
    assert eu(certificate_file=pem["text"]) == [
        "host eu-west-1: dr_certificate_file %s is not a PEM certificate (no -----BEGIN CERTIFICATE----- line)"
        % pem["text"]
    ]
    assert eu(certificate_key_file=pem["cert"]) == [
        "host eu-west-1: dr_certificate_key_file %s is not a PEM private key (no PRIVATE KEY----- line)" % pem["cert"]
    ]
    assert eu(certificate_chain_file=pem["text"]) == [
        "host eu-west-1: dr_certificate_chain_file %s is not a PEM certificate (no -----BEGIN CERTIFICATE----- line)"
        % pem["text"]
    ]
    assert eu(certificate_key_file=pem["encrypted"]) == [
        "host eu-west-1: dr_certificate_key_file %s holds an encrypted private key; ACM imports only an "
        "unencrypted one" % pem["encrypted"]
    ]
    assert eu(certificate_file=["cert.pem"]) == [
        "host eu-west-1: dr_certificate_file must be the path of a PEM file on the controller, got a list"
    ]


def test_no_message_quotes_the_key(pem):
    # The key given where the certificate (or the chain) belongs: the problem names the file only.
    records = three_regions(pem, eu__certificate_file=pem["key"], eu__certificate_chain_file=pem["key"])
    problems = preflight_problems(records, settings(failover_secondary="eu-west-1"))
    assert len(problems) == 2, problems
    joined = "\n".join(problems)
    assert pem["key"] in joined
    assert KEY_BODY not in joined
    assert "BEGIN PRIVATE KEY" not in joined


def test_request_needs_nothing_more():
    records = regions(east__certificate_arn=None, east__certificate_file=None, east__certificate_key_file=None)
    assert preflight_problems(records, settings()) == []


def test_every_traffic_problem_is_listed_at_once(pem):
    problems = preflight_problems(
        three_regions(pem, west__certificate_arn="", eu__certificate_key_file=""),
        settings(dns_zone_name="", health_check_interval_seconds=15, tls_policy="ELBSecurityPolicy-2016-08"),
    )
    joined = "\n".join(problems)
    assert len(problems) == 6, problems
    for fragment in (
        "dr_dns_zone_name is missing",
        "2 secondary regions (us-west-2, eu-west-1)",
        "dr_health_check_interval_seconds must be 10 or 30",
        "dr_tls_policy 'ELBSecurityPolicy-2016-08'",
        "host us-west-2: dr_certificate_source is arn and dr_certificate_arn is missing",
        "host eu-west-1: dr_certificate_source is import and dr_certificate_key_file is missing",
    ):
        assert fragment in joined


def test_whole_numbers_given_on_the_command_line_as_strings_are_read_as_numbers():
    # `-e dr_rto_target_seconds=180` arrives as '180': it is a number, and the budget is checked.
    problems = problems_with(rto_target_seconds="180", health_check_interval_seconds="30", app_port="8080")
    assert problems == [
        "RTO budget: health checks 30 s \u00d7 3 failures = 90 s + record TTL 60 s + resolver allowance 60 s"
        " = 210 s, more than dr_rto_target_seconds 180 s; lower dr_health_check_interval_seconds or"
        " dr_health_check_failure_threshold, or raise the target"
    ]


def test_the_access_log_bucket_name_must_fit_in_63_characters():
    # finproc-xxxxxxxxxxxxxxxxxxxx (28) + -<12 digits>- + ap-southeast-2 (14) + -alb-logs (9) = 65
    prefix = "finproc-" + "x" * 20
    records = regions(
        west__region="ap-southeast-2",
        west__azs=["ap-southeast-2a", "ap-southeast-2b"],
        west__certificate_source="request",
        west__certificate_arn="",
    )
    assert preflight_problems(records, settings(name_prefix=prefix)) == [
        "host us-west-2: the access-log bucket %s-<account>-ap-southeast-2-alb-logs would have 65 characters; "
        "S3 allows at most 63: shorten dr_app_name or dr_environment by 2, or set dr_alb_access_logs_enabled: "
        "false" % prefix
    ]
    # Two characters shorter fits exactly; without access logs there is no such bucket.
    assert preflight_problems(records, settings(name_prefix="finproc-" + "x" * 18)) == []
    assert preflight_problems(records, settings(name_prefix=prefix, alb_access_logs_enabled=False)) == []
    assert preflight_problems(records, settings(name_prefix=prefix, alb_access_logs_enabled="false")) == []


@pytest.mark.parametrize(
    "changes, expected",
    [
        ({"alb_access_logs_enabled": "yes"}, "dr_alb_access_logs_enabled must be true or false, got 'yes'"),
        ({"alb_access_logs_enabled": None}, "dr_alb_access_logs_enabled must be true or false, got None"),
        (
            {"alb_access_log_retention_days": 0},
            "dr_alb_access_log_retention_days must be a whole number from 1 to 36500, got 0",
        ),
        (
            {"alb_access_log_retention_days": "a year"},
            "dr_alb_access_log_retention_days must be a whole number from 1 to 36500, got 'a year'",
        ),
    ],
)
def test_each_access_log_setting_problem_is_named(changes, expected):
    assert problems_with(**changes) == [expected]


@pytest.mark.parametrize(
    "changes",
    [
        {"alb_access_logs_enabled": True},
        {"alb_access_logs_enabled": "True"},
        {"alb_access_log_retention_days": 1},
        {"alb_access_log_retention_days": "365"},
        {"alb_access_logs_enabled": False, "alb_access_log_retention_days": 0},
    ],
)
def test_sound_access_log_settings_pass(changes):
    assert problems_with(**changes) == []


# --- A certificate to import, checked like ACM checks it (plugins/module_utils/certificates.py) -----


def eu_import(pem, tmp_path, certificate=None, private_key=None, chain=None, **settings_changes):
    """Findings of the three regions, eu-west-1 importing the given PEM bytes (the fixture's files by default)."""
    changes = {}
    for field, content in (
        ("certificate_file", certificate),
        ("certificate_key_file", private_key),
        ("certificate_chain_file", chain),
    ):
        if content is not None:
            path = tmp_path / ("given-" + field + ".pem")
            path.write_bytes(content)
            changes["eu__" + field] = str(path)
    records = three_regions(pem, **changes)
    chosen = settings(failover_secondary="eu-west-1", **settings_changes)
    return preflight_problems(records, chosen), preflight_warnings(records, chosen)


def test_an_imported_certificate_is_checked_like_acm(pem, tmp_path):
    other_key = key("rsa2048", 7)
    problems, _warnings = eu_import(pem, tmp_path, private_key=key_pem(other_key))
    assert problems == [
        "host eu-west-1: dr_certificate_key_file %s is not the key of dr_certificate_file %s (subject %s): its "
        "public key differs from the certificate's; ACM imports a certificate with its own private key"
        % (tmp_path / "given-certificate_key_file.pem", pem["cert"], LEAF.subject.rfc4514_string())
    ]
    expired, expired_key = leaf("api.dr.example.com", kind="rsa2048", not_before=NOW - 90 * DAY, not_after=NOW - DAY)
    problems, _warnings = eu_import(pem, tmp_path, certificate=cert_pem(expired), private_key=key_pem(expired_key))
    assert len(problems) == 1 and problems[0].startswith(
        "host eu-west-1: dr_certificate_file %s expired on " % (tmp_path / "given-certificate_file.pem")
    )


def test_playbooks_that_import_nothing_leave_the_certificate_content_alone(pem, tmp_path):
    """verify.yml, the drill and destroy.yml set certificate_import_checks false: an expired
    certificate file (whose stack still has to be verified or torn down) stops none of them; the
    files must still be readable PEM."""
    expired, expired_key = leaf("api.dr.example.com", kind="rsa2048", not_before=NOW - 90 * DAY, not_after=NOW - DAY)
    content = {"certificate": cert_pem(expired), "private_key": key_pem(expired_key)}
    assert len(eu_import(pem, tmp_path, **content)[0]) == 1
    assert eu_import(pem, tmp_path, certificate_import_checks=False, **content) == ([], [])
    problems, _warnings = eu_import(pem, tmp_path, certificate=b"not a certificate", certificate_import_checks=False)
    assert len(problems) == 1 and "is not a PEM certificate" in problems[0]


def test_an_imported_certificate_must_cover_the_service_name(pem, tmp_path):
    problems, _warnings = eu_import(
        pem, tmp_path, service_name="api.other.example.com", dns_zone_name="other.example.com"
    )
    assert problems == [
        "host eu-west-1: dr_certificate_file %s does not cover the service name api.other.example.com "
        "(dr_service_name): its subjectAltName is api.dr.example.com; a wildcard covers exactly one left-most label "
        "(*.example.com covers api.example.com, not a.b.example.com nor example.com)" % pem["cert"]
    ]
    # An invalid service name is a problem of its own, not also a certificate's.
    problems, _warnings = eu_import(pem, tmp_path, service_name="API.dr.example.com")
    assert len(problems) == 1 and problems[0].startswith("dr_service_name 'API.dr.example.com' is not a valid DNS name")


def test_an_imported_chain_must_be_in_order(pem, tmp_path):
    assert eu_import(pem, tmp_path, chain=CHAIN_PEM) == ([], [])
    problems, _warnings = eu_import(pem, tmp_path, chain=cert_pem(root()[0], intermediate()[0]))
    assert len(problems) == 1 and problems[0].startswith(
        "host eu-west-1: dr_certificate_chain_file %s is out of order at position 1: "
        % (tmp_path / "given-certificate_chain_file.pem")
    )


def test_the_warnings_filter_lists_a_certificate_that_expires_soon(pem, tmp_path):
    soon, soon_key = leaf("api.dr.example.com", kind="rsa2048", not_after=NOW + 10 * DAY + 3600 * SECOND)
    problems, warnings = eu_import(
        pem, tmp_path, certificate=cert_pem(soon), private_key=key_pem(soon_key), chain=CHAIN_PEM
    )
    assert problems == []
    assert warnings == [
        "host eu-west-1: dr_certificate_file %s expires on %s, in 10 day(s) (fewer than 30); ACM does not renew an "
        "imported certificate: import its successor before then"
        % (tmp_path / "given-certificate_file.pem", (NOW + 10 * DAY + 3600 * SECOND).strftime("%Y-%m-%d %H:%M:%S UTC"))
    ]
    # 31 days left: no warning.
    later, later_key = leaf("api.dr.example.com", kind="rsa2048", not_after=NOW + 31 * DAY)
    assert eu_import(pem, tmp_path, certificate=cert_pem(later), private_key=key_pem(later_key), chain=CHAIN_PEM) == (
        [],
        [],
    )


def test_the_warnings_filter_is_registered_and_empty_for_a_sound_inventory():
    assert FilterModule().filters()["preflight_warnings"] is preflight_warnings
    assert preflight_warnings(regions(), settings()) == []


# --- Availability zones: the name form, and what EC2 listed (roles/preflight/tasks/zones.yml) ------


def listed(*zones):
    """Zones as amazon.aws.aws_az_info returns them."""
    return [
        {"zone_name": name, "state": state, "opt_in_status": opt_in, "region_name": name[:-1]}
        for name, state, opt_in in zones
    ]


EC2_EAST = listed(
    ("us-east-2a", "available", "opt-in-not-required"),
    ("us-east-2b", "available", "opt-in-not-required"),
    ("us-east-2c", "available", "opt-in-not-required"),
)


@pytest.mark.parametrize(
    "azs, zones, expected",
    [
        (["us-east-2a", "us-east-2b"], EC2_EAST, None),
        (["us-east-2a", "us-east-2c"], EC2_EAST, None),
        (
            ["us-east-2a", "us-east-2d"],
            EC2_EAST,
            "host us-east-2: dr_azs[1] us-east-2d is not a zone this account has in us-east-2; EC2 "
            "DescribeAvailabilityZones listed us-east-2a (available), us-east-2b (available), us-east-2c (available)",
        ),
        (
            ["us-east-2a", "us-east-2b"],
            listed(("us-east-2a", "available", "opt-in-not-required"), ("us-east-2b", "available", "not-opted-in")),
            "host us-east-2: dr_azs[1] us-east-2b is an opt-in zone this account has not opted in to; EC2 "
            "DescribeAvailabilityZones listed us-east-2a (available), us-east-2b (available)",
        ),
        (
            ["us-east-2a", "us-east-2b"],
            [],
            "host us-east-2: dr_azs[0] us-east-2a is not a zone this account has in us-east-2; EC2 "
            "DescribeAvailabilityZones listed no zone",
        ),
    ],
    ids=["listed", "listed, not the first two", "not listed", "not opted in", "nothing listed"],
)
def test_the_zones_ec2_lists(azs, zones, expected):
    records = regions(east__azs=azs, east__ec2_zones=zones)
    problems = preflight_problems(records, settings())
    if expected is None:
        assert problems == []
    else:
        assert problems[0] == expected
        assert len(problems) == (2 if not zones else 1)
    # The zone-only pass (roles/preflight/tasks/zones.yml) gives the same sentences, and no other.
    assert preflight_zone_findings(records) == {"problems": problems, "warnings": []}


@pytest.mark.parametrize("state", ["impaired", "information", "constrained", "unavailable"])
def test_a_zone_in_an_event_is_a_warning_not_a_problem(state):
    """An AZ event must not stop the converge (or failover) that may be answering it."""
    zones = listed(("us-east-2a", state, "opt-in-not-required"), ("us-east-2b", "available", "opt-in-not-required"))
    records, chosen = regions(east__azs=["us-east-2a", "us-east-2b"], east__ec2_zones=zones), settings()
    assert preflight_problems(records, chosen) == []
    expected = [
        "host us-east-2: dr_azs[0] us-east-2a is %s, not available (an AZ event: see the AWS Health Dashboard); "
        "EC2 DescribeAvailabilityZones listed us-east-2a (%s), us-east-2b (available)" % (state, state)
    ]
    assert preflight_warnings(records, chosen) == expected
    assert preflight_zone_findings(records) == {"problems": [], "warnings": expected}


def test_the_zone_only_pass_leaves_the_other_checks_alone():
    """zones.yml runs it after every other check passed: it checks zones with ec2_zones, nothing else."""
    records = regions(east__azs=["us-east-2a", "us-west-2b"], east__vpc_cidr="bad", east__ec2_zones=EC2_EAST)
    assert preflight_zone_findings(records) == {"problems": [], "warnings": []}
    assert preflight_zone_findings(regions()) == {"problems": [], "warnings": []}


def test_a_zone_of_another_region_is_not_also_looked_up():
    problems = preflight_problems(regions(east__azs=["us-east-2a", "us-west-2b"], east__ec2_zones=EC2_EAST), settings())
    assert problems == [
        "host us-east-2: dr_azs[1] 'us-west-2b' is not an availability zone of us-east-2 (a zone is named after its "
        "region and one letter: us-east-2a, us-east-2b, ...)"
    ]


# --- AWS's limits on what the roles send (plugins/module_utils/aws_limits.py: botocore's models) ------

TAGS = SETTINGS["tags"]  # 4 tags; the collection adds Name and finproc:stack (and finproc:tier on subnets)
# Every service the roles tag through, and the ones whose model has a tag pattern (\p{L}\p{Z}\p{N}_.:/=+\-@).
ALL_TAG_SERVICES = (
    "KMS, EC2, CloudWatch Logs, IAM, DynamoDB, S3, ACM, ELBv2, Route53, SNS, CloudWatch, Lambda and EventBridge"
)
PATTERN = r"^([\p{L}\p{Z}\p{N}_.:/=+\-@]*)$"


def user_tags(count, **extra):
    """The 4 required tags and more, `count` in all (before `extra`)."""
    return dict(TAGS, **{"Extra%02d" % index: "x" for index in range(count - len(TAGS))}, **extra)


@pytest.mark.parametrize(
    "tags, expected",
    [
        # Route53: 10 tags on a health check or hosted zone, the 2 the collection adds included.
        (user_tags(8), []),
        (
            user_tags(9),
            [
                "dr_tags: 9 tags plus the 2 the collection adds = 11 on the hosted zone and health checks; Route53 "
                "allows at most 10"
            ],
        ),
        # A tag the collection sets itself is counted once.
        (
            user_tags(9, Name="mine"),
            [
                "dr_tags: 10 tags plus the 1 the collection adds = 11 on the hosted zone and "
                "health checks; Route53 allows at most 10"
            ],
        ),
        # EC2: 50 a resource; subnets and route tables carry 3 of the collection's (finproc:tier).
        (
            user_tags(47),
            [
                "dr_tags: 47 tags plus the 2 the collection adds = 49 on the hosted zone and health checks; Route53 "
                "allows at most 10"
            ],
        ),
        (
            user_tags(48),
            [
                "dr_tags: 48 tags plus the 2 the collection adds = 50 on the hosted zone and health checks; Route53 "
                "allows at most 10",
                "dr_tags: 48 tags plus the 3 the collection adds = 51 on the subnets and route tables; EC2 allows at "
                "most 50",
            ],
        ),
        # Lengths: a key of 128 and a value of 256 characters everywhere; one more, refused everywhere.
        (user_tags(4, **{"k" * 128: "v" * 256}), []),
        (
            user_tags(4, Long="v" * 257),
            ["dr_tags: tag 'Long' value has 257 characters; %s (tag value max 256) refuse it" % ALL_TAG_SERVICES],
        ),
        (
            user_tags(4, **{"k" * 129: "v"}),
            [
                "dr_tags: tag '%s...%s' key has 129 characters; %s (tag key 1 to 128) refuse it"
                % ("k" * 59, "k" * 16, ALL_TAG_SERVICES)
            ],
        ),
        (user_tags(4, Empty=""), []),
        # Characters: letters, numbers and separators of any script, and _.:/=+-@, pass everywhere...
        (user_tags(4, **{"Kostenstelle Zürich": "Büro 7/Ost_1.2:a=b+c-d@e", "東京": "\u00a0"}), []),
        # ... while CloudWatch Logs, IAM, ACM, ELBv2 and Lambda refuse what EC2, KMS, DynamoDB, S3, SNS, CloudWatch,
        # EventBridge and Route53 accept.
        (
            user_tags(4, **{"Cost Centre": "R&D (EMEA)"}),
            [
                "dr_tags: tag 'Cost Centre' value 'R&D (EMEA)' has '&', '(' and ')', which CloudWatch Logs, IAM, ACM, "
                "ELBv2 and Lambda refuse (tag value pattern %s)" % PATTERN
            ],
        ),
        (
            user_tags(4, **{"Owner#": "ops"}),
            [
                "dr_tags: tag 'Owner#' key has '#', which CloudWatch Logs, IAM, ACM, ELBv2 and Lambda refuse "
                "(tag key pattern ^([\\p{L}\\p{Z}\\p{N}_.:/=+\\-@]+)$)"
            ],
        ),
        (
            user_tags(4, Note="tab\there"),
            [
                "dr_tags: tag 'Note' value 'tab\\there' has '\\t', which CloudWatch Logs, IAM, ACM, ELBv2 and Lambda "
                "refuse (tag value pattern %s)" % PATTERN
            ],
        ),
        (user_tags(4, **{"AWS:owner": "x"}), ["dr_tags: tag 'AWS:owner': the aws: prefix is reserved for AWS"]),
        # IAM refuses keys that differ only in case, the collection's Name included; the others take them.
        (
            user_tags(4, name="x", Team="a", team="b"),
            [
                "dr_tags: tags 'Name' and 'name' differ only in case (with the tags the collection adds); IAM refuses "
                "such keys on the flow-log role, replication role and monitor role",
                "dr_tags: tags 'Team' and 'team' differ only in case (with the tags the collection adds); IAM refuses "
                "such keys on the flow-log role, replication role and monitor role",
            ],
        ),
    ],
)
def test_each_tag_limit_of_every_service(tags, expected):
    assert problems_with(tags=tags) == expected


# What the roles send, as roles/preflight passes it in each host's record (read from the roles' settings).
NAMES = {
    "encryption_key_alias": "finproc-dev",
    "encryption_key_description": "finproc-dev data key (us-east-2): Logs, SNS, S3, DynamoDB",
    "encryption_global_key_description": "finproc-dev key of the global region (us-east-1): SNS topics of alarms",
    "network_flow_log_group": "/finproc/dev/vpc-flow-logs",
    "network_flow_logs_role_name": "finproc-dev-flow-logs-us-east-2",
    "data_table_name": "finproc-dev-transactions",
    "data_table_hash_key_name": "transactionId",
    "data_table_range_key_name": "",
    "data_bucket_name": "finproc-dev-000000000000-us-east-2",
    "data_replication_role_name": "finproc-dev-s3-replication-us-east-2",
    "load_balancing_alb_name": "finproc-dev-alb",
    "load_balancing_target_group_name": "finproc-dev-app",
    "load_balancing_certificate_name": "finproc-dev-alb",
    "load_balancing_health_check_path": "/health",
    "dns_failover_health_check_name": "finproc-dev-us-east-2",
    "dns_failover_health_check_path": "/health",
    "dns_failover_topic_name": "finproc-dev-dns-health",
    "dns_failover_zone_comment": "finproc-dev: the DR service name api.dr.example.com fails over between regions",
    "monitoring_function_name": "finproc-dev-health-monitor",
    "monitoring_function_description": (
        "finproc-dev health monitor: endpoints, Route53 health checks and replication lag of every region, as "
        "metrics in finproc/dev/dr"
    ),
    "monitoring_function_log_group": "/aws/lambda/finproc-dev-health-monitor",
    "monitoring_application_log_group": "/finproc/dev/application",
    "monitoring_role_name": "finproc-dev-monitor-us-east-2",
    "monitoring_rule_name": "finproc-dev-health-monitor",
    "monitoring_topic_name": "finproc-dev-monitoring",
    "monitoring_dashboard_name": "finproc-dev-us-east-2",
    "monitoring_namespace": "finproc/dev/dr",
}
NUMBERS = {
    "load_balancing_app_port": 8080,
    "load_balancing_health_check_interval_seconds": 15,
    "load_balancing_health_check_timeout_seconds": 5,
    "load_balancing_healthy_threshold": 3,
    "load_balancing_unhealthy_threshold": 3,
    "monitoring_function_timeout_seconds": 60,
    "monitoring_function_memory_mb": 256,
    "network_flow_logs_retention_days": 30,
    "monitoring_log_retention_days": 30,
}
ROLE_TAGS = (
    "encryption_tags",
    "network_tags",
    "data_tags",
    "load_balancing_tags",
    "dns_failover_tags",
    "monitoring_tags",
)


def sent(names=None, numbers=None, tags=None, west=None):
    """Two regions whose records carry what the roles send; `west` changes the second host's names only."""
    records = regions()
    for record in records:
        record["sends"] = {
            "names": dict(NAMES, **(names or {})),
            "numbers": dict(NUMBERS, **(numbers or {})),
            "tags": dict(dict((variable, dict(TAGS)) for variable in ROLE_TAGS), **(tags or {})),
        }
    records[1]["sends"]["names"].update(west or {})
    return records


def sent_problems(changes=None, **sends):
    return preflight_problems(sent(**sends), settings(account_id_placeholder="000000000000", **(changes or {})))


def test_the_names_the_roles_send_pass_as_they_are():
    assert sent_problems() == []


@pytest.mark.parametrize(
    "names, expected",
    [
        # DynamoDB TableName (model: 3 to 255, [a-zA-Z0-9_.-]+)
        ({"data_table_name": "t" * 255}, []),
        (
            {"data_table_name": "t" * 256},
            [
                "data_table_name '%s...%s' has 256 characters; DynamoDB (TableName, 3 to 255) refuses it"
                % ("t" * 59, "t" * 16)
            ],
        ),
        (
            {"data_table_name": "finproc dev"},
            ["data_table_name 'finproc dev' has ' ', which DynamoDB refuses (TableName pattern [a-zA-Z0-9_.-]+)"],
        ),
        (
            {"data_table_name": "tx"},
            ["data_table_name 'tx' has 2 characters; DynamoDB (TableName, 3 to 255) refuses it"],
        ),
        # DynamoDB key attribute names (model: 1 to 255); an empty range key is none.
        ({"data_table_hash_key_name": "k" * 255, "data_table_range_key_name": "r"}, []),
        (
            {"data_table_range_key_name": "r" * 256},
            [
                "data_table_range_key_name '%s...%s' has 256 characters; DynamoDB (KeySchemaAttributeName, 1 to 255) "
                "refuses it" % ("r" * 59, "r" * 16)
            ],
        ),
        # S3 bucket names (documented: the model has none); a placeholder account shown as <account>.
        ({"data_bucket_name": "b" * 50 + "-000000000000"}, []),
        (
            {"data_bucket_name": "b" * 51 + "-000000000000"},
            [
                "data_bucket_name '%s-<account>' has 64 characters; " % ("b" * 51)
                + "S3 (BucketName, 3 to 63) refuses it"
            ],
        ),
        # KMS alias (model: 1 to 256 of [a-zA-Z0-9:/_-]; documented: not alias/aws/), sent as alias/<alias>.
        ({"encryption_key_alias": "a" * 250}, []),
        (
            {"encryption_key_alias": "a" * 251},
            [
                "encryption_key_alias 'alias/%s...%s' has 257 characters; KMS (AliasNameType, 1 to 256) refuses it"
                % ("a" * 53, "a" * 16)
            ],
        ),
        (
            {"encryption_key_alias": "finproc dev"},
            [
                "encryption_key_alias 'alias/finproc dev' has ' ', which KMS refuses (AliasNameType pattern "
                "^[a-zA-Z0-9:/_-]+$)"
            ],
        ),
        # Lambda function name (documented 64 for a name; the model's pattern); also its Name tag.
        ({"monitoring_function_name": "f" * 64}, []),
        (
            {"monitoring_function_name": "f" * 65},
            ["monitoring_function_name '%s' has 65 characters; Lambda (FunctionName, 1 to 64) refuses it" % ("f" * 65)],
        ),
        # CloudWatch Logs group names (model: [\.\-_/#A-Za-z0-9]+, 1 to 512).
        (
            {"monitoring_application_log_group": "/finproc/dev/app:1"},
            [
                "monitoring_application_log_group '/finproc/dev/app:1' has ':', which CloudWatch Logs refuses "
                "(LogGroupName pattern [\\.\\-_/#A-Za-z0-9]+)"
            ],
        ),
        # CloudWatch namespace (model: [^:].*).
        (
            {"monitoring_namespace": ":finproc"},
            [
                "monitoring_namespace ':finproc' is not a name CloudWatch accepts (Namespace, 1 to 255, "
                "pattern [^:].*; model)"
            ],
        ),
        # A name that is only a Name tag: the certificate's, on ACM (model pattern).
        (
            {"load_balancing_certificate_name": "finproc&dev"},
            [
                "load_balancing_certificate_name 'finproc&dev' has '&', which ACM's Name tag refuses (TagValue pattern "
                "([\\p{L}\\p{Z}\\p{N}_.:/=+\\-@]*))"
            ],
        ),
        # Descriptions and comments with a setting in them: a long namespace or service name.
        ({"monitoring_function_description": "d" * 256}, []),
        (
            {"monitoring_function_description": "d" * 257},
            [
                "monitoring_function_description '%s...%s' has 257 characters; Lambda (Description, max 256) "
                "refuses it" % ("d" * 59, "d" * 16)
            ],
        ),
        ({"dns_failover_zone_comment": "c" * 256}, []),
        (
            {"dns_failover_zone_comment": "c" * 257},
            [
                "dns_failover_zone_comment '%s...%s' has 257 characters; Route53 (ResourceDescription, max 256) "
                "refuses it" % ("c" * 59, "c" * 16)
            ],
        ),
        # The target group's health-check path (model 1 to 1024) when the role's differs from dr_health_check_path.
        ({"load_balancing_health_check_path": "/" + "h" * 1023}, []),
        (
            {"load_balancing_health_check_path": "/" + "h" * 1024},
            [
                "load_balancing_health_check_path '/%s...%s' has 1025 characters; ELBv2 (Path, 1 to 1024) refuses it"
                % ("h" * 58, "h" * 16)
            ],
        ),
    ],
)
def test_each_name_rule_of_the_roles(names, expected):
    assert sent_problems(names=names) == expected


def test_a_name_of_one_host_is_said_with_its_host():
    assert sent_problems(west={"monitoring_role_name": "r" * 65}) == [
        "host us-west-2: monitoring_role_name '%s' has 65 characters; IAM (roleNameType, 1 to 64) refuses it"
        % ("r" * 65)
    ]


def test_names_are_not_checked_against_a_prefix_that_is_already_a_problem():
    problems = sent_problems(changes={"name_prefix": "Finproc_Dev"}, names={"data_table_name": "x y"})
    assert problems == [
        "the name prefix 'Finproc_Dev' (dr_app_name-dr_environment) must be 3 to 30 lower-case "
        "letters, digits and dashes, starting with a letter"
    ]


@pytest.mark.parametrize(
    "numbers, expected",
    [
        ({"load_balancing_health_check_interval_seconds": 5}, []),
        ({"load_balancing_health_check_interval_seconds": "300"}, []),
        (
            {"load_balancing_health_check_interval_seconds": 4},
            [
                "load_balancing_health_check_interval_seconds must be a whole number from 5 to 300 (ELBv2 "
                "HealthCheckIntervalSeconds), got 4"
            ],
        ),
        ({"load_balancing_health_check_timeout_seconds": 120}, []),
        (
            {"load_balancing_health_check_timeout_seconds": 121},
            [
                "load_balancing_health_check_timeout_seconds must be a whole number from 2 to 120 (ELBv2 "
                "HealthCheckTimeoutSeconds), got 121"
            ],
        ),
        ({"load_balancing_healthy_threshold": 10, "load_balancing_unhealthy_threshold": 2}, []),
        (
            {"load_balancing_unhealthy_threshold": 1},
            [
                "load_balancing_unhealthy_threshold must be a whole number from 2 to 10 (ELBv2 "
                "HealthCheckThresholdCount), got 1"
            ],
        ),
        ({"network_flow_logs_retention_days": 3653, "monitoring_log_retention_days": "1"}, []),
        (
            {"network_flow_logs_retention_days": 3650},
            [
                "network_flow_logs_retention_days 3650 is not a retention CloudWatch Logs accepts (1, 3, 5, 7, 14, "
                "30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653)"
            ],
        ),
        ({"monitoring_function_memory_mb": 128}, []),
        (
            {"monitoring_function_memory_mb": 127},
            ["monitoring_function_memory_mb must be a whole number from 128 to 32768 (Lambda MemorySize), got 127"],
        ),
        (
            {"monitoring_function_timeout_seconds": "a minute"},
            [
                "monitoring_function_timeout_seconds must be a whole number from 1 to 5400 (Lambda Timeout), got "
                "'a minute'"
            ],
        ),
    ],
)
def test_each_number_rule_of_the_roles(numbers, expected):
    assert sent_problems(numbers=numbers) == expected


def test_a_role_setting_that_is_the_shared_one_is_said_once_as_the_shared_one():
    problems = sent_problems(changes={"app_port": 70000}, numbers={"load_balancing_app_port": 70000})
    assert problems == ["dr_app_port must be a whole number from 1 to 65535, got 70000"]


def test_a_roles_own_tags_are_checked_against_the_services_of_that_role_only():
    monitoring = dict(TAGS, Team="ops#1")
    assert sent_problems(tags={"monitoring_tags": monitoring}) == [
        "monitoring_tags: tag 'Team' value 'ops#1' has '#', which CloudWatch Logs, IAM and Lambda refuse (tag value "
        "pattern %s)" % PATTERN
    ]
    # dns_failover tags Route53 (10 a health check or zone); monitoring does not.
    assert sent_problems(tags={"monitoring_tags": user_tags(9)}) == []
    assert sent_problems(tags={"dns_failover_tags": user_tags(9)}) == [
        "dns_failover_tags: 9 tags plus the 2 the collection adds = 11 on the hosted zone and health checks; Route53 "
        "allows at most 10"
    ]
    assert sent_problems(tags={"data_tags": "Team=ops"}) == ["data_tags must be a dictionary of tag names to values"]


def test_a_tags_variable_of_one_host_is_said_with_its_host():
    records = sent()
    records[1]["sends"]["tags"]["network_tags"] = dict(TAGS, Site="A&B")
    assert preflight_problems(records, settings()) == [
        "host us-west-2: network_tags: tag 'Site' value 'A&B' has '&', which CloudWatch Logs and IAM refuse (tag "
        "value pattern %s)" % PATTERN
    ]


def test_tags_that_are_not_a_dictionary_are_said_once():
    problems = preflight_problems(
        sent(tags=dict((variable, "Team=ops") for variable in ROLE_TAGS)), settings(tags="Team=ops")
    )
    assert problems == ["dr_tags must be a dictionary of tag names to values"] + [
        "required tag %s is missing from dr_tags" % tag for tag in SETTINGS["required_tags"]
    ]

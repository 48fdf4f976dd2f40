"""The one source of the DR topology: regions, peers, who takes PRIMARY and SECONDARY, the partition."""

import pytest
from ansible_collections.finproc.dr.plugins.filter.preflight import preflight_problems
from ansible_collections.finproc.dr.plugins.filter.topology import FilterModule, partition_of, peer_facts, topology

HOSTVARS = {
    "us-east-2": {"dr_role": "primary"},
    "us-west-2": {"dr_role": "secondary"},
    "eu-west-1": {"dr_role": "secondary"},
}
TWO = ["us-east-2", "us-west-2"]
THREE = ["us-east-2", "us-west-2", "eu-west-1"]


def records(topo):
    return [(p["host"], p["region"], p["dr_role"], p["failover_record"]) for p in topo["peers"]]


def test_the_filters_are_registered():
    assert FilterModule().filters() == {"topology": topology, "peer_facts": peer_facts}


def test_two_regions_the_only_secondary_takes_secondary():
    topo = topology(TWO, HOSTVARS)
    assert records(topo) == [
        ("us-east-2", "us-east-2", "primary", "PRIMARY"),
        ("us-west-2", "us-west-2", "secondary", "SECONDARY"),
    ]
    assert topo["primary"]["host"] == "us-east-2"
    assert topo["secondary"]["host"] == "us-west-2"
    assert topo["by_host"]["us-west-2"] == topo["peers"][1]
    assert topo["regions"] == ["us-east-2", "us-west-2"]
    assert topo["partition"] == "aws"
    assert topo["problems"] == []


def test_three_regions_dr_failover_secondary_chooses():
    topo = topology(THREE, HOSTVARS, "eu-west-1")
    assert [p["failover_record"] for p in topo["peers"]] == ["PRIMARY", "", "SECONDARY"]
    assert topo["secondary"]["region"] == "eu-west-1"
    assert topo["problems"] == []
    topo = topology(THREE, HOSTVARS, "us-west-2")
    assert [p["failover_record"] for p in topo["peers"]] == ["PRIMARY", "SECONDARY", ""]
    # Play order is kept, whatever the roles.
    assert topology(["eu-west-1", "us-east-2", "us-west-2"], HOSTVARS, "eu-west-1")["regions"] == [
        "eu-west-1",
        "us-east-2",
        "us-west-2",
    ]


def test_three_regions_without_a_choice_give_secondary_to_none_and_say_why():
    topo = topology(THREE, HOSTVARS)
    assert [p["failover_record"] for p in topo["peers"]] == ["PRIMARY", "", ""]
    assert topo["secondary"] is None
    assert topo["problems"] == [
        "2 secondary regions (us-west-2, eu-west-1) and dr_failover_secondary does not say which one takes the "
        "SECONDARY failover record; set it to one of them"
    ]


def test_dr_region_differs_from_the_host_name():
    hostvars = {
        "main": {"dr_role": "primary", "dr_region": "eu-central-1"},
        "standby": {"dr_role": "secondary", "dr_region": "eu-west-1"},
    }
    topo = topology(["main", "standby"], hostvars)
    assert records(topo) == [
        ("main", "eu-central-1", "primary", "PRIMARY"),
        ("standby", "eu-west-1", "secondary", "SECONDARY"),
    ]
    assert topo["regions"] == ["eu-central-1", "eu-west-1"]
    # dr_failover_secondary names a host, not a region.
    assert topology(["main", "standby"], hostvars, "standby")["secondary"]["host"] == "standby"
    assert topology(["main", "standby"], hostvars, "eu-west-1")["secondary"] is None


@pytest.mark.parametrize(
    ("hostvars", "chosen", "expected"),
    [
        (
            {"us-east-2": {"dr_role": "secondary"}, "us-west-2": {"dr_role": "secondary"}},
            "us-west-2",
            "no region has dr_role: primary; exactly one must",
        ),
        (
            {"us-east-2": {"dr_role": "primary"}, "us-west-2": {"dr_role": "primary"}},
            "",
            "more than one primary region: us-east-2, us-west-2; exactly one host may have dr_role: primary",
        ),
        (
            HOSTVARS,
            "ap-south-1",
            "dr_failover_secondary 'ap-south-1' is not a host of the inventory; set it to one of the secondary "
            "regions (us-west-2)",
        ),
        (
            HOSTVARS,
            "us-east-2",
            "dr_failover_secondary us-east-2 has dr_role primary, not secondary; set it to one of the secondary "
            "regions (us-west-2)",
        ),
    ],
)
def test_refusals(hostvars, chosen, expected):
    topo = topology(TWO, hostvars, chosen)
    assert topo["problems"] == [expected]
    assert topo["primary"] is None or topo["secondary"] is None


def test_a_wrong_choice_gives_secondary_to_no_one():
    assert [p["failover_record"] for p in topology(TWO, HOSTVARS, "ap-south-1")["peers"]] == ["PRIMARY", ""]


def test_a_host_without_dr_role_takes_no_record_and_does_not_break_the_filter():
    topo = topology(["us-east-2", "us-west-2"], {"us-east-2": {"dr_role": "primary"}, "us-west-2": {}})
    assert records(topo)[1] == ("us-west-2", "us-west-2", None, "")
    assert topo["secondary"] is None


def test_partition_from_botocore_without_an_api_call():
    assert partition_of("us-gov-west-1") == "aws-us-gov"
    assert partition_of("cn-north-1") == "aws-cn"
    assert partition_of("eu-west-1") == "aws"
    assert partition_of("xx-nowhere-1") == ""
    china = {"cn-north-1": {"dr_role": "primary"}, "cn-northwest-1": {"dr_role": "secondary"}}
    topo = topology(["cn-north-1", "cn-northwest-1"], china)
    assert topo["partition"] == "aws-cn"
    assert {p["partition"] for p in topo["peers"]} == {"aws-cn"}
    assert topo["problems"] == []


def test_regions_of_two_partitions_are_refused():
    hostvars = {"us-east-2": {"dr_role": "primary"}, "us-gov-west-1": {"dr_role": "secondary"}}
    assert topology(["us-east-2", "us-gov-west-1"], hostvars)["problems"] == [
        "the regions are in different AWS partitions (aws: us-east-2; aws-us-gov: us-gov-west-1); every region "
        "of the stack must be in one"
    ]


def test_preflight_lists_the_topology_problems():
    region = {"vpc_cidr": "10.0.0.0/16", "azs": [], "public_subnet_cidrs": [], "private_subnet_cidrs": []}
    problems = preflight_problems(
        [
            dict(region, host="us-east-2", region="us-east-2", role="primary"),
            dict(region, host="us-gov-west-1", region="us-gov-west-1", role="primary", vpc_cidr="10.1.0.0/16"),
        ],
        {},
    )
    assert (
        "more than one primary region: us-east-2, us-gov-west-1; exactly one host may have dr_role: primary" in problems
    )
    assert any(p.startswith("the regions are in different AWS partitions") for p in problems)


def test_peer_facts_add_what_each_host_made_during_the_play():
    hostvars = {
        "us-east-2": dict(HOSTVARS["us-east-2"], encryption_key_arn="arn:aws:kms:us-east-2:1:key/a"),
        "us-west-2": dict(HOSTVARS["us-west-2"], encryption_key_arn="arn:aws:kms:us-west-2:1:key/b"),
    }
    peers = topology(TWO, hostvars)["peers"]
    with_keys = peer_facts(peers, hostvars, "encryption_key_arn", "dns_failover_health_check_id")
    assert [p["encryption_key_arn"] for p in with_keys] == [
        "arn:aws:kms:us-east-2:1:key/a",
        "arn:aws:kms:us-west-2:1:key/b",
    ]
    # A fact a host has not made (yet): the default.
    assert [p["dns_failover_health_check_id"] for p in with_keys] == ["", ""]
    assert peer_facts(peers, hostvars, "data_self", default={})[0]["data_self"] == {}
    # The peers themselves are not changed.
    assert "encryption_key_arn" not in peers[0]
    assert with_keys[1]["failover_record"] == "SECONDARY"

# -*- coding: utf-8 -*-
# Copyright: finproc.dr contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

# The documentation of both filters is beside this file: topology.yml and peer_facts.yml.

import functools

PRIMARY = "PRIMARY"
SECONDARY = "SECONDARY"
# The partition of a region botocore does not know (an emulator accepts any name).
DEFAULT_PARTITION = "aws"


@functools.lru_cache(maxsize=None)
def partition_of(region):
    """The AWS partition of a region from botocore's endpoint data (no API call); '' if unknown."""
    try:
        import botocore.session
        from botocore.exceptions import UnknownRegionError
    except ImportError:  # pragma: no cover
        return ""
    if not isinstance(region, str) or not region:
        return ""
    try:
        return botocore.session.get_session().get_partition_for_region(region)
    except (UnknownRegionError, ValueError):
        return ""


def primary_problems(records):
    """Exactly one host takes dr_role: primary."""
    primaries = [r.get("host") for r in records if r.get("role") == "primary"]
    if records and not primaries:
        return ["no region has dr_role: primary; exactly one must"]
    if len(primaries) > 1:
        return ["more than one primary region: %s; exactly one host may have dr_role: primary"
                % ", ".join(map(str, primaries))]
    return []


def secondary_problems(records, chosen):
    """The SECONDARY record goes to the named secondary, or to the only one."""
    secondaries = [str(r.get("host")) for r in records if r.get("role") == "secondary"]
    hosts = dict((r.get("host"), r) for r in records)
    if chosen is not None and chosen != "":
        choices = ("one of the secondary regions (%s)" % ", ".join(secondaries) if secondaries
                   else "a secondary region, and the inventory has none")
        if not isinstance(chosen, str) or chosen not in hosts:
            return ["dr_failover_secondary %r is not a host of the inventory; set it to %s" % (chosen, choices)]
        if hosts[chosen].get("role") != "secondary":
            return ["dr_failover_secondary %s has dr_role %s, not secondary; set it to %s"
                    % (chosen, hosts[chosen].get("role"), choices)]
    elif len(secondaries) > 1:
        return ["%d secondary regions (%s) and dr_failover_secondary does not say which one takes the "
                "SECONDARY failover record; set it to one of them" % (len(secondaries), ", ".join(secondaries))]
    return []


def partition_problems(records):
    """Every region of the stack in one partition (keys, roles and replication do not cross them)."""
    found = {}
    for record in records:
        partition = partition_of(record.get("region"))
        if partition:
            found.setdefault(partition, []).append(str(record.get("region")))
    if len(found) > 1:
        return ["the regions are in different AWS partitions (%s); every region of the stack must be in one"
                % "; ".join("%s: %s" % (p, ", ".join(regions)) for p, regions in sorted(found.items()))]
    return []


def failover_record(record, records, chosen):
    """PRIMARY, SECONDARY or '' for one host: the one rule of the collection."""
    if record.get("role") == "primary":
        return PRIMARY
    if record.get("role") != "secondary":
        return ""
    if chosen:
        return SECONDARY if record.get("host") == chosen else ""
    secondaries = [r.get("host") for r in records if r.get("role") == "secondary"]
    return SECONDARY if secondaries == [record.get("host")] else ""


def topology_of(records, failover_secondary=""):
    """The topology of records [{host, region, role}] in play order (see DOCUMENTATION)."""
    records = list(records or [])
    chosen = failover_secondary if isinstance(failover_secondary, str) else ""
    peers = []
    for record in records:
        region = record.get("region")
        peers.append({
            "host": record.get("host"),
            "region": region,
            "dr_role": record.get("role"),
            "failover_record": failover_record(record, records, chosen),
            "partition": partition_of(region) or DEFAULT_PARTITION,
        })
    primaries = [p for p in peers if p["dr_role"] == "primary"]
    taking_secondary = [p for p in peers if p["failover_record"] == SECONDARY]
    known = [partition_of(r.get("region")) for r in records if partition_of(r.get("region"))]
    return {
        "peers": peers,
        "by_host": dict((p["host"], p) for p in peers),
        "primary": primaries[0] if len(primaries) == 1 else None,
        "secondary": taking_secondary[0] if len(taking_secondary) == 1 else None,
        "regions": [p["region"] for p in peers],
        "partition": known[0] if known else DEFAULT_PARTITION,
        "problems": (primary_problems(records) + secondary_problems(records, failover_secondary)
                     + partition_problems(records)),
    }


def _host_value(hostvars, host, name):
    try:
        value = hostvars[host][name]
    except (KeyError, TypeError):
        return None
    # An undefined variable may come back as an Undefined object rather than an error.
    if type(value).__name__.endswith("Undefined"):
        return None
    return value


def topology(hosts, hostvars, failover_secondary=""):
    """The filter: the play's hosts and their hostvars to the topology."""
    records = []
    for host in hosts or []:
        region = _host_value(hostvars, host, "dr_region")
        records.append({
            "host": host,
            "region": region if region not in (None, "") else host,
            "role": _host_value(hostvars, host, "dr_role"),
        })
    return topology_of(records, failover_secondary or "")


def peer_facts(peers, hostvars, *names, **kwargs):
    """Each peer with the named facts of its host added (made during the play: key ARN, health check...).

    A fact the host does not have is kwargs['default'] ('' unless given).
    """
    default = kwargs.get("default", "")
    result = []
    for peer in peers or []:
        entry = dict(peer)
        for name in names:
            value = _host_value(hostvars, peer.get("host"), name)
            entry[name] = default if value is None else value
        result.append(entry)
    return result


class FilterModule(object):
    def filters(self):
        return {"topology": topology, "peer_facts": peer_facts}

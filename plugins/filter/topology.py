# -*- coding: utf-8 -*-
# Copyright: finproc.dr contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
name: topology
author: finproc.dr maintainers (@finproc)
version_added: 0.2.0
short_description: The DR topology of a play - each region, its peers, PRIMARY and SECONDARY, the partition
description:
  - The one place where the collection works out, from the inventory, which region each host
    converges, which host takes the PRIMARY and which the SECONDARY failover record of the
    service name, and the AWS partition of the regions. The roles, preflight, C(verify.yml), the
    failover drill and molecule's verify all read its result (C(dr_topology), set once per play
    by the C(finproc.dr.common) role).
  - A host's region is its C(dr_region), or the host name. The host with C(dr_role=primary)
    takes PRIMARY. The host named by I(failover_secondary) takes SECONDARY; when it is empty,
    the only secondary of the play does (with several secondaries, none does, and the problem
    says so).
  - The partition of each region comes from the endpoint data shipped with botocore (no API
    call); every region of a DR stack must be in one partition.
  - Problems (no primary, several primaries, an ambiguous or wrong I(failover_secondary),
    regions of several partitions) are returned in C(problems), not raised, so that preflight
    can list them with every other problem of the inventory.
options:
  _input:
    description: The hosts of the play, in play order (C(ansible_play_hosts_all)).
    type: list
    elements: str
    required: true
  hostvars:
    description: C(hostvars); each host's C(dr_region) and C(dr_role) are read from it.
    type: dict
    required: true
  failover_secondary:
    description: The host that takes the SECONDARY record (C(dr_failover_secondary)); empty for the only secondary.
    type: str
    default: ""
"""

EXAMPLES = r"""
- name: Work out the topology once; run_once gives the fact to every host of the play
  ansible.builtin.set_fact:
    dr_topology: "{{ ansible_play_hosts_all | finproc.dr.topology(hostvars, dr_failover_secondary) }}"
  run_once: true

- name: This host's failover record (PRIMARY, SECONDARY or empty)
  ansible.builtin.debug:
    msg: "{{ dr_topology.by_host[inventory_hostname].failover_record }}"

- name: Every region's KMS key, by region (facts the encryption role set during the play)
  ansible.builtin.debug:
    msg: >-
      {{ dr_topology.peers | finproc.dr.peer_facts(hostvars, 'encryption_key_arn')
         | items2dict(key_name='region', value_name='encryption_key_arn') }}
"""

RETURN = r"""
_value:
  description: The topology.
  type: dict
  contains:
    peers:
      description:
        - One entry per host, in play order, with the keys C(host), C(region), C(dr_role),
          C(failover_record) (C(PRIMARY), C(SECONDARY) or empty) and C(partition).
      type: list
      elements: dict
    by_host:
      description: The same entries by host name.
      type: dict
    primary:
      description: The entry of the only primary; none when there is not exactly one.
      type: dict
    secondary:
      description: The entry that takes SECONDARY; none when no host does.
      type: dict
    regions:
      description: The regions of the play, in play order.
      type: list
      elements: str
    partition:
      description: The AWS partition of the regions (C(aws), C(aws-cn), C(aws-us-gov), ...).
      type: str
    problems:
      description: What is wrong with the topology, one sentence each; empty when nothing is.
      type: list
      elements: str
"""

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

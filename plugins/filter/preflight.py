# -*- coding: utf-8 -*-
# Copyright: finproc.dr contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
name: preflight_problems
author: finproc.dr maintainers (@finproc)
version_added: 0.1.0
short_description: Every problem of a DR inventory, found without calling AWS
description:
  - Takes one record per region host and the shared settings, and returns the list of problems
    found, each naming the host and the setting. An empty list means the inventory is sound.
  - Checks that there is exactly one primary, that regions are unique and exist, that VPC CIDRs
    are valid and do not overlap, that subnets are valid, fit their VPC, do not overlap and match
    the availability zones, that required tags are present, and that values are in range.
  - Known regions come from the endpoint data shipped with botocore, so no API call is made.
options:
  _input:
    description:
      - One dictionary per region host with the keys C(host), C(region), C(role), C(vpc_cidr),
        C(azs), C(public_subnet_cidrs) and C(private_subnet_cidrs).
    type: list
    elements: dict
    required: true
  settings:
    description:
      - Shared settings. Keys C(tags), C(required_tags), C(name_prefix), C(rto_target_seconds),
        C(rpo_target_seconds), C(nat_gateway_mode), C(log_retention_days), C(app_port),
        C(known_regions) (optional, defaults to the regions botocore knows) and C(endpoints)
        with C(require_loopback) (the environment's AWS endpoint variables).
    type: dict
    required: true
"""

EXAMPLES = r"""
- name: Find every problem of the inventory
  ansible.builtin.set_fact:
    problems: "{{ regions | finproc.dr.preflight_problems(settings) }}"
"""

RETURN = r"""
_value:
  description: The problems found, one sentence each; empty when there are none.
  type: list
  elements: str
"""

import functools
import ipaddress
import re

try:
    from urllib.parse import urlparse
except ImportError:  # pragma: no cover
    from urlparse import urlparse

VALID_ROLES = ("primary", "secondary")
NAT_MODES = ("per_az", "single")
# CloudWatch Logs accepts only these retention periods (days).
LOG_RETENTION_DAYS = (1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827,
                      2192, 2557, 2922, 3288, 3653)
NAME_PREFIX_RE = re.compile(r"^[a-z][a-z0-9-]{1,28}[a-z0-9]$")


@functools.lru_cache(maxsize=1)
def known_regions():
    """Every region botocore's endpoint data knows, in every partition (no API call)."""
    try:
        import botocore.session
    except ImportError:  # pragma: no cover
        return None
    session = botocore.session.get_session()
    regions = set()
    for partition in session.get_available_partitions():
        regions.update(session.get_available_regions("ec2", partition_name=partition))
    return frozenset(regions)


def _network(value):
    """An IPv4 network in canonical form, or None."""
    if not isinstance(value, str):
        return None
    if "/" not in value:
        return None
    try:
        net = ipaddress.ip_network(value, strict=True)
    except ValueError:
        return None
    if net.version != 4:
        return None
    return net


def _check_cidr(problems, where, what, value, min_prefix=16, max_prefix=28):
    net = _network(value)
    if net is None:
        problems.append("%s: %s %r is not a valid IPv4 CIDR (address/prefix, host bits zero)"
                        % (where, what, value))
        return None
    if not min_prefix <= net.prefixlen <= max_prefix:
        problems.append("%s: %s %s has prefix /%d; AWS allows /%d to /%d"
                        % (where, what, value, net.prefixlen, min_prefix, max_prefix))
        return None
    return net


def _check_list(problems, where, what, value):
    if value is None:
        problems.append("%s: %s is missing" % (where, what))
        return []
    if not isinstance(value, (list, tuple)):
        problems.append("%s: %s must be a list, got %r" % (where, what, value))
        return []
    return list(value)


def _check_region(problems, record, regions):
    where = "host %s" % record.get("host")
    role = record.get("role")
    region = record.get("region")
    if role is None:
        problems.append("%s: dr_role is missing (primary or secondary)" % where)
    elif role not in VALID_ROLES:
        problems.append("%s: dr_role %r is not one of %s" % (where, role, ", ".join(VALID_ROLES)))
    if not isinstance(region, str) or not region:
        problems.append("%s: the region is missing" % where)
        region = None
    elif regions is not None and region not in regions:
        problems.append("%s: %r is not an AWS region" % (where, region))

    vpc = None
    if record.get("vpc_cidr") is None:
        problems.append("%s: dr_vpc_cidr is missing" % where)
    else:
        vpc = _check_cidr(problems, where, "dr_vpc_cidr", record.get("vpc_cidr"))

    azs = _check_list(problems, where, "dr_azs", record.get("azs"))
    if record.get("azs") is not None:
        if len(azs) < 2:
            problems.append("%s: dr_azs lists %d availability zone(s); at least 2 are needed"
                            % (where, len(azs)))
        if len(set(azs)) != len(azs):
            problems.append("%s: dr_azs repeats an availability zone: %s" % (where, ", ".join(map(str, azs))))
        for az in azs:
            if region and not (isinstance(az, str) and re.match(r"^%s[a-z]$" % re.escape(region), az)):
                problems.append("%s: availability zone %r is not a zone of %s" % (where, az, region))

    subnets = []
    for key, label in (("public_subnet_cidrs", "dr_public_subnet_cidrs"),
                       ("private_subnet_cidrs", "dr_private_subnet_cidrs")):
        cidrs = _check_list(problems, where, label, record.get(key))
        if record.get(key) is not None and azs and len(cidrs) != len(azs):
            problems.append("%s: %s has %d entries for %d availability zones; give one per zone"
                            % (where, label, len(cidrs), len(azs)))
        for cidr in cidrs:
            net = _check_cidr(problems, where, "subnet", cidr)
            if net is None:
                continue
            if vpc is not None and not net.subnet_of(vpc):
                problems.append("%s: subnet %s is outside its VPC %s" % (where, cidr, vpc))
            subnets.append(net)
    for i, first in enumerate(subnets):
        for second in subnets[i + 1:]:
            if first.overlaps(second):
                problems.append("%s: subnets %s and %s overlap" % (where, first, second))
    return vpc


def _check_endpoints(problems, endpoints):
    """The local inventory talks only to an emulator on loopback."""
    if not endpoints or not endpoints.get("require_loopback"):
        return
    urls = dict(endpoints.get("urls") or {})
    if not urls.get("AWS_ENDPOINT_URL"):
        problems.append(
            "this inventory talks only to a local emulator, and AWS_ENDPOINT_URL is not set: run "
            "'make emulator-up' and '. .emulator/env' (or use -i inventories/production for a real account)")
    for name, url in sorted(urls.items()):
        if not url:
            continue
        host = urlparse(url).hostname or ""
        try:
            loopback = ipaddress.ip_address(host).is_loopback
        except ValueError:
            loopback = host == "localhost" or host.endswith(".localhost")
        if not loopback:
            problems.append("this inventory talks only to a local emulator, and %s=%s is not on loopback"
                            % (name, url))


def _check_settings(problems, settings):
    tags = settings.get("tags")
    if not isinstance(tags, dict):
        problems.append("dr_tags must be a dictionary of tag names to values")
        tags = {}
    for tag in settings.get("required_tags") or []:
        value = tags.get(tag)
        if value is None or str(value).strip() == "":
            problems.append("required tag %s is missing from dr_tags" % tag)
    for key, value in sorted(tags.items()):
        if str(key).lower().startswith("aws:"):
            problems.append("tag %s: the aws: prefix is reserved by AWS" % key)
        if not 1 <= len(str(key)) <= 128:
            problems.append("tag %r: a tag key has 1 to 128 characters" % key)
        if len(str(value)) > 256:
            problems.append("tag %s: a tag value has at most 256 characters" % key)

    prefix = settings.get("name_prefix")
    if not isinstance(prefix, str) or not NAME_PREFIX_RE.match(prefix):
        problems.append("the name prefix %r (dr_app_name-dr_environment) must be 3 to 30 lower-case letters, "
                        "digits and dashes, starting with a letter" % (prefix,))

    def _int_in(name, value, low, high):
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            problems.append("%s must be a whole number from %d to %d, got %r" % (name, low, high, value))

    _int_in("dr_rto_target_seconds", settings.get("rto_target_seconds"), 60, 86400)
    _int_in("dr_rpo_target_seconds", settings.get("rpo_target_seconds"), 1, 86400)
    _int_in("dr_app_port", settings.get("app_port"), 1, 65535)
    if settings.get("app_port") in (80, 443):
        problems.append("dr_app_port must differ from the load balancer's ports 80 and 443")
    if settings.get("nat_gateway_mode") not in NAT_MODES:
        problems.append("dr_nat_gateway_mode %r is not one of %s"
                        % (settings.get("nat_gateway_mode"), ", ".join(NAT_MODES)))
    if settings.get("log_retention_days") not in LOG_RETENTION_DAYS:
        problems.append("dr_log_retention_days %r is not a retention CloudWatch Logs accepts (%s)"
                        % (settings.get("log_retention_days"), ", ".join(map(str, LOG_RETENTION_DAYS))))


def preflight_problems(regions, settings):
    """Return every problem of the inventory, as sentences naming the host and setting."""
    problems = []
    settings = dict(settings or {})
    regions = list(regions or [])
    known = settings.get("known_regions")
    known = set(known) if known else known_regions()

    if not regions:
        problems.append("the inventory has no region host in group 'regions'")

    vpcs = []
    for record in regions:
        vpc = _check_region(problems, record, known)
        if vpc is not None:
            vpcs.append((record.get("host"), vpc))

    primaries = [r.get("host") for r in regions if r.get("role") == "primary"]
    if regions and not primaries:
        problems.append("no region has dr_role: primary; exactly one must")
    elif len(primaries) > 1:
        problems.append("more than one primary region: %s; exactly one host may have dr_role: primary"
                        % ", ".join(map(str, primaries)))

    seen = {}
    for record in regions:
        region = record.get("region")
        if isinstance(region, str) and region:
            if region in seen:
                problems.append("hosts %s and %s both deploy region %s; each region appears once"
                                % (seen[region], record.get("host"), region))
            else:
                seen[region] = record.get("host")

    for i, (host_a, vpc_a) in enumerate(vpcs):
        for host_b, vpc_b in vpcs[i + 1:]:
            if vpc_a.overlaps(vpc_b):
                problems.append("VPC CIDRs overlap: %s (%s) and %s (%s); DR regions need distinct ranges"
                                % (host_a, vpc_a, host_b, vpc_b))

    _check_settings(problems, settings)
    _check_endpoints(problems, settings.get("endpoints"))
    return problems


class FilterModule(object):
    def filters(self):
        return {"preflight_problems": preflight_problems}

# -*- coding: utf-8 -*-
# Copyright: finproc.dr contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The rules of a security group, set exactly: read, compared, planned and written with an exact diff.

A rule is one protocol, one port range and one source or destination (an IPv4 CIDR block, a security
group by ID, or in finproc.dr.ec2_security_groups a group of the same list by name), with its description.
Its key: (protocol, from port, to port, source kind, source). ``plan_rules`` compares a group's rules with
the wanted ones per direction; ``RuleWriter.apply`` revokes the unwanted rules first (the group is never
more open than both before and after), authorizes the missing ones and updates changed descriptions in
place (UpdateSecurityGroupRuleDescriptionsIngress/Egress).

The diff shows, for each direction that differs, its rules as C(<protocol> <ports> <source>) with their
descriptions, so --check --diff names exactly the rule added or removed behind the collection's back.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.finproc.dr.plugins.module_utils.errors import aws_call
from ansible_collections.finproc.dr.plugins.module_utils.idempotency import create_once

# The key of a rule: (protocol, from port, to port, source kind, source). "-1" is every protocol, without
# ports ("Use -1 to specify all protocols ... you can't specify a port range", IpPermission - Amazon EC2,
# https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_IpPermission.html).
SOURCES = (
    ("IpRanges", "CidrIp"),
    ("Ipv6Ranges", "CidrIpv6"),
    ("PrefixListIds", "PrefixListId"),
    ("UserIdGroupPairs", "GroupId"),
)
# A source named by a group of the module's own list that does not exist yet (check mode only): shown by
# name, never sent.
BY_NAME = "GroupName"
PROTOCOLS = {"all": "-1", "-1": "-1", "tcp": "tcp", "udp": "udp", "icmp": "icmp", "6": "tcp", "17": "udp", "1": "icmp"}
# (option, IpPermissions field of DescribeSecurityGroups, API direction, purge option)
DIRECTIONS = (
    ("rules", "IpPermissions", "Ingress", "purge_rules"),
    ("rules_egress", "IpPermissionsEgress", "Egress", "purge_rules_egress"),
)


def rule_options(group_name=False):
    """The suboptions of one rule (argument spec); with `group_name`, a group of the module's list by name."""
    rule = dict(
        proto=dict(type="str", required=True),
        from_port=dict(type="int"),
        to_port=dict(type="int"),
        cidr_ip=dict(type="str"),
        group_id=dict(type="str"),
        description=dict(type="str", default=""),
    )
    if group_name:
        rule["group_name"] = dict(type="str")
    return rule


def read_rules(permissions):
    """{key: description} of a group's IpPermissions (or IpPermissionsEgress)."""
    rules = {}
    for permission in permissions or []:
        protocol = PROTOCOLS.get(str(permission["IpProtocol"]), str(permission["IpProtocol"]))
        ports = (None, None) if protocol == "-1" else (permission.get("FromPort"), permission.get("ToPort"))
        for field, source in SOURCES:
            for entry in permission.get(field) or []:
                rules[(protocol,) + ports + (source, entry[source])] = entry.get("Description") or ""
    return rules


def wanted_rules(options, group_ids=None):
    """{key: description} of the rules of an option. A rule's `group_name` is the ID `group_ids` gives it,
    or the name itself (kind BY_NAME) while the group does not exist (check mode)."""
    rules = {}
    for rule in options:
        protocol = PROTOCOLS[rule["proto"]]
        ports = (None, None) if protocol == "-1" else (rule["from_port"], rule["to_port"])
        if rule.get("cidr_ip"):
            source = ("CidrIp", rule["cidr_ip"])
        elif rule.get("group_name"):
            found = (group_ids or {}).get(rule["group_name"])
            source = ("GroupId", found) if found else (BY_NAME, rule["group_name"])
        else:
            source = ("GroupId", rule["group_id"])
        rules[(protocol,) + ports + source] = rule["description"] or ""
    return rules


def label(key):
    protocol, low, high, _kind, source = key
    if protocol == "-1":
        return "all %s" % source
    ports = str(low) if low == high else "%s-%s" % (low, high)
    return "%s %s %s" % (protocol, ports, source)


def view(rules):
    return dict((label(key), rules[key]) for key in sorted(rules, key=label))


def permission(key, description):
    """The IpPermission of one rule, with its description."""
    protocol, low, high, kind, source = key
    entry = {"IpProtocol": protocol}
    if protocol != "-1":
        entry.update(FromPort=low, ToPort=high)
    field = dict((s, f) for f, s in SOURCES)[kind]
    target = {kind: source}
    if description:
        target["Description"] = description
    entry[field] = [target]
    return entry


def validate_rules(params, prefix="", group_names=None):
    """The problems of the rules of `params` (a dict with ``rules`` and ``rules_egress``), each message
    naming the rule (``<prefix>rules[<i>]``); fills in ``to_port`` (default: ``from_port``). With
    `group_names` (the names of the module's list), a rule may name one of them by ``group_name``."""
    problems = []
    for option, _f, _d, _p in DIRECTIONS:
        for index, rule in enumerate(params[option]):
            name = "%s%s[%d]" % (prefix, option, index)
            if rule["proto"] not in PROTOCOLS:
                problems.append("%s: proto must be tcp, udp, icmp or all, not %s" % (name, rule["proto"]))
                continue
            sources = [rule.get("cidr_ip"), rule.get("group_id") is not None or None, rule.get("group_name")]
            if len([source for source in sources if source]) != 1:
                either = "cidr_ip and group_id" + (" or group_name" if group_names is not None else "")
                problems.append("%s: give exactly one of %s" % (name, either))
            elif rule.get("group_name") and rule["group_name"] not in (group_names or ()):
                problems.append("%s: group_name %s is not a group of this list" % (name, rule["group_name"]))
            if PROTOCOLS[rule["proto"]] != "-1":
                if rule["from_port"] is None:
                    problems.append("%s: from_port is required for %s" % (name, rule["proto"]))
                elif rule["to_port"] is None:
                    rule["to_port"] = rule["from_port"]
    return problems


def plan_rules(group, wanted, purge):
    """(before, after, plans) of one group: `group` as DescribeSecurityGroups gives it ({} for a group
    still to be made), `wanted` {option: {key: description}}, `purge` {option: bool}. before and after are
    {option: view}; plans a list of (direction, field, current, target, revoke, authorize, describe)."""
    before, after, plans = {}, {}, []
    for option, field, direction, _purge in DIRECTIONS:
        current = read_rules(group.get(field))
        target = wanted[option]
        revoke = [key for key in current if key not in target] if purge[option] else []
        authorize = [key for key in target if key not in current]
        describe = [key for key in target if key in current and current[key] != target[key]]
        final = dict((key, value) for key, value in current.items() if key not in revoke)
        final.update(target)
        before[option], after[option] = view(current), view(final)
        plans.append((direction, field, current, target, revoke, authorize, describe))
    return before, after, plans


class RuleWriter(object):
    """Writes the plans of one group (``plan_rules``); `read(group_id)` reads the group again (after a lost
    answer: DescribeSecurityGroups of that group)."""

    def __init__(self, module, client, read):
        self.module = module
        self.client = client
        self.read = read

    def write(self, group_id, method, keys, rules, field=None, refused_codes=()):
        """One call of `method` (e.g. revoke_security_group_ingress) with the rules of `keys`.

        Authorize and revoke are not idempotent: their retry after a lost answer is refused
        (InvalidPermission.Duplicate, InvalidPermission.NotFound: "Error codes for the Amazon EC2 API",
        https://docs.aws.amazon.com/AWSEC2/latest/APIReference/errors-overview.html). They are sent once
        (idempotency.create_once); after a lost answer, or that refusal, the group's `field` rules are read
        and the call counts as done when the rules are (or are no longer) there. `refused_codes`: codes
        that say AWS did nothing and the call may be sent again (see ``apply``).
        """
        if not keys:
            return
        operation = "".join(part.capitalize() for part in method.split("_"))  # e.g. RevokeSecurityGroupIngress
        params = dict(GroupId=group_id, IpPermissions=[permission(key, rules[key]) for key in sorted(keys, key=label)])
        what = "security group %s" % group_id
        if field is None:
            aws_call(self.module, getattr(self.client, method), operation, what, **params)
            return
        adding = method.startswith("authorize")

        def done():
            now = read_rules(self.read(group_id).get(field))
            return True if all((key in now) == adding for key in keys) else None

        def answered(answer):
            # A revoke whose values match no rule is refused with InvalidPermission.NotFound in a
            # non-default VPC, but "for a default VPC ... no error is returned, and the output describes
            # the security group rules that were not revoked" (RevokeSecurityGroupIngress - Amazon Elastic
            # Compute Cloud, https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_RevokeSecurityGroupIngress.html;
            # the same for egress): read the group then, as AWS recommends, never count it as done unread.
            if adding or not answer.get("UnknownIpPermissions"):
                return True
            if done():
                return True
            self.module.fail_json(
                msg="%s: %s answered without revoking %s (UnknownIpPermissions) and the rules are still there"
                % (what, operation, ", ".join(label(key) for key in sorted(keys, key=label))),
                unknown_ip_permissions=answer["UnknownIpPermissions"],
            )

        refused = "InvalidPermission.Duplicate" if adding else "InvalidPermission.NotFound"
        create_once(
            self.module,
            self.client,
            method,
            params,
            done,
            answered,
            what,
            exists_codes=[refused],
            refused_codes=refused_codes,
        )

    def apply(self, group_id, plans, just_created=False):
        """Write `plans` to the group. On a group `just_created`, InvalidGroup.NotFound says the group is
        not visible yet to the call ("Eventual consistency in the Amazon EC2 API",
        https://docs.aws.amazon.com/ec2/latest/devguide/eventual-consistency.html): refused, sent again
        after a back-off. On a group that existed, it fails the run (the group is gone)."""
        refused = ("InvalidGroup.NotFound",) if just_created else ()
        for direction, field, current, target, revoke, authorize, describe in plans:
            # The unwanted first: the group is never more open than both before and after.
            suffix = direction.lower()
            self.write(group_id, "revoke_security_group_" + suffix, revoke, current, field, refused)
            self.write(group_id, "authorize_security_group_" + suffix, authorize, target, field, refused)
            self.write(group_id, "update_security_group_rule_descriptions_" + suffix, describe, target)

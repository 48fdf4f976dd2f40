#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: finproc.dr contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: ec2_security_group_rules
version_added: 0.1.0
short_description: Set the inbound and outbound rules of an existing security group, with an exact diff
description:
  - Sets the rules of an existing security group (I(group_id)) to I(rules) (inbound) and
    I(rules_egress) (outbound), each rule one protocol, one port range and one source or
    destination (an IPv4 CIDR block or a security group), with its description.
  - Rules that are not listed are revoked (I(purge_rules), I(purge_rules_egress)), a listed rule
    that is missing is authorized, and a listed rule whose description differs gets its
    description updated in place (UpdateSecurityGroupRuleDescriptionsIngress/Egress). In each
    direction, unwanted rules are revoked before wanted ones are authorized.
  - The diff shows, for each direction that differs, its rules as C(<protocol> <ports> <source>)
    with their descriptions, so C(--check --diff) names exactly the rule added or removed behind
    the collection's back. amazon.aws.ec2_security_group's check mode predicts the group in another
    form than it reads it (ports as text, the source group's description for the rule's), so its
    diff shows rules as changed that are not.
  - The group itself (name, description, VPC, tags) is amazon.aws.ec2_security_group's.
author:
  - finproc.dr maintainers (@finproc)
options:
  group_id:
    description:
      - The ID of the security group. Empty in check mode when the group would be created by an
        earlier task; then the rules are reported as to be set.
    type: str
    required: true
  rules:
    description: The inbound rules.
    type: list
    elements: dict
    default: []
    suboptions: &rule
      proto:
        description: C(tcp), C(udp), C(icmp) or C(all).
        type: str
        required: true
      from_port:
        description: The first port (the ICMP type for C(icmp)); not for C(all).
        type: int
      to_port:
        description: The last port (the ICMP code for C(icmp)); defaults to I(from_port).
        type: int
      cidr_ip:
        description: The IPv4 CIDR block. Exactly one of I(cidr_ip) and I(group_id).
        type: str
      group_id:
        description: The security group. Exactly one of I(cidr_ip) and I(group_id).
        type: str
      description:
        description: The rule's description.
        type: str
        default: ""
  rules_egress:
    description: The outbound rules.
    type: list
    elements: dict
    default: []
    suboptions: *rule
  purge_rules:
    description: Revoke the inbound rules that are not in I(rules).
    type: bool
    default: true
  purge_rules_egress:
    description: Revoke the outbound rules that are not in I(rules_egress).
    type: bool
    default: true
extends_documentation_fragment:
  - finproc.dr.aws
notes:
  - Check mode is supported; diff mode shows the rules of each direction that differs.
  - IPv6 ranges and prefix lists are read and, with purge, revoked; they cannot be listed.
"""

EXAMPLES = r"""
- name: Only HTTPS in from anywhere, only the app port out to the app group
  finproc.dr.ec2_security_group_rules:
    group_id: "{{ alb_group_id }}"
    rules:
      - proto: tcp
        from_port: 443
        cidr_ip: 0.0.0.0/0
        description: HTTPS from anywhere
    rules_egress:
      - proto: tcp
        from_port: 8080
        group_id: "{{ app_group_id }}"
        description: To the application targets only
"""

RETURN = r"""
rules:
  description:
    - The inbound rules after the run (in check mode, as they are), C(<protocol> <ports> <source>) to
      description.
  returned: always
  type: dict
  sample: {"tcp 443 0.0.0.0/0": "HTTPS from anywhere"}
rules_egress:
  description: The outbound rules after the run, in the same form.
  returned: always
  type: dict
  sample: {"tcp 8080 sg-0123456789abcdef0": "To the application targets only"}
"""

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule

from ansible_collections.finproc.dr.plugins.module_utils.client import aws_client
from ansible_collections.finproc.dr.plugins.module_utils.errors import aws_call
from ansible_collections.finproc.dr.plugins.module_utils.idempotency import create_once
from ansible_collections.finproc.dr.plugins.module_utils.results import changes
from ansible_collections.finproc.dr.plugins.module_utils.results import exit_result

# The key of a rule: (protocol, from port, to port, source kind, source). "-1" is every protocol, without
# ports ("Use -1 to specify all protocols ... you can't specify a port range", IpPermission - Amazon EC2,
# https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_IpPermission.html).
SOURCES = (
    ("IpRanges", "CidrIp"),
    ("Ipv6Ranges", "CidrIpv6"),
    ("PrefixListIds", "PrefixListId"),
    ("UserIdGroupPairs", "GroupId"),
)
PROTOCOLS = {"all": "-1", "-1": "-1", "tcp": "tcp", "udp": "udp", "icmp": "icmp", "6": "tcp", "17": "udp", "1": "icmp"}
DIRECTIONS = (
    ("rules", "IpPermissions", "Ingress", "purge_rules"),
    ("rules_egress", "IpPermissionsEgress", "Egress", "purge_rules_egress"),
)


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


def wanted_rules(options):
    rules = {}
    for rule in options:
        protocol = PROTOCOLS[rule["proto"]]
        ports = (None, None) if protocol == "-1" else (rule["from_port"], rule["to_port"])
        source = ("CidrIp", rule["cidr_ip"]) if rule.get("cidr_ip") else ("GroupId", rule["group_id"])
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


class SecurityGroupRules(object):
    def __init__(self, module):
        self.module = module
        self.params = module.params
        self.group_id = module.params["group_id"]
        self.client = aws_client(module, "ec2")

    def describe(self):
        reply = aws_call(
            self.module,
            self.client.describe_security_groups,
            "DescribeSecurityGroups",
            "security group %s" % self.group_id,
            GroupIds=[self.group_id],
        )
        return reply["SecurityGroups"][0]

    def write(self, method, keys, rules, field=None):
        """One call of `method` (e.g. revoke_security_group_ingress) with the rules of `keys`.

        Authorize and revoke are not idempotent: their retry after a lost answer is refused
        (InvalidPermission.Duplicate, InvalidPermission.NotFound: "Error codes for the Amazon EC2 API",
        https://docs.aws.amazon.com/AWSEC2/latest/APIReference/errors-overview.html). They are sent once
        (idempotency.create_once); after a lost answer, or that refusal, the group's `field` rules are read
        and the call counts as done when the rules are (or are no longer) there.
        """
        if not keys:
            return
        operation = "".join(part.capitalize() for part in method.split("_"))  # e.g. RevokeSecurityGroupIngress
        params = dict(
            GroupId=self.group_id, IpPermissions=[permission(key, rules[key]) for key in sorted(keys, key=label)]
        )
        what = "security group %s" % self.group_id
        if field is None:
            aws_call(self.module, getattr(self.client, method), operation, what, **params)
            return
        adding = method.startswith("authorize")

        def done():
            now = read_rules(self.describe().get(field))
            return True if all((key in now) == adding for key in keys) else None

        refused = "InvalidPermission.Duplicate" if adding else "InvalidPermission.NotFound"
        create_once(self.module, self.client, method, params, done, lambda answer: True, what, exists_codes=[refused])

    def run(self):
        wanted = dict((option, wanted_rules(self.params[option])) for option, _f, _d, _p in DIRECTIONS)
        if not self.group_id:
            if not self.module.check_mode:
                self.module.fail_json(msg="group_id is empty: the security group does not exist")
            views = dict((option, view(rules)) for option, rules in wanted.items())
            exit_result(self.module, True, {}, views, **views)
        group = self.describe()
        before, after, plans = {}, {}, []
        for option, field, direction, purge in DIRECTIONS:
            current = read_rules(group.get(field))
            target = wanted[option]
            revoke = [key for key in current if key not in target] if self.params[purge] else []
            authorize = [key for key in target if key not in current]
            describe = [key for key in target if key in current and current[key] != target[key]]
            final = dict((key, value) for key, value in current.items() if key not in revoke)
            final.update(target)
            before[option], after[option] = view(current), view(final)
            plans.append((direction, field, current, target, revoke, authorize, describe))
        changed = before != after
        if changed and not self.module.check_mode:
            for direction, field, current, target, revoke, authorize, describe in plans:
                # The unwanted first: the group is never more open than both before and after.
                suffix = direction.lower()
                self.write("revoke_security_group_" + suffix, revoke, current, field)
                self.write("authorize_security_group_" + suffix, authorize, target, field)
                self.write("update_security_group_rule_descriptions_" + suffix, describe, target)
        shown = after if not self.module.check_mode else before
        exit_result(self.module, changed, **dict(changes(before, after), **shown))


def validate(module):
    problems = []
    for option, _f, _d, _p in DIRECTIONS:
        for index, rule in enumerate(module.params[option]):
            name = "%s[%d]" % (option, index)
            if rule["proto"] not in PROTOCOLS:
                problems.append("%s: proto must be tcp, udp, icmp or all, not %s" % (name, rule["proto"]))
                continue
            if bool(rule.get("cidr_ip")) == bool(rule.get("group_id") is not None):
                problems.append("%s: give exactly one of cidr_ip and group_id" % name)
            if PROTOCOLS[rule["proto"]] != "-1":
                if rule["from_port"] is None:
                    problems.append("%s: from_port is required for %s" % (name, rule["proto"]))
                elif rule["to_port"] is None:
                    rule["to_port"] = rule["from_port"]
    if problems:
        module.fail_json(msg="; ".join(problems))


def main():
    rule = dict(
        proto=dict(type="str", required=True),
        from_port=dict(type="int"),
        to_port=dict(type="int"),
        cidr_ip=dict(type="str"),
        group_id=dict(type="str"),
        description=dict(type="str", default=""),
    )
    argument_spec = dict(
        group_id=dict(type="str", required=True),
        rules=dict(type="list", elements="dict", default=[], options=rule),
        rules_egress=dict(type="list", elements="dict", default=[], options=rule),
        purge_rules=dict(type="bool", default=True),
        purge_rules_egress=dict(type="bool", default=True),
    )
    module = AnsibleAWSModule(argument_spec=argument_spec, supports_check_mode=True)
    validate(module)
    SecurityGroupRules(module).run()


if __name__ == "__main__":
    main()

#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: finproc.dr contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: ec2_security_groups
version_added: 0.1.0
short_description: Manage the security groups of a VPC and their complete rule sets in one run
description:
  - Creates the listed security groups of a VPC that are missing (tagged at birth), brings the tags of
    every listed group in line and sets each group's inbound (I(groups[].rules)) and outbound
    (I(groups[].rules_egress)) rules exactly, in one module run. A rule may name another group of the
    list by I(group_name), so groups that refer to each other are managed together.
  - The groups are read with one DescribeSecurityGroups call (filters C(vpc-id) and C(group-name));
    when everything matches, that is the only call made.
  - Each rule is one protocol, one port range and one source or destination (an IPv4 CIDR block, a
    security group ID, or a group of the list by name), with its description. The rule set of each
    direction is complete by default (I(purge_rules), I(purge_rules_egress)) - rules that are not
    listed are revoked, including the allow-all outbound rule a new VPC group is born with -, unwanted
    rules are revoked before wanted ones are authorized, and a listed rule whose description differs
    gets its description updated in place (UpdateSecurityGroupRuleDescriptionsIngress/Egress).
  - The diff shows, per group, only what differs; for the rules, the rules of each direction that
    differs as C(<protocol> <ports> <source>) with their descriptions, so C(--check --diff) names
    exactly the rule added or removed behind the collection's back, on its group. A group still to be
    created is shown whole, and a rule naming such a group shows it by name.
  - A group's description cannot be changed (EC2 has no action for it). A group whose description
    differs fails the module before any write, naming the group and both descriptions, in check mode
    as well (the run would fail).
  - Groups of the VPC that are not listed are left alone. Groups are never deleted.
author:
  - finproc.dr maintainers (@finproc)
options:
  vpc_id:
    description:
      - The ID of the VPC. Empty in check mode when the VPC would be created by an earlier task; then
        every group is reported as to be created, without any AWS call.
    type: str
    required: true
  groups:
    description: The security groups of the VPC this module manages; their names must be distinct.
    type: list
    elements: dict
    required: true
    suboptions:
      name:
        description: The name of the group (unique in the VPC).
        type: str
        required: true
      description:
        description: The description of the group (set at creation, cannot be changed).
        type: str
        required: true
      tags:
        description: The tags of the group. See I(purge_tags) for the tags that are not listed.
        type: dict
        default: {}
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
            description: The IPv4 CIDR block. Exactly one of I(cidr_ip), I(group_id) and I(group_name).
            type: str
          group_id:
            description: A security group, by ID.
            type: str
          group_name:
            description: A security group of I(groups), by name.
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
  purge_tags:
    description:
      - Whether the tags of a listed group that are not in its I(tags) are removed.
      - Tags whose key starts with C(aws:) are never removed.
    type: bool
    default: true
  purge_rules:
    description: Revoke the inbound rules of each group that are not in its I(rules).
    type: bool
    default: true
  purge_rules_egress:
    description: Revoke the outbound rules of each group that are not in its I(rules_egress).
    type: bool
    default: true
extends_documentation_fragment:
  - finproc.dr.aws
notes:
  - Check mode is supported; diff mode shows, per group, what differs.
  - IPv6 ranges and prefix lists are read and, with purge, revoked; they cannot be listed.
"""

EXAMPLES = r"""
- name: The ALB and app groups of a VPC, each allowing only the other
  finproc.dr.ec2_security_groups:
    vpc_id: "{{ vpc_id }}"
    groups:
      - name: web-alb
        description: HTTPS from anywhere
        tags: {Name: web-alb}
        rules:
          - {proto: tcp, from_port: 443, cidr_ip: 0.0.0.0/0, description: HTTPS from anywhere}
        rules_egress:
          - {proto: tcp, from_port: 8080, group_name: web-app, description: To the app only}
      - name: web-app
        description: The app port from the ALB only
        tags: {Name: web-app}
        rules:
          - {proto: tcp, from_port: 8080, group_name: web-alb, description: From the ALB only}
        rules_egress:
          - {proto: tcp, from_port: 443, cidr_ip: 0.0.0.0/0, description: HTTPS out}
  register: web_groups

- name: Use an ID
  ansible.builtin.debug:
    msg: "{{ web_groups.group_ids['web-app'] }}"
"""

RETURN = r"""
group_ids:
  description: The ID of each group, by name (a group still to be created in check mode is absent).
  returned: always
  type: dict
  sample: {"web-alb": "sg-0123456789abcdef0", "web-app": "sg-0fedcba9876543210"}
security_groups:
  description:
    - Each group as DescribeSecurityGroups describes it after the run (in check mode, as it is), by name,
      in snake case (its tags as a dict).
  returned: always
  type: dict
  sample: {"web-app": {"group_id": "sg-0fedcba9876543210", "group_name": "web-app", "vpc_id": "vpc-1"}}
groups:
  description:
    - Each group's settings after the run (in check mode, as they are; a group still to be created, as
      it would be made, with an empty C(group_id)), by name; its rules as C(<protocol> <ports> <source>)
      to description.
  returned: always
  type: dict
  sample:
    web-app:
      group_id: sg-0fedcba9876543210
      description: The app port from the ALB only
      tags: {Name: web-app}
      rules: {"tcp 8080 sg-0123456789abcdef0": "From the ALB only"}
      rules_egress: {"tcp 443 0.0.0.0/0": "HTTPS out"}
"""

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.amazon.aws.plugins.module_utils.tagging import ansible_dict_to_boto3_tag_list
from ansible_collections.amazon.aws.plugins.module_utils.tagging import boto3_tag_list_to_ansible_dict

from ansible_collections.finproc.dr.plugins.module_utils.client import aws_client
from ansible_collections.finproc.dr.plugins.module_utils.client import just_created_client
from ansible_collections.finproc.dr.plugins.module_utils.client import paginate_or_fail
from ansible_collections.finproc.dr.plugins.module_utils.errors import aws_call
from ansible_collections.finproc.dr.plugins.module_utils.idempotency import create_once
from ansible_collections.finproc.dr.plugins.module_utils.idempotency import settle_listed
from ansible_collections.finproc.dr.plugins.module_utils.results import changes
from ansible_collections.finproc.dr.plugins.module_utils.results import exit_result
from ansible_collections.finproc.dr.plugins.module_utils.results import snake
from ansible_collections.finproc.dr.plugins.module_utils.security_group_rules import DIRECTIONS
from ansible_collections.finproc.dr.plugins.module_utils.security_group_rules import RuleWriter
from ansible_collections.finproc.dr.plugins.module_utils.security_group_rules import plan_rules
from ansible_collections.finproc.dr.plugins.module_utils.security_group_rules import rule_options
from ansible_collections.finproc.dr.plugins.module_utils.security_group_rules import validate_rules
from ansible_collections.finproc.dr.plugins.module_utils.security_group_rules import wanted_rules
from ansible_collections.finproc.dr.plugins.module_utils.tagging import apply_tags
from ansible_collections.finproc.dr.plugins.module_utils.tagging import plan_tags


def group_tags(group):
    return boto3_tag_list_to_ansible_dict(group.get("Tags") or [])


class SecurityGroups(object):
    def __init__(self, module):
        self.module = module
        self.params = module.params
        self.vpc_id = module.params["vpc_id"]
        self.specs = module.params["groups"]
        self.names = [spec["name"] for spec in self.specs]
        self.client = aws_client(module, "ec2")
        self.purge = dict((option, module.params[purge]) for option, _f, _d, purge in DIRECTIONS)

    # Also retries InvalidGroup.NotFound for a group this run has just created.
    fresh = just_created_client("ec2")

    # -- reads -------------------------------------------------------------------------------------

    def describe(self, names):
        """{name: group} of the groups of the VPC named `names`: ONE DescribeSecurityGroups (paginated).

        Group names are unique in a VPC ("You can't have two security groups for the same VPC with the
        same name", CreateSecurityGroup - Amazon Elastic Compute Cloud,
        https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_CreateSecurityGroup.html), so
        (vpc-id, group-name) is a group's identity.
        """
        filters = [{"Name": "vpc-id", "Values": [self.vpc_id]}, {"Name": "group-name", "Values": list(names)}]
        found = paginate_or_fail(
            self.module,
            self.client,
            "describe_security_groups",
            "SecurityGroups",
            "the security groups %s of %s" % (", ".join(names), self.vpc_id),
            Filters=filters,
        )
        return dict((group["GroupName"], group) for group in found if group["GroupName"] in names)

    def read_one(self, group_id):
        reply = aws_call(
            self.module,
            self.fresh.describe_security_groups,
            "DescribeSecurityGroups",
            "security group %s" % group_id,
            GroupIds=[group_id],
        )
        return reply["SecurityGroups"][0]

    def settle(self, names):
        """{name: group} of `names` just created: read again (one call) until all of them are listed."""
        found, missing = settle_listed(self.describe, names)
        if missing:
            self.module.fail_json(
                msg="security groups %s of %s: created, but not listed by DescribeSecurityGroups"
                % (", ".join(missing), self.vpc_id)
            )
        return found

    # -- writes ------------------------------------------------------------------------------------
    def create(self, spec):
        """CreateSecurityGroup, tagged at birth (TagSpecifications); its GroupId.

        CreateSecurityGroup takes no client token (its parameters: Description, GroupName, VpcId,
        TagSpecifications, DryRun: CreateSecurityGroup - Amazon Elastic Compute Cloud,
        https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_CreateSecurityGroup.html) and is not
        among the actions that are idempotent by default or with a client token ("Ensuring idempotency in
        Amazon EC2 API requests", https://docs.aws.amazon.com/ec2/latest/devguide/ec2-api-idempotency.html):
        it is sent once (create_once), and after an unknown outcome the group is looked up by (vpc-id,
        group-name) before any new attempt. The retry of a create that was carried out is refused with
        InvalidGroup.Duplicate ("The security group name is already in use", "Error codes for the Amazon
        EC2 API", https://docs.aws.amazon.com/AWSEC2/latest/APIReference/errors-overview.html): the group
        is then looked up likewise and adopted.
        """
        name = spec["name"]
        request = {"GroupName": name, "Description": spec["description"], "VpcId": self.vpc_id}
        if spec["tags"]:
            request["TagSpecifications"] = [
                {"ResourceType": "security-group", "Tags": ansible_dict_to_boto3_tag_list(spec["tags"])}
            ]

        def find():
            group = self.describe([name]).get(name)
            return (group["GroupId"], False) if group else None

        # (group ID, made by this call): a group found instead (a lost answer, InvalidGroup.Duplicate) was
        # not tagged by this call's TagSpecifications, so its tags are set like an existing group's.
        return create_once(
            self.module,
            self.client,
            "create_security_group",
            request,
            find,
            lambda answer: (answer["GroupId"], True),
            "security group %s in %s" % (name, self.vpc_id),
            exists_codes=["InvalidGroup.Duplicate"],
        )

    # -- the run -----------------------------------------------------------------------------------
    @staticmethod
    def view(group, rules):
        """The diff view of a group: its description, tags and rules (`rules`: {option: view})."""
        return dict(rules, description=group.get("Description"), tags=group_tags(group))

    def wanted(self, ids):
        return dict(
            (spec["name"], dict((option, wanted_rules(spec[option], ids)) for option, _f, _d, _p in DIRECTIONS))
            for spec in self.specs
        )

    def descriptions(self, existing):
        """The groups whose description differs: (name, group ID, theirs, ours)."""
        found = [(spec, existing.get(spec["name"])) for spec in self.specs]
        return [
            (spec["name"], group["GroupId"], group["Description"], spec["description"])
            for spec, group in found
            if group and group["Description"] != spec["description"]
        ]

    def run(self):
        check = self.module.check_mode
        if not self.vpc_id:
            if not check:
                self.module.fail_json(msg="vpc_id is empty: the VPC does not exist")
            existing = {}
        else:
            existing = self.describe(self.names)
        ids = dict((name, group["GroupId"]) for name, group in existing.items())

        differing = self.descriptions(existing)
        if differing:
            text = "; ".join(
                "security group %s (%s) of %s has the description %r, not %r" % (name, gid, self.vpc_id, theirs, ours)
                for name, gid, theirs, ours in differing
            )
            # No EC2 action changes a group's description (nor its name): besides create and delete, the
            # actions on a security group change its rules (Authorize/Revoke*, ModifySecurityGroupRules,
            # UpdateSecurityGroupRuleDescriptions*), its VPC associations and its tags ("Actions", Amazon
            # EC2 API Reference, https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_Operations.html;
            # the EC2 service model of botocore has no other operation naming SecurityGroup).
            advice = (
                "EC2 cannot change a security group's description: set the description back, or delete "
                "the group (after detaching it from every network interface) so that the next run creates it"
            )
            # Check mode says it as the run would: a failure, before anything else is planned.
            self.module.fail_json(msg="%s. %s" % (text, advice), mismatched_descriptions=differing)

        # Check mode predicts from what is there; a run creates the missing groups first (all of them,
        # so that rules naming each other have their IDs), then sets every group's tags and rules.
        created, tagged = [], []
        if not check:
            for spec in self.specs:
                if spec["name"] not in existing:
                    ids[spec["name"]], made = self.create(spec)
                    created.append(spec["name"])
                    if made:
                        tagged.append(spec["name"])
            if created:
                existing.update(self.settle(created))

        wanted = self.wanted(ids)
        before, after, shown, writes = {}, {}, {}, []
        for spec in self.specs:
            name = spec["name"]
            was_there = name in existing and name not in created
            group = existing.get(name) or {}
            rules_before, rules_after, plans = plan_rules(group, wanted[name], self.purge)
            tag_plan = plan_tags(group_tags(group), spec["tags"], self.params["purge_tags"])
            # The group as it is ({} when it is to be made, or was made by this run) and as it will be.
            group_before = self.view(group, rules_before) if was_there else {}
            group_after = dict(self.view(group, rules_after), description=spec["description"])
            group_after["tags"] = tag_plan.after
            diff = changes(group_before, group_after)
            if diff["after"] or diff["before"]:
                if was_there:
                    before[name] = diff["before"]
                after[name] = diff["after"]
            now = group_before if check and was_there else group_after
            shown[name] = dict(now, group_id=ids.get(name, ""))
            writes.append((name, group.get("GroupId"), tag_plan, plans, name in created, name in tagged))
        changed = bool(created) or bool(after)

        if changed and not check:
            writer = RuleWriter(self.module, self.client, self.read_one)
            for name, group_id, tag_plan, plans, is_new, tagged_at_birth in writes:
                if not tagged_at_birth:
                    apply_tags(self.module, self.client, "ec2", group_id, tag_plan, "security group %s" % name)
                writer.apply(group_id, plans, just_created=is_new)
            existing = self.describe(self.names)

        exit_result(
            self.module,
            changed,
            before,
            after,
            group_ids=ids,
            security_groups=dict(
                (name, snake(dict(group, Tags=group_tags(group)))) for name, group in existing.items()
            ),
            groups=shown,
        )


def validate(module):
    names = [spec["name"] for spec in module.params["groups"]]
    problems = []
    if not names:
        problems.append("groups: list at least one group")
    for name in sorted(set(name for name in names if names.count(name) > 1)):
        problems.append("groups: the name %s is listed %d times" % (name, names.count(name)))
    for index, spec in enumerate(module.params["groups"]):
        problems.extend(validate_rules(spec, "groups[%d] (%s) " % (index, spec["name"]), names))
    if problems:
        module.fail_json(msg="; ".join(problems))


def main():
    rule = rule_options(group_name=True)
    group = dict(
        name=dict(type="str", required=True),
        description=dict(type="str", required=True),
        tags=dict(type="dict", default={}),
        rules=dict(type="list", elements="dict", default=[], options=rule),
        rules_egress=dict(type="list", elements="dict", default=[], options=rule),
    )
    argument_spec = dict(
        vpc_id=dict(type="str", required=True),
        groups=dict(type="list", elements="dict", required=True, options=group),
        purge_tags=dict(type="bool", default=True),
        purge_rules=dict(type="bool", default=True),
        purge_rules_egress=dict(type="bool", default=True),
    )
    module = AnsibleAWSModule(argument_spec=argument_spec, supports_check_mode=True)
    validate(module)
    SecurityGroups(module).run()


if __name__ == "__main__":
    main()

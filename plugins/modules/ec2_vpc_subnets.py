#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: finproc.dr contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: ec2_vpc_subnets
version_added: 0.1.0
short_description: Manage all the subnets of a VPC in one run
description:
  - Creates the listed subnets of a VPC that are missing and brings the public IP mapping and the
    tags of every listed subnet in line, in one module run (amazon.aws.ec2_vpc_subnet manages one
    subnet per run).
  - A listed subnet is identified by its CIDR block. A subnet that exists with that CIDR block in
    another availability zone cannot be moved; the module then fails before changing anything.
  - The subnets of the VPC are read with one paginated DescribeSubnets call; when everything
    matches, that is the only call made.
  - Subnets of the VPC that are not listed are left alone; their IDs are returned in
    RV(unlisted_subnet_ids).
  - The subnets are never deleted (the state is always present).
author:
  - finproc.dr maintainers (@finproc)
options:
  vpc_id:
    description: The ID of the VPC.
    type: str
    required: true
  subnets:
    description:
      - The subnets of the VPC this module manages. Their CIDR blocks must be distinct and must not
        overlap.
    type: list
    elements: dict
    required: true
    suboptions:
      cidr:
        description: The IPv4 CIDR block of the subnet, from C(/16) to C(/28), such as C(10.0.1.0/24).
        type: str
        required: true
      az:
        description: The availability zone (its name, such as C(us-east-2a)) of the subnet.
        type: str
        required: true
      tags:
        description:
          - The tags of the subnet. See I(purge_tags) for the tags of the subnet that are not listed.
        type: dict
        default: {}
      map_public:
        description: Whether instances launched in the subnet get a public IPv4 address.
        type: bool
        default: false
  purge_tags:
    description:
      - Whether the tags of a listed subnet that are not in its I(tags) are removed.
      - Tags whose key starts with C(aws:) are never removed.
    type: bool
    default: true
  wait:
    description:
      - Whether to wait, after creating subnets, until they are C(available).
    type: bool
    default: true
  wait_timeout:
    description:
      - How long to wait, in seconds, for created subnets to become C(available).
    type: int
    default: 300
extends_documentation_fragment:
  - finproc.dr.aws
notes:
  - Check mode is supported; a subnet that would be created is returned without an ID.
  - Diff mode reports the availability zone, public IP mapping and tags of every listed subnet,
    by CIDR block, before and after; a subnet that does not exist is absent.
"""

EXAMPLES = r"""
- name: A public and a private subnet in each of two availability zones
  finproc.dr.ec2_vpc_subnets:
    vpc_id: vpc-0123456789abcdef0
    subnets:
      - cidr: 10.0.0.0/24
        az: us-east-2a
        tags:
          Name: finproc-dev-public-us-east-2a
      - cidr: 10.0.1.0/24
        az: us-east-2b
        tags:
          Name: finproc-dev-public-us-east-2b
      - cidr: 10.0.10.0/24
        az: us-east-2a
        tags:
          Name: finproc-dev-private-us-east-2a
      - cidr: 10.0.11.0/24
        az: us-east-2b
        tags:
          Name: finproc-dev-private-us-east-2b
  register: network_subnets

- name: The IDs, in the order of the list
  ansible.builtin.debug:
    msg: "{{ network_subnets.subnets | map(attribute='id') | list }}"
"""

RETURN = r"""
subnets:
  description:
    - The listed subnets, in the order of I(subnets), as EC2 describes them (DescribeSubnets) after
      the run, the keys in snake case, tags as a dictionary.
    - In check mode, the state the run would produce; a subnet that would be created has only the
      keys C(cidr_block), C(availability_zone), C(vpc_id), C(tags) and C(map_public_ip_on_launch).
    - Any other key EC2 returns is returned too, in snake case.
  returned: always
  type: list
  elements: dict
  contains:
    id:
      description: The subnet's ID (the same as RV(subnets[].subnet_id)).
      type: str
      sample: subnet-0123456789abcdef0
    subnet_id:
      description: The subnet's ID.
      type: str
      sample: subnet-0123456789abcdef0
    subnet_arn:
      description: The subnet's ARN.
      type: str
      sample: arn:aws:ec2:us-east-2:123456789012:subnet/subnet-0123456789abcdef0
    cidr_block:
      description: The IPv4 CIDR block.
      type: str
      sample: 10.0.1.0/24
    availability_zone:
      description: The availability zone.
      type: str
      sample: us-east-2a
    availability_zone_id:
      description: The ID of the availability zone.
      type: str
      sample: use2-az1
    vpc_id:
      description: The VPC.
      type: str
      sample: vpc-0123456789abcdef0
    state:
      description: C(pending) or C(available).
      type: str
      sample: available
    map_public_ip_on_launch:
      description: Whether instances launched in the subnet get a public IPv4 address.
      type: bool
      sample: false
    default_for_az:
      description: Whether this is the default subnet of its availability zone.
      type: bool
      sample: false
    available_ip_address_count:
      description: The number of unused private IPv4 addresses.
      type: int
      sample: 251
    assign_ipv6_address_on_creation:
      description: Whether network interfaces created in the subnet get an IPv6 address.
      type: bool
      sample: false
    ipv6_cidr_block_association_set:
      description: The IPv6 CIDR blocks of the subnet.
      type: list
      elements: dict
      sample: []
    owner_id:
      description: The account that owns the subnet.
      type: str
      sample: "123456789012"
    tags:
      description: The subnet's tags.
      type: dict
      sample: {"Name": "finproc-dev-public-us-east-2a"}
unlisted_subnet_ids:
  description: The IDs of the subnets of the VPC that are not listed (left alone), sorted.
  returned: always
  type: list
  elements: str
  sample: ["subnet-0fedcba9876543210"]
"""

import ipaddress

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.amazon.aws.plugins.module_utils.tagging import ansible_dict_to_boto3_tag_list
from ansible_collections.amazon.aws.plugins.module_utils.tagging import boto3_tag_list_to_ansible_dict
from ansible_collections.finproc.dr.plugins.module_utils.client import aws_client
from ansible_collections.finproc.dr.plugins.module_utils.client import paginate_or_fail
from ansible_collections.finproc.dr.plugins.module_utils.errors import aws_call
from ansible_collections.finproc.dr.plugins.module_utils.idempotency import create_once
from ansible_collections.finproc.dr.plugins.module_utils.resource import resource_list_argument_spec
from ansible_collections.finproc.dr.plugins.module_utils.results import snake
from ansible_collections.finproc.dr.plugins.module_utils.tagging import apply_tags
from ansible_collections.finproc.dr.plugins.module_utils.tagging import plan_tags
from ansible_collections.finproc.dr.plugins.module_utils.waiters import wait_for

# botocore's SubnetAvailable waiter, which also retries while the new subnets' IDs are not known yet
# (client.JUST_CREATED_CODES["ec2"]: EC2's eventual consistency).
SUBNET_AVAILABLE = {
    "version": 2,
    "waiters": {
        "SubnetAvailable": {
            "operation": "DescribeSubnets",
            "delay": 5,
            "maxAttempts": 60,
            "acceptors": [
                {"matcher": "pathAll", "argument": "Subnets[].State", "expected": "available", "state": "success"},
                {"matcher": "error", "expected": "InvalidSubnetID.NotFound", "state": "retry"},
            ],
        }
    },
}
WAIT_DELAY = 5


def validate(module):
    """The listed subnets with their networks, or fail before any AWS call."""
    wanted = []
    for index, entry in enumerate(module.params["subnets"]):
        try:
            network = ipaddress.ip_network(entry["cidr"], strict=True)
        except ValueError as e:
            module.fail_json(msg="subnets[%d]: cidr %r is not a valid CIDR block: %s" % (index, entry["cidr"], e))
        if network.version != 4:
            module.fail_json(msg="subnets[%d]: cidr %r is not an IPv4 CIDR block" % (index, entry["cidr"]))
        if not 16 <= network.prefixlen <= 28:
            module.fail_json(
                msg="subnets[%d]: cidr %r: the netmask of a subnet must be from /16 to /28" % (index, entry["cidr"])
            )
        for other_index, other in enumerate(wanted):
            if other["network"] == network:
                module.fail_json(
                    msg="subnets[%d]: cidr %s is listed twice (also subnets[%d])" % (index, entry["cidr"], other_index)
                )
            if other["network"].overlaps(network):
                module.fail_json(
                    msg="subnets[%d]: cidr %s overlaps subnets[%d] (%s)"
                    % (index, entry["cidr"], other_index, other["cidr"])
                )
        wanted.append(
            {
                "cidr": str(network),
                "network": network,
                "az": entry["az"],
                "tags": entry["tags"] or {},
                "map_public": entry["map_public"],
            }
        )
    return wanted


def check_placement(module, wanted, existing):
    """Fail before any change when a listed subnet cannot be made as asked."""
    by_cidr = {subnet["CidrBlock"]: subnet for subnet in existing}
    for spec in wanted:
        current = by_cidr.get(spec["cidr"])
        if current is not None:
            if current["AvailabilityZone"] != spec["az"]:
                module.fail_json(
                    msg="Subnet %s (%s) exists in availability zone %s, not in the requested %s; a subnet cannot move"
                    % (spec["cidr"], current["SubnetId"], current["AvailabilityZone"], spec["az"])
                )
            continue
        for subnet in existing:
            if ipaddress.ip_network(subnet["CidrBlock"]).overlaps(spec["network"]):
                module.fail_json(
                    msg="Subnet %s cannot be created: it overlaps the existing subnet %s (%s) of %s"
                    % (spec["cidr"], subnet["SubnetId"], subnet["CidrBlock"], module.params["vpc_id"])
                )
    return by_cidr


def subnet_label(subnet_id, cidr):
    return "%s (%s)" % (subnet_id, cidr)


def create_subnet(module, client, spec):
    request = {"VpcId": module.params["vpc_id"], "CidrBlock": spec["cidr"], "AvailabilityZone": spec["az"]}
    if spec["tags"]:
        request["TagSpecifications"] = [
            {"ResourceType": "subnet", "Tags": ansible_dict_to_boto3_tag_list(spec["tags"])}
        ]
    vpc_id, cidr = module.params["vpc_id"], spec["cidr"]

    def find():
        # A VPC holds one subnet of a CIDR block: CreateSubnet refuses an overlapping one
        # (InvalidSubnet.Conflict, "Error codes for the Amazon EC2 API",
        # https://docs.aws.amazon.com/AWSEC2/latest/APIReference/errors-overview.html).
        filters = [{"Name": "vpc-id", "Values": [vpc_id]}, {"Name": "cidr-block", "Values": [cidr]}]
        found = paginate_or_fail(module, client, "describe_subnets", "Subnets", cidr, Filters=filters)
        return found[0] if found else None

    # CreateSubnet takes no client token: sent once, and after a lost answer looked up by VPC and CIDR.
    label = "%s in %s" % (cidr, spec["az"])
    return create_once(
        module,
        client,
        "create_subnet",
        request,
        find,
        lambda answer: answer["Subnet"],
        label,
        exists_codes=["InvalidSubnet.Conflict"],
    )


def wait_available(module, client, subnets):
    """Wait until the subnets (just created) are available."""
    timeout = module.params["wait_timeout"]
    names = ", ".join(subnet_label(subnet["SubnetId"], subnet["CidrBlock"]) for subnet in subnets)
    wait_for(
        module,
        client,
        "SubnetAvailable",
        timeout,
        delay=WAIT_DELAY if timeout >= WAIT_DELAY else 1,
        what="subnets %s to become available" % names,
        model=SUBNET_AVAILABLE,
        SubnetIds=[subnet["SubnetId"] for subnet in subnets],
    )


def sync_subnet(module, client, subnet, spec, created):
    """Bring the public IP mapping and the tags of a subnet in line.

    Returns (changed, the subnet as it will be): in check mode nothing is written.
    `client` retries InvalidSubnetID.NotFound when the subnet was just `created`, whose tags are
    those of its creation.
    """
    changed = False
    predicted = dict(subnet)
    subnet_id = subnet.get("SubnetId")
    label = subnet_label(subnet_id, spec["cidr"])
    if bool(subnet.get("MapPublicIpOnLaunch", False)) != spec["map_public"]:
        changed = True
        predicted["MapPublicIpOnLaunch"] = spec["map_public"]
        if not module.check_mode:
            aws_call(
                module,
                client.modify_subnet_attribute,
                "ModifySubnetAttribute",
                label,
                SubnetId=subnet_id,
                MapPublicIpOnLaunch={"Value": spec["map_public"]},
            )
    if created:
        return changed, predicted
    current = boto3_tag_list_to_ansible_dict(subnet.get("Tags", []))
    plan = plan_tags(current, spec["tags"], purge=module.params["purge_tags"])
    if plan.changed:
        changed = True
        predicted["Tags"] = ansible_dict_to_boto3_tag_list(plan.after)
        apply_tags(module, client, "ec2", subnet_id, plan, what="subnet " + label)
    return changed, predicted


def normalise(subnet):
    result = snake(subnet)
    result["tags"] = boto3_tag_list_to_ansible_dict(subnet.get("Tags", []))
    if "subnet_id" in result:
        result["id"] = result["subnet_id"]
    return result


def diff_view(subnets):
    """The settings this module manages, by CIDR block, for --diff."""
    return {
        subnet["CidrBlock"]: {
            "az": subnet["AvailabilityZone"],
            "map_public": bool(subnet.get("MapPublicIpOnLaunch", False)),
            "tags": boto3_tag_list_to_ansible_dict(subnet.get("Tags", [])),
        }
        for subnet in subnets
    }


def main():
    subnet_options = dict(
        cidr=dict(type="str", required=True),
        az=dict(type="str", required=True),
        map_public=dict(type="bool", default=False),
    )
    argument_spec = resource_list_argument_spec("vpc_id", "subnets", subnet_options, wait=True, wait_timeout=300)
    module = AnsibleAWSModule(argument_spec=argument_spec, supports_check_mode=True)
    params = module.params
    wanted = validate(module)

    client = aws_client(module, "ec2")
    # Retrying InvalidSubnetID.NotFound (and EC2's other just-created codes): for the calls about
    # just created subnets only; for a subnet that existed, NotFound means it is gone.
    fresh = aws_client(module, "ec2", just_created=True)
    existing = paginate_or_fail(
        module,
        client,
        "describe_subnets",
        "Subnets",
        params["vpc_id"],
        Filters=[{"Name": "vpc-id", "Values": [params["vpc_id"]]}],
    )
    by_cidr = check_placement(module, wanted, existing)
    listed = {spec["cidr"] for spec in wanted}
    unlisted_ids = sorted(subnet["SubnetId"] for subnet in existing if subnet["CidrBlock"] not in listed)
    before = diff_view(by_cidr[spec["cidr"]] for spec in wanted if spec["cidr"] in by_cidr)

    # Create the missing subnets first, then wait for all of them at once.
    created = {}
    for spec in wanted:
        if spec["cidr"] in by_cidr:
            continue
        if module.check_mode:
            created[spec["cidr"]] = {
                "CidrBlock": spec["cidr"],
                "AvailabilityZone": spec["az"],
                "VpcId": params["vpc_id"],
                "Tags": ansible_dict_to_boto3_tag_list(spec["tags"]),
                "MapPublicIpOnLaunch": False,
            }
        else:
            created[spec["cidr"]] = create_subnet(module, client, spec)
    pending = [subnet for subnet in created.values() if subnet.get("State") not in (None, "available")]
    if pending and params["wait"] and not module.check_mode:
        wait_available(module, client, pending)

    changed = bool(created)
    subnets, to_describe = [], []
    for spec in wanted:
        is_new = spec["cidr"] in created
        subnet = created[spec["cidr"]] if is_new else by_cidr[spec["cidr"]]
        changed_now, subnet = sync_subnet(module, fresh if is_new else client, subnet, spec, is_new)
        changed |= changed_now
        if (is_new or changed_now) and not module.check_mode:
            to_describe.append(subnet["SubnetId"])
        subnets.append(subnet)

    if to_describe:
        described = paginate_or_fail(
            module, fresh, "describe_subnets", "Subnets", ", ".join(to_describe), SubnetIds=to_describe
        )
        described = {subnet["SubnetId"]: subnet for subnet in described}
        subnets = [described.get(subnet.get("SubnetId"), subnet) for subnet in subnets]

    result = dict(
        changed=changed,
        subnets=[normalise(subnet) for subnet in subnets],
        unlisted_subnet_ids=unlisted_ids,
    )
    if module._diff:
        result["diff"] = {"before": before, "after": diff_view(subnets)}
    module.exit_json(**result)


if __name__ == "__main__":
    main()

#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: finproc.dr contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: ec2_vpc_nat_gateways
version_added: 0.1.0
short_description: Find, create and tag the NAT gateways of a VPC and their Elastic IPs in one run
description:
  - Ensures that each listed public subnet of a VPC has a NAT gateway, and that the gateway and its
    Elastic IP carry the given tags.
  - One module run replaces amazon.aws.ec2_vpc_nat_gateway_info, amazon.aws.ec2_vpc_nat_gateway per
    missing gateway and amazon.aws.ec2_tag per gateway and Elastic IP.
  - The NAT gateways of the VPC (state C(pending) or C(available)) are read with one
    DescribeNatGateways call, their Elastic IPs with one DescribeAddresses call; tags are compared
    with the tags those calls return, so a second run with the same options makes no other call.
  - A missing gateway gets a new Elastic IP (tagged at allocation) and is created with the tags;
    when the creation fails, the Elastic IP just allocated is released.
  - When several gateways are on one listed subnet, the oldest is used and a warning names the
    others. Gateways of the VPC on subnets that are not listed are left alone.
  - The module never deletes a NAT gateway; the state is always present.
author:
  - finproc.dr maintainers (@finproc)
options:
  vpc_id:
    description: The ID of the VPC.
    type: str
    required: true
  gateways:
    description:
      - The NAT gateways, one per public subnet. The result lists them in this order.
      - Each I(subnet_id) may appear only once.
    type: list
    elements: dict
    required: true
    suboptions:
      subnet_id:
        description: The public subnet of the NAT gateway.
        type: str
        required: true
      tags:
        description:
          - The tags of the NAT gateway and of its Elastic IP.
          - With I(purge_tags=true), an empty dictionary removes every tag (except C(aws:) tags).
        type: dict
        default: {}
  purge_tags:
    description:
      - Remove the tags of the gateway and of its Elastic IP that are not in I(tags).
      - Tags whose key starts with C(aws:) are never removed.
    type: bool
    default: true
  wait:
    description:
      - Wait until every listed gateway is C(available).
      - A gateway that becomes C(failed) fails the module with its failure code and message.
    type: bool
    default: false
  wait_timeout:
    description: How many seconds to wait at most when I(wait=true).
    type: int
    default: 600
extends_documentation_fragment:
  - finproc.dr.aws
notes:
  - In check mode nothing is created or tagged. A gateway that would be created is returned with
    I(subnet_id), I(vpc_id), I(tags), I(address_tags) and I(state=pending) only; an existing gateway
    is returned as read, with the tags it would get. Check mode does not wait.
"""

EXAMPLES = r"""
- name: The gateways, one per public subnet (every call passes the same list, else purge_tags removes a missing tag)
  ansible.builtin.set_fact:
    nat_gateways:
      - subnet_id: subnet-0123456789abcdef0
        tags:
          Name: finproc-dev-nat-us-east-2a
          App: finproc
      - subnet_id: subnet-0123456789abcdef1
        tags:
          Name: finproc-dev-nat-us-east-2b
          App: finproc

- name: One NAT gateway per availability zone, started without waiting
  finproc.dr.ec2_vpc_nat_gateways:
    vpc_id: vpc-0123456789abcdef0
    gateways: "{{ nat_gateways }}"
  register: nat

- name: The same, waiting until both are available
  finproc.dr.ec2_vpc_nat_gateways:
    vpc_id: vpc-0123456789abcdef0
    gateways: "{{ nat_gateways }}"
    wait: true
    wait_timeout: 900
"""

RETURN = r"""
nat_gateways:
  description:
    - The NAT gateways in the order of I(gateways), as EC2 describes them (DescribeNatGateways),
      tags as a dictionary; the same shape as the result of amazon.aws.ec2_vpc_nat_gateway_info.
  returned: always
  type: list
  elements: dict
  contains:
    nat_gateway_id:
      description: The ID of the NAT gateway. Absent in check mode for a gateway that would be created.
      returned: when the gateway exists
      type: str
      sample: nat-0123456789abcdef0
    subnet_id:
      description: The subnet of the NAT gateway.
      returned: always
      type: str
      sample: subnet-0123456789abcdef0
    vpc_id:
      description: The VPC of the NAT gateway.
      returned: always
      type: str
      sample: vpc-0123456789abcdef0
    state:
      description: The state of the NAT gateway (C(pending) just after creation).
      returned: always
      type: str
      sample: available
    connectivity_type:
      description: C(public) for a gateway with an Elastic IP.
      returned: when the gateway exists
      type: str
      sample: public
    create_time:
      description: When the NAT gateway was created.
      returned: when the gateway exists
      type: str
      sample: "2026-11-01T10:00:00+00:00"
    failure_code:
      description: Why the gateway failed.
      returned: when the gateway failed
      type: str
      sample: Gateway.NotAttached
    failure_message:
      description: The message of the failure.
      returned: when the gateway failed
      type: str
    nat_gateway_addresses:
      description: The addresses of the NAT gateway.
      returned: when the gateway exists
      type: list
      elements: dict
      contains:
        allocation_id:
          description: The allocation ID of the Elastic IP.
          type: str
          sample: eipalloc-0123456789abcdef0
        association_id:
          description: The association ID of the Elastic IP.
          type: str
          sample: eipassoc-0123456789abcdef0
        is_primary:
          description: Whether this is the primary address.
          type: bool
          sample: true
        network_interface_id:
          description: The network interface of the gateway.
          type: str
          sample: eni-0123456789abcdef0
        private_ip:
          description: The private address of the gateway.
          type: str
          sample: 10.0.0.10
        public_ip:
          description: The Elastic IP.
          type: str
          sample: 203.0.113.10
        status:
          description: The status of the address.
          type: str
          sample: succeeded
    tags:
      description: The tags of the NAT gateway.
      returned: always
      type: dict
      sample:
        Name: finproc-dev-nat-us-east-2a
    address_tags:
      description:
        - The tags of the gateway's Elastic IP (the primary address), as read or as written.
        - Empty for a gateway without an Elastic IP.
      returned: always
      type: dict
      sample:
        Name: finproc-dev-nat-us-east-2a
"""

import uuid

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.amazon.aws.plugins.module_utils.tagging import ansible_dict_to_boto3_tag_list
from ansible_collections.amazon.aws.plugins.module_utils.tagging import boto3_tag_list_to_ansible_dict
from ansible_collections.finproc.dr.plugins.module_utils.client import aws_client
from ansible_collections.finproc.dr.plugins.module_utils.client import paginate_or_fail
from ansible_collections.finproc.dr.plugins.module_utils.errors import AWS_ERRORS
from ansible_collections.finproc.dr.plugins.module_utils.errors import aws_call
from ansible_collections.finproc.dr.plugins.module_utils.errors import fail_aws
from ansible_collections.finproc.dr.plugins.module_utils.idempotency import client_token
from ansible_collections.finproc.dr.plugins.module_utils.idempotency import create_once
from ansible_collections.finproc.dr.plugins.module_utils.resource import resource_list_argument_spec
from ansible_collections.finproc.dr.plugins.module_utils.results import snake
from ansible_collections.finproc.dr.plugins.module_utils.tagging import apply_tags
from ansible_collections.finproc.dr.plugins.module_utils.tagging import plan_tags
from ansible_collections.finproc.dr.plugins.module_utils.waiters import wait_for

LIVE_STATES = ["pending", "available"]
# Seconds between two DescribeNatGateways calls of the waiter.
WAIT_DELAY = 5
BROKEN_STATES = ("failed", "deleting", "deleted")


def check_gateways(module):
    """Validation before any AWS call."""
    if module.params["wait_timeout"] < 1:
        module.fail_json(msg="wait_timeout must be at least 1 second")
    seen, repeated = set(), []
    for gateway in module.params["gateways"]:
        subnet_id = gateway["subnet_id"]
        if subnet_id in seen and subnet_id not in repeated:
            repeated.append(subnet_id)
        seen.add(subnet_id)
    if repeated:
        module.fail_json(msg="Each subnet_id may appear only once in gateways; repeated: %s" % ", ".join(repeated))


def oldest_first(gateway):
    created = gateway.get("CreateTime")
    return (created is None, created or 0, gateway["NatGatewayId"])


def pick_gateways(module, found):
    """The gateway of each listed subnet (the oldest when there are several), by subnet ID."""
    by_subnet = {}
    for gateway in found:
        by_subnet.setdefault(gateway.get("SubnetId"), []).append(gateway)
    picked = {}
    for wanted in module.params["gateways"]:
        candidates = sorted(by_subnet.get(wanted["subnet_id"], []), key=oldest_first)
        if not candidates:
            continue
        picked[wanted["subnet_id"]] = candidates[0]
        if len(candidates) > 1:
            module.warn(
                "%d NAT gateways are on subnet %s (%s); using the oldest, %s"
                % (
                    len(candidates),
                    wanted["subnet_id"],
                    ", ".join(g["NatGatewayId"] for g in candidates),
                    candidates[0]["NatGatewayId"],
                )
            )
    return picked


def allocation_id(gateway):
    """The allocation ID of the gateway's (primary) Elastic IP, or None."""
    addresses = [a for a in (gateway or {}).get("NatGatewayAddresses", []) if a.get("AllocationId")]
    for address in addresses:
        if address.get("IsPrimary"):
            return address["AllocationId"]
    return addresses[0]["AllocationId"] if addresses else None


def describe_address_tags(module, client, allocation_ids):
    """The tags of the Elastic IPs, by allocation ID (one DescribeAddresses call)."""
    if not allocation_ids:
        return {}
    addresses = aws_call(
        module, client.describe_addresses, "DescribeAddresses", ", ".join(allocation_ids), AllocationIds=allocation_ids
    )["Addresses"]
    return {a["AllocationId"]: boto3_tag_list_to_ansible_dict(a.get("Tags", [])) for a in addresses}


def tag_specifications(resource_type, tags):
    if not tags:
        return {}
    return {"TagSpecifications": [{"ResourceType": resource_type, "Tags": ansible_dict_to_boto3_tag_list(tags)}]}


def free_address(module, client, tags, taken):
    """The allocation ID of an Elastic IP of the VPC domain with all of `tags` and no association (the
    address of a gateway whose creation was cut off: a lost AllocateAddress answer, or a run stopped
    before CreateNatGateway), not in `taken`; None when there is none, or no tags to know it by."""
    if not tags:
        return None
    filters = [{"Name": "domain", "Values": ["vpc"]}]
    filters += [{"Name": "tag:%s" % key, "Values": [value]} for key, value in sorted(tags.items())]
    addresses = aws_call(module, client.describe_addresses, "DescribeAddresses", "free Elastic IPs", Filters=filters)
    free = sorted(
        a["AllocationId"]
        for a in addresses["Addresses"]
        if not a.get("AssociationId") and not a.get("NetworkInterfaceId") and a["AllocationId"] not in taken
    )
    return free[0] if free else None


def allocate(module, client, subnet_id, tags, taken):
    """(allocation ID, reused) of the gateway's Elastic IP: a free one with its tags (reused), else a new one.

    AllocateAddress takes no client token: it goes through create_once (sent once; after a lost answer
    the free address with these tags is adopted instead of a second one allocated).
    """
    found = free_address(module, client, tags, taken)
    if found:
        return found, True
    return create_once(
        module,
        client,
        "allocate_address",
        dict(Domain="vpc", **tag_specifications("elastic-ip", tags)),
        lambda: free_address(module, client, tags, taken),
        lambda answer: answer["AllocationId"],
        "the NAT gateway of %s" % subnet_id,
    ), False


def create_gateway(module, client, subnet_id, tags, taken=()):
    """Allocate an Elastic IP and create the NAT gateway on it; returns (gateway, address tags).

    CreateNatGateway's ClientToken comes from the VPC, the subnet and the address: a retry after a lost
    answer returns the same gateway ("Ensuring idempotency in Amazon EC2 API requests",
    https://docs.aws.amazon.com/ec2/latest/devguide/ec2-api-idempotency.html), and a rebuilt stack (new
    VPC, subnet and address IDs) never sends the token of a deleted gateway. A reused free address may
    have been a deleted gateway's (a gateway deleted behind our back leaves its address): its token
    also takes a value of this run, or EC2 could answer with the deleted gateway. The token only has to
    hold for the retries of this call: a later run finds the gateway by its subnet before any create.
    """
    vpc_id = module.params["vpc_id"]
    allocation, reused = allocate(module, client, subnet_id, tags, taken)
    token = client_token(
        "CreateNatGateway", vpc_id, subnet_id, allocation, *(["reused", uuid.uuid4().hex] if reused else [])
    )
    try:
        gateway = client.create_nat_gateway(
            aws_retry=True,
            SubnetId=subnet_id,
            AllocationId=allocation,
            ClientToken=token,
            **tag_specifications("natgateway", tags),
        )["NatGateway"]
    except AWS_ERRORS as e:
        released = release_address(client, allocation)
        fail_aws(
            module,
            e,
            "CreateNatGateway",
            "%s; Elastic IP %s %s"
            % (subnet_id, allocation, "released" if released is True else "NOT released: %s" % released),
        )
    return gateway, dict(tags)


def release_address(client, allocation):
    """True, or why the address could not be released."""
    try:
        client.release_address(aws_retry=True, AllocationId=allocation)
    except AWS_ERRORS as e:
        return str(e)
    return True


def sync_tags(module, client, resource_id, current, wanted):
    """Bring the tags of `resource_id` from `current` to `wanted`; returns (changed, tags after)."""
    plan = plan_tags(current, wanted, purge=module.params["purge_tags"])
    return plan.changed, apply_tags(module, client, "ec2", resource_id, plan)


def wait_available(module, client, gateway_ids):
    def states(last):
        return dict((g["NatGatewayId"], g.get("State")) for g in last.get("NatGateways", []))

    def summary(last):
        seen = states(last)
        pending = [i for i in gateway_ids if seen.get(i) != "available"]
        return ", ".join("%s (%s)" % (i, seen.get(i, "not found")) for i in pending)

    def failure(last):
        gateways = last.get("NatGateways", [])
        broken = [g for g in gateways if g.get("State") in BROKEN_STATES]
        if not broken:
            return None
        return dict(
            msg="NAT gateway(s) did not become available: %s"
            % "; ".join(
                "%s on %s is %s: %s: %s"
                % (g["NatGatewayId"], g.get("SubnetId"), g.get("State"), g.get("FailureCode"), g.get("FailureMessage"))
                for g in broken
            ),
            nat_gateways=[normalise(g) for g in gateways],
        )

    # botocore's NatGatewayAvailable: available, or a failure state (failed, deleting, deleted), and
    # NatGatewayNotFound retried (a gateway just created).
    wait_for(
        module,
        client,
        "nat_gateway_available",
        module.params["wait_timeout"],
        delay=WAIT_DELAY,
        what="NAT gateway(s) %s to become available" % ", ".join(gateway_ids),
        summary=summary,
        failure=failure,
        NatGatewayIds=gateway_ids,
    )


def normalise(gateway):
    result = snake(gateway)
    result["tags"] = boto3_tag_list_to_ansible_dict(gateway.get("Tags", []))
    for key in ("create_time", "delete_time"):
        if hasattr(result.get(key), "isoformat"):
            result[key] = result[key].isoformat()
    return result


def diff_entry(gateway_id, tags, address_tags):
    entry = {"tags": dict(tags), "address_tags": dict(address_tags)}
    if gateway_id:
        entry["nat_gateway_id"] = gateway_id
    return entry


def main():
    argument_spec = resource_list_argument_spec(
        "vpc_id", "gateways", dict(subnet_id=dict(type="str", required=True)), wait=False, wait_timeout=600
    )
    module = AnsibleAWSModule(argument_spec=argument_spec, supports_check_mode=True)
    params = module.params
    check_gateways(module)
    if not params["gateways"]:
        module.exit_json(changed=False, nat_gateways=[])

    client = aws_client(module, "ec2")
    filters = [{"Name": "vpc-id", "Values": [params["vpc_id"]]}, {"Name": "state", "Values": LIVE_STATES}]
    found = paginate_or_fail(module, client, "describe_nat_gateways", "NatGateways", params["vpc_id"], Filter=filters)
    current = pick_gateways(module, found)
    address_tags = describe_address_tags(module, client, [a for a in (allocation_id(g) for g in current.values()) if a])

    changed = False
    before, after = {}, {}
    # Per subnet: [gateway as described or created, tags, address tags] as they are or will be.
    state = {}
    for wanted in params["gateways"]:
        subnet_id = wanted["subnet_id"]
        # As AWS stores them (ansible_dict_to_boto3_tag_list writes every value as a string).
        tags = {key: str(value) for key, value in (wanted["tags"] or {}).items()}
        gateway = current.get(subnet_id)
        if gateway is None:
            changed = True
            if module.check_mode:
                state[subnet_id] = [None, dict(tags), dict(tags)]
            else:
                taken = [allocation_id(entry[0]) for entry in state.values() if entry[0]]
                created, eip_tags = create_gateway(module, client, subnet_id, tags, taken)
                state[subnet_id] = [created, dict(tags), eip_tags]
            after[subnet_id] = diff_entry((state[subnet_id][0] or {}).get("NatGatewayId"), tags, tags)
            continue

        gateway_id = gateway["NatGatewayId"]
        allocation = allocation_id(gateway)
        gateway_tags = boto3_tag_list_to_ansible_dict(gateway.get("Tags", []))
        eip_tags = address_tags.get(allocation, {}) if allocation else {}
        before[subnet_id] = diff_entry(gateway_id, gateway_tags, eip_tags)
        retagged, gateway_tags = sync_tags(module, client, gateway_id, gateway_tags, tags)
        changed |= retagged
        if allocation:
            retagged, eip_tags = sync_tags(module, client, allocation, eip_tags, tags)
            changed |= retagged
        state[subnet_id] = [gateway, gateway_tags, eip_tags]
        after[subnet_id] = diff_entry(gateway_id, gateway_tags, eip_tags)

    waited = False
    if params["wait"] and not module.check_mode:
        pending = [g["NatGatewayId"] for g, _t, _a in state.values() if g and g.get("State") != "available"]
        if pending:
            wait_available(module, client, pending)
            waited = True

    if (changed or waited) and not module.check_mode:
        ids = [g["NatGatewayId"] for g, _t, _a in state.values()]
        # A gateway just created may not be visible yet (eventual consistency): NatGatewayNotFound
        # is retried too (client.JUST_CREATED_CODES["ec2"]).
        fresh = aws_client(module, "ec2", just_created=True)
        described = dict(
            (g["NatGatewayId"], g)
            for g in paginate_or_fail(
                module, fresh, "describe_nat_gateways", "NatGateways", ", ".join(ids), NatGatewayIds=ids
            )
        )
        for entry in state.values():
            if entry[0]["NatGatewayId"] in described:
                entry[0] = described[entry[0]["NatGatewayId"]]
                entry[1] = boto3_tag_list_to_ansible_dict(entry[0].get("Tags", []))

    result = []
    for wanted in params["gateways"]:
        gateway, tags, eip_tags = state[wanted["subnet_id"]]
        if gateway is None:
            entry = {"subnet_id": wanted["subnet_id"], "vpc_id": params["vpc_id"], "state": "pending"}
        else:
            entry = normalise(gateway)
        entry["tags"] = tags
        entry["address_tags"] = eip_tags
        result.append(entry)
    if module._diff:
        module.exit_json(changed=changed, nat_gateways=result, diff={"before": before, "after": after})
    module.exit_json(changed=changed, nat_gateways=result)


if __name__ == "__main__":
    main()

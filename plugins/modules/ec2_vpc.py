#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: finproc.dr contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: ec2_vpc
version_added: 0.1.0
short_description: Manage a VPC and its internet gateway, created exactly once
description:
  - Creates or updates a VPC (its CIDR block, tenancy, DNS support and DNS hostnames, tags) and,
    with I(internet_gateway), its internet gateway (tags, attached to the VPC), in one module run;
    or deletes both.
  - The VPC is identified by its C(Name) tag (I(name)), its primary IPv4 CIDR block (I(cidr_block))
    and the tags of I(tags) named by I(identity_tags). More than one VPC matching is an error that
    names them; nothing is changed then.
  - The internet gateway is the one attached to the VPC; when none is, a gateway that is attached
    to no VPC and carries the C(Name) tag I(internet_gateway.name) and the identity tags (one that
    a run created but could not attach) is attached instead of creating another.
  - EC2 makes neither CreateVpc nor CreateInternetGateway idempotent (they take no client token),
    and a create whose answer was lost (a 5xx answer, a timeout, a closed connection) may have been
    carried out. amazon.aws.ec2_vpc_net and amazon.aws.ec2_vpc_igw then send the create again
    (botocore's and AWSRetry's automatic retries) and make a second VPC or gateway. This module sends
    each create once, tags the resource in the create itself (TagSpecifications), and after an
    unknown outcome looks the resource up by its identity before any new attempt.
author:
  - finproc.dr maintainers (@finproc)
options:
  name:
    description:
      - The C(Name) tag of the VPC; part of its identity.
      - Required unless I(vpc_id) is given.
    type: str
  cidr_block:
    description:
      - The primary IPv4 CIDR block of the VPC, such as C(10.0.0.0/16) (C(/16) to C(/28)); part of
        its identity. A VPC's primary CIDR block cannot change.
      - Required unless I(vpc_id) is given.
    type: str
  vpc_id:
    description:
      - The ID of the VPC to delete, instead of finding it by I(name), I(cidr_block) and the identity
        tags. Only with I(state=absent).
    type: str
  identity_tags:
    description:
      - The keys of I(tags) whose values, with the C(Name) tag and the CIDR block, identify the VPC
        (and, with the gateway's C(Name) tag, an internet gateway that is attached to no VPC).
      - A key that is not in I(tags) is ignored.
    type: list
    elements: str
    default: ["finproc:stack"]
  tenancy:
    description:
      - The tenancy of instances launched in the VPC. Set at creation; a VPC whose tenancy differs
        is an error (this module does not change it).
    type: str
    choices: [default, dedicated]
    default: default
  dns_support:
    description: Whether the Amazon DNS server of the VPC resolves names (C(enableDnsSupport)).
    type: bool
    default: true
  dns_hostnames:
    description:
      - Whether instances with a public IP address get public DNS hostnames (C(enableDnsHostnames)).
        Needs I(dns_support).
    type: bool
    default: true
  internet_gateway:
    description:
      - The internet gateway of the VPC. Not given, the gateway of an existing VPC is left as it is
        and a new VPC gets none.
      - With I(state=absent), the gateway attached to the VPC is detached and deleted whether this
        option is given or not; given, a gateway with its C(Name) tag and the identity tags that is
        attached to no VPC is deleted too.
    type: dict
    suboptions:
      name:
        description: The C(Name) tag of the gateway.
        type: str
        required: true
      tags:
        description:
          - The tags of the gateway (its C(Name) tag added); I(purge_tags) applies to them.
        type: dict
        default: {}
  state:
    description:
      - C(present) creates the VPC (and its gateway) or brings them in line with the options.
      - C(absent) detaches and deletes the internet gateway, then deletes the VPC. Whatever else the
        VPC holds (subnets, route tables, security groups, endpoints, NAT gateways) must be deleted
        first, or EC2 refuses (DependencyViolation).
    type: str
    choices: [present, absent]
    default: present
  tags:
    description:
      - The tags of the VPC; its C(Name) tag is I(name). A VPC that is created gets them with
        CreateVpc.
      - Not given, only the C(Name) tag is managed and no tag is removed.
    type: dict
    aliases: [resource_tags]
  purge_tags:
    description:
      - Whether tags not in I(tags) (of the VPC) and not in I(internet_gateway.tags) (of the gateway)
        are removed, except C(aws:) tags. Ignored for the VPC when I(tags) is not given.
    type: bool
    default: true
extends_documentation_fragment:
  - finproc.dr.aws
notes:
  - Check mode is supported; a VPC that would be created is reported with the options it would get
    and RV(vpc) is empty.
  - Diff mode reports what differs (the CIDR block, tenancy, DNS settings, tags, and the gateway's
    tags and attachment), before and after.
  - IPv6, secondary CIDR blocks and DHCP option sets are not managed.
"""

EXAMPLES = r"""
- name: The VPC of the stack and its internet gateway
  finproc.dr.ec2_vpc:
    name: finproc-prod-vpc
    cidr_block: 10.0.0.0/16
    tags:
      finproc:stack: finproc-prod
      Environment: prod
    internet_gateway:
      name: finproc-prod-igw
      tags:
        finproc:stack: finproc-prod
        Environment: prod
  register: vpc

- name: Its ID and the gateway's, for the subnets and route tables
  ansible.builtin.debug:
    msg: "{{ vpc.vpc.id }} {{ vpc.internet_gateway.gateway_id }}"

- name: Delete the gateway and the VPC (after what the VPC holds)
  finproc.dr.ec2_vpc:
    vpc_id: "{{ vpc.vpc.id }}"
    state: absent
"""

RETURN = r"""
vpc:
  description:
    - The VPC after the run as EC2 describes it (DescribeVpcs), keys in snake case, tags as a
      dictionary, with its DNS settings; empty when there is none (deleted, or to be created in check
      mode).
    - Any other key EC2 returns is returned too, in snake case.
  returned: always
  type: dict
  contains:
    id:
      description: The VPC's ID (also returned as C(vpc_id), as EC2 names it).
      type: str
      sample: vpc-0123456789abcdef0
    name:
      description: The VPC's C(Name) tag.
      type: str
      sample: finproc-prod-vpc
    cidr_block:
      description: The primary IPv4 CIDR block.
      type: str
      sample: 10.0.0.0/16
    cidr_block_association_set:
      description: The IPv4 CIDR blocks of the VPC.
      type: list
      elements: dict
    dhcp_options_id:
      description: The DHCP option set of the VPC.
      type: str
      sample: dopt-0123456789abcdef0
    instance_tenancy:
      description: C(default) or C(dedicated).
      type: str
      sample: default
    is_default:
      description: Whether this is the account's default VPC of the region.
      type: bool
      sample: false
    owner_id:
      description: The account that owns the VPC.
      type: str
      sample: "123456789012"
    state:
      description: C(pending) or C(available).
      type: str
      sample: available
    enable_dns_support:
      description: Whether the Amazon DNS server of the VPC resolves names.
      type: bool
      sample: true
    enable_dns_hostnames:
      description: Whether instances with a public IP address get public DNS hostnames.
      type: bool
      sample: true
    tags:
      description: The VPC's tags.
      type: dict
      sample: {"Name": "finproc-prod-vpc", "finproc:stack": "finproc-prod"}
internet_gateway:
  description:
    - The internet gateway of the VPC after the run as EC2 describes it (DescribeInternetGateways),
      keys in snake case (C(owner_id), ...), tags as a dictionary.
    - RV(internet_gateway.gateway_id) is null when there is no gateway (none managed, deleted, or
      to be created in check mode).
  returned: always
  type: dict
  contains:
    gateway_id:
      description: The gateway's ID (also returned as C(internet_gateway_id), as EC2 names it).
      type: str
      sample: igw-0123456789abcdef0
    vpc_id:
      description: The VPC the gateway is attached to; null when it is attached to none.
      type: str
      sample: vpc-0123456789abcdef0
    attachments:
      description: The gateway's attachments (C(vpc_id), C(state)).
      type: list
      elements: dict
    tags:
      description: The gateway's tags, C(Name) among them.
      type: dict
      sample: {"Name": "finproc-prod-igw"}
"""

import ipaddress

from ansible_collections.amazon.aws.plugins.module_utils.tagging import ansible_dict_to_boto3_tag_list
from ansible_collections.amazon.aws.plugins.module_utils.tagging import boto3_tag_list_to_ansible_dict
from ansible_collections.finproc.dr.plugins.module_utils.client import aws_client
from ansible_collections.finproc.dr.plugins.module_utils.client import paginate_or_fail
from ansible_collections.finproc.dr.plugins.module_utils.idempotency import create_once
from ansible_collections.finproc.dr.plugins.module_utils.resource import AWSResource
from ansible_collections.finproc.dr.plugins.module_utils.resource import resource_argument_spec
from ansible_collections.finproc.dr.plugins.module_utils.resource import run_module
from ansible_collections.finproc.dr.plugins.module_utils.results import changes
from ansible_collections.finproc.dr.plugins.module_utils.results import snake
from ansible_collections.finproc.dr.plugins.module_utils.tagging import apply_tags
from ansible_collections.finproc.dr.plugins.module_utils.tagging import plan_tags
from ansible_collections.finproc.dr.plugins.module_utils.waiters import poll_until

# How long a new VPC may stay "pending" (seconds), and the pause between reads.
AVAILABLE_TIMEOUT = 300
AVAILABLE_DELAY = 2
# ModifyVpcAttribute takes one attribute a call ("ModifyVpcAttribute - Amazon Elastic Compute Cloud",
# https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_ModifyVpcAttribute.html: "You can only
# modify one attribute at a time"); DNS hostnames need DNS support, so support is written first.
# (option, ModifyVpcAttribute/DescribeVpcAttribute member, DescribeVpcAttribute's Attribute)
DNS_ATTRIBUTES = (
    ("dns_support", "EnableDnsSupport", "enableDnsSupport"),
    ("dns_hostnames", "EnableDnsHostnames", "enableDnsHostnames"),
)


def tag_filters(tags):
    return [{"Name": "tag:%s" % key, "Values": [value]} for key, value in sorted(tags.items())]


def detached(gateway):
    """Attached to no VPC: no attachment, or only detached ones (DescribeInternetGateways)."""
    return all(attachment.get("State") == "detached" for attachment in gateway.get("Attachments", []))


def tag_specifications(resource_type, tags):
    return [{"ResourceType": resource_type, "Tags": ansible_dict_to_boto3_tag_list(dict(sorted(tags.items())))}]


def gateway_result(gateway):
    if gateway is None:
        return {"gateway_id": None}
    result = snake(gateway)
    result["tags"] = boto3_tag_list_to_ansible_dict(gateway.get("Tags", []))
    result["gateway_id"] = gateway["InternetGatewayId"]
    attached = [a["VpcId"] for a in gateway.get("Attachments", []) if a.get("State") != "detached"]
    result["vpc_id"] = attached[0] if attached else None
    return result


def vpc_result(state):
    if state is None:
        return {}
    vpc = state["vpc"]
    result = snake(vpc)
    result["tags"] = boto3_tag_list_to_ansible_dict(vpc.get("Tags", []))
    result["id"] = vpc["VpcId"]
    if "Name" in result["tags"]:
        result["name"] = result["tags"]["Name"]
    result["enable_dns_support"] = state["dns_support"]
    result["enable_dns_hostnames"] = state["dns_hostnames"]
    return result


class Vpc(AWSResource):
    kind = "VPC"

    def __init__(self, module):
        super(Vpc, self).__init__(module)
        self.client = aws_client(module, "ec2")
        self.vpc_id = self.params["vpc_id"]
        wanted = self.params["tags"]
        self.tags = dict(wanted or {}, Name=self.name) if self.name else None
        self.purge = self.params["purge_tags"] and wanted is not None
        self.gateway_spec = self.params["internet_gateway"]
        if self.gateway_spec:
            self.gateway_tags = dict(self.gateway_spec["tags"] or {}, Name=self.gateway_spec["name"])

    def identity(self):
        if self.name and self.params["cidr_block"]:
            return "%s (%s)" % (self.name, self.params["cidr_block"])
        return self.vpc_id

    def identity_tags(self, tags):
        """The identity tags among `tags` (those named by identity_tags), as they are wanted."""
        return dict((key, tags[key]) for key in self.params["identity_tags"] if key in tags)

    def became(self, vpc_id):
        """From now on the VPC is `vpc_id`, just created: EC2's just-created codes are tried again
        (client.JUST_CREATED_CODES: InvalidVpcID.NotFound, InvalidInternetGatewayID.NotFound)."""
        self.vpc_id = vpc_id
        self.client = aws_client(self.module, "ec2", just_created=True)

    # -- reads -----------------------------------------------------------------------------------
    def find_vpc(self):
        """The VPC with this identity (by ID once known), or None; more than one fails."""
        if self.vpc_id:
            # Given (state=absent), or just created (its ID may not be known yet everywhere: the
            # just-created client tries InvalidVpcID.NotFound again before it counts as gone).
            reply = self.call(
                self.client.describe_vpcs, "DescribeVpcs", ignore=("InvalidVpcID.NotFound",), VpcIds=[self.vpc_id]
            )
            found = (reply or {}).get("Vpcs", [])
        else:
            # "cidr - The primary IPv4 CIDR block of the VPC. The CIDR block you specify must exactly
            # match the VPC's CIDR block" (DescribeVpcs, Filters,
            # https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_DescribeVpcs.html)
            filters = [{"Name": "cidr", "Values": [self.params["cidr_block"]]}]
            filters += tag_filters(dict(self.identity_tags(self.tags), Name=self.name))
            found = paginate_or_fail(self.module, self.client, "describe_vpcs", "Vpcs", self.label(), Filters=filters)
        if len(found) > 1:
            self.module.fail_json(
                msg="%s: %d VPCs match (%s); delete the extra ones or tell them apart by their tags: nothing was "
                "changed" % (self.label(), len(found), ", ".join(sorted(v["VpcId"] for v in found)))
            )
        return found[0] if found else None

    def find_gateways(self, vpc_id):
        """The gateways of the VPC: the attached one, else those of this identity attached to none."""
        attached = paginate_or_fail(
            self.module,
            self.client,
            "describe_internet_gateways",
            "InternetGateways",
            self.label(),
            Filters=[{"Name": "attachment.vpc-id", "Values": [vpc_id]}],
        )
        attached = [g for g in attached if not detached(g)]
        if attached or not self.gateway_spec:
            return attached
        return self.find_detached_gateways()

    def find_detached_gateways(self):
        filters = tag_filters(dict(self.identity_tags(self.gateway_tags), Name=self.gateway_spec["name"]))
        found = paginate_or_fail(
            self.module, self.client, "describe_internet_gateways", "InternetGateways", self.label(), Filters=filters
        )
        return [gateway for gateway in found if detached(gateway)]

    def find_detached_gateway(self):
        """The gateway of this identity attached to no VPC (one a run created and did not attach), or
        None; more than one fails."""
        found = self.find_detached_gateways()
        if len(found) > 1:
            self.fail_gateways(found)
        return found[0] if found else None

    def fail_gateways(self, found):
        self.module.fail_json(
            msg="%s: %d internet gateways named %s are attached to no VPC (%s); delete the extra ones: nothing was "
            "changed"
            % (
                self.label(),
                len(found),
                self.gateway_spec["name"],
                ", ".join(sorted(g["InternetGatewayId"] for g in found)),
            )
        )

    def read_attribute(self, vpc_id, attribute, key):
        reply = self.call(
            self.client.describe_vpc_attribute,
            "DescribeVpcAttribute (%s)" % attribute,
            Attribute=attribute,
            VpcId=vpc_id,
        )
        return bool(reply[key]["Value"])

    def read(self):
        vpc = self.find_vpc()
        if vpc is None:
            return None
        self.vpc_id = vpc["VpcId"]
        state = {"vpc": vpc}
        for option, key, attribute in DNS_ATTRIBUTES:
            state[option] = self.read_attribute(vpc["VpcId"], attribute, key)
        gateways = self.find_gateways(vpc["VpcId"])
        if len(gateways) > 1 and self.params["state"] == "present":
            self.fail_gateways(gateways)
        state["gateway"] = gateways[0] if gateways else None
        state["gateways"] = gateways
        return state

    # -- comparisons -----------------------------------------------------------------------------
    def settings(self, state):
        vpc = state["vpc"]
        settings = {
            "cidr_block": vpc["CidrBlock"],
            "tenancy": vpc.get("InstanceTenancy"),
            "dns_support": state["dns_support"],
            "dns_hostnames": state["dns_hostnames"],
            "tags": boto3_tag_list_to_ansible_dict(vpc.get("Tags", [])),
        }
        gateway = state["gateway"]
        if gateway is not None:
            settings["internet_gateway"] = {
                "tags": boto3_tag_list_to_ansible_dict(gateway.get("Tags", [])),
                "attached": not detached(gateway),
            }
        return settings

    def desired(self):
        settings = {
            "cidr_block": self.params["cidr_block"],
            "tenancy": self.params["tenancy"],
            "dns_support": self.params["dns_support"],
            "dns_hostnames": self.params["dns_hostnames"],
            "tags": plan_tags({}, self.tags).after,
        }
        if self.gateway_spec:
            settings["internet_gateway"] = {"tags": plan_tags({}, self.gateway_tags).after, "attached": True}
        return settings

    def plan(self, state):
        vpc = state["vpc"]
        if vpc.get("InstanceTenancy") != self.params["tenancy"]:
            self.module.fail_json(
                msg="%s (%s) has instance tenancy %s, not %s; this module does not change a VPC's tenancy: nothing "
                "was changed" % (self.label(), vpc["VpcId"], vpc.get("InstanceTenancy"), self.params["tenancy"])
            )
        after = self.settings(state)
        writes = {"dns": [], "tags": None, "create_gateway": False, "attach_gateway": None, "gateway_tags": None}
        for option, key, _attribute in DNS_ATTRIBUTES:
            if state[option] != self.params[option]:
                writes["dns"].append((key, self.params[option]))
                after[option] = self.params[option]
        tags = plan_tags(after["tags"], self.tags, purge=self.purge)
        if tags.changed:
            writes["tags"] = tags
            after["tags"] = tags.after
        if self.gateway_spec:
            gateway = state["gateway"]
            if gateway is None:
                writes["create_gateway"] = True
                after["internet_gateway"] = {"tags": plan_tags({}, self.gateway_tags).after, "attached": True}
            else:
                if detached(gateway):
                    writes["attach_gateway"] = gateway["InternetGatewayId"]
                current = boto3_tag_list_to_ansible_dict(gateway.get("Tags", []))
                gateway_tags = plan_tags(current, self.gateway_tags, purge=self.params["purge_tags"])
                if gateway_tags.changed:
                    writes["gateway_tags"] = (gateway["InternetGatewayId"], gateway_tags)
                after["internet_gateway"] = {"tags": gateway_tags.after, "attached": True}
        return writes, after

    # -- writes ----------------------------------------------------------------------------------
    def create(self):
        request = {
            "CidrBlock": self.params["cidr_block"],
            "InstanceTenancy": self.params["tenancy"],
            "TagSpecifications": tag_specifications("vpc", self.tags),
        }
        vpc = create_once(
            self.module, self.client, "create_vpc", request, self.find_vpc, lambda answer: answer["Vpc"], self.label()
        )
        self.became(vpc["VpcId"])
        if vpc.get("State") != "available":
            poll_until(
                self.module,
                self.find_vpc,
                lambda found: found is not None and found.get("State") == "available",
                AVAILABLE_TIMEOUT,
                delay=AVAILABLE_DELAY,
                what="%s (%s) to become available" % (self.label(), self.vpc_id),
            )
        state = self.read()
        writes, _after = self.plan(state)
        self.apply(state, writes)

    def apply(self, state, writes):
        vpc_id = state["vpc"]["VpcId"]
        for key, value in writes["dns"]:
            self.call(
                self.client.modify_vpc_attribute,
                "ModifyVpcAttribute (%s)" % key,
                VpcId=vpc_id,
                **{key: {"Value": value}},
            )
        if writes["tags"]:
            apply_tags(self.module, self.client, "ec2", vpc_id, writes["tags"], what=self.label())
        if writes["gateway_tags"]:
            gateway_id, plan = writes["gateway_tags"]
            apply_tags(self.module, self.client, "ec2", gateway_id, plan, what="internet gateway %s" % gateway_id)
        gateway_id = writes["attach_gateway"]
        if writes["create_gateway"]:
            gateway = create_once(
                self.module,
                self.client,
                "create_internet_gateway",
                {"TagSpecifications": tag_specifications("internet-gateway", self.gateway_tags)},
                self.find_detached_gateway,
                lambda answer: answer["InternetGateway"],
                "internet gateway %s of %s" % (self.gateway_spec["name"], self.label()),
            )
            gateway_id = gateway["InternetGatewayId"]
            self.client = aws_client(self.module, "ec2", just_created=True)
        if gateway_id:
            # Sent again after a lost answer (AWSRetry), the attachment made by the first call answers
            # Resource.AlreadyAssociated ("Error codes for the Amazon EC2 API",
            # https://docs.aws.amazon.com/AWSEC2/latest/APIReference/errors-overview.html: "The specified
            # resource is already in use"): the gateway is attached; it was found attached to no VPC.
            self.call(
                self.client.attach_internet_gateway,
                "AttachInternetGateway (%s)" % gateway_id,
                ignore=("Resource.AlreadyAssociated",),
                InternetGatewayId=gateway_id,
                VpcId=vpc_id,
            )

    def delete(self, state):
        vpc_id = state["vpc"]["VpcId"]
        for gateway in state["gateways"]:
            gateway_id = gateway["InternetGatewayId"]
            if not detached(gateway):
                self.call(
                    self.client.detach_internet_gateway,
                    "DetachInternetGateway (%s)" % gateway_id,
                    ignore=("Gateway.NotAttached", "InvalidInternetGatewayID.NotFound"),
                    InternetGatewayId=gateway_id,
                    VpcId=vpc_id,
                )
            self.call(
                self.client.delete_internet_gateway,
                "DeleteInternetGateway (%s)" % gateway_id,
                ignore=("InvalidInternetGatewayID.NotFound",),
                InternetGatewayId=gateway_id,
            )
        self.call(self.client.delete_vpc, "DeleteVpc (%s)" % vpc_id, ignore=("InvalidVpcID.NotFound",), VpcId=vpc_id)

    def result(self, changed, state, before, after):
        return dict(
            changed=changed,
            vpc=vpc_result(state),
            internet_gateway=gateway_result(state["gateway"] if state else None),
            diff=changes(before, after),
        )


def validate(module):
    params = module.params
    if params["vpc_id"]:
        if params["state"] != "absent":
            module.fail_json(msg="vpc_id names a VPC to delete: it is only taken with state=absent")
        return
    missing = [option for option in ("name", "cidr_block") if not params[option]]
    if missing:
        module.fail_json(msg="%s required (or vpc_id, with state=absent)" % " and ".join(missing))
    try:
        network = ipaddress.ip_network(params["cidr_block"], strict=True)
    except ValueError as e:
        module.fail_json(msg="cidr_block %r is not a valid CIDR block: %s" % (params["cidr_block"], e))
    # "The allowed block size is between a /16 netmask (65,536 IP addresses) and /28 netmask (16 IP
    # addresses)" (VPC CIDR blocks, Amazon VPC User Guide,
    # https://docs.aws.amazon.com/vpc/latest/userguide/vpc-cidr-blocks.html)
    if network.version != 4 or not 16 <= network.prefixlen <= 28:
        module.fail_json(msg="cidr_block %s: a VPC's IPv4 CIDR block is from /16 to /28" % params["cidr_block"])
    if params["dns_hostnames"] and not params["dns_support"]:
        module.fail_json(msg="dns_hostnames needs dns_support (EC2 refuses DNS hostnames without DNS support)")


def main():
    gateway = dict(name=dict(type="str", required=True), tags=dict(type="dict", default={}))
    argument_spec = resource_argument_spec(
        name=dict(type="str"),
        cidr_block=dict(type="str"),
        vpc_id=dict(type="str"),
        identity_tags=dict(type="list", elements="str", default=["finproc:stack"]),
        tenancy=dict(type="str", default="default", choices=["default", "dedicated"]),
        dns_support=dict(type="bool", default=True),
        dns_hostnames=dict(type="bool", default=True),
        internet_gateway=dict(type="dict", options=gateway),
    )
    run_module(argument_spec, Vpc, validate)


if __name__ == "__main__":
    main()

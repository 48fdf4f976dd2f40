#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: finproc.dr contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: ec2_vpc_route_tables
version_added: 0.1.0
short_description: Manage all the route tables of a VPC in one run, each created exactly once
description:
  - Creates the listed route tables of a VPC that are missing and brings the routes, the subnet
    associations and the tags of every listed table in line, in one module run
    (amazon.aws.ec2_vpc_route_table manages one table per run); or deletes the tables.
  - A listed table is identified by its VPC, its C(Name) tag (I(route_tables[].name)) and the tags
    of I(tags) named by I(identity_tags). More than one table matching is an error that names them;
    nothing is changed then.
  - CreateRouteTable is sent with a client token derived from that identity, so a create whose
    answer was lost (a 5xx answer, a timeout, a closed connection) and sent again returns the table
    the first call made; after such an answer the table is also looked up by its identity before
    any new attempt. amazon.aws.ec2_vpc_route_table sends no token of its own, and AWSRetry's
    re-call gets a new one from botocore, which makes a second table with the same tags.
  - CreateRoute, ReplaceRoute, DeleteRoute, AssociateRouteTable, ReplaceRouteTableAssociation and
    DisassociateRouteTable are not idempotent (sent again after a lost answer, EC2 refuses them with
    RouteAlreadyExists, Resource.AlreadyAssociated, InvalidAssociationID.NotFound, ...). Each is sent
    once; after a lost answer or such a refusal the table is read again and the call counts as done
    when its effect is there.
  - The local route of the VPC and routes that were not made by CreateRoute (propagated routes) are
    never changed. The main route table of the VPC is never deleted.
author:
  - finproc.dr maintainers (@finproc)
options:
  vpc_id:
    description: The ID of the VPC that holds the route tables (and the listed subnets).
    type: str
    required: true
  route_tables:
    description:
      - The route tables of the VPC this module manages. Their names must be distinct.
      - With I(state=absent), the tables of these names are deleted too (with those found by
        I(identity_tags)).
    type: list
    elements: dict
    default: []
    suboptions:
      name:
        description: The table's C(Name) tag.
        type: str
        required: true
      tags:
        description: The table's own tags, added to I(tags) (they win over them).
        type: dict
        default: {}
      subnets:
        description:
          - The IDs of the subnets associated with the table. A subnet associated with another table
            is moved to this one (ReplaceRouteTableAssociation).
          - See I(purge_subnets) for the subnets associated with the table that are not listed.
        type: list
        elements: str
        default: []
      routes:
        description:
          - The routes of the table, besides the local route of the VPC.
          - See I(purge_routes) for the routes of the table that are not listed.
        type: list
        elements: dict
        default: []
        suboptions:
          dest:
            description: The IPv4 destination CIDR block, such as C(0.0.0.0/0).
            type: str
            required: true
          gateway_id:
            description: The internet gateway the route goes to.
            type: str
          nat_gateway_id:
            description: The NAT gateway the route goes to.
            type: str
  tags:
    description:
      - The tags of every table (the C(Name) tag of each is its I(route_tables[].name)).
    type: dict
    default: {}
    aliases: [resource_tags]
  identity_tags:
    description:
      - The keys of I(tags) whose values identify the tables, with the VPC and the C(Name) tag.
      - With I(state=absent), every table of the VPC carrying these tags is deleted.
    type: list
    elements: str
    default: []
  purge_tags:
    description:
      - Whether the tags of a listed table that are not asked for are removed. Tags whose key starts
        with C(aws:) are never removed.
    type: bool
    default: true
  purge_routes:
    description: Whether the routes of a listed table that are not listed are deleted.
    type: bool
    default: true
  purge_subnets:
    description: Whether the subnets associated with a listed table that are not listed are disassociated.
    type: bool
    default: true
  state:
    description:
      - C(present) creates or updates the listed tables.
      - C(absent) disassociates and deletes the tables found by I(identity_tags) and the listed ones.
    type: str
    default: present
    choices: [present, absent]
extends_documentation_fragment:
  - finproc.dr.aws
notes:
  - Check mode is supported; a table that would be created is returned without an ID.
  - Diff mode shows, by table name, only the routes, subnets or tags that differ (a table that is
    created or deleted shows whole).
"""

EXAMPLES = r"""
- name: A public table and a private table per availability zone
  finproc.dr.ec2_vpc_route_tables:
    vpc_id: vpc-0123456789abcdef0
    tags:
      finproc:stack: finproc-dev
    identity_tags: ["finproc:stack"]
    route_tables:
      - name: finproc-dev-public
        tags: {finproc:tier: public}
        subnets: [subnet-0123456789abcdef0, subnet-0123456789abcdef1]
        routes:
          - dest: 0.0.0.0/0
            gateway_id: igw-0123456789abcdef0
      - name: finproc-dev-private-us-east-2a
        tags: {finproc:tier: private}
        subnets: [subnet-0123456789abcdef2]
        routes:
          - dest: 0.0.0.0/0
            nat_gateway_id: nat-0123456789abcdef0
  register: network_route_tables

- name: Remove every table of the stack
  finproc.dr.ec2_vpc_route_tables:
    vpc_id: vpc-0123456789abcdef0
    tags:
      finproc:stack: finproc-dev
    identity_tags: ["finproc:stack"]
    state: absent
"""

RETURN = r"""
route_tables:
  description:
    - The listed tables, in the order of I(route_tables), as EC2 describes them (DescribeRouteTables)
      after the run, the keys in snake case, tags as a dictionary; with I(state=absent), the tables
      deleted (as they were).
    - In check mode, the state the run would produce; a table that would be created has no C(id).
  returned: always
  type: list
  elements: dict
  contains:
    id:
      description: The table's ID (the same as C(route_table_id)).
      type: str
      sample: rtb-0123456789abcdef0
    route_table_id:
      description: The table's ID.
      type: str
      sample: rtb-0123456789abcdef0
    vpc_id:
      description: The VPC.
      type: str
      sample: vpc-0123456789abcdef0
    routes:
      description: The routes, the local one included, in snake case.
      type: list
      elements: dict
      sample: [{"destination_cidr_block": "0.0.0.0/0", "gateway_id": "igw-0123456789abcdef0", "state": "active"}]
    associations:
      description: The associations, in snake case.
      type: list
      elements: dict
      sample: [{"route_table_association_id": "rtbassoc-0123456789abcdef0", "subnet_id": "subnet-0123456789abcdef0"}]
    tags:
      description: The table's tags.
      type: dict
      sample: {"Name": "finproc-dev-public"}
route_table_ids_by_name:
  description: The ID of each listed table by its name (none for a table that would be created in check mode).
  returned: always
  type: dict
  sample: {"finproc-dev-public": "rtb-0123456789abcdef0"}
"""

import functools

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.amazon.aws.plugins.module_utils.tagging import ansible_dict_to_boto3_tag_list
from ansible_collections.amazon.aws.plugins.module_utils.tagging import boto3_tag_list_to_ansible_dict
from ansible_collections.finproc.dr.plugins.module_utils.client import paginate_or_fail
from ansible_collections.finproc.dr.plugins.module_utils.errors import aws_call
from ansible_collections.finproc.dr.plugins.module_utils.idempotency import run_token
from ansible_collections.finproc.dr.plugins.module_utils.idempotency import create_once
from ansible_collections.finproc.dr.plugins.module_utils.resource import VpcResources
from ansible_collections.finproc.dr.plugins.module_utils.resource import identity_tag_options
from ansible_collections.finproc.dr.plugins.module_utils.resource import identity_tag_problems
from ansible_collections.finproc.dr.plugins.module_utils.results import changes
from ansible_collections.finproc.dr.plugins.module_utils.results import snake
from ansible_collections.finproc.dr.plugins.module_utils.tagging import apply_tags
from ansible_collections.finproc.dr.plugins.module_utils.tagging import plan_tags

# The targets a listed route may go to: option -> the key of the Route (and of CreateRoute).
TARGETS = (("gateway_id", "GatewayId"), ("nat_gateway_id", "NatGatewayId"))
# Only routes made by CreateRoute are ours to change: "CreateRouteTable - The route was automatically
# created when the route table was created" (the local route), "EnableVgwRoutePropagation - The route was
# propagated by route propagation" ("Route - Amazon EC2", Origin,
# https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_Route.html).
OWN_ORIGIN = "CreateRoute"
# "associating | associated | disassociating | disassociated | failed" ("RouteTableAssociationState -
# Amazon EC2", https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_RouteTableAssociationState.html).
LIVE_ASSOCIATIONS = ("associating", "associated")


def validate(module):
    problems, names = [], set()
    for index, table in enumerate(module.params["route_tables"]):
        where = "route_tables[%d]" % index
        if table["name"] in names:
            problems.append("%s: the name %s is listed twice" % (where, table["name"]))
        names.add(table["name"])
        dests = set()
        for number, route in enumerate(table["routes"]):
            if sum(1 for option, _key in TARGETS if route.get(option)) != 1:
                problems.append("%s.routes[%d]: give exactly one of gateway_id and nat_gateway_id" % (where, number))
            if route["dest"] in dests:
                problems.append("%s.routes[%d]: the destination %s is listed twice" % (where, number, route["dest"]))
            dests.add(route["dest"])
    problems.extend(identity_tag_problems(module.params))
    if module.params["state"] == "absent" and not (module.params["identity_tags"] or module.params["route_tables"]):
        problems.append("state=absent needs identity_tags or route_tables: which tables to delete")
    if problems:
        module.fail_json(msg="; ".join(problems))


def tags_of(table):
    return boto3_tag_list_to_ansible_dict(table.get("Tags") or [])


def main_table(table):
    return any(association.get("Main") for association in table.get("Associations") or [])


def route_target(route):
    for _option, key in TARGETS:
        if route.get(key):
            return route[key]
    return route.get("GatewayId") or route.get("NetworkInterfaceId") or route.get("InstanceId") or "other"


def own_routes(table):
    """{destination: target} of the routes the module manages (made by CreateRoute, IPv4)."""
    return dict(
        (route["DestinationCidrBlock"], route_target(route))
        for route in table.get("Routes") or []
        if route.get("Origin", OWN_ORIGIN) == OWN_ORIGIN
        and route.get("DestinationCidrBlock")
        and route.get("GatewayId") != "local"
    )


def wanted_routes(spec):
    """{destination: (target key, target)} of a listed table."""
    return dict(
        (route["dest"], [(key, route[option]) for option, key in TARGETS if route.get(option)][0])
        for route in spec["routes"]
    )


def subnet_associations(table):
    """{subnet ID: association ID} of the table."""
    return dict(
        (association["SubnetId"], association.get("RouteTableAssociationId"))
        for association in table.get("Associations") or []
        if association.get("SubnetId")
        and (association.get("AssociationState") or {}).get("State", "associated") in LIVE_ASSOCIATIONS
    )


def route_is(table, dest, target):
    """Whether the table's route to `dest` goes to `target` (None: the table has no route to `dest`)."""
    return own_routes(table).get(dest) == target


def associated(table, subnet, wanted):
    """Whether `subnet` is associated with the table (`wanted` true) or not (false)."""
    return (subnet in subnet_associations(table)) == wanted


def view(table):
    """What --diff shows of a table."""
    return {
        "routes": own_routes(table),
        "subnets": sorted(subnet_associations(table)),
        "tags": tags_of(table),
    }


def normalise(table):
    result = snake(table)
    result["tags"] = tags_of(table)
    if "route_table_id" in result:
        result["id"] = result["route_table_id"]
    return result


class RouteTables(VpcResources):
    def __init__(self, module):
        super(RouteTables, self).__init__(module)
        self.associations = {}
        self.created = set()  # the IDs of the tables this run created

    # -- reading ------------------------------------------------------------------------------------
    def describe(self, client=None, what=None, **filters):
        wanted = [{"Name": "vpc-id", "Values": [self.vpc_id]}]
        wanted += [{"Name": name, "Values": [value]} for name, value in sorted(filters.items())]
        return paginate_or_fail(
            self.module,
            client or self.client,
            "describe_route_tables",
            "RouteTables",
            what or "route tables of %s" % self.vpc_id,
            Filters=wanted,
        )

    def identity_filters(self, name=None):
        filters = dict(("tag:%s" % key, value) for key, value in self.identity.items())
        if name is not None:
            filters["tag:Name"] = name
        return filters

    def matching(self, tables, name):
        found = [
            table for table in tables if tags_of(table).get("Name") == name and self.carries_identity(tags_of(table))
        ]
        if len(found) > 1:
            self.module.fail_json(
                msg="%d route tables of %s carry the Name %s and the identity tags %s: %s; remove all but one"
                % (len(found), self.vpc_id, name, self.identity, ", ".join(t["RouteTableId"] for t in found))
            )
        return found[0] if found else None

    def find(self, name):
        """The table of `name` as EC2 lists it now (None: none)."""
        return self.matching(self.describe(what="route table %s" % name, **self.identity_filters(name)), name)

    def reread(self, table_id):
        found = paginate_or_fail(
            self.module, self.fresh, "describe_route_tables", "RouteTables", table_id, RouteTableIds=[table_id]
        )
        return found[0] if found else {}

    # -- writing ------------------------------------------------------------------------------------
    def desired_tags(self, spec):
        return super(RouteTables, self).desired_tags(spec, Name=spec["name"])

    def create(self, spec):
        """CreateRouteTable with a deterministic ClientToken: "If you repeat a request with the same client
        token and the same parameters, the original result is returned" ("Ensuring idempotency in Amazon EC2
        API requests", https://docs.aws.amazon.com/ec2/latest/devguide/ec2-api-idempotency.html; ClientToken:
        "Unique, case-sensitive identifier that you provide to ensure the idempotency of the request",
        "CreateRouteTable - Amazon EC2", https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_CreateRouteTable.html).
        The token is made of the table's identity and tags (its parameters: the same token with other ones is
        refused, IdempotentParameterMismatch); and after a lost answer the table is looked up by identity
        before any new attempt (create_once)."""
        tags = self.desired_tags(spec)
        params = {
            "VpcId": self.vpc_id,
            "TagSpecifications": [
                {
                    "ResourceType": "route-table",
                    "Tags": sorted(ansible_dict_to_boto3_tag_list(tags), key=lambda tag: tag["Key"]),
                }
            ],
            "ClientToken": run_token("CreateRouteTable", self.module.region, self.vpc_id, spec["name"], tags),
        }
        return create_once(
            self.module,
            self.client,
            "create_route_table",
            params,
            lambda: self.find(spec["name"]),
            lambda answer: answer["RouteTable"],
            "route table %s of %s" % (spec["name"], self.vpc_id),
        )

    def once(self, table_id, operation, params, done, what, refused):
        """A call that EC2 does not make idempotent, sent once (create_once); after a lost answer, or the
        refusal `refused` that a call carried out before answers ("Error codes for the Amazon EC2 API",
        https://docs.aws.amazon.com/AWSEC2/latest/APIReference/errors-overview.html: RouteAlreadyExists,
        InvalidRoute.NotFound, Resource.AlreadyAssociated, InvalidAssociationID.NotFound), table `table_id`
        is read again and the call counts as done when ``done(table)`` is true."""

        def check():
            return True if done(self.reread(table_id)) else None

        # A table this run created may not be known yet to the call (eventual consistency, client.py's
        # JUST_CREATED_CODES): InvalidRouteTableID.NotFound then says that EC2 did nothing, to be sent again.
        create_once(
            self.module,
            self.client,
            operation,
            params,
            check,
            lambda answer: True,
            what,
            exists_codes=refused,
            refused_codes=["InvalidRouteTableID.NotFound"] if table_id in self.created else (),
        )

    def sync_routes(self, table, spec):
        current = own_routes(table)
        table_id = table["RouteTableId"]
        what = "route table %s (%s)" % (spec["name"], table_id)
        for dest, (key, target) in sorted(wanted_routes(spec).items()):
            if current.get(dest) == target:
                continue
            params = {"RouteTableId": table_id, "DestinationCidrBlock": dest, key: target}
            has_it = functools.partial(route_is, dest=dest, target=target)
            if dest in current:
                self.once(table_id, "replace_route", params, has_it, what, ["InvalidRoute.NotFound"])
            else:
                self.once(table_id, "create_route", params, has_it, what, ["RouteAlreadyExists"])
        if self.params["purge_routes"]:
            for dest in sorted(set(current) - set(wanted_routes(spec))):
                params = {"RouteTableId": table_id, "DestinationCidrBlock": dest}
                gone = functools.partial(route_is, dest=dest, target=None)
                self.once(table_id, "delete_route", params, gone, what, ["InvalidRoute.NotFound"])

    def sync_subnets(self, table, spec):
        """Associate the listed subnets (moved from another table in one call), then disassociate the others.

        ``self.associations`` ({subnet: (table ID, association ID)} of the whole VPC) follows the writes of
        this run: a subnet a table listed earlier took over is not disassociated from its old table."""
        table_id = table["RouteTableId"]
        what = "route table %s (%s)" % (spec["name"], table_id)
        current = subnet_associations(table)
        for subnet in spec["subnets"]:
            if subnet in current:
                continue
            here = functools.partial(associated, subnet=subnet, wanted=True)
            elsewhere = self.associations.get(subnet)
            if elsewhere is not None and elsewhere[0] != table_id:
                # ReplaceRouteTableAssociation: the subnet never falls back on the main table in between
                # ("ReplaceRouteTableAssociation - Amazon EC2", "Changes the route table associated with a
                # given subnet [...] in a VPC. After the operation completes, the subnet [...] uses the routes
                # in the new route table",
                # https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_ReplaceRouteTableAssociation.html).
                params = {"AssociationId": elsewhere[1], "RouteTableId": table_id}
                self.once(
                    table_id, "replace_route_table_association", params, here, what, ["InvalidAssociationID.NotFound"]
                )
            else:
                params = {"RouteTableId": table_id, "SubnetId": subnet}
                self.once(table_id, "associate_route_table", params, here, what, ["Resource.AlreadyAssociated"])
            self.associations[subnet] = (table_id, None)
        if self.params["purge_subnets"]:
            for subnet in sorted(set(current) - set(spec["subnets"])):
                if self.associations.get(subnet, (table_id,))[0] == table_id:
                    self.disassociate(table_id, subnet, current[subnet], what)

    def disassociate(self, table_id, subnet, association, what):
        self.associations.pop(subnet, None)
        gone = functools.partial(associated, subnet=subnet, wanted=False)
        params = {"AssociationId": association}
        self.once(table_id, "disassociate_route_table", params, gone, what, ["InvalidAssociationID.NotFound"])

    # -- planning -----------------------------------------------------------------------------------
    def predict(self, table, spec):
        """The table as it will be after the run (the IDs of new associations unknown), and its TagPlan."""
        predicted = dict(table)
        wanted = wanted_routes(spec)
        routes = [
            route
            for route in table.get("Routes") or []
            if route.get("DestinationCidrBlock") not in own_routes(table)
            or (not self.params["purge_routes"] and route["DestinationCidrBlock"] not in wanted)
        ]
        for dest, (key, target) in sorted(wanted.items()):
            routes.append({"DestinationCidrBlock": dest, key: target, "Origin": OWN_ORIGIN, "State": "active"})
        predicted["Routes"] = routes
        current = subnet_associations(table)
        associations = [
            association
            for association in table.get("Associations") or []
            if not association.get("SubnetId")
            or association["SubnetId"] in spec["subnets"]
            or not self.params["purge_subnets"]
        ]
        associations += [
            {"SubnetId": subnet, "RouteTableId": table.get("RouteTableId"), "Main": False}
            for subnet in spec["subnets"]
            if subnet not in current
        ]
        predicted["Associations"] = associations
        plan = plan_tags(tags_of(table), self.desired_tags(spec), purge=self.params["purge_tags"])
        predicted["Tags"] = ansible_dict_to_boto3_tag_list(plan.after if plan.changed else tags_of(table))
        return predicted, plan

    # -- running ------------------------------------------------------------------------------------
    def present(self):
        # One read of the VPC's tables: the listed ones, and the subnets' associations with any other.
        tables = self.describe()
        found = dict((spec["name"], self.matching(tables, spec["name"])) for spec in self.params["route_tables"])
        self.associations = dict(
            (subnet, (t["RouteTableId"], association))
            for t in tables
            for subnet, association in subnet_associations(t).items()
        )
        before, after, results, changed = {}, {}, [], False
        for spec in self.params["route_tables"]:
            table = found[spec["name"]]
            created = table is None
            if created:
                table = {"VpcId": self.vpc_id, "Routes": [], "Associations": [], "Tags": []}
                if not self.module.check_mode:
                    table = self.create(spec)
                    self.created.add(table["RouteTableId"])
            predicted, plan = self.predict(table, spec)
            was, will = ({} if created else view(table)), view(predicted)
            if was != will:
                difference = changes(was, will)
                if not created:
                    before[spec["name"]] = difference["before"]
                after[spec["name"]] = difference["after"]
            if self.module.check_mode or (was == will and not created):
                changed = changed or was != will
                results.append(predicted if self.module.check_mode else table)
                continue
            changed = True
            if not created:
                apply_tags(
                    self.module, self.client, "ec2", table["RouteTableId"], plan, what="route table " + spec["name"]
                )
            self.sync_routes(table, spec)
            self.sync_subnets(table, spec)
            results.append(self.reread(table["RouteTableId"]))
        self.exit(changed, results, before, after)

    def absent(self):
        names = set(spec["name"] for spec in self.params["route_tables"])
        tables = [
            table
            for table in self.describe()
            if not main_table(table)
            and (tags_of(table).get("Name") in names or (self.identity and self.carries_identity(tags_of(table))))
        ]
        before = dict((tags_of(t).get("Name") or t["RouteTableId"], view(t)) for t in tables)
        if not self.module.check_mode:
            for table in tables:
                table_id = table["RouteTableId"]
                what = "route table %s (%s)" % (tags_of(table).get("Name"), table_id)
                for subnet, association in sorted(subnet_associations(table).items()):
                    self.disassociate(table_id, subnet, association, what)
                # Sent again after a lost answer, DeleteRouteTable answers InvalidRouteTableID.NotFound: gone.
                aws_call(
                    self.module,
                    self.client.delete_route_table,
                    "DeleteRouteTable",
                    what,
                    ignore=["InvalidRouteTableID.NotFound"],
                    RouteTableId=table_id,
                )
        self.exit(bool(tables), tables, before, {})

    def exit(self, changed, tables, before, after):
        results = [normalise(table) for table in tables]
        by_name = dict((t["tags"].get("Name"), t["id"]) for t in results if t.get("id") and t["tags"].get("Name"))
        self.module.exit_json(
            changed=changed,
            route_tables=results,
            route_table_ids_by_name=by_name,
            diff={"before": before, "after": after},
        )


def main():
    route = dict(dest=dict(type="str", required=True), gateway_id=dict(type="str"), nat_gateway_id=dict(type="str"))
    table = dict(
        name=dict(type="str", required=True),
        tags=dict(type="dict", default={}),
        subnets=dict(type="list", elements="str", default=[]),
        routes=dict(type="list", elements="dict", default=[], options=route),
    )
    argument_spec = dict(
        vpc_id=dict(type="str", required=True),
        route_tables=dict(type="list", elements="dict", default=[], options=table),
        purge_tags=dict(type="bool", default=True),
        purge_routes=dict(type="bool", default=True),
        purge_subnets=dict(type="bool", default=True),
        state=dict(type="str", default="present", choices=["present", "absent"]),
        **identity_tag_options(),
    )
    module = AnsibleAWSModule(argument_spec=argument_spec, supports_check_mode=True)
    validate(module)
    tables = RouteTables(module)
    if module.params["state"] == "absent":
        tables.absent()
    else:
        tables.present()


if __name__ == "__main__":
    main()

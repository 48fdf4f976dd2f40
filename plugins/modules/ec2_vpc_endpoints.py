#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: finproc.dr contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: ec2_vpc_endpoints
version_added: 0.1.0
short_description: Manage all the gateway endpoints of a VPC in one run, each created exactly once
description:
  - Creates the listed gateway endpoints of a VPC that are missing and brings the route tables, the
    policy and the tags of every listed endpoint in line, in one module run
    (amazon.aws.ec2_vpc_endpoint manages one endpoint per run).
  - The gateway endpoints of the VPC are read with one paginated DescribeVpcEndpoints call (filtered by
    the VPC, the type C(Gateway) and, unless I(purge_endpoints), the listed services); when everything
    matches, that is the only call made.
  - A listed endpoint is identified by its VPC and its service. When the VPC holds more than one
    gateway endpoint of a listed service, the one carrying the tags of I(tags) named by
    I(identity_tags) is the listed one; more than one such, or none, is an error that names them, and
    nothing is changed then.
  - CreateVpcEndpoint is sent with a client token derived from that identity and this module run, so
    a create whose answer was lost (a 5xx answer, a timeout, a closed connection) and sent again
    returns the endpoint the first call made; after such an answer the endpoint is also looked up by
    its identity before any new attempt. The endpoint is tagged at its creation.
  - ModifyVpcEndpoint (route tables added and removed, the policy) is sent once per endpoint; after a
    lost answer the endpoint is read again and the call counts as done when its effect is there.
  - An endpoint of the VPC whose service is not listed is left alone, unless I(purge_endpoints) is
    true and it carries the identity tags; then it is deleted (never an endpoint of someone else).
author:
  - finproc.dr maintainers (@finproc)
options:
  vpc_id:
    description: The ID of the VPC.
    type: str
    required: true
  endpoints:
    description:
      - The gateway endpoints of the VPC this module manages, one per service. The result lists them in
        this order.
    type: list
    elements: dict
    required: true
    suboptions:
      service:
        description: The service name, such as C(com.amazonaws.us-east-2.s3).
        type: str
        required: true
      route_table_ids:
        description:
          - The IDs of the route tables whose routes to the service go through the endpoint, exactly
            these (a table not listed is removed from the endpoint).
        type: list
        elements: str
        default: []
      policy:
        description:
          - The endpoint policy, a JSON document. Compared with the endpoint's as parsed JSON (amazon.aws
            C(compare_policies), so the order of statements, actions and principals does not count).
          - Not given, the endpoint's policy is left as it is (a new endpoint gets the default policy,
            which allows full access to the service).
        type: json
      tags:
        description: The endpoint's own tags, added to I(tags) (they win over them).
        type: dict
        default: {}
  tags:
    description: The tags of every endpoint.
    type: dict
    default: {}
    aliases: [resource_tags]
  identity_tags:
    description:
      - The keys of I(tags) whose values mark an endpoint as this stack's (see the description).
    type: list
    elements: str
    default: []
  purge_tags:
    description:
      - Whether the tags of a listed endpoint that are not asked for are removed. Tags whose key starts
        with C(aws:) are never removed.
    type: bool
    default: true
  purge_endpoints:
    description:
      - Whether the gateway endpoints of the VPC that carry the identity tags and whose service is not
        listed are deleted. Needs I(identity_tags).
    type: bool
    default: false
  wait:
    description: Whether to wait, after creating endpoints, until they are C(available).
    type: bool
    default: false
  wait_timeout:
    description: How long to wait, in seconds, for created endpoints to become C(available).
    type: int
    default: 320
extends_documentation_fragment:
  - finproc.dr.aws
notes:
  - Check mode is supported; an endpoint that would be created is returned without an ID.
  - Diff mode shows, by service, only the route tables, policy or tags that differ (an endpoint that is
    created or deleted shows whole).
"""

EXAMPLES = r"""
- name: S3 and DynamoDB traffic of the private subnets stays off the NAT gateways
  finproc.dr.ec2_vpc_endpoints:
    vpc_id: vpc-0123456789abcdef0
    tags:
      finproc:stack: finproc-dev
    identity_tags: ["finproc:stack"]
    endpoints:
      - service: com.amazonaws.us-east-2.s3
        route_table_ids: [rtb-0123456789abcdef0, rtb-0123456789abcdef1]
        tags: {Name: finproc-dev-s3}
      - service: com.amazonaws.us-east-2.dynamodb
        route_table_ids: [rtb-0123456789abcdef0, rtb-0123456789abcdef1]
        tags: {Name: finproc-dev-dynamodb}
        policy:
          Version: "2012-10-17"
          Statement:
            - Effect: Allow
              Principal: "*"
              Action: dynamodb:*
              Resource: arn:aws:dynamodb:us-east-2:123456789012:table/finproc-dev
  register: network_endpoints
"""

RETURN = r"""
vpc_endpoints:
  description:
    - The listed endpoints, in the order of I(endpoints), as EC2 describes them (DescribeVpcEndpoints)
      after the run, the keys in snake case, tags as a dictionary, the policy as returned (JSON text).
    - In check mode, the state the run would produce; an endpoint that would be created has no
      C(vpc_endpoint_id).
  returned: always
  type: list
  elements: dict
  contains:
    vpc_endpoint_id:
      description: The endpoint's ID.
      type: str
      sample: vpce-0123456789abcdef0
    service_name:
      description: The service.
      type: str
      sample: com.amazonaws.us-east-2.s3
    vpc_id:
      description: The VPC.
      type: str
      sample: vpc-0123456789abcdef0
    vpc_endpoint_type:
      description: C(Gateway).
      type: str
      sample: Gateway
    state:
      description: The endpoint's state.
      type: str
      sample: available
    route_table_ids:
      description: The route tables of the endpoint.
      type: list
      elements: str
      sample: [rtb-0123456789abcdef0]
    policy_document:
      description: The endpoint policy (JSON text).
      type: str
      sample: '{"Version":"2008-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"*","Resource":"*"}]}'
    tags:
      description: The endpoint's tags.
      type: dict
      sample: {"Name": "finproc-dev-s3"}
deleted_vpc_endpoints:
  description: The endpoints deleted by I(purge_endpoints) (as they were), or that would be in check mode.
  returned: always
  type: list
  elements: dict
"""

import json

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.amazon.aws.plugins.module_utils.policy import compare_policies
from ansible_collections.amazon.aws.plugins.module_utils.tagging import ansible_dict_to_boto3_tag_list
from ansible_collections.amazon.aws.plugins.module_utils.tagging import boto3_tag_list_to_ansible_dict
from ansible_collections.finproc.dr.plugins.module_utils.client import paginate_or_fail
from ansible_collections.finproc.dr.plugins.module_utils.errors import aws_call
from ansible_collections.finproc.dr.plugins.module_utils.idempotency import create_once
from ansible_collections.finproc.dr.plugins.module_utils.idempotency import run_token
from ansible_collections.finproc.dr.plugins.module_utils.resource import VpcResources
from ansible_collections.finproc.dr.plugins.module_utils.resource import identity_tag_options
from ansible_collections.finproc.dr.plugins.module_utils.resource import identity_tag_problems
from ansible_collections.finproc.dr.plugins.module_utils.resource import resource_list_argument_spec
from ansible_collections.finproc.dr.plugins.module_utils.results import changes
from ansible_collections.finproc.dr.plugins.module_utils.results import snake
from ansible_collections.finproc.dr.plugins.module_utils.tagging import apply_tags
from ansible_collections.finproc.dr.plugins.module_utils.tagging import plan_tags
from ansible_collections.finproc.dr.plugins.module_utils.waiters import wait_for

# An endpoint being deleted or deleted is no longer there ("vpc-endpoint-state - The state of the endpoint
# (pendingAcceptance | pending | available | deleting | deleted | rejected | failed)", DescribeVpcEndpoints,
# https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_DescribeVpcEndpoints.html).
GONE_STATES = ("deleting", "deleted")
# Created endpoints are available, or failed; an ID not known yet (EC2's eventual consistency) is retried.
ENDPOINT_AVAILABLE = {
    "version": 2,
    "waiters": {
        "VpcEndpointAvailable": {
            "operation": "DescribeVpcEndpoints",
            "delay": 5,
            "maxAttempts": 64,
            "acceptors": [
                {"matcher": "pathAll", "argument": "VpcEndpoints[].State", "expected": "available", "state": "success"},
                {"matcher": "pathAny", "argument": "VpcEndpoints[].State", "expected": "failed", "state": "failure"},
                {"matcher": "error", "expected": "InvalidVpcEndpointId.NotFound", "state": "retry"},
            ],
        }
    },
}
WAIT_DELAY = 5


def validate(module):
    problems, services = [], set()
    for index, spec in enumerate(module.params["endpoints"]):
        if spec["service"] in services:
            problems.append("endpoints[%d]: the service %s is listed twice" % (index, spec["service"]))
        services.add(spec["service"])
        if spec["policy"] is not None:
            try:
                if not isinstance(json.loads(spec["policy"]), dict):
                    raise ValueError("not a JSON object")
            except ValueError as e:
                problems.append("endpoints[%d].policy: not a JSON policy document: %s" % (index, e))
    problems.extend(identity_tag_problems(module.params))
    if module.params["purge_endpoints"] and not module.params["identity_tags"]:
        problems.append("purge_endpoints needs identity_tags: which endpoints are this stack's")
    if module.params["wait_timeout"] < 1:
        problems.append("wait_timeout must be at least 1 second")
    if problems:
        module.fail_json(msg="; ".join(problems))


def tags_of(endpoint):
    return boto3_tag_list_to_ansible_dict(endpoint.get("Tags") or [])


def policy_of(endpoint):
    document = endpoint.get("PolicyDocument")
    return json.loads(document) if document else None


def normalise(endpoint):
    result = snake(endpoint)
    result["tags"] = tags_of(endpoint)
    return result


class Endpoints(VpcResources):
    # -- reading ------------------------------------------------------------------------------------
    def describe(self, services=None):
        """The live gateway endpoints of the VPC (of `services` when given): ONE paginated call."""
        filters = [
            {"Name": "vpc-id", "Values": [self.vpc_id]},
            {"Name": "vpc-endpoint-type", "Values": ["Gateway"]},
        ]
        if services:
            filters.append({"Name": "service-name", "Values": list(services)})
        found = paginate_or_fail(
            self.module,
            self.client,
            "describe_vpc_endpoints",
            "VpcEndpoints",
            "gateway endpoints of %s" % self.vpc_id,
            Filters=filters,
        )
        return [e for e in found if (e.get("State") or "").lower() not in GONE_STATES]

    def ours(self, endpoint):
        return bool(self.identity) and self.carries_identity(tags_of(endpoint))

    def matching(self, endpoints, service):
        """The endpoint of `service` (None: none); more than one of it, the one with the identity tags."""
        found = [e for e in endpoints if e.get("ServiceName") == service]
        if len(found) > 1:
            tagged = [e for e in found if self.ours(e)]
            if len(tagged) != 1:
                self.module.fail_json(
                    msg="%d gateway endpoints of %s in %s (%s), %d of them with the identity tags %s: "
                    "cannot tell which is this stack's; remove or tag all but one"
                    % (
                        len(found),
                        service,
                        self.vpc_id,
                        ", ".join(e["VpcEndpointId"] for e in found),
                        len(tagged),
                        self.identity,
                    )
                )
            return tagged[0]
        return found[0] if found else None

    def find(self, service):
        return self.matching(self.describe([service]), service)

    def reread(self, endpoint_ids):
        return paginate_or_fail(
            self.module,
            self.fresh,
            "describe_vpc_endpoints",
            "VpcEndpoints",
            ", ".join(endpoint_ids),
            VpcEndpointIds=list(endpoint_ids),
        )

    # -- wanted -------------------------------------------------------------------------------------
    def view(self, endpoint, spec):
        """What --diff shows of an endpoint: its route tables, tags, and its policy when one is asked for."""
        shown = {"route_table_ids": sorted(endpoint.get("RouteTableIds") or []), "tags": tags_of(endpoint)}
        if spec is None or spec["policy"] is not None:
            shown["policy"] = policy_of(endpoint)
        return shown

    def policy_differs(self, endpoint, spec):
        if spec["policy"] is None:
            return False
        current = policy_of(endpoint)
        return current is None or compare_policies(current, json.loads(spec["policy"]))

    def predict(self, endpoint, spec):
        """The endpoint as it will be after the run, and the TagPlan of its tags."""
        predicted = dict(endpoint)
        predicted["RouteTableIds"] = sorted(set(spec["route_table_ids"]))
        if self.policy_differs(endpoint, spec):
            predicted["PolicyDocument"] = spec["policy"]
        plan = plan_tags(tags_of(endpoint), self.desired_tags(spec), purge=self.params["purge_tags"])
        predicted["Tags"] = ansible_dict_to_boto3_tag_list(plan.after)
        return predicted, plan

    # -- writing ------------------------------------------------------------------------------------
    def create(self, spec):
        """CreateVpcEndpoint with a deterministic ClientToken, tagged at birth. "ClientToken: Unique,
        case-sensitive identifier that you provide to ensure the idempotency of the request" ("CreateVpcEndpoint
        - Amazon Elastic Compute Cloud", https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_CreateVpcEndpoint.html);
        "If you repeat a request with the same client token and the same parameters, the original result is
        returned" ("Ensuring idempotency in Amazon EC2 API requests",
        https://docs.aws.amazon.com/ec2/latest/devguide/ec2-api-idempotency.html). The token is made of the
        identity (VPC, service) and the parameters (the same token with other ones is refused,
        IdempotentParameterMismatch) and this module run (idempotency.run_token: a later run never gets the
        answer of an endpoint deleted since). After a lost answer the endpoint is looked up by its VPC and
        service before any new attempt (create_once)."""
        tags = self.desired_tags(spec)
        tables = sorted(set(spec["route_table_ids"]))
        params = {
            "VpcEndpointType": "Gateway",
            "VpcId": self.vpc_id,
            "ServiceName": spec["service"],
            "RouteTableIds": tables,
            "TagSpecifications": [
                {
                    "ResourceType": "vpc-endpoint",
                    "Tags": sorted(ansible_dict_to_boto3_tag_list(tags), key=lambda tag: tag["Key"]),
                }
            ],
        }
        if spec["policy"] is not None:
            # "If this parameter is not specified, we attach a default policy that allows full access to the
            # service" (CreateVpcEndpoint, PolicyDocument).
            params["PolicyDocument"] = spec["policy"]
        params["ClientToken"] = run_token(
            "CreateVpcEndpoint", self.module.region, self.vpc_id, spec["service"], tables, spec["policy"], tags
        )
        return create_once(
            self.module,
            self.client,
            "create_vpc_endpoint",
            params,
            lambda: self.find(spec["service"]),
            lambda answer: answer["VpcEndpoint"],
            "gateway endpoint of %s in %s" % (spec["service"], self.vpc_id),
        )

    def modify(self, endpoint, spec, predicted):
        """ONE ModifyVpcEndpoint for the route tables and the policy ("ModifyVpcEndpoint - Amazon Elastic
        Compute Cloud", AddRouteTableIds, RemoveRouteTableIds, PolicyDocument,
        https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_ModifyVpcEndpoint.html). Not made
        idempotent by EC2 (no client token): sent once; after a lost answer the endpoint is read again and
        the call counts as done when the route tables and the policy are as asked (create_once)."""
        endpoint_id = endpoint["VpcEndpointId"]
        current, wanted = set(endpoint.get("RouteTableIds") or []), set(spec["route_table_ids"])
        params = {"VpcEndpointId": endpoint_id}
        if wanted - current:
            params["AddRouteTableIds"] = sorted(wanted - current)
        if current - wanted:
            params["RemoveRouteTableIds"] = sorted(current - wanted)
        if self.policy_differs(endpoint, spec):
            params["PolicyDocument"] = spec["policy"]
        if len(params) == 1:
            return False

        def done():
            now = self.reread([endpoint_id])
            if now and set(now[0].get("RouteTableIds") or []) == wanted and not self.policy_differs(now[0], spec):
                return True
            return None

        create_once(
            self.module,
            self.client,
            "modify_vpc_endpoint",
            params,
            done,
            lambda answer: True,
            "gateway endpoint %s (%s)" % (endpoint_id, spec["service"]),
        )
        return True

    def wait_available(self, endpoint_ids):
        timeout = self.params["wait_timeout"]
        wait_for(
            self.module,
            self.client,
            "VpcEndpointAvailable",
            timeout,
            delay=WAIT_DELAY if timeout >= WAIT_DELAY else 1,
            what="gateway endpoints %s to become available" % ", ".join(endpoint_ids),
            model=ENDPOINT_AVAILABLE,
            VpcEndpointIds=list(endpoint_ids),
        )

    # -- running ------------------------------------------------------------------------------------
    def run(self):
        specs = self.params["endpoints"]
        purge = self.params["purge_endpoints"]
        # One read of the VPC's gateway endpoints: the listed services only, unless unlisted ones may go
        # (none listed and none to purge: nothing to read, and a service-name filter without values).
        endpoints = self.describe(None if purge else [spec["service"] for spec in specs]) if specs or purge else []
        found = dict((spec["service"], self.matching(endpoints, spec["service"])) for spec in specs)
        listed = set(spec["service"] for spec in specs)
        doomed = [e for e in endpoints if purge and e["ServiceName"] not in listed and self.ours(e)]

        before, after, results, written, created, changed = {}, {}, [], [], [], False
        for spec in specs:
            service = spec["service"]
            endpoint = found[service]
            if endpoint is None:
                changed = True
                new = {
                    "VpcId": self.vpc_id,
                    "ServiceName": service,
                    "VpcEndpointType": "Gateway",
                    "RouteTableIds": [],
                    "Tags": [],
                }
                predicted, _plan = self.predict(new, spec)
                after[service] = self.view(predicted, spec)
                if self.module.check_mode:
                    results.append(predicted)
                    continue
                endpoint = self.create(spec)
                created.append(endpoint["VpcEndpointId"])
                written.append(endpoint["VpcEndpointId"])
                results.append(endpoint)
                continue
            predicted, plan = self.predict(endpoint, spec)
            was, will = self.view(endpoint, spec), self.view(predicted, spec)
            if was == will:
                results.append(endpoint)
                continue
            changed = True
            difference = changes(was, will)
            before[service], after[service] = difference["before"], difference["after"]
            if self.module.check_mode:
                results.append(predicted)
                continue
            label = "gateway endpoint %s (%s)" % (endpoint["VpcEndpointId"], service)
            apply_tags(self.module, self.client, "ec2", endpoint["VpcEndpointId"], plan, what=label)
            self.modify(endpoint, spec, predicted)
            written.append(endpoint["VpcEndpointId"])
            results.append(endpoint)

        for endpoint in doomed:
            changed = True
            before[endpoint["ServiceName"]] = self.view(endpoint, None)
        if doomed and not self.module.check_mode:
            self.delete(doomed)

        if self.params["wait"] and created and not self.module.check_mode:
            pending = [
                e["VpcEndpointId"]
                for e in results
                if e.get("VpcEndpointId") in created and (e.get("State") or "").lower() != "available"
            ]
            if pending:
                self.wait_available(pending)
        if written:
            now = dict((e["VpcEndpointId"], e) for e in self.reread(written))
            results = [now.get(e.get("VpcEndpointId"), e) for e in results]
        self.module.exit_json(
            changed=changed,
            vpc_endpoints=[normalise(e) for e in results],
            deleted_vpc_endpoints=[normalise(e) for e in doomed],
            diff={"before": before, "after": after},
        )

    def delete(self, endpoints):
        """ONE DeleteVpcEndpoints: "When you delete a gateway endpoint, we delete the endpoint routes in the
        route tables for the endpoint" ("DeleteVpcEndpoints - Amazon Elastic Compute Cloud",
        https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_DeleteVpcEndpoints.html). Sent again after
        a lost answer, an endpoint already deleted comes back in Unsuccessful as InvalidVpcEndpoint.NotFound:
        gone, as asked."""
        ids = [e["VpcEndpointId"] for e in endpoints]
        what = "gateway endpoints %s of %s" % (", ".join(ids), self.vpc_id)
        answer = aws_call(self.module, self.client.delete_vpc_endpoints, "DeleteVpcEndpoints", what, VpcEndpointIds=ids)
        failed = [
            item
            for item in (answer or {}).get("Unsuccessful") or []
            if (item.get("Error") or {}).get("Code")
            not in ("InvalidVpcEndpoint.NotFound", "InvalidVpcEndpointId.NotFound")
        ]
        if failed:
            self.module.fail_json(
                msg="DeleteVpcEndpoints failed for %s in %s: %s"
                % (
                    ", ".join(item.get("ResourceId", "?") for item in failed),
                    self.module.region,
                    "; ".join(
                        "%(Code)s: %(Message)s" % dict({"Code": "", "Message": ""}, **item["Error"]) for item in failed
                    ),
                )
            )


def main():
    endpoint_options = dict(
        service=dict(type="str", required=True),
        route_table_ids=dict(type="list", elements="str", default=[]),
        policy=dict(type="json"),
    )
    argument_spec = resource_list_argument_spec("vpc_id", "endpoints", endpoint_options, wait=False, wait_timeout=320)
    argument_spec.update(identity_tag_options(), purge_endpoints=dict(type="bool", default=False))
    module = AnsibleAWSModule(argument_spec=argument_spec, supports_check_mode=True)
    validate(module)
    Endpoints(module).run()


if __name__ == "__main__":
    main()

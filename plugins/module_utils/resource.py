# -*- coding: utf-8 -*-
# Copyright: finproc.dr contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The present/absent skeleton of a module's main().

A module subclasses AWSResource and implements read, settings, desired, create, plan, apply, delete
and result; ``run(module, TheResource)`` does the rest:

present: read; nothing there -> in check mode the desired settings, else create and read again;
         something there -> plan; writes to do and not check mode -> apply and read again.
         create and apply may return the resource as it is after them (what the write answered,
         or the last read of a wait): then it is not read again.
absent:  read; nothing there -> unchanged; check mode -> changed; else delete.

The diff is always before/after as ``settings`` shows them ({} for nothing).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule

from ansible_collections.finproc.dr.plugins.module_utils import errors
from ansible_collections.finproc.dr.plugins.module_utils.client import aws_client
from ansible_collections.finproc.dr.plugins.module_utils.client import just_created_client
from ansible_collections.finproc.dr.plugins.module_utils.results import diff


def resource_argument_spec(tags=True, **options):
    """The argument spec of a resource module: its own options, ``state`` (present or absent) and, with
    `tags`, ``tags`` and ``purge_tags`` as the amazon.aws.tags doc fragment documents them (alias
    resource_tags; purge_tags true)."""
    spec = dict(options)
    spec["state"] = dict(type="str", default="present", choices=["present", "absent"])
    if tags:
        spec["tags"] = dict(type="dict", aliases=["resource_tags"])
        spec["purge_tags"] = dict(type="bool", default=True)
    return spec


def resource_list_argument_spec(parent, listed, options, wait, wait_timeout):
    """The argument spec of a module that manages a list of resources of one parent (the subnets or
    the NAT gateways of a VPC): `parent` (its ID, required), `listed` (required, a list of dicts of
    `options`, each with its own ``tags``), ``purge_tags`` for the tags of each, ``wait`` and
    ``wait_timeout`` with the module's defaults."""
    element = dict(options)
    element["tags"] = dict(type="dict", default={})
    return {
        parent: dict(type="str", required=True),
        listed: dict(type="list", elements="dict", required=True, options=element),
        "purge_tags": dict(type="bool", default=True),
        "wait": dict(type="bool", default=wait),
        "wait_timeout": dict(type="int", default=wait_timeout),
    }


def identity_tag_options():
    """The options of a module listing resources of one VPC whose tags partly identify them: ``tags`` (those
    of every resource, alias resource_tags) and ``identity_tags`` (the keys of ``tags`` that identify them)."""
    return {
        "tags": dict(type="dict", default={}, aliases=["resource_tags"]),
        "identity_tags": dict(type="list", elements="str", default=[]),
    }


def identity_tag_problems(params):
    """What is wrong with ``identity_tags`` (identity_tag_options): each key must be one of ``tags``."""
    return [
        "identity_tags: %s is not a key of tags" % key for key in params["identity_tags"] if key not in params["tags"]
    ]


class VpcResources(object):
    """The resources of one VPC listed in a module run (its route tables, its gateway endpoints), identified
    with the help of the identity tags (identity_tag_options): the EC2 clients and the tags of each."""

    def __init__(self, module):
        self.module = module
        self.params = module.params
        self.vpc_id = module.params["vpc_id"]
        self.client = aws_client(module, "ec2")
        self.identity = dict((key, module.params["tags"][key]) for key in module.params["identity_tags"])

    # Retries EC2's just-created codes (InvalidRouteTableID.NotFound, InvalidVpcEndpointId.NotFound) for
    # the calls about a resource this run has just created or changed only.
    fresh = just_created_client("ec2")

    def carries_identity(self, tags):
        """Whether `tags` (a dict) hold every identity tag with its value."""
        return all(tags.get(key) == value for key, value in self.identity.items())

    def desired_tags(self, spec, **more):
        """A listed resource's tags: ``tags``, then its own (they win), then `more`."""
        tags = dict(self.params["tags"])
        tags.update(spec["tags"] or {})
        tags.update(more)
        return tags


class AWSResource(object):
    kind = "resource"  # e.g. "SNS topic", in messages
    arn = None  # the resource's ARN, once a module knows it
    # What run() says before any AWS call when no region is given (option, AWS_REGION, profile).
    missing_region = "region is required"
    # The rule the API sets for the `name` option (a compiled regular expression, and the same in words),
    # checked by run() before any AWS call; None: no rule.
    name_pattern = None
    name_rule = ""

    def __init__(self, module):
        self.module = module
        self.params = module.params
        self.region = module.region
        self.name = module.params.get("name")

    def identity(self):
        """The resource in messages, after `kind` (e.g. its name, or its name and ARN)."""
        return self.name

    def label(self):
        return "%s %s" % (self.kind, self.identity())

    # -- to implement ----------------------------------------------------------------------------
    def read(self):
        """The current state (any object), or None when there is no such resource."""
        raise NotImplementedError

    def settings(self, state):
        """The diff view of a state read."""
        raise NotImplementedError

    def desired(self):
        """The diff view of a resource that would be created."""
        raise NotImplementedError

    def create(self):
        """Create the resource; its state after that, or None to have it read again."""
        raise NotImplementedError

    def plan(self, state):
        """(writes, after): writes a dict of lists/dicts (all empty: nothing to do), after the settings."""
        raise NotImplementedError

    def apply(self, state, writes):
        """Make the writes; the state after them, or None to have it read again."""
        raise NotImplementedError

    def delete(self, state):
        raise NotImplementedError

    def result(self, changed, state, before, after):
        """The keyword arguments of exit_json; `state` is the resource after the run (None: none)."""
        return dict(changed=changed, diff=diff(before, after))

    # -- provided --------------------------------------------------------------------------------
    def fail_aws(self, e, operation):
        errors.fail_aws(self.module, e, operation, self.label())

    def call(self, fn, operation, ignore=(), **params):
        return errors.aws_call(self.module, fn, operation, self.label(), ignore=ignore, **params)

    def present(self):
        state = self.read()
        if state is None:
            after = self.desired()
            if self.module.check_mode:
                return self.result(True, None, {}, after)
            final = self.create()
            if final is None:
                final = self.read()
            return self.result(True, final, {}, self.settings(final) if final is not None else after)

        before = self.settings(state)
        writes, after = self.plan(state)
        changed = any(bool(write) for write in writes.values())
        if not changed or self.module.check_mode:
            return self.result(changed, state, before, after)
        final = self.apply(state, writes)
        if final is None:
            final = self.read()
        return self.result(True, final, before, self.settings(final) if final is not None else after)

    def absent(self):
        state = self.read()
        if state is None:
            return self.result(False, None, {}, {})
        before = self.settings(state)
        if self.module.check_mode:
            return self.result(True, state, before, {})
        self.delete(state)
        return self.result(True, None, before, {})


def run(module, resource_class):
    """present() or absent() by ``params["state"]`` (default present), then exit_json.

    A module without a region fails first, with the resource class's ``missing_region``; then a name
    that breaks the class's ``name_pattern``, naming its ``name_rule``.
    """
    if not module.region:
        module.fail_json(msg=getattr(resource_class, "missing_region", AWSResource.missing_region))
    name, pattern = module.params.get("name"), getattr(resource_class, "name_pattern", None)
    if pattern is not None and name is not None and not pattern.match(name):
        module.fail_json(msg="%s is not a valid %s name: %s" % (name, resource_class.kind, resource_class.name_rule))
    resource = resource_class(module)
    result = resource.absent() if module.params.get("state", "present") == "absent" else resource.present()
    module.exit_json(**result)


def run_module(argument_spec, resource_class, validate=None, **module_options):
    """The whole main() of a resource module: AnsibleAWSModule (check mode supported) with the
    argument spec and `module_options` (required_if, mutually_exclusive, ...), the module's own
    `validate(module)` (bad input refused before any AWS call), then run()."""
    module = AnsibleAWSModule(argument_spec=argument_spec, supports_check_mode=True, **module_options)
    if validate is not None:
        validate(module)
    run(module, resource_class)

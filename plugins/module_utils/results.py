# -*- coding: utf-8 -*-
# Copyright: finproc.dr contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The result of a module: the diff and the resource in snake case."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible.module_utils.common.dict_transformations import camel_dict_to_snake_dict


def diff(before, after):
    """The diff Ansible shows with --diff."""
    return {"before": before, "after": after}


def changes(before, after):
    """The diff of what differs: the keys whose values differ in `before` and `after` (dicts), each side
    with the keys it has; {} and {} when nothing differs. A resource created ({} before) or deleted ({}
    after) shows whole."""
    before, after = before or {}, after or {}
    keys = [
        key
        for key in set(before) | set(after)
        if before.get(key) != after.get(key) or (key in before) != (key in after)
    ]
    return diff(
        dict((key, before[key]) for key in sorted(keys) if key in before),
        dict((key, after[key]) for key in sorted(keys) if key in after),
    )


def snake(resource, keep=("Tags",)):
    """``camel_dict_to_snake_dict`` that keeps the values of `keep` (tag dicts, policies) as they are.

    The keys in `keep` are snake-cased themselves ("Tags" -> "tags"); their values are not.
    """
    if resource is None:
        return {}
    return camel_dict_to_snake_dict(resource, ignore_list=list(keep))


def exit_result(module, changed, before=None, after=None, **returned):
    """``module.exit_json(changed=..., diff=...(when before or after is given), **returned)``.

    The diff is returned whether or not diff mode is on (as this collection's modules always did);
    Ansible shows it only with --diff.
    """
    if before is not None or after is not None:
        returned["diff"] = diff(before, after)
    module.exit_json(changed=changed, **returned)

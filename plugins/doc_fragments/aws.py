# -*- coding: utf-8 -*-
# Copyright: finproc.dr contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""finproc.dr.aws: the connection options every module of the collection takes, in one place.

They are amazon.aws's own fragments, unchanged: amazon.aws.common.modules (credentials, endpoint,
certificates), amazon.aws.region.modules (region) and amazon.aws.boto3 (requirements). A module
lists ``finproc.dr.aws`` (and ``amazon.aws.tags`` where it takes amazon.aws's tags/purge_tags)
instead of the three. Ansible does not let a fragment extend other fragments, so this one merges
their YAML when it is loaded: options side by side (they share no name), notes and requirements one
after the other, in the order a module used to list the fragments.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import yaml

from ansible_collections.amazon.aws.plugins.doc_fragments import boto3 as aws_boto3
from ansible_collections.amazon.aws.plugins.doc_fragments import common as aws_common
from ansible_collections.amazon.aws.plugins.doc_fragments import region as aws_region


def merge_fragments(texts):
    """One fragment's YAML from several: options merged (a name twice is an error), lists joined."""
    merged = {"options": {}}
    for text in texts:
        for key, value in (yaml.safe_load(text) or {}).items():
            if key == "options":
                twice = set(merged["options"]) & set(value or {})
                if twice:
                    raise ValueError("options documented twice: %s" % ", ".join(sorted(twice)))
                merged["options"].update(value or {})
            else:
                merged[key] = merged.get(key, []) + list(value)
    return yaml.safe_dump(merged, sort_keys=False, default_flow_style=False, width=1000)


class ModuleDocFragment(object):
    # amazon.aws's boto3 fragment builds its requirements when it is instantiated: so does this one.
    def __init__(self):
        self.DOCUMENTATION = merge_fragments(
            [
                aws_common.ModuleDocFragment.MODULES,
                aws_region.ModuleDocFragment.MODULES,
                aws_boto3.ModuleDocFragment().DOCUMENTATION,
            ]
        )

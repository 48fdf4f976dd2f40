# Copyright: finproc.dr contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""A callback of the integration tests: every task result as one JSON line, for the tests to read.

Enabled for one run only: ANSIBLE_CALLBACKS_ENABLED=task_results, ANSIBLE_CALLBACK_PLUGINS=<this
directory>, FINPROC_TASK_RESULTS=<file to write>. Each line: host, task name, role, action, item
(loops), changed, failed, skipped, and the diff(s) the module returned.
"""

from __future__ import annotations

import json
import os

from ansible.plugins.callback import CallbackBase

DOCUMENTATION = """
name: task_results
type: aggregate
short_description: every task result as a JSON line (integration tests)
description: Writes host, task, role, changed and diff of every task result to $FINPROC_TASK_RESULTS.
"""


class CallbackModule(CallbackBase):
    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = "aggregate"
    CALLBACK_NAME = "task_results"
    CALLBACK_NEEDS_ENABLED = True

    def __init__(self):
        super().__init__()
        self.path = os.environ.get("FINPROC_TASK_RESULTS")

    def _write(self, result, status):
        if not self.path:
            return
        task = result._task
        raw = result._result
        diffs = raw.get("diff")
        if diffs is None and raw.get("results"):
            diffs = [r.get("diff") for r in raw["results"] if isinstance(r, dict) and r.get("diff") is not None]
        line = {
            "host": result._host.get_name(),
            "task": task.get_name(),
            "role": task._role.get_name() if task._role else None,
            "action": task.action,
            "item": raw.get("_ansible_item_label", raw.get("item")) if "item" in raw else None,
            "status": status,
            "changed": bool(raw.get("changed")),
            "diff": diffs,
        }
        with open(self.path, "a", encoding="utf-8") as out:
            out.write(json.dumps(line, default=str, sort_keys=True) + "\n")

    def v2_runner_on_ok(self, result):
        self._write(result, "ok")

    def v2_runner_on_failed(self, result, ignore_errors=False):
        self._write(result, "failed")

    def v2_runner_item_on_ok(self, result):
        self._write(result, "item_ok")

    def v2_runner_item_on_failed(self, result):
        self._write(result, "item_failed")

"""make bench's per-task timing (dev tooling: NOT part of the collection).

An aggregate callback, enabled for bench runs only (scripts/bench.py sets
ANSIBLE_CALLBACK_PLUGINS=scripts/bench_plugins/callback, ANSIBLE_CALLBACKS_ENABLED=bench_tasks and
FINPROC_BENCH_TASKS=<file>). For every task result of every host it takes the wall time from the
task's start on that host to its result, its action and the module runs it made (one, or one per
loop item not skipped; none when skipped). At the end of the playbook it writes one JSON document:
the tasks (summed over hosts and repeats) and the module runs per action.
"""

from __future__ import annotations

import json
import os
import time

from ansible.plugins.callback import CallbackBase

DOCUMENTATION = """
name: bench_tasks
type: aggregate
short_description: per-task wall time and module runs per action (make bench)
description: Writes the tasks' wall time summed over hosts and the module runs per action to $FINPROC_BENCH_TASKS.
"""


# Actions that run on the controller only (action plugins that start no module process).
CONTROLLER_ACTIONS = frozenset(
    "ansible.builtin." + name
    for name in (
        "set_fact", "debug", "assert", "fail", "include_role", "include_tasks", "import_role", "import_tasks",
        "validate_argument_spec", "meta", "add_host", "group_by", "set_stats", "pause", "include_vars",
    )
)  # fmt: skip


def module_runs(result, status, action=None):
    """The module runs a task result stands for: 0 when skipped or run on the controller only; per loop
    item not skipped, its attempts (an `until` loop runs the module once per attempt), else 1."""
    fqcn = action if action is None or "." in action else "ansible.builtin." + action
    if status == "skipped" or fqcn in CONTROLLER_ACTIONS:
        return 0

    def attempts(one):
        return max(1, int(one.get("attempts") or 1)) if isinstance(one, dict) else 1

    items = result.get("results") if isinstance(result, dict) else None
    if isinstance(items, list):
        return sum(attempts(item) for item in items if not (isinstance(item, dict) and item.get("skipped")))
    return attempts(result)


class Aggregate:
    """Sums (role, task, action) rows over hosts; counts module runs per action."""

    def __init__(self):
        self.tasks = {}
        self.actions = {}

    def add(self, role, task, action, host, seconds, runs, status):
        key = (role or "", task, action)
        row = self.tasks.setdefault(
            key,
            {
                "role": role or "",
                "task": task,
                "action": action,
                "seconds": 0.0,
                "results": 0,
                "module_runs": 0,
                "hosts": [],
                "changed": 0,
                "skipped": 0,
                "failed": 0,
            },
        )
        row["seconds"] += seconds
        row["results"] += 1
        row["module_runs"] += runs
        if host not in row["hosts"]:
            row["hosts"].append(host)
        if status in ("changed", "skipped", "failed"):
            row[status] += 1
        if runs:
            self.actions[action] = self.actions.get(action, 0) + runs

    def summary(self):
        tasks = sorted(self.tasks.values(), key=lambda r: r["seconds"], reverse=True)
        for row in tasks:
            row["seconds"] = round(row["seconds"], 3)
        actions = dict(sorted(self.actions.items(), key=lambda kv: (-kv[1], kv[0])))
        return {"tasks": tasks, "module_runs_by_action": actions, "module_runs": sum(actions.values())}


class CallbackModule(CallbackBase):
    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = "aggregate"
    CALLBACK_NAME = "bench_tasks"
    CALLBACK_NEEDS_ENABLED = True

    def __init__(self):
        super().__init__()
        self.path = os.environ.get("FINPROC_BENCH_TASKS")
        self.started = {}
        self.aggregate = Aggregate()

    def v2_runner_on_start(self, host, task):
        self.started[(host.get_name(), task._uuid)] = time.monotonic()

    def _done(self, result, status):
        task, host = result._task, result._host.get_name()
        start = self.started.pop((host, task._uuid), None)
        seconds = time.monotonic() - start if start is not None else 0.0
        raw = result._result
        if status == "ok" and raw.get("changed"):
            status = "changed"
        role = task._role.get_name() if task._role else ""
        runs = module_runs(raw, status, task.action)
        self.aggregate.add(role, task.get_name(), task.action, host, seconds, runs, status)

    def v2_runner_on_ok(self, result):
        self._done(result, "ok")

    def v2_runner_on_failed(self, result, ignore_errors=False):
        self._done(result, "failed")

    def v2_runner_on_skipped(self, result):
        self._done(result, "skipped")

    def v2_runner_on_unreachable(self, result):
        self._done(result, "failed")

    def v2_playbook_on_stats(self, stats):
        if self.path:
            with open(self.path, "w", encoding="utf-8") as out:
                json.dump(self.aggregate.summary(), out, indent=1, default=str)

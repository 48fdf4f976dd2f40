# -*- coding: utf-8 -*-
# Copyright: finproc.dr contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Waiting: a read polled until a condition holds, or a botocore waiter, both with one timeout message."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import time

try:
    import botocore.exceptions
    import botocore.waiter
except ImportError:
    pass  # AnsibleAWSModule reports a missing botocore

from ansible_collections.amazon.aws.plugins.module_utils.waiters import get_waiter

from ansible_collections.finproc.dr.plugins.module_utils.errors import AWS_ERRORS
from ansible_collections.finproc.dr.plugins.module_utils.errors import fail_aws

SHORT_REPR = 300


def short(value):
    """A short text of `value` for a message."""
    text = repr(value)
    return text if len(text) <= SHORT_REPR else text[: SHORT_REPR - 3] + "..."


def timeout_message(timeout, what, last):
    return "timed out after %s s waiting for %s (last seen: %s)" % (timeout, what, short(last))


def poll_until(module, read, done, timeout, delay=5, what="", sleep=None, clock=None, on_timeout=None):
    """``read()`` until ``done(value)``; that value. Past `timeout` seconds, the module fails.

    ``timeout=0``: one read, no wait. `sleep` and `clock` default to this module's ``time.sleep`` and
    ``time.monotonic``, looked up at the call (a test may replace ``waiters.time``). `on_timeout`,
    when given, is called with the last value once the time is out, to fail the module its own way
    (a message built from that value, more keys returned); the usual failure follows if it returns.
    """
    sleep = sleep or time.sleep
    clock = clock or time.monotonic
    deadline = clock() + timeout
    while True:
        value = read()
        if done(value):
            return value
        remaining = deadline - clock()
        if remaining <= 0:
            if on_timeout is not None:
                on_timeout(value)
            module.fail_json(msg=timeout_message(timeout, what, value))
        sleep(min(delay, remaining))


def waiter_config(timeout, delay):
    """The WaiterConfig that reads at 0, delay, 2 x delay, ... up to `timeout` s: at least one read."""
    delay = max(1, int(delay))
    return {"Delay": delay, "MaxAttempts": max(1, int(timeout) // delay + 1)}


def wait_for(module, client, waiter_name, timeout, delay=5, what="", model=None, summary=None, failure=None, **params):
    """Wait with a botocore waiter for at most `timeout` s.

    The waiter is `model` (a botocore waiter configuration dict, {"version": 2, "waiters": {...}})
    when given, else the client's own `waiter_name` (botocore's), else amazon.aws's of that name.
    Past the timeout the module fails with the message of poll_until; "last seen" is
    ``summary(last_response)`` when given, else the last response (short). When the waiter stops on
    a failure state or an error, ``failure(last_response)`` may return the keyword arguments of
    fail_json (e.g. what failed and why); otherwise the module fails with "Waiting for <what> failed".
    """
    what = what or waiter_name
    raw = getattr(client, "client", client)  # the botocore client inside a RetryingBotoClientWrapper
    if model is not None:
        waiter = botocore.waiter.create_waiter_with_client(waiter_name, botocore.waiter.WaiterModel(model), raw)
    elif waiter_name in raw.waiter_names:
        waiter = raw.get_waiter(waiter_name)
    else:
        waiter = get_waiter(raw, waiter_name)
    try:
        waiter.wait(WaiterConfig=waiter_config(timeout, delay), **params)
    except botocore.exceptions.WaiterError as e:
        last = e.last_response
        if "Max attempts exceeded" not in str(e):
            failed = failure(last or {}) if failure else None
            if failed:
                module.fail_json(**failed)
            module.fail_json_aws(e, msg="Waiting for %s failed" % what)
        if summary:
            seen = summary(last or {})
        elif isinstance(last, dict):
            seen = short(dict((k, v) for k, v in last.items() if k != "ResponseMetadata"))
        else:
            seen = short(last)
        module.fail_json(msg="timed out after %s s waiting for %s (last seen: %s)" % (timeout, what, seen))
    except AWS_ERRORS as e:
        fail_aws(module, e, "Waiting for %s" % what)

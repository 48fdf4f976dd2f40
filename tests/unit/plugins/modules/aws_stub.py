"""Run one of our modules in-process against a botocore Stubber.

Every request the module makes is checked against the API model and against the expected
parameters; every reply is checked against the model too. A request nobody expected fails.
"""

import copy
import json

import boto3
import pytest
from ansible.module_utils.testing import patch_module_args
from ansible_collections.amazon.aws.plugins.module_utils import modules as aws_modules
from botocore.stub import Stubber


def stubbed_client(service, region="us-east-2"):
    client = boto3.client(
        service,
        region_name=region,
        aws_access_key_id="AKIDEXAMPLE",
        aws_secret_access_key="secret",
        endpoint_url="https://unit.invalid",
    )
    return client, Stubber(client)


def run_module(main, args, client, monkeypatch, capsys, check_mode=False, diff=False):
    """Run `main` with `args`; return (result dict, exit code).

    `client` is the one client every module.client() call gets, or a dict {service: client} for a
    module that needs several (module.client(service) calls boto3_conn(module, conn_type=...,
    resource=service, ...)).
    """

    def connect(module, conn_type=None, resource=None, **kw):
        return client[resource] if isinstance(client, dict) else client

    monkeypatch.setattr(aws_modules, "boto3_conn", connect)
    module_args = dict(args, region="us-east-2", _ansible_check_mode=check_mode, _ansible_diff=diff)
    with patch_module_args(module_args), pytest.raises(SystemExit) as exit_info:
        main()
    out = capsys.readouterr().out
    return json.loads(out), exit_info.value.code


class Clock:
    """time for a module under test: sleep advances monotonic, and is recorded."""

    def __init__(self):
        self.now, self.sleeps = 0.0, []

    def monotonic(self):
        return self.now

    def sleep(self, seconds):
        self.sleeps.append(seconds)
        self.now += seconds


def fake_clock(monkeypatch, module):
    """Give `module` a Clock for its waits; AWSRetry's back-off sleeps return at once."""
    fake = Clock()
    monkeypatch.setattr(module, "time", fake)
    monkeypatch.setattr("time.sleep", lambda seconds: None)
    return fake


def record_requests(client):
    """The operation and parameters of every request `client` makes, in order."""
    calls = []
    event = "before-parameter-build." + client.meta.service_model.service_id.hyphenize()
    client.meta.events.register(event, lambda params, model, **kw: calls.append((model.name, copy.deepcopy(params))))
    return calls


def writes(requests):
    """The requests of `record_requests` that are not reads (Describe*)."""
    return [(op, params) for op, params in requests if not op.startswith("Describe")]

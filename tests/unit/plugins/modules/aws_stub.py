"""Run one of our modules in-process against a botocore Stubber.

Every request the module makes is checked against the API model and against the expected
parameters; every reply is checked against the model too. A request nobody expected fails.
"""

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
    """Run `main` with `args`; return (result dict, exit code)."""
    monkeypatch.setattr(aws_modules, "boto3_conn", lambda *a, **kw: client)
    module_args = dict(args, region="us-east-2", _ansible_check_mode=check_mode, _ansible_diff=diff)
    with patch_module_args(module_args), pytest.raises(SystemExit) as exit_info:
        main()
    out = capsys.readouterr().out
    return json.loads(out), exit_info.value.code

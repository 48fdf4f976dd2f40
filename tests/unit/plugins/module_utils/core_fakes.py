"""A stand-in for AnsibleAWSModule in the tests of the shared core (plugins/module_utils/)."""

import sys
from pathlib import Path

from ansible_collections.amazon.aws.plugins.module_utils.retries import RetryingBotoClientWrapper
from botocore.exceptions import ClientError

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "modules"))
from aws_stub import stubbed_client  # noqa: E402  (tests/unit/plugins/modules/aws_stub.py)


class Failed(Exception):
    """fail_json was called; .kwargs holds its arguments."""

    def __init__(self, kwargs):
        super().__init__(kwargs.get("msg"))
        self.kwargs = kwargs


class Exited(Exception):
    """exit_json was called; .kwargs holds its arguments."""

    def __init__(self, kwargs):
        super().__init__("exit")
        self.kwargs = kwargs


# A botocore client and its Stubber (those of the module tests).
stubbed = stubbed_client


class FakeModule:
    """params, check_mode, region; client() wraps the given botocore clients as amazon.aws does."""

    def __init__(self, params=None, check_mode=False, region="us-east-2", clients=None):
        self.params = dict(params or {})
        self.check_mode = check_mode
        self.region = region
        self.clients = clients or {}
        self.client_calls = []
        self.warnings = []

    def client(self, service, retry_decorator=None, **extra):
        self.client_calls.append((service, retry_decorator, extra))
        raw = self.clients[service]
        return raw if retry_decorator is None else RetryingBotoClientWrapper(raw, retry_decorator)

    def fail_json(self, **kwargs):
        raise Failed(kwargs)

    def fail_json_aws(self, exception, msg=None, **kwargs):
        raise Failed(dict(kwargs, msg="%s: %s" % (msg, exception), exception=exception))

    def exit_json(self, **kwargs):
        raise Exited(kwargs)

    def warn(self, text):
        self.warnings.append(text)


def client_error(code, operation="Operation", message="injected"):
    return ClientError({"Error": {"Code": code, "Message": message}}, operation)

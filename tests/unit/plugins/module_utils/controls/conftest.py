"""Fixtures of the controls' tests: a compliant moto stack of its own (stack), one shared by a class
that changes nothing (intact_stack), and one with the policies the roles render (rendered_stack)."""

import pytest
from live_stack import _aws_environment, build_stack, install_documents, rendered_documents
from moto import mock_aws


@pytest.fixture
def stack(monkeypatch):
    """A compliant stack of its own, for a test that breaks something."""
    _aws_environment(monkeypatch)
    with mock_aws():
        yield build_stack()


@pytest.fixture(scope="class")
def intact_stack():
    """A compliant stack shared by the tests of a class that changes nothing."""
    with pytest.MonkeyPatch.context() as monkeypatch:
        _aws_environment(monkeypatch)
        with mock_aws():
            yield build_stack()


@pytest.fixture
def rendered_stack(stack):
    """The moto stack with the policies the roles render (trusts, role policies, key policies,
    bucket policies, topic policies, the function's invoke permission)."""
    stack.documents = rendered_documents(stack)
    install_documents(stack, stack.documents)
    return stack

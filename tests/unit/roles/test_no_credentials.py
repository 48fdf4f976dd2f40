"""No role, playbook or inventory of the collection carries AWS credentials: they come only from the
standard AWS configuration (environment, shared files, roles), never from variables a job would print or
an inventory would keep (docs/reliability.md, "Secrets")."""

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]
# amazon.aws's credential options and their aliases, and the SDK's environment variable names.
CREDENTIAL = re.compile(
    r"\b(aws_access_key(_id)?|aws_secret_(access_)?key|aws_session_token|access_key|secret_key|session_token"
    r"|security_token|AWS_SECRET_ACCESS_KEY|AWS_ACCESS_KEY_ID|AWS_SESSION_TOKEN)\b"
)
FILES = sorted(
    path
    for folder in ("roles", "playbooks", "inventories", "molecule")
    for path in (ROOT / folder).rglob("*")
    if path.suffix in (".yml", ".yaml", ".j2", ".json")
) + [ROOT / "site.yml"]


@pytest.mark.parametrize("path", FILES, ids=lambda path: str(path.relative_to(ROOT)))
def test_no_credential_in_roles_playbooks_or_inventories(path):
    found = [
        "%d: %s" % (number, line.strip())
        for number, line in enumerate(path.read_text().splitlines(), 1)
        if CREDENTIAL.search(line.split("#", 1)[0])  # a comment may say where credentials come from
    ]
    assert not found, "%s names AWS credentials: %s" % (path.relative_to(ROOT), found)


def test_the_pattern_finds_a_credential_option():
    assert CREDENTIAL.search('    aws_secret_key: \'{{ lookup("env", "X") }}\'')
    assert CREDENTIAL.search("access_key: AKIA...")
    assert not CREDENTIAL.search("certificate_key_file: key.pem")

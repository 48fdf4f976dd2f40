"""Unit tests import the collection as ansible_collections.finproc.dr (through .collections)."""

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / ".collections"))

# Ansible's own collection loader, as ansible-playbook installs it: a Templar in a test then finds the
# collection's filters by their names (finproc.dr.topology, finproc.dr.peer_facts) as the roles call them.
from ansible.plugins.loader import init_plugin_loader  # noqa: E402

init_plugin_loader([str(ROOT / ".collections")])

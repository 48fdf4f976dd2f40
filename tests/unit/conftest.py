"""Unit tests import the collection as ansible_collections.finproc.dr (through .collections)."""

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / ".collections"))

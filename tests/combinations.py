"""The option combinations the template's tests bake: each value of each option at least once."""

from __future__ import annotations

from typing import Any

COMBINATIONS: dict[str, dict[str, Any]] = {
    "defaults": {},
    "no-database": {"database": "none", "project_name": "Stateless Gateway"},
    "postgresql": {"database": "postgresql", "project_name": "Ledger Service"},
}

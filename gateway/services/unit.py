"""Transitional: units of work moved to `gateway.store.unit`, beside the writes they group.

Kept only so that `gateway.services.transaction` (being split on another branch) imports
unchanged; once it imports `gateway.store.unit`, delete this module.
"""

from gateway.store.unit import Unit, atomic

__all__ = ["Unit", "atomic"]

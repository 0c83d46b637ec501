"""The code systems an audit record is coded in: mappers/audit_codes.py, where the AuditEvent
store's mapper reads them too (see gateway/auth/audit.py)."""

from mappers.audit_codes import INTERACTIONS, Action, Outcome, action_of, outcome_of

__all__ = ["INTERACTIONS", "Action", "Outcome", "action_of", "outcome_of"]

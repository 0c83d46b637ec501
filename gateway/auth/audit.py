"""What the gateway records of one request, allowed or denied, as an R4 AuditEvent.

The record and its AuditEvent live in mappers/audit_event.py: the AuditEvent store keeps the
record's fields and maps them to the event when it is read (mappers/audit_document.py), so the
store must reach them, and the store sits below gateway.auth. The audit trail imports them here.
"""

from mappers.audit_event import AuditRecord, action_of, audit_event, outcome_of

__all__ = ["AuditRecord", "action_of", "audit_event", "outcome_of"]

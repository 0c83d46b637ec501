"""What both halves of the Heart Recovery Calendar adapter share: the app's name and the
Patient a `userId` names (every tracking table hangs off `Users`, seed "Relationships")."""

from __future__ import annotations

from gateway.jsonio import Json
from mappers.apps.base import MappingContext

__all__ = ["APP", "patient_ref"]

APP = "heart-recovery"


def patient_ref(ctx: MappingContext, user_id: int) -> Json:
    """The Reference to the Patient the `Users` row `user_id` became."""
    return ctx.identity("Users", user_id).reference("Patient")

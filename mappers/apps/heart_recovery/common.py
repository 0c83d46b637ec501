"""What both halves of the Heart Recovery Calendar adapter share: the app's name and the
Patient a `userId` names (every tracking table hangs off `Users`, seed "Relationships")."""

from __future__ import annotations

from gateway.jsonio import Json
from mappers.apps.base import SID, MappingContext

__all__ = ["APP", "is_foreign", "patient_ref"]

APP = "heart-recovery"


def patient_ref(ctx: MappingContext, user_id: int) -> Json:
    """The Reference to the Patient the `Users` row `user_id` became."""
    return ctx.identity("Users", user_id).reference("Patient")


def is_foreign(resource: Json) -> bool:
    """True for a resource no row of this app made (an EHR's, another app's): it carries no
    identifier of the app's rows."""
    prefix = f"{SID}/{APP}/"
    return not any(
        str(i.get("system", "")).startswith(prefix) for i in resource.get("identifier", ())
    )

"""Conformance over StructureDefinitions: snapshots generated from differentials, profile
validation. https://hl7.org/fhir/R4/profiling.html

`profile(url)` and `base_profile(type)` give a `Profile` compiled once;
`Profile.validate(resource, terminology)` lists every finding as `Issue`s.
"""

from gateway.conformance.profiles import Profile, base_profile, profile

__all__ = ["Profile", "base_profile", "profile"]

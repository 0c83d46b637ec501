"""Transitional: the store moved to `gateway.store`; these names are re-exported for modules
being changed on other branches (http, transaction, imports), whose imports the lead rewrites
after merging: then delete this module.
"""

from gateway.store.repository import ResourceStore, stored_document
from gateway.store.versions import Version, same_content

__all__ = ["ResourceStore", "Version", "same_content", "stored_document"]

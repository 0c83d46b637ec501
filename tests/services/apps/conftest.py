"""The toy app of the apps tests (tests/mappers/apps/toy.py)."""

from tests.mappers.apps.toy import toy_app  # noqa: F401 (a fixture)

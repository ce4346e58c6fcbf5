"""The access-matrix world, as a fixture for the security tests."""

from tests.support.security import world  # noqa: F401  (a fixture)

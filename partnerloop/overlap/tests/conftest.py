from partnerloop.mapping.tests.lists_support import _media  # noqa: F401  (autouse fixture)

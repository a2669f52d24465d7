"""Steps the browser journeys share."""

from __future__ import annotations

import re

# The password `partnerloop.conftest.make_user` gives every test user.
TEST_PASSWORD = "correct-horse-9"


def log_in(page: object, base: str, email: str, password: str = TEST_PASSWORD) -> None:
    """Sign in with e-mail and password and wait until an organization page is shown."""
    page.goto(f"{base}/accounts/login/")  # type: ignore[attr-defined]
    page.get_by_label("Email").fill(email)  # type: ignore[attr-defined]
    page.get_by_label("Password").fill(password)  # type: ignore[attr-defined]
    page.get_by_role("button", name="Sign In").click()  # type: ignore[attr-defined]
    page.wait_for_url(re.compile(r".*/o/.*"))  # type: ignore[attr-defined]

"""Time zones a moderator can type into `/digest subscribe` (issue 12 attack). The config
already accepts only the IANA names `tzdata` ships; the command accepted any file under the
host's zoneinfo folder: `localtime` (whatever the host is set to, saved and shown as the zone
"localtime"), `posixrules`, `Factory`, and `posix/…`/`right/…` copies (`right/` counts leap
seconds, so posts drift). Such a zone also fails on a host without that folder."""

from __future__ import annotations

import pytest

from bot.errors import UserInputError
from bot.services.subscriptions import Changes


@pytest.mark.parametrize(
    "zone", ["localtime", "posixrules", "Factory", "posix/Europe/Berlin", "right/Europe/Berlin"]
)
def test_host_pseudo_zones_are_refused(zone: str) -> None:
    with pytest.raises(UserInputError) as caught:
        Changes(timezone=zone).validated()
    assert "not an IANA time zone" in str(caught.value), caught.value


@pytest.mark.parametrize("zone", [" UTC", "Europe/Berlin ", "Etc/GMT-14", "US/Pacific"])
def test_real_zones_still_pass(zone: str) -> None:
    assert Changes(timezone=zone).validated()["timezone"] == zone.strip()


def test_the_refusal_quotes_what_was_typed() -> None:
    with pytest.raises(UserInputError) as caught:
        Changes(timezone=" localtime ").validated()
    assert str(caught.value).startswith("`localtime` is not an IANA time zone"), caught.value

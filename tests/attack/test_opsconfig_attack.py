"""Outside attacks on `[ops] listen` (issue 15): addresses an operator might type.

Each test is a finding: it failed before its fix.
"""

from __future__ import annotations

import pytest

from bot.checks import listen_address
from bot.config import parse_config
from bot.errors import ConfigError


@pytest.mark.parametrize("port", ["²", "١٢", "9108²"])
def test_a_port_of_non_ascii_digits_is_refused_with_the_usual_message(port: str) -> None:
    """Found: the port was checked with `str.isdigit()`, which is true for superscripts and
    other scripts' digits: `127.0.0.1:²` reached `int()` and failed with "invalid literal for
    int() with base 10", and `127.0.0.1:١٢` was taken as port 12. Promised: only ASCII
    digits make a port; anything else is the one "is not host:port" message."""
    with pytest.raises(ValueError, match="is not host:port"):
        listen_address(f"127.0.0.1:{port}")
    with pytest.raises(ConfigError, match="is not host:port"):
        parse_config({"ops": {"listen": f"127.0.0.1:{port}"}})

"""The WebSocket opening handshake (RFC 6455 4.2, 4.4): a version other
than 13 is refused naming 13, a malformed Sec-WebSocket-Key is a 400, and
a well-formed request still upgrades."""
import base64
import os

import pytest

from httputil import ws_upgrade


def test_well_formed_handshake_upgrades(herald):
    status, headers = ws_upgrade(herald.port, key=base64.b64encode(os.urandom(16)).decode())
    assert status == 101
    assert headers["upgrade"].lower() == "websocket"


@pytest.mark.parametrize("version", ["8", "12", "14", "13, 8", "", None])
def test_other_version_is_refused_naming_13(herald, version):
    status, headers = ws_upgrade(herald.port, version=version)
    assert status == 426
    assert headers.get("sec-websocket-version") == "13"


@pytest.mark.parametrize("key", [
    None,                                   # missing
    "",                                     # empty
    "not base64 at all",
    "dGhlIHNhbXBsZSBub25jZQ",               # 16 bytes, padding missing
    base64.b64encode(os.urandom(15)).decode(),
    base64.b64encode(os.urandom(17)).decode(),
    base64.b64encode(os.urandom(32)).decode(),
    base64.urlsafe_b64encode(b"\xfb\xff" * 8).decode(),  # '-' and '_' are not base64
])
def test_malformed_key_is_400(herald, key):
    status, headers = ws_upgrade(herald.port, key=key)
    assert status == 400
    assert "sec-websocket-accept" not in headers

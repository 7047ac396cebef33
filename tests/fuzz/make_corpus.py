#!/usr/bin/env python3
"""Writes the hand-made seed corpora of the fuzz targets:
tests/fuzz/corpus/<target>/<name>. Run it after changing a seed here; it
rewrites only the files it names, so inputs added by hand (crash
reproducers, named crash-<what>) stay. Python 3 standard library only.

  python3 tests/fuzz/make_corpus.py
"""
import base64
import hashlib
import hmac
import json
import os
import struct

HERE = os.path.dirname(os.path.abspath(__file__))
CORPUS = os.path.join(HERE, "corpus")

# jwt_fuzz.cpp's secrets and clock.
SECRET = b"herald-fuzz-hs256-secret-0123456789abcdefghi"
NOW = 1_700_000_000
LATER = NOW + 3600


def write(target, name, data):
    if isinstance(data, str):
        data = data.encode("utf-8")
    folder = os.path.join(CORPUS, target)
    os.makedirs(folder, exist_ok=True)
    with open(os.path.join(folder, name), "wb") as f:
        f.write(data)


# ---- ws_frame: [chunking byte][limit byte] client byte stream --------------

def frame(b0, payload, key=b"\x12\x34\x56\x78"):
    if isinstance(payload, str):
        payload = payload.encode("utf-8")
    out = bytes([b0])
    n = len(payload)
    if n < 126:
        out += bytes([0x80 | n])
    elif n < 65536:
        out += bytes([0x80 | 126]) + struct.pack(">H", n)
    else:
        out += bytes([0x80 | 127]) + struct.pack(">Q", n)
    out += key
    return out + bytes(c ^ key[i & 3] for i, c in enumerate(payload))


def ws_frame():
    t = "ws_frame"
    write(t, "ping_message", b"\x05\x10" + frame(0x81, '{"type":"ping"}'))
    write(t, "fragments_with_ping", b"\x03\x40" + frame(0x01, "frag") + frame(0x89, "p") + frame(0x80, "ment"))
    write(t, "over_limit", b"\x01\x02" + frame(0x81, "x" * 300))
    write(t, "utf8_greek", b"\x07\xff" + frame(0x81, b"\xce\xba\xe1\xbd\xb9\xcf\x83"))
    write(t, "utf8_surrogate", b"\x02\x10" + frame(0x81, b"\xed\xa0\x80"))
    write(t, "close_then_text", b"\x09\x10" + frame(0x88, b"\x03\xe8bye") + frame(0x81, "x"))
    write(t, "rsv_bit_then_binary", b"\x04\x10" + frame(0xC1, "rsv") + frame(0x82, "bin"))
    write(t, "bad_64bit_length", b"\x00\x00\x81\x7f\xff\xff\xff\xff\xff\xff\xff\xff")
    write(t, "length_16bit", b"\x06\x08" + frame(0x81, "y" * 300))
    write(t, "unmasked", b"\x00\x10\x81\x02hi")
    write(t, "pong_and_empty_close", b"\x02\x10" + frame(0x8A, "pong") + frame(0x88, b""))
    write(t, "control_fragmented", b"\x00\x10" + frame(0x09, "p"))
    write(t, "continuation_first", b"\x00\x10" + frame(0x80, "x"))
    write(t, "utf8_split_across_fragments",
          b"\x01\x10" + frame(0x01, b"\xf0\x9f") + frame(0x80, b"\x98\x80"))


# ---- protocol: one text frame ------------------------------------------------

def protocol():
    t = "protocol"
    msgs = {
        # every client message of PROTOCOL.md section 4
        "ping": {"type": "ping", "timestamp": "2025-10-22T10:00:00.123Z"},
        "typing_direct": {"type": "typing", "data": {"is_typing": True, "context": "post_123", "to_user_id": 456}},
        "typing_context_off": {"type": "typing", "data": {"is_typing": False, "context": "post_123"}},
        "subscribe": {"type": "subscribe", "context": "post_123"},
        "subscribe_presence": {"type": "subscribe", "context": "presence:42"},
        "unsubscribe": {"type": "unsubscribe", "context": "post_123"},
        "presence_away_data": {"type": "presence", "status": "away", "data": {"device": "mobile"}},
        "presence_online": {"type": "presence", "status": "online"},
        "presence_busy_nested": {"type": "presence", "status": "busy", "data": {"a": [1, 2.5, None, True], "b": {"c": "d"}}},
        "presence_offline_null_data": {"type": "presence", "status": "offline", "data": None},
        "chat": {"type": "message", "to_user_id": 456, "message": "Hello!", "timestamp": "2025-10-22T10:00:00Z", "client_msg_id": "abc"},
        "chat_no_id": {"type": "message", "to_user_id": 1, "message": "hi"},
        "auth": {"type": "auth", "token": "eyJhbGciOiJIUzI1NiJ9.e30.x"},
        # edge cases the parser documents
        "chat_max_id": {"type": "message", "to_user_id": 9223372036854775807, "message": "x"},
        "chat_id_overflow": {"type": "message", "to_user_id": 9223372036854775808, "message": "x"},
        "chat_id_zero": {"type": "message", "to_user_id": 0, "message": "x"},
        "chat_id_negative": {"type": "message", "to_user_id": -1, "message": "x"},
        "chat_id_double": {"type": "message", "to_user_id": 5.0, "message": "x"},
        "chat_id_string": {"type": "message", "to_user_id": "5", "message": "x"},
        "chat_empty_message": {"type": "message", "to_user_id": 5, "message": ""},
        "chat_empty_client_msg_id": {"type": "message", "to_user_id": 5, "message": "x", "client_msg_id": ""},
        "chat_client_msg_id_64": {"type": "message", "to_user_id": 5, "message": "x", "client_msg_id": "i" * 64},
        "chat_client_msg_id_65": {"type": "message", "to_user_id": 5, "message": "x", "client_msg_id": "i" * 65},
        "chat_null_client_msg_id": {"type": "message", "to_user_id": 5, "message": "x", "client_msg_id": None},
        "chat_4096_emoji": {"type": "message", "to_user_id": 5, "message": "\U0001F600" * 4096},
        "chat_4097_chars": {"type": "message", "to_user_id": 5, "message": "a" * 4097},
        "typing_context_128": {"type": "typing", "data": {"is_typing": True, "context": "c" * 128}},
        "typing_context_129": {"type": "typing", "data": {"is_typing": True, "context": "c" * 129}},
        "typing_is_typing_string": {"type": "typing", "data": {"is_typing": "yes", "context": "c"}},
        "typing_data_array": {"type": "typing", "data": [1]},
        "typing_to_user_null": {"type": "typing", "data": {"is_typing": True, "context": "c", "to_user_id": None}},
        "presence_bad_status": {"type": "presence", "status": "Online"},
        "presence_data_string": {"type": "presence", "status": "away", "data": "mobile"},
        "presence_data_1024": {"type": "presence", "status": "away", "data": {"k": "v" * 1016}},
        "presence_data_1025": {"type": "presence", "status": "away", "data": {"k": "v" * 1017}},
        "auth_empty_token": {"type": "auth", "token": ""},
        "type_missing": {"to_user_id": 5, "client_msg_id": "ref-1"},
        "type_number": {"type": 7, "client_msg_id": "ref-2"},
        "type_unknown": {"type": "shout", "client_msg_id": "ref-3"},
        "client_msg_id_number_ref": {"type": "message", "to_user_id": 0, "client_msg_id": 12},
    }
    for name, m in msgs.items():
        write(t, name + ".json", json.dumps(m, ensure_ascii=False, separators=(",", ":")))
    raw = {
        "duplicate_keys.json": '{"type":"ping","type":"message","to_user_id":1,"message":"last wins"}',
        "escapes.json": '{"type":"message","to_user_id":1,"message":"\\u00e9\\ud83d\\ude00\\n\\"\\\\\\/"}',
        "lone_surrogate_escape.json": '{"type":"message","to_user_id":1,"message":"\\ud800"}',
        "whitespace.json": ' \t\r\n{ "type" : "ping" } \n',
        "depth_32.json": '{"type":"presence","status":"away","data":' + '{"a":' * 30 + "1" + "}" * 30 + "}",
        "depth_33.json": '{"type":"presence","status":"away","data":' + '{"a":' * 31 + "1" + "}" * 31 + "}",
        "brackets_deep.json": "[" * 10000,
        "not_object_array.json": '[{"type":"ping"}]',
        "not_object_string.json": '"ping"',
        "truncated.json": '{"type":"message","to_user_id":1,"mess',
        "trailing_garbage.json": '{"type":"ping"}x',
        "two_objects.json": '{"type":"ping"}{"type":"ping"}',
        "nan.json": '{"type":"message","to_user_id":NaN,"message":"x"}',
        "huge_exponent.json": '{"type":"message","to_user_id":1e400,"message":"x"}',
        "comment.json": '{"type":"ping"/* no */}',
        "trailing_comma.json": '{"type":"ping",}',
        "empty.json": "",
        "null.json": "null",
    }
    for name, text in raw.items():
        write(t, name, text)
    write(t, "invalid_utf8.json", b'{"type":"message","to_user_id":1,"message":"\xff\xfe"}')
    write(t, "nul_in_string.json", b'{"type":"subscribe","context":"a\\u0000b"}')


# ---- jwt: [mode byte] token, or header\npayload\nsignature ------------------

def b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def hs256(header, payload, secret=SECRET):
    h = b64url(json.dumps(header, separators=(",", ":")).encode())
    p = b64url(json.dumps(payload, separators=(",", ":")).encode())
    sig = hmac.new(secret, f"{h}.{p}".encode(), hashlib.sha256).digest()
    return f"{h}.{p}.{b64url(sig)}"


def jwt():
    t = "jwt"
    hdr = {"alg": "HS256", "typ": "JWT"}
    good = {"sub": "42", "username": "alice", "iat": NOW, "exp": LATER, "type": "access"}
    # mode 0 (byte '0', access; '4' refresh): the token as sent
    raw = {
        "raw_valid": ("0", hs256(hdr, good)),
        "raw_valid_refresh": ("4", hs256(hdr, dict(good, type="refresh"))),
        "raw_refresh_as_access": ("0", hs256(hdr, dict(good, type="refresh"))),
        "raw_expired": ("0", hs256(hdr, dict(good, exp=NOW))),
        "raw_wrong_secret": ("0", hs256(hdr, good, b"another-secret-of-at-least-32-bytes!")),
        "raw_alg_none": ("0", b64url(b'{"alg":"none"}') + "." + b64url(json.dumps(good).encode()) + "."),
        "raw_two_segments": ("0", "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiI0MiJ9"),
        "raw_four_segments": ("0", hs256(hdr, good) + ".x"),
        "raw_bad_chars": ("0", "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiI0MiJ9.a+b/c="),
        "raw_empty": ("0", ""),
        "raw_dots": ("0", ".."),
        "raw_bearer_prefix": ("0", "Bearer " + hs256(hdr, good)),
        "raw_over_16k": ("0", "a" * 8192 + "." + "b" * 8192 + ".c"),
    }
    for name, (mode, token) in raw.items():
        write(t, name, mode + token)
    # modes 1..3: header JSON \n payload JSON \n signature bytes
    # ('1' right HMAC, '2' the bytes as signature, '3' another secret's HMAC)
    def parts(mode, header, payload, sig=b""):
        h = header if isinstance(header, str) else json.dumps(header, separators=(",", ":"))
        p = payload if isinstance(payload, str) else json.dumps(payload, separators=(",", ":"))
        return mode.encode() + h.encode() + b"\n" + p.encode() + b"\n" + sig

    structured = {
        "json_valid": parts("1", hdr, good),
        "json_minimal": parts("1", {"alg": "HS256"}, {"sub": "1", "exp": LATER}),
        "json_refresh": parts("5", hdr, dict(good, type="refresh", jti="r-1")),
        "json_service_role": parts("1", hdr, dict(good, role="service")),
        "json_sub_int": parts("1", hdr, dict(good, sub=42)),
        "json_sub_zero": parts("1", hdr, dict(good, sub="0")),
        "json_sub_negative": parts("1", hdr, dict(good, sub="-5")),
        "json_sub_leading_zero": parts("1", hdr, dict(good, sub="007")),
        "json_sub_overflow": parts("1", hdr, dict(good, sub="9223372036854775808")),
        "json_sub_missing": parts("1", hdr, {"exp": LATER}),
        "json_exp_float": parts("1", hdr, dict(good, exp=LATER + 0.5)),
        "json_exp_string": parts("1", hdr, dict(good, exp=str(LATER))),
        "json_exp_huge": parts("1", hdr, '{"sub":"1","exp":1e300}'),
        "json_exp_uint64": parts("1", hdr, '{"sub":"1","exp":18446744073709551615}'),
        "json_nbf_future": parts("1", hdr, dict(good, nbf=LATER)),
        "json_iat_future": parts("1", hdr, dict(good, iat=LATER)),
        "json_username_number": parts("1", hdr, dict(good, username=5)),
        "json_type_other": parts("1", hdr, dict(good, type="id")),
        "json_null_claims": parts("1", hdr, dict(good, username=None, role=None, iat=None)),
        "json_typ_at_jwt": parts("1", {"alg": "HS256", "typ": "at+jwt"}, good),
        "json_typ_lower": parts("1", {"alg": "HS256", "typ": "jwt"}, good),
        "json_typ_number": parts("1", {"alg": "HS256", "typ": 1}, good),
        "json_crit": parts("1", {"alg": "HS256", "crit": ["exp"]}, good),
        "json_alg_lowercase": parts("1", {"alg": "hs256"}, good),
        "json_alg_none": parts("1", {"alg": "none"}, good),
        "json_alg_missing": parts("1", {"typ": "JWT"}, good),
        "json_header_array": parts("1", "[]", good),
        "json_payload_not_json": parts("1", hdr, "not json"),
        "json_payload_invalid_utf8": b"1" + json.dumps(hdr).encode() + b"\n{\"sub\":\"1\",\"username\":\"\xff\",\"exp\":1800000000}\n",
        "json_duplicate_alg": parts("1", '{"alg":"none","alg":"HS256"}', good),
        "sig_empty": parts("2", hdr, good),
        "sig_32_bytes": parts("2", hdr, good, b"\x00" * 32),
        "sig_33_bytes": parts("2", hdr, good, b"\x01" * 33),
        "sig_other_secret": parts("3", hdr, good),
        "es256_header": parts("2", {"alg": "ES256", "typ": "JWT"}, good, b"\x05" * 64),
        "rs256_header": parts("2", {"alg": "RS256"}, good, b"\x07" * 256),
    }
    for name, data in structured.items():
        write(t, name, data)


# ---- http: the bytes a client sends ------------------------------------------

def http():
    t = "http"
    key = "dGhlIHNhbXBsZSBub25jZQ=="
    ws = ("GET /api/v1/ws?token={tok} HTTP/1.1\r\nHost: localhost:8000\r\nUpgrade: websocket\r\n"
          "Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: {ver}\r\n{extra}\r\n")
    reqs = {
        "get_health": "GET /health HTTP/1.1\r\nHost: localhost\r\n\r\n",
        "get_online_query": "GET /api/v1/online?limit=100&offset=0 HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer abc\r\n\r\n",
        "get_status_int": "GET /api/v1/status/456 HTTP/1.1\r\nHost: x\r\n\r\n",
        "get_status_not_int": "GET /api/v1/status/abc HTTP/1.1\r\nHost: x\r\n\r\n",
        "get_status_overflow": "GET /api/v1/status/99999999999999999999 HTTP/1.1\r\nHost: x\r\n\r\n",
        "post_status_405": "POST /api/v1/status/1 HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n",
        "post_follow_body": "POST /api/v1/users/5/follow HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}",
        "delete_follow": "DELETE /api/v1/users/-5/follow HTTP/1.1\r\nHost: x\r\nX-API-Key: k\r\n\r\n",
        "post_comment_two_params": "POST /api/v1/posts/1/comments/2 HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello",
        "form_login": "POST /api/v1/auth/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded; charset=UTF-8\r\nContent-Length: 41\r\n\r\nusername=al%20ice&password=p%2Bss+word%zz",
        "chunked_body": "POST /api/v1/users/7/follow HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n",
        "body_over_limit": "POST /api/v1/users/1/follow HTTP/1.1\r\nHost: x\r\nContent-Length: 2000000\r\n\r\nabc",
        "content_length_twice": "POST /health HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab",
        "fail_storage": "GET /api/v1/fail/storage HTTP/1.1\r\nHost: x\r\n\r\n",
        "fail_other": "GET /api/v1/fail/other?x=1 HTTP/1.1\r\nHost: x\r\n\r\n",
        "not_found": "GET /nope HTTP/1.1\r\nHost: x\r\n\r\n",
        "percent_path": "GET /api/v1/status/%34%35%2F6 HTTP/1.1\r\nHost: x\r\n\r\n",
        "double_slash": "GET //api//v1/online/ HTTP/1.1\r\nHost: x\r\n\r\n",
        "bad_percent": "GET /api/v1/%zz?token=%G0 HTTP/1.1\r\nHost: x\r\n\r\n",
        "absolute_form": "GET http://localhost:8000/health HTTP/1.1\r\nHost: x\r\n\r\n",
        "asterisk": "OPTIONS * HTTP/1.1\r\nHost: x\r\n\r\n",
        "http10_keep_alive": "GET /health HTTP/1.0\r\nConnection: keep-alive\r\n\r\n",
        "pipelined": "GET /health HTTP/1.1\r\nHost: x\r\n\r\nGET /api/v1/online HTTP/1.1\r\nHost: x\r\n\r\n",
        "lf_only": "GET /health HTTP/1.1\nHost: x\n\n",
        "obs_fold": "GET /health HTTP/1.1\r\nHost: x\r\nX-Long: a\r\n  b\r\n\r\n",
        "truncated_header": "GET /health HTTP/1.1\r\nHost: x\r\n",
        "garbage": "\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03",
        "empty": "",
        "upgrade_valid": ws.format(tok="abc.def.ghi", key=key, ver="13", extra="Origin: http://localhost\r\n"),
        "upgrade_since": ws.format(tok="a%2Eb%2Ec&since=17", key=key, ver="13", extra=""),
        "upgrade_bearer": ws.format(tok="", key=key, ver="13", extra="Authorization: Bearer abc.def.ghi\r\n"),
        "upgrade_version_8": ws.format(tok="t", key=key, ver="8", extra=""),
        "upgrade_key_short": ws.format(tok="t", key="dGhlIHNhbXBsZQ==", ver="13", extra=""),
        "upgrade_key_urlsafe": ws.format(tok="t", key="dGhlIHNhbXBsZSBub25jZ-_=", ver="13", extra=""),
        "upgrade_key_no_padding": ws.format(tok="t", key="dGhlIHNhbXBsZSBub25jZQ", ver="13", extra=""),
        "upgrade_key_spaces": ws.format(tok="t", key="  " + key + " ", ver="13", extra=""),
        "upgrade_post": ws.format(tok="t", key=key, ver="13", extra="").replace("GET", "POST", 1),
        "upgrade_other_path": ws.format(tok="t", key=key, ver="13", extra="").replace("/api/v1/ws", "/ws", 1),
    }
    for name, text in reqs.items():
        write(t, name, text.encode("latin-1"))
    # the header limit: 16 KiB in all, just under and just over
    base = "GET /health HTTP/1.1\r\nHost: x\r\nX-Pad: "
    fill = 16 * 1024 - len(base) - len("\r\n\r\n")
    write(t, "header_16k", base + "p" * fill + "\r\n\r\n")
    write(t, "header_over_16k", base + "p" * (fill + 1) + "\r\n\r\n")
    # Beast measures a start line complete in the first put apart from the
    # fields, and a read ending one byte into the next line leaves it
    # nothing to measure: both passed its header_limit; read_header() in
    # http_session.cpp makes them 431.
    write(t, "header_48k_in_short_lines",
          "GET /health HTTP/1.1\r\n" + "".join("X-F%d: %s\r\n" % (i, "a" * 290) for i in range(160)) + "\r\n")
    write(t, "header_30k_start_line_and_fields",
          "GET /api/v1/online?pad=" + "q" * 15000 + " HTTP/1.1\r\nHost: x\r\nX-Pad: " + "p" * 15000 + "\r\n\r\n")


if __name__ == "__main__":
    ws_frame()
    protocol()
    jwt()
    http()

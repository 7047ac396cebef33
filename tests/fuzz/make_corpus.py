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


if __name__ == "__main__":
    ws_frame()

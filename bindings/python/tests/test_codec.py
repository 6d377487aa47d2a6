"""The typed layer: postcard (checked byte for byte against libroam's C
codec), signatures and method ids (checked against the Rust peer)."""
import ctypes
import enum
import subprocess
from ctypes import byref, c_size_t, c_uint64, c_void_p, string_at
from dataclasses import dataclass
from typing import Dict, List, Optional, Tuple

import pytest

import roam
from roam._lib import PostcardReader, PostcardWriter, lib

from conftest import PEER, need
import testbed_service as tb


class CWriter:
    """libroam's own postcard writer, through ctypes."""

    def __init__(self):
        self.w = PostcardWriter()
        assert lib.roam_postcard_writer_init_growing(byref(self.w), ctypes.sizeof(self.w)) == 0

    def __getattr__(self, name):
        fn = getattr(lib, "roam_postcard_write_" + name)
        return lambda *a: fn(byref(self.w), *a)

    def finish(self):
        n = c_size_t()
        assert lib.roam_postcard_writer_finish(byref(self.w), byref(n)) == 0
        out = string_at(self.w.buf, n.value) if n.value else b""
        lib.roam_postcard_writer_free(byref(self.w))
        return out


def c_str(w, s):
    b = s.encode()
    w.str(b, len(b))


INTS = [0, 1, 127, 128, 255, 300, 16383, 16384, 65535, 2 ** 31 - 1, 2 ** 32 - 1, 2 ** 53 + 7,
        2 ** 63 - 1, 2 ** 64 - 1]
SINTS = [0, -1, 1, -64, 63, -65, 64, -128, 127, -32768, 32767, -2 ** 31, 2 ** 31 - 1,
         -2 ** 63, 2 ** 63 - 1, -123456789]


@pytest.mark.parametrize("name,bits,signed", [
    ("u8", 8, False), ("u16", 16, False), ("u32", 32, False), ("u64", 64, False),
    ("i8", 8, True), ("i16", 16, True), ("i32", 32, True), ("i64", 64, True)])
def test_integers_match_the_c_codec(name, bits, signed):
    tp = getattr(roam, name)
    values = SINTS if signed else INTS
    lo, hi = (-(1 << (bits - 1)), (1 << (bits - 1)) - 1) if signed else (0, (1 << bits) - 1)
    for v in values:
        if not lo <= v <= hi:
            with pytest.raises(OverflowError):
                roam.encode(tp, v)
            continue
        w = CWriter()
        getattr(w, name)(v)
        want = w.finish()
        assert roam.encode(tp, v) == want, (name, v)
        assert roam.decode(tp, want) == v


def test_128_bit_integers_match_the_c_codec():
    for v in [0, 1, 2 ** 64, 2 ** 100 + 5, 2 ** 128 - 1]:
        w = CWriter()
        w.u128(v >> 64, v & (2 ** 64 - 1))
        want = w.finish()
        assert roam.encode(roam.u128, v) == want
        assert roam.decode(roam.u128, want) == v
    for v in [0, -1, 2 ** 100, -2 ** 127, 2 ** 127 - 1]:
        u = v & (2 ** 128 - 1)
        hi = u >> 64
        hi = hi - 2 ** 64 if hi >= 2 ** 63 else hi
        w = CWriter()
        w.i128(hi, u & (2 ** 64 - 1))
        want = w.finish()
        assert roam.encode(roam.i128, v) == want
        assert roam.decode(roam.i128, want) == v


def test_scalars_strings_and_containers_match_the_c_codec():
    w = CWriter()
    w.f64(3.25)
    w.f32(ctypes.c_float(-1.5))
    w.bool(1)
    w.bool(0)
    c_str(w, "héllo ✓ 🦀")
    w.bytes(b"\x00\xff\x10", 3)
    w.option(0)
    w.option(1)
    c_str(w, "x")
    w.len(3)
    for n in (1, -2, 300):
        w.i32(n)
    w.char(0x1F980)
    w.variant(2)
    w.len(2)
    c_str(w, "k")
    w.u16(9)
    c_str(w, "l")
    w.u16(70000 & 0xFFFF)
    want = w.finish()
    got = bytearray()
    for tp, v in [(roam.f64, 3.25), (roam.f32, -1.5), (bool, True), (bool, False),
                  (str, "héllo ✓ 🦀"), (bytes, b"\x00\xff\x10"), (Optional[str], None),
                  (Optional[str], "x"), (List[roam.i32], [1, -2, 300]), (roam.char, "🦀"),
                  (tb.Color, tb.Color.Blue), (Dict[str, roam.u16], {"k": 9, "l": 70000 & 0xFFFF})]:
        got += roam.encode(tp, v)
    assert bytes(got) == want


def test_structs_and_enums_match_the_c_codec():
    # Canvas{"sketch", [Circle{2.0}, Rectangle{3.0, 4.5}, Point], Green}
    w = CWriter()
    c_str(w, "sketch")
    w.len(3)
    w.variant(0)
    w.f64(2.0)
    w.variant(1)
    w.f64(3.0)
    w.f64(4.5)
    w.variant(2)
    w.variant(1)
    want = w.finish()
    canvas = tb.Canvas("sketch", [tb.Shape.Circle(radius=2.0), tb.Shape.Rectangle(3.0, 4.5),
                                  tb.Shape.Point()], tb.Color.Green)
    assert roam.encode(tb.Canvas, canvas) == want
    assert roam.decode(tb.Canvas, want) == canvas
    # Message::Number(-300), Message::Data([1, 2]), (7, "seven")
    w = CWriter()
    w.variant(1)
    w.i64(-300)
    w.variant(2)
    w.bytes(b"\x01\x02", 2)
    w.i32(7)
    c_str(w, "seven")
    want = w.finish()
    got = (roam.encode(tb.Message, tb.Message.Number(-300)) +
           roam.encode(tb.Message, tb.Message.Data(b"\x01\x02")) +
           roam.encode(Tuple[roam.i32, str], (7, "seven")))
    assert got == want


def test_c_reader_reads_what_python_writes():
    data = roam.encode(Tuple[roam.u64, str, roam.i32], (2 ** 40 + 3, "naïve", -77))
    r = PostcardReader()
    assert lib.roam_postcard_reader_init(byref(r), ctypes.sizeof(r), data, len(data)) == 0
    u = c_uint64()
    assert lib.roam_postcard_read_u64(byref(r), byref(u)) == 0 and u.value == 2 ** 40 + 3
    p, n = c_void_p(), c_size_t()
    assert lib.roam_postcard_read_str(byref(r), byref(p), byref(n)) == 0
    assert string_at(p.value, n.value).decode() == "naïve"
    i = ctypes.c_int32()
    assert lib.roam_postcard_read_i32(byref(r), byref(i)) == 0 and i.value == -77
    assert lib.roam_postcard_reader_finish(byref(r)) == 0


@pytest.mark.parametrize("tp,data,code", [
    (roam.u32, b"\x80", roam.ETRUNCATED),
    (roam.u16, b"\xff\xff\x7f", roam.ERANGE),
    (roam.u32, b"\xff\xff\xff\xff\xff\x01", roam.EOVERLONG),
    (str, b"\x05ab", roam.EBADLENGTH),
    (str, b"\x02\xc3\x28", roam.EBADUTF8),
    (bool, b"\x02", roam.ERANGE),
    (Optional[roam.u8], b"\x02\x00", roam.EBADTAG),
    (tb.Color, b"\x03", roam.EBADTAG),
    (tb.Shape, b"\x07", roam.EBADTAG),
    (List[roam.u32], b"\xff\x01\x00", roam.EBADLENGTH),
    (roam.u8, b"\x01\x02", roam.ETRAILING),
])
def test_malformed_input_is_a_decode_error(tp, data, code):
    with pytest.raises(roam.DecodeError) as e:
        roam.decode(tp, data)
    assert e.value.code == code


def test_values_round_trip():
    @dataclass
    class Node:
        value: roam.i32
        children: List["Node"]

    tree = Node(1, [Node(2, []), Node(3, [Node(4, [])])])
    assert roam.decode(Node, roam.encode(Node, tree)) == tree
    for tp, v in [(Optional[tb.Person], tb.Person("Éve", 255, None)),
                  (List[tb.Point], [tb.Point(-1, 2), tb.Point(3, -4)]),
                  (roam.Result[roam.i64, tb.MathError], roam.Err(tb.MathError.Overflow)),
                  (roam.Result[roam.i64, tb.MathError], roam.Ok(5)),
                  (Tuple[str, roam.i32], ("a", -1))]:
        assert roam.decode(tp, roam.encode(tp, v)) == v


def test_data_enum_values():
    c = tb.Shape.Circle(radius=2.0)
    assert c.radius == 2.0 and isinstance(c, tb.Shape) and c == tb.Shape.Circle(2.0)
    assert tb.Message.Text("hi").value == "hi"
    assert tb.Shape.Point() == tb.Shape.Point() and tb.Shape.Point() != c
    with pytest.raises(TypeError):
        tb.Shape()
    with pytest.raises(TypeError):
        tb.Shape.Rectangle(width=1.0)


def test_testbed_method_ids_equal_the_rust_crates():
    need(PEER, "the Rust peer (ROAM_PEER)")
    out = subprocess.run([PEER, "method-ids-testbed"], capture_output=True, text=True,
                         timeout=30, check=True).stdout
    want = {}
    for ln in out.splitlines():
        parts = ln.split()
        if len(parts) == 3 and parts[0] == "METHOD" and parts[1].startswith("Testbed."):
            want[parts[1]] = int(parts[2], 16)
    got = {m.name: m.id for m in tb.Testbed.methods()}
    assert len(want) == 16
    assert got == want


def test_signatures_follow_the_declarations():
    class Kind(enum.Enum):
        A = 0
        B = 1

    @roam.service
    class Lab:
        async def unit(self) -> None: ...
        async def one(self, k: Kind) -> roam.Result[Kind, str]: ...
    unit, one = Lab.methods()
    assert unit.signature == bytes([0x10, 0x10])  # () -> ()
    assert one.is_result and one.signature[-1] == 0x10  # Result hashes as unit
    assert unit.id == roam.method_id("Lab", "unit", unit.signature)
    # kebab-case: the same id whatever the spelling
    assert roam.method_id("Lab", "unit", unit.signature) == roam.method_id(
        "lab", "unit", unit.signature)

"""roam 7.3.0's Testbed conformance service, declared in Python, and an
implementation with the semantics of the Rust peer's serve-testbed.

An example of a typed service: dataclasses are structs, enum.Enum unit
enums, roam.DataEnum enums with data, roam.Result[T, E] user errors,
roam.Rx / roam.Tx channels, roam.u8 / roam.i32 / ... integer widths.
"""
import enum
import math
from dataclasses import dataclass
from typing import List, Optional, Tuple

import roam
from roam import f64, i32, i64, u8, u32


@dataclass
class Point:
    x: i32
    y: i32


@dataclass
class Person:
    name: str
    age: u8
    email: Optional[str]


@dataclass
class Rectangle:
    top_left: Point
    bottom_right: Point
    label: Optional[str]


class Color(enum.Enum):
    Red = 0
    Green = 1
    Blue = 2


class Shape(roam.DataEnum):
    Circle = roam.variant(radius=f64)
    Rectangle = roam.variant(width=f64, height=f64)
    Point = roam.variant()


@dataclass
class Canvas:
    name: str
    shapes: List[Shape]
    background: Color


class Message(roam.DataEnum):
    Text = roam.variant(str)
    Number = roam.variant(i64)
    Data = roam.variant(bytes)


class MathError(enum.Enum):
    DivisionByZero = 0
    Overflow = 1


class LookupError(enum.Enum):  # noqa: A001 (the Rust name)
    NotFound = 0
    AccessDenied = 1


@roam.service
class Testbed:
    async def echo(self, message: str) -> str: ...
    async def reverse(self, message: str) -> str: ...
    async def divide(self, dividend: i64, divisor: i64) -> roam.Result[i64, MathError]: ...
    async def lookup(self, id: u32) -> roam.Result[Person, LookupError]: ...
    async def sum(self, numbers: roam.Rx[i32]) -> i64: ...
    async def generate(self, count: u32, output: roam.Tx[i32]) -> None: ...
    async def transform(self, input: roam.Rx[str], output: roam.Tx[str]) -> None: ...
    async def echo_point(self, point: Point) -> Point: ...
    async def create_person(self, name: str, age: u8, email: Optional[str]) -> Person: ...
    async def rectangle_area(self, rect: Rectangle) -> f64: ...
    async def parse_color(self, name: str) -> Optional[Color]: ...
    async def shape_area(self, shape: Shape) -> f64: ...
    async def create_canvas(self, name: str, shapes: List[Shape], background: Color) -> Canvas: ...
    async def process_message(self, msg: Message) -> Message: ...
    async def get_points(self, count: u32) -> List[Point]: ...
    async def swap_pair(self, pair: Tuple[i32, str]) -> Tuple[str, i32]: ...


KNOWN_PEOPLE = {
    1: Person("Alice", 30, "alice@example.com"),
    2: Person("Bob", 25, None),
    3: Person("Charlie", 35, "charlie@example.com"),
}

I64_MIN = -(1 << 63)


def shape_area_of(shape):
    if isinstance(shape, Shape.Circle):
        return math.pi * shape.radius * shape.radius
    if isinstance(shape, Shape.Rectangle):
        return shape.width * shape.height
    return 0.0


def _wrap_i64(n):
    n &= (1 << 64) - 1
    return n - (1 << 64) if n >= (1 << 63) else n


class TestbedImpl(Testbed):
    """The server: plain methods answer at once, async ones when they return."""

    def echo(self, message):
        return message

    def reverse(self, message):
        return message[::-1]  # by code point = Unicode scalar value

    def divide(self, dividend, divisor):
        if divisor == 0:
            return roam.Err(MathError.DivisionByZero)
        if dividend == I64_MIN and divisor == -1:
            raise roam.UserError(MathError.Overflow)
        q = abs(dividend) // abs(divisor)
        return q if (dividend < 0) == (divisor < 0) else -q  # truncating, as Rust

    def lookup(self, id):
        p = KNOWN_PEOPLE.get(id)
        if p is None:
            return roam.Err(LookupError.NotFound)
        return p

    async def sum(self, numbers):
        total = 0
        async for n in numbers:
            total += n
        return total

    async def generate(self, count, output):
        for i in range(count):
            await output.send(i)
        output.close()

    async def transform(self, input, output):
        async for s in input:
            await output.send(s)
        output.close()

    def echo_point(self, point):
        return point

    def create_person(self, name, age, email):
        return Person(name, age, email)

    def rectangle_area(self, rect):
        w = abs(rect.bottom_right.x - rect.top_left.x)
        h = abs(rect.bottom_right.y - rect.top_left.y)
        return float(w) * float(h)

    def parse_color(self, name):
        return {"red": Color.Red, "green": Color.Green, "blue": Color.Blue}.get(
            name.lower() if name.isascii() else name)

    def shape_area(self, shape):
        return shape_area_of(shape)

    def create_canvas(self, name, shapes, background):
        return Canvas(name, shapes, background)

    def process_message(self, msg):
        if isinstance(msg, Message.Text):
            return Message.Text("processed: " + msg.value)
        if isinstance(msg, Message.Number):
            return Message.Number(_wrap_i64(msg.value * 2))
        return Message.Data(msg.value[::-1])

    def get_points(self, count):
        return [Point(i, _wrap_i32(i * 2)) for i in range(count)]

    def swap_pair(self, pair):
        n, s = pair
        return (s, n)


def _wrap_i32(n):
    n &= 0xFFFFFFFF
    return n - (1 << 32) if n >= (1 << 31) else n

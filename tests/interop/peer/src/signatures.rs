//! Method ids and BLAKE3 hashes as the Rust crates compute them, for
//! libroam's C signature builder to be checked against in the same test run
//! (tests/interop/method_ids_match_rust.c, tests/test_blake3.cpp).
//!
//!   method-ids-testbed   `METHOD <Service>.<method> 0x<id>` for every method
//!                        of the Testbed service (the interface of roam
//!                        7.3.0's spec/spec-proto) and of the extra methods
//!                        below, which between them use every signature tag
//!   blake3               `BLAKE3 <len> <hex>` for the official test-vector
//!                        inputs (byte i is i % 251)

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

use facet::Facet;
use roam::hash::method_id;
use roam::{Rx, Tx};

use crate::out;

// ---- Testbed: spec-proto's conformance service ----------------------------------

#[derive(Debug, Clone, PartialEq, Facet)]
pub struct Point {
    pub x: i32,
    pub y: i32,
}

#[derive(Debug, Clone, PartialEq, Facet)]
pub struct Person {
    pub name: String,
    pub age: u8,
    pub email: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Facet)]
pub struct Rectangle {
    pub top_left: Point,
    pub bottom_right: Point,
    pub label: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Facet)]
#[repr(u8)]
pub enum Color {
    Red = 0,
    Green = 1,
    Blue = 2,
}

#[derive(Debug, Clone, PartialEq, Facet)]
#[repr(u8)]
pub enum Shape {
    Circle { radius: f64 } = 0,
    Rectangle { width: f64, height: f64 } = 1,
    Point = 2,
}

#[derive(Debug, Clone, PartialEq, Facet)]
pub struct Canvas {
    pub name: String,
    pub shapes: Vec<Shape>,
    pub background: Color,
}

#[derive(Debug, Clone, PartialEq, Facet)]
#[repr(u8)]
pub enum Message {
    Text(String) = 0,
    Number(i64) = 1,
    Data(Vec<u8>) = 2,
}

#[derive(Debug, Clone, PartialEq, Facet)]
#[repr(u8)]
pub enum TestbedMathError {
    DivisionByZero = 0,
    Overflow = 1,
}

#[derive(Debug, Clone, PartialEq, Facet)]
#[repr(u8)]
pub enum LookupError {
    NotFound = 0,
    AccessDenied = 1,
}

#[roam::service]
pub trait Testbed {
    async fn echo(&self, message: String) -> String;
    async fn reverse(&self, message: String) -> String;
    async fn divide(&self, dividend: i64, divisor: i64) -> Result<i64, TestbedMathError>;
    async fn lookup(&self, id: u32) -> Result<Person, LookupError>;
    async fn sum(&self, numbers: Rx<i32>) -> i64;
    async fn generate(&self, count: u32, output: Tx<i32>);
    async fn transform(&self, input: Rx<String>, output: Tx<String>);
    async fn echo_point(&self, point: Point) -> Point;
    async fn create_person(&self, name: String, age: u8, email: Option<String>) -> Person;
    async fn rectangle_area(&self, rect: Rectangle) -> f64;
    async fn parse_color(&self, name: String) -> Option<Color>;
    async fn shape_area(&self, shape: Shape) -> f64;
    async fn create_canvas(&self, name: String, shapes: Vec<Shape>, background: Color) -> Canvas;
    async fn process_message(&self, msg: Message) -> Message;
    async fn get_points(&self, count: u32) -> Vec<Point>;
    async fn swap_pair(&self, pair: (i32, String)) -> (String, i32);
}

// ---- extra shapes: every tag, tuple structs, tuple variants, recursion ----------

/// A tuple struct: hashed as a tuple of its fields.
#[derive(Debug, Clone, PartialEq, Facet)]
pub struct Pair(pub u8, pub String);

/// A unit struct: hashed as unit.
#[derive(Debug, Clone, PartialEq, Facet)]
pub struct Marker;

/// A newtype tuple struct: a tuple of one.
#[derive(Debug, Clone, PartialEq, Facet)]
pub struct Meters(pub f32);

/// Recursive through a list of itself.
#[derive(Debug, Clone, PartialEq, Facet)]
pub struct Tree {
    pub value: u32,
    pub children: Vec<Tree>,
}

/// Recursive through Option<Box<_>>, with a tuple between.
#[derive(Debug, Clone, PartialEq, Facet)]
pub struct Node {
    pub label: String,
    pub next: Option<Box<Node>>,
    pub kids: Vec<(u16, Node)>,
}

/// A recursive enum with every variant kind (unit, newtype, tuple, struct).
#[derive(Debug, Clone, PartialEq, Facet)]
#[repr(u8)]
pub enum Expr {
    Zero,
    Lit(i64),
    Add(Box<Expr>, Box<Expr>),
    Neg {
        inner: Box<Expr>,
    },
    Empty(),
    Let {
        name: String,
        value: Box<Expr>,
        body: Tree,
    },
}

/// Mutual recursion: a back-reference past another struct.
#[derive(Debug, Clone, PartialEq, Facet)]
pub struct Outer {
    pub inner: Inner,
}

#[derive(Debug, Clone, PartialEq, Facet)]
pub struct Inner {
    pub up: Option<Box<Outer>>,
    pub me: Vec<Inner>,
}

fn print_id(service: &str, method: &str, id: roam::MethodId) {
    out::line(format!("METHOD {service}.{method} 0x{:016x}", id.0));
}

/// `METHOD` for one method, its id computed from its args tuple and return type.
macro_rules! print_method {
    ($service:expr, $method:literal, $args:ty => $ret:ty) => {
        print_id(
            $service,
            $method,
            method_id::<$args, $ret>($service, $method),
        )
    };
}

/// The extra methods (names as a Rust trait would spell them).
fn print_extra_ids() {
    const S: &str = "SignatureLab";
    print_method!(S, "primitives", (bool, u8, u16, u32) => (u64, u128, i8, i16));
    print_method!(S, "more_primitives", (i32, i64, i128, f32) => (f64, char, String, ()));
    print_method!(S, "sizes", (usize, isize) => Vec<u8>);
    print_method!(S, "no_args", () => u64);
    print_method!(S, "nothing", (String,) => ());
    print_method!(S, "containers",
        (Vec<u16>, Option<Vec<u8>>, [u16; 4], HashMap<String, Vec<i32>>)
            => BTreeMap<u8, HashSet<String>>);
    print_method!(S, "sets_and_arrays",
        (BTreeSet<u64>, [[u8; 2]; 3], Vec<Vec<String>>) => Option<Option<bool>>);
    print_method!(S, "channels", (Tx<Point>, Rx<Vec<u8>>, Tx<Option<String>>) => u32);
    print_method!(S, "tuples", ((u8, (i8, char)), Pair, Meters, Marker) => (Marker, Pair));
    print_method!(S, "results", (u32,) => Result<Vec<Point>, LookupError>);
    print_method!(S, "tree", (Tree,) => Node);
    print_method!(S, "expr", (Expr, Outer) => Option<Box<Expr>>);
    print_method!("XMLHttpService", "HTTPGetV2", (String,) => String);
}

/// `METHOD <Service>.<method> 0x<id>` for Testbed and the extra methods.
pub fn print_method_ids() {
    for m in testbed_service_descriptor().methods {
        print_id(m.service_name, m.method_name, m.id);
    }
    print_extra_ids();
}

/// `BLAKE3 <len> <hex>` for the test-vector inputs.
pub fn print_blake3() {
    const LENGTHS: &[usize] = &[
        0, 1, 63, 64, 65, 1023, 1024, 1025, 2048, 2049, 3072, 3073, 4096, 4097, 8192, 8193, 16384,
        31744, 102400,
    ];
    for &len in LENGTHS {
        let input: Vec<u8> = (0..len).map(|i| (i % 251) as u8).collect();
        out::line(format!("BLAKE3 {len} {}", blake3::hash(&input).to_hex()));
    }
}

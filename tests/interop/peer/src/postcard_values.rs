//! `postcard-values`: one line `NAME HEX` per value of a fixed list, each
//! encoded by facet-postcard (the codec the roam 7.3.0 crates use).
//! tests/interop/postcard_values.c writes the same list with libroam's
//! roam_postcard_* writer; check_postcard.sh says the two must match.

use std::collections::BTreeMap;

use facet::Facet;

#[derive(Facet)]
struct Point {
    x: i32,
    y: i32,
}

#[derive(Facet)]
#[repr(u8)]
#[allow(dead_code)]
enum Shape {
    Empty,
    Circle(f64),
    Rect { w: u32, h: u32 },
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

macro_rules! values {
    ($($name:literal => $value:expr),* $(,)?) => {{
        let mut lines = Vec::new();
        $(
            let value = $value;
            let bytes = facet_postcard::to_vec(&value).expect("postcard encodes");
            lines.push(format!("{} {}", $name, hex(&bytes)));
        )*
        lines
    }};
}

/// The list, in the order postcard_values.c writes it.
pub fn print() {
    let lines = values! {
        "u8_0" => 0u8,
        "u8_max" => u8::MAX,
        "i8_min" => i8::MIN,
        "i8_neg1" => -1i8,
        "u16_max" => u16::MAX,
        "u32_max" => u32::MAX,
        "u64_0" => 0u64,
        "u64_127" => 127u64,
        "u64_128" => 128u64,
        "u64_max" => u64::MAX,
        "u128_2p64" => 1u128 << 64,
        "u128_max" => u128::MAX,
        "i16_min" => i16::MIN,
        "i32_min" => i32::MIN,
        "i64_min" => i64::MIN,
        "i64_max" => i64::MAX,
        "i128_min" => i128::MIN,
        "i128_max" => i128::MAX,
        "i128_neg1" => -1i128,
        "f32_1_5" => 1.5f32,
        "f32_neg0" => -0.0f32,
        "f64_1_5" => 1.5f64,
        "f64_min_positive" => f64::MIN_POSITIVE,
        "bool_true" => true,
        "bool_false" => false,
        "char_a" => 'a',
        "char_e_acute" => '\u{e9}',
        "char_euro" => '\u{20ac}',
        "char_crab" => '\u{1f980}',
        "str_empty" => String::new(),
        "str_hello" => String::from("hello"),
        "str_unicode" => String::from("h\u{e9}llo \u{4e16}\u{754c} \u{1f980}"),
        "bytes_empty" => Vec::<u8>::new(),
        "bytes_deadbeef" => vec![0xdeu8, 0xad, 0xbe, 0xef],
        "option_none_u32" => None::<u32>,
        "option_some_u32_42" => Some(42u32),
        "option_some_str" => Some(String::from("hi")),
        "vec_i32" => vec![-1i32, 0, 1],
        "vec_option_u8" => vec![Some(1u8), None, Some(255u8)],
        "map_u32_str" => BTreeMap::from([(1u32, String::from("a")), (300u32, String::from("b"))]),
        "result_ok_u32" => Ok::<u32, String>(7),
        "result_err_str" => Err::<u32, String>(String::from("x")),
        "unit" => (),
        "tuple_u32_str_bool" => (5u32, String::from("t"), true),
        "array_u16_3" => [1u16, 128, 65535],
        "struct_point" => Point { x: -3, y: 4 },
        "enum_unit" => Shape::Empty,
        "enum_newtype" => Shape::Circle(2.0),
        "enum_struct" => Shape::Rect { w: 3, h: 300 },
    };
    for line in lines {
        println!("{line}");
    }
}

# frozen_string_literal: true

require_relative "test_helper"

class TestTypes < Minitest::Test
  include TestbedTypes

  def peer_ids
    @peer_ids ||= IO.popen([PEER, "method-ids-testbed"], &:read).scan(/^METHOD (\S+) 0x(\h+)$/).to_h { |n, h| [n, h.to_i(16)] }
  end

  def test_every_testbed_id_is_the_rust_one
    testbed = peer_ids.select { |n, _| n.start_with?("Testbed.") }
    assert_equal 16, testbed.size
    assert_equal 16, Testbed.rpcs.size
    Testbed.rpcs.each do |m|
      assert_equal testbed.fetch(m.full_name), m.id, "#{m.full_name} id"
    end
  end

  Pt = Roam.struct(:Point, x: :i32, y: :i32)

  def test_more_signatures_match_the_rust_ids
    lab = Roam.service(:SignatureLab) do
      method :primitives, %i[bool u8 u16 u32] => Roam.tuple(:u64, :u128, :i8, :i16)
      method :more_primitives, %i[i32 i64 i128 f32] => Roam.tuple(:f64, :char, :string, :unit)
      method :sizes, %i[u64 i64] => :bytes
      method :no_args, [] => :u64
      method :nothing, [:string] => nil
      method :containers, [Roam.list(:u16), Roam.option(:bytes), Roam.array(:u16, 4),
                           Roam.map(:string, Roam.list(:i32))] => Roam.map(:u8, Roam.set(:string))
      method :sets_and_arrays, [Roam.set(:u64), Roam.array(Roam.array(:u8, 2), 3),
                                Roam.list(Roam.list(:string))] => Roam.option(Roam.option(:bool))
      method :channels, [Roam.tx(Pt), Roam.rx(:bytes), Roam.tx(Roam.option(:string))] => :u32
      method :results, [:u32] => Roam.result(Roam.list(Pt), LookupError)
    end
    xml = Roam.service(:XMLHttpService) { method :HTTPGetV2, [:string] => :string }
    (lab.rpcs + xml.rpcs).each do |m|
      assert_equal peer_ids.fetch(m.full_name), m.id, m.full_name
    end
  end

  def test_postcard_bytes
    assert_equal [2, 1].pack("C*"), Roam.encode(Point, Point.new(1, -1))
    assert_equal "\x05hello".b, Roam.encode(:string, "hello")
    assert_equal "\xAC\x02".b, Roam.encode(:u32, 300)
    assert_equal "\x01\x02".b, Roam.encode(Roam.option(:u8), 2)
    assert_equal "\x00".b, Roam.encode(Roam.option(:u8), nil)
    assert_equal "\x01".b, Roam.encode(Color, Color::Green)
    assert_equal "\x02".b, Roam.encode(Color, :Blue)
    assert_equal "\x00".b + [2.0].pack("E"), Roam.encode(Shape, Shape::Circle.new(radius: 2.0))
    assert_equal "\x02".b, Roam.encode(Shape, Shape::Point)
    assert_equal "\x01\x2a".b, Roam.encode(Message, Message::Number.new(21))
    assert_equal "\x00".b * 0, Roam.encode(:unit, nil)
    assert_equal "\x02\x01\x02\x03\x04".b, Roam.encode(Roam.list(Roam.tuple(:u8, :u8)), [[1, 2], [3, 4]])
    big = 2**100 + 7
    assert_equal big, Roam.decode(:u128, Roam.encode(:u128, big))
    assert_equal(-big, Roam.decode(:i128, Roam.encode(:i128, -big)))
    assert_equal "✓", Roam.decode(:char, Roam.encode(:char, "✓"))
    h = { "a" => [1, -2], "b" => [] }
    assert_equal h, Roam.decode(Roam.map(:string, Roam.list(:i32)), Roam.encode(Roam.map(:string, Roam.list(:i32)), h))
    assert_equal Set[1, 5], Roam.decode(Roam.set(:u64), Roam.encode(Roam.set(:u64), Set[1, 5]))
  end

  def test_round_trips_of_declared_types
    canvas = Canvas.new("c", [Shape::Circle.new(1.5), Shape::Rectangle.new(width: 2.0, height: 3.0), Shape::Point], Color::Blue)
    assert_equal canvas, Roam.decode(Canvas, Roam.encode(Canvas, canvas))
    person = Person.new(name: "Éve", age: 255, email: nil)
    assert_equal person, Roam.decode(Person, Roam.encode(Person, person))
    msg = Message::Data.new("\x00\xff".b)
    assert_equal msg, Roam.decode(Message, Roam.encode(Message, msg))
    assert_kind_of Shape, Shape::Point
    assert_kind_of Shape, Shape::Circle.new(1.0)
    assert_same Color::Red, Roam.decode(Color, "\x00".b)
  end

  def test_bad_values_raise_roam_errors
    e = assert_raises(Roam::EINVAL) { Roam.encode(:u8, 256) }
    assert_equal Roam::EINVAL::CODE, e.code
    assert_equal :EINVAL, e.name
    assert_raises(Roam::Error) { Roam.encode(:i32, "1") }
    assert_raises(Roam::Error) { Roam.encode(Point, [1, 2]) }
    assert_raises(Roam::Error) { Roam.encode(Color, :Purple) }
    assert_raises(Roam::EINVAL) { Roam.encode(:string, "\xff".b.force_encoding("UTF-8")) }
    assert_raises(Roam::ETRAILING) { Roam.decode(:u8, "\x01\x02".b) }
    assert_raises(Roam::EBADLENGTH) { Roam.decode(:string, "\x05ab".b) }
    assert_raises(Roam::ETRUNCATED) { Roam.decode(:u32, "\x80".b) }
    assert_raises(Roam::EBADTAG) { Roam.decode(Color, "\x07".b) }
    assert_raises(Roam::EBADUTF8) { Roam.decode(:string, "\x01\xff".b) }
  end

  def test_errors
    e = Roam::Error.for(-7, "conn 3")
    assert_instance_of Roam::ECLOSED, e
    assert_kind_of Roam::Error, e
    assert_equal(-7, e.code)
    assert_equal :ECLOSED, e.name
    assert_match(/ROAM_ECLOSED: .*: conn 3/, e.message)
    assert_instance_of Roam::UserError, Roam::Error.for(-22)
  end
end

class TestTypeEdges < Minitest::Test
  def test_strings_of_other_encodings
    assert_equal "\x02\xC3\xA9".b, Roam.encode(:string, "é".b) # binary but UTF-8: taken as is
    assert_equal "\x02\xC3\xA9".b, Roam.encode(:string, "é".encode("ISO-8859-1"))
    assert_equal "\x03abc".b, Roam.encode(:string, :abc)
    assert_raises(Roam::EINVAL) { Roam.encode(:string, "\xff".b) }
    assert_equal Encoding::UTF_8, Roam.decode(:string, "\x01a".b).encoding
    assert_equal Encoding::BINARY, Roam.decode(:bytes, "\x01a".b).encoding
  end
end

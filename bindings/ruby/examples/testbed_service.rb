# frozen_string_literal: true

# roam 7.3.0's Testbed (the Rust peer's src/signatures.rs), declared with
# the Ruby typed layer, and an implementation with the semantics the Rust
# peer's call-testbed checks (tests/interop/peer/src/testbed.rs).
require "roam"

module TestbedTypes
  Point = Roam.struct(:Point, x: :i32, y: :i32)
  Person = Roam.struct(:Person, name: :string, age: :u8, email: Roam.option(:string))
  Rectangle = Roam.struct(:Rectangle, top_left: Point, bottom_right: Point, label: Roam.option(:string))
  Color = Roam.enum(:Color, :Red, :Green, :Blue)
  Shape = Roam.enum(:Shape, Circle: { radius: :f64 }, Rectangle: { width: :f64, height: :f64 }, Point: nil)
  Canvas = Roam.struct(:Canvas, name: :string, shapes: Roam.list(Shape), background: Color)
  Message = Roam.enum(:Message, Text: :string, Number: :i64, Data: :bytes)
  MathError = Roam.enum(:MathError, :DivisionByZero, :Overflow)
  LookupError = Roam.enum(:LookupError, :NotFound, :AccessDenied)

  Testbed = Roam.service(:Testbed) do
    method :echo, [:string] => :string
    method :reverse, [:string] => :string
    method :divide, [:i64, :i64] => Roam.result(:i64, MathError)
    method :lookup, [:u32] => Roam.result(Person, LookupError)
    method :sum, [Roam.rx(:i32)] => :i64
    method :generate, [:u32, Roam.tx(:i32)] => nil
    method :transform, [Roam.rx(:string), Roam.tx(:string)] => nil
    method :echo_point, [Point] => Point
    method :create_person, [:string, :u8, Roam.option(:string)] => Person
    method :rectangle_area, [Rectangle] => :f64
    method :parse_color, [:string] => Roam.option(Color)
    method :shape_area, [Shape] => :f64
    method :create_canvas, [:string, Roam.list(Shape), Color] => Canvas
    method :process_message, [Message] => Message
    method :get_points, [:u32] => Roam.list(Point)
    method :swap_pair, [Roam.tuple(:i32, :string)] => Roam.tuple(:string, :i32)
  end

  # The people `lookup` knows; every other id is NotFound.
  PEOPLE = {
    1 => Person.new("Alice", 30, "alice@example.com"),
    2 => Person.new("Bob", 25, nil),
    3 => Person.new("Charlie", 35, "charlie@example.com")
  }.freeze

  def self.shape_area_of(shape)
    case shape
    when Shape::Circle then Math::PI * shape.radius * shape.radius
    when Shape::Rectangle then shape.width * shape.height
    else 0.0
    end
  end

  # The server: one method per Testbed method. Handlers that answer later
  # (the channel ones) take a `reply:` keyword.
  class TestbedImpl
    I64_MIN = -(2**63)

    def echo(s) = s
    def reverse(s) = s.reverse # by character (Unicode scalar value)

    def divide(a, b)
      raise Roam::UserError, MathError::DivisionByZero if b.zero?
      raise Roam::UserError, MathError::Overflow if a == I64_MIN && b == -1

      q = a.abs / b.abs # Rust truncates toward zero
      (a.negative? ^ b.negative?) ? -q : q
    end

    def lookup(id) = PEOPLE.fetch(id) { raise Roam::UserError, LookupError::NotFound }

    def sum(numbers, reply:)
      total = 0
      numbers.on_item { |n| total += n }
      numbers.on_end { |reason| reason.zero? ? reply.ok(total) : reply.fail }
    end

    def generate(count, output)
      count.times { |i| output << i }
      output.close
      nil
    end

    # Every string that comes in goes straight back out, in order.
    def transform(input, output, reply:)
      input.on_item { |s| output << s }
      input.on_end do
        output.close
        reply.ok(nil)
      end
    end

    def echo_point(p) = p
    def create_person(name, age, email) = Person.new(name, age, email)

    def rectangle_area(r)
      (r.bottom_right.x - r.top_left.x).abs.to_f * (r.bottom_right.y - r.top_left.y).abs
    end

    def parse_color(name)
      { "red" => Color::Red, "green" => Color::Green, "blue" => Color::Blue }[name.downcase(:ascii)]
    end

    def shape_area(shape) = TestbedTypes.shape_area_of(shape)
    def create_canvas(name, shapes, background) = Canvas.new(name, shapes, background)

    def process_message(msg)
      case msg
      when Message::Text then Message::Text.new("processed: #{msg.value}")
      when Message::Number
        n = (msg.value * 2) & (2**64 - 1) # wrapping
        Message::Number.new(n >= 2**63 ? n - 2**64 : n)
      else Message::Data.new(msg.value.reverse)
      end
    end

    def get_points(count) = Array.new(count) { |i| Point.new(i, 2 * i) }
    def swap_pair(pair) = [pair[1], pair[0]]
  end
end

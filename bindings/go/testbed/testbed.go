// Package testbed declares roam 7.3.0's Testbed conformance service (the
// Rust peer's serve-testbed / call-testbed, tests/cxx/testbed.hpp) with
// the Go typed layer, implements it, and holds the checks call-testbed
// makes. It is an example of a typed service, used by cmd/roam-testbed and
// the tests.
package testbed

import (
	"context"
	"errors"
	"io"
	"math"
	"strings"

	roam "github.com/libroam/roam-go"
)

type Point struct {
	X int32 `roam:"x"`
	Y int32 `roam:"y"`
}

type Person struct {
	Name  string  `roam:"name"`
	Age   uint8   `roam:"age"`
	Email *string `roam:"email"`
}

type Rectangle struct {
	TopLeft     Point   `roam:"top_left"`
	BottomRight Point   `roam:"bottom_right"`
	Label       *string `roam:"label"`
}

// Color is a unit enum.
type Color int

const (
	Red Color = iota
	Green
	Blue
)

// Shape is an enum with payloads: Circle, Rect (variant "Rectangle"), ShapePoint (variant "Point").
type Shape interface{ isShape() }

type Circle struct {
	Radius float64 `roam:"radius"`
}
type Rect struct {
	Width  float64 `roam:"width"`
	Height float64 `roam:"height"`
}
type ShapePoint struct{}

func (Circle) isShape()     {}
func (Rect) isShape()       {}
func (ShapePoint) isShape() {}

type Canvas struct {
	Name       string  `roam:"name"`
	Shapes     []Shape `roam:"shapes"`
	Background Color   `roam:"background"`
}

// Message is an enum of newtype variants: Text(String), Number(i64), Data(Vec<u8>).
type Message interface{ isMessage() }

type Text string
type Number int64
type Data []byte

func (Text) isMessage()   {}
func (Number) isMessage() {}
func (Data) isMessage()   {}

// MathError is divide's user error.
type MathError int

const (
	DivisionByZero MathError = iota
	Overflow
)

func (e MathError) Error() string { return [...]string{"division by zero", "overflow"}[e] }

// LookupError is lookup's user error.
type LookupError int

const (
	NotFound LookupError = iota
	AccessDenied
)

func (e LookupError) Error() string { return [...]string{"not found", "access denied"}[e] }

func registerTypes() {
	roam.RegisterEnum[Color]("Color", "Red", "Green", "Blue")
	roam.RegisterEnum[MathError]("MathError", "DivisionByZero", "Overflow")
	roam.RegisterEnum[LookupError]("LookupError", "NotFound", "AccessDenied")
	roam.RegisterUnion[Shape]("Shape", roam.V[Circle]("Circle"), roam.V[Rect]("Rectangle"), roam.V[ShapePoint]("Point"))
	roam.RegisterUnion[Message]("Message", roam.V[Text]("Text"), roam.V[Number]("Number"), roam.V[Data]("Data"))
}

// Testbed is the service, method by method in the Rust trait's order.
type Testbed struct {
	Echo           func(ctx context.Context, message string) (string, error)                                      `roam:"echo"`
	Reverse        func(ctx context.Context, message string) (string, error)                                      `roam:"reverse"`
	Divide         func(ctx context.Context, dividend, divisor int64) (int64, error)                              `roam:"divide,error=MathError"`
	Lookup         func(ctx context.Context, id uint32) (Person, error)                                           `roam:"lookup,error=LookupError"`
	Sum            func(ctx context.Context, numbers roam.Rx[int32]) (int64, error)                               `roam:"sum"`
	Generate       func(ctx context.Context, count uint32, output roam.Tx[int32]) error                           `roam:"generate"`
	Transform      func(ctx context.Context, input roam.Rx[string], output roam.Tx[string]) error                 `roam:"transform"`
	EchoPoint      func(ctx context.Context, point Point) (Point, error)                                          `roam:"echo_point"`
	CreatePerson   func(ctx context.Context, name string, age uint8, email *string) (Person, error)               `roam:"create_person"`
	RectangleArea  func(ctx context.Context, rect Rectangle) (float64, error)                                     `roam:"rectangle_area"`
	ParseColor     func(ctx context.Context, name string) (*Color, error)                                         `roam:"parse_color"`
	ShapeArea      func(ctx context.Context, shape Shape) (float64, error)                                        `roam:"shape_area"`
	CreateCanvas   func(ctx context.Context, name string, shapes []Shape, background Color) (Canvas, error)       `roam:"create_canvas"`
	ProcessMessage func(ctx context.Context, msg Message) (Message, error)                                        `roam:"process_message"`
	GetPoints      func(ctx context.Context, count uint32) ([]Point, error)                                       `roam:"get_points"`
	SwapPair       func(ctx context.Context, pair roam.Tuple2[int32, string]) (roam.Tuple2[string, int32], error) `roam:"swap_pair"`
}

// Service is the Testbed declaration.
var Service = func() *roam.Service[Testbed] {
	registerTypes()
	return roam.MustService[Testbed]("Testbed")
}()

// Interop is the echo of the Rust peer's Interop service (what `roamcat
// serve` answers), for the bench.
type Interop struct {
	Echo func(ctx context.Context, message string) (string, error) `roam:"echo"`
}

// InteropService is the Interop declaration.
var InteropService = roam.MustService[Interop]("Interop")

func str(s string) *string { return &s }

// KnownPerson is who lookup knows.
func KnownPerson(id uint32) (Person, bool) {
	switch id {
	case 1:
		return Person{"Alice", 30, str("alice@example.com")}, true
	case 2:
		return Person{"Bob", 25, nil}, true
	case 3:
		return Person{"Charlie", 35, str("charlie@example.com")}, true
	}
	return Person{}, false
}

// ShapeAreaOf is shape_area's semantics.
func ShapeAreaOf(s Shape) float64 {
	switch v := s.(type) {
	case Circle:
		return math.Pi * v.Radius * v.Radius
	case Rect:
		return v.Width * v.Height
	}
	return 0
}

// NewServer is the implementation (the semantics of the Rust peer's).
func NewServer() *Testbed {
	return &Testbed{
		Echo: func(ctx context.Context, m string) (string, error) { return m, nil },
		Reverse: func(ctx context.Context, m string) (string, error) {
			r := []rune(m)
			for i, j := 0, len(r)-1; i < j; i, j = i+1, j-1 {
				r[i], r[j] = r[j], r[i]
			}
			return string(r), nil
		},
		Divide: func(ctx context.Context, a, b int64) (int64, error) {
			if b == 0 {
				return 0, DivisionByZero
			}
			if a == math.MinInt64 && b == -1 {
				return 0, Overflow
			}
			return a / b, nil
		},
		Lookup: func(ctx context.Context, id uint32) (Person, error) {
			if p, ok := KnownPerson(id); ok {
				return p, nil
			}
			return Person{}, NotFound
		},
		Sum: func(ctx context.Context, numbers roam.Rx[int32]) (int64, error) {
			var total int64
			for {
				n, err := numbers.Recv(ctx)
				if errors.Is(err, io.EOF) {
					return total, nil
				}
				if err != nil {
					return 0, err
				}
				total += int64(n)
			}
		},
		Generate: func(ctx context.Context, count uint32, output roam.Tx[int32]) error {
			for i := uint32(0); i < count; i++ {
				if err := output.Send(ctx, int32(i)); err != nil {
					break
				}
			}
			_ = output.Close()
			return nil
		},
		Transform: func(ctx context.Context, input roam.Rx[string], output roam.Tx[string]) error {
			for {
				s, err := input.Recv(ctx)
				if err != nil {
					break
				}
				if output.Send(ctx, s) != nil {
					break
				}
			}
			_ = output.Close()
			return nil
		},
		EchoPoint: func(ctx context.Context, p Point) (Point, error) { return p, nil },
		CreatePerson: func(ctx context.Context, name string, age uint8, email *string) (Person, error) {
			return Person{name, age, email}, nil
		},
		RectangleArea: func(ctx context.Context, r Rectangle) (float64, error) {
			dx := math.Abs(float64(int64(r.BottomRight.X) - int64(r.TopLeft.X)))
			dy := math.Abs(float64(int64(r.BottomRight.Y) - int64(r.TopLeft.Y)))
			return dx * dy, nil
		},
		ParseColor: func(ctx context.Context, name string) (*Color, error) {
			var c Color
			switch strings.ToLower(name) {
			case "red":
				c = Red
			case "green":
				c = Green
			case "blue":
				c = Blue
			default:
				return nil, nil
			}
			return &c, nil
		},
		ShapeArea: func(ctx context.Context, s Shape) (float64, error) { return ShapeAreaOf(s), nil },
		CreateCanvas: func(ctx context.Context, name string, shapes []Shape, bg Color) (Canvas, error) {
			return Canvas{name, shapes, bg}, nil
		},
		ProcessMessage: func(ctx context.Context, m Message) (Message, error) {
			switch v := m.(type) {
			case Text:
				return Text("processed: " + string(v)), nil
			case Number:
				return Number(int64(uint64(v) * 2)), nil
			case Data:
				out := make(Data, len(v))
				for i := range v {
					out[len(v)-1-i] = v[i]
				}
				return out, nil
			}
			return nil, roam.UserError(nil)
		},
		GetPoints: func(ctx context.Context, count uint32) ([]Point, error) {
			out := make([]Point, 0, count)
			for i := uint32(0); i < count; i++ {
				out = append(out, Point{int32(i), int32(i * 2)})
			}
			return out, nil
		},
		SwapPair: func(ctx context.Context, p roam.Tuple2[int32, string]) (roam.Tuple2[string, int32], error) {
			return roam.Tuple2[string, int32]{A: p.B, B: p.A}, nil
		},
	}
}

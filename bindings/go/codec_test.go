package roam_test

import (
	"math"
	"reflect"
	"testing"

	roam "github.com/libroam/roam-go"
	"github.com/libroam/roam-go/testbed"
)

type everything struct {
	I8   int8
	I16  int16
	I32  int32
	I64  int64
	U8   uint8
	U16  uint16
	U32  uint32
	U64  uint64
	F32  float32
	F64  float64
	B    bool
	S    string
	Raw  []byte
	List []int32
	Arr  [3]uint16
	Map  map[string]int64
	Ptr  *string
	Opt  roam.Option[testbed.Point]
	None roam.Option[int32]
	Tup  roam.Tuple3[bool, string, uint8]
	Col  testbed.Color
	Sh   testbed.Shape
	Msg  testbed.Message
	Skip int `roam:"-"`
}

func TestCodecRoundTrip(t *testing.T) {
	s := "x"
	in := everything{-8, -16, -32, -64, 8, 16, 32, 64, 1.5, -2.25, true, "héllo", []byte{0, 255}, []int32{1, -1},
		[3]uint16{1, 300, 65535}, map[string]int64{"a": 1}, &s, roam.Some(testbed.Point{X: 1, Y: -2}), roam.None[int32](),
		roam.Tuple3[bool, string, uint8]{A: true, B: "t", C: 9}, testbed.Blue, testbed.Rect{Width: 1, Height: 2}, testbed.Number(-5), 0}
	out, _ := roundTrip(t, in)
	if !reflect.DeepEqual(in, out) {
		t.Fatalf("round trip:\n%#v\n%#v", in, out)
	}
	// The ends of every integer range (a u64 crosses to C in an int64's bits).
	signedEnds := roam.Tuple4[int8, int16, int32, int64]{A: math.MinInt8, B: math.MaxInt16, C: math.MinInt32, D: math.MinInt64}
	unsignedEnds := roam.Tuple4[uint8, uint16, uint32, uint]{A: math.MaxUint8, B: math.MaxUint16, C: math.MaxUint32, D: math.MaxUint}
	if got, _ := roundTrip(t, signedEnds); got != signedEnds {
		t.Errorf("signed range ends: %+v", got)
	}
	if got, _ := roundTrip(t, unsignedEnds); got != unsignedEnds {
		t.Errorf("unsigned range ends: %+v", got)
	}
	// Bytes as postcard has them.
	b, _ := roam.Marshal(testbed.Point{X: -1, Y: 64})
	if string(b) != "\x01\x80\x01" {
		t.Fatalf("Point{-1, 64} = % x", b)
	}
	b, _ = roam.Marshal(testbed.Message(testbed.Text("hi")))
	if string(b) != "\x00\x02hi" {
		t.Fatalf("Text(hi) = % x", b)
	}
	// Malformed input is an error.
	var p testbed.Point
	if err := roam.Unmarshal([]byte{0x80}, &p); err == nil {
		t.Fatal("truncated input decoded")
	}
	if err := roam.Unmarshal([]byte{1, 2, 3}, &p); err == nil {
		t.Fatal("trailing bytes accepted")
	}
	var c testbed.Color
	if err := roam.Unmarshal([]byte{7}, &c); err == nil {
		t.Fatal("bad variant accepted")
	}
	if _, err := roam.Marshal(testbed.Color(9)); err == nil {
		t.Fatal("Color(9) encoded")
	}
	if _, err := roam.Marshal(make(chan int)); err == nil {
		t.Fatal("a Go chan encoded")
	}
}

package roam_test

import (
	"context"
	"testing"

	roam "github.com/libroam/roam-go"
	"github.com/libroam/roam-go/testbed"
)

// The Rust peer's SignatureLab (src/signatures.rs): every tag, tuple
// structs, tuple variants, recursion, mutual recursion.
type (
	Pair struct {
		_ roam.AsTuple
		A uint8
		B string
	}
	Marker struct{}
	Meters struct {
		_ roam.AsTuple
		M float32
	}
	Tree struct {
		Value    uint32 `roam:"value"`
		Children []Tree `roam:"children"`
	}
	Node struct {
		Label string                      `roam:"label"`
		Next  *Node                       `roam:"next"`
		Kids  []roam.Tuple2[uint16, Node] `roam:"kids"`
	}
	Expr interface{ isExpr() }
	Zero struct{}
	Lit  int64
	Add  struct {
		_    roam.AsTuple
		L, R Expr
	}
	Neg struct {
		Inner Expr `roam:"inner"`
	}
	Empty struct{ _ roam.AsTuple }
	Let   struct {
		Name  string `roam:"name"`
		Value Expr   `roam:"value"`
		Body  Tree   `roam:"body"`
	}
	Outer struct {
		Inner Inner `roam:"inner"`
	}
	Inner struct {
		Up *Outer  `roam:"up"`
		Me []Inner `roam:"me"`
	}
)

func (Zero) isExpr()  {}
func (Lit) isExpr()   {}
func (Add) isExpr()   {}
func (Neg) isExpr()   {}
func (Empty) isExpr() {}
func (Let) isExpr()   {}

type set[K comparable] map[K]struct{}

type SignatureLab struct {
	Primitives     func(ctx context.Context, a bool, b uint8, c uint16, d uint32) (roam.Tuple4[uint64, roam.U128, int8, int16], error)
	MorePrimitives func(ctx context.Context, a int32, b int64, c roam.I128, d float32) (roam.Tuple4[float64, roam.Char, string, roam.Unit], error)
	Sizes          func(ctx context.Context, a uint, b int) ([]byte, error)
	NoArgs         func(ctx context.Context) (uint64, error)
	Nothing        func(ctx context.Context, s string) error
	Containers     func(ctx context.Context, a []uint16, b *[]byte, c [4]uint16, d map[string][]int32) (map[uint8]set[string], error)
	SetsAndArrays  func(ctx context.Context, a set[uint64], b [3][2]uint8, c [][]string) (**bool, error)
	Channels       func(ctx context.Context, a roam.Tx[testbed.Point], b roam.Rx[[]byte], c roam.Tx[*string]) (uint32, error)
	Tuples         func(ctx context.Context, a roam.Tuple2[uint8, roam.Tuple2[int8, roam.Char]], b Pair, c Meters, d Marker) (roam.Tuple2[Marker, Pair], error)
	Results        func(ctx context.Context, id uint32) ([]testbed.Point, error) `roam:"results,error=LookupError"`
	Tree           func(ctx context.Context, t Tree) (Node, error)
	Expr           func(ctx context.Context, e Expr, o Outer) (*Expr, error)
}

type XMLHttp struct {
	Get func(ctx context.Context, url string) (string, error) `roam:"HTTPGetV2"`
}

func TestSignatureLabIDsMatchRust(t *testing.T) {
	roam.RegisterUnion[Expr]("Expr", roam.V[Zero]("Zero"), roam.V[Lit]("Lit"), roam.V[Add]("Add"),
		roam.V[Neg]("Neg"), roam.V[Empty]("Empty"), roam.V[Let]("Let"))
	lab, err := roam.NewService[SignatureLab]("SignatureLab")
	if err != nil {
		t.Fatal(err)
	}
	xml, err := roam.NewService[XMLHttp]("XMLHttpService")
	if err != nil {
		t.Fatal(err)
	}
	want := rustMethodIDs(t)
	n := 0
	for _, m := range lab.Methods {
		n++
		if w, ok := want["SignatureLab."+m.Name]; !ok || w != m.ID {
			t.Errorf("SignatureLab.%s: %#016x, the Rust peer says %#016x", m.Name, m.ID, w)
		}
	}
	if n != 12 {
		t.Errorf("%d SignatureLab methods", n)
	}
	if m := xml.Methods[0]; want["XMLHttpService.HTTPGetV2"] != m.ID {
		t.Errorf("XMLHttpService.HTTPGetV2: %#016x, the Rust peer says %#016x", m.ID, want["XMLHttpService.HTTPGetV2"])
	}
}

func TestRecursiveAndWideValuesRoundTrip(t *testing.T) {
	roam.RegisterUnion[Expr]("Expr", roam.V[Zero]("Zero"), roam.V[Lit]("Lit"), roam.V[Add]("Add"),
		roam.V[Neg]("Neg"), roam.V[Empty]("Empty"), roam.V[Let]("Let"))
	type wide struct {
		E   Expr
		N   Node
		C   roam.Char
		U   roam.U128
		I   roam.I128
		S   set[string]
		P   Pair
		Opt **bool
	}
	f := false
	pf := &f
	in := wide{
		E: Add{L: Lit(-1), R: Let{Name: "x", Value: Neg{Inner: Empty{}}, Body: Tree{1, []Tree{{2, []Tree{}}}}}},
		N: Node{Label: "a", Next: &Node{Label: "b", Kids: []roam.Tuple2[uint16, Node]{}}, Kids: []roam.Tuple2[uint16, Node]{{A: 7, B: Node{Label: "c", Kids: []roam.Tuple2[uint16, Node]{}}}}},
		C: '🦀', U: roam.U128{Hi: 1, Lo: 2}, I: roam.I128{Hi: -1, Lo: ^uint64(0)},
		S: set[string]{"x": {}, "y": {}}, P: Pair{A: 3, B: "p"}, Opt: &pf,
	}
	out, b := roundTrip(t, in)
	b2, err := roam.Marshal(out)
	if err != nil || string(b) != string(b2) {
		t.Fatalf("round trip differs: % x / % x (%v)", b, b2, err)
	}
	if out.C != '🦀' || out.U != in.U || out.I != in.I || len(out.S) != 2 || **out.Opt != false {
		t.Fatalf("decoded %#v", out)
	}
	// i128 -1 is ff..ff: zigzag 1.
	b, _ = roam.Marshal(roam.I128{Hi: -1, Lo: ^uint64(0)})
	if string(b) != "\x01" {
		t.Fatalf("i128 -1 = % x", b)
	}
}

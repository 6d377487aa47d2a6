package testbed

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"reflect"
	"time"

	roam "github.com/libroam/roam-go"
)

// Check is one method's checks (those of the Rust peer's call-testbed).
type Check struct {
	Method string
	Run    func(ctx context.Context, c *Testbed) error
}

func expect(what string, got, want any) error {
	if !reflect.DeepEqual(got, want) {
		return fmt.Errorf("%s: expected %#v, got %#v", what, want, got)
	}
	return nil
}

func closeTo(what string, got, want float64) error {
	if math.Abs(got-want) > 1e-9*math.Max(math.Abs(want), 1) {
		return fmt.Errorf("%s: expected %v, got %v", what, want, got)
	}
	return nil
}

func callErr(what string, err error) error { return fmt.Errorf("%s: call failed: %v", what, err) }

// userError checks that err is the user error want.
func userError(what string, err error, want error) error {
	var re *roam.Error
	if err == nil || !errors.As(err, &re) || re.Code != roam.EUSER || !errors.Is(err, want) {
		return fmt.Errorf("%s: expected the user error %v, got %v", what, want, err)
	}
	return nil
}

// collect receives everything until the channel ends.
func collect[T any](ctx context.Context, rx roam.Rx[T]) ([]T, error) {
	out := []T{}
	for {
		v, err := rx.Recv(ctx)
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		if err != nil {
			return out, err
		}
		out = append(out, v)
	}
}

// collectMeanwhile collects rx on its own goroutine while the call that
// fills it runs, and returns what waits for the result. A receiver grants
// credit only as it reads, so a call sending more items than the channel's
// credit returns only once someone is reading them.
func collectMeanwhile[T any](ctx context.Context, rx roam.Rx[T]) func() ([]T, error) {
	type result struct {
		items []T
		err   error
	}
	done := make(chan result, 1)
	go func() {
		items, err := collect(ctx, rx)
		done <- result{items, err}
	}()
	return func() ([]T, error) {
		r := <-done
		return r.items, r.err
	}
}

// feed sends items then closes, on its own goroutine.
func feed[T any](ctx context.Context, tx roam.Tx[T], items []T) <-chan error {
	done := make(chan error, 1)
	go func() {
		for _, v := range items {
			if err := tx.Send(ctx, v); err != nil {
				done <- err
				return
			}
		}
		done <- tx.Close()
	}()
	return done
}

func sampleShapes() []Shape { return []Shape{Circle{2.0}, Rect{3.0, 4.5}, ShapePoint{}} }

// Checks are the 16 methods' checks in the trait's order.
var Checks = []Check{
	{"echo", func(ctx context.Context, c *Testbed) error {
		for _, s := range []string{"hello", "", "héllo wörld ✓ 🦀"} {
			got, err := c.Echo(ctx, s)
			if err != nil {
				return callErr("echo", err)
			}
			if err := expect(fmt.Sprintf("echo(%q)", s), got, s); err != nil {
				return err
			}
		}
		// Pipelined: three calls in flight at once.
		type res struct {
			s   string
			err error
		}
		var chs []chan res
		for _, s := range []string{"first", "second", "third"} {
			ch := make(chan res, 1)
			chs = append(chs, ch)
			go func(s string) {
				got, err := c.Echo(ctx, s)
				ch <- res{got, err}
			}(s)
		}
		for i, want := range []string{"first", "second", "third"} {
			r := <-chs[i]
			if r.err != nil {
				return callErr("pipelined echo", r.err)
			}
			if err := expect("pipelined echo", r.s, want); err != nil {
				return err
			}
		}
		return nil
	}},
	{"reverse", func(ctx context.Context, c *Testbed) error {
		for _, p := range [][2]string{{"hello", "olleh"}, {"", ""}, {"abc déf ✓", "✓ féd cba"}} {
			got, err := c.Reverse(ctx, p[0])
			if err != nil {
				return callErr("reverse", err)
			}
			if err := expect(fmt.Sprintf("reverse(%q)", p[0]), got, p[1]); err != nil {
				return err
			}
		}
		return nil
	}},
	{"divide", func(ctx context.Context, c *Testbed) error {
		for _, p := range [][3]int64{{84, 2, 42}, {-7, 2, -3}} {
			got, err := c.Divide(ctx, p[0], p[1])
			if err != nil {
				return callErr("divide", err)
			}
			if err := expect(fmt.Sprintf("divide(%d, %d)", p[0], p[1]), got, p[2]); err != nil {
				return err
			}
		}
		_, err := c.Divide(ctx, 10, 0)
		if err := userError("divide(10, 0)", err, DivisionByZero); err != nil {
			return err
		}
		_, err = c.Divide(ctx, math.MinInt64, -1)
		return userError("divide(i64::MIN, -1)", err, Overflow)
	}},
	{"lookup", func(ctx context.Context, c *Testbed) error {
		for id := uint32(1); id <= 3; id++ {
			got, err := c.Lookup(ctx, id)
			if err != nil {
				return callErr("lookup", err)
			}
			want, _ := KnownPerson(id)
			if err := expect(fmt.Sprintf("lookup(%d)", id), got, want); err != nil {
				return err
			}
		}
		_, err := c.Lookup(ctx, 99)
		return userError("lookup(99)", err, NotFound)
	}},
	{"sum", func(ctx context.Context, c *Testbed) error {
		hundred := []int32{}
		for i := int32(1); i <= 100; i++ {
			hundred = append(hundred, i)
		}
		for _, tc := range []struct {
			what  string
			items []int32
			want  int64
		}{
			{"sum(1..=100)", hundred, 5050},
			{"sum([])", nil, 0},
			{"sum([i32::MAX, i32::MAX, -5, 10])", []int32{math.MaxInt32, math.MaxInt32, -5, 10}, 2*math.MaxInt32 + 5},
		} {
			tx, rx := roam.NewChannel[int32]()
			fed := feed(ctx, tx, tc.items)
			got, err := c.Sum(ctx, rx)
			if err != nil {
				return callErr(tc.what, err)
			}
			if err := <-fed; err != nil {
				return fmt.Errorf("%s: sending: %v", tc.what, err)
			}
			if err := expect(tc.what, got, tc.want); err != nil {
				return err
			}
		}
		return nil
	}},
	{"generate", func(ctx context.Context, c *Testbed) error {
		for _, n := range []uint32{5, 0, 300} {
			what := fmt.Sprintf("generate(%d)", n)
			tx, rx := roam.NewChannel[int32]()
			collected := collectMeanwhile(ctx, rx)
			if err := c.Generate(ctx, n, tx); err != nil {
				return callErr(what, err)
			}
			items, err := collected()
			if err != nil {
				return fmt.Errorf("%s: the channel ended with %v", what, err)
			}
			want := []int32{}
			for i := uint32(0); i < n; i++ {
				want = append(want, int32(i))
			}
			if err := expect(what+" items", items, want); err != nil {
				return err
			}
		}
		return nil
	}},
	{"transform", func(ctx context.Context, c *Testbed) error {
		for _, inputs := range [][]string{{"hello", "world", "", "ünïcödé ✓", "test"}, {}} {
			what := "transform"
			if len(inputs) == 0 {
				what = "transform([])"
			}
			inTx, inRx := roam.NewChannel[string]()
			outTx, outRx := roam.NewChannel[string]()
			fed := feed(ctx, inTx, inputs)
			collected := collectMeanwhile(ctx, outRx)
			if err := c.Transform(ctx, inRx, outTx); err != nil {
				return callErr(what, err)
			}
			if err := <-fed; err != nil {
				return fmt.Errorf("%s: sending: %v", what, err)
			}
			items, err := collected()
			if err != nil {
				return fmt.Errorf("%s: the channel ended with %v", what, err)
			}
			if err := expect(what+" items", items, append([]string{}, inputs...)); err != nil {
				return err
			}
		}
		return nil
	}},
	{"echo_point", func(ctx context.Context, c *Testbed) error {
		for _, p := range []Point{{3, -4}, {math.MinInt32, math.MaxInt32}} {
			got, err := c.EchoPoint(ctx, p)
			if err != nil {
				return callErr("echo_point", err)
			}
			if err := expect("echo_point", got, p); err != nil {
				return err
			}
		}
		return nil
	}},
	{"create_person", func(ctx context.Context, c *Testbed) error {
		got, err := c.CreatePerson(ctx, "Dana", 41, str("dana@example.com"))
		if err != nil {
			return callErr("create_person", err)
		}
		if err := expect("create_person(Dana)", got, Person{"Dana", 41, str("dana@example.com")}); err != nil {
			return err
		}
		got, err = c.CreatePerson(ctx, "Éve", 255, nil)
		if err != nil {
			return callErr("create_person", err)
		}
		return expect("create_person(Éve)", got, Person{"Éve", 255, nil})
	}},
	{"rectangle_area", func(ctx context.Context, c *Testbed) error {
		got, err := c.RectangleArea(ctx, Rectangle{Point{1, 2}, Point{4, 6}, str("r")})
		if err != nil {
			return callErr("rectangle_area", err)
		}
		if err := closeTo("rectangle_area((1,2)-(4,6))", got, 12); err != nil {
			return err
		}
		got, err = c.RectangleArea(ctx, Rectangle{Point{10, 10}, Point{0, 5}, nil})
		if err != nil {
			return callErr("rectangle_area", err)
		}
		return closeTo("rectangle_area((10,10)-(0,5))", got, 50)
	}},
	{"parse_color", func(ctx context.Context, c *Testbed) error {
		col := func(c Color) *Color { return &c }
		for _, tc := range []struct {
			name string
			want *Color
		}{{"red", col(Red)}, {"green", col(Green)}, {"blue", col(Blue)}, {"Blue", col(Blue)}, {"purple", nil}, {"", nil}} {
			got, err := c.ParseColor(ctx, tc.name)
			if err != nil {
				return callErr("parse_color", err)
			}
			if err := expect(fmt.Sprintf("parse_color(%q)", tc.name), got, tc.want); err != nil {
				return err
			}
		}
		return nil
	}},
	{"shape_area", func(ctx context.Context, c *Testbed) error {
		for i, s := range sampleShapes() {
			got, err := c.ShapeArea(ctx, s)
			if err != nil {
				return callErr("shape_area", err)
			}
			if err := closeTo(fmt.Sprintf("shape_area(variant %d)", i), got, ShapeAreaOf(s)); err != nil {
				return err
			}
		}
		return nil
	}},
	{"create_canvas", func(ctx context.Context, c *Testbed) error {
		got, err := c.CreateCanvas(ctx, "sketch", sampleShapes(), Green)
		if err != nil {
			return callErr("create_canvas", err)
		}
		if err := expect("create_canvas", got, Canvas{"sketch", sampleShapes(), Green}); err != nil {
			return err
		}
		got, err = c.CreateCanvas(ctx, "", []Shape{}, Red)
		if err != nil {
			return callErr("create_canvas", err)
		}
		return expect("create_canvas(empty)", got, Canvas{"", []Shape{}, Red})
	}},
	{"process_message", func(ctx context.Context, c *Testbed) error {
		for i, tc := range [][2]Message{
			{Text("hi"), Text("processed: hi")},
			{Number(21), Number(42)},
			{Number(-300), Number(-600)},
			{Data{1, 2, 3, 255}, Data{255, 3, 2, 1}},
			{Data{}, Data{}},
		} {
			got, err := c.ProcessMessage(ctx, tc[0])
			if err != nil {
				return callErr("process_message", err)
			}
			if err := expect(fmt.Sprintf("process_message(case %d)", i), got, tc[1]); err != nil {
				return err
			}
		}
		return nil
	}},
	{"get_points", func(ctx context.Context, c *Testbed) error {
		for _, n := range []uint32{4, 0, 100} {
			got, err := c.GetPoints(ctx, n)
			if err != nil {
				return callErr("get_points", err)
			}
			want := []Point{}
			for i := int32(0); i < int32(n); i++ {
				want = append(want, Point{i, 2 * i})
			}
			if err := expect(fmt.Sprintf("get_points(%d)", n), got, want); err != nil {
				return err
			}
		}
		return nil
	}},
	{"swap_pair", func(ctx context.Context, c *Testbed) error {
		for _, tc := range []roam.Tuple2[int32, string]{{A: 7, B: "seven"}, {A: -1, B: ""}} {
			got, err := c.SwapPair(ctx, tc)
			if err != nil {
				return callErr("swap_pair", err)
			}
			if err := expect(fmt.Sprintf("swap_pair((%d, %q))", tc.A, tc.B), got, roam.Tuple2[string, int32]{A: tc.B, B: tc.A}); err != nil {
				return err
			}
		}
		return nil
	}},
}

// RunChecks runs every check on c (10 s each), printing `ok <method>` or
// `FAIL <method>: <why>` through line; it returns the number that failed.
func RunChecks(ctx context.Context, c *Testbed, line func(string)) int {
	failed := 0
	for _, ch := range Checks {
		cctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		err := ch.Run(cctx, c)
		cancel()
		if err != nil {
			failed++
			line(fmt.Sprintf("FAIL %s: %v", ch.Method, err))
		} else {
			line("ok " + ch.Method)
		}
	}
	return failed
}

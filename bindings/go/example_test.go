package roam_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	roam "github.com/libroam/roam-go"
)

// Calc is a service declared once: its funcs are the client's methods and
// the server's handlers.
type Calc struct {
	Add    func(ctx context.Context, a, b int64) (int64, error)
	Divide func(ctx context.Context, a, b int64) (int64, error) `roam:"divide,error=CalcError"`
}

// CalcError is Divide's user error (a unit enum).
type CalcError int

func (e CalcError) Error() string { return "division by zero" }

func Example() {
	roam.RegisterEnum[CalcError]("CalcError", "DivisionByZero")
	svc := roam.MustService[Calc]("Calc")
	impl := &Calc{
		Add: func(ctx context.Context, a, b int64) (int64, error) { return a + b, nil },
		Divide: func(ctx context.Context, a, b int64) (int64, error) {
			if b == 0 {
				return 0, CalcError(0)
			}
			return a / b, nil
		},
	}
	l, err := roam.Listen("tcp://127.0.0.1:0", roam.WithHandler(svc.Handler(impl)))
	if err != nil {
		panic(err)
	}
	defer l.Close()
	ctx := context.Background()
	s, err := roam.Connect(ctx, l.Addr())
	if err != nil {
		panic(err)
	}
	defer s.Close()
	calc := svc.Client(s.Root())
	sum, err := calc.Add(ctx, 40, 2)
	fmt.Println(sum, err)
	_, err = calc.Divide(ctx, 1, 0)
	var ce CalcError
	fmt.Println(errors.Is(err, roam.ErrUser), errors.As(err, &ce))
	// Output:
	// 42 <nil>
	// true true
}

func goTool() string {
	p := filepath.Join(runtime.GOROOT(), "bin", "go")
	if _, err := os.Stat(p); err == nil {
		return p
	}
	return "go"
}

// The README's example, run as written.
func TestHelloExample(t *testing.T) {
	out, err := exec.Command(goTool(), "run", "./examples/hello").CombinedOutput()
	if err != nil {
		t.Fatalf("go run ./examples/hello: %v\n%s", err, out)
	}
	if strings.TrimSpace(string(out)) != "hello, world <nil>" {
		t.Fatalf("hello printed %q", out)
	}
	readme, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	src, _ := os.ReadFile("examples/hello/main.go")
	if !strings.Contains(string(readme), string(src)) {
		t.Fatal("README.md does not start with examples/hello/main.go as written")
	}
}

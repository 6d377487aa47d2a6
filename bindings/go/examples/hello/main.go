package main

import (
	"context"
	"fmt"
	"log"

	roam "github.com/libroam/roam-go"
)

// Greeter is declared once; it gives both the client and the server.
type Greeter struct {
	Hello func(ctx context.Context, name string) (string, error)
}

func main() {
	ctx, svc := context.Background(), roam.MustService[Greeter]("Greeter")
	impl := &Greeter{Hello: func(_ context.Context, name string) (string, error) { return "hello, " + name, nil }}
	l, err := roam.Listen("tcp://127.0.0.1:0", roam.WithHandler(svc.Handler(impl)))
	if err != nil {
		log.Fatal(err)
	}
	s, err := roam.Connect(ctx, l.Addr())
	if err != nil {
		log.Fatal(err)
	}
	greeting, err := svc.Client(s.Root()).Hello(ctx, "world")
	fmt.Println(greeting, err)
}

package roam

/*
#include "glue.h"
*/
import "C"

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"unsafe"
)

// Service is a roam service declared once as a Go struct S of func fields,
// one per method, in the Rust trait's order:
//
//	type Calc struct {
//	    Add    func(ctx context.Context, a, b int64) (int64, error)
//	    Divide func(ctx context.Context, a, b int64) (int64, error) `roam:"divide,error=MathError"`
//	    Ping   func(ctx context.Context) error
//	}
//
// Each func takes a context.Context then the method's arguments, and
// returns (T, error) or just error (for ()). The method name is the tag's
// first part or the field name in snake_case; `error=Name` names the E of a
// Result<T, E> (a type registered with RegisterEnum, RegisterUnion or
// RegisterType). Method ids come from roam_method_id with the signature
// the declaration gives.
//
// A Service makes typed clients (Client fills a fresh S whose funcs call a
// connection) and servers (Handler serves an S whose funcs implement it).
type Service[S any] struct {
	Name    string
	Methods []*Method
	byID    map[uint64]*Method
}

// Method is one declared method.
type Method struct {
	Name    string
	ID      uint64
	field   int
	args    []*typeInfo
	argT    []reflect.Type
	ret     *typeInfo // nil for ()
	retT    reflect.Type
	errInfo *typeInfo // the E of Result<T, E>, or nil
	errT    reflect.Type
	argsT   reflect.Type // a struct of the arguments, to decode them in one go
}

var (
	ctxType   = reflect.TypeOf((*context.Context)(nil)).Elem()
	errorType = reflect.TypeOf((*error)(nil)).Elem()
)

// NewService declares the service `name` ("Testbed", as the Rust trait is
// spelled) from the struct S.
func NewService[S any](name string) (*Service[S], error) {
	st := reflect.TypeOf((*S)(nil)).Elem()
	if st.Kind() != reflect.Struct {
		return nil, newError(EINVAL, fmt.Sprintf("NewService: %v is not a struct of funcs", st))
	}
	svc := &Service[S]{Name: name, byID: map[uint64]*Method{}}
	for i := 0; i < st.NumField(); i++ {
		f := st.Field(i)
		if !f.IsExported() || f.Type.Kind() != reflect.Func {
			continue
		}
		m, err := declareMethod(name, f, i)
		if err != nil {
			return nil, fmt.Errorf("roam: %s.%s: %w", name, f.Name, err)
		}
		if other := svc.byID[m.ID]; other != nil {
			return nil, newError(EINVAL, fmt.Sprintf("%s and %s have the same id", m.Name, other.Name))
		}
		svc.Methods = append(svc.Methods, m)
		svc.byID[m.ID] = m
	}
	return svc, nil
}

// MustService is NewService that panics on a bad declaration.
func MustService[S any](name string) *Service[S] {
	s, err := NewService[S](name)
	if err != nil {
		panic(err)
	}
	return s
}

func declareMethod(service string, f reflect.StructField, index int) (*Method, error) {
	ft := f.Type
	m := &Method{Name: snake(f.Name), field: index}
	if tag, ok := f.Tag.Lookup("roam"); ok {
		parts := strings.Split(tag, ",")
		if parts[0] != "" {
			m.Name = parts[0]
		}
		for _, p := range parts[1:] {
			if strings.HasPrefix(p, "error=") {
				en := strings.TrimPrefix(p, "error=")
				et := lookupNamed(en)
				if et == nil {
					return nil, newError(EINVAL, fmt.Sprintf("error=%s: no type registered with that name", en))
				}
				ei, err := infoOf(et)
				if err != nil {
					return nil, err
				}
				m.errInfo, m.errT = ei, et
			}
		}
	}
	if ft.NumIn() < 1 || ft.In(0) != ctxType {
		return nil, newError(EINVAL, "the first argument must be a context.Context")
	}
	if ft.IsVariadic() {
		return nil, newError(EINVAL, "variadic methods are not supported")
	}
	for i := 1; i < ft.NumIn(); i++ {
		ti, err := infoOf(ft.In(i))
		if err != nil {
			return nil, err
		}
		m.args = append(m.args, ti)
		m.argT = append(m.argT, ft.In(i))
	}
	switch ft.NumOut() {
	case 1:
	case 2:
		ti, err := infoOf(ft.Out(0))
		if err != nil {
			return nil, err
		}
		m.ret, m.retT = ti, ft.Out(0)
	default:
		return nil, newError(EINVAL, "results must be (T, error) or error")
	}
	if ft.Out(ft.NumOut()-1) != errorType {
		return nil, newError(EINVAL, "the last result must be error")
	}
	m.argsT = reflect.StructOf(argFields(m.argT))
	b, err := newSigBuilder()
	if err != nil {
		return nil, err
	}
	defer b.free()
	if len(m.args) == 0 {
		err = b.rc(C.roam_sig_primitive(b.b, C.ROAM_SIG_UNIT))
	} else {
		err = b.rc(C.roam_sig_tuple(b.b, C.size_t(len(m.args))))
		for _, a := range m.args {
			if err == nil {
				err = a.sig(b)
			}
		}
	}
	if err == nil {
		if m.ret == nil || m.errInfo != nil { // () and Result<T, E> hash as unit
			err = b.rc(C.roam_sig_primitive(b.b, C.ROAM_SIG_UNIT))
		} else {
			err = m.ret.sig(b)
		}
	}
	if err != nil {
		return nil, err
	}
	sig, err := b.finish()
	if err != nil {
		return nil, err
	}
	m.ID, err = MethodID(service, m.Name, sig)
	return m, err
}

// Method finds a method by name (nil if none).
func (s *Service[S]) Method(name string) *Method {
	for _, m := range s.Methods {
		if m.Name == name {
			return m
		}
	}
	return nil
}

// Client returns an S whose funcs call the methods on conn.
func (s *Service[S]) Client(conn *Conn) *S {
	out := new(S)
	v := reflect.ValueOf(out).Elem()
	for _, m := range s.Methods {
		m := m
		f := v.Field(m.field)
		f.Set(reflect.MakeFunc(f.Type(), func(in []reflect.Value) []reflect.Value {
			return m.invoke(conn, f.Type(), in)
		}))
	}
	return out
}

func (m *Method) results(ft reflect.Type, val reflect.Value, err error) []reflect.Value {
	ev := reflect.Zero(errorType)
	if err != nil {
		ev = reflect.ValueOf(&err).Elem()
	}
	if ft.NumOut() == 1 {
		return []reflect.Value{ev}
	}
	if !val.IsValid() {
		val = reflect.Zero(ft.Out(0))
	}
	return []reflect.Value{val, ev}
}

func (m *Method) invoke(conn *Conn, ft reflect.Type, in []reflect.Value) []reflect.Value {
	ctx, _ := in[0].Interface().(context.Context)
	if ctx == nil {
		ctx = context.Background()
	}
	if conn == nil {
		return m.results(ft, reflect.Value{}, newError(EINVAL, "a client without a connection"))
	}
	w := newWriter()
	w.inArg = true
	for i, a := range m.args {
		if err := a.enc(w, in[i+1]); err != nil {
			w.release()
			for _, ch := range w.chans {
				ch.fail(err)
			}
			return m.results(ft, reflect.Value{}, err)
		}
	}
	chans := w.chans
	args, err := w.bytes()
	if err != nil {
		return m.results(ft, reflect.Value{}, err)
	}
	cs := &callState{conn: conn, method: m.ID, args: args, chans: chans}
	cs.decode = m.decodeResponse
	if err := conn.complete(ctx, cs); err != nil {
		return m.results(ft, reflect.Value{}, err)
	}
	var val reflect.Value
	if cs.result != nil {
		val = cs.result.(reflect.Value)
	}
	return m.results(ft, val, nil)
}

// decodeResponse runs on the loop goroutine with the response's view bytes.
func (m *Method) decodeResponse(cs *callState, status int, p unsafe.Pointer, n int) {
	switch status {
	case 0:
		if m.ret == nil {
			if n != 0 {
				cs.finish(newError(EINVALIDPAYLOAD, "the () result has bytes"))
				return
			}
			cs.finish(nil)
			return
		}
		v := reflect.New(m.retT).Elem()
		if err := decodeInto(v, p, n, nil); err != nil {
			cs.finish(newError(EINVALIDPAYLOAD, "the result does not decode: "+err.Error()))
			return
		}
		cs.result = v
		cs.finish(nil)
	case EUSER:
		raw := C.GoBytes(p, C.int(n))
		e := &Error{Code: EUSER, Name: "ROAM_EUSER", Raw: raw}
		if m.errInfo != nil {
			v := reflect.New(m.errT).Elem()
			if err := decodeInto(v, p, n, nil); err == nil {
				e.User = v.Interface()
			} else {
				e.Detail = "the user error does not decode: " + err.Error()
			}
		}
		cs.finish(e)
	default:
		cs.finish(responseError(status, nil))
	}
}

// UserError makes the error a handler returns for Err(v) of a Result<T, E>
// (a handler may also return the E value itself when E implements error).
func UserError(v any) error { return &Error{Code: EUSER, Name: "ROAM_EUSER", User: v} }

type serviceHandler[S any] struct {
	svc  *Service[S]
	impl reflect.Value
}

// Handler serves impl: each request to the method's func field, on its own
// goroutine (arguments are decoded, and channels bound, on the runtime's
// goroutine first). A method whose func is nil, or an id not declared, is
// answered UnknownMethod. A handler that panics is recovered and reported;
// the request is released (the caller sees ErrCancelled).
func (s *Service[S]) Handler(impl *S) Handler {
	return &serviceHandler[S]{svc: s, impl: reflect.ValueOf(impl).Elem()}
}

func (h *serviceHandler[S]) ServeRoam(req *Request) {
	m := h.svc.byID[req.Method]
	if m == nil {
		_ = req.ReplyFail(EUNKNOWNMETHOD)
		return
	}
	fn := h.impl.Field(m.field)
	if fn.IsNil() {
		_ = req.ReplyFail(EUNKNOWNMETHOD)
		return
	}
	in := make([]reflect.Value, len(m.args)+1)
	in[0] = reflect.ValueOf(req.Context())
	rd := &reader{conn: req.conn, chans: req.channels}
	argv := reflect.New(m.argsT).Elem()
	if err := decodeInto(argv, req.argp, req.argn, rd); err != nil {
		_ = req.ReplyFail(EINVALIDPAYLOAD)
		return
	}
	for i := range m.args {
		in[i+1] = argv.Field(i)
	}
	r := req.conn.sess.r
	go func() {
		var out []reflect.Value
		panicked := false
		func() {
			defer func() {
				if p := recover(); p != nil {
					panicked = true
					r.reportPanic(fmt.Errorf("roam: handler %s panicked: %v", m.Name, p))
				}
			}()
			out = fn.Call(in)
		}()
		if panicked {
			_ = req.Release()
			return
		}
		errV := out[len(out)-1]
		if !errV.IsNil() {
			err := errV.Interface().(error)
			if m.errInfo != nil {
				var uv any
				var re *Error
				if errors.As(err, &re) && re.Code == EUSER && re.User != nil {
					uv = re.User
				} else if m.errT.Implements(errorType) {
					target := reflect.New(m.errT)
					if errors.As(err, target.Interface()) {
						uv = target.Elem().Interface()
					}
				}
				if uv != nil {
					w := newWriter()
					if e := m.errInfo.enc(w, reflect.ValueOf(uv)); e != nil {
						w.release()
						_ = req.Release()
						return
					}
					b, e := w.bytes()
					if e != nil {
						_ = req.Release()
						return
					}
					_ = req.ReplyUserError(b)
					return
				}
			}
			req.answer(nil, err)
			return
		}
		var b []byte
		if m.ret != nil {
			w := newWriter()
			if e := m.ret.enc(w, out[0]); e != nil {
				w.release()
				r.reportPanic(fmt.Errorf("roam: %s: the result does not encode: %v", m.Name, e))
				_ = req.Release()
				return
			}
			var e error
			if b, e = w.bytes(); e != nil {
				_ = req.Release()
				return
			}
		}
		_ = req.ReplyOK(b, nil)
	}()
}

func argFields(ts []reflect.Type) []reflect.StructField {
	fs := make([]reflect.StructField, len(ts))
	for i, t := range ts {
		fs[i] = reflect.StructField{Name: fmt.Sprintf("A%d", i), Type: t}
	}
	return fs
}

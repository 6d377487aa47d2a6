package roam

/*
#include "glue.h"
*/
import "C"

import (
	"bytes"
	"fmt"
	"reflect"
	"sort"
	"strings"
	"sync"
	"unicode"
	"unsafe"
)

// How Go types map to roam (postcard + signature):
//
//	bool, int8..int64, uint8..uint64, float32/64, string   the same Rust type (int = i64, uint = u64)
//	Char, U128, I128             char, u128, i128
//	[]byte                       Vec<u8> (bytes)
//	[]T, [N]T, map[K]V           Vec<T>, [T; N], HashMap<K, V>
//	map[K]struct{}               HashSet<K>
//	*T, Option[T]                Option<T>
//	struct{...}                  a struct: exported fields in order, named by
//	                             their `roam:"name"` tag (else snake_case);
//	                             `roam:"-"` skips a field; no fields = unit
//	Tuple2[A,B], Tuple3, Tuple4  a tuple
//	a struct with an AsTuple field   a tuple struct
//	Unit (struct{})              ()
//	a type given to RegisterEnum  a unit-only enum (values 0..n-1)
//	an interface given to RegisterUnion  an enum with payloads: each variant
//	                             a struct type (fields: struct variant; none:
//	                             unit variant; AsTuple: tuple variant) or any
//	                             other type (newtype variant)
//	Register enums and unions before first use (descriptions are cached).
//	Tx[T], Rx[T]                 channels (method arguments only)

// Unit is ().
type Unit = struct{}

// AsTuple, as a (blank) field of a struct, makes the struct a tuple.
type AsTuple struct{}

// Option is Rust's Option<T> (a *T works too).
type Option[T any] struct {
	Value T
	Some  bool
}

// Some is Option{v, true}.
func Some[T any](v T) Option[T] { return Option[T]{Value: v, Some: true} }

// None is the empty Option.
func None[T any]() Option[T] { return Option[T]{} }

func (Option[T]) roamOption() {}

// Tuple2 is (A, B).
type Tuple2[A, B any] struct {
	A A
	B B
}

// Tuple3 is (A, B, C).
type Tuple3[A, B, C any] struct {
	A A
	B B
	C C
}

// Tuple4 is (A, B, C, D).
type Tuple4[A, B, C, D any] struct {
	A A
	B B
	C C
	D D
}

func (Tuple2[A, B]) roamTuple()       {}
func (Tuple3[A, B, C]) roamTuple()    {}
func (Tuple4[A, B, C, D]) roamTuple() {}

// Char is Rust's char (one Unicode scalar value).
type Char rune

// U128 is Rust's u128: (Hi << 64) | Lo.
type U128 struct{ Hi, Lo uint64 }

// I128 is Rust's i128 in two's complement: (Hi << 64) | Lo.
type I128 struct {
	Hi int64
	Lo uint64
}

var (
	charType = reflect.TypeOf(Char(0))
	u128Type = reflect.TypeOf(U128{})
	i128Type = reflect.TypeOf(I128{})
	unitType = reflect.TypeOf(struct{}{})
)

type optionMarker interface{ roamOption() }
type tupleMarker interface{ roamTuple() }

// ---- registered enums and unions ----------------------------------------------------

type enumInfo struct {
	name     string
	variants []string
	// unions
	types []reflect.Type
}

var (
	regMu      sync.RWMutex
	enums      = map[reflect.Type]*enumInfo{}
	namedTypes = map[string]reflect.Type{}
)

// RegisterEnum declares E (an integer type) as the unit-only enum `name`
// whose variants, in order, are E(0), E(1), ...
func RegisterEnum[E any](name string, variants ...string) {
	t := reflect.TypeOf((*E)(nil)).Elem()
	switch t.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
	default:
		panic(fmt.Sprintf("roam.RegisterEnum: %v is not an integer type", t))
	}
	regMu.Lock()
	defer regMu.Unlock()
	enums[t] = &enumInfo{name: name, variants: variants}
	namedTypes[name] = t
}

// Variant is one variant of a union (see V).
type Variant struct {
	Name string
	Type reflect.Type
}

// V declares variant `name` carried by the Go type T.
func V[T any](name string) Variant { return Variant{name, reflect.TypeOf((*T)(nil)).Elem()} }

// RegisterUnion declares the interface type I as the enum `name` with
// payloads: each variant's type must implement I.
func RegisterUnion[I any](name string, variants ...Variant) {
	t := reflect.TypeOf((*I)(nil)).Elem()
	if t.Kind() != reflect.Interface {
		panic(fmt.Sprintf("roam.RegisterUnion: %v is not an interface type", t))
	}
	info := &enumInfo{name: name}
	for _, v := range variants {
		if !v.Type.Implements(t) {
			panic(fmt.Sprintf("roam.RegisterUnion: %v does not implement %v", v.Type, t))
		}
		info.variants = append(info.variants, v.Name)
		info.types = append(info.types, v.Type)
	}
	regMu.Lock()
	defer regMu.Unlock()
	enums[t] = info
	namedTypes[name] = t
}

// RegisterType names a type for `error=Name` in service tags.
func RegisterType[T any](name string) {
	regMu.Lock()
	defer regMu.Unlock()
	namedTypes[name] = reflect.TypeOf((*T)(nil)).Elem()
}

func lookupNamed(name string) reflect.Type {
	regMu.RLock()
	defer regMu.RUnlock()
	return namedTypes[name]
}

func enumOf(t reflect.Type) *enumInfo {
	regMu.RLock()
	defer regMu.RUnlock()
	return enums[t]
}

// ---- type infos ---------------------------------------------------------------------

type typeInfo struct {
	t       reflect.Type
	enc     encFn
	dec     decFn
	sig     func(b *sigBuilder) error
	minSize int
}

var infoCache sync.Map // reflect.Type -> *typeInfo

var chanArgType = reflect.TypeOf((*channelArg)(nil)).Elem()

func infoOf(t reflect.Type) (*typeInfo, error) {
	if v, ok := infoCache.Load(t); ok {
		return v.(*typeInfo), nil
	}
	building := map[reflect.Type]*typeInfo{}
	ti, err := buildInfo(t, building)
	if err != nil {
		return nil, err
	}
	for k, v := range building {
		infoCache.LoadOrStore(k, v)
	}
	return ti, nil
}

func snake(s string) string {
	var b strings.Builder
	rs := []rune(s)
	for i, r := range rs {
		if unicode.IsUpper(r) {
			if i > 0 && (unicode.IsLower(rs[i-1]) || (i+1 < len(rs) && unicode.IsLower(rs[i+1]))) {
				b.WriteByte('_')
			}
			b.WriteRune(unicode.ToLower(r))
		} else {
			b.WriteRune(r)
		}
	}
	return b.String()
}

type fieldInfo struct {
	index int
	name  string
	ti    *typeInfo
}

func structFields(t reflect.Type, building map[reflect.Type]*typeInfo) (fields []fieldInfo, tuple bool, err error) {
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		if f.Type == reflect.TypeOf(AsTuple{}) {
			tuple = true
			continue
		}
		if !f.IsExported() {
			continue
		}
		name := snake(f.Name)
		if tag, ok := f.Tag.Lookup("roam"); ok {
			tn := strings.Split(tag, ",")[0]
			if tn == "-" {
				continue
			}
			if tn != "" {
				name = tn
			}
		}
		fi, err := buildInfo(f.Type, building)
		if err != nil {
			return nil, false, fmt.Errorf("field %s: %w", f.Name, err)
		}
		fields = append(fields, fieldInfo{i, name, fi})
	}
	return fields, tuple, nil
}

func typeName(t reflect.Type) string {
	if e := enumOf(t); e != nil {
		return e.name
	}
	if t.Name() != "" {
		return t.Name()
	}
	return t.String()
}

func buildInfo(t reflect.Type, building map[reflect.Type]*typeInfo) (*typeInfo, error) {
	if v, ok := infoCache.Load(t); ok {
		return v.(*typeInfo), nil
	}
	if ti, ok := building[t]; ok {
		return ti, nil // recursive: filled in below
	}
	ti := &typeInfo{t: t, minSize: 1}
	building[t] = ti

	if e := enumOf(t); e != nil {
		if e.types == nil {
			n := len(e.variants)
			ti.enc = func(w *writer, v reflect.Value) error {
				var i int64
				if v.CanInt() {
					i = v.Int()
				} else {
					i = int64(v.Uint())
				}
				if i < 0 || i >= int64(n) {
					return newError(EINVAL, fmt.Sprintf("%v(%d) is not a variant of %s", t, i, e.name))
				}
				return writeVariant(w, int(i))
			}
			ti.dec = func(r *reader, v reflect.Value) error {
				i, err := readVariant(r, n)
				if err != nil {
					return err
				}
				if v.CanInt() {
					v.SetInt(int64(i))
				} else {
					v.SetUint(uint64(i))
				}
				return nil
			}
			ti.sig = func(b *sigBuilder) error {
				return b.named(t, e.name, func() error {
					if err := b.rc(C.roam_sig_enum(b.b, b.str(e.name), C.size_t(len(e.name)), C.size_t(n))); err != nil {
						return err
					}
					for _, vn := range e.variants {
						if err := b.rc(C.roam_sig_variant_unit(b.b, b.str(vn), C.size_t(len(vn)))); err != nil {
							return err
						}
					}
					return nil
				})
			}
			return ti, nil
		}
		return unionInfo(ti, e, building)
	}

	if enc, dec, prim, ok := specialCodec(t); ok {
		ti.enc, ti.dec = enc, dec
		ti.sig = func(b *sigBuilder) error { return b.rc(C.roam_sig_primitive(b.b, C.int(prim))) }
		return ti, nil
	}
	if enc, dec, prim, ok := primitiveCodec(t); ok {
		ti.enc, ti.dec = enc, dec
		ti.sig = func(b *sigBuilder) error { return b.rc(C.roam_sig_primitive(b.b, C.int(prim))) }
		return ti, nil
	}

	if t.Implements(chanArgType) {
		zero := reflect.Zero(t).Interface().(channelArg)
		elem, err := buildInfo(zero.chanElem(), building)
		if err != nil {
			return nil, err
		}
		isTx := zero.isTx()
		ti.minSize = 0
		ti.enc = func(w *writer, v reflect.Value) error {
			if !w.inArg {
				return newError(EINVAL, "channels travel only as call arguments")
			}
			core := v.Interface().(channelArg).chanCore()
			if core == nil {
				return newError(EINVAL, "a zero Tx/Rx: make channels with roam.NewChannel")
			}
			core.mu.Lock()
			used := core.used
			core.used = true
			core.mu.Unlock()
			if used {
				return newError(ESTATE, "this channel was passed in a call already")
			}
			if isTx {
				core.dir = C.ROAM_CHANNEL_RECEIVE // the server sends, we receive
			} else {
				core.dir = C.ROAM_CHANNEL_SEND
			}
			w.chans = append(w.chans, core)
			return nil
		}
		ti.dec = func(r *reader, v reflect.Value) error {
			if r.conn == nil {
				return newError(EINVAL, "channels travel only as call arguments")
			}
			if r.next >= len(r.chans) {
				return newError(EINVALIDPAYLOAD, "fewer channels than the signature has")
			}
			core := newCore(zero.chanElem(), DefaultCredit)
			if isTx {
				core.dir = C.ROAM_CHANNEL_SEND
			} else {
				core.dir = C.ROAM_CHANNEL_RECEIVE
			}
			core.used = true
			if err := core.bind(r.conn, r.chans[r.next]); err != nil {
				return err
			}
			r.next++
			v.Addr().Interface().(channelSetter).setCore(core)
			return nil
		}
		ti.sig = func(b *sigBuilder) error {
			if isTx {
				return b.node(C.roam_sig_tx(b.b), elem)
			}
			return b.node(C.roam_sig_rx(b.b), elem)
		}
		return ti, nil
	}

	switch t.Kind() {
	case reflect.Slice:
		if t.Elem().Kind() == reflect.Uint8 {
			ti.enc, ti.dec = bytesCodec()
			ti.sig = func(b *sigBuilder) error { return b.rc(C.roam_sig_primitive(b.b, C.ROAM_SIG_BYTES)) }
			return ti, nil
		}
		el, err := buildInfo(t.Elem(), building)
		if err != nil {
			return nil, err
		}
		ti.enc = func(w *writer, v reflect.Value) error {
			if err := writeLen(w, v.Len()); err != nil {
				return err
			}
			return encodeElems(w, el, v)
		}
		ti.dec = func(r *reader, v reflect.Value) error {
			n, err := readLen(r, el.minSize)
			if err != nil {
				return err
			}
			s := reflect.MakeSlice(t, n, n)
			if err := decodeElems(r, el, s); err != nil {
				return err
			}
			v.Set(s)
			return nil
		}
		ti.sig = func(b *sigBuilder) error { return b.node(C.roam_sig_list(b.b), el) }
		return ti, nil
	case reflect.Array:
		el, err := buildInfo(t.Elem(), building)
		if err != nil {
			return nil, err
		}
		n := t.Len()
		ti.minSize = n * el.minSize
		ti.enc = func(w *writer, v reflect.Value) error { return encodeElems(w, el, v) }
		ti.dec = func(r *reader, v reflect.Value) error { return decodeElems(r, el, v) }
		ti.sig = func(b *sigBuilder) error { return b.node(C.roam_sig_array(b.b, C.uint64_t(n)), el) }
		return ti, nil
	case reflect.Map:
		kt, err := buildInfo(t.Key(), building)
		if err != nil {
			return nil, err
		}
		var vt *typeInfo // nil for map[K]struct{}, a set: its entries are keys alone
		if t.Elem() != unitType {
			if vt, err = buildInfo(t.Elem(), building); err != nil {
				return nil, err
			}
		}
		ti.enc = func(w *writer, v reflect.Value) error { return encodeMap(w, kt, vt, v) }
		ti.dec = func(r *reader, v reflect.Value) error { return decodeMap(r, kt, vt, v) }
		ti.sig = func(b *sigBuilder) error {
			if vt == nil {
				return b.node(C.roam_sig_set(b.b), kt)
			}
			return b.node(C.roam_sig_map(b.b), kt, vt)
		}
		return ti, nil
	case reflect.Pointer:
		el, err := buildInfo(t.Elem(), building)
		if err != nil {
			return nil, err
		}
		ti.enc = func(w *writer, v reflect.Value) error {
			if err := writeOption(w, !v.IsNil()); err != nil || v.IsNil() {
				return err
			}
			return el.enc(w, v.Elem())
		}
		ti.dec = func(r *reader, v reflect.Value) error {
			some, err := readOption(r)
			if err != nil || !some {
				v.Set(reflect.Zero(t))
				return err
			}
			p := reflect.New(t.Elem())
			if err := el.dec(r, p.Elem()); err != nil {
				return err
			}
			v.Set(p)
			return nil
		}
		ti.sig = func(b *sigBuilder) error { return b.node(C.roam_sig_option(b.b), el) }
		return ti, nil
	case reflect.Struct:
		return structInfo(ti, building)
	}
	return nil, newError(EINVAL, fmt.Sprintf("roam: the Go type %v has no roam mapping", t))
}

func structInfo(ti *typeInfo, building map[reflect.Type]*typeInfo) (*typeInfo, error) {
	t := ti.t
	if t.Implements(reflect.TypeOf((*optionMarker)(nil)).Elem()) {
		el, err := buildInfo(t.Field(0).Type, building)
		if err != nil {
			return nil, err
		}
		ti.enc = func(w *writer, v reflect.Value) error {
			some := v.Field(1).Bool()
			if err := writeOption(w, some); err != nil || !some {
				return err
			}
			return el.enc(w, v.Field(0))
		}
		ti.dec = func(r *reader, v reflect.Value) error {
			some, err := readOption(r)
			if err != nil || !some {
				v.Set(reflect.Zero(t))
				return err
			}
			v.Field(1).SetBool(true)
			return el.dec(r, v.Field(0))
		}
		ti.sig = func(b *sigBuilder) error { return b.node(C.roam_sig_option(b.b), el) }
		return ti, nil
	}
	fields, tuple, err := structFields(t, building)
	if err != nil {
		return nil, err
	}
	plainTuple := t.Implements(reflect.TypeOf((*tupleMarker)(nil)).Elem())
	ti.minSize = 0
	ti.enc = func(w *writer, v reflect.Value) error {
		for _, f := range fields {
			if err := f.ti.enc(w, v.Field(f.index)); err != nil {
				return err
			}
		}
		return nil
	}
	ti.dec = func(r *reader, v reflect.Value) error {
		for _, f := range fields {
			if err := f.ti.dec(r, v.Field(f.index)); err != nil {
				return err
			}
		}
		return nil
	}
	name := typeName(t)
	ti.sig = func(b *sigBuilder) error {
		if len(fields) == 0 {
			return b.rc(C.roam_sig_primitive(b.b, C.ROAM_SIG_UNIT))
		}
		if plainTuple {
			if err := b.rc(C.roam_sig_tuple(b.b, C.size_t(len(fields)))); err != nil {
				return err
			}
			for _, f := range fields {
				if err := f.ti.sig(b); err != nil {
					return err
				}
			}
			return nil
		}
		return b.named(t, name, func() error {
			if tuple {
				if err := b.rc(C.roam_sig_tuple_struct(b.b, b.str(name), C.size_t(len(name)), C.size_t(len(fields)))); err != nil {
					return err
				}
				for _, f := range fields {
					if err := f.ti.sig(b); err != nil {
						return err
					}
				}
				return nil
			}
			if err := b.rc(C.roam_sig_struct(b.b, b.str(name), C.size_t(len(name)), C.size_t(len(fields)))); err != nil {
				return err
			}
			return b.fields(fields)
		})
	}
	return ti, nil
}

func unionInfo(ti *typeInfo, e *enumInfo, building map[reflect.Type]*typeInfo) (*typeInfo, error) {
	t := ti.t
	type variant struct {
		name   string
		t      reflect.Type
		info   *typeInfo
		fields []fieldInfo
		tuple  bool
		kind   int // 0 unit, 1 struct, 2 tuple, 3 newtype
	}
	vars := make([]variant, len(e.types))
	byType := map[reflect.Type]int{}
	for i, vt := range e.types {
		v := variant{name: e.variants[i], t: vt}
		info, err := buildInfo(vt, building)
		if err != nil {
			return nil, err
		}
		v.info = info
		if vt.Kind() == reflect.Struct && enumOf(vt) == nil && !vt.Implements(reflect.TypeOf((*optionMarker)(nil)).Elem()) {
			fields, tuple, err := structFields(vt, building)
			if err != nil {
				return nil, err
			}
			if vt.Implements(reflect.TypeOf((*tupleMarker)(nil)).Elem()) {
				tuple = true
			}
			v.fields, v.tuple = fields, tuple
			switch {
			case tuple:
				v.kind = 2
			case len(fields) == 0:
				v.kind = 0
			default:
				v.kind = 1
			}
		} else {
			v.kind = 3
		}
		vars[i] = v
		byType[vt] = i
	}
	ti.enc = func(w *writer, v reflect.Value) error {
		if v.IsNil() {
			return newError(EINVAL, fmt.Sprintf("a nil %s", e.name))
		}
		c := v.Elem()
		i, ok := byType[c.Type()]
		if !ok {
			return newError(EINVAL, fmt.Sprintf("%v is not a variant of %s", c.Type(), e.name))
		}
		if err := writeVariant(w, i); err != nil {
			return err
		}
		return vars[i].info.enc(w, c)
	}
	ti.dec = func(r *reader, v reflect.Value) error {
		i, err := readVariant(r, len(vars))
		if err != nil {
			return err
		}
		c := reflect.New(vars[i].t).Elem()
		if err := vars[i].info.dec(r, c); err != nil {
			return err
		}
		v.Set(c)
		return nil
	}
	ti.sig = func(b *sigBuilder) error {
		return b.named(t, e.name, func() error {
			if err := b.rc(C.roam_sig_enum(b.b, b.str(e.name), C.size_t(len(e.name)), C.size_t(len(vars)))); err != nil {
				return err
			}
			for _, v := range vars {
				nm, nn := b.str(v.name), C.size_t(len(v.name))
				switch v.kind {
				case 0:
					if err := b.rc(C.roam_sig_variant_unit(b.b, nm, nn)); err != nil {
						return err
					}
				case 1:
					if err := b.rc(C.roam_sig_variant_struct(b.b, nm, nn, C.size_t(len(v.fields)))); err != nil {
						return err
					}
					if err := b.fields(v.fields); err != nil {
						return err
					}
				case 2:
					if err := b.rc(C.roam_sig_variant_tuple(b.b, nm, nn, C.size_t(len(v.fields)))); err != nil {
						return err
					}
					for _, f := range v.fields {
						if err := f.ti.sig(b); err != nil {
							return err
						}
					}
				default:
					if err := b.rc(C.roam_sig_variant_newtype(b.b, nm, nn)); err != nil {
						return err
					}
					if err := v.info.sig(b); err != nil {
						return err
					}
				}
			}
			return nil
		})
	}
	return ti, nil
}

// ---- signatures -----------------------------------------------------------------------

type sigBuilder struct {
	b     *C.roam_sig_builder
	stack []reflect.Type
	strs  []*C.char
}

func newSigBuilder() (*sigBuilder, error) {
	var b *C.roam_sig_builder
	if rc := C.roam_sig_builder_new(&b); rc != 0 {
		return nil, errorOf(rc, "roam_sig_builder_new")
	}
	return &sigBuilder{b: b}, nil
}

func (b *sigBuilder) free() {
	C.roam_sig_builder_free(b.b)
	for _, s := range b.strs {
		C.free(unsafe.Pointer(s))
	}
}

// str is a NUL-terminated C copy, used with its length (or ROAM_NTS).
func (b *sigBuilder) str(s string) *C.char {
	c := C.CString(s)
	b.strs = append(b.strs, c)
	return c
}

func (b *sigBuilder) rc(rc C.int) error { return errorOf(rc, "signature") }

// node completes a container whose opening call (roam_sig_list(b.b)...)
// returned rc: its element types follow it, in order.
func (b *sigBuilder) node(rc C.int, elems ...*typeInfo) error {
	if err := b.rc(rc); err != nil {
		return err
	}
	for _, el := range elems {
		if err := el.sig(b); err != nil {
			return err
		}
	}
	return nil
}

// named describes a named type, or refers back to it when it is being
// described already (a recursive type).
func (b *sigBuilder) named(t reflect.Type, name string, body func() error) error {
	for _, s := range b.stack {
		if s == t {
			return b.rc(C.roam_sig_ref(b.b, b.str(name), C.size_t(len(name))))
		}
	}
	b.stack = append(b.stack, t)
	err := body()
	b.stack = b.stack[:len(b.stack)-1]
	return err
}

func (b *sigBuilder) fields(fields []fieldInfo) error {
	for _, f := range fields {
		if err := b.rc(C.roam_sig_field(b.b, b.str(f.name), C.size_t(len(f.name)))); err != nil {
			return err
		}
		if err := f.ti.sig(b); err != nil {
			return err
		}
	}
	return nil
}

func (b *sigBuilder) finish() ([]byte, error) {
	var p *C.uint8_t
	var n C.size_t
	if rc := C.roam_sig_finish(b.b, &p, &n); rc != 0 {
		return nil, errorOf(rc, "roam_sig_finish")
	}
	return C.GoBytes(unsafe.Pointer(p), C.int(n)), nil
}

// Signature is the roam signature bytes of the Go type of v (as roam_sig_finish gives them).
func Signature(t reflect.Type) ([]byte, error) {
	ti, err := infoOf(t)
	if err != nil {
		return nil, err
	}
	b, err := newSigBuilder()
	if err != nil {
		return nil, err
	}
	defer b.free()
	if err := ti.sig(b); err != nil {
		return nil, err
	}
	return b.finish()
}

// MethodID is roam_method_id(service, method, signature).
func MethodID(service, method string, signature []byte) (uint64, error) {
	cs, cm := C.CString(service), C.CString(method)
	defer C.free(unsafe.Pointer(cs))
	defer C.free(unsafe.Pointer(cm))
	var p *C.uint8_t
	if len(signature) > 0 {
		p = (*C.uint8_t)(unsafe.Pointer(&signature[0]))
	}
	var id C.uint64_t
	if rc := C.roam_method_id(cs, C.size_t(len(service)), cm, C.size_t(len(method)), p, C.size_t(len(signature)), &id); rc != 0 {
		return 0, errorOf(rc, "roam_method_id")
	}
	return uint64(id), nil
}

// sortedKeys returns the keys of map m in the order of their encodings, so
// that a map or set always encodes to the same bytes (Go's map order is
// random; Rust's BTreeMap/BTreeSet are ordered too).
func sortedKeys(kt *typeInfo, m reflect.Value) ([]reflect.Value, error) {
	type keyed struct {
		enc []byte
		key reflect.Value
	}
	entries := make([]keyed, 0, m.Len())
	it := m.MapRange()
	for it.Next() {
		kw := newWriter()
		if err := kt.enc(kw, it.Key()); err != nil {
			kw.release()
			return nil, err
		}
		b, err := kw.bytes()
		if err != nil {
			return nil, err
		}
		entries = append(entries, keyed{b, it.Key()})
	}
	sort.Slice(entries, func(i, j int) bool { return bytes.Compare(entries[i].enc, entries[j].enc) < 0 })
	keys := make([]reflect.Value, len(entries))
	for i, e := range entries {
		keys[i] = e.key
	}
	return keys, nil
}

// encodeElems writes every element of a slice or array (its length, if
// any, is written before).
func encodeElems(w *writer, el *typeInfo, v reflect.Value) error {
	for i, n := 0, v.Len(); i < n; i++ {
		if err := el.enc(w, v.Index(i)); err != nil {
			return err
		}
	}
	return nil
}

// decodeElems fills every element of a slice or array made to its length.
func decodeElems(r *reader, el *typeInfo, v reflect.Value) error {
	for i, n := 0, v.Len(); i < n; i++ {
		if err := el.dec(r, v.Index(i)); err != nil {
			return err
		}
	}
	return nil
}

// encodeMap writes a map (vt nil: a set, keys only) with its keys in sorted
// order, so equal maps encode to equal bytes.
func encodeMap(w *writer, kt, vt *typeInfo, v reflect.Value) error {
	if err := writeLen(w, v.Len()); err != nil {
		return err
	}
	keys, err := sortedKeys(kt, v)
	if err != nil {
		return err
	}
	for _, k := range keys {
		if err := kt.enc(w, k); err != nil {
			return err
		}
		if vt == nil {
			continue
		}
		if err := vt.enc(w, v.MapIndex(k)); err != nil {
			return err
		}
	}
	return nil
}

// decodeMap reads a map (vt nil: a set, every value struct{}{}).
func decodeMap(r *reader, kt, vt *typeInfo, v reflect.Value) error {
	t := v.Type()
	entrySize := kt.minSize
	if vt != nil {
		entrySize += vt.minSize
	}
	n, err := readLen(r, entrySize)
	if err != nil {
		return err
	}
	m := reflect.MakeMapWithSize(t, n)
	for i := 0; i < n; i++ {
		k := reflect.New(t.Key()).Elem()
		if err := kt.dec(r, k); err != nil {
			return err
		}
		e := reflect.New(t.Elem()).Elem() // struct{}{} for a set
		if vt != nil {
			if err := vt.dec(r, e); err != nil {
				return err
			}
		}
		m.SetMapIndex(k, e)
	}
	v.Set(m)
	return nil
}

package roam

/*
#include "glue.h"

static inline int roamgo_write_gostr(roam_postcard_writer *w, _GoString_ s) {
  return roam_postcard_write_str(w, _GoStringPtr(s), _GoStringLen(s));
}
static inline roam_postcard_writer *roamgo_writer_new(void) {
  roam_postcard_writer *w = (roam_postcard_writer *)malloc(sizeof *w);
  if (w != NULL && roam_postcard_writer_init_growing(w, sizeof *w) != 0) { free(w); return NULL; }
  return w;
}
static inline void roamgo_writer_free(roam_postcard_writer *w) { roam_postcard_writer_free(w); free(w); }
static inline roam_postcard_reader *roamgo_reader_new(const uint8_t *data, size_t len) {
  roam_postcard_reader *r = (roam_postcard_reader *)malloc(sizeof *r);
  if (r != NULL && roam_postcard_reader_init(r, sizeof *r, data, len) != 0) { free(r); return NULL; }
  return r;
}

// One writer and one reader per numeric family (integers, floats), the
// width chosen by the signature code (ROAM_SIG_I8...) and the value carried
// in the widest type of the family (a u64 as the same 64 bits in an
// int64); ROAM_EINVAL for a code outside the family.
#define ROAMGO_WRITE(SIG, kind, ctype) case ROAM_SIG_##SIG: return roam_postcard_write_##kind(w, (ctype)v);
#define ROAMGO_READ(SIG, kind, ctype) \
  case ROAM_SIG_##SIG: { ctype o = 0; int rc = roam_postcard_read_##kind(r, &o); *out = o; return rc; }
static inline int roamgo_write_int(roam_postcard_writer *w, int sig, int64_t v) {
  switch (sig) {
    ROAMGO_WRITE(I8, i8, int8_t) ROAMGO_WRITE(I16, i16, int16_t) ROAMGO_WRITE(I32, i32, int32_t) ROAMGO_WRITE(I64, i64, int64_t)
    ROAMGO_WRITE(U8, u8, uint8_t) ROAMGO_WRITE(U16, u16, uint16_t) ROAMGO_WRITE(U32, u32, uint32_t) ROAMGO_WRITE(U64, u64, uint64_t)
  }
  return ROAM_EINVAL;
}
static inline int roamgo_read_int(roam_postcard_reader *r, int sig, int64_t *out) {
  switch (sig) {
    ROAMGO_READ(I8, i8, int8_t) ROAMGO_READ(I16, i16, int16_t) ROAMGO_READ(I32, i32, int32_t) ROAMGO_READ(I64, i64, int64_t)
    ROAMGO_READ(U8, u8, uint8_t) ROAMGO_READ(U16, u16, uint16_t) ROAMGO_READ(U32, u32, uint32_t) ROAMGO_READ(U64, u64, uint64_t)
  }
  return ROAM_EINVAL;
}
static inline int roamgo_write_float(roam_postcard_writer *w, int sig, double v) {
  switch (sig) { ROAMGO_WRITE(F32, f32, float) ROAMGO_WRITE(F64, f64, double) }
  return ROAM_EINVAL;
}
static inline int roamgo_read_float(roam_postcard_reader *r, int sig, double *out) {
  switch (sig) { ROAMGO_READ(F32, f32, float) ROAMGO_READ(F64, f64, double) }
  return ROAM_EINVAL;
}
*/
import "C"

import (
	"fmt"
	"math"
	"reflect"
	"unsafe"
)

// The postcard codec of the typed layer: libroam's C codec
// (roam_postcard.h), driven by reflection. A writer and a reader live in C
// memory; no Go pointer is stored in C memory.

type writer struct {
	w     *C.roam_postcard_writer
	chans []*chanCore // channels the arguments carry (calling side)
	inArg bool        // channels are allowed (top-level call arguments)
}

var writerPool = make(chan *C.roam_postcard_writer, 64)

func newWriter() *writer {
	var w *C.roam_postcard_writer
	select {
	case w = <-writerPool:
		C.roam_postcard_writer_reset(w)
	default:
		w = C.roamgo_writer_new()
		if w == nil {
			panic("roam: out of memory")
		}
	}
	return &writer{w: w}
}

// bytes finishes the value and releases the writer.
func (w *writer) bytes() ([]byte, error) {
	var n C.size_t
	rc := C.roam_postcard_writer_finish(w.w, &n)
	var out []byte
	if rc == 0 {
		if n == 0 {
			out = []byte{}
		} else {
			out = C.GoBytes(unsafe.Pointer(w.w.buf), C.int(n))
		}
	}
	select {
	case writerPool <- w.w:
	default:
		C.roamgo_writer_free(w.w)
	}
	w.w = nil
	if rc != 0 {
		return nil, errorOf(rc, "postcard encode")
	}
	return out, nil
}

func (w *writer) release() {
	if w.w != nil {
		C.roamgo_writer_free(w.w)
		w.w = nil
	}
}

type reader struct {
	r     *C.roam_postcard_reader
	conn  *Conn    // serving: the connection channels are bound on
	chans []uint64 // serving: the request's channel ids
	next  int
}

func rc2err(rc C.int) error {
	if rc == 0 {
		return nil
	}
	return newError(int(rc), "postcard")
}

// decodeView decodes one whole value of type t from C memory p[0..n).
func decodeView(t reflect.Type, p unsafe.Pointer, n int, rd *reader) (any, error) {
	v := reflect.New(t).Elem()
	if err := decodeInto(v, p, n, rd); err != nil {
		return nil, err
	}
	return v.Interface(), nil
}

func decodeInto(v reflect.Value, p unsafe.Pointer, n int, rd *reader) error {
	ti, err := infoOf(v.Type())
	if err != nil {
		return err
	}
	cr := C.roamgo_reader_new((*C.uint8_t)(p), C.size_t(n))
	if cr == nil {
		return newError(ENOMEM, "reader")
	}
	defer C.free(unsafe.Pointer(cr))
	if rd == nil {
		rd = &reader{}
	}
	rd.r = cr
	if err := ti.dec(rd, v); err != nil {
		return err
	}
	return rc2err(C.roam_postcard_reader_finish(cr))
}

// Marshal encodes v, as its static type T, as postcard with the C codec.
func Marshal[T any](v T) ([]byte, error) {
	rv := reflect.ValueOf(&v).Elem()
	ti, err := infoOf(rv.Type())
	if err != nil {
		return nil, err
	}
	w := newWriter()
	if err := ti.enc(w, rv); err != nil {
		w.release()
		return nil, err
	}
	return w.bytes()
}

// Unmarshal decodes postcard bytes into *ptr (the whole input must be one value).
func Unmarshal(data []byte, ptr any) error {
	rv := reflect.ValueOf(ptr)
	if rv.Kind() != reflect.Pointer || rv.IsNil() {
		return newError(EINVAL, "Unmarshal needs a non-nil pointer")
	}
	var p unsafe.Pointer
	if len(data) > 0 {
		p = C.CBytes(data)
		defer C.free(p)
	}
	return decodeInto(rv.Elem(), p, len(data), nil)
}

// ---- per-type codecs --------------------------------------------------------------

type encFn func(w *writer, v reflect.Value) error
type decFn func(r *reader, v reflect.Value) error

// The numeric kinds, each with its signature code: a C helper per family
// (roamgo_write_int and the others above) picks the width from it, so
// every width shares one encoder and one decoder here.
var (
	intSigs = map[reflect.Kind]int{
		reflect.Int8: C.ROAM_SIG_I8, reflect.Int16: C.ROAM_SIG_I16, reflect.Int32: C.ROAM_SIG_I32, reflect.Int64: C.ROAM_SIG_I64, reflect.Int: C.ROAM_SIG_I64,
		reflect.Uint8: C.ROAM_SIG_U8, reflect.Uint16: C.ROAM_SIG_U16, reflect.Uint32: C.ROAM_SIG_U32, reflect.Uint64: C.ROAM_SIG_U64, reflect.Uint: C.ROAM_SIG_U64, reflect.Uintptr: C.ROAM_SIG_U64,
	}
	floatSigs = map[reflect.Kind]int{reflect.Float32: C.ROAM_SIG_F32, reflect.Float64: C.ROAM_SIG_F64}
)

func primitiveCodec(t reflect.Type) (encFn, decFn, int, bool) {
	k := t.Kind()
	if sig, ok := intSigs[k]; ok {
		// Unsigned values cross as the same 64 bits in an int64.
		signed := k >= reflect.Int && k <= reflect.Int64
		return func(w *writer, v reflect.Value) error {
				var bits int64
				if signed {
					bits = v.Int()
				} else {
					bits = int64(v.Uint())
				}
				return rc2err(C.roamgo_write_int(w.w, C.int(sig), C.int64_t(bits)))
			}, func(r *reader, v reflect.Value) error {
				var o C.int64_t
				if rc := C.roamgo_read_int(r.r, C.int(sig), &o); rc != 0 {
					return rc2err(rc)
				}
				// An i64 or u64 may not fit a 32-bit int or uint.
				if signed && !v.OverflowInt(int64(o)) {
					v.SetInt(int64(o))
					return nil
				}
				if !signed && !v.OverflowUint(uint64(o)) {
					v.SetUint(uint64(o))
					return nil
				}
				return newError(ERANGE, "integer out of range")
			}, sig, true
	}
	if sig, ok := floatSigs[k]; ok {
		return func(w *writer, v reflect.Value) error {
				return rc2err(C.roamgo_write_float(w.w, C.int(sig), C.double(v.Float())))
			}, func(r *reader, v reflect.Value) error {
				var o C.double
				rc := C.roamgo_read_float(r.r, C.int(sig), &o)
				v.SetFloat(float64(o))
				return rc2err(rc)
			}, sig, true
	}
	switch k {
	case reflect.Bool:
		return func(w *writer, v reflect.Value) error {
				b := 0
				if v.Bool() {
					b = 1
				}
				return rc2err(C.roam_postcard_write_bool(w.w, C.int(b)))
			}, func(r *reader, v reflect.Value) error {
				var o C.int
				rc := C.roam_postcard_read_bool(r.r, &o)
				v.SetBool(o != 0)
				return rc2err(rc)
			}, C.ROAM_SIG_BOOL, true
	case reflect.String:
		return func(w *writer, v reflect.Value) error { return rc2err(C.roamgo_write_gostr(w.w, v.String())) },
			func(r *reader, v reflect.Value) error {
				var s *C.char
				var n C.size_t
				rc := C.roam_postcard_read_str(r.r, &s, &n)
				if rc != 0 {
					return rc2err(rc)
				}
				v.SetString(C.GoStringN(s, C.int(n)))
				return nil
			}, C.ROAM_SIG_STRING, true
	}
	return nil, nil, 0, false
}

// specialCodec: Char, U128, I128.
func specialCodec(t reflect.Type) (encFn, decFn, int, bool) {
	switch t {
	case charType:
		return func(w *writer, v reflect.Value) error {
				return rc2err(C.roam_postcard_write_char(w.w, C.uint32_t(v.Int())))
			}, func(r *reader, v reflect.Value) error {
				var o C.uint32_t
				rc := C.roam_postcard_read_char(r.r, &o)
				v.SetInt(int64(o))
				return rc2err(rc)
			}, C.ROAM_SIG_CHAR, true
	case u128Type:
		return func(w *writer, v reflect.Value) error {
				return rc2err(C.roam_postcard_write_u128(w.w, C.uint64_t(v.Field(0).Uint()), C.uint64_t(v.Field(1).Uint())))
			}, func(r *reader, v reflect.Value) error {
				var hi, lo C.uint64_t
				rc := C.roam_postcard_read_u128(r.r, &hi, &lo)
				v.Field(0).SetUint(uint64(hi))
				v.Field(1).SetUint(uint64(lo))
				return rc2err(rc)
			}, C.ROAM_SIG_U128, true
	case i128Type:
		return func(w *writer, v reflect.Value) error {
				return rc2err(C.roam_postcard_write_i128(w.w, C.int64_t(v.Field(0).Int()), C.uint64_t(v.Field(1).Uint())))
			}, func(r *reader, v reflect.Value) error {
				var hi C.int64_t
				var lo C.uint64_t
				rc := C.roam_postcard_read_i128(r.r, &hi, &lo)
				v.Field(0).SetInt(int64(hi))
				v.Field(1).SetUint(uint64(lo))
				return rc2err(rc)
			}, C.ROAM_SIG_I128, true
	}
	return nil, nil, 0, false
}

func bytesCodec() (encFn, decFn) {
	return func(w *writer, v reflect.Value) error {
			b := v.Bytes()
			if len(b) == 0 {
				return rc2err(C.roam_postcard_write_bytes(w.w, nil, 0))
			}
			return rc2err(C.roam_postcard_write_bytes(w.w, (*C.uint8_t)(unsafe.Pointer(&b[0])), C.size_t(len(b))))
		}, func(r *reader, v reflect.Value) error {
			var p *C.uint8_t
			var n C.size_t
			rc := C.roam_postcard_read_bytes(r.r, &p, &n)
			if rc != 0 {
				return rc2err(rc)
			}
			b := C.GoBytes(unsafe.Pointer(p), C.int(n))
			v.SetBytes(b)
			return nil
		}
}

func writeLen(w *writer, n int) error { return rc2err(C.roam_postcard_write_len(w.w, C.uint64_t(n))) }

func readLen(r *reader, min int) (int, error) {
	var n C.uint64_t
	if rc := C.roam_postcard_read_len(r.r, C.size_t(min), &n); rc != 0 {
		return 0, rc2err(rc)
	}
	if uint64(n) > math.MaxInt32 {
		return 0, newError(EBADLENGTH, "length too large")
	}
	return int(n), nil
}

func writeVariant(w *writer, i int) error {
	return rc2err(C.roam_postcard_write_variant(w.w, C.uint32_t(i)))
}

func readVariant(r *reader, count int) (int, error) {
	var i C.uint32_t
	if rc := C.roam_postcard_read_variant(r.r, C.uint32_t(count), &i); rc != 0 {
		return 0, rc2err(rc)
	}
	return int(i), nil
}

func writeOption(w *writer, some bool) error {
	s := 0
	if some {
		s = 1
	}
	return rc2err(C.roam_postcard_write_option(w.w, C.int(s)))
}

func readOption(r *reader) (bool, error) {
	var s C.int
	if rc := C.roam_postcard_read_option(r.r, &s); rc != 0 {
		return false, rc2err(rc)
	}
	return s != 0, nil
}

var _ = fmt.Sprintf

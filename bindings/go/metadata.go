package roam

/*
#include "glue.h"
*/
import "C"

import (
	"fmt"
	"strings"
	"unsafe"
)

// Metadata flag bits.
const (
	Sensitive   uint64 = 1
	NoPropagate uint64 = 2
)

// MetaEntry is one (key, value, flags) entry. Value is a string, a []byte
// or a uint64.
type MetaEntry struct {
	Key   string
	Value any
	Flags uint64
}

// Metadata is an ordered list of entries (keys may repeat), as carried by
// handshakes, connection opens/accepts/rejects/closes and requests.
type Metadata []MetaEntry

// MD builds string metadata from key, value pairs: MD("want", "accept").
func MD(kv ...string) Metadata {
	md := make(Metadata, 0, len(kv)/2)
	for i := 0; i+1 < len(kv); i += 2 {
		md = append(md, MetaEntry{Key: kv[i], Value: kv[i+1]})
	}
	return md
}

// Get returns the first value with key (nil if none).
func (m Metadata) Get(key string) any {
	for _, e := range m {
		if e.Key == key {
			return e.Value
		}
	}
	return nil
}

// String returns the first string value with key ("" if none).
func (m Metadata) String(key string) string {
	s, _ := m.Get(key).(string)
	return s
}

// Format prints key=value pairs.
func (m Metadata) Format() string {
	var b strings.Builder
	for i, e := range m {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, "%s=%v", e.Key, e.Value)
	}
	return b.String()
}

// toC makes an owned roam_metadata (nil for empty); free with C.roam_metadata_free.
func (m Metadata) toC() (*C.roam_metadata, error) {
	if len(m) == 0 {
		return nil, nil
	}
	var md *C.roam_metadata
	if rc := C.roam_metadata_new(&md); rc != 0 {
		return nil, errorOf(rc, "roam_metadata_new")
	}
	for _, e := range m {
		k := C.CString(e.Key)
		var rc C.int
		switch v := e.Value.(type) {
		case string:
			cv := C.CString(v)
			rc = C.roam_metadata_add_string(md, k, C.size_t(len(e.Key)), cv, C.size_t(len(v)), C.uint64_t(e.Flags))
			C.free(unsafe.Pointer(cv))
		case []byte:
			cv := C.CBytes(v)
			rc = C.roam_metadata_add_bytes(md, k, C.size_t(len(e.Key)), cv, C.size_t(len(v)), C.uint64_t(e.Flags))
			C.free(cv)
		case uint64:
			rc = C.roam_metadata_add_u64(md, k, C.size_t(len(e.Key)), C.uint64_t(v), C.uint64_t(e.Flags))
		default:
			C.free(unsafe.Pointer(k))
			C.roam_metadata_free(md)
			return nil, newError(EINVAL, fmt.Sprintf("metadata %q: value of type %T (want string, []byte or uint64)", e.Key, e.Value))
		}
		C.free(unsafe.Pointer(k))
		if rc != 0 {
			err := errorOf(rc, "metadata "+e.Key)
			C.roam_metadata_free(md)
			return nil, err
		}
	}
	return md, nil
}

// metadataFrom copies a (view or owned) roam_metadata into Go.
func metadataFrom(md *C.roam_metadata) Metadata {
	n := int(C.roam_metadata_count(md))
	if n == 0 {
		return nil
	}
	out := make(Metadata, 0, n)
	for i := 0; i < n; i++ {
		var key *C.char
		var klen, vlen C.size_t
		var kind C.int
		var val *C.uint8_t
		var u C.uint64_t
		var flags C.uint64_t
		if C.roam_metadata_get(md, C.size_t(i), &key, &klen, &kind, &val, &vlen, &u, &flags) != 0 {
			break
		}
		e := MetaEntry{Key: C.GoStringN(key, C.int(klen)), Flags: uint64(flags)}
		switch kind {
		case C.ROAM_METADATA_STRING:
			e.Value = C.GoStringN((*C.char)(unsafe.Pointer(val)), C.int(vlen))
		case C.ROAM_METADATA_BYTES:
			e.Value = C.GoBytes(unsafe.Pointer(val), C.int(vlen))
		default:
			e.Value = uint64(u)
		}
		out = append(out, e)
	}
	return out
}

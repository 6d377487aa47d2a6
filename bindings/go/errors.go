package roam

/*
#cgo pkg-config: roam
#include "glue.h"
*/
import "C"

import (
	"fmt"
)

// Error is a libroam failure: a ROAM_E* code, its symbolic name and
// roam_strerror text, and the detail (roam_last_error_detail, a session's
// end reason, or what the binding knows). errors.Is(err, roam.ErrClosed)
// compares codes; a user error (ErrUser) carries the method's error value
// in User, and Unwrap gives it (or the context's error for a cancelled
// call).
type Error struct {
	Code   int    // a negative ROAM_E* code
	Name   string // "ROAM_ECLOSED"
	Detail string // why, when known
	User   any    // the decoded E of a Result<T, E> method (Code == ROAM_EUSER)
	Raw    []byte // the postcard bytes of User (Code == ROAM_EUSER), or a value that did not decode
	cause  error
}

func (e *Error) Error() string {
	msg := e.Name + ": " + C.GoString(C.roam_strerror(C.int(e.Code)))
	if e.User != nil {
		msg += fmt.Sprintf(" (%v)", e.User)
	}
	if e.Detail != "" {
		msg += ": " + e.Detail
	}
	return msg
}

// Is matches another *Error by code (the sentinels below).
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	return ok && t.Code == e.Code
}

// Unwrap gives the user error value (when it is an error) or the cause
// (the context error of a cancelled or timed out call).
func (e *Error) Unwrap() error {
	if err, ok := e.User.(error); ok {
		return err
	}
	return e.cause
}

func newError(code int, detail string) *Error {
	return &Error{Code: code, Name: C.GoString(C.roam_err_name(C.int(code))), Detail: detail}
}

// errorOf turns a libroam return code into an error (nil for >= 0), with the
// thread's roam_last_error_detail when that is set by the failure. Must run
// on the thread that made the failing call.
func errorOf(rc C.int, what string) error {
	if rc >= 0 {
		return nil
	}
	detail := C.GoString(C.roam_last_error_detail())
	if detail == "" {
		detail = what
	} else if what != "" {
		detail = what + ": " + detail
	}
	return newError(int(rc), detail)
}

// Code constants (roam_errors.h).
const (
	EINVAL          = -1
	ENOMEM          = -2
	EAGAIN          = -3
	ESTATE          = -4
	ENOTFOUND       = -5
	EROOT           = -6
	ECLOSED         = -7
	EREJECTED       = -8
	EPROTO          = -9
	EVERSION        = -10
	EHANDSHAKE      = -11
	ETIMEDOUT       = -12
	EKEEPALIVE      = -13
	EEOF            = -14
	EIO             = -15
	EFRAMESIZE      = -16
	ELIMIT          = -17
	ECANCELLED      = -18
	EPEERERROR      = -19
	ESHUTDOWN       = -20
	ERESET          = -21
	EUSER           = -22
	EUNKNOWNMETHOD  = -23
	EINVALIDPAYLOAD = -24
	ENOBUFS         = -25
	EINTERNAL       = -26
	ETRUNCATED      = -30
	EOVERLONG       = -31
	EBADTAG         = -32
	EBADLENGTH      = -33
	ETRAILING       = -34
	EBADUTF8        = -35
	ERANGE          = -36
)

// Sentinels for errors.Is.
var (
	ErrInvalid        = &Error{Code: EINVAL}
	ErrNoMemory       = &Error{Code: ENOMEM}
	ErrAgain          = &Error{Code: EAGAIN}
	ErrState          = &Error{Code: ESTATE}
	ErrNotFound       = &Error{Code: ENOTFOUND}
	ErrRoot           = &Error{Code: EROOT}
	ErrClosed         = &Error{Code: ECLOSED}
	ErrRejected       = &Error{Code: EREJECTED}
	ErrProto          = &Error{Code: EPROTO}
	ErrVersion        = &Error{Code: EVERSION}
	ErrHandshake      = &Error{Code: EHANDSHAKE}
	ErrTimedOut       = &Error{Code: ETIMEDOUT}
	ErrKeepalive      = &Error{Code: EKEEPALIVE}
	ErrEOF            = &Error{Code: EEOF}
	ErrIO             = &Error{Code: EIO}
	ErrLimit          = &Error{Code: ELIMIT}
	ErrCancelled      = &Error{Code: ECANCELLED}
	ErrPeerError      = &Error{Code: EPEERERROR}
	ErrShutdown       = &Error{Code: ESHUTDOWN}
	ErrReset          = &Error{Code: ERESET}
	ErrUser           = &Error{Code: EUSER}
	ErrUnknownMethod  = &Error{Code: EUNKNOWNMETHOD}
	ErrInvalidPayload = &Error{Code: EINVALIDPAYLOAD}
	ErrInternal       = &Error{Code: EINTERNAL}
)

// StrError is roam_strerror(code).
func StrError(code int) string { return C.GoString(C.roam_strerror(C.int(code))) }

// Version is the library's version ("1.0.0").
func Version() string { return C.GoString(C.roam_version()) }

/*
 * libroam error codes.
 *
 * Every libroam function that can fail returns an int: zero (or a positive
 * count) on success, one of these negative codes on failure. roam_strerror()
 * names a code. The values are part of the ABI: they never change and are
 * never reused; new codes are only ever added.
 */
#ifndef ROAM_ERRORS_H
#define ROAM_ERRORS_H

enum roam_error {
  ROAM_OK = 0,

  /* Usage and resources */
  ROAM_EINVAL = -1,      /* invalid argument */
  ROAM_ENOMEM = -2,      /* out of memory */
  ROAM_EAGAIN = -3,      /* would block: outbound queue full or the peer's
                            request/credit limit reached; retry after the
                            writable (or channel-writable) callback */
  ROAM_ESTATE = -4,      /* not valid in the current state */
  ROAM_ENOTFOUND = -5,   /* no such connection, request or channel */
  ROAM_EROOT = -6,       /* the root connection cannot be closed */
  ROAM_ECLOSED = -7,     /* the connection or session is closed */
  ROAM_EREJECTED = -8,   /* the peer rejected the virtual connection */

  /* Session failures (also reported as the session's close reason) */
  ROAM_EPROTO = -9,      /* the peer violated the protocol */
  ROAM_EVERSION = -10,   /* protocol version mismatch */
  ROAM_EHANDSHAKE = -11, /* unexpected message during the handshake */
  ROAM_ETIMEDOUT = -12,  /* a deadline passed: the handshake, a frame in
                          * progress, or an idle peer (see the reason) */
  ROAM_EKEEPALIVE = -13, /* no Pong before the keepalive deadline */
  ROAM_EEOF = -14,       /* the peer closed the transport */
  ROAM_EIO = -15,        /* transport error (the session reason has detail) */
  ROAM_EFRAMESIZE = -16, /* frame larger than the configured maximum */
  ROAM_ELIMIT = -17,     /* a configured limit was exceeded */
  ROAM_ECANCELLED = -18, /* the call or operation was cancelled */
  ROAM_EPEERERROR = -19, /* the peer sent a ProtocolError */
  ROAM_ESHUTDOWN = -20,  /* the session was shut down locally */

  /* Call and channel outcomes (RoamError and channel resets) */
  ROAM_ERESET = -21,          /* the channel was reset (receiver asked to stop) */
  ROAM_EUSER = -22,           /* the method returned its own error value */
  ROAM_EUNKNOWNMETHOD = -23,  /* the peer has no such method */
  ROAM_EINVALIDPAYLOAD = -24, /* the peer could not decode the arguments */

  /* Added in 1.0 */
  ROAM_ENOBUFS = -25,    /* the buffer given is too small (the size needed
                            is written back) */
  ROAM_EINTERNAL = -26,  /* a failure inside libroam that is not the
                            caller's or the peer's doing (a bug: report it) */

  /* Decoding errors: malformed bytes from the peer */
  ROAM_ETRUNCATED = -30, /* input ends inside a value */
  ROAM_EOVERLONG = -31,  /* varint longer than its type allows */
  ROAM_EBADTAG = -32,    /* unknown enum discriminant */
  ROAM_EBADLENGTH = -33, /* length or count runs past the end of the input */
  ROAM_ETRAILING = -34,  /* bytes left over after a complete message */
  ROAM_EBADUTF8 = -35,   /* string is not valid UTF-8 */
  ROAM_ERANGE = -36      /* value out of range for its type */
};

#endif /* ROAM_ERRORS_H */

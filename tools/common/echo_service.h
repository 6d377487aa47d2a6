/* The service `roamcat serve` and the benchmark's server answer calls with:
 *   echo  a call is answered Ok(its argument bytes), which fits any method
 *         taking and returning one value of the same type (Rust
 *         `echo(String) -> String`);
 *   sink  a call that carries channels has them bound and their items
 *         counted; it is answered Ok(u64 items) once every one has ended
 *         (Rust `sum(Rx<T>) -> u64`-like methods).
 * Which methods get which is up to the caller's filter below. */
#ifndef ROAM_TOOLS_ECHO_SERVICE_H
#define ROAM_TOOLS_ECHO_SERVICE_H

#include <stddef.h>
#include <stdint.h>

#include <roam/roam.h>

typedef struct {
  uint64_t echo_method; /* 0: echo every method (that is not a sink call) */
  uint64_t sink_method; /* its calls are sink calls; 0: any call carrying channels */
} echo_service;

/* Answers (or, for a sink call, starts serving) request `request_id`: a
 * sink call when `method` is sink_method (or, with sink_method 0, when it
 * carries channels); else echo when echo_method is 0 or `method`; else
 * UnknownMethod. */
void echo_service_serve(const echo_service *svc, roam_conn *conn, uint64_t request_id,
                        uint64_t method, const uint64_t *channels, size_t channel_count,
                        const uint8_t *args, size_t args_len);

#endif

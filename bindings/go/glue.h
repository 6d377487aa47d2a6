#ifndef ROAMGO_GLUE_H
#define ROAMGO_GLUE_H
#include <stdint.h>
#include <stdlib.h>
#include <roam/roam.h>
#include <roam/roam_postcard.h>
#include <roam/roam_method_id.h>

int roamgo_post(roam_runtime *rt, uintptr_t h);
roam_callbacks *roamgo_callbacks(void);
int roamgo_connect(roam_runtime *rt, const char *addr, const roam_options *o, const roam_callbacks *cbs,
                   uintptr_t h, roam_session **out);
void roamgo_session_set_ud(roam_session *s, uintptr_t h);
int roamgo_session_close(roam_session *s, uintptr_t h);
int roamgo_listen(roam_runtime *rt, const char *addr, const roam_options *o, const roam_callbacks *cbs, uintptr_t h,
                  roam_listener **out);
int roamgo_listener_close(roam_listener *l, uintptr_t h);
int roamgo_open(roam_session *s, const roam_metadata *md, roam_conn **out);
int roamgo_call(roam_conn *c, uint64_t mid, const uint64_t *chans, size_t nchans, const roam_metadata *md,
                const void *args, size_t len, uintptr_t tok, uint64_t *rid);
int roamgo_chan_open(roam_conn *c, int dir, uint32_t credit, uintptr_t tok, uint64_t *id);
int roamgo_chan_bind(roam_conn *c, uint64_t id, int dir, uint32_t credit, uintptr_t tok);
#endif

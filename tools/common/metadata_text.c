#include "metadata_text.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>

static void append(char *buf, size_t len, size_t *used, const char *fmt, ...) {
  if (*used >= len) return;
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(buf + *used, len - *used, fmt, ap);
  va_end(ap);
  if (n > 0) *used += (size_t)n;
  if (*used >= len) *used = len - 1;
}

const char *md_text(const roam_metadata *md, char *buf, size_t len) {
  size_t used = 0;
  buf[0] = '\0';
  append(buf, len, &used, "[");
  size_t n = roam_metadata_count(md);
  for (size_t i = 0; i < n; ++i) {
    const char *key;
    size_t key_len, value_len;
    int kind;
    const uint8_t *value;
    uint64_t u64, flags;
    roam_metadata_get(md, i, &key, &key_len, &kind, &value, &value_len, &u64, &flags);
    append(buf, len, &used, "%s%.*s=", i ? ", " : "", (int)key_len, key);
    if (flags & ROAM_METADATA_SENSITIVE) {
      append(buf, len, &used, "<sensitive>");
    } else if (kind == ROAM_METADATA_STRING) {
      append(buf, len, &used, "\"%.*s\"", (int)value_len, (const char *)value);
    } else if (kind == ROAM_METADATA_BYTES) {
      append(buf, len, &used, "0x");
      for (size_t k = 0; k < value_len; ++k) append(buf, len, &used, "%02x", value[k]);
    } else {
      append(buf, len, &used, "%" PRIu64, u64);
    }
  }
  append(buf, len, &used, "]");
  return buf;
}

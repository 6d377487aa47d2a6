/* Metadata as people read it: [key="text", key=0xbytes, key=123], with
 * SENSITIVE values masked (they are never shown). */
#ifndef ROAM_TOOLS_METADATA_TEXT_H
#define ROAM_TOOLS_METADATA_TEXT_H

#include <stddef.h>

#include <roam/roam.h>

/* Writes the rendering into buf (always NUL-terminated, cut if too long);
 * returns buf. */
const char *md_text(const roam_metadata *md, char *buf, size_t len);

#endif

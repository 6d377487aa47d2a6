// Human-readable names for the ROAM_E* codes, shared by every layer that
// reports errors (transcripts, session reasons, roam_strerror).
#pragma once

namespace roam {

// Short description of an error code ("protocol version mismatch").
// Never returns null; unknown codes get "unknown error".
const char *error_text(int code) noexcept;

// Symbolic name of an error code ("ROAM_EVERSION"); "ROAM_E?" if unknown.
const char *error_name(int code) noexcept;

}  // namespace roam

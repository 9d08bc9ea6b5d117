// The rules for text that people read off a card or a gate screen (docs/spec/display-text.md):
// a holder's name and member number on a card, an issuer's name and a status reason on the
// ledger. Such text must be
//   - well-formed UTF-8,
//   - in Unicode Normalization Form C (so that one name has one byte form, and two cards that
//     look the same are the same),
//   - free of control characters (C0, DEL, C1: newline, tab, terminal escapes), the line and
//     paragraph separators U+2028/U+2029, and the bidirectional controls (U+061C, U+200E,
//     U+200F, U+202A..U+202E, U+2066..U+2069) that can reorder what a screen shows,
//   - non-empty where required, and at most a given number of characters (Unicode code
//     points, not bytes: 64 characters of a Chinese name are 192 bytes).
// The checks use ICU (normalization and character properties).
//
// Thread safety: pure functions; safe on any thread.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "common/status.h"

namespace laurel::types {

inline constexpr size_t kMaxHolderNameChars = 64;
inline constexpr size_t kMaxMemberNoChars = 32;

// Whether `s` is well-formed UTF-8 (no overlong forms, no surrogates, nothing past U+10FFFF).
bool IsUtf8(std::string_view s);

// Ok, or InvalidArgument naming `what` and the first rule `s` breaks (e.g. "holder name:
// contains a control character (U+000A) at character 4"). `max_chars` 0: no length limit.
Status CheckDisplayText(std::string_view what, std::string_view s, size_t max_chars,
                        bool allow_empty = false);

// The card's display fields: holder name (1..kMaxHolderNameChars) and member number
// (1..kMaxMemberNoChars).
struct CardBody;
Status CheckCardDisplayFields(const CardBody& body);

// `s` in Normalization Form C (for input that is UTF-8 but not NFC, e.g. a name typed on a
// system that decomposes accents). Fails on text that is not UTF-8.
Result<std::string> ToNfc(std::string_view s);

}  // namespace laurel::types

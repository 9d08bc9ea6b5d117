// Base45 (RFC 9285): the QR alphanumeric-mode encoding used for `LC1:` cards.
#pragma once

#include <string>
#include <string_view>

#include "common/bytes.h"
#include "common/status.h"

namespace laurel {

std::string Base45Encode(ByteView data);
// Rejects characters outside the 45-symbol alphabet, a dangling single character, and
// chunks whose value overflows (e.g. "GGW" = 65535+... > 0xFFFF), with kInvalidArgument.
Result<Bytes> Base45Decode(std::string_view text);

}  // namespace laurel

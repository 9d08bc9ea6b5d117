// QR codes for cards: a card's "LC1:..." text as a PNG any phone scanner reads, and back.
//
// Writing: libqrencode, error correction level M; the text of a card is all QR alphanumeric
// characters (base45 is that alphabet), so the encoder uses alphanumeric mode throughout.
// The PNG is 8-bit grayscale, 4 pixels per module, with the standard 4-module quiet zone.
// Reading: libpng decodes any PNG (colour, alpha, 16-bit: converted to 8-bit gray), then zbar
// looks for QR codes; the first one found is returned.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace laurel::cli {

inline constexpr int kQrPixelsPerModule = 4;
inline constexpr int kQrQuietZoneModules = 4;

// The modules of a QR code holding `text` (same encoding as EncodeQrPng), row by row, true =
// dark; `width` modules a side, without the quiet zone.
struct QrModules {
  int width = 0;
  std::vector<bool> dark;
  bool at(int x, int y) const { return dark[static_cast<size_t>(y) * width + x]; }
};
Result<QrModules> EncodeQrModules(std::string_view text);

// The PNG file bytes of a QR code holding `text`. kInvalidArgument when the text does not fit
// in a QR code (or is empty).
Result<std::string> EncodeQrPng(std::string_view text);

// The text of the first QR code in the PNG `png` (file bytes). kInvalidArgument when the data
// is not a PNG or holds no readable QR code.
Result<std::string> DecodeQrPng(std::string_view png);

}  // namespace laurel::cli

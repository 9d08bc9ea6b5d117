#include "cli/qr.h"

#include <png.h>
#include <qrencode.h>
#include <zbar.h>

#include <cerrno>
#include <cstring>
#include <memory>
#include <vector>

namespace laurel::cli {

// zbar.h puts its C API in namespace zbar when compiled as C++.
using namespace zbar;  // NOLINT(google-build-using-namespace)

namespace {

struct QrFree {
  void operator()(QRcode* q) const { QRcode_free(q); }
};
struct PngFree {
  void operator()(png_image* p) const { png_image_free(p); }
};
struct ScannerFree {
  void operator()(zbar_image_scanner_t* s) const { zbar_image_scanner_destroy(s); }
};
struct ImageFree {
  void operator()(zbar_image_t* i) const { zbar_image_destroy(i); }
};

}  // namespace

Result<std::string> EncodeQrPng(std::string_view text) {
  if (text.empty()) return Status::InvalidArgument("no text to put in a QR code");
  const std::string s(text);  // NUL-terminated for libqrencode
  if (s.find('\0') != std::string::npos) {
    return Status::InvalidArgument("QR text contains a NUL byte");
  }
  // Hint QR_MODE_8 with case sensitivity: the encoder still picks alphanumeric (and numeric)
  // mode for every run of such characters, which for a card is the whole text.
  errno = 0;
  std::unique_ptr<QRcode, QrFree> qr(
      QRcode_encodeString(s.c_str(), /*version=*/0, QR_ECLEVEL_M, QR_MODE_8, /*casesensitive=*/1));
  if (!qr) {
    return Status::InvalidArgument(
        std::string("cannot make a QR code of ") + std::to_string(s.size()) +
        " characters: " + (errno == ERANGE ? "too long" : std::strerror(errno)));
  }
  const int modules = qr->width;
  const int side = (modules + 2 * kQrQuietZoneModules) * kQrPixelsPerModule;
  std::vector<uint8_t> pixels(static_cast<size_t>(side) * static_cast<size_t>(side), 0xFF);
  for (int y = 0; y < modules; ++y) {
    for (int x = 0; x < modules; ++x) {
      // Bit 0 of each module byte: 1 = dark.
      if ((qr->data[y * modules + x] & 1) == 0) continue;
      const int px = (x + kQrQuietZoneModules) * kQrPixelsPerModule;
      const int py = (y + kQrQuietZoneModules) * kQrPixelsPerModule;
      for (int dy = 0; dy < kQrPixelsPerModule; ++dy) {
        std::memset(&pixels[static_cast<size_t>(py + dy) * side + px], 0x00, kQrPixelsPerModule);
      }
    }
  }
  png_image image{};
  image.version = PNG_IMAGE_VERSION;
  image.width = static_cast<png_uint_32>(side);
  image.height = static_cast<png_uint_32>(side);
  image.format = PNG_FORMAT_GRAY;
  png_alloc_size_t size = 0;
  if (!png_image_write_to_memory(&image, nullptr, &size, 0, pixels.data(), side, nullptr)) {
    return Status::Internal(std::string("libpng: ") + image.message);
  }
  std::string out(size, '\0');
  if (!png_image_write_to_memory(&image, out.data(), &size, 0, pixels.data(), side, nullptr)) {
    return Status::Internal(std::string("libpng: ") + image.message);
  }
  out.resize(size);
  return out;
}

Result<QrModules> EncodeQrModules(std::string_view text) {
  if (text.empty()) return Status::InvalidArgument("no text to put in a QR code");
  const std::string s(text);
  if (s.find('\0') != std::string::npos) {
    return Status::InvalidArgument("QR text contains a NUL byte");
  }
  errno = 0;
  std::unique_ptr<QRcode, QrFree> qr(
      QRcode_encodeString(s.c_str(), /*version=*/0, QR_ECLEVEL_M, QR_MODE_8, /*casesensitive=*/1));
  if (!qr) {
    return Status::InvalidArgument(
        std::string("cannot make a QR code of ") + std::to_string(s.size()) +
        " characters: " + (errno == ERANGE ? "too long" : std::strerror(errno)));
  }
  QrModules m;
  m.width = qr->width;
  m.dark.resize(static_cast<size_t>(m.width) * static_cast<size_t>(m.width));
  for (size_t i = 0; i < m.dark.size(); ++i) m.dark[i] = (qr->data[i] & 1) != 0;
  return m;
}

Result<std::string> DecodeQrPng(std::string_view png) {
  png_image image{};
  image.version = PNG_IMAGE_VERSION;
  if (!png_image_begin_read_from_memory(&image, png.data(), png.size())) {
    std::string why = image.message;
    png_image_free(&image);
    return Status::InvalidArgument("not a PNG image (" + why + ")");
  }
  std::unique_ptr<png_image, PngFree> guard(&image);
  // A code scanned from paper may be huge; a card's is a few hundred pixels square.
  constexpr png_uint_32 kMaxSide = 16384;
  if (image.width == 0 || image.height == 0 || image.width > kMaxSide || image.height > kMaxSide) {
    return Status::InvalidArgument("PNG image of " + std::to_string(image.width) + "x" +
                                   std::to_string(image.height) + " pixels is not supported");
  }
  // libpng converts colour and depth; transparency is composed onto the white background.
  image.format = PNG_FORMAT_GRAY;
  const size_t width = image.width;
  const size_t height = image.height;
  // zbar takes ownership of a malloc'ed buffer and frees it with zbar_image_free_data.
  auto* gray = static_cast<uint8_t*>(std::malloc(width * height));
  if (gray == nullptr) return Status::Internal("out of memory for the image");
  png_color background{0xFF, 0xFF, 0xFF};
  if (!png_image_finish_read(&image, &background, gray, static_cast<png_int_32>(width), nullptr)) {
    std::free(gray);
    return Status::InvalidArgument(std::string("cannot decode the PNG image: ") + image.message);
  }
  guard.reset();  // png_image_free is idempotent: finish_read may already have freed it

  std::unique_ptr<zbar_image_scanner_t, ScannerFree> scanner(zbar_image_scanner_create());
  if (!scanner) {
    std::free(gray);
    return Status::Internal("zbar: cannot create a scanner");
  }
  zbar_image_scanner_set_config(scanner.get(), ZBAR_NONE, ZBAR_CFG_ENABLE, 0);
  zbar_image_scanner_set_config(scanner.get(), ZBAR_QRCODE, ZBAR_CFG_ENABLE, 1);
  std::unique_ptr<zbar_image_t, ImageFree> zimg(zbar_image_create());
  if (!zimg) {
    std::free(gray);
    return Status::Internal("zbar: cannot create an image");
  }
  zbar_image_set_format(zimg.get(), zbar_fourcc('Y', '8', '0', '0'));
  zbar_image_set_size(zimg.get(), static_cast<unsigned>(width), static_cast<unsigned>(height));
  zbar_image_set_data(zimg.get(), gray, width * height, zbar_image_free_data);
  const int found = zbar_scan_image(scanner.get(), zimg.get());
  if (found < 0) return Status::InvalidArgument("zbar could not scan the image");
  for (const zbar_symbol_t* sym = zbar_image_first_symbol(zimg.get()); sym != nullptr;
       sym = zbar_symbol_next(sym)) {
    if (zbar_symbol_get_type(sym) != ZBAR_QRCODE) continue;
    return std::string(zbar_symbol_get_data(sym), zbar_symbol_get_data_length(sym));
  }
  return Status::InvalidArgument("no QR code found in the image");
}

}  // namespace laurel::cli

// QR codes of cards: text -> PNG (libqrencode, libpng) -> text (libpng, zbar).
#include "cli/qr.h"

#include <png.h>

#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "crypto/ed25519.h"
#include "types/card.h"

using namespace laurel;

namespace {

std::string SampleCardText(const std::string& holder) {
  crypto::Init();
  const auto key = crypto::PrivateKey::Generate();
  types::CardBody b;
  b.chain_id = "laurel-local";
  b.credential_id = "city-fed/MW/2026/004217";
  b.issuer_id = "city-fed";
  b.key_version = 1;
  b.type = types::CredentialType::kModelWorker;
  b.level = types::Level::kMunicipal;
  b.holder_name = holder;
  b.member_no = "QD-2026-0042";
  b.salt.assign(types::kCardSaltSize, 0x5A);
  b.valid_from = 1767225600;
  b.valid_until = 1861920000;
  return types::CardToText(types::SignCard(b, key));
}

struct Gray {
  png_uint_32 width = 0, height = 0;
  std::vector<uint8_t> pixels;
};

Gray ReadGray(const std::string& png) {
  png_image image{};
  image.version = PNG_IMAGE_VERSION;
  REQUIRE(png_image_begin_read_from_memory(&image, png.data(), png.size()));
  // The file itself is 8-bit grayscale without alpha or colour.
  CHECK(image.format == PNG_FORMAT_GRAY);
  Gray g;
  g.width = image.width;
  g.height = image.height;
  g.pixels.resize(PNG_IMAGE_SIZE(image));
  REQUIRE(png_image_finish_read(&image, nullptr, g.pixels.data(), 0, nullptr));
  return g;
}

std::string WriteGray(const Gray& g) {
  png_image image{};
  image.version = PNG_IMAGE_VERSION;
  image.width = g.width;
  image.height = g.height;
  image.format = PNG_FORMAT_GRAY;
  png_alloc_size_t size = 0;
  REQUIRE(png_image_write_to_memory(&image, nullptr, &size, 0, g.pixels.data(), 0, nullptr));
  std::string out(size, '\0');
  REQUIRE(png_image_write_to_memory(&image, out.data(), &size, 0, g.pixels.data(), 0, nullptr));
  out.resize(size);
  return out;
}

}  // namespace

TEST_CASE("a card's text survives QR encoding to PNG and zbar decoding unchanged", "[cli][qr]") {
  for (const std::string holder : {"Li Wei", "Zhang Xiuying-Ouyang Mingyuan the Third"}) {
    const std::string text = SampleCardText(holder);
    auto png = cli::EncodeQrPng(text);
    REQUIRE(png.ok());
    auto back = cli::DecodeQrPng(*png);
    INFO(text);
    REQUIRE(back.ok());
    CHECK(*back == text);
  }
}

TEST_CASE("the QR PNG is grayscale with a white 4-module quiet zone at 4 pixels a module",
          "[cli][qr]") {
  const std::string text = SampleCardText("Li Wei");
  auto png = cli::EncodeQrPng(text);
  REQUIRE(png.ok());
  const Gray g = ReadGray(*png);
  REQUIRE(g.width == g.height);
  // QR versions have 17 + 4v modules; with 8 quiet modules and 4 px each the side is a
  // multiple of 4 and (side/4 - 8 - 17) is a multiple of 4.
  REQUIRE(g.width % 4 == 0);
  const int modules = static_cast<int>(g.width / 4) - 2 * cli::kQrQuietZoneModules;
  CHECK((modules - 17) % 4 == 0);
  CHECK(modules >= 21);
  const int quiet_px = cli::kQrQuietZoneModules * cli::kQrPixelsPerModule;
  for (png_uint_32 y = 0; y < g.height; ++y) {
    for (png_uint_32 x = 0; x < g.width; ++x) {
      const bool in_quiet = x < static_cast<png_uint_32>(quiet_px) ||
                            y < static_cast<png_uint_32>(quiet_px) || x >= g.width - quiet_px ||
                            y >= g.height - quiet_px;
      if (in_quiet) REQUIRE(g.pixels[y * g.width + x] == 0xFF);
      // Only black and white.
      REQUIRE((g.pixels[y * g.width + x] == 0 || g.pixels[y * g.width + x] == 0xFF));
    }
  }
  // The top-left finder pattern starts right after the quiet zone: dark.
  CHECK(g.pixels[quiet_px * g.width + quiet_px] == 0);
}

TEST_CASE("decoding a PNG without a QR code, or bytes that are not a PNG, is a clear error",
          "[cli][qr][badinput]") {
  Gray blank;
  blank.width = blank.height = 200;
  blank.pixels.assign(200 * 200, 0xFF);
  auto none = cli::DecodeQrPng(WriteGray(blank));
  REQUIRE_FALSE(none.ok());
  CHECK(none.status().message() == "no QR code found in the image");

  auto garbage = cli::DecodeQrPng("LC1:not a png at all");
  REQUIRE_FALSE(garbage.ok());
  CHECK(garbage.status().message().rfind("not a PNG image", 0) == 0);

  // A truncated PNG: the header reads, the pixels do not.
  auto png = cli::EncodeQrPng(SampleCardText("Li Wei"));
  REQUIRE(png.ok());
  auto cut = cli::DecodeQrPng(png->substr(0, png->size() / 2));
  REQUIRE_FALSE(cut.ok());
}

TEST_CASE("a QR code saved as RGBA (as phones save screenshots) still decodes", "[cli][qr]") {
  // Phones save screenshots as RGB(A); libpng converts them to gray before zbar sees them.
  const std::string text = SampleCardText("Li Wei");
  auto png = cli::EncodeQrPng(text);
  REQUIRE(png.ok());
  const Gray g = ReadGray(*png);
  png_image image{};
  image.version = PNG_IMAGE_VERSION;
  image.width = g.width;
  image.height = g.height;
  image.format = PNG_FORMAT_RGBA;
  std::vector<uint8_t> rgba;
  for (uint8_t v : g.pixels) rgba.insert(rgba.end(), {v, v, v, 0xFF});
  png_alloc_size_t size = 0;
  REQUIRE(png_image_write_to_memory(&image, nullptr, &size, 0, rgba.data(), 0, nullptr));
  std::string out(size, '\0');
  REQUIRE(png_image_write_to_memory(&image, out.data(), &size, 0, rgba.data(), 0, nullptr));
  out.resize(size);
  auto back = cli::DecodeQrPng(out);
  REQUIRE(back.ok());
  CHECK(*back == text);
}

TEST_CASE("text too long for any QR code is refused", "[cli][qr][badinput]") {
  auto r = cli::EncodeQrPng(std::string(8000, 'A'));
  REQUIRE_FALSE(r.ok());
  CHECK(r.status().message().find("too long") != std::string::npos);
  CHECK_FALSE(cli::EncodeQrPng("").ok());
}

#include "cli/card_print.h"

#include <cairo-pdf.h>
#include <cairo.h>

#include <ctime>
#include <memory>

#include "cli/qr.h"

namespace laurel::cli {
namespace {

constexpr const char* kFont = "Noto Sans CJK SC";
constexpr double kMmPerInch = 25.4;

struct SurfaceFree {
  void operator()(cairo_surface_t* s) const { cairo_surface_destroy(s); }
};
struct CairoFree {
  void operator()(cairo_t* c) const { cairo_destroy(c); }
};

cairo_status_t Append(void* closure, const unsigned char* data, unsigned int length) {
  static_cast<std::string*>(closure)->append(reinterpret_cast<const char*>(data), length);
  return CAIRO_STATUS_SUCCESS;
}

std::string Date(uint64_t t) {
  const auto secs = static_cast<std::time_t>(t);
  std::tm tm{};
  if (gmtime_r(&secs, &tm) == nullptr) return std::to_string(t);
  char buf[16];
  std::strftime(buf, sizeof buf, "%Y-%m-%d", &tm);
  return buf;
}

// Sets `text` at (x, y) (baseline, mm) in `size` mm, shrunk until it fits `max_width` mm.
void Text(cairo_t* cr, const std::string& text, double x, double y, double size, double max_width,
          bool bold = false) {
  cairo_select_font_face(cr, kFont, CAIRO_FONT_SLANT_NORMAL,
                         bold ? CAIRO_FONT_WEIGHT_BOLD : CAIRO_FONT_WEIGHT_NORMAL);
  cairo_text_extents_t ext;
  for (;;) {
    cairo_set_font_size(cr, size);
    cairo_text_extents(cr, text.c_str(), &ext);
    if (ext.x_advance <= max_width || size < 1.2) break;
    size *= 0.92;
  }
  cairo_move_to(cr, x, y);
  cairo_show_text(cr, text.c_str());
}

void Draw(cairo_t* cr, const PrintedCardText& c, const QrModules& qr) {
  const types::CardBody& b = c.body;
  // White card, a red band with the union's name.
  cairo_set_source_rgb(cr, 1, 1, 1);
  cairo_paint(cr);
  cairo_set_source_rgb(cr, 0.70, 0.09, 0.11);
  cairo_rectangle(cr, 0, 0, kCr80WidthMm, 9.5);
  cairo_fill(cr);
  cairo_set_source_rgb(cr, 1, 1, 1);
  Text(cr, c.union_name.empty() ? b.issuer_id : c.union_name, 3.5, 6.6, 4.0,
       kCr80WidthMm - 7, /*bold=*/true);

  // The QR code: 40 mm square including the 4-module quiet zone, on the left.
  const double side = 40.0;
  const double x0 = 1.5, y0 = 11.5;
  const double module = side / (qr.width + 8);
  cairo_set_source_rgb(cr, 0, 0, 0);
  for (int y = 0; y < qr.width; ++y) {
    for (int x = 0; x < qr.width; ++x) {
      if (!qr.at(x, y)) continue;
      // A hair of overlap so that no seam shows between dark modules in a raster.
      cairo_rectangle(cr, x0 + (x + 4) * module, y0 + (y + 4) * module, module + 0.01,
                      module + 0.01);
    }
  }
  cairo_fill(cr);

  // What a person reads, on the right.
  const double tx = x0 + side + 1.5;
  const double tw = kCr80WidthMm - tx - 3;
  cairo_set_source_rgb(cr, 0.45, 0.45, 0.45);
  Text(cr, "持卡人 Holder", tx, 15.5, 2.2, tw);
  cairo_set_source_rgb(cr, 0, 0, 0);
  Text(cr, b.holder_name, tx, 22.0, 5.6, tw, /*bold=*/true);
  cairo_set_source_rgb(cr, 0.45, 0.45, 0.45);
  Text(cr, "会员号 Member No.", tx, 26.5, 2.2, tw);
  cairo_set_source_rgb(cr, 0, 0, 0);
  Text(cr, b.member_no, tx, 30.3, 3.2, tw);
  cairo_set_source_rgb(cr, 0.70, 0.09, 0.11);
  Text(cr, CardKindLabel(b), tx, 35.6, 3.0, tw, /*bold=*/true);
  cairo_set_source_rgb(cr, 0.45, 0.45, 0.45);
  Text(cr, "有效期 Valid", tx, 40.2, 2.2, tw);
  cairo_set_source_rgb(cr, 0, 0, 0);
  Text(cr, Date(b.valid_from) + " \xE2\x80\x93 " + Date(b.valid_until), tx, 44.0, 3.0, tw);
  cairo_set_source_rgb(cr, 0.35, 0.35, 0.35);
  Text(cr, b.credential_id, tx, 48.3, 2.0, tw);
  Text(cr, "扫码验证 Scan to verify", tx, 51.8, 1.9, tw);
}

}  // namespace

std::string CardKindLabel(const types::CardBody& b) {
  if (b.type == types::CredentialType::kMember) return "工会会员 Union member";
  std::string level;
  switch (b.level) {
    case types::Level::kNational:
      level = "全国 National";
      break;
    case types::Level::kProvincial:
      level = "省级 Provincial";
      break;
    case types::Level::kMunicipal:
      level = "市级 Municipal";
      break;
    case types::Level::kDistrict:
      level = "区县级 District";
      break;
    case types::Level::kEnterprise:
      level = "企业级 Enterprise";
      break;
    default:
      break;
  }
  return "劳动模范 Model worker" + (level.empty() ? "" : " \xC2\xB7 " + level);
}

Result<std::string> RenderPrintableCard(const PrintedCardText& card, PrintFormat format) {
  LAUREL_ASSIGN_OR_RETURN(QrModules qr, EncodeQrModules(card.card_text));
  std::string out;
  std::unique_ptr<cairo_surface_t, SurfaceFree> surface;
  double scale = 0;
  if (format == PrintFormat::kPng) {
    scale = kCardPrintDpi / kMmPerInch;
    const int w = static_cast<int>(kCr80WidthMm * scale + 0.5);
    const int h = static_cast<int>(kCr80HeightMm * scale + 0.5);
    surface.reset(cairo_image_surface_create(CAIRO_FORMAT_RGB24, w, h));
  } else {
    scale = 72.0 / kMmPerInch;  // PDF units are points
    surface.reset(cairo_pdf_surface_create_for_stream(Append, &out, kCr80WidthMm * scale,
                                                      kCr80HeightMm * scale));
  }
  if (cairo_surface_status(surface.get()) != CAIRO_STATUS_SUCCESS) {
    return Status::Internal(std::string("cairo: ") +
                            cairo_status_to_string(cairo_surface_status(surface.get())));
  }
  {
    std::unique_ptr<cairo_t, CairoFree> cr(cairo_create(surface.get()));
    cairo_scale(cr.get(), scale, scale);
    Draw(cr.get(), card, qr);
    if (cairo_status(cr.get()) != CAIRO_STATUS_SUCCESS) {
      return Status::Internal(std::string("cairo: ") + cairo_status_to_string(cairo_status(cr.get())));
    }
  }
  if (format == PrintFormat::kPng) {
    cairo_surface_flush(surface.get());
    if (cairo_surface_write_to_png_stream(surface.get(), Append, &out) != CAIRO_STATUS_SUCCESS) {
      return Status::Internal("cairo: cannot write the PNG");
    }
  } else {
    cairo_surface_finish(surface.get());
    if (cairo_surface_status(surface.get()) != CAIRO_STATUS_SUCCESS) {
      return Status::Internal("cairo: cannot write the PDF");
    }
  }
  return out;
}

}  // namespace laurel::cli

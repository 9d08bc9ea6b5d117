// A printable card: the card's QR code with what a person reads beside it — the union, the
// holder's name and member number, the card type and level, the validity and the credential id,
// labelled in 简体中文 and English — laid out at the size of an ID-1 (CR80) card, 85.60 mm x
// 53.98 mm, as a PNG at 300 dpi (1011 x 638 pixels) or a one-page PDF of that size.
//
// Drawn with cairo; the text is set in Noto Sans CJK SC (Debian fonts-noto-cjk, found through
// fontconfig), which covers Chinese and Latin. The QR code keeps its 4-module quiet zone and at
// least 0.4 mm a module, so a phone or a gate scanner reads it off the print.
#pragma once

#include <string>

#include "common/status.h"
#include "types/card.h"

namespace laurel::cli {

inline constexpr double kCr80WidthMm = 85.60;
inline constexpr double kCr80HeightMm = 53.98;
inline constexpr int kCardPrintDpi = 300;

enum class PrintFormat { kPng, kPdf };

struct PrintedCardText {
  std::string card_text;   // "LC1:..." (what the QR code holds)
  types::CardBody body;    // its decoded body
  std::string union_name;  // shown in the top band; the issuer id when empty
};

// The file bytes. kInvalidArgument when the card text does not fit a QR code, kInternal when
// cairo fails.
Result<std::string> RenderPrintableCard(const PrintedCardText& card, PrintFormat format);

// "会员 Member", "劳动模范 Model worker · 市级 Municipal", ...
std::string CardKindLabel(const types::CardBody& body);

}  // namespace laurel::cli

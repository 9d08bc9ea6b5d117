#include "types/text_rules.h"

#include <unicode/uchar.h>
#include <unicode/unorm2.h>
#include <unicode/ustring.h>
#include <unicode/utf8.h>

#include <cstdio>
#include <vector>

#include "types/card.h"

namespace laurel::types {
namespace {

std::string CodePoint(UChar32 c) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "U+%04X", static_cast<unsigned>(c));
  return buf;
}

// UTF-16 of well-formed UTF-8 `s`.
Result<std::vector<UChar>> ToUtf16(std::string_view s) {
  if (!IsUtf8(s)) return Status::InvalidArgument("not UTF-8 text");
  std::vector<UChar> out(s.size() + 1);
  int32_t len = 0;
  UErrorCode err = U_ZERO_ERROR;
  u_strFromUTF8(out.data(), static_cast<int32_t>(out.size()), &len, s.data(),
                static_cast<int32_t>(s.size()), &err);
  if (U_FAILURE(err)) return Status::InvalidArgument("not UTF-8 text");
  out.resize(static_cast<size_t>(len));
  return out;
}

const UNormalizer2* Nfc() {
  UErrorCode err = U_ZERO_ERROR;
  const UNormalizer2* n = unorm2_getNFCInstance(&err);
  return U_SUCCESS(err) ? n : nullptr;
}

}  // namespace

bool IsUtf8(std::string_view s) {
  const auto* p = reinterpret_cast<const uint8_t*>(s.data());
  const int32_t n = static_cast<int32_t>(s.size());
  if (s.size() > static_cast<size_t>(INT32_MAX)) return false;
  int32_t i = 0;
  while (i < n) {
    UChar32 c;
    U8_NEXT(p, i, n, c);  // c < 0 on ill-formed input (overlong, surrogate, truncated, > 10FFFF)
    if (c < 0) return false;
  }
  return true;
}

Status CheckDisplayText(std::string_view what, std::string_view s, size_t max_chars,
                        bool allow_empty) {
  const std::string w(what);
  if (!IsUtf8(s)) {
    return Status::InvalidArgument(w + ": not UTF-8 text (a file saved as GBK/GB18030? "
                                       "convert it to UTF-8 first)");
  }
  if (s.empty() && !allow_empty) return Status::InvalidArgument(w + ": empty");
  const auto* p = reinterpret_cast<const uint8_t*>(s.data());
  const int32_t n = static_cast<int32_t>(s.size());
  size_t chars = 0;
  for (int32_t i = 0; i < n;) {
    UChar32 c;
    U8_NEXT(p, i, n, c);
    ++chars;
    const int8_t cat = u_charType(c);
    if (cat == U_CONTROL_CHAR) {
      return Status::InvalidArgument(w + ": contains a control character (" + CodePoint(c) +
                                     ") at character " + std::to_string(chars));
    }
    if (cat == U_LINE_SEPARATOR || cat == U_PARAGRAPH_SEPARATOR) {
      return Status::InvalidArgument(w + ": contains a line break (" + CodePoint(c) +
                                     ") at character " + std::to_string(chars));
    }
    if (u_hasBinaryProperty(c, UCHAR_BIDI_CONTROL)) {
      return Status::InvalidArgument(w + ": contains a bidirectional control (" + CodePoint(c) +
                                     ") at character " + std::to_string(chars));
    }
  }
  if (max_chars != 0 && chars > max_chars) {
    return Status::InvalidArgument(w + ": " + std::to_string(chars) + " characters, at most " +
                                   std::to_string(max_chars));
  }
  LAUREL_ASSIGN_OR_RETURN(std::vector<UChar> u16, ToUtf16(s));
  const UNormalizer2* nfc = Nfc();
  if (nfc == nullptr) return Status::Internal("ICU: no NFC normalizer");
  UErrorCode err = U_ZERO_ERROR;
  const UBool normal =
      unorm2_isNormalized(nfc, u16.data(), static_cast<int32_t>(u16.size()), &err);
  if (U_FAILURE(err)) return Status::Internal("ICU: NFC check failed");
  if (!normal) {
    return Status::InvalidArgument(w + ": not in Unicode Normalization Form C (NFC)");
  }
  return Status::Ok();
}

Status CheckCardDisplayFields(const CardBody& body) {
  LAUREL_RETURN_IF_ERROR(CheckDisplayText("holder name", body.holder_name, kMaxHolderNameChars));
  return CheckDisplayText("member number", body.member_no, kMaxMemberNoChars);
}

Result<std::string> ToNfc(std::string_view s) {
  LAUREL_ASSIGN_OR_RETURN(std::vector<UChar> u16, ToUtf16(s));
  const UNormalizer2* nfc = Nfc();
  if (nfc == nullptr) return Status::Internal("ICU: no NFC normalizer");
  std::vector<UChar> norm(u16.size() * 3 + 16);
  UErrorCode err = U_ZERO_ERROR;
  const int32_t len = unorm2_normalize(nfc, u16.data(), static_cast<int32_t>(u16.size()),
                                       norm.data(), static_cast<int32_t>(norm.size()), &err);
  if (U_FAILURE(err)) return Status::Internal("ICU: NFC normalization failed");
  std::string out(static_cast<size_t>(len) * 3 + 4, '\0');
  int32_t out_len = 0;
  err = U_ZERO_ERROR;
  u_strToUTF8(out.data(), static_cast<int32_t>(out.size()), &out_len, norm.data(), len, &err);
  if (U_FAILURE(err)) return Status::Internal("ICU: UTF-8 conversion failed");
  out.resize(static_cast<size_t>(out_len));
  return out;
}

}  // namespace laurel::types

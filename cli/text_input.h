// Text that people typed elsewhere: files in the encodings spreadsheet programs save (UTF-8 with
// or without a byte-order mark; GB18030, the superset of GBK that Chinese Excel writes) turned
// into UTF-8, and CSV tables (RFC 4180: comma-separated, fields in double quotes may hold
// commas, quotes doubled, line breaks; CRLF or LF line ends).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace laurel::cli {

enum class TextEncoding { kAuto, kUtf8, kGb18030 };

// "auto", "utf-8" (also "utf8"), "gb18030" (also "gbk", which it contains); case-insensitive.
Result<TextEncoding> ParseTextEncoding(std::string_view name);

// `bytes` as UTF-8, without a leading byte-order mark. kAuto: a BOM or well-formed UTF-8 is
// taken as UTF-8, anything else is decoded as GB18030 (glibc iconv). kUtf8 refuses ill-formed
// UTF-8; kGb18030 refuses bytes that are not GB18030. Errors name the line of the first bad
// byte. `encoding_used` (optional) receives "UTF-8" or "GB18030".
Result<std::string> DecodeText(std::string_view bytes, TextEncoding encoding,
                               std::string* encoding_used = nullptr);

// A CSV table: rows of fields, with the 1-based line each row starts on. Blank lines are
// skipped. Fails on a quote left open or text after a closing quote.
struct CsvRow {
  size_t line = 0;
  std::vector<std::string> fields;
};
Result<std::vector<CsvRow>> ParseCsv(std::string_view text);

}  // namespace laurel::cli

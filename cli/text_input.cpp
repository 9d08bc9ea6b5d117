#include "cli/text_input.h"

#include <iconv.h>

#include <algorithm>
#include <cctype>
#include <cerrno>

#include "types/text_rules.h"

namespace laurel::cli {
namespace {

std::string Lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

size_t LineOf(std::string_view bytes, size_t offset) {
  return 1 + static_cast<size_t>(std::count(bytes.begin(), bytes.begin() + offset, '\n'));
}

// The offset of the first byte that is not part of well-formed UTF-8.
size_t FirstBadUtf8(std::string_view s) {
  // Grow a prefix that is well-formed; the checker is the one the display rules use.
  size_t i = 0;
  while (i < s.size()) {
    const auto c = static_cast<unsigned char>(s[i]);
    const size_t n = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 0;
    if (n == 0 || i + n > s.size() || !types::IsUtf8(s.substr(i, n))) return i;
    i += n;
  }
  return s.size();
}

class Iconv {
 public:
  Iconv(const char* to, const char* from) : cd_(iconv_open(to, from)) {}
  ~Iconv() {
    if (ok()) iconv_close(cd_);
  }
  Iconv(const Iconv&) = delete;
  Iconv& operator=(const Iconv&) = delete;
  bool ok() const { return cd_ != reinterpret_cast<iconv_t>(-1); }
  iconv_t get() const { return cd_; }

 private:
  iconv_t cd_;
};

Result<std::string> FromGb18030(std::string_view bytes) {
  Iconv cd("UTF-8", "GB18030");
  if (!cd.ok()) return Status::Internal("iconv: no GB18030 converter in this C library");
  std::string out;
  std::string in(bytes);
  char* inp = in.data();
  size_t inleft = in.size();
  char buf[4096];
  while (inleft > 0) {
    char* outp = buf;
    size_t outleft = sizeof buf;
    const size_t r = iconv(cd.get(), &inp, &inleft, &outp, &outleft);
    out.append(buf, static_cast<size_t>(outp - buf));
    if (r == static_cast<size_t>(-1) && errno != E2BIG) {
      const size_t at = static_cast<size_t>(inp - in.data());
      return Status::InvalidArgument("line " + std::to_string(LineOf(bytes, at)) +
                                     ": bytes that are neither UTF-8 nor GB18030/GBK");
    }
  }
  return out;
}

}  // namespace

Result<TextEncoding> ParseTextEncoding(std::string_view name) {
  const std::string n = Lower(name);
  if (n == "auto") return TextEncoding::kAuto;
  if (n == "utf-8" || n == "utf8") return TextEncoding::kUtf8;
  if (n == "gb18030" || n == "gbk" || n == "gb2312") return TextEncoding::kGb18030;
  return Status::InvalidArgument("unknown encoding \"" + std::string(name) +
                                 "\" (auto, utf-8, gb18030 or gbk)");
}

Result<std::string> DecodeText(std::string_view bytes, TextEncoding encoding,
                               std::string* encoding_used) {
  static constexpr std::string_view kBom = "\xEF\xBB\xBF";
  const bool bom = bytes.substr(0, kBom.size()) == kBom;
  if (encoding == TextEncoding::kUtf8 || bom ||
      (encoding == TextEncoding::kAuto && types::IsUtf8(bytes))) {
    if (bom) bytes.remove_prefix(kBom.size());
    if (const size_t bad = FirstBadUtf8(bytes); bad != bytes.size()) {
      return Status::InvalidArgument("line " + std::to_string(LineOf(bytes, bad)) +
                                     ": not UTF-8 text (a GBK/GB18030 file? use --encoding "
                                     "gb18030)");
    }
    if (encoding_used) *encoding_used = "UTF-8";
    return std::string(bytes);
  }
  if (encoding_used) *encoding_used = "GB18030";
  return FromGb18030(bytes);
}

Result<std::vector<CsvRow>> ParseCsv(std::string_view text) {
  std::vector<CsvRow> rows;
  CsvRow row;
  std::string field;
  size_t line = 1;
  bool in_quotes = false;
  bool quoted = false;       // the current field was quoted (and its quote closed)
  bool row_started = false;  // anything seen on this row
  size_t quote_line = 0;
  auto end_field = [&] {
    row.fields.push_back(std::move(field));
    field.clear();
    quoted = false;
  };
  auto end_row = [&] {
    if (row_started) {
      end_field();
      bool blank = true;
      for (const auto& f : row.fields) blank = blank && f.empty();
      if (!blank) rows.push_back(std::move(row));
    }
    row = CsvRow{};
    row_started = false;
  };
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (!row_started) {
      row.line = line;
    }
    if (in_quotes) {
      if (c == '"') {
        if (i + 1 < text.size() && text[i + 1] == '"') {
          field += '"';
          ++i;
        } else {
          in_quotes = false;
          quoted = true;
        }
      } else {
        if (c == '\n') ++line;
        field += c;
      }
      continue;
    }
    if (c == '\r' && i + 1 < text.size() && text[i + 1] == '\n') continue;
    if (c == '\n' || c == '\r') {
      end_row();
      ++line;
      continue;
    }
    row_started = true;
    if (c == ',') {
      end_field();
    } else if (c == '"' && field.empty() && !quoted) {
      in_quotes = true;
      quote_line = line;
    } else if (quoted) {
      return Status::InvalidArgument("line " + std::to_string(line) +
                                     ": text after a closing quote");
    } else {
      field += c;
    }
  }
  if (in_quotes) {
    return Status::InvalidArgument("line " + std::to_string(quote_line) +
                                   ": a quoted field is never closed");
  }
  end_row();
  return rows;
}

}  // namespace laurel::cli

// The display-text rules (types/text_rules.h): UTF-8, NFC, no control or bidi characters, a
// length in characters.
#include "types/text_rules.h"

#include <catch2/catch.hpp>

#include "types/card.h"

using namespace laurel;
using namespace laurel::types;

TEST_CASE("display text: Chinese and accented names in NFC pass", "[types][text]") {
  for (const std::string& ok : {std::string("Li Wei"), std::string("\xE7\x8E\x8B\xE8\x8A\xB3"),
                                std::string("Zo\xC3\xA9"), std::string("O'Brien-Smith"),
                                std::string("\xF0\xA0\x80\x80")}) {  // U+20000, a CJK Ext. B
    INFO(ok);
    CHECK(CheckDisplayText("name", ok, 64).ok());
  }
}

TEST_CASE("display text: each rule has its own message", "[types][text]") {
  auto msg = [](const std::string& s, size_t max = 64) {
    return CheckDisplayText("holder name", s, max).message();
  };
  CHECK(msg("\xCD\xF5\xB7\xBC").find("not UTF-8") != std::string::npos);   // GBK
  CHECK(msg("\xC0\xAF").find("not UTF-8") != std::string::npos);           // overlong '/'
  CHECK(msg("\xED\xA0\x80").find("not UTF-8") != std::string::npos);       // a surrogate
  CHECK(msg("a\nb") == "holder name: contains a control character (U+000A) at character 2");
  CHECK(msg("\x7f").find("control character (U+007F)") != std::string::npos);
  CHECK(msg("a\xC2\x85").find("control character (U+0085)") != std::string::npos);  // C1 NEL
  CHECK(msg("a\xE2\x80\xA8").find("line break (U+2028)") != std::string::npos);
  for (const char* bidi : {"\xE2\x80\xAE", "\xE2\x80\xAA", "\xE2\x81\xA6", "\xE2\x80\x8F",
                           "\xD8\x9C"}) {  // RLO, LRE, LRI, RLM, ALM
    CHECK(msg(std::string("x") + bidi).find("bidirectional control") != std::string::npos);
  }
  CHECK(msg(std::string(65, 'x')) == "holder name: 65 characters, at most 64");
  std::string cjk;
  for (int i = 0; i < 64; ++i) cjk += "\xE7\x8E\x8B";
  CHECK(CheckDisplayText("n", cjk, 64).ok());  // 192 bytes, 64 characters
  CHECK(msg("e\xCC\x81") == "holder name: not in Unicode Normalization Form C (NFC)");
  CHECK(msg("") == "holder name: empty");
  CHECK(CheckDisplayText("reason", "", 0, /*allow_empty=*/true).ok());
}

TEST_CASE("ToNfc composes and refuses what is not UTF-8", "[types][text]") {
  CHECK(*ToNfc("Zoe\xCC\x81") == "Zo\xC3\xA9");
  CHECK(*ToNfc("\xE7\x8E\x8B") == "\xE7\x8E\x8B");
  CHECK_FALSE(ToNfc("\xCD\xF5").ok());
}

TEST_CASE("a card's display fields: name and member number limits", "[types][text]") {
  CardBody b;
  b.holder_name = "Li Wei";
  b.member_no = "QD-0001";
  CHECK(CheckCardDisplayFields(b).ok());
  b.member_no = std::string(kMaxMemberNoChars + 1, '1');
  CHECK(CheckCardDisplayFields(b).message().find("member number") == 0);
}

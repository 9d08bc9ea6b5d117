// laurel card issue-batch | revoke-batch | status-batch: a whole membership from one CSV file
// (docs/issuer.md, "Issuing a whole membership").
//
// issue-batch reads every row, checks it the way `card issue` checks its flags, signs all cards
// and transactions on every core, submits them with POST /v1/txs:batch?wait=commit, and per
// member committed writes the card file and its QR code (each atomically: a temporary file,
// then rename) and appends a line to the report. It can be stopped at any moment and run again:
// - a member's credential id is a function of the issuer and the member number alone
//   (ISSUER/m/ + 20 hex digits of SHA-256), so a member is never given two credentials: the
//   ledger refuses a second IssueCredential for an id (CREDENTIAL_EXISTS);
// - the card's salt is derived from the issuer's secret key and the credential id (keyed
//   BLAKE2b), so the same row gives the same card, byte for byte: a member whose credential is
//   on the ledger already (a run stopped after the commit, before the files) gets its files
//   written from the card rebuilt with the ledger's validity, and is reported as issued before;
// - members the report lists as issued, whose card file exists, are skipped without asking the
//   node.
// revoke-batch and status-batch set the status of every credential id of a CSV file the same
// way; one already in the wanted status is reported as such.
#include <sodium.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <atomic>
#include <cctype>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <iostream>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "cli/batch_submit.h"
#include "cli/card_common.h"
#include "cli/commands.h"
#include "cli/net_tx.h"
#include "cli/qr.h"
#include "cli/text_input.h"
#include "ledger/rules.h"
#include "types/card.h"
#include "types/text_rules.h"

namespace laurel::cli {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

// The issue-batch report's columns.
const std::vector<std::string> kIssueReportHeader = {
    "line", "member_no", "credential_id", "tx_id", "height", "result", "card_file", "qr_file",
    "message"};
// The status-batch report's columns.
const std::vector<std::string> kStatusReportHeader = {"line",   "credential_id", "tx_id",
                                                      "height", "result",        "message"};

enum class OnError { kSkip, kStop };

Result<OnError> ParseOnError(const std::string& s) {
  if (s == "skip") return OnError::kSkip;
  if (s == "stop") return OnError::kStop;
  return Status::InvalidArgument("--on-error must be skip or stop, not \"" + Printable(s) + "\"");
}

// Common flags of the batch commands.
struct BatchFlags {
  NetOptions net;
  std::string csv;
  std::string encoding = "auto";
  std::string on_error = "skip";
  size_t batch_size = 500;
  size_t connections = 4;
  size_t threads = 0;
  uint64_t expires_in = 20000;
};

void AddBatchFlags(CLI::App* cmd, BatchFlags& o) {
  cmd->add_option("--csv", o.csv, "The CSV file: a header row, then one row each")->required();
  cmd->add_option("--encoding", o.encoding, "auto, utf-8 or gb18030 (gbk)")->capture_default_str();
  cmd->add_option("--on-error", o.on_error,
                  "skip: report a bad row or a refused transaction and go on; stop: send nothing "
                  "when a row is bad, and stop at the first refusal")
      ->capture_default_str();
  cmd->add_option("--batch-size", o.batch_size,
                  "Transactions per POST /v1/txs:batch request (at most the node's "
                  "[rpc] max_batch_txs)")
      ->capture_default_str();
  cmd->add_option("--connections", o.connections, "Requests in flight at once")
      ->capture_default_str();
  cmd->add_option("--threads", o.threads, "Signing threads (0: every core)")
      ->capture_default_str();
  cmd->add_option("--expires-in", o.expires_in,
                  "Each tx expires this many blocks after the node's current height")
      ->capture_default_str();
  cmd->add_option("--rpc", o.net.rpc,
                  "Node RPC URL (default: $LAUREL_RPC, else http://127.0.0.1:8700)")
      ->capture_default_str();
  AddCaCertOption(cmd);
}

// The CSV file's rows (header first), decoded to UTF-8.
Result<std::vector<CsvRow>> ReadCsvFile(const std::string& path, const std::string& encoding) {
  auto enc = ParseTextEncoding(encoding);
  if (!enc.ok()) return Status::InvalidArgument("--encoding: " + enc.status().message());
  LAUREL_ASSIGN_OR_RETURN(std::string raw, ReadInput(path));
  auto text = DecodeText(raw, *enc);
  if (!text.ok()) return Status::InvalidArgument(path + ": " + text.status().message());
  auto rows = ParseCsv(*text);
  if (!rows.ok()) return Status::InvalidArgument(path + ": " + rows.status().message());
  if (rows->empty()) return Status::InvalidArgument(path + ": no header row");
  return rows;
}

std::string Trimmed(std::string v) {
  while (!v.empty() && (v.back() == ' ' || v.back() == '\t')) v.pop_back();
  size_t i = 0;
  while (i < v.size() && (v[i] == ' ' || v[i] == '\t')) ++i;
  return v.substr(i);
}

// ---- card issue-batch ----

struct IssueBatchOptions {
  BatchFlags b;
  std::string issuer;
  std::string key;
  std::optional<std::string> passphrase_file;
  std::string out_dir;
  std::optional<std::string> report;
  std::string type;
  std::optional<std::string> level;
  std::optional<std::string> valid_from;
  std::string valid_until;
  bool no_qr = false;
};

// One member row, checked.
struct Member {
  size_t line = 0;
  std::string member_no;
  std::string holder_name;
  types::CredentialType type = types::CredentialType::kMember;
  types::Level level = types::Level::kUnspecified;
  Validity validity;
  std::string id;
  std::string card_file;
  std::string qr_file;
  Bytes holder_key;  // the holder's device key (holder_key column): binds the card
  // Filled when signed:
  std::string text;
};

// ISSUER/m/<20 hex of SHA-256("laurel/member-id/v1\0" issuer "\0" member_no)>.
std::string MemberCredentialId(const std::string& issuer, const std::string& member_no) {
  const std::string in = std::string("laurel/member-id/v1") + '\0' + issuer + '\0' + member_no;
  unsigned char h[crypto_hash_sha256_BYTES];
  crypto_hash_sha256(h, reinterpret_cast<const unsigned char*>(in.data()), in.size());
  return issuer + "/m/" + HexEncode(ByteView(h, 10));
}

// The card salt of `credential_id`: keyed BLAKE2b (the issuer's secret seed as the key), so
// that nobody else can predict it and the same credential always gets the same card.
Bytes CardSaltFor(const crypto::PrivateKey& key, const std::string& credential_id) {
  const std::string in = std::string("laurel/card-salt/v1") + '\0' + credential_id;
  Bytes salt(types::kCardSaltSize);
  const ByteView seed = key.seed();
  crypto_generichash(salt.data(), salt.size(), reinterpret_cast<const unsigned char*>(in.data()),
                     in.size(), seed.data(), seed.size());
  return salt;
}

types::CardBody BodyOf(const Member& m, const std::string& chain_id, const std::string& issuer,
                       uint32_t key_version) {
  types::CardBody body;
  body.chain_id = chain_id;
  body.credential_id = m.id;
  body.issuer_id = issuer;
  body.key_version = key_version;
  body.type = m.type;
  body.level = m.level;
  body.holder_name = m.holder_name;
  body.member_no = m.member_no;
  body.valid_from = m.validity.from;
  body.valid_until = m.validity.until;
  body.holder_key = m.holder_key;
  return body;
}

// Writes the card and QR files of `m` (atomically; an existing file with the same content is
// left as it is, one with other content is an error: it is some other card).
Status WriteMemberFiles(const Member& m, bool qr) {
  const std::string text = m.text + "\n";
  if (auto have = ReadInput(m.card_file); have.ok()) {
    if (*have != text) {
      return Status::AlreadyExists(m.card_file + " exists and holds another card; not "
                                   "overwriting it");
    }
  } else {
    LAUREL_RETURN_IF_ERROR(WriteOutput(m.card_file, text));
  }
  if (qr) {
    auto png = EncodeQrPng(m.text);
    if (!png.ok()) return png.status();
    LAUREL_RETURN_IF_ERROR(WriteOutput(m.qr_file, *png));
  }
  return Status::Ok();
}

int RunIssueBatch(const IssueBatchOptions& o) {
  const auto t0 = Clock::now();
  auto on_error = ParseOnError(o.b.on_error);
  if (!on_error.ok()) return Fail(kExitUsage, on_error.status());
  if (!ledger::IsValidIssuerId(o.issuer)) {
    return Fail(kExitUsage, "--issuer \"" + o.issuer + "\" is not an issuer id ([a-z0-9-]{2,64})");
  }
  if (o.b.batch_size == 0 || o.b.connections == 0) {
    return Fail(kExitUsage, "--batch-size and --connections must be at least 1");
  }
  std::error_code ec;
  fs::create_directories(o.out_dir, ec);
  if (!fs::is_directory(o.out_dir, ec)) {
    return Fail(kExitUsage, "--out " + o.out_dir + " is not a folder (and cannot be made)");
  }
  const std::string report_path =
      o.report ? *o.report : (fs::path(o.out_dir) / "report.csv").string();
  // Temporary files of a run that was stopped in the middle of a write (".NAME.lc1.XXXXXX",
  // cli_util WriteOutput): the file they were to become is written again by this run.
  for (const auto& e : fs::directory_iterator(o.out_dir, ec)) {
    const std::string name = e.path().filename().string();
    const size_t dot = name.rfind('.');
    if (name.size() > 8 && name[0] == '.' && dot != std::string::npos &&
        name.size() - dot == 7 &&
        (name.find(".lc1.") != std::string::npos || name.find(".png.") != std::string::npos)) {
      fs::remove(e.path(), ec);
    }
  }
  auto rows = ReadCsvFile(o.b.csv, o.b.encoding);
  if (!rows.ok()) return Fail(kExitUsage, rows.status());
  std::map<std::string, size_t> col;
  for (size_t i = 0; i < (*rows)[0].fields.size(); ++i) {
    const std::string c = ColumnOf((*rows)[0].fields[i]);
    if (c.empty()) {
      return Fail(kExitUsage, o.b.csv + ": unknown column \"" +
                                  Printable((*rows)[0].fields[i]) +
                                  "\" (member_no/会员号, holder_name/姓名, id, type, level, "
                                  "valid_from, valid_until)");
    }
    if (!col.emplace(c, i).second) return Fail(kExitUsage, o.b.csv + ": column " + c + " twice");
  }
  if (!col.count("holder_name") || !col.count("member_no")) {
    return Fail(kExitUsage,
                o.b.csv + ": the header needs member_no (会员号) and holder_name (姓名)");
  }

  // Every row checked first; bad ones are reported with their line.
  std::vector<Member> members;
  std::vector<std::vector<std::string>> bad;  // report lines
  std::map<std::string, size_t> line_of_member;
  std::set<std::string> ids;
  const uint64_t now = static_cast<uint64_t>(std::time(nullptr));
  for (size_t r = 1; r < rows->size(); ++r) {
    const CsvRow& row = (*rows)[r];
    auto field = [&](const std::string& name) -> std::optional<std::string> {
      auto it = col.find(name);
      if (it == col.end() || it->second >= row.fields.size()) return std::nullopt;
      std::string v = Trimmed(row.fields[it->second]);
      if (v.empty()) return std::nullopt;
      return v;
    };
    const std::string member_raw = field("member_no").value_or("");
    auto refuse = [&](const std::string& why) {
      bad.push_back({std::to_string(row.line), member_raw, "", "", "", "invalid", "", "", why});
    };
    if (row.fields.size() > (*rows)[0].fields.size()) {
      refuse("more fields than the header has columns");
      continue;
    }
    Member m;
    m.line = row.line;
    auto member_no = DisplayInput("member number", member_raw);
    if (!member_no.ok()) {
      refuse(member_no.status().message());
      continue;
    }
    auto holder = DisplayInput("holder name", field("holder_name").value_or(""));
    if (!holder.ok()) {
      refuse(holder.status().message());
      continue;
    }
    if (member_no->empty() || holder->empty()) {
      refuse("no member number or holder name");
      continue;
    }
    m.member_no = *member_no;
    m.holder_name = *holder;
    {
      types::CardBody shown;
      shown.holder_name = m.holder_name;
      shown.member_no = m.member_no;
      if (Status st = types::CheckCardDisplayFields(shown); !st.ok()) {
        refuse(st.message());
        continue;
      }
    }
    const std::string type_text = field("type").value_or(o.type);
    if (type_text.empty()) {
      refuse("no type (give --type or a type column)");
      continue;
    }
    auto type = ParseCredentialType(type_text);
    if (!type.ok()) {
      refuse("type: " + type.status().message());
      continue;
    }
    m.type = *type;
    if (m.type == types::CredentialType::kModelWorker) {
      const std::optional<std::string> level_text =
          field("level") ? field("level") : o.level;
      if (!level_text) {
        refuse("a model_worker card needs a level (--level or a level column)");
        continue;
      }
      auto level = ParseLevel(*level_text);
      if (!level.ok()) {
        refuse("level: " + level.status().message());
        continue;
      }
      m.level = *level;
    }
    std::optional<std::string> from = field("valid_from");
    if (!from) from = o.valid_from ? o.valid_from : std::optional<std::string>(std::to_string(now));
    const std::string until = field("valid_until").value_or(o.valid_until);
    if (until.empty()) {
      refuse("no valid_until (give --valid-until or a valid_until column)");
      continue;
    }
    auto validity = ParseValidity(from, until);
    if (!validity.ok()) {
      refuse(validity.status().message());
      continue;
    }
    m.validity = *validity;
    if (auto hk = field("holder_key")) {
      auto key = ParsePublicKeyHex(*hk);
      if (!key.ok()) {
        refuse("holder_key: not 64 hex characters (an Ed25519 public key)");
        continue;
      }
      m.holder_key = std::move(key).value();
    }
    m.id = field("id").value_or(MemberCredentialId(o.issuer, m.member_no));
    if (!ledger::IsValidCredentialId(m.id, o.issuer)) {
      refuse("id \"" + Printable(m.id) + "\" must be \"" + o.issuer + "/...\"");
      continue;
    }
    if (auto [it, fresh] = line_of_member.emplace(m.member_no, m.line); !fresh) {
      refuse("member number " + m.member_no + " is on line " + std::to_string(it->second) +
             " already");
      continue;
    }
    if (!ids.insert(m.id).second) {
      refuse("credential id " + m.id + " twice in the file");
      continue;
    }
    const std::string stem = (fs::path(o.out_dir) / FileStemOf(m.id)).string();
    m.card_file = stem + ".lc1";
    m.qr_file = o.no_qr ? "" : stem + ".png";
    members.push_back(std::move(m));
  }
  if (!bad.empty() && *on_error == OnError::kStop) {
    for (const auto& b : bad) std::cerr << o.b.csv << " line " << b[0] << ": " << b[8] << "\n";
    return Fail(kExitInvalid, std::to_string(bad.size()) +
                                  " bad rows and --on-error stop: nothing was sent");
  }

  // What an earlier run finished.
  auto earlier = ReadReport(report_path);
  if (!earlier.ok()) return Fail(kExitUsage, earlier.status());
  std::set<std::string> done_ids;
  std::set<std::string> reported_bad;  // "line|message" already in the report
  for (const auto& r : *earlier) {
    if (r.size() != kIssueReportHeader.size() || r[0] == "line") continue;
    if (r[5] == "issued" || r[5] == "issued_before") done_ids.insert(r[2]);
    if (r[5] == "invalid") reported_bad.insert(r[0] + "|" + r[8]);
  }
  std::vector<size_t> todo;
  size_t skipped = 0;
  for (size_t i = 0; i < members.size(); ++i) {
    if (done_ids.count(members[i].id) && fs::exists(members[i].card_file, ec)) {
      ++skipped;
    } else {
      todo.push_back(i);
    }
  }
  auto report = ReportFile::Open(report_path, kIssueReportHeader);
  if (!report.ok()) return Fail(kExitUsage, report.status());
  {
    std::vector<std::vector<std::string>> fresh_bad;
    for (const auto& b : bad) {
      if (!reported_bad.count(b[0] + "|" + b[8])) fresh_bad.push_back(b);
    }
    if (Status st = (*report)->Append(fresh_bad); !st.ok()) return Fail(kExitUsage, st);
  }
  std::cerr << o.b.csv << ": " << rows->size() - 1 << " rows: " << members.size()
            << " members, " << bad.size() << " bad rows; " << skipped
            << " issued by an earlier run (report " << report_path << "), " << todo.size()
            << " to issue\n";

  int rc = bad.empty() ? kExitOk : kExitInvalid;
  if (!todo.empty()) {
    auto key = LoadKey(o.key, o.passphrase_file);
    if (!key.ok()) return Fail(kExitUsage, key.status());
    Node node(o.b.net.rpc);
    auto status = node.Status();
    if (!status.ok()) return FailFor(status.status());
    auto client = node.Get();
    if (!client.ok()) return FailFor(client.status());
    auto version = KeyVersionFor(**client, o.issuer, *key, std::nullopt);
    if (!version.ok()) return FailFor(version.status());
    const std::string chain_id = JsonStr(*status, "chain_id");
    const TxFrame frame{chain_id, JsonU64Or0(*status, "height") + o.b.expires_in};

    // Sign every card and transaction, on every core.
    std::vector<types::Tx> txs(members.size());
    std::vector<std::string> sign_errors(members.size());
    const auto ts = Clock::now();
    ParallelFor(todo.size(), o.b.threads, [&](size_t k) {
      Member& m = members[todo[k]];
      auto text = MakeCardText(BodyOf(m, chain_id, o.issuer, *version), *key,
                               CardSaltFor(*key, m.id));
      if (!text.ok()) {
        sign_errors[todo[k]] = text.status().message();
        return;
      }
      m.text = *text;
      auto card = types::CardFromText(m.text);
      types::IssueCredential a;
      a.credential_id = m.id;
      a.issuer_id = o.issuer;
      a.type = m.type;
      a.level = m.level;
      const Hash32 digest = types::CardDigest(card->body);
      a.card_digest.assign(digest.begin(), digest.end());
      a.valid_from = m.validity.from;
      a.valid_until = m.validity.until;
      auto tx = BuildSignedTx(frame, std::move(a), {*key});
      if (!tx.ok()) {
        sign_errors[todo[k]] = tx.status().message();
        return;
      }
      txs[todo[k]] = std::move(tx).value();
    });
    std::vector<size_t> jobs;
    std::vector<std::vector<std::string>> sign_bad;
    for (size_t i : todo) {
      if (sign_errors[i].empty()) {
        jobs.push_back(i);
      } else {
        const Member& m = members[i];
        sign_bad.push_back({std::to_string(m.line), m.member_no, m.id, "", "", "invalid", "",
                            "", sign_errors[i]});
      }
    }
    if (Status st = (*report)->Append(sign_bad); !st.ok()) return Fail(kExitUsage, st);
    if (!sign_bad.empty()) rc = kExitInvalid;
      std::fprintf(stderr, "signed %zu cards and transactions in %.2f s\n", jobs.size(),
                 std::chrono::duration<double>(Clock::now() - ts).count());

    Progress progress("issuing", jobs.size());
    std::mutex mu;  // file_error, and one RPC client for the look-ups
    BatchTally tally("issued", "issued_before", *on_error == OnError::kStop);
    auto lookup = RpcClient::Open(o.b.net.rpc);
    if (!lookup.ok()) return FailFor(Status::Unavailable(lookup.status().message()));
    Status file_error = Status::Ok();
    const auto t_submit = Clock::now();
    Status sent = SubmitInBatches(
        {o.b.net.rpc, o.b.batch_size, o.b.connections, 60'000, 20}, txs, jobs,
        [&](const BatchOutcome& out) {
          Member& m = members[out.job];
          std::string result, message = out.message;
          std::string card_file, qr_file;
          bool write = false;
          if (out.committed() && out.result == "OK") {
            result = "issued";
            write = true;
          } else if (out.ledger_code() == "CREDENTIAL_EXISTS") {
            // On the ledger already: this member's card if the ledger's digest is that of the
            // card rebuilt with the ledger's validity (an earlier run), else another one.
            std::lock_guard lock(mu);
            auto rec = (*lookup)->Get("/v1/credentials/" + UrlEscape(m.id));
            if (!rec.ok()) {
              result = "failed";
              message = "on the ledger, but the record cannot be read: " + rec.status().message();
            } else {
              Member again = m;
              again.validity = {JsonU64Or0(*rec, "valid_from"), JsonU64Or0(*rec, "valid_until")};
              auto text = MakeCardText(BodyOf(again, chain_id, o.issuer,
                                              static_cast<uint32_t>(JsonU64Or0(*rec, "key_version"))),
                                       *key, CardSaltFor(*key, m.id));
              Result<types::Card> card = Status::Internal("no card");
              if (text.ok()) card = types::CardFromText(*text);
              if (card.ok() &&
                  HexEncode(types::CardDigest(card->body)) == JsonStr(*rec, "card_digest")) {
                m.text = *text;
                result = "issued_before";
                message = "on the ledger since height " +
                          std::to_string(JsonU64Or0(*rec, "created_height"));
                write = true;
              } else {
                result = "conflict";
                message = m.id + " is on the ledger with another card (other name, number, "
                                 "type or key version): not issued again";
              }
            }
          } else {
            result = OtherOutcome(out, message, "not committed in time; run again to finish");
          }
          if (write) {
            if (Status st = WriteMemberFiles(m, !o.no_qr); st.ok()) {
              card_file = m.card_file;
              qr_file = m.qr_file;
            } else {
              // On the ledger, files missing: the next run writes them (same card).
              std::lock_guard lock(mu);
              if (file_error.ok()) file_error = st;
              result = "files_failed";
              message = st.message();
            }
          }
          Status st = (*report)->Append(
              {{std::to_string(m.line), m.member_no, m.id, out.tx_id,
                out.height ? std::to_string(out.height) : "", result, card_file, qr_file,
                message}});
          if (!st.ok()) {
            std::lock_guard lock(mu);
            if (file_error.ok()) file_error = st;
          }
          tally.Count(result);
          progress.Add();
        },
        [&] { return tally.stop(); });
    progress.Finish();
    const double secs = std::chrono::duration<double>(Clock::now() - t_submit).count();
    char figures[128];
    std::snprintf(figures, sizeof figures, "%.1f s (%.0f tx/s); total %.1f s", secs,
                  secs > 0 ? static_cast<double>(tally.done() + tally.before()) / secs : 0.0,
                  std::chrono::duration<double>(Clock::now() - t0).count());
    std::cout << "issued " << tally.done() << ", issued before " << tally.before()
              << ", skipped " << skipped << ", not issued " << tally.failed() << ", bad rows "
              << bad.size() + sign_bad.size()
              << "; " << jobs.size() << " transactions in " << figures << "; report "
              << report_path << "\n";
    if (!sent.ok()) return FailFor(Status(sent.code(), sent.message() + " (run again to go on)"));
    if (!file_error.ok()) return Fail(kExitUsage, file_error);
    if (tally.failed() > 0) rc = kExitInvalid;
    if (tally.stop()) return Fail(kExitInvalid, "stopped at the first refusal (--on-error stop)");
  } else {
    std::cout << "issued 0, issued before 0, skipped " << skipped << ", not issued 0, bad rows "
              << bad.size() << "; report " << report_path << "\n";
  }
  if (rc != kExitOk) {
    return Fail(rc, "some rows were not issued: see the report " + report_path);
  }
  return kExitOk;
}

// ---- card status-batch / revoke-batch ----

struct StatusBatchOptions {
  BatchFlags b;
  TxOptions tx;  // --key, --passphrase-file
  std::string status;
  std::string reason;
  std::string report;
  bool yes = false;
};

int RunStatusBatch(const StatusBatchOptions& o, std::optional<types::CredentialStatus> fixed) {
  auto on_error = ParseOnError(o.b.on_error);
  if (!on_error.ok()) return Fail(kExitUsage, on_error.status());
  types::CredentialStatus to = types::CredentialStatus::kRevoked;
  std::string to_name = "REVOKED";
  if (fixed) {
    if (!o.yes) {
      return Fail(kExitUsage, "revocation is final (a revoked card can never be reinstated): "
                              "give --yes to revoke every credential of " + o.b.csv);
    }
  } else if (o.status == "suspended" || o.status == "SUSPENDED") {
    to = types::CredentialStatus::kSuspended;
    to_name = "SUSPENDED";
  } else if (o.status == "active" || o.status == "ACTIVE") {
    to = types::CredentialStatus::kActive;
    to_name = "ACTIVE";
  } else {
    return Fail(kExitUsage, "--status must be suspended or active (revoke-batch revokes)");
  }
  if (Status st = types::CheckDisplayText("--reason", o.reason, 0, true); !st.ok()) {
    return Fail(kExitUsage, st);
  }
  auto rows = ReadCsvFile(o.b.csv, o.b.encoding);
  if (!rows.ok()) return Fail(kExitUsage, rows.status());
  std::optional<size_t> id_col, reason_col;
  for (size_t i = 0; i < (*rows)[0].fields.size(); ++i) {
    std::string h = Trimmed((*rows)[0].fields[i]);
    for (char& c : h) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (ColumnOf(h) == "id") id_col = i;
    if (h == "reason" || h == "原因") reason_col = i;
  }
  if (!id_col) {
    return Fail(kExitUsage, o.b.csv + ": the header needs credential_id (id, 证书编号)");
  }
  struct Job {
    size_t line;
    std::string id;
    std::string reason;
  };
  std::vector<Job> jobs_in;
  std::vector<std::vector<std::string>> bad;
  std::set<std::string> seen;
  for (size_t r = 1; r < rows->size(); ++r) {
    const CsvRow& row = (*rows)[r];
    const std::string id = *id_col < row.fields.size() ? Trimmed(row.fields[*id_col]) : "";
    std::string reason = o.reason;
    if (reason_col && *reason_col < row.fields.size() && !Trimmed(row.fields[*reason_col]).empty()) {
      reason = Trimmed(row.fields[*reason_col]);
    }
    auto refuse = [&](const std::string& why) {
      bad.push_back({std::to_string(row.line), id, "", "", "invalid", why});
    };
    const std::string issuer = id.substr(0, id.find('/'));
    if (!ledger::IsValidCredentialId(id, issuer)) {
      refuse("\"" + Printable(id) + "\" is not a credential id (ISSUER/...)");
      continue;
    }
    if (Status st = types::CheckDisplayText("reason", reason, 0, true); !st.ok()) {
      refuse(st.message());
      continue;
    }
    if (!seen.insert(id).second) {
      refuse(id + " twice in the file");
      continue;
    }
    jobs_in.push_back({row.line, id, reason});
  }
  if (!bad.empty() && *on_error == OnError::kStop) {
    for (const auto& b : bad) std::cerr << o.b.csv << " line " << b[0] << ": " << b[5] << "\n";
    return Fail(kExitInvalid, std::to_string(bad.size()) +
                                  " bad rows and --on-error stop: nothing was sent");
  }
  auto report = ReportFile::Open(o.report, kStatusReportHeader);
  if (!report.ok()) return Fail(kExitUsage, report.status());
  if (Status st = (*report)->Append(bad); !st.ok()) return Fail(kExitUsage, st);
  auto keys = LoadSigningKeys(o.tx);
  if (!keys.ok()) return Fail(kExitUsage, keys.status());
  Node node(o.b.net.rpc);
  auto status = node.Status();
  if (!status.ok()) return FailFor(status.status());
  const TxFrame frame{JsonStr(*status, "chain_id"), JsonU64Or0(*status, "height") + o.b.expires_in};
  std::vector<types::Tx> txs(jobs_in.size());
  std::vector<std::string> errors(jobs_in.size());
  ParallelFor(jobs_in.size(), o.b.threads, [&](size_t i) {
    auto tx = BuildSignedTx(frame, types::SetCredentialStatus{jobs_in[i].id, to, jobs_in[i].reason},
                            *keys);
    if (tx.ok()) {
      txs[i] = std::move(tx).value();
    } else {
      errors[i] = tx.status().message();
    }
  });
  std::vector<size_t> jobs;
  for (size_t i = 0; i < jobs_in.size(); ++i) {
    if (errors[i].empty()) {
      jobs.push_back(i);
    } else {
      (void)(*report)->Append({{std::to_string(jobs_in[i].line), jobs_in[i].id, "", "", "invalid",
                                errors[i]}});
    }
  }
  std::cerr << o.b.csv << ": " << jobs.size() << " credentials to set " << to_name << ", "
            << bad.size() << " bad rows\n";
  Progress progress(to_name == "REVOKED" ? "revoking" : "setting " + to_name, jobs.size());
  std::mutex mu;
  auto lookup = RpcClient::Open(o.b.net.rpc);
  if (!lookup.ok()) return FailFor(Status::Unavailable(lookup.status().message()));
  BatchTally tally("done", "already", *on_error == OnError::kStop);
  const auto t0 = Clock::now();
  Status sent = SubmitInBatches(
      {o.b.net.rpc, o.b.batch_size, o.b.connections, 60'000, 20}, txs, jobs,
      [&](const BatchOutcome& out) {
        const Job& j = jobs_in[out.job];
        std::string result, message = out.message;
        if (out.committed() && out.result == "OK") {
          result = "done";
        } else if (out.ledger_code() == "ILLEGAL_TRANSITION") {
          std::lock_guard lock(mu);
          auto rec = (*lookup)->Get("/v1/credentials/" + UrlEscape(j.id));
          if (rec.ok() && JsonStr(*rec, "status") == to_name) {
            result = "already";
            message = j.id + " is " + to_name + " already";
          } else {
            result = "refused";
            message = "ILLEGAL_TRANSITION: " +
                      (rec.ok() ? j.id + " is " + JsonStr(*rec, "status") : message);
          }
        } else {
          result = OtherOutcome(out, message);
        }
        (void)(*report)->Append({{std::to_string(j.line), j.id, out.tx_id,
                                  out.height ? std::to_string(out.height) : "", result, message}});
        tally.Count(result);
        progress.Add();
      },
      [&] { return tally.stop(); });
  progress.Finish();
  const double secs = std::chrono::duration<double>(Clock::now() - t0).count();
  char figures[32];
  std::snprintf(figures, sizeof figures, "%.1f s", secs);
  std::cout << to_name << ": " << tally.done() << " set, " << tally.before() << " already, "
            << tally.failed() << " not set, " << bad.size() << " bad rows; " << jobs.size()
            << " transactions in " << figures << "; report " << o.report << "\n";
  if (!sent.ok()) return FailFor(Status(sent.code(), sent.message() + " (run again to go on)"));
  if (tally.failed() > 0 || !bad.empty()) {
    return Fail(kExitInvalid, "some rows were not set: see the report " + o.report);
  }
  return kExitOk;
}

}  // namespace

void RegisterCardBatchCommands(CLI::App& app, CommandRun& run) {
  CLI::App* card = app.get_subcommand("card");

  auto io = std::make_shared<IssueBatchOptions>();
  auto* issue = card->add_subcommand(
      "issue-batch",
      "Issue a whole membership from a CSV file: sign on every core, submit in batches, write "
      "each card, its QR code and a report; run again after a stop to finish");
  issue->add_option("--issuer", io->issuer, "Issuer id")->required();
  issue->add_option("--key", io->key, "The issuer's current key file")->required();
  issue->add_option("--passphrase-file", io->passphrase_file, "Passphrase of an encrypted key");
  issue->add_option("--out", io->out_dir,
                    "Folder for the card files and QR codes (made if missing)")
      ->required();
  issue->add_option("--report", io->report, "The report CSV (default OUT/report.csv)");
  issue->add_option("--type", io->type, "member or model_worker (or a type column)");
  issue->add_option("--level", io->level, "model_worker level (or a level column)");
  issue->add_option("--valid-from", io->valid_from,
                    "YYYY-MM-DD (UTC) or unix seconds; default now (or a valid_from column)");
  issue->add_option("--valid-until", io->valid_until,
                    "YYYY-MM-DD (UTC) or unix seconds (or a valid_until column)");
  issue->add_flag("--no-qr", io->no_qr, "Do not write the QR code PNGs");
  AddBatchFlags(issue, io->b);
  issue->callback([io, &run] { run = [io] { return RunIssueBatch(*io); }; });

  for (const bool revoke : {true, false}) {
    auto so = std::make_shared<StatusBatchOptions>();
    auto* sub = card->add_subcommand(
        revoke ? "revoke-batch" : "status-batch",
        revoke ? "Revoke every credential id of a CSV file, for good"
               : "Suspend (--status suspended) or reinstate (--status active) every credential "
                 "id of a CSV file");
    if (!revoke) {
      sub->add_option("--status", so->status, "suspended or active")->required();
    } else {
      sub->add_flag("--yes", so->yes, "Confirm: revocation is final");
    }
    sub->add_option("--reason", so->reason,
                    "Why (recorded on the ledger), unless the row has a reason column");
    sub->add_option("--key", so->tx.keys,
                    "Signer: the issuer, its parent, or governance admin keys (repeatable)")
        ->required();
    sub->add_option("--passphrase-file", so->tx.passphrase_file,
                    "Passphrase of the encrypted key files among --key");
    sub->add_option("--report", so->report, "The report CSV to append to")->required();
    AddBatchFlags(sub, so->b);
    std::optional<types::CredentialStatus> fixed;
    if (revoke) fixed = types::CredentialStatus::kRevoked;
    sub->callback([so, fixed, &run] { run = [so, fixed] { return RunStatusBatch(*so, fixed); }; });
  }
}

}  // namespace laurel::cli

// Helpers shared by the `laurel` commands: exit codes, error reporting, files and stdin/stdout,
// keys, and protobuf JSON. Everything returns Status/Result; only main() catches exceptions.
//
// Exit codes (docs/cli.md): 0 success / valid, 1 refused / invalid (the input was read but is
// wrong: a malformed tx or card, a bad signature, a genesis that fails validation), 2 usage or
// I/O error (bad flags, a missing or unwritable file, an existing file not overwritten).
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/bytes.h"
#include "common/status.h"
#include "crypto/ed25519.h"
#include "types/proto_json.h"
#include "types/tx.h"

namespace CLI {
class App;
}
namespace google::protobuf {
class Message;
}

namespace laurel::cli {

inline constexpr int kExitOk = 0;
inline constexpr int kExitInvalid = 1;
inline constexpr int kExitUsage = 2;

// What a command does once its flags are parsed; returns the process exit code.
using CommandRun = std::function<int()>;
// Each command group adds its subcommands to `app`; the callback of the subcommand the user
// chose stores its action in `run` (called by main after parsing succeeds).
using RegisterFn = void (*)(CLI::App& app, CommandRun& run);

// Prints "laurel: <message>" on stderr as one line (newlines folded) and returns `code`.
int Fail(int code, std::string_view message);
// Fail() with the status message.
int Fail(int code, const Status& status);

// Reads a whole file, or stdin when `path` is "-". kIoError / kNotFound on failure.
Result<std::string> ReadInput(const std::string& path);
// Writes `data` to `path` (stdout when "-"). The file is replaced atomically (a temporary file
// in the same directory, then rename), so `--in x --out x` is safe. With `exclusive`, fails
// with kAlreadyExists when the file exists.
Status WriteOutput(const std::string& path, std::string_view data, bool exclusive = false,
                   unsigned mode = 0644);

// The passphrase in a file: its content without one trailing "\n" or "\r\n". Refuses empty.
Result<std::string> ReadPassphraseFile(const std::string& path);
// Reads a signing key; asks for --passphrase-file when the file is encrypted and none is given.
Result<crypto::PrivateKey> LoadKey(const std::string& key_path,
                                   const std::optional<std::string>& passphrase_file);
// The public key recorded in a key file, without decrypting it (no passphrase needed).
Result<Bytes> ReadPublicKeyOfKeyFile(const std::string& key_path);
// 64 hex characters -> 32-byte Ed25519 public key.
Result<Bytes> ParsePublicKeyHex(std::string_view hex);
// `laurel keygen` and `laurel holder keygen`: a new key written to `out` (encrypted with the
// passphrase in `passphrase_file` when given; an existing file is never overwritten), its public
// key printed as hex. Returns the exit code.
int GenerateKeyFile(const std::string& out, const std::optional<std::string>& passphrase_file);

// Protobuf JSON mapping (proto field names, enums by name, bytes as base64): types/proto_json.h.
using types::JsonToMessage;
using types::MessageToJson;

// True when `data` looks like JSON (first non-blank character is '{'), as opposed to a binary
// protobuf encoding (whose first byte is a field tag, never '{' for our messages).
bool LooksLikeJson(std::string_view data);

// `text` made safe to print and to put in JSON: bytes outside printable ASCII become '?', and
// past `max` bytes it is cut with "...". For messages that may quote what a node sent.
std::string Printable(std::string_view text, size_t max = 1000);

// "2024-01-01T00:00:00Z" for unix seconds (UTC).
std::string FormatUnixTime(uint64_t seconds);

// A date on the command line: "YYYY-MM-DD" (midnight UTC of that day, years 1970..9999) or unix
// seconds (decimal digits only). kInvalidArgument for anything else, including impossible dates
// ("2026-02-30").
Result<uint64_t> ParseTime(std::string_view text);

// Credential types and levels on the command line, case-insensitive: "member",
// "model_worker" (also "model-worker"); "national" ... "enterprise". kInvalidArgument naming the
// accepted values otherwise.
Result<types::CredentialType> ParseCredentialType(std::string_view text);
Result<types::Level> ParseLevel(std::string_view text);

// One CSV record (RFC 4180) ending in "\r\n": a field holding a comma, a double quote, CR or LF
// is quoted, its quotes doubled. A field starting with =, +, - or @ gets a leading "'" so that a
// spreadsheet shows it as text instead of running it as a formula. UTF-8 passes unchanged.
std::string CsvRecord(const std::vector<std::string>& fields);

// Whether the status means the input could not be read or written (exit 2) rather than that it
// was read and is wrong (exit 1).
bool IsIoError(const Status& st);
// Fail() with kExitUsage for IsIoError (and unreachable nodes), else kExitInvalid.
int FailFor(const Status& st);

}  // namespace laurel::cli

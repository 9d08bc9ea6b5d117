// Bulk submission for the batch commands (card issue-batch, revoke-batch, status-batch): many
// signed transactions sent with POST /v1/txs:batch?wait=commit (docs/api.md) over a few
// connections at once, each transaction followed until it has a final outcome, plus the
// helpers they share (a parallel loop over all cores, a progress line, an append-only report).
//
// What is final: committed (any result), or refused for good at admission (INVALID_TX,
// MALFORMED_BODY, TX_TOO_LARGE, EXPIRY_TOO_FAR). Transactions refused for now (429
// MEMPOOL_FULL / SIGNER_QUOTA, 503) and those not committed within the wait (504) are sent
// again (the same bytes: the node answers ALREADY_KNOWN or COMMITTED for one it has), after
// Retry-After; a whole request refused with 429 (RATE_LIMITED, BUSY, TOO_MANY_WAITS) is sent
// again the same way. Transport failures are retried a few times, then the run stops with an
// error: what was not reported stays for the next run.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "common/status.h"
#include "types/tx.h"

namespace laurel::cli {

// The final outcome of one transaction of a batch (TxBatchItem of docs/api.md).
struct BatchOutcome {
  size_t job = 0;           // index into the submitted vector
  std::string tx_id;        // hex; empty when the tx did not decode
  std::string status;       // "committed", "refused" or "pending" (gave up waiting)
  int http_status = 0;      // what POST /v1/txs would have answered
  std::string code;         // refusal code (INVALID_TX, ...)
  std::string message;
  std::string tx_code;      // INVALID_TX: the ledger code
  uint64_t height = 0;      // committed
  uint64_t position = 0;
  std::string result;       // committed: the ledger code ("OK", "CREDENTIAL_EXISTS", ...)

  bool committed() const { return status == "committed"; }
  // The ledger code that decided it: the commit's result or the admission's tx_code.
  const std::string& ledger_code() const { return committed() ? result : tx_code; }
};

struct BatchSubmitOptions {
  std::string rpc;                 // node URL
  size_t batch_size = 500;         // transactions per request (<= the node's max_batch_txs)
  size_t connections = 4;          // requests in flight at once
  uint64_t wait_ms = 60'000;       // ?timeout_ms= of each request
  int max_rounds = 20;             // sends of one transaction before it is reported pending
};

// Sends `txs` (every index of `jobs`) and calls `on_outcome` once per job with its final
// outcome, from the sending threads (concurrently: lock inside). Stops early, leaving the rest
// unsent, once `stop()` returns true. kUnavailable when the node cannot be reached (after
// retries) or answers a whole request with an unexpected error.
Status SubmitInBatches(const BatchSubmitOptions& o, const std::vector<types::Tx>& txs,
                       const std::vector<size_t>& jobs,
                       const std::function<void(const BatchOutcome&)>& on_outcome,
                       const std::function<bool()>& stop);

// The report result of an outcome that is neither a success nor a case the command judges
// itself: "failed" (committed with another result), "pending" (not committed within the
// waits) or "refused" (at admission). Sets `message` to say why; for "pending" to
// `pending_message` unless that is empty (then the node's message stays).
std::string OtherOutcome(const BatchOutcome& out, std::string& message,
                         const std::string& pending_message = "");

// The tally of a batch command's rows by their report result: `done` (done by this run),
// `before` (found done already), anything else a failure. With `stop_at_failure`
// (--on-error stop) the first failure asks the submission to stop (pass [&] { return
// tally.stop(); } to SubmitInBatches). Thread-safe.
class BatchTally {
 public:
  BatchTally(std::string done, std::string before, bool stop_at_failure)
      : done_result_(std::move(done)),
        before_result_(std::move(before)),
        stop_at_failure_(stop_at_failure) {}
  void Count(const std::string& result);
  size_t done() const { return done_.load(); }
  size_t before() const { return before_.load(); }
  size_t failed() const { return failed_.load(); }
  bool stop() const { return stop_.load(); }

 private:
  const std::string done_result_, before_result_;
  const bool stop_at_failure_;
  std::atomic<size_t> done_{0}, before_{0}, failed_{0};
  std::atomic<bool> stop_{false};
};

// Runs fn(i) for i in [0, n) on `threads` threads (0: every core).
void ParallelFor(size_t n, size_t threads, const std::function<void(size_t)>& fn);

// A progress display on stderr: on a terminal one line redrawn in place with a bar, the rate
// and the time left; otherwise a plain line every few seconds. Runs its own thread.
class Progress {
 public:
  Progress(std::string what, size_t total);
  ~Progress();  // Finish()
  void Add(size_t n = 1) { done_ += n; }
  // Stops the thread and prints the last line.
  void Finish();

 private:
  void Loop();
  void Print(bool last);

  const std::string what_;
  const size_t total_;
  const bool tty_;
  const std::chrono::steady_clock::time_point start_;
  std::atomic<size_t> done_{0};
  std::mutex mu_;
  bool stopped_ = false;
  std::condition_variable cv_;
  std::thread thread_;
};

// A CSV report opened for appending: a header line when the file is new, then lines written
// whole (one write each, O_APPEND) and flushed to disk, so that a crash leaves at most a
// partial last line (which ReadReport skips).
class ReportFile {
 public:
  static Result<std::unique_ptr<ReportFile>> Open(const std::string& path,
                                                  const std::vector<std::string>& header);
  ~ReportFile();
  // Appends the rows (each a list of fields, quoted as CSV needs) in one write, then fsync.
  Status Append(const std::vector<std::vector<std::string>>& rows);

 private:
  explicit ReportFile(int fd) : fd_(fd) {}
  std::mutex mu_;
  int fd_;
};

// The complete rows of a report written by ReportFile (header first); a last line without its
// newline is dropped. An absent file is no rows.
Result<std::vector<std::vector<std::string>>> ReadReport(const std::string& path);

// One CSV field, quoted when it holds a comma, quote or line break.
std::string CsvField(const std::string& s);

}  // namespace laurel::cli

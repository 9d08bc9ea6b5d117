#include "cli/batch_submit.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <deque>
#include <iostream>
#include <nlohmann/json.hpp>

#include "cli/cli_util.h"
#include "cli/http_client.h"
#include "cli/rpc_client.h"
#include "cli/text_input.h"

namespace laurel::cli {
namespace {

using Clock = std::chrono::steady_clock;

// One request's worth of jobs, and how often each was sent.
struct Chunk {
  std::vector<size_t> jobs;
  int round = 0;
  Clock::time_point not_before{};
};

// The queue the sending threads share: chunks to send, and the count of jobs not yet final.
class Work {
 public:
  explicit Work(size_t open) : open_(open) {}

  void Push(Chunk c) {
    {
      std::lock_guard lock(mu_);
      queue_.push_back(std::move(c));
    }
    cv_.notify_one();
  }
  // The next chunk, or false when every job is final or the run is stopping.
  bool Pop(Chunk* out) {
    std::unique_lock lock(mu_);
    for (;;) {
      if (stopping_ || open_ == 0) return false;
      if (!queue_.empty()) {
        *out = std::move(queue_.front());
        queue_.pop_front();
        lock.unlock();
        if (out->not_before > Clock::now()) std::this_thread::sleep_until(out->not_before);
        return true;
      }
      cv_.wait(lock);
    }
  }
  void Finished(size_t n) {
    {
      std::lock_guard lock(mu_);
      open_ -= std::min(open_, n);
    }
    cv_.notify_all();
  }
  void Stop(Status why) {
    {
      std::lock_guard lock(mu_);
      stopping_ = true;
      if (error_.ok() && !why.ok()) error_ = std::move(why);
    }
    cv_.notify_all();
  }
  Status error() {
    std::lock_guard lock(mu_);
    return error_;
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Chunk> queue_;
  size_t open_;
  bool stopping_ = false;
  Status error_ = Status::Ok();
};

BatchOutcome OutcomeOf(size_t job, const nlohmann::json& item) {
  BatchOutcome o;
  o.job = job;
  auto str = [&](const char* k) {
    auto it = item.find(k);
    return it != item.end() && it->is_string() ? it->get<std::string>() : std::string();
  };
  auto num = [&](const char* k) -> uint64_t {
    auto it = item.find(k);
    if (it == item.end()) return 0;
    if (it->is_number_unsigned()) return it->get<uint64_t>();
    if (it->is_string()) return std::strtoull(it->get<std::string>().c_str(), nullptr, 10);
    return 0;
  };
  o.tx_id = str("tx_id");
  o.status = str("status");
  o.http_status = static_cast<int>(num("http_status"));
  o.code = str("code");
  o.message = str("message");
  o.tx_code = str("tx_code");
  o.height = num("height");
  o.position = num("position");
  o.result = str("result");
  return o;
}

// Whether a refusal may go away by itself (send again later).
bool Transient(const BatchOutcome& o) {
  return o.http_status == 429 || o.http_status == 503 || o.http_status == 504 ||
         o.http_status >= 500;
}

void Sender(const BatchSubmitOptions& o, const Url& url, const std::vector<std::string>& wires,
            Work& work, const std::function<void(const BatchOutcome&)>& on_outcome,
            const std::function<bool()>& stop) {
  HttpConn conn(url);
  const std::string target =
      "/v1/txs:batch?wait=commit&timeout_ms=" + std::to_string(o.wait_ms);
  Chunk chunk;
  int transport_failures = 0;
  while (work.Pop(&chunk)) {
    if (stop && stop()) {
      work.Stop(Status::Ok());
      return;
    }
    std::string body;
    for (size_t job : chunk.jobs) {
      // laurel.v1.TxBatch: field 1 (txs), length-delimited, once per transaction.
      const std::string& w = wires[job];
      body.push_back('\x0a');
      uint64_t n = w.size();
      while (n >= 0x80) {
        body.push_back(static_cast<char>((n & 0x7f) | 0x80));
        n >>= 7;
      }
      body.push_back(static_cast<char>(n));
      body += w;
    }
    auto r = conn.Do("POST", target, "application/x-protobuf", body, "application/json");
    if (!r.ok() || r->status == 503 || r->status == 500) {
      if (++transport_failures > 8) {
        work.Stop(Status::Unavailable(
            "node at " + url.text + ": POST /v1/txs:batch failed " +
            std::to_string(transport_failures) + " times: " +
            (r.ok() ? "HTTP " + std::to_string(r->status) + " " + r->body.substr(0, 200)
                    : r.status().message())));
        return;
      }
      chunk.not_before = Clock::now() + std::chrono::seconds(std::min(transport_failures, 5));
      work.Push(std::move(chunk));
      continue;
    }
    transport_failures = 0;
    if (r->status == 429) {
      chunk.not_before = Clock::now() + std::chrono::seconds(1);
      work.Push(std::move(chunk));
      continue;
    }
    const nlohmann::json j = nlohmann::json::parse(r->body, nullptr, false);
    if (r->status != 200 || !j.is_object() || !j.contains("results") ||
        !j["results"].is_array() || j["results"].size() != chunk.jobs.size()) {
      const std::string code = j.is_object() && j.contains("code") && j["code"].is_string()
                                   ? j["code"].get<std::string>() + ": "
                                   : std::string();
      const std::string message =
          j.is_object() && j.contains("message") && j["message"].is_string()
              ? j["message"].get<std::string>()
              : r->body.substr(0, 200);
      work.Stop(Status::Unavailable("node at " + url.text + " answered POST /v1/txs:batch with " +
                                    "HTTP " + std::to_string(r->status) + ": " + code + message));
      return;
    }
    Chunk again;
    again.round = chunk.round + 1;
    size_t final_count = 0;
    for (size_t i = 0; i < chunk.jobs.size(); ++i) {
      BatchOutcome out = OutcomeOf(chunk.jobs[i], j["results"][i]);
      if (!out.committed() && Transient(out) && again.round < o.max_rounds) {
        again.jobs.push_back(chunk.jobs[i]);
        continue;
      }
      on_outcome(out);
      ++final_count;
    }
    work.Finished(final_count);
    if (!again.jobs.empty()) {
      again.not_before = Clock::now() + std::chrono::seconds(1);
      work.Push(std::move(again));
    }
  }
}

}  // namespace

Status SubmitInBatches(const BatchSubmitOptions& o, const std::vector<types::Tx>& txs,
                       const std::vector<size_t>& jobs,
                       const std::function<void(const BatchOutcome&)>& on_outcome,
                       const std::function<bool()>& stop) {
  if (jobs.empty()) return Status::Ok();
  auto url = ParseUrl(o.rpc);
  if (!url.ok()) return Status::Unavailable(url.status().message());
  std::vector<std::string> wires(txs.size());
  for (size_t job : jobs) wires[job] = ToString(types::EncodeTx(txs[job]));
  Work work(jobs.size());
  const size_t per = std::max<size_t>(1, o.batch_size);
  for (size_t i = 0; i < jobs.size(); i += per) {
    Chunk c;
    c.jobs.assign(jobs.begin() + static_cast<std::ptrdiff_t>(i),
                  jobs.begin() + static_cast<std::ptrdiff_t>(std::min(jobs.size(), i + per)));
    work.Push(std::move(c));
  }
  std::vector<std::thread> senders;
  const size_t n = std::max<size_t>(1, o.connections);
  for (size_t i = 0; i < n; ++i) {
    senders.emplace_back([&] { Sender(o, *url, wires, work, on_outcome, stop); });
  }
  for (auto& t : senders) t.join();
  return work.error();
}

void ParallelFor(size_t n, size_t threads, const std::function<void(size_t)>& fn) {
  if (threads == 0) threads = std::max(1u, std::thread::hardware_concurrency());
  threads = std::min(threads, std::max<size_t>(1, n));
  std::atomic<size_t> next{0};
  auto loop = [&] {
    for (size_t i = next++; i < n; i = next++) fn(i);
  };
  std::vector<std::thread> pool;
  for (size_t t = 1; t < threads; ++t) pool.emplace_back(loop);
  loop();
  for (auto& t : pool) t.join();
}

// ---- Progress ----

Progress::Progress(std::string what, size_t total)
    : what_(std::move(what)),
      total_(total),
      tty_(::isatty(STDERR_FILENO) == 1),
      start_(Clock::now()),
      thread_([this] { Loop(); }) {}

Progress::~Progress() { Finish(); }

void Progress::Finish() {
  {
    std::lock_guard lock(mu_);
    if (stopped_) return;
    stopped_ = true;
  }
  cv_.notify_all();
  thread_.join();
  Print(true);
}

void Progress::Loop() {
  std::unique_lock lock(mu_);
  const auto every = tty_ ? std::chrono::milliseconds(250) : std::chrono::milliseconds(5000);
  while (!stopped_) {
    cv_.wait_for(lock, every);
    if (stopped_) break;
    lock.unlock();
    Print(false);
    lock.lock();
  }
}

void Progress::Print(bool last) {
  const size_t done = std::min(done_.load(), total_);
  const double secs = std::chrono::duration<double>(Clock::now() - start_).count();
  const double rate = secs > 0 ? static_cast<double>(done) / secs : 0;
  const double pct = total_ == 0 ? 100.0 : 100.0 * static_cast<double>(done) / total_;
  char eta[32] = "--";
  if (rate > 0 && done < total_) {
    const auto left = static_cast<long>(std::lround(static_cast<double>(total_ - done) / rate));
    std::snprintf(eta, sizeof eta, "%ld:%02ld", left / 60, left % 60);
  } else if (done >= total_) {
    std::snprintf(eta, sizeof eta, "0:00");
  }
  char line[256];
  if (tty_) {
    constexpr int kWidth = 30;
    const int fill = static_cast<int>(pct / 100.0 * kWidth);
    std::string bar(static_cast<size_t>(fill), '#');
    bar.resize(kWidth, '.');
    std::snprintf(line, sizeof line, "\r%s [%s] %zu/%zu %5.1f%% %7.1f/s ETA %s ", what_.c_str(),
                  bar.c_str(), done, total_, pct, rate, eta);
    std::cerr << line << (last ? "\n" : "") << std::flush;
  } else {
    std::snprintf(line, sizeof line, "%s: %zu/%zu (%.1f%%), %.1f/s, ETA %s", what_.c_str(), done,
                  total_, pct, rate, eta);
    std::cerr << line << "\n" << std::flush;
  }
}

// ---- reports ----

std::string CsvField(const std::string& s) {
  if (s.find_first_of(",\"\r\n") == std::string::npos) return s;
  std::string out = "\"";
  for (char c : s) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}

namespace {
std::string CsvLine(const std::vector<std::string>& fields) {
  std::string line;
  for (size_t i = 0; i < fields.size(); ++i) {
    if (i) line += ',';
    line += CsvField(fields[i]);
  }
  return line + "\n";
}
}  // namespace

Result<std::unique_ptr<ReportFile>> ReportFile::Open(const std::string& path,
                                                     const std::vector<std::string>& header) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (fd < 0) {
    return Status::IoError("cannot open the report " + path + ": " + std::strerror(errno));
  }
  std::unique_ptr<ReportFile> f(new ReportFile(fd));
  struct stat st {};
  if (::fstat(fd, &st) == 0 && st.st_size == 0) {
    LAUREL_RETURN_IF_ERROR(f->Append({header}));
  } else if (st.st_size > 0) {
    // A line cut short by a crash: end it, so that the next line starts on its own.
    char last = '\n';
    const int rfd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (rfd >= 0) {
      if (::pread(rfd, &last, 1, st.st_size - 1) != 1) last = '\n';
      ::close(rfd);
    }
    if (last != '\n' && ::write(fd, "\n", 1) != 1) {
      return Status::IoError("cannot write the report " + path + ": " + std::strerror(errno));
    }
  }
  return f;
}

ReportFile::~ReportFile() {
  if (fd_ >= 0) ::close(fd_);
}

Status ReportFile::Append(const std::vector<std::vector<std::string>>& rows) {
  if (rows.empty()) return Status::Ok();
  std::string text;
  for (const auto& r : rows) text += CsvLine(r);
  std::lock_guard lock(mu_);
  size_t off = 0;
  while (off < text.size()) {
    const ssize_t n = ::write(fd_, text.data() + off, text.size() - off);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return Status::IoError(std::string("cannot write the report: ") + std::strerror(errno));
    off += static_cast<size_t>(n);
  }
  ::fdatasync(fd_);
  return Status::Ok();
}

Result<std::vector<std::vector<std::string>>> ReadReport(const std::string& path) {
  std::vector<std::vector<std::string>> out;
  if (::access(path.c_str(), F_OK) != 0) return out;
  auto text = ReadInput(path);
  if (!text.ok()) return text.status();
  std::string t = std::move(text).value();
  const size_t end = t.rfind('\n');
  t.resize(end == std::string::npos ? 0 : end + 1);  // a cut last line is not a row
  auto rows = ParseCsv(t);
  if (!rows.ok()) return Status::InvalidArgument("report " + path + ": " + rows.status().message());
  for (auto& r : *rows) out.push_back(std::move(r.fields));
  return out;
}

std::string OtherOutcome(const BatchOutcome& out, std::string& message,
                         const std::string& pending_message) {
  if (out.committed()) {
    message = "committed with result " + out.result;
    return "failed";
  }
  if (out.status == "pending") {
    if (!pending_message.empty()) message = pending_message;
    return "pending";
  }
  message = out.code + (out.tx_code.empty() ? "" : " " + out.tx_code) + ": " + message;
  return "refused";
}

void BatchTally::Count(const std::string& result) {
  if (result == done_result_) {
    ++done_;
  } else if (result == before_result_) {
    ++before_;
  } else {
    ++failed_;
    if (stop_at_failure_) stop_ = true;
  }
}

}  // namespace laurel::cli

// A small metrics registry rendered in the Prometheus text exposition format (version 0.0.4):
// counters, gauges and histograms, each a family with at most one label.
//
// Contract:
// - Families are registered once, by name (a second registration of the same name and kind
//   returns the existing family; the same name with another kind aborts).
// - A family hands out its series by label value (`Get`); the returned reference stays valid
//   for the registry's lifetime. Get takes a short lock (first use creates the series): hot
//   paths look a series up once and keep the reference.
// - Inc / Set / Observe are lock-free (relaxed atomics): cheap on any thread.
// - Render gives every family in registration order, series by label value; a family without
//   series renders its HELP and TYPE lines only, except a label-free one, which renders its
//   zero value.
//
// Thread safety: every method may be called from any thread.
#pragma once

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

namespace laurel::metrics {

class Counter {
 public:
  void Inc(uint64_t n = 1) { value_.fetch_add(n, std::memory_order_relaxed); }
  uint64_t value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<uint64_t> value_{0};
};

class Gauge {
 public:
  void Set(double v) { value_.store(v, std::memory_order_relaxed); }
  void Add(double d) { value_.fetch_add(d, std::memory_order_relaxed); }
  double value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<double> value_{0};
};

class Histogram {
 public:
  // `bounds`: upper bounds of the buckets, strictly increasing (+Inf is implicit).
  explicit Histogram(std::vector<double> bounds);
  void Observe(double v);

  const std::vector<double>& bounds() const { return bounds_; }
  // Count of observations <= bounds()[i] (cumulative), i < bounds().size().
  uint64_t cumulative(size_t i) const;
  uint64_t count() const { return count_.load(std::memory_order_relaxed); }
  double sum() const { return sum_.load(std::memory_order_relaxed); }

 private:
  std::vector<double> bounds_;
  std::unique_ptr<std::atomic<uint64_t>[]> buckets_;  // per bucket, not cumulative
  std::atomic<uint64_t> count_{0};
  std::atomic<double> sum_{0};
};

// Latency buckets in seconds, 0.5 ms .. 10 s.
std::vector<double> DefaultLatencyBuckets();

enum class Kind : uint8_t { kCounter, kGauge, kHistogram };

template <class T>
class Family {
 public:
  // The series with `label_value` ("" for a family without a label).
  T& Get(std::string_view label_value = {});

 private:
  friend class Registry;
  Family(std::string name, std::string help, std::string label, std::vector<double> bounds)
      : name_(std::move(name)), help_(std::move(help)), label_(std::move(label)),
        bounds_(std::move(bounds)) {}
  void Render(std::string& out, Kind kind) const;

  const std::string name_;
  const std::string help_;
  const std::string label_;            // "" for none
  const std::vector<double> bounds_;   // histograms only
  mutable std::mutex mu_;
  std::map<std::string, std::unique_ptr<T>, std::less<>> series_;
};

class Registry {
 public:
  Registry() = default;
  Registry(const Registry&) = delete;
  Registry& operator=(const Registry&) = delete;

  // `name` must match [a-zA-Z_:][a-zA-Z0-9_:]*; `label` is "" or a label name.
  Family<Counter>& AddCounter(std::string_view name, std::string_view help,
                              std::string_view label = {});
  Family<Gauge>& AddGauge(std::string_view name, std::string_view help,
                          std::string_view label = {});
  Family<Histogram>& AddHistogram(std::string_view name, std::string_view help,
                                  std::string_view label = {},
                                  std::vector<double> bounds = DefaultLatencyBuckets());

  // The whole registry in the Prometheus text format.
  std::string Render() const;

 private:
  struct Entry {
    Kind kind;
    std::string name;
    void* family;  // Family<Counter|Gauge|Histogram>, owned by the matching vector below
  };
  void* Find(std::string_view name, Kind kind) const;

  mutable std::mutex mu_;
  std::vector<Entry> order_;
  std::vector<std::unique_ptr<Family<Counter>>> counters_;
  std::vector<std::unique_ptr<Family<Gauge>>> gauges_;
  std::vector<std::unique_ptr<Family<Histogram>>> histograms_;
};

}  // namespace laurel::metrics

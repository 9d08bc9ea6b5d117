#include "common/metrics.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <type_traits>

#include "common/check.h"

namespace laurel::metrics {
namespace {

bool ValidName(std::string_view n) {
  if (n.empty()) return false;
  for (size_t i = 0; i < n.size(); ++i) {
    const char c = n[i];
    const bool alpha = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == ':';
    if (!alpha && !(i > 0 && c >= '0' && c <= '9')) return false;
  }
  return true;
}

std::string FormatDouble(double v) {
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  if (std::isnan(v)) return "NaN";
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.17g", v);
  return buf;
}

// A label value escaped for the text format: backslash, double quote and newline.
std::string EscapeLabel(std::string_view v) {
  std::string out;
  out.reserve(v.size());
  for (char c : v) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '"') {
      out += "\\\"";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  return out;
}

// "{label=\"value\"}", or "" for a family without a label; `extra` is appended inside.
std::string Labels(const std::string& label, const std::string& value, const std::string& extra) {
  std::string parts;
  if (!label.empty()) parts = label + "=\"" + EscapeLabel(value) + "\"";
  if (!extra.empty()) parts += (parts.empty() ? "" : ",") + extra;
  return parts.empty() ? "" : "{" + parts + "}";
}

const char* KindName(Kind k) {
  switch (k) {
    case Kind::kCounter:
      return "counter";
    case Kind::kGauge:
      return "gauge";
    case Kind::kHistogram:
      return "histogram";
  }
  return "untyped";
}

template <class T>
std::unique_ptr<T> MakeSeries(const std::vector<double>& bounds) {
  if constexpr (std::is_same_v<T, Histogram>) {
    return std::make_unique<Histogram>(bounds);
  } else {
    (void)bounds;
    return std::make_unique<T>();
  }
}

}  // namespace

Histogram::Histogram(std::vector<double> bounds)
    : bounds_(std::move(bounds)), buckets_(new std::atomic<uint64_t>[bounds_.size() + 1]) {
  for (size_t i = 1; i < bounds_.size(); ++i) {
    LAUREL_CHECK(bounds_[i - 1] < bounds_[i], "histogram bounds must increase");
  }
  for (size_t i = 0; i <= bounds_.size(); ++i) buckets_[i].store(0, std::memory_order_relaxed);
}

void Histogram::Observe(double v) {
  size_t i = 0;
  while (i < bounds_.size() && v > bounds_[i]) ++i;
  buckets_[i].fetch_add(1, std::memory_order_relaxed);
  sum_.fetch_add(v, std::memory_order_relaxed);
  count_.fetch_add(1, std::memory_order_relaxed);
}

uint64_t Histogram::cumulative(size_t i) const {
  uint64_t n = 0;
  for (size_t j = 0; j <= i && j < bounds_.size(); ++j) {
    n += buckets_[j].load(std::memory_order_relaxed);
  }
  return n;
}

std::vector<double> DefaultLatencyBuckets() {
  return {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10};
}

template <class T>
T& Family<T>::Get(std::string_view label_value) {
  std::lock_guard lock(mu_);
  auto it = series_.find(label_value);
  if (it == series_.end()) {
    it = series_.emplace(std::string(label_value), MakeSeries<T>(bounds_)).first;
  }
  return *it->second;
}

template <class T>
void Family<T>::Render(std::string& out, Kind kind) const {
  out += "# HELP " + name_ + " " + help_ + "\n";
  out += "# TYPE " + name_ + " " + KindName(kind) + "\n";
  std::lock_guard lock(mu_);
  if (series_.empty() && label_.empty() && kind != Kind::kHistogram) {
    out += name_ + " 0\n";
    return;
  }
  for (const auto& [value, s] : series_) {
    if constexpr (std::is_same_v<T, Counter>) {
      out += name_ + Labels(label_, value, "") + " " + std::to_string(s->value()) + "\n";
    } else if constexpr (std::is_same_v<T, Gauge>) {
      out += name_ + Labels(label_, value, "") + " " + FormatDouble(s->value()) + "\n";
    } else {
      // Read the count first: buckets observed after it may make the +Inf bucket larger than
      // the finite ones, never smaller.
      const uint64_t count = s->count();
      const double sum = s->sum();
      uint64_t cumulative = 0;
      for (size_t i = 0; i < s->bounds().size(); ++i) {
        cumulative = std::max(cumulative, std::min(s->cumulative(i), count));
        out += name_ + "_bucket" +
               Labels(label_, value, "le=\"" + FormatDouble(s->bounds()[i]) + "\"") + " " +
               std::to_string(cumulative) + "\n";
      }
      out += name_ + "_bucket" + Labels(label_, value, "le=\"+Inf\"") + " " +
             std::to_string(count) + "\n";
      out += name_ + "_sum" + Labels(label_, value, "") + " " + FormatDouble(sum) + "\n";
      out += name_ + "_count" + Labels(label_, value, "") + " " + std::to_string(count) + "\n";
    }
  }
}

void* Registry::Find(std::string_view name, Kind kind) const {
  for (const Entry& e : order_) {
    if (e.name != name) continue;
    LAUREL_CHECK(e.kind == kind, "metric registered twice with different kinds");
    return e.family;
  }
  return nullptr;
}

Family<Counter>& Registry::AddCounter(std::string_view name, std::string_view help,
                                      std::string_view label) {
  LAUREL_CHECK(ValidName(name) && (label.empty() || ValidName(label)), "bad metric name");
  std::lock_guard lock(mu_);
  if (void* f = Find(name, Kind::kCounter)) return *static_cast<Family<Counter>*>(f);
  counters_.emplace_back(new Family<Counter>(std::string(name), std::string(help),
                                             std::string(label), {}));
  order_.push_back({Kind::kCounter, std::string(name), counters_.back().get()});
  return *counters_.back();
}

Family<Gauge>& Registry::AddGauge(std::string_view name, std::string_view help,
                                  std::string_view label) {
  LAUREL_CHECK(ValidName(name) && (label.empty() || ValidName(label)), "bad metric name");
  std::lock_guard lock(mu_);
  if (void* f = Find(name, Kind::kGauge)) return *static_cast<Family<Gauge>*>(f);
  gauges_.emplace_back(
      new Family<Gauge>(std::string(name), std::string(help), std::string(label), {}));
  order_.push_back({Kind::kGauge, std::string(name), gauges_.back().get()});
  return *gauges_.back();
}

Family<Histogram>& Registry::AddHistogram(std::string_view name, std::string_view help,
                                          std::string_view label, std::vector<double> bounds) {
  LAUREL_CHECK(ValidName(name) && (label.empty() || ValidName(label)), "bad metric name");
  std::lock_guard lock(mu_);
  if (void* f = Find(name, Kind::kHistogram)) return *static_cast<Family<Histogram>*>(f);
  histograms_.emplace_back(new Family<Histogram>(std::string(name), std::string(help),
                                                 std::string(label), std::move(bounds)));
  order_.push_back({Kind::kHistogram, std::string(name), histograms_.back().get()});
  return *histograms_.back();
}

std::string Registry::Render() const {
  std::string out;
  std::lock_guard lock(mu_);
  for (const Entry& e : order_) {
    switch (e.kind) {
      case Kind::kCounter:
        static_cast<const Family<Counter>*>(e.family)->Render(out, e.kind);
        break;
      case Kind::kGauge:
        static_cast<const Family<Gauge>*>(e.family)->Render(out, e.kind);
        break;
      case Kind::kHistogram:
        static_cast<const Family<Histogram>*>(e.family)->Render(out, e.kind);
        break;
    }
  }
  return out;
}

template class Family<Counter>;
template class Family<Gauge>;
template class Family<Histogram>;

}  // namespace laurel::metrics

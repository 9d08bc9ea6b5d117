// The metrics registry and its Prometheus text rendering.
#include "common/metrics.h"

#include <catch2/catch.hpp>
#include <thread>
#include <vector>

using namespace laurel::metrics;

TEST_CASE("counters, gauges and histograms render in the Prometheus text format", "[metrics]") {
  Registry r;
  r.AddCounter("x_total", "Things.").Get().Inc(3);
  auto& by_code = r.AddCounter("y_total", "By code.", "code");
  by_code.Get("B").Inc();
  by_code.Get("A").Inc(2);
  r.AddGauge("g", "A gauge.").Get().Set(2.5);
  auto& h = r.AddHistogram("lat_seconds", "Latency.", "route", {0.1, 1});
  h.Get("/a").Observe(0.05);
  h.Get("/a").Observe(0.5);
  h.Get("/a").Observe(7);
  const std::string out = r.Render();
  CHECK(out ==
        "# HELP x_total Things.\n# TYPE x_total counter\nx_total 3\n"
        "# HELP y_total By code.\n# TYPE y_total counter\n"
        "y_total{code=\"A\"} 2\ny_total{code=\"B\"} 1\n"
        "# HELP g A gauge.\n# TYPE g gauge\ng 2.5\n"
        "# HELP lat_seconds Latency.\n# TYPE lat_seconds histogram\n"
        "lat_seconds_bucket{route=\"/a\",le=\"0.10000000000000001\"} 1\n"
        "lat_seconds_bucket{route=\"/a\",le=\"1\"} 2\n"
        "lat_seconds_bucket{route=\"/a\",le=\"+Inf\"} 3\n"
        "lat_seconds_sum{route=\"/a\"} 7.5499999999999998\n"
        "lat_seconds_count{route=\"/a\"} 3\n");
}

TEST_CASE("registering a name again returns the same family", "[metrics]") {
  Registry r;
  auto& a = r.AddCounter("c_total", "C.");
  auto& b = r.AddCounter("c_total", "C.");
  CHECK(&a == &b);
  a.Get().Inc();
  CHECK(b.Get().value() == 1);
  // A label-free family with no series yet renders zero; a labelled one only its header.
  r.AddCounter("by_total", "By.", "k");
  CHECK(r.Render().find("by_total{") == std::string::npos);
}

TEST_CASE("label values are escaped", "[metrics]") {
  Registry r;
  r.AddCounter("e_total", "E.", "v").Get("a\"b\\c\nd").Inc();
  CHECK(r.Render().find("e_total{v=\"a\\\"b\\\\c\\nd\"} 1") != std::string::npos);
}

TEST_CASE("concurrent increments are all counted", "[metrics]") {
  Registry r;
  Counter& c = r.AddCounter("n_total", "N.").Get();
  Histogram& h = r.AddHistogram("h_seconds", "H.").Get();
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 10000; ++i) {
        c.Inc();
        h.Observe(0.001);
      }
    });
  }
  for (auto& t : threads) t.join();
  CHECK(c.value() == 40000);
  CHECK(h.count() == 40000);
  CHECK(h.cumulative(h.bounds().size() - 1) == 40000);
}

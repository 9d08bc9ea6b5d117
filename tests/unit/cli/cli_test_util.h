// Helpers of the `laurel` binary tests: temporary directories, running the real executable
// (LAUREL_BIN_DIR/laurel) with its exit code, stdout and stderr, and small file helpers.
#pragma once

#include <stdlib.h>
#include <sys/wait.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

namespace laurel::cli_test {

namespace fs = std::filesystem;

struct TempDir {
  fs::path path;
  TempDir() {
    char tmpl[] = "/tmp/laurel-cli-XXXXXX";
    path = mkdtemp(tmpl);
  }
  ~TempDir() { fs::remove_all(path); }
  std::string operator/(const std::string& name) const { return (path / name).string(); }
};

struct RunResult {
  int code = -1;
  std::string out;
  std::string err;
};

inline std::string Quote(const std::string& s) {
  std::string q = "'";
  for (char c : s) q += (c == '\'') ? std::string("'\\''") : std::string(1, c);
  return q + "'";
}

inline std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

inline void WriteFile(const std::string& path, const std::string& data) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << data;
}

// Runs `laurel args...` in `dir`, with stdin from `stdin_path` (or /dev/null).
inline RunResult Laurel(const TempDir& dir, const std::vector<std::string>& args,
                        const std::string& stdin_path = "/dev/null") {
  std::string cmd =
      "cd " + Quote(dir.path.string()) + " && " + Quote(std::string(LAUREL_BIN_DIR) + "/laurel");
  for (const auto& a : args) cmd += " " + Quote(a);
  const std::string err_path = dir / ".stderr";
  cmd += " <" + Quote(stdin_path) + " 2>" + Quote(err_path);
  RunResult r;
  FILE* p = popen(cmd.c_str(), "r");
  REQUIRE(p != nullptr);
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, p)) > 0) r.out.append(buf, n);
  const int status = pclose(p);
  REQUIRE(WIFEXITED(status));
  r.code = WEXITSTATUS(status);
  r.err = ReadFile(err_path);
  return r;
}

inline std::string Describe(const RunResult& r) {
  return "exit " + std::to_string(r.code) + "\nstdout: " + r.out + "\nstderr: " + r.err;
}

// stderr of a failed command: exactly one line "laurel: ...".
inline void CheckOneErrorLine(const RunResult& r) {
  INFO(Describe(r));
  CHECK(r.err.rfind("laurel: ", 0) == 0);
  CHECK(std::count(r.err.begin(), r.err.end(), '\n') == 1);
}

inline std::string Keygen(const TempDir& dir, const std::string& name) {
  const auto r = Laurel(dir, {"keygen", "--out", name});
  INFO(Describe(r));
  REQUIRE(r.code == 0);
  REQUIRE(r.out.size() == 65);
  return r.out.substr(0, 64);
}

}  // namespace laurel::cli_test

// Status and Result<T>: the error type of every module API in laurel.
//
// A Status is either OK or carries an error code and a human-readable message.
// Result<T> holds either a value or a non-OK Status (a small in-house `expected`).
// Both are [[nodiscard]]: ignoring an error is a compile error under -Werror.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <variant>

#include "common/check.h"

namespace laurel {

enum class StatusCode : uint8_t {
  kOk = 0,
  kInvalidArgument,  // the caller (or a peer, or a user) supplied bad input
  kNotFound,
  kAlreadyExists,
  kCorruption,  // stored or received data failed an integrity check
  kIoError,     // the OS or the database failed
  kPermissionDenied,
  kUnavailable,
  kInternal,
};

const char* StatusCodeName(StatusCode code);

class [[nodiscard]] Status {
 public:
  Status() = default;
  Status(StatusCode code, std::string message) : code_(code), message_(std::move(message)) {}

  static Status Ok() { return {}; }
  static Status InvalidArgument(std::string m) { return {StatusCode::kInvalidArgument, std::move(m)}; }
  static Status NotFound(std::string m) { return {StatusCode::kNotFound, std::move(m)}; }
  static Status AlreadyExists(std::string m) { return {StatusCode::kAlreadyExists, std::move(m)}; }
  static Status Corruption(std::string m) { return {StatusCode::kCorruption, std::move(m)}; }
  static Status IoError(std::string m) { return {StatusCode::kIoError, std::move(m)}; }
  static Status PermissionDenied(std::string m) {
    return {StatusCode::kPermissionDenied, std::move(m)};
  }
  static Status Unavailable(std::string m) { return {StatusCode::kUnavailable, std::move(m)}; }
  static Status Internal(std::string m) { return {StatusCode::kInternal, std::move(m)}; }

  bool ok() const { return code_ == StatusCode::kOk; }
  StatusCode code() const { return code_; }
  const std::string& message() const { return message_; }
  // "InvalidArgument: message" (or "OK").
  std::string ToString() const;

 private:
  StatusCode code_ = StatusCode::kOk;
  std::string message_;
};

template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}  // NOLINT(google-explicit-constructor)
  Result(Status status) : v_(std::move(status)) {  // NOLINT(google-explicit-constructor)
    LAUREL_CHECK(!std::get<Status>(v_).ok(), "Result constructed from an OK status");
  }

  bool ok() const { return std::holds_alternative<T>(v_); }
  const Status& status() const {
    static const Status kOkStatus;
    return ok() ? kOkStatus : std::get<Status>(v_);
  }
  T& value() & {
    LAUREL_CHECK(ok(), "value() on an error Result");
    return std::get<T>(v_);
  }
  const T& value() const& {
    LAUREL_CHECK(ok(), "value() on an error Result");
    return std::get<T>(v_);
  }
  T&& value() && {
    LAUREL_CHECK(ok(), "value() on an error Result");
    return std::get<T>(std::move(v_));
  }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }

 private:
  std::variant<T, Status> v_;
};

}  // namespace laurel

// Propagates a non-OK Status from an expression returning Status.
#define LAUREL_RETURN_IF_ERROR(expr)         \
  do {                                       \
    ::laurel::Status laurel_st_ = (expr);    \
    if (!laurel_st_.ok()) return laurel_st_; \
  } while (0)

#define LAUREL_CONCAT_INNER_(a, b) a##b
#define LAUREL_CONCAT_(a, b) LAUREL_CONCAT_INNER_(a, b)
// `LAUREL_ASSIGN_OR_RETURN(auto x, F());` assigns the value or returns the error.
#define LAUREL_ASSIGN_OR_RETURN(lhs, expr) \
  LAUREL_ASSIGN_OR_RETURN_IMPL_(LAUREL_CONCAT_(laurel_res_, __LINE__), lhs, expr)
#define LAUREL_ASSIGN_OR_RETURN_IMPL_(tmp, lhs, expr) \
  auto tmp = (expr);                                  \
  if (!tmp.ok()) return tmp.status();                 \
  lhs = std::move(tmp).value()

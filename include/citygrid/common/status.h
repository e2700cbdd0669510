#pragma once

// Status and Result<T>: expected failures as values (see STYLE.md "Errors").
//
// The codes form a small closed set; each maps to exactly one HTTP status in
// http/error_mapping (400, 404, 409, 400, 409, 401, 403, 429, 503, 500).

#include <cassert>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

namespace citygrid {

enum class StatusCode {
  kOk = 0,
  kInvalidArgument,     // the caller's input is malformed or out of range (400)
  kNotFound,            // the named thing does not exist, or the caller may not see it (404)
  kAlreadyExists,       // a create collided with an existing thing (409)
  kFailedPrecondition,  // the thing is in the wrong state: an illegal transition (400)
  kAborted,             // a concurrent writer moved first: stale version (409)
  kUnauthenticated,     // no or bad credentials (401)
  kPermissionDenied,    // authenticated, but this role may not do this (403)
  kResourceExhausted,   // a limit or quota is hit: body size, throttling (413/429)
  kUnavailable,         // a dependency is down; retrying may help (503)
  kInternal,            // a bug or a broken invariant (500)
};

// Returns the stable snake_case name of `code`, e.g. "invalid_argument".
std::string_view StatusCodeName(StatusCode code);

// What a failure is about, for a client that words it in its own language: the field at fault and
// a stable reason code with its arguments (e.g. a ledger value's LedgerReason: field "progress",
// "below_minimum", {"-3", "0"}). The REST API adds them to the error object.
struct StatusDetail {
  std::string field;
  std::string reason_code;
  std::vector<std::string> reason_args;
};

class [[nodiscard]] Status {
 public:
  Status() = default;
  Status(StatusCode code, std::string message) : code_(code), message_(std::move(message)) {}

  static Status Ok() { return Status(); }

  bool ok() const { return code_ == StatusCode::kOk; }
  StatusCode code() const { return code_; }
  const std::string& message() const { return message_; }

  // "invalid_argument: lon 200 is out of range" — for logs and CLI output.
  std::string ToString() const;

  // Prepends context to the message: "loading categories.json: line 3: ...". Keeps the detail.
  Status WithContext(std::string_view context) const;

  // The same status carrying `detail` (ignored on OK).
  Status WithDetail(StatusDetail detail) const;
  // The detail, or nullptr.
  const StatusDetail* detail() const { return detail_.get(); }

  // Compares code and message (not the detail).
  friend bool operator==(const Status& a, const Status& b) {
    return a.code_ == b.code_ && a.message_ == b.message_;
  }

 private:
  StatusCode code_ = StatusCode::kOk;
  std::string message_;
  std::shared_ptr<const StatusDetail> detail_;  // shared: copying a Status stays cheap
};

inline Status OkStatus() { return Status(); }
Status InvalidArgumentError(std::string message);
Status NotFoundError(std::string message);
Status AlreadyExistsError(std::string message);
Status FailedPreconditionError(std::string message);
Status AbortedError(std::string message);
Status UnauthenticatedError(std::string message);
Status PermissionDeniedError(std::string message);
Status ResourceExhaustedError(std::string message);
Status UnavailableError(std::string message);
Status InternalError(std::string message);

// Result<T> holds either a value or a non-OK Status.
template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : value_(std::move(value)) {}  // NOLINT: implicit by design
  Result(Status status) : status_(std::move(status)) {  // NOLINT: implicit by design
    assert(!status_.ok() && "Result constructed from an OK status without a value");
    if (status_.ok()) status_ = InternalError("Result constructed from an OK status");
  }

  bool ok() const { return value_.has_value(); }
  const Status& status() const { return status_; }

  // REQUIRES: ok().
  T& value() & { return *value_; }
  const T& value() const& { return *value_; }
  T&& value() && { return std::move(*value_); }
  T& operator*() & { return *value_; }
  const T& operator*() const& { return *value_; }
  T&& operator*() && { return std::move(*value_); }
  T* operator->() { return &*value_; }
  const T* operator->() const { return &*value_; }

  T value_or(T fallback) const& { return ok() ? *value_ : std::move(fallback); }

 private:
  Status status_;  // OK iff value_ is set
  std::optional<T> value_;
};

namespace internal {
inline const Status& GetStatus(const Status& s) { return s; }
template <typename T>
const Status& GetStatus(const Result<T>& r) {
  return r.status();
}
}  // namespace internal

}  // namespace citygrid

#define CITYGRID_CONCAT_INNER_(a, b) a##b
#define CITYGRID_CONCAT_(a, b) CITYGRID_CONCAT_INNER_(a, b)

// Returns the Status of `expr` (a Status or a Result<T>) from the enclosing function if not OK.
#define CITYGRID_RETURN_IF_ERROR(expr)                                       \
  do {                                                                       \
    auto&& citygrid_status_or_ = (expr);                                     \
    if (!::citygrid::internal::GetStatus(citygrid_status_or_).ok())          \
      return ::citygrid::internal::GetStatus(citygrid_status_or_);           \
  } while (false)

// `CITYGRID_ASSIGN_OR_RETURN(T x, ResultExpr)` declares/assigns x or returns the error.
#define CITYGRID_ASSIGN_OR_RETURN(lhs, expr) \
  CITYGRID_ASSIGN_OR_RETURN_IMPL_(CITYGRID_CONCAT_(citygrid_result_, __LINE__), lhs, expr)
#define CITYGRID_ASSIGN_OR_RETURN_IMPL_(result, lhs, expr) \
  auto result = (expr);                                    \
  if (!result.ok()) return std::move(result).status();     \
  lhs = std::move(result).value()

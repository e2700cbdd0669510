#pragma once

// The request a handler sees: a plain value, free of any network library, so handlers and the
// router are tested by building one by hand (see MakeRequest).

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "citygrid/common/status.h"
#include "citygrid/http/headers.h"

namespace citygrid::http {

enum class Method { kGet, kHead, kPost, kPut, kPatch, kDelete, kOptions, kOther };

// "GET", "POST", ...; "OTHER" for kOther.
std::string_view MethodName(Method method);
// Parses an upper-case method token; unknown tokens give kOther.
Method ParseMethod(std::string_view token);

// Decoded query parameters in their order of appearance ("a=1&b=x%20y&a=2").
class QueryParams {
 public:
  using Param = std::pair<std::string, std::string>;

  // The first value of `name`, or nullopt. A key without '=' has the value "".
  std::optional<std::string_view> Get(std::string_view name) const;
  // Every value of `name`, in order.
  std::vector<std::string_view> GetAll(std::string_view name) const;
  bool Has(std::string_view name) const { return Get(name).has_value(); }

  void Add(std::string name, std::string value) {
    params_.emplace_back(std::move(name), std::move(value));
  }
  bool empty() const { return params_.empty(); }
  size_t size() const { return params_.size(); }
  std::vector<Param>::const_iterator begin() const { return params_.begin(); }
  std::vector<Param>::const_iterator end() const { return params_.end(); }

 private:
  std::vector<Param> params_;
};

// What a connection keeps from one of its requests to the next (the server handles one request
// of a connection at a time).
struct ConnectionMemo {
  // The bearer token last authenticated on this connection and its AuthService::TokenKey: a
  // client that sends the same token on every request has it hashed once per connection. (The
  // token is compared only with the one this same connection sent before.)
  std::string bearer_token;
  std::string bearer_token_key;
};

struct Request {
  Method method = Method::kGet;
  std::string method_text = "GET";  // the token as received, e.g. for kOther
  std::string target;               // as received: "/api/v1/cases?state=handling"
  std::string path;                 // percent-decoded path: "/api/v1/cases"
  std::vector<std::string> path_segments;  // percent-decoded: {"api", "v1", "cases"}
  QueryParams query;
  Headers headers;
  std::string body;
  std::string remote_address;  // "127.0.0.1:52144"; "" when built by hand
  std::shared_ptr<ConnectionMemo> connection;  // the server's; null when built by hand

  // Sets target, path, path_segments and query from a request target (origin form, "/p?q").
  // kInvalidArgument names the problem for a target that is not an absolute path, or has bad
  // percent-encoding. Empty segments are dropped ("/a//b/" → {"a", "b"}).
  Status SetTarget(std::string_view target);
};

// A request built by hand (tests, internal calls). kInvalidArgument as SetTarget.
Result<Request> MakeRequest(Method method, std::string_view target, std::string body = "",
                            Headers headers = {});

}  // namespace citygrid::http

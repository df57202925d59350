#pragma once

// The registry's JSON API as the handlers see it: a request with the
// terminal (client certificate) and session it came with, a response, and
// the errors that become 4xx answers. Transport-free, so handlers are
// tested without sockets.

#include <map>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <string>

namespace kijun::server {

// The terminal a request came from: its client certificate.
struct Terminal {
  std::string common_name;
  std::string organisation;
  std::string serial;
};

struct ApiRequest {
  std::string method;
  std::string path;
  std::map<std::string, std::string> query;
  std::string body;
  std::string bearer;  // the session token from "Authorization: Bearer …"
  std::string remote;  // the peer's address
  Terminal terminal;
  std::map<std::string, std::string> params;  // {name} parts of the route
};

struct ApiResponse {
  int status = 200;
  nlohmann::ordered_json body;
  // For non-JSON answers (the print view): the content type and text.
  std::string content_type;
  std::string text;
};

// A request the API refuses: the status (4xx), a stable code, the reason in
// Japanese and English, and where in the request the problem is (a JSON
// pointer such as "/items/年齢", or "" for the request as a whole).
class ApiError : public std::runtime_error {
 public:
  ApiError(int status, std::string code, std::string ja, std::string en, std::string where = "")
      : std::runtime_error(en),
        status_(status),
        code_(std::move(code)),
        ja_(std::move(ja)),
        en_(std::move(en)),
        where_(std::move(where)) {}

  int status() const { return status_; }
  const std::string& code() const { return code_; }
  nlohmann::ordered_json ToJson() const;

 private:
  int status_;
  std::string code_;
  std::string ja_;
  std::string en_;
  std::string where_;
};

// The request body as a JSON object; malformed JSON or another type is a
// 400 saying where (byte offset) and what.
nlohmann::json ParseJsonObject(const std::string& body);

// A required string member of `object`; a 400 naming it when missing or
// not a non-empty string of at most `max_length` bytes.
std::string RequireString(const nlohmann::json& object, const std::string& name,
                          size_t max_length = 200);

}  // namespace kijun::server

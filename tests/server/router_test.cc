// The API router: patterns, parameters, 404 and 405.

#include "server/router.h"

#include <gtest/gtest.h>

namespace kijun::server {
namespace {

Router Sample() {
  Router router;
  router.Add("GET", "/forms/{id}", [](ApiRequest& r) {
    return ApiResponse{200, {{"id", r.params.at("id")}}, "", ""};
  });
  router.Add("POST", "/forms/{id}/confirm", [](ApiRequest& r) {
    return ApiResponse{201, {{"confirm", r.params.at("id")}}, "", ""};
  });
  return router;
}

ApiRequest Request(const std::string& method, const std::string& path) {
  ApiRequest r;
  r.method = method;
  r.path = path;
  return r;
}

TEST(Router, MatchesPatternsAndFillsParameters) {
  Router router = Sample();
  ApiRequest r = Request("GET", "/forms/42");
  EXPECT_EQ(router.Dispatch(r).body["id"], "42");
  r = Request("POST", "/forms/7/confirm/");
  ApiResponse answer = router.Dispatch(r);
  EXPECT_EQ(answer.status, 201);
  EXPECT_EQ(answer.body["confirm"], "7");
}

TEST(Router, UnknownPathIs404AndWrongMethodIs405) {
  Router router = Sample();
  ApiRequest r = Request("GET", "/forms/42/print");
  try {
    router.Dispatch(r);
    FAIL() << "no error";
  } catch (const ApiError& e) {
    EXPECT_EQ(e.status(), 404);
    EXPECT_EQ(e.ToJson()["error"]["code"], "not_found");
  }
  r = Request("DELETE", "/forms/42");
  try {
    router.Dispatch(r);
    FAIL() << "no error";
  } catch (const ApiError& e) {
    EXPECT_EQ(e.status(), 405);
  }
}

TEST(ApiInput, MalformedJsonSaysWhere) {
  try {
    ParseJsonObject("{\"a\": 1,");
    FAIL() << "no error";
  } catch (const ApiError& e) {
    EXPECT_EQ(e.status(), 400);
    auto j = e.ToJson();
    EXPECT_EQ(j["error"]["code"], "malformed_json");
    EXPECT_NE(j["error"]["en"].get<std::string>().find("byte 9"), std::string::npos);
  }
  EXPECT_THROW(ParseJsonObject("[1]"), ApiError);
  nlohmann::json body = {{"name", 5}};
  try {
    RequireString(body, "name");
    FAIL() << "no error";
  } catch (const ApiError& e) {
    EXPECT_EQ(e.ToJson()["error"]["where"], "/name");
  }
  EXPECT_EQ(RequireString({{"name", "佐藤"}}, "name"), "佐藤");
  EXPECT_THROW(RequireString({{"name", std::string(300, 'x')}}, "name"), ApiError);
}

}  // namespace
}  // namespace kijun::server

// check_load: a load generator for the registry's instant check over mutual
// TLS with keep-alive (wrk cannot present a client certificate). Each
// connection signs in once, then POSTs one form to /check in a loop; the
// run reports throughput and latency percentiles.
//
//   check_load --port N --pki DIR --login L --password P --form FILE
//              [--connections 8] [--seconds 10]

#include <Poco/Net/Context.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/Net/HTTPSClientSession.h>
#include <Poco/Net/SSLManager.h>
#include <Poco/StreamCopier.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <mutex>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

namespace {

struct Options {
  int port = 8443;
  std::string pki, login, password, form;
  int connections = 8;
  int seconds = 10;
};

std::string Post(Poco::Net::HTTPSClientSession& session, const std::string& path,
                 const std::string& body, const std::string& token, int& status) {
  Poco::Net::HTTPRequest request(Poco::Net::HTTPRequest::HTTP_POST, path,
                                 Poco::Net::HTTPMessage::HTTP_1_1);
  request.setContentType("application/json");
  request.setContentLength(std::streamsize(body.size()));
  request.setKeepAlive(true);
  if (!token.empty()) request.set("Authorization", "Bearer " + token);
  session.sendRequest(request) << body;
  Poco::Net::HTTPResponse response;
  std::istream& in = session.receiveResponse(response);
  std::string out;
  Poco::StreamCopier::copyToString(in, out);
  status = response.getStatus();
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  std::vector<std::string> args(argv + 1, argv + argc);
  for (size_t i = 0; i + 1 < args.size(); i += 2) {
    const std::string& k = args[i];
    const std::string& v = args[i + 1];
    if (k == "--port")
      o.port = std::stoi(v);
    else if (k == "--pki")
      o.pki = v;
    else if (k == "--login")
      o.login = v;
    else if (k == "--password")
      o.password = v;
    else if (k == "--form")
      o.form = v;
    else if (k == "--connections")
      o.connections = std::stoi(v);
    else if (k == "--seconds")
      o.seconds = std::stoi(v);
  }
  std::ifstream file(o.form);
  std::stringstream text;
  text << file.rdbuf();
  const std::string form = text.str();
  Poco::Net::initializeSSL();
  Poco::Net::Context::Ptr context = new Poco::Net::Context(
      Poco::Net::Context::TLS_CLIENT_USE, o.pki + "/terminal-1.key", o.pki + "/terminal-1.crt",
      o.pki + "/ca.crt", Poco::Net::Context::VERIFY_RELAXED);

  std::string token;
  {
    Poco::Net::HTTPSClientSession session("localhost", Poco::UInt16(o.port), context);
    int status = 0;
    std::string body = nlohmann::json{{"login", o.login}, {"password", o.password}}.dump();
    std::string out = Post(session, "/login", body, "", status);
    if (status != 200) {
      std::cerr << "check_load: sign-in failed: " << out << '\n';
      return 1;
    }
    token = nlohmann::json::parse(out)["token"];
  }

  std::atomic<bool> stop{false};
  std::atomic<long> errors{0};
  std::mutex merge;
  std::vector<double> all;  // microseconds
  std::vector<std::thread> threads;
  for (int c = 0; c < o.connections; ++c) {
    threads.emplace_back([&] {
      std::vector<double> latencies;
      latencies.reserve(1 << 20);
      Poco::Net::HTTPSClientSession session("localhost", Poco::UInt16(o.port), context);
      session.setKeepAlive(true);
      while (!stop.load(std::memory_order_relaxed)) {
        auto start = std::chrono::steady_clock::now();
        int status = 0;
        try {
          Post(session, "/check", form, token, status);
        } catch (const Poco::Exception&) {
          status = 0;
        }
        auto end = std::chrono::steady_clock::now();
        if (status != 200) {
          ++errors;
          continue;
        }
        latencies.push_back(std::chrono::duration<double, std::micro>(end - start).count());
      }
      std::lock_guard<std::mutex> lock(merge);
      all.insert(all.end(), latencies.begin(), latencies.end());
    });
  }
  std::this_thread::sleep_for(std::chrono::seconds(o.seconds));
  stop = true;
  for (auto& t : threads) t.join();
  std::sort(all.begin(), all.end());
  auto pct = [&](double p) {
    return all.empty() ? 0.0 : all[std::min(all.size() - 1, size_t(p * double(all.size())))];
  };
  std::printf(
      "checks: %zu in %d s = %.0f checks/s over %d keep-alive mTLS connections; errors: %ld\n"
      "latency: p50 %.2f ms, p90 %.2f ms, p99 %.2f ms, max %.2f ms\n",
      all.size(), o.seconds, double(all.size()) / o.seconds, o.connections, errors.load(),
      pct(0.5) / 1000, pct(0.9) / 1000, pct(0.99) / 1000, all.empty() ? 0.0 : all.back() / 1000);
  Poco::Net::uninitializeSSL();
  return 0;
}

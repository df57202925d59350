#include "server/rules_command.h"

#include <termios.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <ctime>
#include <fstream>
#include <iomanip>
#include <iostream>
#include <sstream>
#include <stdexcept>
#include <thread>

#include "server/registry_client.h"
#include "server/totp.h"

namespace kijun::server {

namespace {

constexpr const char* kRulesUsage = R"(usage:
  kijun-admin rules list     [CONNECTION]              the disease versions serving
  kijun-admin rules deploy FILE [CONNECTION]           deploy a rule bundle (signed in production)
  kijun-admin rules rollback [CONNECTION]              serve the rules before the last publish
CONNECTION:
  --registry https://HOST:PORT   (default https://localhost:8443)
  --pki DIR                      ca.crt and the terminal's certificate (default var/pki)
  --terminal NAME                DIR/NAME.crt and DIR/NAME.key (default terminal-1)
  --login ID                     an operator (運用者) account
  password: $KIJUN_PASSWORD, else asked on the terminal
  TOTP:     --totp CODE, or $KIJUN_TOTP_SECRET, else asked when the registry wants one
)";

std::string Option(const std::vector<std::string>& args, const std::string& name,
                   const std::string& fallback = "") {
  for (size_t i = 0; i + 1 < args.size(); ++i) {
    if (args[i] == name) return args[i + 1];
  }
  return fallback;
}

// Reads a line from the terminal without echo (for the password).
std::string Ask(const std::string& prompt, bool secret) {
  std::cerr << prompt << std::flush;
  termios saved{};
  bool tty = isatty(STDIN_FILENO) != 0 && tcgetattr(STDIN_FILENO, &saved) == 0;
  if (tty && secret) {
    termios quiet = saved;
    quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
    tcsetattr(STDIN_FILENO, TCSANOW, &quiet);
  }
  std::string line;
  std::getline(std::cin, line);
  if (tty && secret) {
    tcsetattr(STDIN_FILENO, TCSANOW, &saved);
    std::cerr << '\n';
  }
  return line;
}

void PrintVersions(const nlohmann::json& body) {
  std::cout << "generation " << body.value("generation", 0) << '\n';
  for (const auto& v : body["versions"]) {
    std::cout << "  " << std::left << std::setw(14) << v.value("disease", "") << "  "
              << (v["effective"].is_string() ? v["effective"].get<std::string>() : "-") << "  "
              << v.value("content_hash", "").substr(0, 23) << "  "
              << (v.value("native", false) ? "jit   " : "interp") << "  " << v.value("name", "")
              << '\n';
  }
  std::cout << body["versions"].size() << " disease versions serving\n";
}

}  // namespace

namespace {

void LoginWithSecret(RegistryClient& client, const std::string& login, const std::string& password,
                     const std::string& secret) {
  std::time_t now = std::time(nullptr);
  for (std::time_t at : {now, now + 30}) {
    try {
      client.Login(login, password, TotpCode(secret, at));
      return;
    } catch (const std::runtime_error& e) {
      if (std::string(e.what()).find("totp_invalid") == std::string::npos) throw;
    }
  }
  std::this_thread::sleep_for(std::chrono::seconds(30 - now % 30 + 1));
  client.Login(login, password, TotpCode(secret, std::time(nullptr) + 30));
}

}  // namespace

int RunRulesCommand(const std::vector<std::string>& args) {
  std::string sub = args.empty() ? "" : args[0];
  if (sub != "list" && sub != "deploy" && sub != "rollback") {
    std::cerr << kRulesUsage;
    return 2;
  }
  std::string bundle_text;
  if (sub == "deploy") {
    if (args.size() < 2 || args[1].rfind("--", 0) == 0) {
      std::cerr << "kijun-admin rules deploy: バンドルのファイルを指定してください / give the "
                   "bundle file\n"
                << kRulesUsage;
      return 2;
    }
    std::ifstream in(args[1], std::ios::binary);
    if (!in) {
      std::cerr << "kijun-admin rules deploy: 「" << args[1] << "」を開けません / cannot open '"
                << args[1] << "'\n";
      return 2;
    }
    std::ostringstream text;
    text << in.rdbuf();
    bundle_text = text.str();
  }
  std::string login = Option(args, "--login");
  if (login.empty()) {
    std::cerr
        << "kijun-admin rules: --login ID (運用者のアカウント / an operator account) が必要です"
           " / --login is required\n";
    return 2;
  }
  RegistryEndpoint endpoint;
  std::string url = Option(args, "--registry", "https://localhost:8443");
  if (!ParseRegistryUrl(url, endpoint)) {
    std::cerr << "kijun-admin rules: 「" << url
              << "」は https://HOST:PORT の形ではありません / not an https://HOST:PORT URL\n";
    return 2;
  }
  std::string pki = Option(args, "--pki", "var/pki");
  std::string terminal = Option(args, "--terminal", "terminal-1");
  endpoint.ca = pki + "/ca.crt";
  endpoint.certificate = pki + "/" + terminal + ".crt";
  endpoint.key = pki + "/" + terminal + ".key";
  try {
    RegistryClient client(endpoint);
    const char* password_env = std::getenv("KIJUN_PASSWORD");
    std::string password =
        password_env != nullptr ? password_env : Ask("パスワード / password: ", true);
    std::string totp = Option(args, "--totp");
    const char* secret = std::getenv("KIJUN_TOTP_SECRET");
    if (totp.empty() && secret != nullptr) {
      // Scripted sign-in from the secret. A code is good once per account:
      // when this step's code was used already (an earlier command in the
      // same 30 s), the next step's code is accepted too; failing that, wait
      // for a new step.
      LoginWithSecret(client, login, password, secret);
    } else {
      try {
        client.Login(login, password, totp);
      } catch (const std::runtime_error& e) {
        if (!totp.empty() || std::string(e.what()).find("totp") == std::string::npos) throw;
        client.Login(login, password, Ask("認証コード / TOTP code: ", false));
      }
    }
    RegistryReply reply;
    if (sub == "list") reply = client.Request("GET", "/rules");
    if (sub == "deploy") reply = client.Request("POST", "/rules/bundles", bundle_text);
    if (sub == "rollback") reply = client.Request("POST", "/rules/rollback");
    if (reply.status != 200) {
      std::cerr << "kijun-admin rules " << sub << ": " << ErrorMessage(reply) << '\n';
      if (reply.body.is_object() && reply.body.contains("problems") &&
          reply.body["problems"].is_string()) {
        std::cerr << reply.body["problems"].get<std::string>();
      }
      if (reply.body.is_object() && reply.body.contains("generation")) {
        std::cerr << "still serving generation " << reply.body["generation"] << '\n';
      }
      return 1;
    }
    if (sub == "deploy") {
      std::cout << "deployed in " << int(reply.body.value("milliseconds", 0.0)) << " ms"
                << (reply.body["signed_by"].is_string()
                        ? ", signed by " + reply.body["signed_by"].get<std::string>()
                        : std::string(", unsigned (development)"))
                << '\n';
    }
    if (sub == "rollback") std::cout << "rolled back\n";
    PrintVersions(reply.body);
    return 0;
  } catch (const std::runtime_error& e) {
    std::cerr << "kijun-admin rules " << sub << ": " << e.what() << '\n';
    return 2;
  }
}

}  // namespace kijun::server

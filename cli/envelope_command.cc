#include "cli/envelope_command.h"

#include <algorithm>
#include <fstream>
#include <iostream>
#include <map>
#include <optional>
#include <sstream>

#include "server/envelope.h"

namespace kijun::cli {
namespace {

using server::EnvelopeError;

constexpr const char* kEnvelopeUsage = R"(usage:
  kijun envelope seal --cert CERT --key KEY --to SERVER_CRT [--pem] IN OUT
  kijun envelope open --cert SERVER_CRT --key SERVER_KEY --ca CA [--crl CRL]
                      [--physician NUMBER] IN OUT
  kijun envelope verify --cert SERVER_CRT --key SERVER_KEY --ca CA [--crl CRL]
                        [--physician NUMBER] IN
IN and OUT may be '-' (stdin, stdout). The format: docs/envelope.md.
)";

struct EnvelopeArgs {
  std::vector<std::string> files;
  std::map<std::string, std::string> options;
  std::string Get(const std::string& key) const {
    auto it = options.find(key);
    return it == options.end() ? std::string() : it->second;
  }
  bool Has(const std::string& key) const { return options.count(key) != 0; }
};

// --name VALUE or --name=VALUE for the `valued` options, --pem when `pem`
// is allowed, and files. nullopt (with a message) on an unknown option or a
// missing value.
std::optional<EnvelopeArgs> ParseEnvelopeArgs(const std::vector<std::string>& words,
                                              const std::string& command,
                                              const std::vector<std::string>& valued, bool pem) {
  EnvelopeArgs args;
  for (size_t i = 1; i < words.size(); ++i) {
    const std::string& word = words[i];
    if (word.size() <= 2 || word.rfind("--", 0) != 0) {
      args.files.push_back(word);
      continue;
    }
    size_t eq = word.find('=');
    std::string name = word.substr(2, eq == std::string::npos ? std::string::npos : eq - 2);
    if (pem && name == "pem" && eq == std::string::npos) {
      args.options[name] = "1";
    } else if (std::find(valued.begin(), valued.end(), name) == valued.end()) {
      std::cerr << command << ": 知らないオプション「" << word << "」/ unknown option\n"
                << kEnvelopeUsage;
      return std::nullopt;
    } else if (eq != std::string::npos) {
      args.options[name] = word.substr(eq + 1);
    } else if (i + 1 < words.size()) {
      args.options[name] = words[++i];
    } else {
      std::cerr << command << ": " << word << " の値がありません / " << word << " needs a value\n";
      return std::nullopt;
    }
  }
  return args;
}

bool RequireOptions(const EnvelopeArgs& args, const std::vector<std::string>& names, size_t files,
                    const std::string& command) {
  for (const auto& name : names) {
    if (args.Get(name).empty()) {
      std::cerr << command << ": --" << name << " を指定してください / --" << name
                << " is required\n"
                << kEnvelopeUsage;
      return false;
    }
  }
  if (args.files.size() != files) {
    std::cerr << command << ": ファイルを " << files << " つ指定してください / give " << files
              << (files == 1 ? " file" : " files") << '\n'
              << kEnvelopeUsage;
    return false;
  }
  return true;
}

// Binary, whole; '-' is stdin.
bool ReadInput(const std::string& path, std::string& bytes) {
  std::ostringstream text;
  if (path == "-") {
    text << std::cin.rdbuf();
  } else {
    std::ifstream in(path, std::ios::binary);
    if (!in) return false;
    text << in.rdbuf();
  }
  bytes = text.str();
  return true;
}

// '-' is stdout.
bool WriteOutput(const std::string& path, const std::string& bytes) {
  if (path == "-") {
    std::cout.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    std::cout.flush();
    return static_cast<bool>(std::cout);
  }
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  out.close();
  return static_cast<bool>(out);
}

void PrintSigner(std::ostream& out, const server::OpenedEnvelope& opened) {
  const auto& signer = opened.signer;
  out << "指定医番号 / designation number: " << signer.designation_number << '\n'
      << "氏名 / name: " << signer.name << '\n'
      << "医療機関 / institution: " << (signer.institution.empty() ? "-" : signer.institution)
      << '\n'
      << "署名日時 / signed at: " << server::FormatUtc(opened.signing_time) << '\n'
      << "証明書 / certificate: serial " << signer.certificate_serial << ", issuer "
      << signer.issuer << ", valid until " << server::FormatUtc(signer.not_after) << '\n'
      << "失効確認 / revocation: "
      << (opened.revocation_checked ? "確認済み / checked against the CRL"
                                    : "未確認 / NOT checked (no --crl)")
      << '\n'
      << "内容 / payload: " << opened.payload.size() << " bytes\n";
}

int Seal(const std::vector<std::string>& words) {
  const std::string command = "kijun envelope seal";
  auto args = ParseEnvelopeArgs(words, command, {"cert", "key", "to"}, true);
  if (!args || !RequireOptions(*args, {"cert", "key", "to"}, 2, command)) return 2;
  const std::string& in = args->files[0];
  const std::string& out = args->files[1];
  std::string payload;
  if (!ReadInput(in, payload)) {
    std::cerr << command << ": 「" << in << "」を開けません / cannot open '" << in << "'\n";
    return 2;
  }
  try {
    auto physician = server::CertifiedKey::ReadPemFiles(args->Get("cert"), args->Get("key"));
    auto registry = server::Certificate::ReadPemFile(args->Get("to"));
    server::SealedEnvelope sealed = server::Seal(payload, physician, registry);
    std::string bytes = args->Has("pem") ? sealed.Pem() : sealed.der;
    if (!WriteOutput(out, bytes)) {
      std::cerr << command << ": 「" << out << "」に書けません / cannot write '" << out << "'\n";
      return 2;
    }
    std::cerr << command << ": " << payload.size() << " bytes sealed to " << args->Get("to") << ": "
              << (out == "-" ? "stdout" : out) << " (" << bytes.size() << " bytes, "
              << (args->Has("pem") ? "PEM" : "DER") << ")\n";
    return 0;
  } catch (const EnvelopeError& e) {
    std::cerr << command << ": [" << e.name() << "] " << e.what() << '\n';
    return 2;
  }
}

// open and verify: the same checks; open also writes the payload.
int OpenOrVerify(const std::vector<std::string>& words, bool write_payload) {
  const std::string command = write_payload ? "kijun envelope open" : "kijun envelope verify";
  auto args = ParseEnvelopeArgs(words, command, {"cert", "key", "ca", "crl", "physician"}, false);
  if (!args || !RequireOptions(*args, {"cert", "key", "ca"}, write_payload ? 2 : 1, command)) {
    return 2;
  }
  const std::string& in = args->files[0];
  std::string envelope;
  if (!ReadInput(in, envelope)) {
    std::cerr << command << ": 「" << in << "」を開けません / cannot open '" << in << "'\n";
    return 2;
  }
  server::SignerTrust trust;
  std::optional<server::CertifiedKey> registry;
  try {
    registry = server::CertifiedKey::ReadPemFiles(args->Get("cert"), args->Get("key"));
    trust.authorities = server::Certificate::ReadPemBundle(args->Get("ca"));
    if (args->Has("crl")) {
      trust.revocation_lists = server::RevocationList::ReadPemFile(args->Get("crl"));
    } else {
      // An operator may look at an envelope without the CRL at hand; the
      // server never does (it always passes its CRL).
      trust.revocation = server::RevocationCheck::kSkipped;
    }
  } catch (const EnvelopeError& e) {
    std::cerr << command << ": [" << e.name() << "] " << e.what() << '\n';
    return 2;
  }
  try {
    server::OpenedEnvelope opened = server::Open(envelope, *registry, trust);
    if (args->Has("physician")) {
      server::RequireConfirmingPhysician(opened, args->Get("physician"));
    }
    if (write_payload) {
      const std::string& out = args->files[1];
      if (!WriteOutput(out, opened.payload)) {
        std::cerr << command << ": 「" << out << "」に書けません / cannot write '" << out << "'\n";
        return 2;
      }
      PrintSigner(std::cerr, opened);
      std::cerr << "OK\n";
    } else {
      PrintSigner(std::cout, opened);
      std::cout << "OK\n";
    }
    return 0;
  } catch (const EnvelopeError& e) {
    std::cerr << command << ": " << in << ": 不合格 / REJECTED [" << e.name() << "]\n"
              << command << ": " << e.what() << '\n';
    return 1;
  }
}

}  // namespace

int RunEnvelopeCommand(const std::vector<std::string>& args) {
  std::string sub = args.empty() ? "" : args[0];
  if (sub == "seal") return Seal(args);
  if (sub == "open") return OpenOrVerify(args, true);
  if (sub == "verify") return OpenOrVerify(args, false);
  if (sub == "--help" || sub == "-h") {
    std::cout << kEnvelopeUsage;
    return 0;
  }
  std::cerr << "kijun envelope: seal, open, verify のどれかです / subcommands: seal, open, verify\n"
            << kEnvelopeUsage;
  return 2;
}

}  // namespace kijun::cli

// The cost of encryption at rest on the confirm path: the sealing work one
// POST /forms/{id}/confirm does (server/workflow_records.cc), with the
// payload sizes given on the command line (bench/confirm_load.py passes the
// sizes measured in its own registry run). The instant check (POST /check)
// stores nothing and does none of this.
//
//   sealing_bench --items BYTES --judgment BYTES --identity BYTES [benchmark flags]

#include <benchmark/benchmark.h>

#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <string>
#include <vector>

#include "server/field_cipher.h"
#include "server/key_folder.h"
#include "server/server_signer.h"

namespace {

size_t items_bytes = 600, judgment_bytes = 4000, identity_bytes = 150;
std::string server_key;

// One confirm: the form read before (data key unwrapped, items opened), the
// patient (its key, the identity), the update (the form's key again, the
// judgment sealed) and the form read back (key, items, judgment).
void BM_ConfirmSealing(benchmark::State& state) {
  std::string folder =
      (std::filesystem::temp_directory_path() / ("kijun-sealing-bench-" + std::to_string(getpid())))
          .string();
  std::filesystem::remove_all(folder);
  kijun::server::KeyFolder::Initialise(folder);
  kijun::server::KeyFolder keys(folder);
  std::string form_key = kijun::server::RandomBytes(32),
              patient_key = kijun::server::RandomBytes(32);
  auto wrapped_form = keys.Wrap(form_key, "institution.data_keys/1/wrapped");
  auto wrapped_patient = keys.Wrap(patient_key, "institution.data_keys/2/wrapped");
  std::string items = kijun::server::Seal(form_key, std::string(items_bytes, 'x'), "f/1/items");
  std::string identity =
      kijun::server::Seal(patient_key, std::string(identity_bytes, 'x'), "p/1/identity");
  std::string judgment_text(judgment_bytes, 'x');
  for (auto _ : state) {
    std::string k1 = keys.Unwrap(wrapped_form, "institution.data_keys/1/wrapped");
    benchmark::DoNotOptimize(kijun::server::Open(k1, items, "f/1/items"));
    std::string k2 = keys.Unwrap(wrapped_patient, "institution.data_keys/2/wrapped");
    benchmark::DoNotOptimize(kijun::server::Open(k2, identity, "p/1/identity"));
    std::string k3 = keys.Unwrap(wrapped_form, "institution.data_keys/1/wrapped");
    std::string judgment = kijun::server::Seal(k3, judgment_text, "f/1/judgment");
    std::string k4 = keys.Unwrap(wrapped_form, "institution.data_keys/1/wrapped");
    benchmark::DoNotOptimize(kijun::server::Open(k4, items, "f/1/items"));
    benchmark::DoNotOptimize(kijun::server::Open(k4, judgment, "f/1/judgment"));
  }
  std::filesystem::remove_all(folder);
}
BENCHMARK(BM_ConfirmSealing);

// The proof of authorship's server signature (ECDSA P-256) of one confirm.
void BM_ConfirmAuthorshipSignature(benchmark::State& state) {
  if (server_key.empty()) {
    state.SkipWithError("--server-key PEM not given");
    return;
  }
  kijun::server::ServerSigner signer(server_key);
  std::string statement(420, 'x');
  for (auto _ : state) benchmark::DoNotOptimize(signer.Sign(statement));
}
BENCHMARK(BM_ConfirmAuthorshipSignature);

}  // namespace

int main(int argc, char** argv) {
  std::vector<char*> rest;
  for (int i = 0; i < argc; ++i) {
    auto value = [&](const char* name) {
      return std::strcmp(argv[i], name) == 0 && i + 1 < argc ? argv[++i] : nullptr;
    };
    if (char* v = value("--items")) {
      items_bytes = std::strtoul(v, nullptr, 10);
    } else if (char* v2 = value("--judgment")) {
      judgment_bytes = std::strtoul(v2, nullptr, 10);
    } else if (char* v3 = value("--identity")) {
      identity_bytes = std::strtoul(v3, nullptr, 10);
    } else if (char* v4 = value("--server-key")) {
      server_key = v4;
    } else {
      rest.push_back(argv[i]);
    }
  }
  int count = static_cast<int>(rest.size());
  benchmark::Initialize(&count, rest.data());
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}

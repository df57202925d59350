// kijun-server: the registry's HTTPS server (docs/api.yaml).

#include <Poco/Net/SSLManager.h>

#include <csignal>
#include <iostream>
#include <string>
#include <vector>

#include "dsl/diagnostic.h"
#include "plugins/disease_registry.h"
#include "plugins/native_plugins.h"
#include "plugins/rules_watcher.h"
#include "server/audit_trail.h"
#include "server/auth_service.h"
#include "server/authorship_sweep.h"
#include "server/certificate_error_watch.h"
#include "server/check_service.h"
#include "server/db/migrations.h"
#include "server/https_server.h"
#include "server/key_folder.h"
#include "server/key_rotation.h"
#include "server/legacy_sealing.h"
#include "server/misuse_monitor.h"
#include "server/periodic_task.h"
#include "server/physician_signature.h"
#include "server/request_log.h"
#include "server/router.h"
#include "server/rules_admin_service.h"
#include "server/server_config.h"
#include "server/tiers.h"
#include "server/user_admin_service.h"
#include "server/workflow_service.h"

namespace {

constexpr const char* kUsage = R"(usage: kijun-server --pki DIR --db CONNINFO [options]
  --host ADDR             listen address (default 127.0.0.1)
  --port N                port (default 8443; 0 = any free port)
  --pki DIR               server.key, server.crt, ca.crt (terminal CA), crl.pem
  --db CONNINFO           libpq connection string of the registry database, without user
  --db-owner ROLE         role that applies migrations (default kijun_owner)
  --db-registry/--db-institution/--db-municipality/--db-national CONNINFO
                          a tier on its own server (default: --db with kijun_app_<tier>)
  --db-connections N      connections per tier (default 4)
  --rules DIR             rule files (default diseases)
  --jit-cache DIR         compiled rules cache (default: none)
  --plugin FILE.so        a native function plugin, loaded before the rules (repeatable)
  --authorship-sweep-minutes N
                          check every confirmed form's proof of authorship every N
                          minutes (default 60; 0 = never)
  --keys DIR              key-encryption keys and the blind-index key (default var/keys;
                          created on first start unless --production)
  --threads N             request threads (default 8)
  --session-minutes N     session lifetime (default 30)
  --rate-limit N          requests per second per terminal (default 200; 0 = none)
  --session-rate-limit N  requests per second per signed-in session (default 100; 0 = none)
  --patients-per-hour N   more patients' records per user and hour lock the account
                          (default 200)
  --production            no rules-folder watching; rule bundles must be signed
  --trusted-keys DIR      public keys of the rule authority (*.pem)
  --staging DIR           where deployed bundles are extracted (default var/rules-staging)
)";

std::string Or(const std::string& value, const std::string& fallback) {
  return value.empty() ? fallback : value;
}

}  // namespace

int main(int argc, char** argv) {
  using namespace kijun;
  std::vector<std::string> args(argv + 1, argv + argc);
  server::ServerConfig config;
  std::string error;
  if (!server::ParseServerConfig(args, config, error)) {
    std::cerr << "kijun-server: " << error << "\n" << kUsage;
    return 2;
  }
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  std::signal(SIGPIPE, SIG_IGN);

  std::string plugin_error;
  if (!plugins::LoadNativePlugins(config.plugins, plugin_error)) {
    std::cerr << "kijun-server: " << plugin_error << '\n';
    return 1;
  }
  for (const auto& p : plugins::LoadedNativePlugins()) {
    std::cout << "kijun-server: plugin " << p.name << " " << p.version << " (" << p.path << ", "
              << p.functions.size() << " functions)" << std::endl;
  }
  plugins::SetJitCacheDirectory(config.jit_cache);
  plugins::DiseaseRegistry registry(plugins::Engine::kJit);
  plugins::PublishReport loaded = registry.PublishFolder(config.rules);
  if (!loaded.published) {
    std::cerr << loaded.problems << "kijun-server: the rules in '" << config.rules
              << "' cannot be served (nothing was published)\n";
    return 1;
  }
  std::cout << "kijun-server: " << loaded.versions << " disease versions from " << config.rules
            << " (" << int(loaded.milliseconds) << " ms)" << std::endl;

  Poco::Net::initializeSSL();
  int status = 0;
  try {
    if (!config.production && server::KeyFolder::Initialise(config.keys)) {
      std::cout << "kijun-server: created the key folder " << config.keys
                << " (development keys; back it up: without it the data cannot be read)"
                << std::endl;
    }
    server::KeyFolder key_folder(config.keys);
    server::RecordKeys record_keys(key_folder);
    {
      server::db::PgConnection owner(config.database + " user=" + config.database_owner);
      for (const auto& name : server::db::ApplyMigrations(owner)) {
        std::cout << "kijun-server: applied migration " << name << std::endl;
      }
      if (int64_t sealed = server::SealEarlierRows(owner, record_keys); sealed > 0) {
        std::cout << "kijun-server: sealed " << sealed << " rows stored before encryption at rest"
                  << std::endl;
      }
      if (int64_t sealed = server::SealPlaintextTotpSecrets(owner, record_keys); sealed > 0) {
        std::cout << "kijun-server: sealed " << sealed << " TOTP secrets stored in the clear"
                  << std::endl;
      }
      server::ReportBlindIndexKeys(owner, key_folder, std::cout);
    }
    server::TierConnections tiers_at = server::TierConnections::OnOneCluster(config.database);
    tiers_at.registry = Or(config.db_registry, tiers_at.registry);
    tiers_at.institution = Or(config.db_institution, tiers_at.institution);
    tiers_at.municipality = Or(config.db_municipality, tiers_at.municipality);
    tiers_at.national = Or(config.db_national, tiers_at.national);
    server::Tiers tiers(tiers_at, config.database_connections);

    server::Router router;
    server::CheckService check(registry);
    check.Register(router);
    server::AuthService auth(tiers, record_keys, config.session_minutes);
    auth.Register(router);
    server::ServerSigner server_signer(config.server_key);
    server::ConfirmationEnvelopes envelopes(config.server_certificate, config.server_key,
                                            config.client_ca, config.crl);
    server::WorkflowService workflow(tiers, auth, check, record_keys, server_signer, &envelopes);
    workflow.Register(router);
    server::UserAdminService users(tiers, auth, record_keys);
    users.Register(router);
    plugins::DeployOptions deploy;
    deploy.require_signature = config.production;
    deploy.trusted_keys = config.trusted_keys;
    deploy.staging = config.staging;
    server::RulesAdminService rules_admin(registry, auth, deploy);
    rules_admin.Register(router);
    std::string restore_error;
    if (config.production && !rules_admin.RestoreServingBundle(restore_error)) {
      std::cerr << "kijun-server: the bundle deployed last is refused now; serving " << config.rules
                << ":\n"
                << restore_error << '\n';
    }
    // Development: a rule file saved under the rules folder is published
    // (checked, compiled, tested) and serving moments later.
    std::unique_ptr<plugins::RulesWatcher> watcher;
    if (!config.production) {
      watcher = std::make_unique<plugins::RulesWatcher>(
          config.rules, [&](const std::vector<std::string>& paths) {
            plugins::PublishReport r = registry.PublishChanges(config.rules, paths);
            if (r.published) {
              std::cout << "kijun-server: published " << r.published_versions.size()
                        << " version(s) from " << config.rules << " in " << int(r.milliseconds)
                        << " ms (generation " << r.generation << ")" << std::endl;
            } else {
              std::cout << "kijun-server: rule change refused; still serving generation "
                        << r.generation << ":\n"
                        << r.problems << std::flush;
            }
          });
      std::string watch_error;
      if (!watcher->Start(watch_error)) {
        std::cerr << "kijun-server: not watching " << config.rules << ": " << watch_error << '\n';
      }
    }
    // Superseded disease versions loaded for forms of their period are
    // unloaded (their JIT code released) once idle.
    server::PeriodicTask unload_idle_versions(
        "unloading idle disease versions", std::chrono::minutes(1), std::chrono::minutes(1), [&] {
          if (size_t n = registry.UnloadIdle(std::chrono::steady_clock::now()); n > 0) {
            std::cout << "kijun-server: unloaded " << n << " idle disease version(s)" << std::endl;
          }
        });
    router.Add("GET", "/health", [&](server::ApiRequest&) {
      return server::ApiResponse{
          200, {{"status", "ok"}, {"diseases", registry.Current()->size()}}, "", ""};
    });
    server::AuditTrail audit(tiers.registry, &server_signer);
    server::MisuseRules misuse_rules;
    misuse_rules.terminal_requests_per_second = config.terminal_rate_limit;
    misuse_rules.terminal_burst = 2 * config.terminal_rate_limit;
    misuse_rules.session_requests_per_second = config.session_rate_limit;
    misuse_rules.session_burst = 2 * config.session_rate_limit;
    misuse_rules.patients_per_hour = config.patients_per_hour;
    server::MisuseMonitor monitor(misuse_rules, &tiers.registry);
    monitor.Register(router, auth);
    monitor.OnAccountLocked([&](const std::string& login) { auth.Forget(login); });
    // Terminal certificates refused in the handshake reach no handler; Poco
    // reports each through the SSL manager's verification event.
    server::CertificateErrorWatch certificate_watch(monitor);
    // Proof of authorship: every confirmed form re-checked periodically; a
    // broken one raises an alert.
    server::ServerSignatureChecker server_checker(config.server_certificate);
    server::AuthorshipVerifier authorship(record_keys, server_checker,
                                          server::StoredPhysicianSignatureCheck(config.client_ca));
    std::unique_ptr<server::AuthorshipSweep> sweep;
    if (config.authorship_sweep_minutes > 0) {
      sweep = std::make_unique<server::AuthorshipSweep>(
          tiers, authorship, std::chrono::minutes(config.authorship_sweep_minutes),
          std::chrono::seconds(10), [&](const server::AuthorshipFinding& f) {
            monitor.Report({"authorship_broken", "", "",
                            "臨個票 " + std::to_string(f.form_id) + ": " + f.what, "alert"});
          });
    }
    server::RequestHooks hooks;
    hooks.admit = [&](const server::ApiRequest& request) { monitor.Admit(request); };
    hooks.answered = [&](const server::ApiRequest& request, int answered) {
      const std::string& actor = server::RequestActor();
      monitor.Observe(request, actor, answered);
      if (!server::IsAudited(request.method, request.path)) return;
      try {
        audit.Append(request, actor, answered);
      } catch (const std::exception& e) {
        std::cerr << "kijun-server: AUDIT ENTRY NOT WRITTEN for " << request.method << " "
                  << request.path << ": " << e.what() << std::endl;
      }
    };
    server::HttpsServer https(config, router, hooks);
    https.Start();
    std::cout << "kijun-server: listening on https://" << config.host << ":" << https.port() << " ("
              << registry.Current()->size() << " disease versions)" << std::endl;
    int signal = 0;
    sigwait(&signals, &signal);
    std::cout << "kijun-server: stopping" << std::endl;
    https.Stop();
  } catch (const Poco::Exception& e) {
    std::cerr << "kijun-server: " << e.displayText() << '\n';
    status = 1;
  } catch (const std::exception& e) {
    std::cerr << "kijun-server: " << e.what() << '\n';
    status = 1;
  }
  Poco::Net::uninitializeSSL();
  return status;
}

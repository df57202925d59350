#pragma once

// Feeds the misuse monitor with the terminal certificates refused during
// TLS handshakes: OpenSSL's verification (chain to the registry CA, CRL,
// validity) runs inside the handshake, before any request exists; Poco's
// SSLManager fires ServerVerificationError for each failure. The
// certificate stays refused — this only watches.

#include <Poco/Net/VerificationErrorArgs.h>

#include "server/misuse_monitor.h"

namespace kijun::server {

class CertificateErrorWatch {
 public:
  explicit CertificateErrorWatch(MisuseMonitor& monitor);
  ~CertificateErrorWatch();
  CertificateErrorWatch(const CertificateErrorWatch&) = delete;
  CertificateErrorWatch& operator=(const CertificateErrorWatch&) = delete;

 private:
  void OnError(const void* sender, Poco::Net::VerificationErrorArgs& args);
  MisuseMonitor& monitor_;
};

}  // namespace kijun::server

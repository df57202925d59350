#include "server/certificate_error_watch.h"

#include <Poco/Delegate.h>
#include <Poco/Net/SSLManager.h>

namespace kijun::server {

CertificateErrorWatch::CertificateErrorWatch(MisuseMonitor& monitor) : monitor_(monitor) {
  Poco::Net::SSLManager::instance().ServerVerificationError +=
      Poco::delegate(this, &CertificateErrorWatch::OnError);
}

CertificateErrorWatch::~CertificateErrorWatch() {
  Poco::Net::SSLManager::instance().ServerVerificationError -=
      Poco::delegate(this, &CertificateErrorWatch::OnError);
}

void CertificateErrorWatch::OnError(const void* /*sender*/,
                                    Poco::Net::VerificationErrorArgs& args) {
  // Only the terminal's own certificate (depth 0) counts: one refusal per
  // handshake.
  if (args.errorDepth() != 0) return;
  monitor_.ObserveCertificateError(args.certificate().subjectName(),
                                   args.certificate().issuerName(), args.errorMessage());
  args.setIgnoreError(false);  // still refused
}

}  // namespace kijun::server

#pragma once

// A request path as logs and the audit trail record it: an access key in
// `/applications/{key}` is a credential (it opens a patient's application),
// so it is replaced by "key:" and a digest prefix that still links the
// records about the same key.

#include <string>

namespace kijun::server {

std::string RecordedPath(const std::string& path);

}  // namespace kijun::server

#include "server/tiers.h"

namespace kijun::server {

TierConnections TierConnections::OnOneCluster(const std::string& base) {
  return {base + " user=kijun_app_registry", base + " user=kijun_app_institution",
          base + " user=kijun_app_municipality", base + " user=kijun_app_national"};
}

}  // namespace kijun::server

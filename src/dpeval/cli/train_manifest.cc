#include "dpeval/cli/train_manifest.h"

#include <filesystem>

#include "dpeval/core/error.h"
#include "dpeval/govern/manifest.h"

namespace dpeval::cli {

std::string verify_train_manifest(const std::string& manifest_path, const parallel::TrainConfig& config) {
  const govern::Manifest manifest = govern::read_manifest(manifest_path);
  for (const std::string& file : {config.data, config.labels}) {
    // Named datasets (fashion-mnist) are not files; a manifest of their files still verifies.
    if (file.empty() || !std::filesystem::exists(file)) continue;
    if (!govern::manifest_lists(manifest, manifest_path, file)) {
      throw InputError(manifest_path + ": does not list " + file +
                       ", the data to train on (create the manifest with that file)");
    }
  }
  return govern::require_verified_manifest(manifest_path).manifest_hash;
}

}  // namespace dpeval::cli

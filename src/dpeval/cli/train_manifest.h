// dpeval train --manifest: the dataset manifest check that runs before the
// first batch is read (docs/GOVERN.md).
#pragma once

#include <string>

#include "dpeval/parallel/train_config.h"

namespace dpeval::cli {

// Verifies every file of the manifest (size, SHA-256, no file missing or
// added) and that the training data (config.data, and config.labels when set)
// are files the manifest lists. Returns the manifest's content hash for
// TrainConfig::manifest_hash. Throws InputError naming the manifest and each
// file that differs, or the data file the manifest does not list.
std::string verify_train_manifest(const std::string& manifest_path, const parallel::TrainConfig& config);

}  // namespace dpeval::cli

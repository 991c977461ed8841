// Cross-rank agreement before step 0 (STYLE.md habit 10): every rank
// all-gathers a fingerprint of what it is about to train, and a mismatch fails
// every rank with the same message naming the ranks that differ, instead of a
// silent divergence or a hang at the first mismatched collective.
#pragma once

#include <cstdint>
#include <string>

#include "dpeval/comm/communicator.h"

namespace dpeval::parallel {

struct Fingerprint {
  uint64_t config_hash = 0;   // TrainConfig::config_hash()
  uint64_t layout_hash = 0;   // Model::layout_hash(): parameter names, offsets, shapes
  uint64_t dataset_hash = 0;  // the training split's content hash
  uint64_t world = 0;         // the world size this rank believes in
  uint64_t version_hash = 0;  // hash of the dpeval version string
};

// This process's dpeval version, hashed for Fingerprint::version_hash.
uint64_t version_fingerprint();

// All-gathers `mine` and compares every rank's fingerprint with rank 0's. On
// any difference throws ConfigError on every rank, e.g. "ranks disagree before
// step 0: dataset hash: rank 2 has 0x.., rank 0 has 0x..; ...". Throws what
// the collective throws (TimeoutError naming a missing rank).
void check_fingerprints(comm::Communicator& comm, const Fingerprint& mine,
                        const comm::CollectiveOptions& options);

}  // namespace dpeval::parallel

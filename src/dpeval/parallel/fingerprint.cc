// Fingerprint exchange: five uint64 per rank travel bit-exactly as ten floats
// through Communicator::allgather, which moves bits (communicator.h).
#include "dpeval/parallel/fingerprint.h"

#include <cstring>
#include <vector>

#include "dpeval/core/error.h"
#include "dpeval/core/hash.h"
#include "dpeval/core/version.h"

namespace dpeval::parallel {
namespace {

constexpr size_t kFields = 5;
constexpr size_t kFloats = kFields * 2;
static_assert(sizeof(Fingerprint) == kFields * sizeof(uint64_t));

struct Field {
  const char* name;
  uint64_t Fingerprint::*member;
};
constexpr Field kFieldList[kFields] = {
    {"config hash (options given to dpeval train)", &Fingerprint::config_hash},
    {"parameter layout (model)", &Fingerprint::layout_hash},
    {"dataset hash", &Fingerprint::dataset_hash},
    {"world size", &Fingerprint::world},
    {"dpeval version", &Fingerprint::version_hash},
};

}  // namespace

uint64_t version_fingerprint() { return hash64(std::string_view(kVersion)); }

void check_fingerprints(comm::Communicator& comm, const Fingerprint& mine,
                        const comm::CollectiveOptions& options) {
  const int world = comm.world();
  std::vector<float> all(kFloats * static_cast<size_t>(world));
  std::memcpy(all.data() + kFloats * static_cast<size_t>(comm.rank()), &mine, sizeof(Fingerprint));
  const std::vector<size_t> counts(static_cast<size_t>(world), kFloats);
  comm.allgather(all, counts, options).wait();

  std::vector<Fingerprint> prints(static_cast<size_t>(world));
  for (int r = 0; r < world; ++r) {
    std::memcpy(static_cast<void*>(&prints[static_cast<size_t>(r)]),
                all.data() + kFloats * static_cast<size_t>(r), sizeof(Fingerprint));
  }
  std::string message;
  for (const Field& field : kFieldList) {
    const uint64_t reference = prints[0].*field.member;
    std::string ranks;
    for (int r = 1; r < world; ++r) {
      const uint64_t value = prints[static_cast<size_t>(r)].*field.member;
      if (value == reference) continue;
      ranks += (ranks.empty() ? "" : ", ") + std::string("rank ") + std::to_string(r) + " has " +
               (field.member == &Fingerprint::world ? std::to_string(value) : hex64(value));
    }
    if (ranks.empty()) continue;
    message += (message.empty() ? "" : "; ") + std::string(field.name) + ": " + ranks + ", rank 0 has " +
               (field.member == &Fingerprint::world ? std::to_string(reference) : hex64(reference));
  }
  if (!message.empty()) {
    throw ConfigError("ranks disagree before step 0: " + message +
                      " (every rank must run the same dpeval with the same options and data)");
  }
}

}  // namespace dpeval::parallel

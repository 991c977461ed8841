// run_ranks: the threads backend's way to run a test body on every rank of a
// world, as one thread per rank of a fresh "threads" group in this process
// (STYLE.md habit 13: collectives tested as threads in one process).
#pragma once

#include <chrono>
#include <functional>

#include "dpeval/comm/communicator.h"

namespace dpeval::testing {

// What one rank of a test does, given that rank's communicator.
using RankBody = std::function<void(comm::Communicator&)>;

// Runs body(comm) on one thread per rank of a new "threads" group of `world`
// ranks whose waits have the default deadline `timeout`, and returns once every
// rank thread has returned. An exception a body does not catch fails the test
// naming the rank (its peers then time out) instead of ending the process.
// Preconditions: world >= 1 (else ConfigError from make_communicators).
void run_ranks(int world, const RankBody& body, std::chrono::milliseconds timeout = std::chrono::seconds(60));

}  // namespace dpeval::testing

// The micro-batcher (serve/batcher.h): a row's answer does not depend on the
// batch it rode in (Note [Batch-invariant answers]), whatever the requests
// around it, for the MLP and the CNN; temperature; stopping.
#include "dpeval/serve/batcher.h"

#include <gtest/gtest.h>

#include <atomic>
#include <cstring>
#include <random>
#include <stdexcept>
#include <thread>
#include <vector>

#include "dpeval/nn/loss.h"
#include "dpeval/nn/model_spec.h"

namespace dpeval::serve {
namespace {

constexpr int kClasses = 10;
constexpr size_t kRows = 150;

nn::Model make_model(const char* preset) {
  nn::Model m = nn::Model::build(nn::model_spec_preset(preset), Shape{1, 28, 28}, kClasses);
  m.init_params(7);
  return m;
}

std::vector<float> random_rows(size_t n) {
  std::mt19937 rng(3);
  std::uniform_real_distribution<float> u(0, 1);
  std::vector<float> x(n * 784);
  for (float& v : x) v = u(rng);
  return x;
}

// What `dpeval predict` computes: one forward pass over all rows, softmax.
std::vector<float> whole_batch(nn::Model& m, const std::vector<float>& x, size_t n) {
  Tensor in;
  in.resize(m.sample_shape().with_outer(static_cast<int64_t>(n)));
  std::memcpy(in.data(), x.data(), x.size() * sizeof(float));
  nn::ForwardOptions o;
  o.training = false;
  o.batch_invariant = true;
  Tensor probs;
  nn::softmax(m.forward(in, o), probs);
  return {probs.data(), probs.data() + probs.size()};
}

class BatcherTest : public ::testing::TestWithParam<const char*> {};

TEST_P(BatcherTest, EveryRowEqualsTheWholeBatchBitwiseWhateverItsBatch) {
  const std::vector<float> x = random_rows(kRows);
  nn::Model reference = make_model(GetParam());
  const std::vector<float> expected = whole_batch(reference, x, kRows);
  for (size_t max_batch : {size_t{1}, size_t{3}, size_t{16}, size_t{64}}) {
    BatcherOptions o;
    o.max_batch = max_batch;
    o.max_delay = std::chrono::microseconds(500);
    Batcher b(make_model(GetParam()), o);
    // Eight clients at once, each sending requests of 1 to 7 rows over its share of the rows.
    std::vector<float> raw(kRows * kClasses), served(kRows * kClasses);
    std::vector<double> temperature(kRows);
    std::vector<std::thread> clients;
    for (size_t c = 0; c < 8; ++c) {
      clients.emplace_back([&, c] {
        size_t at = c * kRows / 8;
        const size_t end = (c + 1) * kRows / 8;
        size_t size = 1 + c % 7;
        while (at < end) {
          const size_t n = std::min(size, end - at);
          b.announce_arrival(1);
          b.predict({x.data() + at * 784, n * 784}, n, {raw.data() + at * kClasses, n * kClasses},
                    {served.data() + at * kClasses, n * kClasses}, {temperature.data() + at, n});
          at += n;
          size = 1 + (size + 2) % 7;
        }
      });
    }
    for (std::thread& t : clients) t.join();
    EXPECT_EQ(std::memcmp(raw.data(), expected.data(), raw.size() * sizeof(float)), 0)
        << "max_batch " << max_batch;
    EXPECT_EQ(std::memcmp(served.data(), expected.data(), served.size() * sizeof(float)), 0)
        << "max_batch " << max_batch;
    for (double t : temperature) EXPECT_EQ(t, 1.0);
  }
}

INSTANTIATE_TEST_SUITE_P(Models, BatcherTest, ::testing::Values("mlp", "cnn"));

// A batch that throws fails the requests whose rows rode in it (a request
// split across batches included) and nobody else; no thread is left waiting,
// no failed request stays queued (ASan would see its freed Job), and the
// batcher serves on.
TEST(Batcher, AFailedBatchFailsItsRequestsAndLeavesNoneBehind) {
  const std::vector<float> x = random_rows(5);
  BatcherOptions o;
  o.max_batch = 3;  // every 5-row request is split across two batches
  o.max_delay = std::chrono::microseconds(200);
  std::atomic<int> batches{0};
  o.on_batch = [&](size_t) {
    if (batches.fetch_add(1) % 4 == 1) throw std::runtime_error("injected");
  };
  Batcher b(make_model("mlp"), o);
  std::atomic<int> answered{0}, failed{0};
  std::vector<std::thread> clients;
  for (int c = 0; c < 8; ++c) {
    clients.emplace_back([&] {
      for (int r = 0; r < 6; ++r) {
        std::vector<float> raw(5 * kClasses), served(5 * kClasses);
        std::vector<double> t(5);
        try {
          b.announce_arrival(1);
          b.predict(x, 5, raw, served, t);
          ++answered;
        } catch (...) {
          ++failed;
        }
      }
    });
  }
  for (std::thread& t : clients) t.join();
  EXPECT_EQ(answered + failed, 48);
  EXPECT_GT(failed.load(), 0);
  EXPECT_GT(answered.load(), 0);
  std::vector<float> raw(kClasses), served(kClasses);
  std::vector<double> t(1);
  batches = 2;  // the next batch (number 2 % 4) does not throw
  b.announce_arrival(1);
  EXPECT_NO_THROW(b.predict({x.data(), 784}, 1, raw, served, t));
  b.stop();
}

TEST(Batcher, TemperatureScalesTheLogitsAndKeepsTheRawAnswer) {
  const std::vector<float> x = random_rows(4);
  nn::Model reference = make_model("mlp");
  const std::vector<float> expected = whole_batch(reference, x, 4);
  Batcher b(make_model("mlp"), {});
  b.set_temperature(2.0);
  std::vector<float> raw(4 * kClasses), served(4 * kClasses);
  std::vector<double> t(4);
  b.announce_arrival(1);
  b.predict(x, 4, raw, served, t);
  EXPECT_EQ(std::memcmp(raw.data(), expected.data(), raw.size() * sizeof(float)), 0);
  for (size_t i = 0; i < 4; ++i) {
    EXPECT_EQ(t[i], 2.0);
    // softmax(z / 2) is softmax(log p / 2): p^(1/2) renormalised.
    double sum = 0;
    for (int c = 0; c < kClasses; ++c) sum += std::sqrt(static_cast<double>(raw[i * kClasses + c]));
    for (int c = 0; c < kClasses; ++c) {
      EXPECT_NEAR(served[i * kClasses + c], std::sqrt(static_cast<double>(raw[i * kClasses + c])) / sum,
                  1e-6);
    }
  }
}

TEST(Batcher, RefusesWorkAfterStopAndFinishesWhatItHeld) {
  const std::vector<float> x = random_rows(1);
  Batcher b(make_model("mlp"), {});
  std::vector<float> raw(kClasses), served(kClasses);
  std::vector<double> t(1);
  b.announce_arrival(1);
  b.predict(x, 1, raw, served, t);
  b.stop();
  b.announce_arrival(1);
  EXPECT_THROW(b.predict(x, 1, raw, served, t), Error);
}

}  // namespace
}  // namespace dpeval::serve

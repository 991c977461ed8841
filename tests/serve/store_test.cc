// The serving store (serve/store.h): what is written is read back in order,
// across a reopen; another model's store is refused; replaying a store into
// monitors gives what the live monitors computed.
#include "dpeval/serve/store.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "dpeval/core/error.h"
#include "testing/temp_dir.h"

namespace dpeval::serve {
namespace {

StoreIdentity identity(std::string sha = "aaaa") { return {std::move(sha), "", 3, {"a", "b", "c"}}; }

StoredPrediction prediction(std::string id, std::vector<float> p) {
  StoredPrediction s;
  s.id = std::move(id);
  s.time = 1.5;
  s.input_hash = "00ff";
  s.probs = p;
  s.raw = p;
  s.label = static_cast<int32_t>(std::max_element(p.begin(), p.end()) - p.begin());
  return s;
}

TEST(Store, WhatIsWrittenIsReadBackAcrossAReopen) {
  testing::TempDir dir;
  {
    Store s(dir.path(), identity());
    s.append_predictions({prediction("x", {0.7f, 0.2f, 0.1f}), prediction("y", {0.1f, 0.1f, 0.8f})});
    s.append_feedback({{0, "y", 2, 2, 2.0}});
    s.append_event({3.0, "recalibration", 0, {{"temperature", 1.5}}});
    s.set_meta("temperature", "1.5");
  }
  {
    Store s(dir.path(), identity());  // reopening keeps everything
    s.append_predictions({prediction("z", {0.3f, 0.4f, 0.3f})});
    s.flush();
  }
  const StoreContents c = read_store(dir.path());
  ASSERT_EQ(c.predictions.size(), 3u);
  EXPECT_EQ(c.predictions[0].id, "x");
  EXPECT_EQ(c.predictions[2].id, "z");
  EXPECT_EQ(c.predictions[2].seq, 3);
  EXPECT_EQ(c.predictions[1].probs, (std::vector<float>{0.1f, 0.1f, 0.8f}));
  EXPECT_EQ(c.predictions[1].label, 2);
  ASSERT_EQ(c.feedback.size(), 1u);
  EXPECT_EQ(c.feedback[0].id, "y");
  ASSERT_EQ(c.events.size(), 1u);
  EXPECT_EQ(c.events[0].doc["temperature"], 1.5);
  EXPECT_EQ(c.meta.at("temperature"), "1.5");
  EXPECT_EQ(c.meta.at("num_classes"), "3");
}

TEST(Store, RefusesAnotherModelsStoreAndFilesThatAreNotStores) {
  testing::TempDir dir;
  { Store s(dir.path(), identity("aaaa")); }
  EXPECT_THROW(Store(dir.path(), identity("bbbb")), InputError);
  testing::TempDir other;
  std::ofstream(Store::db_path(other.path()))
      << "not a database, just text that is long enough to have a header\n";
  EXPECT_THROW(Store(other.path(), identity()), InputError);
  testing::TempDir empty;
  EXPECT_THROW(read_store(empty.path()), InputError);
}

TEST(Store, ReplayGivesTheLiveMonitorsWindows) {
  testing::TempDir dir;
  monitor::OnlineOptions o;
  o.window = 2;
  monitor::OnlineReference ref;
  ref.accuracy = 0.9;
  monitor::OnlineMonitor live(3, ref, o);
  {
    Store s(dir.path(), identity());
    std::vector<StoredPrediction> rows;
    for (int i = 0; i < 6; ++i) {
      std::vector<float> p = {0.2f, 0.2f, 0.2f};
      p[static_cast<size_t>(i % 3)] = 0.6f;
      rows.push_back(prediction("r" + std::to_string(i), p));
      live.add_prediction(p);
    }
    std::vector<StoredFeedback> labels;
    for (int i = 0; i < 5; ++i) {
      labels.push_back({0, "r" + std::to_string(i), i + 1, i % 2, 0});
      live.add_feedback(rows[static_cast<size_t>(i)].probs, rows[static_cast<size_t>(i)].raw, 1, i % 2);
    }
    s.append_predictions(rows);
    s.append_feedback(labels);
  }
  monitor::OnlineMonitor replayed(3, ref, o);
  replay_store(read_store(dir.path()), replayed);
  EXPECT_EQ(replayed.document(), live.document());
  EXPECT_EQ(replayed.labelled().size(), 2u);
  EXPECT_EQ(replayed.unlabelled().size(), 3u);
}

}  // namespace
}  // namespace dpeval::serve

// Progress on stderr: a live bar redrawn in place when stderr is a terminal,
// one plain line per epoch otherwise (CI logs, pipes).
#pragma once

#include "dpeval/parallel/trainer.h"

namespace dpeval::cli {

class StderrProgress : public parallel::ProgressSink {
 public:
  StderrProgress();
  ~StderrProgress() override;
  void on_step(const parallel::StepProgress& p) override;
  void on_epoch(const parallel::EpochRecord& record, int epochs) override;
  void on_message(std::string_view line) override;

 private:
  void clear_line();
  bool live_;
  bool bar_drawn_ = false;
  double last_draw_ = 0;
};

}  // namespace dpeval::cli

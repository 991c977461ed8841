#include "dpeval/cli/progress.h"

#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <string>

#include <fmt/format.h>

#include "dpeval/core/timer.h"

namespace dpeval::cli {
namespace {

std::string format_duration(double seconds) {
  if (!std::isfinite(seconds) || seconds < 0) return "--:--";
  const long s = std::lround(seconds);
  if (s >= 3600) return fmt::format("{}:{:02}:{:02}", s / 3600, (s / 60) % 60, s % 60);
  return fmt::format("{}:{:02}", s / 60, s % 60);
}

}  // namespace

StderrProgress::StderrProgress() : live_(::isatty(STDERR_FILENO) == 1) {}

StderrProgress::~StderrProgress() { clear_line(); }

void StderrProgress::clear_line() {
  if (bar_drawn_) {
    std::fputs("\r\033[2K", stderr);
    bar_drawn_ = false;
  }
}

void StderrProgress::on_step(const parallel::StepProgress& p) {
  if (!live_) return;
  const double now = now_seconds();
  if (now - last_draw_ < 0.1 && p.step != p.steps) return;
  last_draw_ = now;
  constexpr int kWidth = 24;
  const int filled = static_cast<int>(kWidth * static_cast<double>(p.step) / static_cast<double>(p.steps));
  std::string bar(static_cast<size_t>(filled), '#');
  bar.append(static_cast<size_t>(kWidth - filled), '.');
  fmt::print(stderr, "\r\033[2Kepoch {}/{} [{}] step {}/{}  {:.0f} samples/s  loss {:.4f}  ETA {}", p.epoch,
             p.epochs, bar, p.step, p.steps, p.samples_per_s, p.loss, format_duration(p.eta_s));
  std::fflush(stderr);
  bar_drawn_ = true;
}

void StderrProgress::on_epoch(const parallel::EpochRecord& r, int epochs) {
  clear_line();
  fmt::print(stderr, "epoch {}/{}: train_loss {:.4f}  test_loss {:.4f}  test_accuracy {:.4f}  ({:.1f} s)\n", r.epoch,
             epochs, r.train_loss, r.test_loss, r.test_accuracy, r.seconds.value_or(0.0));
  std::fflush(stderr);
}

void StderrProgress::on_message(std::string_view line) {
  clear_line();
  fmt::print(stderr, "{}\n", line);
  std::fflush(stderr);
}

}  // namespace dpeval::cli

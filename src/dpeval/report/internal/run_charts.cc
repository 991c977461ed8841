// The chart sections of the run report's HTML:
//   #training     train and test loss per epoch (one chart, two series), test
//                 accuracy per epoch, learning rate over steps, the epoch table;
//   #parallelism  the facts (throughput, step times, buckets, bandwidth,
//                 scaling efficiency), samples/s per epoch, the stacked step
//                 breakdown per epoch, bucket sizes.
// A chart whose data the summary lacks is replaced by a "not recorded" note
// (Note [Not recorded] in run_data.h).
#include <algorithm>
#include <cmath>

#include "dpeval/report/internal/html_sections.h"
#include "dpeval/report/internal/run_sections.h"
#include "dpeval/report/internal/svg.h"
#include "dpeval/report/internal/text.h"

namespace dpeval::report::internal {
namespace {

using Member = std::optional<double> EpochRow::*;

std::vector<Point> epoch_points(const std::vector<EpochRow>& epochs, Member member) {
  std::vector<Point> points;
  for (const EpochRow& e : epochs)
    if (e.*member) points.push_back({e.epoch, *(e.*member)});
  return points;
}

// Lowest and highest y over the series; nullopt when they hold no point.
std::optional<std::pair<double, double>> y_range(const std::vector<Series>& series) {
  std::optional<std::pair<double, double>> range;
  for (const Series& s : series) {
    for (const Point& p : s.points) {
      if (!range) range = {p.y, p.y};
      range->first = std::min(range->first, p.y);
      range->second = std::max(range->second, p.y);
    }
  }
  return range;
}

Axis epoch_axis(const std::vector<EpochRow>& epochs) {
  double first = epochs.empty() ? 1 : epochs.front().epoch, last = epochs.empty() ? 1 : epochs.back().epoch;
  return nice_axis("epoch", first, last, 6, /*whole_steps=*/true);
}

std::string figure(const std::string& svg, std::string_view caption) {
  return "<figure>" + svg + "<figcaption>" + escape_html(caption) + "</figcaption></figure>";
}

// The loss chart (train and test, from 0) or the accuracy chart (its own range).
std::string epoch_chart(const std::vector<EpochRow>& epochs, std::vector<Series> series, std::string y_title,
                        bool from_zero, std::string_view caption) {
  std::optional<std::pair<double, double>> range = y_range(series);
  if (!range) return "";
  LineChart chart;
  chart.label = caption;
  chart.plot.width = 360;
  chart.plot.margin_left = 56;
  chart.plot.x = epoch_axis(epochs);
  chart.plot.y =
      nice_axis(std::move(y_title), from_zero ? std::min(0.0, range->first) : range->first, range->second, 5);
  std::erase_if(series, [](const Series& s) { return s.points.empty(); });
  chart.series = std::move(series);
  return figure(svg_line_chart(chart), caption);
}

std::string lr_chart(const std::vector<CurvePoint>& lr) {
  LineChart chart;
  chart.label = "Learning rate over steps";
  chart.plot.width = 360;
  chart.plot.margin_left = 64;
  chart.plot.margin_right = 24;  // room for the last step label
  Series series{"learning rate", {}};
  double step_lo = lr.front().x, step_hi = lr.front().x, lr_hi = 0;
  for (const CurvePoint& p : lr) {
    series.points.push_back({p.x, p.y});
    step_lo = std::min(step_lo, p.x);
    step_hi = std::max(step_hi, p.x);
    lr_hi = std::max(lr_hi, p.y);
  }
  chart.plot.x = nice_axis("step", step_lo, step_hi, 5, /*whole_steps=*/true);
  chart.plot.y = nice_axis("learning rate", 0, lr_hi, 5);
  chart.series.push_back(std::move(series));
  return figure(svg_line_chart(chart), "Learning rate over steps");
}

bool any_breakdown(const std::vector<EpochRow>& epochs) {
  return std::any_of(epochs.begin(), epochs.end(), [](const EpochRow& e) { return e.breakdown.has_value(); });
}

bool any_throughput(const std::vector<EpochRow>& epochs) {
  return std::any_of(epochs.begin(), epochs.end(),
                     [](const EpochRow& e) { return e.samples_per_s.has_value(); });
}

std::string cell(std::optional<double> value) { return R"(<td class="num">)" + html_number(value) + "</td>"; }

std::string epoch_table(const std::vector<EpochRow>& epochs) {
  std::string out =
      "<table class=\"epochs\"><thead><tr><th>epoch</th><th class=\"num\">train loss</th><th "
      "class=\"num\">test "
      "loss</th><th class=\"num\">test accuracy</th><th class=\"num\">seconds</th><th "
      "class=\"num\">samples/s</th></tr></thead><tbody>";
  for (const EpochRow& e : epochs) {
    out += "<tr data-epoch=\"" + format_count_value(e.epoch) + "\"><td>" + format_count_value(e.epoch) +
           "</td>" + cell(e.train_loss) + cell(e.test_loss) + cell(e.test_accuracy) + cell(e.seconds) +
           cell(e.samples_per_s) + "</tr>";
  }
  return out + "</tbody></table>";
}

std::string epoch_label(const EpochRow& e) { return format_count_value(e.epoch); }

// One bar per epoch; `parts` gives each epoch's stacked values.
StackedBarChart epoch_bars(const std::vector<EpochRow>& epochs, std::string label, std::string y_title) {
  StackedBarChart chart;
  chart.label = std::move(label);
  chart.plot.width = 360;
  chart.plot.margin_left = 64;
  chart.plot.x.title = "epoch";
  chart.plot.y.title = std::move(y_title);
  for (const EpochRow& e : epochs) chart.categories.push_back(epoch_label(e));
  return chart;
}

double largest_stack(const StackedBarChart& chart) {
  double largest = 0;
  for (const std::vector<double>& parts : chart.values) {
    double sum = 0;
    for (double v : parts)
      if (std::isfinite(v) && v > 0) sum += v;
    largest = std::max(largest, sum);
  }
  return largest;
}

std::string throughput_chart(const std::vector<EpochRow>& epochs) {
  StackedBarChart chart = epoch_bars(epochs, "Training throughput per epoch", "samples/s");
  chart.segments = {"samples/s"};
  chart.unit = "samples/s";
  for (const EpochRow& e : epochs) chart.values.push_back({e.samples_per_s.value_or(0)});
  chart.plot.y = nice_axis("samples/s", 0, largest_stack(chart), 5);
  return figure(svg_stacked_bar_chart(chart), "Training samples/s per epoch");
}

// Per epoch when the epochs carry a breakdown, else one bar of the whole run's
// p50 (summaries before per-epoch breakdowns have only that).
std::string breakdown_chart(const std::vector<EpochRow>& epochs,
                            const std::optional<StepBreakdown>& whole_run) {
  bool per_epoch = any_breakdown(epochs);
  StackedBarChart chart;
  if (per_epoch) {
    chart = epoch_bars(epochs, "Step time breakdown per epoch", "ms per step");
  } else {
    chart.label = "Step time breakdown, whole run (p50)";
    chart.categories = {"all steps"};
  }
  chart.plot.width = 500;
  chart.plot.margin_left = 64;
  chart.plot.margin_right = 190;
  chart.unit = "ms";
  chart.segments.assign(std::begin(kBreakdownLabels), std::end(kBreakdownLabels));
  auto parts = [](const StepBreakdown& b) {
    return std::vector<double>{b.data, b.compute, b.comm_wait, b.optimizer};
  };
  if (per_epoch) {
    for (const EpochRow& e : epochs) chart.values.push_back(parts(e.breakdown.value_or(StepBreakdown{})));
  } else {
    chart.values.push_back(parts(whole_run.value_or(StepBreakdown{})));
  }
  chart.plot.y = nice_axis("ms per step", 0, largest_stack(chart), 5);
  std::string what =
      per_epoch ? "per epoch" : "the whole run's median step (per-epoch breakdown not recorded)";
  return figure(svg_stacked_bar_chart(chart),
                "Where a step's time went, " + what +
                    "; exposed communication wait is the allreduce time not hidden "
                    "behind backward");
}

std::string bucket_chart(const std::vector<double>& sizes) {
  double largest = *std::max_element(sizes.begin(), sizes.end());
  bool mib = largest >= 1024 * 1024;
  double unit = mib ? 1024 * 1024 : 1024;
  std::string unit_name = mib ? "MiB" : "KiB";
  StackedBarChart chart;
  chart.label = "Allreduce bucket sizes";
  chart.plot.width = 360;
  chart.plot.x.title = "bucket";
  chart.segments = {"size"};
  chart.unit = unit_name;
  for (size_t i = 0; i < sizes.size(); ++i) {
    chart.categories.push_back(std::to_string(i));
    chart.values.push_back({sizes[i] / unit});
  }
  chart.plot.y = nice_axis(unit_name, 0, largest_stack(chart), 5);
  return figure(svg_stacked_bar_chart(chart), "Allreduce bucket sizes; bucket 0 is launched first");
}

}  // namespace

std::string html_training_section(const Json& summary) {
  std::vector<EpochRow> epochs = read_epochs(summary);
  std::vector<CurvePoint> lr = read_lr(summary);
  std::string charts;
  if (!epochs.empty()) {
    charts += epoch_chart(epochs,
                          {{"train loss", epoch_points(epochs, &EpochRow::train_loss)},
                           {"test loss", epoch_points(epochs, &EpochRow::test_loss)}},
                          "loss", true, "Train and test loss per epoch");
    charts += epoch_chart(epochs, {{"test accuracy", epoch_points(epochs, &EpochRow::test_accuracy)}},
                          "accuracy", false, "Test accuracy per epoch");
  }
  if (!lr.empty()) charts += lr_chart(lr);
  std::string body = charts.empty() ? "" : R"(<div class="charts">)" + charts + "</div>";
  if (lr.empty()) body += html_note("Learning rate per step: not recorded.");
  body += epochs.empty() ? html_note("No epoch recorded.") : epoch_table(epochs);
  return html_section("training", "Training", body);
}

std::string html_parallelism_section(const Json& summary) {
  std::vector<EpochRow> epochs = read_epochs(summary);
  std::vector<double> buckets = read_bucket_bytes(summary);
  std::string body = html_facts_table(read_parallel_facts(summary));
  std::string note = scaling_note(summary);
  if (!note.empty()) body += R"(<p data-fact="scaling_note">)" + html_inline_code(note) + "</p>";
  std::string charts;
  if (any_throughput(epochs)) charts += throughput_chart(epochs);
  std::optional<StepBreakdown> whole_run = read_breakdown(summary, "step_breakdown_ms_p50", "");
  if (any_breakdown(epochs) || whole_run) charts += breakdown_chart(epochs, whole_run);
  if (!buckets.empty()) charts += bucket_chart(buckets);
  if (!charts.empty()) body += R"(<div class="charts">)" + charts + "</div>";
  if (!any_throughput(epochs)) body += html_note("Samples/s per epoch: not recorded.");
  if (!any_breakdown(epochs)) body += html_note("Step breakdown per epoch: not recorded.");
  if (buckets.empty()) body += html_note("Bucket sizes: not recorded.");
  return html_section("parallelism", "Parallelism", body);
}

}  // namespace dpeval::report::internal

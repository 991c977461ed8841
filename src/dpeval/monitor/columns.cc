// Reading a drift source into columns (Note [Drift sources]): a CSV is mapped
// (or inflated), cut at record boundaries and parsed in parallel, one part per
// task; the parts' columns are joined in file order and sorted.
#include "dpeval/monitor/columns.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <future>
#include <optional>

#include "dpeval/core/error.h"
#include "dpeval/core/hash.h"
#include "dpeval/core/mapped_file.h"
#include "dpeval/core/thread_pool.h"
#include "dpeval/core/utf8.h"
#include "dpeval/data/npy.h"
#include "dpeval/data/number.h"
#include "dpeval/data/source.h"
#include "dpeval/data/table.h"
#include "dpeval/data/table_reader.h"
#include "dpeval/eval/sort_values.h"

namespace dpeval::monitor {
namespace {

namespace fs = std::filesystem;

bool ends_with_ci(std::string_view s, std::string_view suffix) {
  if (s.size() < suffix.size()) return false;
  for (size_t i = 0; i < suffix.size(); ++i) {
    const char a = s[s.size() - suffix.size() + i];
    if (std::tolower(static_cast<unsigned char>(a)) != suffix[i]) return false;
  }
  return true;
}

std::string sha256_of_bytes(std::string_view bytes) {
  return sha256_hex(std::as_bytes(std::span<const char>(bytes.data(), bytes.size())));
}

// A file's bytes, mapped when it can be (the usual case) or read whole.
class FileBytes {
 public:
  explicit FileBytes(const fs::path& path) : map_(path) {
    if (!map_.mapped()) {
      owned_ = data::read_table_file(path, data::kMaxInflatedTableBytes);
    } else {
      map_.populate(0, map_.text().size());  // one call maps every page, instead of a fault per page
    }
  }
  std::string_view bytes() const { return map_.mapped() ? map_.text() : std::string_view(owned_); }

 private:
  MappedFile map_;
  std::string owned_;
};

void check_regular_file(const fs::path& path) {
  std::error_code ec;
  const fs::file_status st = fs::status(path, ec);
  if (ec || !fs::exists(st)) throw InputError(fmt::format("{}: cannot read: no such file", path.string()));
  if (!fs::is_regular_file(st)) {
    throw InputError(fmt::format(
        "{}: is not a regular file (a directory, FIFO or device); expected a data file", path.string()));
  }
}

// One part's columns, merged into the whole in part order.
//
// Note [Numbers in place]
// Every column's numbers go straight into one buffer per column (huge pages,
// see core/huge_pages.h), sized for one number per line of the file: part p
// writes from the number of lines before it, so no part's numbers are copied
// while parsing. Afterwards each part's run is moved down to close the gaps
// (in place, front to back).
struct PartColumns {
  std::vector<ColumnValues> columns;  // counts and texts; numbers go to `slots`
  std::vector<double*> slots;         // per column: where this part's next number goes
  std::vector<size_t> numbers;        // per column: how many this part wrote
  uint64_t rows = 0;
  uint64_t lines = 0;                // line ends consumed in the part
  std::optional<std::string> error;  // what was wrong with a record
  uint64_t error_line = 0;           // within the part
  size_t error_field = 0, error_offset = 0, fields = 0;
  bool ragged = false;
};

// A finite number of a column: into its slot, -0.0 as 0.0.
[[gnu::always_inline]] inline void store_number(ColumnValues& col, double*& slot, double v, uint64_t line) {
  *slot++ = v + 0.0;
  if (col.first_number_line == 0) col.first_number_line = line;
}

[[gnu::always_inline]] inline void add_cell(ColumnValues& col, double*& slot, std::string_view cell,
                                            uint64_t line) {
  if (data::is_missing_spelling(cell)) {
    ++col.missing;
    return;
  }
  double v;
  if (data::parse_number(cell, &v)) {
    if (std::isnan(v)) {
      ++col.missing;
    } else if (!(std::abs(v) <= kMaxMagnitude)) {
      ++col.non_finite;
      if (col.first_number_line == 0) col.first_number_line = line;
    } else {
      store_number(col, slot, v, line);
    }
    return;
  }
  ++col.text_cells;
  if (col.first_text_line == 0) col.first_text_line = line;
  // Note [Text cells are UTF-8]: a JSON document holds only valid UTF-8.
  if (is_valid_utf8(cell)) {
    ++col.texts[std::string(cell)];
  } else {
    ++col.texts[to_valid_utf8(cell)];
  }
}

struct ByteCounts {
  size_t newlines = 0, carriage_returns = 0, quotes = 0;
};

// The part's '\n', '\r' and '"' bytes, in one read (one vector loop: the
// counters of a block of 255 bytes are bytes, then added to the totals).
ByteCounts count_special_bytes(std::string_view text) {
  ByteCounts out;
  const char* p = text.data();
  size_t left = text.size();
  while (left > 0) {
    const size_t block = std::min<size_t>(left, 255);
    uint8_t nl = 0, cr = 0, quote = 0;
    for (size_t i = 0; i < block; ++i) {
      nl += p[i] == '\n';
      cr += p[i] == '\r';
      quote += p[i] == '"';
    }
    out.newlines += nl;
    out.carriage_returns += cr;
    out.quotes += quote;
    p += block;
    left -= block;
  }
  return out;
}

// Note [Plain parts]
// Most parts hold no quote and no bare CR (the count of the part's line ends
// tells, in the same read): every record is one line, and its fields lie
// between delimiters. Such a part is split with one byte loop and nothing
// else, twice as fast as the general reader; a line the fast path cannot take
// as it is (a field count other than the header's, an over-long cell) sends
// the whole part back to the general reader, which then reports the error
// exactly as for any other file. Both give the same cells (tests/monitor).
// `lines`: the part's line ends, counted by the caller, who has also seen
// that the part holds no quote and no bare CR.
//
// Note [Numbers first]
// Most cells of a drift source are plain decimals. The plain reader first
// reads a field as one (data::internal::parse_plain_decimal, Note [Decimal
// shortcut]); when the decimal ends exactly where the field does, that is the
// cell: no blank to trim, no missing spelling, the value add_cell would
// store (finite, far below kMaxMagnitude). Otherwise the field is found and
// read as before. Each number's bytes are read once, not twice.
bool parse_plain_part(std::string_view text, const data::TableDialect& dialect, size_t width, uint64_t lines,
                      PartColumns& out) {
  const char* p = text.data();
  const char* const end = p + text.size();
  const char delimiter = dialect.delimiter;
  uint64_t line = 0;
  // One pass over the bytes: fields end at the delimiter, records at '\n'
  // (lines are short: a byte loop beats a memchr call per field).
  while (p < end) {
    ++line;
    if (*p == '\n' || (*p == '\r' && p + 1 < end && p[1] == '\n')) {  // a blank line: no record
      p += *p == '\n' ? 1 : 2;
      continue;
    }
    size_t c = 0;
    for (const char* f = p;;) {
      // Note [Numbers first]: a plain decimal that fills its field is the cell.
      double v;
      if (const char* n = data::internal::parse_plain_decimal(f, end, &v);
          n != nullptr && (n == end || *n == delimiter || *n == '\n' || *n == '\r')) {
        if (c == width) return false;  // too many fields
        store_number(out.columns[c], out.slots[c], v, line);
        ++c;
        if (n == end || *n != delimiter) {  // the line's end ("\r" is "\r\n" here)
          p = n == end ? end : n + (*n == '\r' ? 2 : 1);
          break;
        }
        f = n + 1;
        continue;
      }
      const char* q = f;
      while (q < end && *q != delimiter && *q != '\n') ++q;
      const bool last = q == end || *q == '\n';
      const char* field_end = last && q > f && q[-1] == '\r' ? q - 1 : q;
      if (c == width || static_cast<size_t>(field_end - f) > dialect.max_cell_bytes)
        return false;  // too many fields
      add_cell(out.columns[c], out.slots[c],
               data::table_trim(std::string_view(f, static_cast<size_t>(field_end - f))), line);
      ++c;
      if (last) {
        p = q == end ? end : q + 1;
        break;
      }
      f = q + 1;
    }
    if (c != width) return false;  // too few fields
    ++out.rows;
  }
  out.lines = lines;
  return true;
}

// Parses one part into out.columns' counts and texts and its numbers into out.slots.
void parse_part(std::string_view text, const data::TableDialect& dialect, size_t width, uint64_t lines,
                bool plain, PartColumns& out) {
  out.columns.resize(width);
  std::vector<double*> start = out.slots;
  if (plain && parse_plain_part(text, dialect, width, lines, out)) {  // Note [Plain parts]
    out.numbers.resize(width);
    for (size_t c = 0; c < width; ++c) out.numbers[c] = static_cast<size_t>(out.slots[c] - start[c]);
    return;
  }
  // The general reader, from a clean start.
  out.columns.assign(width, ColumnValues{});
  out.slots = start;
  out.rows = 0;
  data::TableRecordReader reader(text, dialect);
  for (;;) {
    const data::TableStatus status = reader.next();
    if (status == data::TableStatus::kEnd) break;
    if (status != data::TableStatus::kRecord) {
      out.error = reader.error_text(status);
      out.error_line = reader.line();
      out.error_field = reader.error_field();
      out.error_offset = reader.error_offset();
      return;
    }
    const auto& fields = reader.fields();
    if (fields.size() != width) {
      out.error = "ragged";
      out.ragged = true;
      out.error_line = reader.line();
      out.fields = fields.size();
      return;
    }
    ++out.rows;
    const uint64_t line = reader.line();
    for (size_t c = 0; c < width; ++c) add_cell(out.columns[c], out.slots[c], fields[c], line);
  }
  out.numbers.resize(width);
  for (size_t c = 0; c < width; ++c) out.numbers[c] = static_cast<size_t>(out.slots[c] - start[c]);
  out.lines = reader.lines_consumed();
}

SourceData read_csv(std::string_view text, std::string_view source, char delimiter, size_t threads) {
  SourceData out;
  out.source = std::string(source);
  out.kind = SourceKind::kCsv;
  data::TableDialect dialect;
  dialect.delimiter = delimiter;
  const std::string_view whole = text;
  text.remove_prefix(data::table_bom_bytes(text));
  data::TableRecordReader header(text, dialect);
  const data::TableStatus hs = header.next();
  if (hs == data::TableStatus::kEnd)
    throw InputError(fmt::format("{}: file is empty; expected a header row", source));
  if (hs != data::TableStatus::kRecord) {
    throw InputError(data::table_error_message(source, header.line(), header.error_offset(), nullptr,
                                               header.error_field(), header.error_text(hs)));
  }
  std::vector<std::string> names;
  for (std::string_view f : header.fields())
    names.push_back(to_valid_utf8(f));  // Note [Text cells are UTF-8]
  for (size_t c = 0; c < names.size(); ++c) {
    if (names[c].empty())
      throw InputError(fmt::format("{}:{}: column {} has an empty name", source, header.line(), c + 1));
    for (size_t d = 0; d < c; ++d) {
      if (names[d] == names[c]) {
        throw InputError(
            fmt::format("{}:{}: column '{}' appears twice in the header", source, header.line(), names[c]));
      }
    }
  }
  const uint64_t header_lines = header.lines_consumed() > 0 ? header.lines_consumed() : 1;
  const std::string_view body = text.substr(header.position());

  ThreadPool pool(threads);
  std::vector<size_t> cuts;
  const size_t parts_wanted = body.size() < (size_t{1} << 20) ? 1 : pool.size() * 4;
  data::table_record_cuts(body, parts_wanted, cuts);
  std::vector<size_t> bounds{0};
  for (size_t c : cuts) bounds.push_back(c);
  bounds.push_back(body.size());
  std::vector<PartColumns> parts(bounds.size() - 1);
  // Note [Numbers in place]: a part's numbers start after the lines of the parts before it.
  // part_lines: an upper bound on a part's records (its line ends, '\n' and bare
  // '\r' alike, plus one); newlines: its '\n's, the plain reader's line count.
  std::vector<size_t> part_lines(parts.size()), newlines(parts.size());
  std::vector<char> plain(parts.size());
  pool.parallel_for(parts.size(), [&](size_t begin, size_t end) {
    for (size_t p = begin; p < end; ++p) {
      const std::string_view part = body.substr(bounds[p], bounds[p + 1] - bounds[p]);
      const ByteCounts counts = count_special_bytes(part);
      newlines[p] = counts.newlines;
      size_t bare_cr = 0;
      if (counts.carriage_returns > 0) {
        for (size_t r = part.find('\r'); r != std::string_view::npos; r = part.find('\r', r + 1)) {
          bare_cr += r + 1 == part.size() || part[r + 1] != '\n';
        }
      }
      part_lines[p] = newlines[p] + bare_cr + 1;
      plain[p] = counts.quotes == 0 && bare_cr == 0;  // Note [Plain parts]
    }
  });
  size_t total_lines = 0;
  for (size_t n : part_lines) total_lines += n;
  out.columns.resize(names.size());
  for (ColumnValues& col : out.columns) col.numbers.resize(total_lines);
  for (size_t p = 0, first = 0; p < parts.size(); first += part_lines[p], ++p) {
    for (ColumnValues& col : out.columns) parts[p].slots.push_back(col.numbers.data() + first);
  }
  pool.parallel_for(parts.size(), [&](size_t begin, size_t end) {
    for (size_t p = begin; p < end; ++p) {
      parse_part(body.substr(bounds[p], bounds[p + 1] - bounds[p]), dialect, names.size(), newlines[p],
                 plain[p] != 0, parts[p]);
    }
  });

  // Line numbers: each part's are its own; a part starts after the lines of those before it.
  uint64_t base = header_lines;
  for (size_t p = 0; p < parts.size(); ++p) {
    PartColumns& part = parts[p];
    if (part.error) {
      const uint64_t line = base + part.error_line;
      if (part.ragged)
        throw InputError(data::table_ragged_message(source, line, part.fields, names, header.line()));
      const size_t byte = data::table_bom_bytes(whole) + header.position() + bounds[p] + part.error_offset;
      throw InputError(data::table_error_message(source, line, byte, &names, part.error_field, *part.error));
    }
    for (ColumnValues& c : part.columns) {
      if (c.first_text_line) c.first_text_line += base;
      if (c.first_number_line) c.first_number_line += base;
    }
    base += part.lines;
  }
  for (size_t c = 0; c < names.size(); ++c) {
    ColumnValues& col = out.columns[c];
    col.name = names[c];
    size_t kept = 0, first = 0;
    for (size_t p = 0; p < parts.size(); first += part_lines[p], ++p) {
      const size_t n = parts[p].numbers[c];
      if (n > 0) std::memmove(col.numbers.data() + kept, col.numbers.data() + first, n * sizeof(double));
      kept += n;
    }
    col.numbers.resize(kept);
    for (PartColumns& part : parts) {
      ColumnValues& pc = part.columns[c];
      col.missing += pc.missing;
      col.non_finite += pc.non_finite;
      col.text_cells += pc.text_cells;
      if (col.first_text_line == 0) col.first_text_line = pc.first_text_line;
      if (col.first_number_line == 0) col.first_number_line = pc.first_number_line;
      if (col.texts.empty()) {
        col.texts = std::move(pc.texts);
      } else {
        for (auto& [k, n] : pc.texts) col.texts[k] += n;
      }
    }
  }
  for (const PartColumns& part : parts) out.rows += part.rows;
  if (out.rows == 0) throw InputError(fmt::format("{}: has a header but no data rows", source));
  pool.parallel_for(out.columns.size(), [&](size_t begin, size_t end) {
    for (size_t c = begin; c < end; ++c) eval::sort_ascending(out.columns[c].numbers);
  });
  return out;
}

// Per-image mean and population std of intensity, as two columns.
void add_image_columns(SourceData& out) {
  const data::Dataset& d = out.images;
  const size_t n = d.size();
  const size_t f = static_cast<size_t>(d.sample_numel());
  ColumnValues mean, std;
  mean.name = "mean_intensity";
  std.name = "std_intensity";
  mean.numbers.resize(n);
  std.numbers.resize(n);
  std::vector<float> row(f);
  for (size_t i = 0; i < n; ++i) {
    const uint32_t index = static_cast<uint32_t>(i);
    d.gather({&index, 1}, row.data(), nullptr);
    const ImageSummary summary = summarize_image(row);
    mean.numbers[i] = summary.mean;
    std.numbers[i] = summary.std;
    mean.first_number_line = std.first_number_line = 1;
  }
  eval::sort_ascending(mean.numbers);
  eval::sort_ascending(std.numbers);
  out.columns.push_back(std::move(mean));
  out.columns.push_back(std::move(std));
}

void add_label_column(SourceData& out) {
  ColumnValues label;
  label.name = "label";
  for (int32_t y : out.images.labels()) label.numbers.push_back(y);
  label.first_number_line = 1;
  eval::sort_ascending(label.numbers);
  out.columns.push_back(std::move(label));
}

SourceData read_fashion_mnist(bool test) {
  const fs::path dir = data::fashion_mnist_dir();
  data::TrainTest tt = data::load_fashion_mnist(dir);
  SourceData out;
  out.source = test ? "fashion-mnist-test" : "fashion-mnist";
  out.kind = test ? SourceKind::kFashionMnistTest : SourceKind::kFashionMnist;
  out.images = test ? std::move(tt.test) : std::move(tt.train);
  out.rows = out.images.size();
  const std::string prefix = test ? "t10k-images" : "train-images";
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(dir, ec)) {
    if (entry.path().filename().string().starts_with(prefix)) {
      FileBytes bytes(entry.path());
      out.sha256 = sha256_of_bytes(bytes.bytes());
      break;
    }
  }
  add_image_columns(out);
  add_label_column(out);
  return out;
}

SourceData read_npy_images(const fs::path& path) {
  check_regular_file(path);
  FileBytes bytes(path);
  const data::NpyArray a = data::parse_npy(
      std::as_bytes(std::span<const char>(bytes.bytes().data(), bytes.bytes().size())), path.string());
  if (a.shape.size() != 2 && a.shape.size() != 3) {
    throw InputError(
        fmt::format("{}: an image array has shape N x H x W or N x F; this one has {} dimensions",
                    path.string(), a.shape.size()));
  }
  const int64_t n = a.shape[0];
  if (n < 1) throw InputError(fmt::format("{}: the array has no rows", path.string()));
  const Shape sample = a.shape.size() == 3 ? Shape{1, a.shape[1], a.shape[2]} : Shape{a.shape[1]};
  if (sample.numel() < 1) throw InputError(fmt::format("{}: the rows are empty", path.string()));
  SourceData out;
  out.source = path.string();
  out.kind = SourceKind::kNpy;
  out.sha256 = sha256_of_bytes(bytes.bytes());
  std::vector<int32_t> labels(static_cast<size_t>(n), 0);
  if (a.dtype == data::NpyArray::DType::kU8) {
    std::vector<uint8_t> pixels(a.data.size());
    std::memcpy(pixels.data(), a.data.data(), a.data.size());
    out.images =
        data::Dataset::from_u8(out.source, sample, std::move(pixels), 1.0f / 255.0f, std::move(labels), 1);
  } else if (a.dtype == data::NpyArray::DType::kF32 || a.dtype == data::NpyArray::DType::kF64) {
    std::vector<float> values = data::npy_to_f32(a, path.string());
    for (size_t i = 0; i < values.size(); ++i) {
      if (!(values[i] >= 0.0f && values[i] <= 1.0f)) {
        throw InputError(
            fmt::format("{}: element {} (row {}) is {}; float images must lie in [0, 1] "
                        "(uint8 arrays are scaled by 1/255)",
                        path.string(), i, i / static_cast<size_t>(sample.numel()), values[i]));
      }
    }
    out.images = data::Dataset::from_f32(out.source, sample, std::move(values), std::move(labels), 1);
  } else {
    throw InputError(fmt::format("{}: dtype {} is not an image type; expected uint8, float32 or float64",
                                 path.string(), data::npy_descr(a.dtype)));
  }
  out.rows = static_cast<uint64_t>(n);
  add_image_columns(out);
  return out;
}

}  // namespace

const ColumnValues* SourceData::find(std::string_view name) const {
  for (const ColumnValues& c : columns) {
    if (c.name == name) return &c;
  }
  return nullptr;
}

ImageSummary summarize_image(std::span<const float> pixels) {
  double sum = 0;
  for (float x : pixels) sum += x;
  const double m = sum / static_cast<double>(pixels.size());
  double ss = 0;
  for (float x : pixels) ss += (x - m) * (x - m);
  return {m + 0.0, std::sqrt(ss / static_cast<double>(pixels.size()))};
}

SourceData read_source(std::string_view spec, const ReadOptions& options) {
  if (spec.empty())
    throw ConfigError(
        "an empty data source; expected a CSV/TSV file, an .npy array, fashion-mnist or fashion-mnist-test");
  if (spec == "fashion-mnist") return read_fashion_mnist(false);
  if (spec == "fashion-mnist-test") {
    if (!options.allow_fashion_mnist_test)
      throw ConfigError("fashion-mnist-test is a current set, not a reference");
    return read_fashion_mnist(true);
  }
  const fs::path path{std::string(spec)};
  if (ends_with_ci(spec, ".npy")) return read_npy_images(path);
  if (!(ends_with_ci(spec, ".csv") || ends_with_ci(spec, ".tsv") || ends_with_ci(spec, ".csv.gz") ||
        ends_with_ci(spec, ".tsv.gz") || ends_with_ci(spec, ".txt"))) {
    throw ConfigError(
        fmt::format("{}: unknown data source; expected a .csv, .tsv (or .gz of either) or .npy file, "
                    "fashion-mnist or fashion-mnist-test",
                    spec));
  }
  check_regular_file(path);
  FileBytes raw(path);
  const bool gz = raw.bytes().size() >= 2 && static_cast<unsigned char>(raw.bytes()[0]) == 0x1f &&
                  static_cast<unsigned char>(raw.bytes()[1]) == 0x8b;
  // The file's hash is computed beside the parse (it reads the same pages).
  std::future<std::string> sha256 =
      std::async(std::launch::async, [&raw] { return sha256_of_bytes(raw.bytes()); });
  std::string inflated;
  if (gz) inflated = data::read_table_file(path);
  SourceData out = read_csv(gz ? std::string_view(inflated) : raw.bytes(), spec,
                            data::table_delimiter_for(spec), options.threads);
  out.sha256 = sha256.get();
  return out;
}

SourceData read_csv_text(std::string_view text, std::string_view source, const ReadOptions& options) {
  SourceData out = read_csv(text, source, data::table_delimiter_for(source), options.threads);
  out.sha256 = sha256_of_bytes(text);
  return out;
}

void sort_values(Numbers& values) { eval::sort_ascending(values); }

}  // namespace dpeval::monitor

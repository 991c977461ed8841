// Resolving a --data spec: Fashion-MNIST from the Debian package, or a CSV, NPY or
// IDX file split into train and test.
#include "dpeval/data/source.h"

#include <fmt/format.h>
#include <sys/stat.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <thread>

#include "dpeval/core/atomic_file.h"
#include "dpeval/core/error.h"
#include "dpeval/data/class_check.h"
#include "dpeval/data/csv.h"
#include "dpeval/data/text.h"
#include "dpeval/data/npy.h"
#include "dpeval/data/table_reader.h"

namespace dpeval::data {
namespace {

namespace fs = std::filesystem;

constexpr float kU8Scale = 1.0f / 255.0f;
constexpr int64_t kMaxLabel = (1 << 20) - 1;
constexpr uint64_t kMaxSampleNumel = uint64_t{1} << 31;
constexpr int64_t kMaxRows = int64_t{std::numeric_limits<uint32_t>::max()} - 1;  // indices are uint32
constexpr std::string_view kFashionMnistSpec = "fashion-mnist";

bool has_suffix(std::string_view spec, std::string_view suffix) {
  if (spec.size() < suffix.size()) return false;
  return std::equal(suffix.begin(), suffix.end(), spec.end() - static_cast<std::ptrdiff_t>(suffix.size()),
                    [](char a, char b) { return a == std::tolower(static_cast<unsigned char>(b)); });
}

// Checks labels (one per row, class indices below `limit`) and returns max + 1.
int check_labels(std::span<const int64_t> labels, std::string_view labels_name, size_t rows,
                 std::string_view features_name, int64_t limit, std::vector<int32_t>& out) {
  if (labels.size() != rows) {
    throw InputError(fmt::format("{}: {} labels for the {} rows of {}; expected one label per row",
                                 labels_name, labels.size(), rows, features_name));
  }
  out.resize(rows);
  int64_t max_label = -1;
  for (size_t i = 0; i < rows; ++i) {
    if (labels[i] < 0 || labels[i] >= limit) {
      throw InputError(fmt::format("{}: element {}: label {} is out of range; expected a class index 0..{}",
                                   labels_name, i, labels[i], limit - 1));
    }
    out[i] = static_cast<int32_t>(labels[i]);
    max_label = std::max(max_label, labels[i]);
  }
  return static_cast<int>(max_label + 1);
}

// [N, rest...] -> sample shape: [N] -> [1]; [N, H, W] -> [1, H, W]; otherwise rest.
Shape sample_shape_of(const std::vector<int64_t>& dims, std::string_view name) {
  if (dims.empty()) {
    throw InputError(std::string(name) + ": a 0-dimensional array has no rows; expected [N, ...]");
  }
  if (dims[0] > kMaxRows) {
    throw InputError(fmt::format("{}: {} rows; at most {} are supported", name, dims[0], kMaxRows));
  }
  std::vector<int64_t> rest;
  rest.reserve(dims.size());
  if (dims.size() == 1 || dims.size() == 3) rest.push_back(1);  // a feature, or a channel
  for (size_t i = 1; i < dims.size(); ++i) rest.push_back(dims[i]);
  // Overflow-safe: a 0-row array can claim any row shape (Shape::numel() would overflow).
  uint64_t numel = 1;
  for (int64_t d : rest) {
    if (!checked_mul(numel, static_cast<uint64_t>(d), &numel) || numel > kMaxSampleNumel) {
      throw InputError(fmt::format("{}: shape {} has more than {} features per row", name,
                                   Shape(dims).to_string(), kMaxSampleNumel));
    }
  }
  if (numel == 0) {
    throw InputError(
        fmt::format("{}: shape {} has no features per row; expected every dimension after the first "
                    "to be at least 1",
                    name, Shape(dims).to_string()));
  }
  return Shape(std::move(rest));
}

std::vector<int64_t> idx_labels(const IdxArray& labels, std::string_view labels_name) {
  if (labels.dims.size() != 1) {
    throw InputError(fmt::format("{}: labels have shape {}; expected one dimension [N]", labels_name,
                                 Shape(labels.dims).to_string()));
  }
  return std::vector<int64_t>(labels.data.begin(), labels.data.end());
}

// Note [Regular data files]
// A data file is read more than once: `dpeval train` reads it to train, then
// again to evaluate the final model, and predict/eval re-read it to find the
// run's split. A FIFO (or a terminal, a socket) gives its bytes once: the
// second read blocks for ever. So a data or labels path must name a regular
// file (symlinks to one are fine); anything else, or a path stat() cannot
// follow (a symlink loop: ELOOP), is bad input.
void check_data_file(const fs::path& path, std::string_view what) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) {
    const int err = errno;
    throw InputError(fmt::format("{}: cannot open the {}: {}", path.string(), what, std::strerror(err)));
  }
  if (S_ISREG(st.st_mode)) return;
  const char* kind = S_ISFIFO(st.st_mode)  ? "a FIFO (named pipe)"
                     : S_ISDIR(st.st_mode) ? "a directory"
                     : S_ISCHR(st.st_mode) ? "a character device"
                     : S_ISBLK(st.st_mode) ? "a block device"
                     : S_ISSOCK(st.st_mode) ? "a socket"
                                            : "not a regular file";
  throw InputError(fmt::format("{}: the {} is {}; expected a regular file (dpeval reads its data more than once: "
                               "copy it to a file first)",
                               path.string(), what, kind));
}

// IDX images and their labels, with the label count checked against the
// image rows from the two headers alone, before either body is inflated (a
// small gzip can inflate to gigabytes). `hw` > 0: the images must be [N, hw, hw].
struct IdxPair {
  IdxArray images, labels;
};
IdxPair read_idx_pair(const fs::path& images_path, const fs::path& labels_path, int64_t hw = 0) {
  const std::string image_bytes = read_file(images_path);
  const std::string label_bytes = read_file(labels_path);
  const auto images_span = std::as_bytes(std::span(image_bytes.data(), image_bytes.size()));
  const auto labels_span = std::as_bytes(std::span(label_bytes.data(), label_bytes.size()));
  const std::vector<int64_t> image_dims = parse_idx_dims(images_span, images_path.string());
  const std::vector<int64_t> label_dims = parse_idx_dims(labels_span, labels_path.string());
  if (hw > 0 && (image_dims.size() != 3 || image_dims[1] != hw || image_dims[2] != hw)) {
    throw InputError(fmt::format("{}: images have shape {}; expected [N, {}, {}]", images_path.string(),
                                 Shape(image_dims).to_string(), hw, hw));
  }
  if (label_dims.size() != 1) {
    throw InputError(fmt::format("{}: labels have shape {}; expected one dimension [N]", labels_path.string(),
                                 Shape(label_dims).to_string()));
  }
  if (label_dims[0] != image_dims[0]) {
    throw InputError(fmt::format("{}: header declares {} labels for the {} rows {} declares; expected one label "
                                 "per row",
                                 labels_path.string(), label_dims[0], image_dims[0], images_path.string()));
  }
  IdxPair out;
  out.labels = parse_idx(labels_span, labels_path.string());
  out.images = parse_idx(images_span, images_path.string());
  return out;
}

// Note [Class count] on the whole file, before it is split.
Dataset checked_classes(Dataset all, std::string_view source, std::string_view label_what) {
  check_class_labels(all, source, label_what);
  return all;
}

fs::path find_fashion_file(const fs::path& dir, const std::string& stem) {
  for (const fs::path& candidate : {dir / (stem + ".gz"), dir / stem}) {
    std::error_code ec;
    if (fs::is_regular_file(candidate, ec)) return candidate;
  }
  throw InputError(
      fmt::format("fashion-mnist: cannot find {}.gz in {}; install the Debian package "
                  "dataset-fashion-mnist (apt install dataset-fashion-mnist) or set DPEVAL_FMNIST_DIR "
                  "to a directory holding the four Fashion-MNIST IDX files",
                  stem, dir.string()));
}

Dataset load_fashion_split(const fs::path& dir, const std::string& prefix, const std::string& name) {
  const fs::path images_path = find_fashion_file(dir, prefix + "-images-idx3-ubyte");
  const fs::path labels_path = find_fashion_file(dir, prefix + "-labels-idx1-ubyte");
  IdxPair pair = read_idx_pair(images_path, labels_path, 28);
  Dataset out =
      dataset_from_idx(std::move(pair.images), images_path.string(), pair.labels, labels_path.string(), 10);
  out.set_name(name);
  out.set_class_names(fashion_mnist_class_names());
  return out;
}

TrainTest load_npy_source(std::string_view spec, const DataSourceOptions& options) {
  if (options.labels_path.empty()) {
    throw ConfigError(
        fmt::format("{}: features from an .npy file need labels: give an integer .npy array of "
                    "class indices as the labels path (--labels)",
                    spec));
  }
  check_data_file(fs::path(spec), "features file");
  check_data_file(options.labels_path, "labels file");
  const NpyArray features = read_npy(fs::path(spec));
  const NpyArray labels_array = read_npy(options.labels_path);
  const Shape sample = sample_shape_of(features.shape, spec);
  const auto rows = static_cast<size_t>(features.shape[0]);
  const bool column = labels_array.shape.size() == 2 && labels_array.shape[1] == 1;
  if (labels_array.shape.size() != 1 && !column) {
    throw InputError(fmt::format("{}: labels have shape {}; expected [N] or [N, 1]", options.labels_path,
                                 Shape(labels_array.shape).to_string()));
  }
  std::vector<int32_t> labels;
  const int k = check_labels(npy_to_i64(labels_array, options.labels_path), options.labels_path, rows, spec,
                             kMaxLabel + 1, labels);
  Dataset all =
      features.dtype == NpyArray::DType::kU8
          ? Dataset::from_u8(std::string(spec), sample,
                             std::vector<uint8_t>(reinterpret_cast<const uint8_t*>(features.data.data()),
                                                  reinterpret_cast<const uint8_t*>(features.data.data()) +
                                                      features.data.size()),
                             kU8Scale, std::move(labels), std::max(k, 1))
          : Dataset::from_f32(std::string(spec), sample, npy_to_f32(features, spec), std::move(labels),
                              std::max(k, 1));
  return split_holdout(checked_classes(std::move(all), options.labels_path, "labels"), options.test_fraction,
                       options.seed);
}

TrainTest load_idx_source(std::string_view spec, const DataSourceOptions& options) {
  if (options.labels_path.empty()) {
    throw ConfigError(
        fmt::format("{}: IDX features need labels: give the IDX labels file as the labels path "
                    "(--labels)",
                    spec));
  }
  check_data_file(fs::path(spec), "features file");
  check_data_file(options.labels_path, "labels file");
  IdxPair pair = read_idx_pair(fs::path(spec), options.labels_path);
  Dataset all = dataset_from_idx(std::move(pair.images), spec, pair.labels, options.labels_path);
  return split_holdout(checked_classes(std::move(all), options.labels_path, "labels"), options.test_fraction,
                       options.seed);
}

}  // namespace

const std::vector<std::string>& fashion_mnist_class_names() {
  static const std::vector<std::string> kNames = {"T-shirt/top", "Trouser",   "Pullover", "Dress",
                                                  "Coat",        "Sandal",    "Shirt",    "Sneaker",
                                                  "Bag",         "Ankle boot"};
  return kNames;
}

fs::path fashion_mnist_dir() {
  const char* env = std::getenv("DPEVAL_FMNIST_DIR");
  if (env != nullptr && *env != '\0') return env;
  return "/usr/share/datasets/fashion-mnist";
}

Dataset dataset_from_idx(IdxArray images, std::string_view images_name, const IdxArray& labels,
                         std::string_view labels_name, int num_classes) {
  const Shape sample = sample_shape_of(images.dims, images_name);
  const auto rows = static_cast<size_t>(images.dims[0]);
  std::vector<int32_t> y;
  const int k = check_labels(idx_labels(labels, labels_name), labels_name, rows, images_name,
                             num_classes > 0 ? num_classes : kMaxLabel + 1, y);
  return Dataset::from_u8(std::string(images_name), sample, std::move(images.data), kU8Scale, std::move(y),
                          num_classes > 0 ? num_classes : std::max(k, 1));
}

TrainTest load_fashion_mnist(const fs::path& dir) {
  // The two splits are independent files: decode the test set beside the train set.
  Dataset test;
  std::exception_ptr test_error;
  std::thread test_loader([&] {
    try {
      test = load_fashion_split(dir, "t10k", "fashion-mnist/test");
    } catch (...) {
      test_error = std::current_exception();
    }
  });
  Dataset train;
  try {
    train = load_fashion_split(dir, "train", "fashion-mnist/train");
  } catch (...) {
    test_loader.join();
    throw;
  }
  test_loader.join();
  if (test_error) std::rethrow_exception(test_error);
  return TrainTest{std::move(train), std::move(test)};
}

TrainTest load_data_source(std::string_view spec, const DataSourceOptions& options) {
  if (spec == kFashionMnistSpec) return load_fashion_mnist(fashion_mnist_dir());
  check_holdout_fraction(options.test_fraction);  // before reading a large file
  if (has_suffix(spec, ".csv") || has_suffix(spec, ".tsv") || has_suffix(spec, ".csv.gz") ||
      has_suffix(spec, ".tsv.gz")) {
    CsvOptions csv;
    csv.label_col = options.label_col;
    csv.delimiter = table_delimiter_for(spec);
    check_data_file(fs::path(spec), "data file");
    return split_holdout(checked_classes(read_csv_dataset(fs::path(spec), csv), spec,
                                         fmt::format("column '{}'", options.label_col)),
                         options.test_fraction, options.seed);
  }
  if (has_suffix(spec, ".npy")) return load_npy_source(spec, options);
  if (has_suffix(spec, ".idx") || has_suffix(spec, ".gz") || has_suffix(spec, "-ubyte")) {
    return load_idx_source(spec, options);
  }
  throw ConfigError(
      fmt::format("unknown data source '{}'; expected fashion-mnist or a path ending in .csv, .tsv, "
                  ".npy, .idx, .gz or -ubyte",
                  spec));
}

}  // namespace dpeval::data

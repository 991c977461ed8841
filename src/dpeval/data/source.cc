// Resolving a --data spec: Fashion-MNIST from the Debian package, or a CSV, NPY or
// IDX file split into train and test.
#include "dpeval/data/source.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <limits>
#include <thread>

#include "dpeval/core/error.h"
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
  IdxArray images = read_idx(images_path);
  const IdxArray labels = read_idx(labels_path);
  if (images.dims.size() != 3 || images.dims[1] != 28 || images.dims[2] != 28) {
    throw InputError(fmt::format("{}: images have shape {}; expected [N, 28, 28]", images_path.string(),
                                 Shape(images.dims).to_string()));
  }
  Dataset out = dataset_from_idx(std::move(images), images_path.string(), labels, labels_path.string(), 10);
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
  return split_holdout(all, options.test_fraction, options.seed);
}

TrainTest load_idx_source(std::string_view spec, const DataSourceOptions& options) {
  if (options.labels_path.empty()) {
    throw ConfigError(
        fmt::format("{}: IDX features need labels: give the IDX labels file as the labels path "
                    "(--labels)",
                    spec));
  }
  const IdxArray images = read_idx(fs::path(spec));
  const IdxArray labels = read_idx(options.labels_path);
  return split_holdout(dataset_from_idx(images, spec, labels, options.labels_path), options.test_fraction,
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
    return split_holdout(read_csv_dataset(fs::path(spec), csv), options.test_fraction, options.seed);
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

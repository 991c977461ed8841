// IDX reader: validate the header, check the claimed size against the input,
// then copy (plain) or inflate piecewise (gzip) the items.
//
// Note [Gzip limits]
// A gzip file does not say reliably how large it decompresses to (ISIZE is mod
// 2^32), so the IDX header is the only size we have, and it is untrusted. Two
// guards: (1) deflate expands at most 1032:1, so a header claiming more than
// 1032 x the compressed size is rejected before any allocation; (2) the output
// buffer grows with the bytes actually decompressed (starting at a few times the
// compressed size), so a header that claims a lot over a small bomb costs memory
// only as the bomb really inflates, and we stop reading at the claimed size.
#include "dpeval/data/idx.h"

#include <fmt/format.h>

#include <algorithm>
#include <cstring>
#include <string>

#include "dpeval/core/atomic_file.h"
#include "dpeval/core/error.h"
#include "dpeval/data/internal/gzip_reader.h"
#include "dpeval/data/text.h"

namespace dpeval::data {
namespace {


constexpr uint8_t kTypeU8 = 0x08;

const char* idx_type_name(uint8_t type) {
  switch (type) {
    case 0x08:
      return "unsigned byte";
    case 0x09:
      return "signed byte";
    case 0x0B:
      return "int16";
    case 0x0C:
      return "int32";
    case 0x0D:
      return "float32";
    case 0x0E:
      return "float64";
    default:
      return "unknown";
  }
}

// Where the bytes come from, for messages: "byte 4" or "decompressed byte 4".
struct Where {
  std::string_view source;
  bool gzip;
  std::string at(uint64_t offset) const {
    return fmt::format("{}: {}byte {}: ", source, gzip ? "decompressed " : "", offset);
  }
};

// Checks the 4-byte magic; returns the number of dimensions.
size_t check_magic(const uint8_t* magic, const Where& where) {
  if (magic[0] != 0 || magic[1] != 0) {
    throw InputError(where.at(0) + fmt::format("not an IDX file: expected magic 00 00 <type> <dims>, got "
                                               "{:02x} {:02x} {:02x} {:02x}",
                                               magic[0], magic[1], magic[2], magic[3]));
  }
  if (magic[2] != kTypeU8) {
    throw InputError(where.at(2) + fmt::format("IDX item type 0x{:02x} ({}) is not supported; expected "
                                               "unsigned byte (0x08)",
                                               magic[2], idx_type_name(magic[2])));
  }
  if (magic[3] == 0) throw InputError(where.at(3) + "IDX header declares 0 dimensions; expected 1 or more");
  return magic[3];
}

std::vector<int64_t> decode_dims(const uint8_t* p, size_t count) {
  std::vector<int64_t> dims(count);
  for (size_t i = 0; i < count; ++i, p += 4) {
    dims[i] = (int64_t{p[0]} << 24) | (int64_t{p[1]} << 16) | (int64_t{p[2]} << 8) | int64_t{p[3]};
  }
  return dims;
}

// Product of dims; false on uint64 overflow (0 if any dimension is 0).
bool item_count(const std::vector<int64_t>& dims, uint64_t* count) {
  if (std::find(dims.begin(), dims.end(), 0) != dims.end()) {
    *count = 0;
    return true;
  }
  uint64_t n = 1;
  for (int64_t d : dims) {
    if (!checked_mul(n, static_cast<uint64_t>(d), &n)) return false;
  }
  *count = n;
  return true;
}

std::string claim(const std::vector<int64_t>& dims, bool overflow, uint64_t count) {
  return fmt::format("header claims {} items ({})", join_dims(dims.data(), dims.size()),
                     overflow ? "more than 18 EB" : "needs " + human_bytes(static_cast<double>(count)));
}

IdxArray parse_plain(std::span<const std::byte> bytes, const Where& where) {
  if (bytes.size() < 4) {
    throw InputError(
        where.at(bytes.size()) +
        fmt::format("truncated IDX file: expected a 4-byte magic, file has {} bytes", bytes.size()));
  }
  const auto* p = reinterpret_cast<const uint8_t*>(bytes.data());
  const size_t ndims = check_magic(p, where);
  const size_t header = 4 + 4 * ndims;
  if (bytes.size() < header) {
    throw InputError(where.at(bytes.size()) +
                     fmt::format("truncated IDX header: {} dimensions need {} header "
                                 "bytes, file has {}",
                                 ndims, header, bytes.size()));
  }
  IdxArray out;
  out.dims = decode_dims(p + 4, ndims);
  uint64_t count = 0;
  const bool overflow = !item_count(out.dims, &count);
  const uint64_t available = bytes.size() - header;
  if (overflow || count > available) {
    throw InputError(where.at(4) + claim(out.dims, overflow, count) + " but the file has " +
                     human_bytes(static_cast<double>(available)) + " after its " + std::to_string(header) +
                     "-byte header");
  }
  if (count < available) {
    throw InputError(where.at(header + count) +
                     fmt::format("{} unexpected bytes after the {} items the header "
                                 "claims",
                                 available - count, join_dims(out.dims.data(), ndims)));
  }
  out.data.assign(p + header, p + header + count);
  return out;
}

// Reads exactly out.size() bytes or throws the "truncated" message made by `what`.
void read_exact(internal::GzipReader& gz, std::span<std::byte> out, const Where& where,
                const std::string& what) {
  const size_t got = gz.read(out);
  if (got < out.size()) {
    throw InputError(where.at(gz.total_out()) + what +
                     fmt::format(" but the decompressed data ends after {} bytes", gz.total_out()));
  }
}

IdxArray parse_gzip(std::span<const std::byte> bytes, const Where& where) {
  internal::GzipReader gz(bytes, where.source);
  uint8_t head[4 + 4 * 255];
  auto head_bytes = std::as_writable_bytes(std::span(head));
  read_exact(gz, head_bytes.first(4), where, "truncated IDX file: expected a 4-byte magic");
  const size_t ndims = check_magic(head, where);
  const size_t header = 4 + 4 * ndims;
  read_exact(gz, head_bytes.subspan(4, 4 * ndims), where,
             fmt::format("truncated IDX header: {} dimensions need {} header bytes", ndims, header));
  IdxArray out;
  out.dims = decode_dims(head + 4, ndims);
  uint64_t count = 0;
  const bool overflow = !item_count(out.dims, &count);
  const uint64_t limit = internal::GzipReader::max_decompressed_bytes(bytes.size());
  if (overflow || count > limit - std::min(limit, uint64_t{header})) {
    throw InputError(where.at(4) + claim(out.dims, overflow, count) + " but the gzip file has only " +
                     human_bytes(static_cast<double>(bytes.size())) + ", which decompresses to at most " +
                     human_bytes(static_cast<double>(limit)));
  }
  // See Note [Gzip limits]: grow with the data actually decompressed.
  const std::string truncated = "IDX data is truncated: " + claim(out.dims, false, count);
  size_t have = 0;
  out.data.resize(static_cast<size_t>(std::min<uint64_t>(count, 4 * uint64_t{bytes.size()} + (1 << 20))));
  while (true) {
    const size_t got = gz.read(std::as_writable_bytes(std::span(out.data)).subspan(have));
    have += got;
    if (have == count) break;
    if (have < out.data.size()) {
      throw InputError(where.at(header + have) + truncated +
                       fmt::format(" but the decompressed data ends after {} of them", have));
    }
    out.data.resize(static_cast<size_t>(std::min<uint64_t>(count, 2 * uint64_t{out.data.size()})));
  }
  std::byte extra[1];
  if (gz.read(extra) != 0) {
    throw InputError(where.at(header + count) +
                     fmt::format("unexpected bytes after the {} items the header claims",
                                 join_dims(out.dims.data(), ndims)));
  }
  return out;
}

}  // namespace

std::vector<int64_t> parse_idx_dims(std::span<const std::byte> bytes, std::string_view source_name) {
  const Where where{source_name, internal::is_gzip(bytes)};
  uint8_t head[4 + 4 * 255];
  size_t ndims = 0;
  if (where.gzip) {
    internal::GzipReader gz(bytes, source_name);
    auto head_bytes = std::as_writable_bytes(std::span(head));
    read_exact(gz, head_bytes.first(4), where, "truncated IDX file: expected a 4-byte magic");
    ndims = check_magic(head, where);
    read_exact(gz, head_bytes.subspan(4, 4 * ndims), where,
               fmt::format("truncated IDX header: {} dimensions need {} header bytes", ndims, 4 + 4 * ndims));
  } else {
    if (bytes.size() < 4) {
      throw InputError(where.at(bytes.size()) +
                       fmt::format("truncated IDX file: expected a 4-byte magic, file has {} bytes", bytes.size()));
    }
    std::memcpy(head, bytes.data(), 4);
    ndims = check_magic(head, where);
    if (bytes.size() < 4 + 4 * ndims) {
      throw InputError(where.at(bytes.size()) + fmt::format("truncated IDX header: {} dimensions need {} header "
                                                            "bytes, file has {}",
                                                            ndims, 4 + 4 * ndims, bytes.size()));
    }
    std::memcpy(head + 4, bytes.data() + 4, 4 * ndims);
  }
  return decode_dims(head + 4, ndims);
}

IdxArray parse_idx(std::span<const std::byte> bytes, std::string_view source_name) {
  if (internal::is_gzip(bytes)) return parse_gzip(bytes, Where{source_name, true});
  return parse_plain(bytes, Where{source_name, false});
}

IdxArray read_idx(const std::filesystem::path& path) {
  const std::string bytes = read_file(path);
  return parse_idx(std::as_bytes(std::span(bytes.data(), bytes.size())), path.string());
}

}  // namespace dpeval::data

// zlib inflate driven in pieces, input fed in chunks of at most 1 GiB (zlib counts in uInt).
#include "dpeval/data/internal/gzip_reader.h"

#include <zlib.h>

#include <algorithm>
#include <limits>

#include "dpeval/core/check.h"
#include "dpeval/core/error.h"
#include "dpeval/data/text.h"

namespace dpeval::data::internal {

struct GzipReader::State {
  z_stream stream{};
};

namespace {
constexpr size_t kInputChunk = size_t{1} << 30;
constexpr int kGzipWindowBits = 16 + MAX_WBITS;  // gzip wrapper only
}  // namespace

bool is_gzip(std::span<const std::byte> bytes) {
  return bytes.size() >= 2 && bytes[0] == std::byte{0x1f} && bytes[1] == std::byte{0x8b};
}

uint64_t GzipReader::max_decompressed_bytes(uint64_t compressed_bytes) {
  const uint64_t limit = std::numeric_limits<uint64_t>::max() / 1032;
  return compressed_bytes >= limit ? std::numeric_limits<uint64_t>::max() : compressed_bytes * 1032;
}

GzipReader::GzipReader(std::span<const std::byte> compressed, std::string_view source_name)
    : state_(std::make_unique<State>()), input_(compressed), source_name_(source_name) {
  const int rc = inflateInit2(&state_->stream, kGzipWindowBits);
  DPEVAL_CHECK(rc == Z_OK) << "inflateInit2: " << rc;
}

GzipReader::~GzipReader() { inflateEnd(&state_->stream); }

size_t GzipReader::read(std::span<std::byte> out) {
  z_stream& z = state_->stream;
  size_t written = 0;
  while (written < out.size() && !finished_) {
    if (z.avail_in == 0 && fed_ < input_.size()) {
      const size_t chunk = std::min(kInputChunk, input_.size() - fed_);
      z.next_in = reinterpret_cast<Bytef*>(const_cast<std::byte*>(input_.data() + fed_));
      z.avail_in = static_cast<uInt>(chunk);
      fed_ += chunk;
    }
    const size_t want = std::min<size_t>(out.size() - written, std::numeric_limits<uInt>::max());
    z.next_out = reinterpret_cast<Bytef*>(out.data() + written);
    z.avail_out = static_cast<uInt>(want);
    const int rc = inflate(&z, Z_NO_FLUSH);
    const size_t produced = want - z.avail_out;
    written += produced;
    total_out_ += produced;
    const uint64_t consumed = fed_ - z.avail_in;  // compressed bytes used so far
    if (rc == Z_STREAM_END) {
      // Another gzip member may follow (as `cat a.gz b.gz` makes); zero padding is ignored.
      std::span<const std::byte> rest = input_.subspan(consumed);
      if (is_gzip(rest)) {
        inflateReset(&z);
        continue;
      }
      if (std::all_of(rest.begin(), rest.end(), [](std::byte b) { return b == std::byte{0}; })) {
        finished_ = true;
        break;
      }
      throw InputError(source_name_ + ": byte " + std::to_string(consumed) + ": " +
                       std::to_string(rest.size()) + " bytes of trailing garbage after the gzip stream");
    }
    if (rc == Z_BUF_ERROR && z.avail_in == 0 && fed_ == input_.size()) {
      throw InputError(source_name_ + ": gzip stream is truncated: it ends after " +
                       std::to_string(consumed) + " compressed bytes (" + std::to_string(total_out_) +
                       " decompressed) without its end marker; the file was cut short");
    }
    if (rc == Z_DATA_ERROR || rc == Z_NEED_DICT || rc == Z_STREAM_ERROR) {
      throw InputError(source_name_ + ": byte " + std::to_string(consumed) + ": corrupt gzip data (" +
                       (z.msg != nullptr ? quote_excerpt(z.msg, 80) : std::string("zlib error")) + ")");
    }
    if (rc == Z_MEM_ERROR) throw Error(source_name_ + ": zlib ran out of memory while decompressing");
    // Z_OK means progress was made; Z_BUF_ERROR (no progress) only when zlib wants input we have yet to feed.
    DPEVAL_CHECK(rc == Z_OK || (rc == Z_BUF_ERROR && z.avail_in == 0)) << "inflate returned " << rc;
  }
  return written;
}

}  // namespace dpeval::data::internal

// The codec: the only place where Cap'n Proto data (schemas/*.capnp) becomes core values and
// back, with validation of everything that arrives (docs/codec.md). This header gathers the
// codec's parts and adds the frame for bytes from outside: aligned words from raw bytes, and a
// reader with bounded traversal and nesting that never throws.
//
//   io/codec-types.h       the shared values (tasks, assignments, session messages, records)
//   io/codec-dispatcher.h  the agent-manager protocol (core/shell/messages.h)
//   io/codec-control.h     the control API
//   io/record-codec.h      the stores' records, as flat-array messages
//
// Stateless functions; safe from any thread.
#pragma once

#include <capnp/message.h>
#include <capnp/serialize.h>
#include <kj/array.h>
#include <kj/exception.h>

#include <optional>
#include <string>

#include "io/codec-check.h"
#include "io/codec-control.h"
#include "io/codec-dispatcher.h"
#include "io/codec-limits.h"
#include "io/codec-types.h"
#include "io/decoded.h"

namespace swarmlet::io {

// Reader options for bytes from outside: `traversalLimitWords` (RECORD_TRAVERSAL_LIMIT_WORDS
// for a record, MESSAGE_TRAVERSAL_LIMIT_WORDS for an RPC connection) and NESTING_LIMIT.
capnp::ReaderOptions untrustedReaderOptions(uint64_t traversalLimitWords);

// `bytes` copied into 8-byte-aligned words, as Cap'n Proto readers need (a LevelDB value or a
// file gives no alignment guarantee). Refused when the size is not a whole number of words.
Decoded<kj::Array<capnp::word>> wordsFromBytes(kj::ArrayPtr<const kj::byte> bytes);

// Reads `words` as one flat-array message whose root is a `Root` and hands its reader to
// `decode` (a callable returning Decoded<T>). An empty array, a malformed segment table, words
// left over after the message, or anything Cap'n Proto refuses while `decode` reads come back as
// a refusal starting with `label`; nothing throws.
template <typename Root, typename T, typename Decode>
Decoded<T> decodeMessage(const char* label, kj::ArrayPtr<const capnp::word> words,
                         uint64_t traversalLimitWords, Decode&& decode) {
  if (words.size() == 0) return Decoded<T>::failure(std::string(label) + ": empty (no bytes)");
  std::optional<Decoded<T>> result;
  KJ_IF_MAYBE (exception, kj::runCatchingExceptions([&]() {
                 capnp::FlatArrayMessageReader reader(words,
                                                      untrustedReaderOptions(traversalLimitWords));
                 if (reader.getEnd() != words.end()) {
                   auto extra = static_cast<size_t>(words.end() - reader.getEnd());
                   result = Decoded<T>::failure(std::string(label) + ": " + std::to_string(extra) +
                                                " words of garbage after the message");
                   return;
                 }
                 result = decode(reader.getRoot<Root>());
               })) {
    if (codec::raisedByCodec(*exception)) kj::throwFatalException(kj::mv(*exception));
    return Decoded<T>::failure(std::string(label) +
                               ": malformed message: " + codec::describeException(*exception));
  }
  KJ_ASSERT(result.has_value());
  return std::move(*result);
}

}  // namespace swarmlet::io

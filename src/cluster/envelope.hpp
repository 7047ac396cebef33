#pragma once
// What one node publishes to the others through Redis (docs/CLUSTER.md,
// "Redis: routing"): the Target of a publication and its frame, as bytes.
// The origin node's id rides along so a node can skip its own echo (it has
// delivered locally already). The frame is the serialized server message,
// built once by the publisher and carried as is.
//
// Layout (little-endian, version 1): version u8, kind u8, origin u64,
// user i64, exclude_user i64, exclude_connection u64, presence_seq u64,
// mailbox_seq u64, type (u8 length + bytes), context (u16 length + bytes),
// then the frame to the end. A payload that does not parse is refused
// whole (decode returns nullopt): a node never delivers half a message.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "cluster/broker.hpp"

namespace herald::cluster {

using NodeId = std::uint64_t;

// A decoded envelope. Target::type is a view (of a literal, on the
// publishing node); here the envelope owns the name, and routed() gives the
// Target viewing it, valid while the envelope lives and is not moved.
struct Envelope {
  NodeId origin = 0;
  Target target;     // type left empty
  std::string type;
  SharedFrame frame;
  Target routed() const {
    Target t = target;
    t.type = type;
    return t;
  }
};

std::string encode_envelope(NodeId origin, const Target& target, const std::string& frame);
std::optional<Envelope> decode_envelope(std::string_view payload);

}  // namespace herald::cluster

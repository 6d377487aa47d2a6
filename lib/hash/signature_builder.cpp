#include "hash/signature_builder.hpp"

#include <string>

#include "roam/roam_errors.h"
#include "wire/varint.hpp"

namespace roam::hash {
namespace {

constexpr SigStatus kOk{};

SigStatus misplaced(const char *why) { return SigStatus{ROAM_ESTATE, why}; }
SigStatus invalid(const char *why) { return SigStatus{ROAM_EINVAL, why}; }

}  // namespace

SigStatus SignatureBuilder::check_type_slot() const {
  if (stack_.empty()) return kOk;
  const Frame &top = stack_.back();
  switch (top.expect) {
    case Expect::kTypes:
    case Expect::kIndexedTypes:
      return kOk;
    case Expect::kFields:
      return top.awaiting_type ? kOk : misplaced("a field name (roam_sig_field) must come first");
    case Expect::kVariants:
      return misplaced("an enum expects a variant (roam_sig_variant_*), not a type");
  }
  return kOk;
}

SigStatus SignatureBuilder::type_node(uint8_t tag, std::optional<uint64_t> len, Frame children) {
  if (SigStatus s = check_type_slot(); !s) return s;
  // A tuple variant's fields are encoded as struct fields named by position.
  if (!stack_.empty() && stack_.back().expect == Expect::kIndexedTypes) {
    put_str(std::to_string(stack_.back().done));
  }
  out_.push(tag);
  if (len) wire::put_varint(out_, *len);
  open(std::move(children));
  return kOk;
}

SigStatus SignatureBuilder::named_type_node(uint8_t tag, std::string_view type_name,
                                            uint64_t count, Expect expect,
                                            const char *unnamed) {
  if (type_name.empty()) return invalid(unnamed);
  return type_node(tag, count, Frame(expect, count, true, type_name));
}

SigStatus SignatureBuilder::variant_node(std::string_view name, uint8_t kind,
                                         std::optional<uint64_t> count, Frame children) {
  if (stack_.empty() || stack_.back().expect != Expect::kVariants) {
    return misplaced("a variant belongs directly inside roam_sig_enum");
  }
  if (name.empty()) return invalid("a variant needs a name");
  put_str(name);
  out_.push(kind);
  if (count) wire::put_varint(out_, *count);
  open(std::move(children));
  return kOk;
}

void SignatureBuilder::put_str(std::string_view s) {
  wire::put_varint(out_, s.size());
  out_.append(s.data(), s.size());
}

// A node with no children is complete at once.
void SignatureBuilder::open(Frame frame) {
  if (frame.remaining == 0) {
    close_item();
  } else {
    stack_.push_back(std::move(frame));
  }
}

// One item of the innermost open node is complete; a node whose last item
// that was is itself an item of its parent.
void SignatureBuilder::close_item() {
  while (!stack_.empty()) {
    Frame &top = stack_.back();
    top.awaiting_type = false;
    ++top.done;
    if (--top.remaining > 0) return;
    stack_.pop_back();
  }
}

SigStatus SignatureBuilder::primitive(uint8_t tag) {
  if (tag < sig::kFirstPrimitive || tag > sig::kLastPrimitive) {
    return invalid("not a primitive (ROAM_SIG_BOOL .. ROAM_SIG_BYTES)");
  }
  return type_node(tag, std::nullopt, Frame(Expect::kTypes, 0));
}

SigStatus SignatureBuilder::wrapper(uint8_t tag) {
  return type_node(tag, std::nullopt, Frame(Expect::kTypes, 1));
}

SigStatus SignatureBuilder::map() {
  return type_node(sig::kMap, std::nullopt, Frame(Expect::kTypes, 2));
}

SigStatus SignatureBuilder::array(uint64_t len) {
  return type_node(sig::kArray, len, Frame(Expect::kTypes, 1));
}

SigStatus SignatureBuilder::tuple(uint64_t count) {
  return type_node(sig::kTuple, count, Frame(Expect::kTypes, count, true));
}

SigStatus SignatureBuilder::tuple_struct(std::string_view type_name, uint64_t count) {
  return named_type_node(sig::kTuple, type_name, count, Expect::kTypes,
                         "a tuple struct needs its type name (for back-references)");
}

SigStatus SignatureBuilder::structure(std::string_view type_name, uint64_t field_count) {
  return named_type_node(sig::kStruct, type_name, field_count, Expect::kFields,
                         "a struct needs its type name (for back-references)");
}

SigStatus SignatureBuilder::enumeration(std::string_view type_name, uint64_t variant_count) {
  return named_type_node(sig::kEnum, type_name, variant_count, Expect::kVariants,
                         "an enum needs its type name (for back-references)");
}

SigStatus SignatureBuilder::field(std::string_view name) {
  if (stack_.empty() || stack_.back().expect != Expect::kFields) {
    return misplaced("a field belongs directly inside a struct or struct variant");
  }
  if (stack_.back().awaiting_type) return misplaced("the previous field's type is missing");
  if (name.empty()) return invalid("a field needs a name");
  put_str(name);
  stack_.back().awaiting_type = true;
  return kOk;
}

SigStatus SignatureBuilder::variant_unit(std::string_view name) {
  return variant_node(name, sig::kVariantUnit, std::nullopt, Frame(Expect::kTypes, 0));
}

SigStatus SignatureBuilder::variant_newtype(std::string_view name) {
  return variant_node(name, sig::kVariantNewtype, std::nullopt, Frame(Expect::kTypes, 1));
}

SigStatus SignatureBuilder::variant_tuple(std::string_view name, uint64_t count) {
  if (count == 1) return variant_newtype(name);
  return variant_node(name, sig::kVariantStruct, count, Frame(Expect::kIndexedTypes, count));
}

SigStatus SignatureBuilder::variant_struct(std::string_view name, uint64_t field_count) {
  return variant_node(name, sig::kVariantStruct, field_count,
                      Frame(Expect::kFields, field_count));
}

// The depth is the number of open structs, tuples and enums between the
// reference and the type it names (roam-hash's encoding stack).
SigStatus SignatureBuilder::back_reference(std::string_view type_name) {
  uint64_t depth = 0;
  for (auto it = stack_.rbegin(); it != stack_.rend(); ++it) {
    if (!it->composite) continue;
    if (!type_name.empty() && it->name == type_name) {
      return type_node(sig::kBackref, depth, Frame(Expect::kTypes, 0));
    }
    ++depth;
  }
  if (SigStatus s = check_type_slot(); !s) return s;
  return invalid("no open struct, tuple or enum has that type name");
}

SigStatus SignatureBuilder::complete() const {
  if (stack_.empty()) return kOk;
  switch (stack_.back().expect) {
    case Expect::kFields:
      return misplaced("a struct still expects fields");
    case Expect::kVariants:
      return misplaced("an enum still expects variants");
    default:
      return misplaced("a container, tuple or variant still expects a type");
  }
}

}  // namespace roam::hash

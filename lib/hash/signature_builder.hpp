// A method signature's bytes as roam-hash 7.3.0 encodes types, written one
// node at a time in depth-first order (the C builder, roam_method_id.h, is a
// thin shell around this). The builder knows how many children each open
// node still expects, so it rejects a call that does not fit and says why,
// and it resolves back-references by type name to the depth roam-hash
// counts: the struct, tuple and enum nodes open between the reference and
// the type it names.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "wire/bytes.hpp"

namespace roam::hash {

// The encoding's tag bytes (roam-hash's `sig` module).
namespace sig {
constexpr uint8_t kFirstPrimitive = 0x01;  // bool
constexpr uint8_t kLastPrimitive = 0x11;   // bytes (Vec<u8>)
constexpr uint8_t kList = 0x20;
constexpr uint8_t kOption = 0x21;
constexpr uint8_t kArray = 0x22;
constexpr uint8_t kMap = 0x23;
constexpr uint8_t kSet = 0x24;
constexpr uint8_t kTuple = 0x25;
constexpr uint8_t kTx = 0x26;
constexpr uint8_t kRx = 0x27;
constexpr uint8_t kStruct = 0x30;
constexpr uint8_t kEnum = 0x31;
constexpr uint8_t kBackref = 0x32;
constexpr uint8_t kVariantUnit = 0x00;
constexpr uint8_t kVariantNewtype = 0x01;
constexpr uint8_t kVariantStruct = 0x02;
}  // namespace sig

// What a call returns: code 0, or a ROAM_E* code and why (a static string).
struct SigStatus {
  int code = 0;
  const char *why = nullptr;
  explicit operator bool() const { return code == 0; }
};

class SignatureBuilder {
 public:
  // A primitive tag (sig::kFirstPrimitive..kLastPrimitive).
  SigStatus primitive(uint8_t tag);
  // One child type follows: list, option, set, tx, rx.
  SigStatus wrapper(uint8_t tag);
  SigStatus map();  // key and value types follow
  SigStatus array(uint64_t len);  // the element type follows
  SigStatus tuple(uint64_t count);  // `count` types follow
  // The same encoding for a Rust tuple struct, which, being named, a
  // back-reference can refer to.
  SigStatus tuple_struct(std::string_view type_name, uint64_t count);
  // `field_count` x (field(), one type) follow.
  SigStatus structure(std::string_view type_name, uint64_t field_count);
  SigStatus field(std::string_view name);
  // `variant_count` variants follow.
  SigStatus enumeration(std::string_view type_name, uint64_t variant_count);
  SigStatus variant_unit(std::string_view name);
  SigStatus variant_newtype(std::string_view name);  // one type follows
  // `count` types follow, named "0", "1", ... (one: a newtype variant).
  SigStatus variant_tuple(std::string_view name, uint64_t count);
  // `field_count` x (field(), one type) follow.
  SigStatus variant_struct(std::string_view name, uint64_t field_count);
  // A reference to the innermost open struct, tuple or enum so named.
  SigStatus back_reference(std::string_view type_name);

  // Code 0 when every node is complete (the bytes are a whole signature).
  SigStatus complete() const;
  const wire::ByteBuffer &bytes() const { return out_; }

 private:
  enum class Expect { kTypes, kFields, kVariants, kIndexedTypes };
  struct Frame {
    Frame(Expect e, uint64_t n, bool is_composite = false, std::string_view type_name = {})
        : expect(e), remaining(n), composite(is_composite), name(type_name) {}
    Expect expect;
    uint64_t remaining;          // items still expected
    uint64_t done = 0;           // items complete
    bool awaiting_type = false;  // kFields: the field's name is written
    bool composite;              // counts for back-reference depth
    std::string name;
  };

  SigStatus check_type_slot() const;
  // Writes a type node: `tag`, then `len` if given (a count or an array's
  // length), and expects `children` (none: the node is complete).
  SigStatus type_node(uint8_t tag, std::optional<uint64_t> len, Frame children);
  SigStatus named_type_node(uint8_t tag, std::string_view type_name, uint64_t count,
                            Expect expect, const char *unnamed);
  // Writes a variant: its name, `kind`, `count` if given, and expects `children`.
  SigStatus variant_node(std::string_view name, uint8_t kind, std::optional<uint64_t> count,
                         Frame children);
  void put_str(std::string_view s);
  void open(Frame frame);
  void close_item();

  wire::ByteBuffer out_;
  std::vector<Frame> stack_;
};

}  // namespace roam::hash

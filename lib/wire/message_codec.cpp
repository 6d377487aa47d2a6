#include "wire/message_codec.hpp"

#include "wire/reader.hpp"
#include "wire/varint.hpp"

namespace roam::wire {
namespace {

// ---- decoding ---------------------------------------------------------------

int read_settings(Reader &r, ConnectionSettings *out) {
  uint32_t parity = 0;
  int rc = r.read_tag(2, &parity);
  if (rc != ROAM_OK) return rc;
  out->parity = static_cast<Parity>(parity);
  return r.read_varint_u32(&out->max_concurrent_requests);
}

int read_id_list(Reader &r, IdList *out) {
  uint64_t count = 0;
  int rc = r.read_count(1, &count);
  if (rc != ROAM_OK) return rc;
  const uint8_t *start = r.position();
  for (uint64_t i = 0; i < count; ++i) {
    uint64_t id = 0;
    rc = r.read_varint_u64(&id);
    if (rc != ROAM_OK) return rc;
  }
  *out = IdList::encoded(ByteView(start, static_cast<size_t>(r.position() - start)), count);
  return ROAM_OK;
}

int read_request(Reader &r, RequestMessage *out) {
  int rc = r.read_varint_u64(&out->id);
  if (rc != ROAM_OK) return rc;
  uint32_t tag = 0;
  rc = r.read_tag(kRequestKinds, &tag);
  if (rc != ROAM_OK) return rc;
  out->kind = static_cast<RequestKind>(tag);
  switch (out->kind) {
    case RequestKind::Call:
      if ((rc = r.read_varint_u64(&out->method_id)) != ROAM_OK) return rc;
      if ((rc = read_id_list(r, &out->channels)) != ROAM_OK) return rc;
      if ((rc = MetadataView::parse(r, &out->metadata)) != ROAM_OK) return rc;
      out->payload = r.read_rest();
      return ROAM_OK;
    case RequestKind::Response:
      if ((rc = read_id_list(r, &out->channels)) != ROAM_OK) return rc;
      if ((rc = MetadataView::parse(r, &out->metadata)) != ROAM_OK) return rc;
      out->payload = r.read_rest();
      return ROAM_OK;
    case RequestKind::Cancel:
      return MetadataView::parse(r, &out->metadata);
  }
  return ROAM_EBADTAG;
}

int read_channel(Reader &r, ChannelMessage *out) {
  int rc = r.read_varint_u64(&out->id);
  if (rc != ROAM_OK) return rc;
  uint32_t tag = 0;
  rc = r.read_tag(kChannelKinds, &tag);
  if (rc != ROAM_OK) return rc;
  out->kind = static_cast<ChannelKind>(tag);
  switch (out->kind) {
    case ChannelKind::Item:
      out->item = r.read_rest();
      return ROAM_OK;
    case ChannelKind::Close:
    case ChannelKind::Reset:
      return MetadataView::parse(r, &out->metadata);
    case ChannelKind::GrantCredit:
      return r.read_varint_u32(&out->additional);
  }
  return ROAM_EBADTAG;
}

int read_payload(Reader &r, Message *m) {
  switch (m->kind) {
    case MessageKind::Hello: {
      int rc = r.read_varint_u32(&m->version);
      if (rc != ROAM_OK) return rc;
      if ((rc = read_settings(r, &m->settings)) != ROAM_OK) return rc;
      return MetadataView::parse(r, &m->metadata);
    }
    case MessageKind::HelloYourself:
    case MessageKind::ConnectionOpen:
    case MessageKind::ConnectionAccept: {
      int rc = read_settings(r, &m->settings);
      if (rc != ROAM_OK) return rc;
      return MetadataView::parse(r, &m->metadata);
    }
    case MessageKind::ProtocolError:
      return r.read_string(&m->description);
    case MessageKind::ConnectionReject:
    case MessageKind::ConnectionClose:
      return MetadataView::parse(r, &m->metadata);
    case MessageKind::Request:
      return read_request(r, &m->request);
    case MessageKind::Channel:
      return read_channel(r, &m->channel);
    case MessageKind::Ping:
    case MessageKind::Pong:
      return r.read_varint_u64(&m->nonce);
  }
  return ROAM_EBADTAG;
}

// ---- encoding ---------------------------------------------------------------

void put_settings(ByteBuffer &out, const ConnectionSettings &s) {
  out.push(static_cast<uint8_t>(s.parity));
  put_varint(out, s.max_concurrent_requests);
}

void put_id_list(ByteBuffer &out, const IdList &ids) {
  put_varint(out, ids.count());
  if (ids.is_encoded()) {
    out.append(ids.encoded_bytes());
    return;
  }
  for (uint64_t i = 0; i < ids.count(); ++i) put_varint(out, ids.values()[i]);
}

void put_request(ByteBuffer &out, const RequestMessage &q) {
  put_varint(out, q.id);
  out.push(static_cast<uint8_t>(q.kind));
  switch (q.kind) {
    case RequestKind::Call:
      put_varint(out, q.method_id);
      put_id_list(out, q.channels);
      encode_metadata(out, q.metadata);
      out.append(q.payload);
      break;
    case RequestKind::Response:
      put_id_list(out, q.channels);
      encode_metadata(out, q.metadata);
      out.append(q.payload);
      break;
    case RequestKind::Cancel:
      encode_metadata(out, q.metadata);
      break;
  }
}

void put_channel(ByteBuffer &out, const ChannelMessage &c) {
  put_varint(out, c.id);
  out.push(static_cast<uint8_t>(c.kind));
  switch (c.kind) {
    case ChannelKind::Item:
      out.append(c.item);
      break;
    case ChannelKind::Close:
    case ChannelKind::Reset:
      encode_metadata(out, c.metadata);
      break;
    case ChannelKind::GrantCredit:
      put_varint(out, c.additional);
      break;
  }
}

}  // namespace

int decode_message(const uint8_t *data, size_t size, Message *out) {
  Reader r(data, size);
  *out = Message();
  int rc = r.read_varint_u64(&out->connection_id);
  if (rc != ROAM_OK) return rc;
  uint32_t tag = 0;
  rc = r.read_tag(kMessageKinds, &tag);
  if (rc != ROAM_OK) return rc;
  out->kind = static_cast<MessageKind>(tag);
  rc = read_payload(r, out);
  if (rc != ROAM_OK) return rc;
  // Payload-carrying variants consumed everything; anything else must too.
  return r.at_end() ? ROAM_OK : ROAM_ETRAILING;
}

void encode_message(ByteBuffer &out, const Message &m) {
  put_varint(out, m.connection_id);
  out.push(static_cast<uint8_t>(m.kind));
  switch (m.kind) {
    case MessageKind::Hello:
      put_varint(out, m.version);
      put_settings(out, m.settings);
      encode_metadata(out, m.metadata);
      break;
    case MessageKind::HelloYourself:
    case MessageKind::ConnectionOpen:
    case MessageKind::ConnectionAccept:
      put_settings(out, m.settings);
      encode_metadata(out, m.metadata);
      break;
    case MessageKind::ProtocolError:
      put_varint(out, m.description.size());
      out.append(m.description.data(), m.description.size());
      break;
    case MessageKind::ConnectionReject:
    case MessageKind::ConnectionClose:
      encode_metadata(out, m.metadata);
      break;
    case MessageKind::Request:
      put_request(out, m.request);
      break;
    case MessageKind::Channel:
      put_channel(out, m.channel);
      break;
    case MessageKind::Ping:
    case MessageKind::Pong:
      put_varint(out, m.nonce);
      break;
  }
}

}  // namespace roam::wire

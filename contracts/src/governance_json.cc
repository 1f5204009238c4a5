#include "governance_json.h"

#include <string>
#include <string_view>

#include "colend/crypto/keys.h"
#include "colend/crypto/suite.h"

namespace colend::contracts::internal {
namespace {

using proto::GovernanceProposal;

constexpr EnumName kVoteChoiceNames[] = {
    {"APPROVE", proto::VOTE_CHOICE_APPROVE},
    {"REJECT", proto::VOTE_CHOICE_REJECT},
};

constexpr std::string_view kPublicKeyPemLabel = "PUBLIC KEY";

// A PEM public key of either suite. The transaction JSON does not know the chain's suite;
// the curve tells the two apart, and the governance contract checks it is the chain's.
Result<crypto::PublicKey> ReadPublicKeyPem(const JsonValue& value, const JsonPlace& place) {
  COLEND_ASSIGN_OR_RETURN(const std::string pem, ReadString(value, place));
  Result<crypto::PublicKey> standard =
      crypto::PublicKey::FromPem(crypto::CryptoSuite::Standard(), pem);
  if (standard.ok()) return standard;
  Result<crypto::PublicKey> sm = crypto::PublicKey::FromPem(crypto::CryptoSuite::Sm(), pem);
  if (sm.ok()) return sm;
  return place.Error("not a P-256 or SM2 public key in PEM (\"-----BEGIN PUBLIC KEY-----\"): " +
                     standard.status().message());
}

// The canonical DER SubjectPublicKeyInfo that tx.proto carries.
Result<std::string> DerOf(const crypto::PublicKey& key) {
  COLEND_ASSIGN_OR_RETURN(const Bytes der, key.ToDer());
  return ToString(der);
}

void WritePublicKey(const std::string& der, JsonWriter& out) {
  out.String(PemEncode(kPublicKeyPemLabel, der));
}

Status ReadClientKey(const JsonValue& value, const JsonPlace& place, proto::ClientKey* out) {
  COLEND_ASSIGN_OR_RETURN(ObjectReader in, ObjectReader::Open(value, place));
  COLEND_ASSIGN_OR_RETURN(const JsonValue* pem, in.Get("public_key"));
  COLEND_ASSIGN_OR_RETURN(const crypto::PublicKey key,
                          ReadPublicKeyPem(*pem, in.PlaceOf("public_key")));
  if (const JsonValue* key_id = in.Find("key_id"); key_id != nullptr) {
    COLEND_ASSIGN_OR_RETURN(const Bytes given,
                            ReadHex(*key_id, crypto::kKeyIdSize, in.PlaceOf("key_id")));
    if (given != key.key_id()) {
      return in.PlaceOf("key_id").Error("does not match the public key, whose key id is " +
                                        key.KeyIdHex());
    }
  }
  COLEND_RETURN_IF_ERROR(in.CheckAllRead());
  out->set_key_id(ToString(key.key_id()));
  COLEND_ASSIGN_OR_RETURN(*out->mutable_public_key(), DerOf(key));
  return Status::Ok();
}

void WriteClientKey(const proto::ClientKey& key, JsonWriter& out) {
  out.BeginObject();
  out.Key("key_id").String(ToHex(AsBytes(key.key_id())));
  out.Key("public_key");
  WritePublicKey(key.public_key(), out);
  out.EndObject();
}

// ----- Actions -----

Status ReadAddMember(ObjectReader& in, GovernanceProposal* proposal) {
  proto::AddMember* out = proposal->mutable_add_member();
  COLEND_ASSIGN_OR_RETURN(*out->mutable_member_id(), in.String("member_id"));
  COLEND_ASSIGN_OR_RETURN(*out->mutable_legal_name(), in.String("legal_name"));
  COLEND_ASSIGN_OR_RETURN(const JsonValue* keys_value, in.Get("client_keys"));
  const JsonPlace place = in.PlaceOf("client_keys");
  COLEND_ASSIGN_OR_RETURN(const auto* keys, ReadArray(*keys_value, place));
  for (std::size_t i = 0; i < keys->size(); ++i) {
    COLEND_RETURN_IF_ERROR(ReadClientKey((*keys)[i], place.Index(i), out->add_client_keys()));
  }
  return Status::Ok();
}
void WriteAddMember(const GovernanceProposal& proposal, JsonWriter& out) {
  const proto::AddMember& a = proposal.add_member();
  out.Key("member_id").String(a.member_id());
  out.Key("legal_name").String(a.legal_name());
  out.Key("client_keys").BeginArray();
  for (const proto::ClientKey& key : a.client_keys()) WriteClientKey(key, out);
  out.EndArray();
}

Status ReadSuspendMember(ObjectReader& in, GovernanceProposal* proposal) {
  proto::SuspendMember* out = proposal->mutable_suspend_member();
  COLEND_ASSIGN_OR_RETURN(*out->mutable_member_id(), in.String("member_id"));
  COLEND_ASSIGN_OR_RETURN(*out->mutable_reason(), in.String("reason"));
  return Status::Ok();
}
void WriteSuspendMember(const GovernanceProposal& proposal, JsonWriter& out) {
  out.Key("member_id").String(proposal.suspend_member().member_id());
  out.Key("reason").String(proposal.suspend_member().reason());
}

Status ReadRotateKey(ObjectReader& in, GovernanceProposal* proposal) {
  proto::RotateKey* out = proposal->mutable_rotate_key();
  COLEND_ASSIGN_OR_RETURN(*out->mutable_member_id(), in.String("member_id"));
  if (const JsonValue* new_key = in.Find("new_key"); new_key != nullptr) {
    COLEND_RETURN_IF_ERROR(ReadClientKey(*new_key, in.PlaceOf("new_key"), out->mutable_new_key()));
  }
  if (const JsonValue* retired = in.Find("retired_key_id"); retired != nullptr) {
    COLEND_ASSIGN_OR_RETURN(const Bytes id,
                            ReadHex(*retired, crypto::kKeyIdSize, in.PlaceOf("retired_key_id")));
    out->set_retired_key_id(ToString(id));
  }
  return Status::Ok();
}
void WriteRotateKey(const GovernanceProposal& proposal, JsonWriter& out) {
  const proto::RotateKey& r = proposal.rotate_key();
  out.Key("member_id").String(r.member_id());
  if (r.has_new_key()) {
    out.Key("new_key");
    WriteClientKey(r.new_key(), out);
  }
  if (!r.retired_key_id().empty()) {
    out.Key("retired_key_id").String(ToHex(AsBytes(r.retired_key_id())));
  }
}

Status ReadValidator(const JsonValue& value, const JsonPlace& place, proto::Validator* out) {
  COLEND_ASSIGN_OR_RETURN(ObjectReader in, ObjectReader::Open(value, place));
  COLEND_ASSIGN_OR_RETURN(*out->mutable_node_id(), in.String("node_id"));
  COLEND_ASSIGN_OR_RETURN(*out->mutable_member_id(), in.String("member_id"));
  COLEND_ASSIGN_OR_RETURN(const JsonValue* pem, in.Get("public_key"));
  COLEND_ASSIGN_OR_RETURN(const crypto::PublicKey key,
                          ReadPublicKeyPem(*pem, in.PlaceOf("public_key")));
  COLEND_ASSIGN_OR_RETURN(*out->mutable_public_key(), DerOf(key));
  return in.CheckAllRead();
}

Status ReadChangeValidatorSet(ObjectReader& in, GovernanceProposal* proposal) {
  proto::ChangeValidatorSet* out = proposal->mutable_change_validator_set();
  COLEND_ASSIGN_OR_RETURN(const JsonValue* list, in.Get("validators"));
  const JsonPlace place = in.PlaceOf("validators");
  COLEND_ASSIGN_OR_RETURN(const auto* validators, ReadArray(*list, place));
  for (std::size_t i = 0; i < validators->size(); ++i) {
    COLEND_RETURN_IF_ERROR(ReadValidator((*validators)[i], place.Index(i), out->add_validators()));
  }
  return Status::Ok();
}
void WriteChangeValidatorSet(const GovernanceProposal& proposal, JsonWriter& out) {
  out.Key("validators").BeginArray();
  for (const proto::Validator& v : proposal.change_validator_set().validators()) {
    out.BeginObject();
    out.Key("node_id").String(v.node_id());
    out.Key("member_id").String(v.member_id());
    out.Key("public_key");
    WritePublicKey(v.public_key(), out);
    out.EndObject();
  }
  out.EndArray();
}

Status ReadSetNetworkRule(ObjectReader& in, GovernanceProposal* proposal) {
  proto::SetNetworkRule* out = proposal->mutable_set_network_rule();
  COLEND_ASSIGN_OR_RETURN(*out->mutable_name(), in.String("name"));
  COLEND_ASSIGN_OR_RETURN(const std::int64_t value, in.Signed("value"));
  out->set_value(value);
  return Status::Ok();
}
void WriteSetNetworkRule(const GovernanceProposal& proposal, JsonWriter& out) {
  out.Key("name").String(proposal.set_network_rule().name());
  out.Key("value").Signed(proposal.set_network_rule().value());
}

Status ReadRevokeCertificate(ObjectReader& in, GovernanceProposal* proposal) {
  proto::RevokeCertificate* out = proposal->mutable_revoke_certificate();
  COLEND_ASSIGN_OR_RETURN(*out->mutable_fingerprint(), in.String("fingerprint"));
  COLEND_ASSIGN_OR_RETURN(*out->mutable_reason(), in.String("reason"));
  return Status::Ok();
}
void WriteRevokeCertificate(const GovernanceProposal& proposal, JsonWriter& out) {
  out.Key("fingerprint").String(proposal.revoke_certificate().fingerprint());
  out.Key("reason").String(proposal.revoke_certificate().reason());
}

struct ActionCodec {
  std::string_view type;  // the action's tx.proto message name
  GovernanceProposal::ActionCase action_case;
  Status (*read)(ObjectReader&, GovernanceProposal*);
  void (*write)(const GovernanceProposal&, JsonWriter&);
};

constexpr ActionCodec kActionCodecs[] = {
    {"AddMember", GovernanceProposal::kAddMember, ReadAddMember, WriteAddMember},
    {"SuspendMember", GovernanceProposal::kSuspendMember, ReadSuspendMember, WriteSuspendMember},
    {"RotateKey", GovernanceProposal::kRotateKey, ReadRotateKey, WriteRotateKey},
    {"ChangeValidatorSet", GovernanceProposal::kChangeValidatorSet, ReadChangeValidatorSet,
     WriteChangeValidatorSet},
    {"SetNetworkRule", GovernanceProposal::kSetNetworkRule, ReadSetNetworkRule,
     WriteSetNetworkRule},
    {"RevokeCertificate", GovernanceProposal::kRevokeCertificate, ReadRevokeCertificate,
     WriteRevokeCertificate},
};

}  // namespace

Status ReadGovernanceProposal(ObjectReader& in, proto::GovernanceProposal* out) {
  COLEND_ASSIGN_OR_RETURN(*out->mutable_proposal_id(), in.String("proposal_id"));
  COLEND_ASSIGN_OR_RETURN(*out->mutable_description(), in.String("description"));
  COLEND_ASSIGN_OR_RETURN(const JsonValue* action_value, in.Get("action"));
  COLEND_ASSIGN_OR_RETURN(ObjectReader action,
                          ObjectReader::Open(*action_value, in.PlaceOf("action")));
  COLEND_ASSIGN_OR_RETURN(const JsonValue* type, action.Get("type"));
  for (const ActionCodec& codec : kActionCodecs) {
    if (type->kind == JsonKind::kString && type->text == codec.type) {
      COLEND_RETURN_IF_ERROR(codec.read(action, out));
      return action.CheckAllRead();
    }
  }
  return Mismatch(*type, "a governance action such as \"AddMember\"", action.PlaceOf("type"));
}

void WriteGovernanceProposal(const proto::GovernanceProposal& proposal, JsonWriter& out) {
  out.Key("proposal_id").String(proposal.proposal_id());
  out.Key("description").String(proposal.description());
  for (const ActionCodec& codec : kActionCodecs) {
    if (codec.action_case != proposal.action_case()) continue;
    out.Key("action").BeginObject();
    out.Key("type").String(codec.type);
    codec.write(proposal, out);
    out.EndObject();
  }
}

Status ReadGovernanceVote(ObjectReader& in, proto::GovernanceVote* out) {
  COLEND_ASSIGN_OR_RETURN(*out->mutable_proposal_id(), in.String("proposal_id"));
  COLEND_ASSIGN_OR_RETURN(const int choice, in.Enum("choice", kVoteChoiceNames));
  out->set_choice(static_cast<proto::VoteChoice>(choice));
  return Status::Ok();
}

void WriteGovernanceVote(const proto::GovernanceVote& vote, JsonWriter& out) {
  out.Key("proposal_id").String(vote.proposal_id());
  out.Key("choice").String(EnumToName(kVoteChoiceNames, vote.choice()));
}

}  // namespace colend::contracts::internal

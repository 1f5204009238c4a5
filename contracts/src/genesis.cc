#include "colend/contracts/genesis.h"

#include <algorithm>
#include <utility>

#include "colend/crypto/hash.h"
#include "colend/crypto/keys.h"
#include "json_document.h"
#include "json_fields.h"

namespace colend::contracts {
namespace {

using internal::JsonKind;
using internal::JsonPlace;
using internal::JsonValue;
using internal::JsonWriter;
using internal::ObjectReader;
using internal::PathStyle;

constexpr std::size_t kMaxMemberIdLength = 32;
constexpr std::size_t kMaxNameTokenLength = 64;
constexpr std::string_view kMinFunderBp = "min_funder_bp";

// docs/domain.md: upper-case letters, digits and '_', at most 32.
bool IsMemberId(std::string_view id) {
  return !id.empty() && id.size() <= kMaxMemberIdLength &&
         std::all_of(id.begin(), id.end(), [](char c) {
           return (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
         });
}

// Chain ids and node ids: they appear in file names, certificates and logs.
bool IsNameToken(std::string_view token) {
  return !token.empty() && token.size() <= kMaxNameTokenLength &&
         std::all_of(token.begin(), token.end(), [](char c) {
           return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                  c == '.' || c == '_' || c == '-';
         });
}

Result<std::string> ReadMemberId(ObjectReader& in, std::string_view key) {
  COLEND_ASSIGN_OR_RETURN(const JsonValue* value, in.Get(key));
  if (value->kind != JsonKind::kString || !IsMemberId(value->text)) {
    return internal::Mismatch(*value, "a member id of 1-32 upper-case letters, digits or '_'",
                              in.PlaceOf(key));
  }
  return value->text;
}

Result<std::string> ReadNameToken(ObjectReader& in, std::string_view key) {
  COLEND_ASSIGN_OR_RETURN(const JsonValue* value, in.Get(key));
  if (value->kind != JsonKind::kString || !IsNameToken(value->text)) {
    return internal::Mismatch(*value, "1-64 letters, digits, '.', '_' or '-'", in.PlaceOf(key));
  }
  return value->text;
}

std::string KeyNoun(crypto::CryptoSuite suite) {
  return suite == crypto::CryptoSuite::Standard() ? "a P-256 public key" : "an SM2 public key";
}

// A PEM public key of the genesis suite, as the DER the chain carries.
Result<crypto::PublicKey> ReadPublicKey(ObjectReader& in, crypto::CryptoSuite suite) {
  COLEND_ASSIGN_OR_RETURN(const std::string pem, in.String("public_key"));
  Result<crypto::PublicKey> key = crypto::PublicKey::FromPem(suite, pem);
  if (!key.ok()) {
    return in.PlaceOf("public_key")
        .Error("not " + KeyNoun(suite) + " (" + key.status().message() + ")");
  }
  return key;
}

Status StoreDer(const crypto::PublicKey& key, std::string* out) {
  COLEND_ASSIGN_OR_RETURN(const Bytes der, key.ToDer());
  *out = ToString(der);
  return Status::Ok();
}

Status ReadClientKey(const JsonValue& value, const JsonPlace& place, crypto::CryptoSuite suite,
                     proto::ClientKey* out) {
  COLEND_ASSIGN_OR_RETURN(ObjectReader in, ObjectReader::Open(value, place));
  COLEND_ASSIGN_OR_RETURN(const crypto::PublicKey key, ReadPublicKey(in, suite));
  if (const JsonValue* given = in.Find("key_id"); given != nullptr) {
    COLEND_ASSIGN_OR_RETURN(const Bytes id,
                            internal::ReadHex(*given, crypto::kKeyIdSize, in.PlaceOf("key_id")));
    if (id != key.key_id()) {
      return in.PlaceOf("key_id").Error("does not match the public key, whose key id is " +
                                        key.KeyIdHex());
    }
  }
  COLEND_RETURN_IF_ERROR(in.CheckAllRead());
  out->set_key_id(ToString(key.key_id()));
  return StoreDer(key, out->mutable_public_key());
}

// Reads a required, non-empty JSON array.
Result<const std::vector<JsonValue>*> ReadList(ObjectReader& in, std::string_view key) {
  COLEND_ASSIGN_OR_RETURN(const JsonValue* value, in.Get(key));
  COLEND_ASSIGN_OR_RETURN(const auto* items, internal::ReadArray(*value, in.PlaceOf(key)));
  if (items->empty()) return in.PlaceOf(key).Error("must list at least one");
  return items;
}

Status ReadMember(const JsonValue& value, const JsonPlace& place, crypto::CryptoSuite suite,
                  GenesisMember* out) {
  COLEND_ASSIGN_OR_RETURN(ObjectReader in, ObjectReader::Open(value, place));
  COLEND_ASSIGN_OR_RETURN(out->id, ReadMemberId(in, "id"));
  COLEND_ASSIGN_OR_RETURN(out->legal_name, in.NonEmptyString("legal_name"));
  COLEND_ASSIGN_OR_RETURN(const auto* keys, ReadList(in, "client_keys"));
  const JsonPlace keys_place = in.PlaceOf("client_keys");
  for (std::size_t i = 0; i < keys->size(); ++i) {
    proto::ClientKey key;
    COLEND_RETURN_IF_ERROR(ReadClientKey((*keys)[i], keys_place.Index(i), suite, &key));
    for (std::size_t j = 0; j < out->client_keys.size(); ++j) {
      if (out->client_keys[j].key_id() == key.key_id()) {
        return keys_place.Index(i).Error("same key as " + keys_place.Index(j).path());
      }
    }
    out->client_keys.push_back(std::move(key));
  }
  if (const JsonValue* capital = in.Find("tier1_capital"); capital != nullptr) {
    COLEND_ASSIGN_OR_RETURN(const Amount amount,
                            internal::ReadAmount(*capital, in.PlaceOf("tier1_capital")));
    if (!amount.is_positive()) return in.PlaceOf("tier1_capital").Error("must be positive");
    out->tier1_capital = amount;
  }
  return in.CheckAllRead();
}

Status ReadMembers(ObjectReader& top, Genesis* genesis) {
  COLEND_ASSIGN_OR_RETURN(const auto* members, ReadList(top, "members"));
  const JsonPlace place = top.PlaceOf("members");
  for (std::size_t i = 0; i < members->size(); ++i) {
    GenesisMember member;
    COLEND_RETURN_IF_ERROR(ReadMember((*members)[i], place.Index(i), genesis->suite, &member));
    for (std::size_t j = 0; j < genesis->members.size(); ++j) {
      if (genesis->members[j].id == member.id) {
        return place.Index(i).Key("id").Error("\"" + member.id + "\" is already the id of " +
                                              place.Index(j).path());
      }
    }
    genesis->members.push_back(std::move(member));
  }
  return Status::Ok();
}

Status ReadValidators(ObjectReader& top, Genesis* genesis) {
  COLEND_ASSIGN_OR_RETURN(const auto* validators, ReadList(top, "validators"));
  const JsonPlace place = top.PlaceOf("validators");
  for (std::size_t i = 0; i < validators->size(); ++i) {
    COLEND_ASSIGN_OR_RETURN(ObjectReader in, ObjectReader::Open((*validators)[i], place.Index(i)));
    proto::Validator validator;
    COLEND_ASSIGN_OR_RETURN(*validator.mutable_node_id(), ReadNameToken(in, "node_id"));
    COLEND_ASSIGN_OR_RETURN(*validator.mutable_member_id(), ReadMemberId(in, "member_id"));
    COLEND_ASSIGN_OR_RETURN(const crypto::PublicKey key, ReadPublicKey(in, genesis->suite));
    COLEND_RETURN_IF_ERROR(StoreDer(key, validator.mutable_public_key()));
    COLEND_RETURN_IF_ERROR(in.CheckAllRead());

    const auto& members = genesis->members;
    if (std::none_of(members.begin(), members.end(),
                     [&](const GenesisMember& m) { return m.id == validator.member_id(); })) {
      return in.PlaceOf("member_id")
          .Error("no member \"" + validator.member_id() + "\" in members");
    }
    if (!genesis->validators.empty() &&
        genesis->validators.back().node_id() >= validator.node_id()) {
      return in.PlaceOf("node_id").Error(
          "\"" + validator.node_id() + "\" does not sort after \"" +
          genesis->validators.back().node_id() +
          "\"; validators must be sorted by node_id, without duplicates");
    }
    for (std::size_t j = 0; j < genesis->validators.size(); ++j) {
      if (genesis->validators[j].public_key() == validator.public_key()) {
        return in.PlaceOf("public_key").Error("same key as " + place.Index(j).path());
      }
    }
    genesis->validators.push_back(std::move(validator));
  }
  return Status::Ok();
}

// An optional integer in [min, max]; *value is left as it is (the default) when absent.
template <typename T>
Status ReadParam(ObjectReader& in, std::string_view key, std::uint64_t min, std::uint64_t max,
                 T* value) {
  const JsonValue* given = in.Find(key);
  if (given == nullptr) return Status::Ok();
  if (given->kind != JsonKind::kInteger || given->negative || given->magnitude < min ||
      given->magnitude > max) {
    return internal::Mismatch(
        *given, "an integer from " + std::to_string(min) + " to " + std::to_string(max),
        in.PlaceOf(key));
  }
  *value = static_cast<T>(given->magnitude);
  return Status::Ok();
}

Status ReadConsensus(ObjectReader& top, ConsensusParams* params) {
  const JsonValue* value = top.Find("consensus");
  if (value == nullptr) return Status::Ok();
  COLEND_ASSIGN_OR_RETURN(ObjectReader in, ObjectReader::Open(*value, top.PlaceOf("consensus")));
  COLEND_RETURN_IF_ERROR(ReadParam(in, "max_block_txs", 1, 1'000'000, &params->max_block_txs));
  COLEND_RETURN_IF_ERROR(
      ReadParam(in, "max_block_bytes", 1024, 64 << 20, &params->max_block_bytes));
  COLEND_RETURN_IF_ERROR(ReadParam(in, "batch_timeout_ms", 1, 60'000, &params->batch_timeout_ms));
  COLEND_RETURN_IF_ERROR(
      ReadParam(in, "view_change_timeout_ms", 10, 3'600'000, &params->view_change_timeout_ms));
  COLEND_RETURN_IF_ERROR(
      ReadParam(in, "checkpoint_period", 1, 1'000'000, &params->checkpoint_period));
  COLEND_RETURN_IF_ERROR(ReadParam(in, "execution_lag", 1, 1024, &params->execution_lag));
  COLEND_RETURN_IF_ERROR(ReadParam(in, "watermark_window", params->checkpoint_period, 100'000'000,
                                   &params->watermark_window));
  COLEND_RETURN_IF_ERROR(
      ReadParam(in, "max_clock_drift_ms", 0, 3'600'000, &params->max_clock_drift_ms));
  if (params->watermark_window < params->checkpoint_period) {
    // Only reachable with watermark_window omitted and a large checkpoint_period.
    return in.PlaceOf("watermark_window")
        .Error("the default " + std::to_string(params->watermark_window) +
               " is below checkpoint_period; give a watermark_window of at least " +
               std::to_string(params->checkpoint_period));
  }
  return in.CheckAllRead();
}

Status ReadNetworkRules(ObjectReader& top, NetworkRules* rules) {
  const JsonValue* value = top.Find("network_rules");
  if (value == nullptr) return Status::Ok();
  const JsonPlace place = top.PlaceOf("network_rules");
  COLEND_RETURN_IF_ERROR(ObjectReader::Open(*value, place).status());
  for (const auto& [name, rule] : value->members) {
    COLEND_ASSIGN_OR_RETURN(const std::int64_t number, internal::ReadSigned(rule, place.Key(name)));
    const Status set = rules->Set(name, number);
    if (!set.ok()) return place.Key(name).Error(set.message());
  }
  return Status::Ok();
}

Status ReadCertificate(ObjectReader& top, std::string* out) {
  COLEND_ASSIGN_OR_RETURN(*out, top.String("consortium_ca"));
  constexpr std::string_view kWhitespace = " \t\r\n";
  constexpr std::string_view kBegin = "-----BEGIN CERTIFICATE-----";
  constexpr std::string_view kEnd = "-----END CERTIFICATE-----";
  std::string_view text = *out;
  const std::size_t first = text.find_first_not_of(kWhitespace);
  if (first != std::string_view::npos) {
    text = text.substr(first, text.find_last_not_of(kWhitespace) - first + 1);
  }
  if (first == std::string_view::npos || text.size() < kBegin.size() + kEnd.size() ||
      text.substr(0, kBegin.size()) != kBegin || text.substr(text.size() - kEnd.size()) != kEnd) {
    return top.PlaceOf("consortium_ca")
        .Error("expected a PEM certificate (\"-----BEGIN CERTIFICATE-----\" ... \"" +
               std::string(kEnd) + "\")");
  }
  return Status::Ok();
}

Status ReadSuite(ObjectReader& top, crypto::CryptoSuite* suite) {
  COLEND_ASSIGN_OR_RETURN(const JsonValue* value, top.Get("crypto_suite"));
  const JsonPlace place = top.PlaceOf("crypto_suite");
  if (value->kind != JsonKind::kString) {
    return internal::Mismatch(*value, "\"standard\" or \"sm\"", place);
  }
  // A name the file got wrong is the file's problem; a suite this build's OpenSSL cannot
  // provide is the machine's (FromName says which, in its message).
  if (value->text != crypto::CryptoSuite::kStandardName &&
      value->text != crypto::CryptoSuite::kSmName) {
    return internal::Mismatch(*value, "\"standard\" or \"sm\"", place);
  }
  Result<crypto::CryptoSuite> parsed = crypto::CryptoSuite::FromName(value->text);
  if (!parsed.ok()) return parsed.status().WithContext("crypto_suite");
  *suite = *parsed;
  return Status::Ok();
}

// ----- Writing -----

void WritePublicKey(const std::string& der, JsonWriter& out) {
  out.Key("public_key").String(internal::PemEncode("PUBLIC KEY", der));
}

void WriteMember(const GenesisMember& member, JsonWriter& out) {
  out.BeginObject();
  out.Key("id").String(member.id);
  out.Key("legal_name").String(member.legal_name);
  out.Key("client_keys").BeginArray();
  for (const proto::ClientKey& key : member.client_keys) {
    out.BeginObject();
    out.Key("key_id").String(ToHex(AsBytes(key.key_id())));
    WritePublicKey(key.public_key(), out);
    out.EndObject();
  }
  out.EndArray();
  if (member.tier1_capital.has_value()) {
    out.Key("tier1_capital").String(member.tier1_capital->ToString());
  }
  out.EndObject();
}

void WriteConsensus(const ConsensusParams& params, JsonWriter& out) {
  out.Key("consensus").BeginObject();
  out.Key("max_block_txs").Unsigned(params.max_block_txs);
  out.Key("max_block_bytes").Unsigned(params.max_block_bytes);
  out.Key("batch_timeout_ms").Unsigned(params.batch_timeout_ms);
  out.Key("view_change_timeout_ms").Unsigned(params.view_change_timeout_ms);
  out.Key("checkpoint_period").Unsigned(params.checkpoint_period);
  out.Key("execution_lag").Unsigned(params.execution_lag);
  out.Key("watermark_window").Unsigned(params.watermark_window);
  out.Key("max_clock_drift_ms").Unsigned(params.max_clock_drift_ms);
  out.EndObject();
}

bool SameClientKeys(const std::vector<proto::ClientKey>& a,
                    const std::vector<proto::ClientKey>& b) {
  return std::equal(a.begin(), a.end(), b.begin(), b.end(),
                    [](const proto::ClientKey& x, const proto::ClientKey& y) {
                      return x.key_id() == y.key_id() && x.public_key() == y.public_key();
                    });
}

bool SameMembers(const std::vector<GenesisMember>& a, const std::vector<GenesisMember>& b) {
  return std::equal(
      a.begin(), a.end(), b.begin(), b.end(), [](const GenesisMember& x, const GenesisMember& y) {
        return x.id == y.id && x.legal_name == y.legal_name && x.tier1_capital == y.tier1_capital &&
               SameClientKeys(x.client_keys, y.client_keys);
      });
}

bool SameValidators(const std::vector<proto::Validator>& a,
                    const std::vector<proto::Validator>& b) {
  return std::equal(a.begin(), a.end(), b.begin(), b.end(),
                    [](const proto::Validator& x, const proto::Validator& y) {
                      return x.node_id() == y.node_id() && x.member_id() == y.member_id() &&
                             x.public_key() == y.public_key();
                    });
}

}  // namespace

Status NetworkRules::Check(std::string_view name, std::int64_t value) {
  if (name == kMinFunderBp) {
    if (value < 0 || value > kBasisPointsPerWhole) {
      return Status::InvalidArgument("min_funder_bp must be from 0 to 10000 basis points, got " +
                                     std::to_string(value));
    }
    return Status::Ok();
  }
  return Status::InvalidArgument("unknown network rule \"" + std::string(name) +
                                 "\" (known: min_funder_bp)");
}

bool NetworkRules::IsKnown(std::string_view name) { return name == kMinFunderBp; }

Status NetworkRules::Set(std::string_view name, std::int64_t value) {
  COLEND_RETURN_IF_ERROR(Check(name, value));
  if (name == kMinFunderBp) min_funder_bp = value;
  return Status::Ok();
}

bool operator==(const Genesis& a, const Genesis& b) {
  return a.chain_id == b.chain_id && a.suite == b.suite &&
         a.consortium_ca_pem == b.consortium_ca_pem && SameMembers(a.members, b.members) &&
         SameValidators(a.validators, b.validators) && a.consensus == b.consensus &&
         a.network_rules == b.network_rules;
}

Result<Genesis> ParseGenesis(std::string_view json_bytes) {
  internal::JsonParseOptions options;
  options.max_bytes = kMaxGenesisJsonBytes;
  options.style = PathStyle::kBarePath;
  COLEND_ASSIGN_OR_RETURN(const JsonValue document, internal::ParseJson(json_bytes, options));
  COLEND_ASSIGN_OR_RETURN(ObjectReader top,
                          ObjectReader::Open(document, JsonPlace(PathStyle::kBarePath, "")));
  Genesis genesis;
  COLEND_ASSIGN_OR_RETURN(genesis.chain_id, ReadNameToken(top, "chain_id"));
  COLEND_RETURN_IF_ERROR(ReadSuite(top, &genesis.suite));
  COLEND_RETURN_IF_ERROR(ReadCertificate(top, &genesis.consortium_ca_pem));
  COLEND_RETURN_IF_ERROR(ReadMembers(top, &genesis));
  COLEND_RETURN_IF_ERROR(ReadValidators(top, &genesis));
  COLEND_RETURN_IF_ERROR(ReadConsensus(top, &genesis.consensus));
  COLEND_RETURN_IF_ERROR(ReadNetworkRules(top, &genesis.network_rules));
  COLEND_RETURN_IF_ERROR(top.CheckAllRead());
  const crypto::Digest digest = crypto::Hash(genesis.suite.hash(), AsBytes(json_bytes));
  genesis.genesis_hash.assign(digest.begin(), digest.end());
  return genesis;
}

std::string GenesisToJson(const Genesis& genesis) {
  JsonWriter out(JsonWriter::Layout::kIndented);
  out.BeginObject();
  out.Key("chain_id").String(genesis.chain_id);
  out.Key("crypto_suite").String(genesis.suite.name());
  out.Key("consortium_ca").String(genesis.consortium_ca_pem);
  out.Key("members").BeginArray();
  for (const GenesisMember& member : genesis.members) WriteMember(member, out);
  out.EndArray();
  out.Key("validators").BeginArray();
  for (const proto::Validator& validator : genesis.validators) {
    out.BeginObject();
    out.Key("node_id").String(validator.node_id());
    out.Key("member_id").String(validator.member_id());
    WritePublicKey(validator.public_key(), out);
    out.EndObject();
  }
  out.EndArray();
  WriteConsensus(genesis.consensus, out);
  out.Key("network_rules").BeginObject();
  out.Key(kMinFunderBp).Signed(genesis.network_rules.min_funder_bp);
  out.EndObject();
  out.EndObject();
  return std::move(out).Finish();
}

InitialState InitialStateFromGenesis(const Genesis& genesis) {
  InitialState initial;
  for (const GenesisMember& m : genesis.members) {
    InitialMember member;
    member.id = m.id;
    member.legal_name = m.legal_name;
    member.client_keys = m.client_keys;
    member.tier1_capital = m.tier1_capital.has_value() ? m.tier1_capital->minor() : 0;
    initial.members.push_back(std::move(member));
  }
  initial.validators = genesis.validators;
  initial.min_funder_bp = static_cast<std::uint32_t>(genesis.network_rules.min_funder_bp);
  // G = L + 2, the consensus module's MaxInFlight (consensus/params.h): block h + L + 2 is
  // proposed only by a primary that has executed h + 2, and taken only by a replica that
  // has committed (and so executed) h, so every honest node knows the set decided by block
  // h before the first block that set orders.
  initial.validator_activation_delay = std::uint64_t{genesis.consensus.execution_lag} + 2;
  return initial;
}

}  // namespace colend::contracts

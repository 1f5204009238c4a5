// Who may talk to this node, and the changes to that while it runs: the admission rules of
// the file comment of p2p_network.h (validators, observers, removed ids, revoked
// certificates), SetValidators, SetRevoked, and the certificate expiry checks.
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cctype>
#include <utility>

#include "channel_binding.h"
#include "colend/node/p2p_network.h"
#include "p2p_network_impl.h"

namespace colend::node {
namespace {

using internal::CloseKind;
using internal::Connection;

constexpr std::int64_t kSecondsPerDay = 86400;

std::string Quoted(const std::string& id) {
  return "\"" + id + "\"";
}

std::string Lower(std::string text) {
  for (char& c : text) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return text;
}

std::string InDays(std::int64_t days) {
  if (days <= 0) return "less than a day";
  return std::to_string(days) + (days == 1 ? " day" : " days");
}

}  // namespace

Result<P2pNetwork::Impl::Role> P2pNetwork::Impl::Admit(const Connection& connection) const {
  const internal::PeerCertificate& certificate = connection.certificate();
  const std::string& name = certificate.common_name;
  if (const auto revoked = revoked_.find(certificate.fingerprint); revoked != revoked_.end()) {
    return Status::PermissionDenied("certificate " + certificate.fingerprint + " of " +
                                    Quoted(name) + " is revoked: " + revoked->second);
  }
  if (name == options_.self_id) {
    return Status::PermissionDenied("peer presents this node's own identity " + Quoted(name));
  }
  if (const auto removed = removed_.find(name); removed != removed_.end()) {
    return Status::PermissionDenied(Quoted(name) + " is no longer a validator: " + removed->second);
  }
  if (connection.outbound() && name != connection.expected_peer()) {
    return Status::PermissionDenied("dialled " + Quoted(connection.expected_peer()) +
                                    " but the certificate names " + Quoted(name));
  }
  if (const auto key = validators_.find(name); key != validators_.end()) {
    // On an sm chain the certificate holds a transport key; the Hello's channel binding
    // proves the validator key (OnHello).
    if (!BindsByHello(options_.suite) && key->second != certificate.public_key_der) {
      return Status::PermissionDenied("certificate for " + Quoted(name) +
                                      " holds a public key that is not that validator's key");
    }
    // One connection per pair of validators. An observer node accepts either direction: a
    // validator that is ahead of it may already count it as a validator and dial it.
    const auto peer = peers_.find(name);
    if (!connection.outbound() && self_validator_ && peer != peers_.end() && peer->second.dial &&
        !peer->second.fallback) {
      return Status::PermissionDenied(Quoted(name) + " dialled in, but this node (" +
                                      Quoted(options_.self_id) +
                                      ", the smaller id) is the one that dials it");
    }
    return Role::kValidator;
  }
  if (connection.outbound()) {  // dialled as a validator, which it no longer is
    return Status::PermissionDenied(Quoted(name) + " is no longer a validator");
  }
  if (!options_.allow_observers) {
    return Status::PermissionDenied("certificate names " + Quoted(name) +
                                    ", which is not a validator (observers are not allowed)");
  }
  const auto existing = peers_.find(name);
  const bool replacing = existing != peers_.end() && existing->second.observer;
  if (!replacing && ObserverCount() >= options_.max_observers) {
    return Status::ResourceExhausted("observer " + Quoted(name) +
                                     " refused: " + std::to_string(options_.max_observers) +
                                     " observers (max_observers) already connected");
  }
  return Role::kObserver;
}

Status P2pNetwork::Impl::CheckPeerCertificate(const Connection& connection) {
  return Admit(connection).status();
}

Status P2pNetwork::Impl::CheckBinding(const Connection& connection, const proto::Hello& hello,
                                      const Bytes& validator_key) const {
  // The peer signed as the sender, in its own TLS role (the opposite of ours), to us.
  return internal::VerifyChannelBinding(
      options_.suite, validator_key, AsBytes(hello.channel_binding()), options_.chain_id,
      connection.channel_binding(), hello.node_id(),
      /*sender_is_client=*/!connection.outbound(), options_.self_id);
}

bool P2pNetwork::Impl::HoldsValidatorKey(const Peer& peer, const Bytes& key) const {
  if (peer.up == nullptr) return false;
  if (!BindsByHello(options_.suite)) return peer.up->certificate().public_key_der == key;
  return CheckBinding(*peer.up, peer.hello, key).ok();
}

P2pNetwork::Impl::Peer& P2pNetwork::Impl::AddPeer(const std::string& node_id, bool observer) {
  std::lock_guard<std::mutex> lock(mutex_);
  Peer& peer = peers_[node_id];
  peer.observer = observer;
  peer.info.node_id = node_id;
  peer.info.observer = observer;
  peer.counters = std::make_shared<internal::PeerCounters>();
  peer.redial_timer = std::make_unique<boost::asio::steady_timer>(io_);
  return peer;
}

void P2pNetwork::Impl::AssignEndpoints(const std::vector<PeerEndpoint>& peers) {
  for (auto& [id, peer] : peers_) {
    if (!peer.observer) peer.endpoint = PeerEndpoint{id, "", 0};
  }
  for (const PeerEndpoint& endpoint : peers) {
    if (endpoint.node_id == options_.self_id) continue;
    const auto it = peers_.find(endpoint.node_id);
    if (it == peers_.end() || it->second.observer) {
      spdlog::warn("p2p {}: endpoint of {} ignored: not a validator", options_.self_id,
                   Quoted(endpoint.node_id));
      continue;
    }
    it->second.endpoint = endpoint;
  }
  for (auto& [id, peer] : peers_) {
    if (peer.observer) continue;
    const bool known = !peer.endpoint.host.empty() && peer.endpoint.port != 0;
    const bool ours = !self_validator_ || options_.self_id < id;  // an observer dials everyone
    if (ours && !known && self_validator_) {
      spdlog::warn(
          "p2p {}: no endpoint for validator {}, which this node should dial; "
          "accepting its connection instead",
          options_.self_id, Quoted(id));
    }
    peer.fallback = self_validator_ && !ours && known;
    peer.dial = (ours && known) || peer.fallback;
    std::lock_guard<std::mutex> lock(mutex_);
    peer.info.outbound = peer.dial;
  }
}

std::size_t P2pNetwork::Impl::ObserverCount() const {
  return static_cast<std::size_t>(std::count_if(
      peers_.begin(), peers_.end(), [](const auto& entry) { return entry.second.observer; }));
}

void P2pNetwork::Impl::Disconnect(const std::string& node_id, const std::string& reason) {
  const auto it = peers_.find(node_id);
  if (it == peers_.end() || it->second.up == nullptr) return;
  const std::shared_ptr<Connection> up = it->second.up;
  up->Close(CloseKind::kDisconnected, reason);  // OnPeerDown; redial if this node dials it
}

void P2pNetwork::Impl::DropPeer(const std::string& node_id, const std::string& reason) {
  auto it = peers_.find(node_id);
  if (it == peers_.end()) return;
  Peer& peer = it->second;
  peer.dial = false;
  peer.redial_timer->cancel();
  if (std::shared_ptr<Connection> dialing = std::move(peer.dialing)) dialing->CloseSilently();
  if (const std::shared_ptr<Connection> up = peer.up) {
    up->Close(CloseKind::kDisconnected, reason);  // OnPeerDown for a validator
    if (stopped_) return;
  } else {
    spdlog::info("p2p {}: {} (not connected) dropped: {}", options_.self_id, Quoted(node_id),
                 reason);
  }
  it = peers_.find(node_id);  // an observer's entry is already gone
  if (it == peers_.end()) return;
  std::lock_guard<std::mutex> lock(mutex_);
  peers_.erase(it);
}

void P2pNetwork::Impl::SetValidators(std::map<std::string, Bytes> validator_keys,
                                     std::vector<PeerEndpoint> peers,
                                     std::map<std::string, std::string> removed) {
  if (stopped_) return;
  for (auto& [id, reason] : removed) {
    if (id != options_.self_id && validator_keys.count(id) == 0) removed_[id] = std::move(reason);
  }
  std::erase_if(removed_, [&](const auto& entry) { return validator_keys.count(entry.first); });
  validators_ = std::move(validator_keys);
  const auto self_key = validators_.find(options_.self_id);
  self_validator_ = self_key != validators_.end();
  if (self_validator_ && self_key->second != own_public_key_) {
    spdlog::error(
        "p2p {}: this node's {} does not hold its validator key in the new "
        "validator set: peers will refuse it until it runs with {} for that key",
        options_.self_id, BindsByHello(options_.suite) ? "binding (node) key" : "certificate",
        BindsByHello(options_.suite) ? "a node key" : "a certificate");
  }
  spdlog::info("p2p {}: validator set changed: {} validators; this node is {}", options_.self_id,
               validators_.size(), self_validator_ ? "a validator" : "an observer");

  std::vector<std::pair<std::string, std::string>> drops;
  std::vector<std::pair<std::string, std::string>> rekeyed;
  std::vector<std::string> promotions;
  for (const auto& [id, peer] : peers_) {
    const auto key = validators_.find(id);
    const auto why = removed_.find(id);
    if (key == validators_.end()) {
      if (why != removed_.end()) {
        drops.emplace_back(id, why->second);
      } else if (!peer.observer) {
        drops.emplace_back(id, "no longer in the validator set");
      }
    } else if (peer.observer) {
      promotions.push_back(id);
    } else if (peer.up != nullptr && !HoldsValidatorKey(peer, key->second)) {
      rekeyed.emplace_back(id, "the validator key of " + Quoted(id) + " changed (key rotation); " +
                                   (BindsByHello(options_.suite)
                                        ? "its connection's channel binding was signed with "
                                          "another key"
                                        : "its certificate holds the old key"));
    }
  }
  for (const auto& [id, reason] : drops) {
    DropPeer(id, reason);
    if (stopped_) return;  // by OnPeerDown
  }
  for (const auto& [id, reason] : rekeyed) {
    Disconnect(id, reason);
    if (stopped_) return;
  }
  // An observer that became a validator keeps its connection if its certificate holds its
  // validator key; otherwise it reconnects with the right certificate.
  std::vector<std::string> promoted;
  for (const std::string& id : promotions) {
    const auto it = peers_.find(id);
    if (it == peers_.end()) continue;
    Peer& peer = it->second;
    if (HoldsValidatorKey(peer, validators_.at(id))) {
      std::lock_guard<std::mutex> lock(mutex_);
      peer.observer = false;
      peer.info.observer = false;
      promoted.push_back(id);
    } else {
      DropPeer(id, Quoted(id) + " became a validator, but the " +
                       (BindsByHello(options_.suite) ? "channel binding" : "certificate") +
                       " it connected with as an observer holds another key");
      if (stopped_) return;
    }
  }
  std::map<std::string, bool> dialled_before;
  for (const auto& [id, peer] : peers_) dialled_before[id] = peer.dial;
  for (const auto& [id, key] : validators_) {
    if (id != options_.self_id && peers_.find(id) == peers_.end()) AddPeer(id, /*observer=*/false);
  }
  AssignEndpoints(peers);
  if (started_) {
    for (auto& [id, peer] : peers_) {
      if (!peer.dial || dialled_before[id] || peer.up != nullptr || peer.dialing != nullptr) {
        continue;
      }
      peer.failed_dials = 0;
      peer.redial_timer->cancel();
      if (peer.fallback) {
        ScheduleDial(id);
      } else {
        Dial(id);
      }
    }
  }
  for (const std::string& id : promoted) {
    const auto it = peers_.find(id);
    if (stopped_ || it == peers_.end() || it->second.up == nullptr) continue;
    spdlog::info("p2p {}: observer {} is now a validator; its connection is kept", options_.self_id,
                 Quoted(id));
    handler_->OnPeerUp(id, it->second.hello);
  }
}

void P2pNetwork::Impl::SetRevoked(std::map<std::string, std::string> fingerprint_to_reason) {
  revoked_.clear();
  for (auto& [fingerprint, reason] : fingerprint_to_reason) {
    revoked_[Lower(fingerprint)] = std::move(reason);
  }
  if (const auto own = revoked_.find(own_certificate_.fingerprint); own != revoked_.end()) {
    spdlog::error(
        "p2p {}: this node's own certificate {} is revoked ({}): peers will refuse it "
        "until it runs with a new certificate",
        options_.self_id, own->first, own->second);
  }
  if (stopped_) return;
  std::vector<std::pair<std::string, std::string>> revoked_peers;
  for (const auto& [id, peer] : peers_) {
    if (peer.up == nullptr) continue;
    const std::string& fingerprint = peer.up->certificate().fingerprint;
    if (const auto it = revoked_.find(fingerprint); it != revoked_.end()) {
      revoked_peers.emplace_back(id, "certificate " + fingerprint + " is revoked: " + it->second);
    }
  }
  // Connections still in their handshake are checked again at their Hello.
  for (const auto& [id, reason] : revoked_peers) {
    Disconnect(id, reason);
    if (stopped_) return;
  }
}

std::vector<CertificateExpiry> P2pNetwork::Impl::CertificateExpiries() const {
  std::vector<CertificateExpiry> result{own_certificate_};
  {
    std::lock_guard<std::mutex> lock(mutex_);
    for (const auto& [id, peer] : peers_) {
      if (peer.certificate.has_value()) result.push_back(*peer.certificate);
    }
  }
  if (ca_certificate_.has_value()) result.push_back(*ca_certificate_);
  return result;
}

std::int64_t P2pNetwork::Impl::NowUnix() const {
  if (options_.now_unix_seconds) return options_.now_unix_seconds();
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::optional<std::int64_t> P2pNetwork::Impl::ExpiryWarningDue(
    const CertificateExpiry& certificate) {
  const std::int64_t now = NowUnix();
  const std::int64_t days = internal::DaysLeft(certificate.not_after_unix, now);
  if (days >= kCertificateExpiryWarningDays) return std::nullopt;
  const auto logged = expiry_logged_.find(certificate.fingerprint);
  if (logged != expiry_logged_.end() && now - logged->second < kSecondsPerDay) return std::nullopt;
  expiry_logged_[certificate.fingerprint] = now;
  return days;
}

void P2pNetwork::Impl::CheckExpiry(const CertificateExpiry& certificate, bool own) {
  const std::optional<std::int64_t> days = ExpiryWarningDue(certificate);
  if (!days.has_value()) return;
  const std::int64_t now = NowUnix();
  const std::string date = internal::FormatUtc(certificate.not_after_unix);
  const std::string whose = Quoted(certificate.node_id) + (own ? " (this node" : " (") +
                            (own ? "; SHA-256 " : "SHA-256 ") + certificate.fingerprint + ")";
  if (certificate.not_after_unix <= now) {
    spdlog::error("p2p {}: certificate of {} expired on {}; {}", options_.self_id, whose, date,
                  own ? "peers refuse this node until it runs with a renewed certificate"
                      : "this node refuses that peer until it presents a renewed certificate");
    return;
  }
  spdlog::warn("p2p {}: certificate of {} expires on {}, in {}; renew it before then, or {}",
               options_.self_id, whose, date, InDays(*days),
               own ? "every peer will refuse this node"
                   : "this node will refuse " + Quoted(certificate.node_id));
}

void P2pNetwork::Impl::CheckAuthorityExpiry() {
  if (!ca_certificate_.has_value()) return;
  const CertificateExpiry& ca = *ca_certificate_;
  const std::optional<std::int64_t> days = ExpiryWarningDue(ca);
  if (!days.has_value()) return;
  const std::int64_t now = NowUnix();
  const std::string which = "the consortium CA certificate " + Quoted(ca.node_id) +
                            " (SHA-256 " + ca.fingerprint + ")";
  const std::string date = internal::FormatUtc(ca.not_after_unix);
  if (ca.not_after_unix <= now) {
    spdlog::error("p2p {}: {} expired on {}; no node certificate it issued verifies any more: "
                  "every node needs a new CA certificate and a node certificate from it",
                  options_.self_id, which, date);
    return;
  }
  spdlog::warn("p2p {}: {} expires on {}, in {}; every node certificate it issued stops "
               "verifying then: give every node a renewed CA certificate (and node certificates "
               "from it) before then",
               options_.self_id, which, date, InDays(*days));
}

void P2pNetwork::Impl::CheckCertificates() {
  if (stopped_) return;
  const std::int64_t now = NowUnix();
  std::erase_if(expiry_logged_,
                [now](const auto& entry) { return now - entry.second >= kSecondsPerDay; });
  CheckExpiry(own_certificate_, /*own=*/true);
  CheckAuthorityExpiry();
  std::vector<std::pair<std::string, std::string>> expired;
  for (const auto& [id, peer] : peers_) {
    if (peer.up == nullptr || !peer.certificate.has_value()) continue;
    if (peer.certificate->not_after_unix <= now) {
      expired.emplace_back(id, "certificate " + peer.certificate->fingerprint + " expired on " +
                                   internal::FormatUtc(peer.certificate->not_after_unix));
    } else {
      CheckExpiry(*peer.certificate, /*own=*/false);
    }
  }
  for (const auto& [id, reason] : expired) {
    Disconnect(id, reason);
    if (stopped_) return;
  }
  ArmCertificateTimer();
}

void P2pNetwork::Impl::ArmCertificateTimer() {
  certificate_timer_.expires_after(kCertificateCheckInterval);
  certificate_timer_.async_wait([weak = weak_from_this()](const boost::system::error_code& error) {
    std::shared_ptr<Impl> self = weak.lock();
    if (!error && self != nullptr) self->CheckCertificates();
  });
}

}  // namespace colend::node

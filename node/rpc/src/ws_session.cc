#include "ws_session.h"

#include <algorithm>
#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/websocket.hpp>
#include <chrono>
#include <deque>
#include <map>
#include <string>

#include <spdlog/spdlog.h>

#include "json_rpc.h"
#include "subscriptions.h"

namespace colend::node::rpc {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
using tcp = asio::ip::tcp;

// A frame this large is not read at all: the connection is closed (1009). Below it, a
// message over ws_max_request_bytes is read and answered with an error.
constexpr std::size_t kMaxFrameBytes = 1 << 20;
// Events the hub keeps for sessions slightly behind. Small: an event of a full block holds
// every receipt (a few hundred KB at 1,000 transactions), and storage serves the rest.
constexpr std::size_t kRingBlocks = 32;
// Catch-up renders at most this many heights per turn on the strand, then yields.
constexpr int kPumpBatch = 64;
// After a close for a slow consumer, the TCP connection goes this long after at the latest.
constexpr std::chrono::milliseconds kCloseGrace(2000);
constexpr std::chrono::seconds kHandshakeTimeout(10);

// A message waiting to be written; a live notification keeps its block's commit time.
struct Outgoing {
  std::string text;
  std::chrono::steady_clock::time_point committed_at{};
};

struct Subscription {
  SubscriptionSpec spec;
  std::uint64_t next = 0;  // the next height owed
};

class WsSession final : public EventSink, public std::enable_shared_from_this<WsSession> {
 public:
  WsSession(tcp::socket socket, std::shared_ptr<WsContext> context, std::shared_ptr<void> slot)
      : ws_(std::move(socket)),
        close_timer_(ws_.get_executor()),
        ctx_(std::move(context)),
        slot_(std::move(slot)) {
    ctx_->sessions.Add(1);
  }

  ~WsSession() override {
    ctx_->hub.Unregister(this);
    ctx_->hub.ReleaseSubscriptions(subs_.size());
    ctx_->subscriptions.Add(-static_cast<double>(subs_.size()));
    ctx_->sessions.Add(-1);
  }

  void Start(http::request<http::string_body> request) {
    request_ = std::move(request);
    websocket::stream_base::timeout timeout;
    timeout.handshake_timeout = kHandshakeTimeout;
    timeout.idle_timeout = std::chrono::milliseconds(ctx_->options.idle_timeout_ms);
    timeout.keep_alive_pings = true;  // an idle but live client answers the pings
    ws_.set_option(timeout);
    ws_.set_option(websocket::stream_base::decorator(
        [](websocket::response_type& res) { res.set(http::field::server, "colend"); }));
    ws_.read_message_max(kMaxFrameBytes);
    ws_.async_accept(request_, beast::bind_front_handler(&WsSession::OnAccept, shared_from_this()));
  }

  void OnBlock(std::shared_ptr<const BlockEvent> event) override {
    asio::post(ws_.get_executor(),
               [self = shared_from_this(), event = std::move(event)] { self->Deliver(*event); });
  }

 private:
  void OnAccept(beast::error_code ec) {
    if (ec) return;  // not a WebSocket handshake after all, or gone
    known_head_ = ctx_->hub.Register(shared_from_this(), ctx_->node.BlockNumber());
    accepted_ = true;
    Read();
  }

  void Read() {
    ws_.async_read(in_, beast::bind_front_handler(&WsSession::OnRead, shared_from_this()));
  }

  void OnRead(beast::error_code ec, std::size_t /*bytes*/) {
    if (ec) return Stop();  // closed, too large (Beast answered 1009), timed out or gone
    std::string text = beast::buffers_to_string(in_.data());
    in_.consume(in_.size());
    HandleMessage(text, ws_.got_binary());
    if (closing_) return;
    // Answers wait in the queue like notifications: a client that sends and does not read
    // is not read either until it does (OnWrite resumes), so the queue stays bounded.
    if (!Room()) {
      reading_paused_ = true;
      ctx_->reads_paused.Increment();
      return;
    }
    Read();
  }

  // --- requests ---

  void ReplyError(const json::value& id, int code, std::string message,
                  std::optional<json::object> data = std::nullopt) {
    Answer(json::serialize(ErrorResponse(id, RpcError{code, std::move(message), std::move(data)})));
  }

  // The answer to the request being handled, unless it is a notification.
  void Answer(std::string message) {
    if (answering_) Send(std::move(message), /*live=*/false);
  }

  void HandleMessage(const std::string& text, bool binary) {
    // Until the message reads as JSON-RPC, every problem is answered (with id null).
    answering_ = true;
    const json::value null_id(nullptr);
    if (binary) {
      return ReplyError(null_id, kInvalidRequest,
                        "binary frames are not accepted: send JSON-RPC 2.0 as text frames");
    }
    if (text.size() > ctx_->options.ws_max_request_bytes) {
      return ReplyError(null_id, kInvalidRequest,
                        "request of " + std::to_string(text.size()) +
                            " bytes exceeds the limit of " +
                            std::to_string(ctx_->options.ws_max_request_bytes));
    }
    boost::system::error_code parse_error;
    json::parse_options opts;
    opts.max_depth = 16;
    const json::value request = json::parse(text, parse_error, json::storage_ptr(), opts);
    if (parse_error)
      return ReplyError(null_id, kParseError, "parse error: " + parse_error.message());
    if (!request.is_object()) {
      return ReplyError(
          null_id, kInvalidRequest,
          "invalid request: expected an object, got " + std::string(JsonKindName(request)));
    }
    const json::object& obj = request.get_object();
    const json::value* id = obj.if_contains("id");
    if (id != nullptr && !IsEchoableId(*id)) {
      return ReplyError(null_id, kInvalidRequest,
                        "invalid request: \"id\" must be a string, an integer or null");
    }
    const json::value reply_id = id != nullptr ? *id : null_id;
    const json::value* version = obj.if_contains("jsonrpc");
    if (version == nullptr || !version->is_string() || version->get_string() != "2.0") {
      return ReplyError(reply_id, kInvalidRequest, "invalid request: \"jsonrpc\" must be \"2.0\"");
    }
    const json::value* method = obj.if_contains("method");
    if (method == nullptr || !method->is_string()) {
      return ReplyError(reply_id, kInvalidRequest, "invalid request: \"method\" must be a string");
    }
    // The same envelope as on POST / (docs/api.md, "Requests"): a request without an "id"
    // is a notification, executed and never answered; "params" are named, [] is none.
    answering_ = id != nullptr;
    const json::value* params = obj.if_contains("params");
    if (params != nullptr && !params->is_object() && !params->is_array()) {
      return ReplyError(reply_id, kInvalidRequest,
                        "invalid request: \"params\" must be an object or an array");
    }
    if (params != nullptr && params->is_array() && !params->get_array().empty()) {
      return ReplyError(reply_id, kInvalidParams,
                        "params must be an object of named params (docs/api.md), not a list");
    }
    const json::object* named =
        params != nullptr && params->is_object() ? &params->get_object() : nullptr;
    if (method->get_string() == "subscribe") return Subscribe(reply_id, named);
    if (method->get_string() == "unsubscribe") return Unsubscribe(reply_id, named);
    ReplyError(reply_id, kMethodNotFound,
               "method not found on /ws: \"" + std::string(method->get_string().subview(0, 40)) +
                   "\" (subscribe and unsubscribe are served here; other methods on POST /)");
  }

  void Subscribe(const json::value& id, const json::object* params) {
    Result<SubscriptionSpec> spec = ParseSubscription(params);
    if (!spec.ok()) return ReplyError(id, kInvalidParams, spec.status().message());
    if (subs_.size() >= ctx_->options.ws_max_subscriptions_per_connection) {
      return ReplyError(id, kBusy,
                        "at most " +
                            std::to_string(ctx_->options.ws_max_subscriptions_per_connection) +
                            " subscriptions per connection");
    }
    const std::uint64_t next = spec->from_height.value_or(known_head_ + 1);
    if (next > known_head_ + 1) {
      return ReplyError(id, kInvalidParams,
                        "param \"from_height\": " + std::to_string(next) +
                            " is above the next height " + std::to_string(known_head_ + 1));
    }
    if (!spec->bank.empty()) {
      // The bank must be a member, and its events must be indexed from `next` on.
      BankEventPage page;
      const Result<EventsListed> probe =
          ctx_->node.ListEvents(EventQuery{spec->bank, UINT64_MAX, 0, 0, 1}, &page);
      if (!probe.ok()) {
        return ReplyError(id, ErrorFromStatus(probe.status()).code, probe.status().message());
      }
      if (*probe == EventsListed::kNotMember) {
        return ReplyError(id, kNotFound, "bank " + spec->bank + " is not a member of this chain");
      }
      if (next < page.indexed_from) {
        json::object data;
        data["indexed_from"] = page.indexed_from;
        return ReplyError(id, kNotFound,
                          "param \"from_height\": the event index starts at height " +
                              std::to_string(page.indexed_from),
                          std::move(data));
      }
    }
    if (!ctx_->hub.AcquireSubscription()) {
      return ReplyError(id, kBusy,
                        "the node serves at most " +
                            std::to_string(ctx_->options.ws_max_subscriptions) +
                            " subscriptions: retry later");
    }
    ctx_->subscriptions.Add(1);
    const std::string name = "s" + std::to_string(++last_id_);
    subs_.emplace(name, Subscription{std::move(*spec), next});
    json::object result;
    result["subscription"] = name;
    result["from_height"] = next;
    result["head"] = known_head_;
    Answer(json::serialize(ResultResponse(id, std::move(result))));
    Pump();
  }

  void Unsubscribe(const json::value& id, const json::object* params) {
    ParamReader p(params, "unsubscribe");
    Status s = p.OnlyAllowed({"subscription"});
    Result<std::string> name = s.ok() ? p.RequiredString("subscription") : Result<std::string>(s);
    if (!name.ok()) return ReplyError(id, kInvalidParams, name.status().message());
    if (subs_.erase(*name) == 0) {
      return ReplyError(id, kInvalidParams,
                        "no subscription \"" + name->substr(0, 40) + "\" on this connection");
    }
    ctx_->hub.ReleaseSubscriptions(1);
    ctx_->subscriptions.Add(-1);
    Answer(json::serialize(ResultResponse(id, json::value(true))));
  }

  // --- notifications ---

  // Renders `event` for `sub` and queues it; false if the session had to close.
  bool Render(const std::string& name, Subscription& sub, const BlockEvent& event, bool live) {
    Result<std::optional<json::object>> result = RenderNotification(sub.spec, event, ctx_->node);
    if (!result.ok()) {
      spdlog::warn("rpc: subscription {} at height {}: {}", sub.spec.topic_name, event.height,
                   result.status().ToString());
      CloseWith(websocket::close_code::internal_error, "internal error reading the chain");
      return false;
    }
    sub.next = event.height + 1;
    if (result->has_value()) {
      ctx_->notifications.Increment();
      Send(NotificationMessage(name, sub.spec, event.height, std::move(**result)), live,
           live ? event.committed_at : std::chrono::steady_clock::time_point{});
    }
    return !closing_;
  }

  void Deliver(const BlockEvent& event) {
    if (!accepted_ || closing_) return;
    known_head_ = std::max(known_head_, event.height);
    for (auto& [name, sub] : subs_) {
      if (sub.next != event.height) continue;  // behind: Pump; ahead: already sent
      if (!Render(name, sub, event, /*live=*/true)) return;
    }
    Pump();
  }

  bool Room() const {
    return out_.size() < std::max<std::size_t>(1, ctx_->options.ws_max_queue_messages / 2) &&
           out_bytes_ < std::max<std::size_t>(1, ctx_->options.ws_max_queue_bytes / 2);
  }

  // Catch-up: the subscriptions behind the head, oldest height first, while the queue has
  // room.
  void Pump() {
    for (int step = 0; step < kPumpBatch; ++step) {
      if (closing_ || !Room()) return;
      Subscription* behind = nullptr;
      const std::string* behind_name = nullptr;
      for (auto& [name, sub] : subs_) {
        if (sub.next <= known_head_ && (behind == nullptr || sub.next < behind->next)) {
          behind = &sub;
          behind_name = &name;
        }
      }
      if (behind == nullptr) return;
      std::shared_ptr<const BlockEvent> event = EventAt(behind->next);
      if (!event) return;
      if (!Render(*behind_name, *behind, *event, /*live=*/false)) return;
    }
    asio::post(ws_.get_executor(), [self = shared_from_this()] { self->Pump(); });
  }

  std::shared_ptr<const BlockEvent> EventAt(std::uint64_t height) {
    if (cached_ && cached_->height == height) return cached_;
    cached_ = ctx_->hub.Recent(height);
    if (cached_) return cached_;
    Result<std::shared_ptr<const BlockEvent>> loaded = ctx_->node.LoadBlockEvent(height);
    if (!loaded.ok()) {
      spdlog::warn("rpc: reading block {} for a subscriber: {}", height,
                   loaded.status().ToString());
      CloseWith(websocket::close_code::internal_error, "internal error reading the chain");
      return nullptr;
    }
    cached_ = *loaded;
    return cached_;
  }

  // --- the outbound queue ---

  void Send(std::string message, bool live,
            std::chrono::steady_clock::time_point committed_at = {}) {
    if (closing_) return;
    out_bytes_ += message.size();
    out_.push_back(Outgoing{std::move(message), committed_at});
    if (live && (out_.size() > ctx_->options.ws_max_queue_messages ||
                 out_bytes_ > ctx_->options.ws_max_queue_bytes)) {
      ctx_->slow_consumers.Increment();
      return CloseWith(websocket::close_code::policy_error,
                       "slow consumer: more than " +
                           std::to_string(ctx_->options.ws_max_queue_messages) + " messages or " +
                           std::to_string(ctx_->options.ws_max_queue_bytes) + " bytes waiting");
    }
    Write();
  }

  void Write() {
    if (writing_ || out_.empty() || closing_) return;
    writing_ = true;
    ws_.text(true);
    ws_.async_write(asio::buffer(out_.front().text),
                    beast::bind_front_handler(&WsSession::OnWrite, shared_from_this()));
  }

  void OnWrite(beast::error_code ec, std::size_t /*bytes*/) {
    writing_ = false;
    if (!ec && out_.front().committed_at != std::chrono::steady_clock::time_point{}) {
      ctx_->delivery.Observe(std::chrono::duration<double>(std::chrono::steady_clock::now() -
                                                           out_.front().committed_at)
                                 .count());
    }
    out_bytes_ -= out_.front().text.size();
    out_.pop_front();
    if (ec) return Stop();
    if (closing_) return;
    Write();
    // Requests before catch-up: resumed first, a paused read gets the room this write freed
    // before Pump takes it, so a client far behind can still unsubscribe.
    if (reading_paused_ && Room()) {
      reading_paused_ = false;
      Read();
    }
    Pump();
  }

  // Frees the queue (but the message being written) and closes with `reason`.
  void CloseWith(websocket::close_code code, const std::string& reason) {
    if (closing_) return;
    closing_ = true;
    while (out_.size() > (writing_ ? 1u : 0u)) {
      out_bytes_ -= out_.back().text.size();
      out_.pop_back();
    }
    websocket::close_reason why(code, reason.substr(0, 120));
    ws_.async_close(why, [self = shared_from_this()](beast::error_code) { self->Stop(); });
    close_timer_.expires_after(kCloseGrace);
    close_timer_.async_wait([self = shared_from_this()](beast::error_code ec) {
      if (!ec) self->Stop();
    });
  }

  // Drops the TCP connection; pending operations end with errors and release the session.
  void Stop() {
    closing_ = true;
    close_timer_.cancel();
    beast::get_lowest_layer(ws_).close();
  }

  websocket::stream<beast::tcp_stream> ws_;
  asio::steady_timer close_timer_;
  std::shared_ptr<WsContext> ctx_;
  std::shared_ptr<void> slot_;
  http::request<http::string_body> request_;
  beast::flat_buffer in_;
  bool accepted_ = false;
  bool closing_ = false;
  bool writing_ = false;
  bool reading_paused_ = false;   // no async_read outstanding until the queue has room
  bool answering_ = true;         // the request being handled has an id (or is unreadable)
  std::uint64_t known_head_ = 0;  // the highest height this session knows is committed
  std::uint64_t last_id_ = 0;
  std::map<std::string, Subscription> subs_;
  std::shared_ptr<const BlockEvent> cached_;  // the last event read for catch-up
  std::deque<Outgoing> out_;
  std::size_t out_bytes_ = 0;
};

}  // namespace

WsContext::WsContext(const RpcOptions& opts, NodeApi& node_api, MetricsRegistry& metrics)
    : options(opts),
      node(node_api),
      hub(kRingBlocks, opts.ws_max_subscriptions),
      sessions(metrics.RegisterGauge("colend_ws_sessions", "Open WebSocket sessions on /ws")),
      subscriptions(
          metrics.RegisterGauge("colend_ws_subscriptions", "Active WebSocket subscriptions")),
      slow_consumers(metrics.RegisterCounter(
          "colend_ws_slow_consumers_total",
          "WebSocket sessions closed because their queue passed its bound")),
      reads_paused(metrics.RegisterCounter(
          "colend_ws_reads_paused_total",
          "Times a WebSocket session stopped reading requests until its queue drained")),
      notifications(metrics.RegisterCounter("colend_ws_notifications_total",
                                            "Subscription notifications queued")),
      delivery(metrics.RegisterHistogram(
          "colend_ws_delivery_seconds",
          "Time from a block's commit to its live notification written to a subscriber",
          LatencyBucketsSeconds())) {}

void StartWebSocketSession(tcp::socket socket, http::request<http::string_body> request,
                           std::shared_ptr<WsContext> context, std::shared_ptr<void> slot) {
  std::make_shared<WsSession>(std::move(socket), std::move(context), std::move(slot))
      ->Start(std::move(request));
}

}  // namespace colend::node::rpc

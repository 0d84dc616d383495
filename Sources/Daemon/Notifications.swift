import Crypto
import Foundation
import Reconciler
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// What a notification is about: a transition of one manifest's report, never a pass that
/// ends as the one before it did.
public enum NotificationEvent: String, Sendable, Hashable, CaseIterable, Codable {
    /// A plan was applied and verified (a new declaration).
    case applied
    /// A transient failure began (or its reason changed); retries follow.
    case failed
    /// The manifest stalled: not retried until an input changes.
    case stalled
    /// Drift mode `report` found the database changed by hand (or the drift changed).
    case driftFound
    /// Drift mode `correct` undid changes made by hand.
    case driftCorrected
    /// Ready again after failing or stalling.
    case recovered

    /// The events the move from `old` (the report in force) to `new` is.
    static func transitions(from old: StatusReport?, to new: StatusReport) -> [NotificationEvent] {
        let wasFailing = old.map { !$0.ready && $0.reason.failureClass != nil } ?? false
        if new.ready {
            var events: [NotificationEvent] = []
            // A check after an apply keeps the report's reason: only a new apply is one.
            if let applied = new.lastApplied, applied != old?.lastApplied {
                events.append(new.drift == nil ? .applied : .driftCorrected)
            }
            if wasFailing { events.append(.recovered) }
            return events
        }
        if new.stalled {
            return old?.stalled == true && old?.reason == new.reason ? [] : [.stalled]
        }
        switch new.reason.failureClass {
        case .transient:
            return wasFailing && old?.reason == new.reason && old?.stalled == false ? [] : [.failed]
        case .stalled:
            return []  // reported through `stalled` above
        case nil:
            let drifted = new.reason == .drifted && (old?.reason != .drifted || old?.drift != new.drift)
            return drifted ? [.driftFound] : []
        }
    }
}

/// One receiver of notifications (config `notify.webhooks`).
public struct Webhook: Sendable, Equatable {
    /// The body's shape.
    public enum Format: String, Sendable, Equatable {
        /// drover's JSON document, signed when a secret is given.
        case json
        /// `{"text": …}`, which Slack and compatible chat tools take.
        case slack
    }

    /// Names the webhook in logs and metrics (its URL may carry a token and is never shown).
    public var name: String
    public var url: URL
    public var format: Format
    /// HMAC-SHA256 key: the body's signature goes in `X-Drover-Signature: sha256=<hex>`.
    public var secret: [UInt8]?
    /// Events sent; the others are not.
    public var events: Set<NotificationEvent>

    public init(name: String, url: URL, format: Format, secret: [UInt8]?, events: Set<NotificationEvent>) {
        self.name = name
        self.url = url
        self.format = format
        self.secret = secret
        self.events = events
    }

    public static func == (a: Webhook, b: Webhook) -> Bool {
        a.name == b.name && a.url == b.url && a.format == b.format && a.secret == b.secret && a.events == b.events
    }
}

/// One notification: the event and the report it is about.
public struct Notification: Sendable {
    public var event: NotificationEvent
    /// The manifest's status key.
    public var key: String
    public var report: StatusReport

    /// The JSON body: what happened, where, and why. Reports hold no secret, and the body
    /// takes only their summary fields. `id` is the delivery's, the same on every retry.
    func json(at time: String, id: String) -> Data {
        let body: [String: Any] = [
            "id": id, "event": event.rawValue, "environment": report.environment, "manifest": report.manifest.name,
            "key": key, "file": report.manifest.path, "target": report.target ?? NSNull(),
            "revision": report.revision, "ready": report.ready, "stalled": report.stalled,
            "reason": report.reason.rawValue, "message": report.message, "at": time,
        ]
        return (try? JSONSerialization.data(withJSONObject: body, options: [.sortedKeys])) ?? Data()
    }

    /// The Slack-compatible body.
    func slack() -> Data {
        let text = "[\(report.environment)] \(report.manifest.name) \(event.rawValue) at \(report.revision.prefix(7)): "
            + report.reason.rawValue + (report.message.isEmpty ? "" : ": \(report.message)")
        return (try? JSONSerialization.data(withJSONObject: ["text": text], options: [.sortedKeys])) ?? Data()
    }
}

/// Sends notifications to the webhooks, each on a task of its own with retries (1 s, 2 s,
/// 4 s): a slow or unreachable receiver never holds up a reconcile; it is logged and
/// counted, never fatal.
final class Notifier: Sendable {
    let webhooks: [Webhook]
    private let metrics: DaemonMetrics?
    private let session: URLSession

    init(webhooks: [Webhook], metrics: DaemonMetrics?) {
        self.webhooks = webhooks
        self.metrics = metrics
        let configuration = URLSessionConfiguration.ephemeral
        configuration.timeoutIntervalForRequest = 10
        session = URLSession(configuration: configuration)
    }

    deinit {
        // Replaced on reload: deliveries under way finish, then the session goes.
        session.finishTasksAndInvalidate()
    }

    func send(_ notification: Notification) {
        for webhook in webhooks where webhook.events.contains(notification.event) {
            let time = Reconciler.timestamp(Date())
            // Delivery is at least once (a receiver that answers too late gets a retry): the
            // id lets it drop a repeat.
            let id = UUID().uuidString.lowercased()
            let body = webhook.format == .json ? notification.json(at: time, id: id) : notification.slack()
            var request = URLRequest(url: webhook.url)
            request.httpMethod = "POST"
            request.httpBody = body
            request.setValue("application/json", forHTTPHeaderField: "Content-Type")
            request.setValue(notification.event.rawValue, forHTTPHeaderField: "X-Drover-Event")
            request.setValue(id, forHTTPHeaderField: "X-Drover-Delivery")
            if let secret = webhook.secret {
                let signature = "sha256=" + Self.signature(body, key: secret)
                request.setValue(signature, forHTTPHeaderField: "X-Drover-Signature")
            }
            Task { [session, metrics] in
                let outcome = await Self.deliver(request, session: session)
                metrics?.notified(webhook.name, delivered: outcome == nil)
                if let outcome {
                    Log.event(.warning, "notification_failed", [("webhook", webhook.name),
                                                                ("notification", notification.event.rawValue),
                                                                ("manifest", notification.key), ("error", outcome)])
                } else {
                    Log.event(.debug, "notification_sent", [("webhook", webhook.name),
                                                            ("notification", notification.event.rawValue),
                                                            ("manifest", notification.key)])
                }
            }
        }
    }

    /// HMAC-SHA256 of `body` under `key`, in hex.
    static func signature(_ body: Data, key: [UInt8]) -> String {
        let code = HMAC<SHA256>.authenticationCode(for: body, using: SymmetricKey(data: key))
        return code.map { String(format: "%02x", $0) }.joined()
    }

    /// Posts `request` up to four times; nil once a 2xx answers, else why the last try failed
    /// (the URL is not in it: it may carry a token).
    private static func deliver(_ request: URLRequest, session: URLSession) async -> String? {
        var failure = ""
        for attempt in 0..<4 {
            if attempt > 0 { try? await Task.sleep(for: .seconds(1 << (attempt - 1))) }
            do {
                let (_, response) = try await session.data(for: request)
                let status = (response as? HTTPURLResponse)?.statusCode ?? 0
                if (200..<300).contains(status) { return nil }
                failure = "HTTP \(status)"
            } catch {
                failure = (error as? URLError).map { "URLError \($0.code.rawValue)" } ?? "request failed"
            }
        }
        return failure + " after 4 attempts"
    }
}

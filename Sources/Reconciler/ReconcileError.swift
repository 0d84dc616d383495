/// Why a reconcile stopped, already classed by the reason users will see.
public struct ReconcileError: Error, Sendable, CustomStringConvertible {
    /// The status reason.
    public var reason: Reason
    /// What happened, with file:line or SQLSTATE where there is one. Never a secret.
    public var message: String
    /// Plan steps or differences held back.
    public var pending: [String]

    /// A failure for `reason`.
    public init(_ reason: Reason, _ message: String, pending: [String] = []) {
        self.reason = reason
        self.message = message
        self.pending = pending
    }

    /// `Reason: message`.
    public var description: String { "\(reason.rawValue): \(message)" }
}

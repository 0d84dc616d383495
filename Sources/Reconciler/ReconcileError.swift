/// Why a reconcile stopped, already classed by the reason users will see.
public struct ReconcileError: Error, Sendable, CustomStringConvertible {
    /// The status reason.
    public var reason: Reason
    /// What happened, with file:line or SQLSTATE where there is one. Never a secret.
    public var message: String
    /// Plan steps or differences held back.
    public var pending: [String]
    /// Whether retrying can help: the reason's class unless the failure says otherwise (an
    /// apply error by its SQLSTATE).
    public var failureClass: FailureClass

    /// A failure for `reason`, of the reason's class unless `failureClass` is given.
    public init(_ reason: Reason, _ message: String, pending: [String] = [], failureClass: FailureClass? = nil) {
        self.reason = reason
        self.message = message
        self.pending = pending
        self.failureClass = failureClass ?? reason.failureClass ?? .transient
    }

    /// `Reason: message`.
    public var description: String { "\(reason.rawValue): \(message)" }
}

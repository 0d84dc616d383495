/// A table-level lock mode of PostgreSQL, spelt as `LOCK TABLE … IN … MODE` takes it.
public enum LockLevel: String, Sendable, Hashable, Codable, CaseIterable {
    case accessShare = "ACCESS SHARE"
    case rowShare = "ROW SHARE"
    case rowExclusive = "ROW EXCLUSIVE"
    case shareUpdateExclusive = "SHARE UPDATE EXCLUSIVE"
    case share = "SHARE"
    case shareRowExclusive = "SHARE ROW EXCLUSIVE"
    case exclusive = "EXCLUSIVE"
    case accessExclusive = "ACCESS EXCLUSIVE"
}

/// An extended statistics object (`CREATE STATISTICS`).
public struct StatisticsObject: Sendable, Hashable, Codable {
    /// Qualified name.
    public var name: QualifiedName
    /// The table it is on.
    public var table: QualifiedName
    /// `CREATE STATISTICS …` as `pg_get_statisticsobjdef` prints it.
    public var definition: String
    /// `ALTER STATISTICS … SET STATISTICS n`, when set (nil: the columns' own targets).
    public var target: Int?
    /// `COMMENT ON STATISTICS`.
    public var comment: String?
    /// Owner, when not the role drover connects as.
    public var owner: String?

    /// A statistics object.
    public init(name: QualifiedName, table: QualifiedName, definition: String, target: Int? = nil,
                comment: String? = nil, owner: String? = nil) {
        self.name = name
        self.table = table
        self.definition = definition
        self.target = target
        self.comment = comment
        self.owner = owner
    }
}

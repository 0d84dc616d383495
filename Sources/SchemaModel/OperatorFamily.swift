import SQLText

/// An operator family (`CREATE OPERATOR FAMILY`) with its loose members: the operators and
/// support functions added with `ALTER OPERATOR FAMILY … ADD`, or declared in a class but
/// filed by PostgreSQL under the family (cross-type members). Members a class owns are the
/// class's (`OperatorClass`). A managed kind: its model, query and SQL are all here; members
/// are added and dropped in place.
///
/// Only a superuser may create one (a wrong one can crash the server): on drover's embedded
/// dev server declared SQL cannot, with a superuser `dev.url` it can.
public struct OperatorFamily: ManagedKind {
    public var name: QualifiedName
    /// The index access method, as `pg_am` names it.
    public var method: String
    /// Loose members, ordered by key.
    public var members: [OperatorFamilyMember]
    public var comment: String?
    /// Nil: the role drover connects as.
    public var owner: String?

    public init(name: QualifiedName, method: String, members: [OperatorFamilyMember] = [], comment: String? = nil,
                owner: String? = nil) {
        self.name = name
        self.method = method
        self.members = members
        self.comment = comment
        self.owner = owner
    }

    public static let catalog = "pg_opfamily"
    public static let keyword = "OPERATOR FAMILY"
    public static let skipKeys = (add: SkipKey.addOperatorClass, modify: SkipKey.modifyOperatorClass,
                                  drop: SkipKey.dropOperatorClass)
    /// After the operators and functions that are members, before the classes in it; dropped
    /// after them.
    public static let ranks = (create: 138, drop: 56)

    /// Its loose members.
    public static let parts = OperatorFamilyMember.parts(of: .family)

    /// Operator families of the managed schemas, not those of extensions.
    public static func query(serverVersion: Int) -> String {
        """
            select ns.nspname, f.opfname, am.amname, \(OperatorFamilyMember.members(owner: "f.oid", of: .family)),
                   obj_description(f.oid, 'pg_opfamily'), nullif(pg_get_userbyid(f.opfowner), current_user::text), f.oid
            from pg_opfamily f join ns on ns.oid = f.opfnamespace join pg_am am on am.oid = f.opfmethod
            where \(notInExtension("f.oid"))
            order by 1, 2, 3
            """
    }

    public init(row: [String?]) throws {
        self.init(name: QualifiedName(row[0] ?? "", row[1] ?? ""), method: row[2] ?? "",
                  members: OperatorFamilyMember.parse(row[3]), comment: row[4], owner: row[5])
    }

    public var identity: String { "\(name) USING \(method)" }
    public var exclusionNames: [String] { [name.description] }
    public var sqlName: String { "\(name.sql) USING \(quoteIdentifier(method))" }
    public var wrapped: ManagedObject { .operatorFamily(self) }

    public var createSQL: [String] {
        ["CREATE OPERATOR FAMILY \(sqlName)"] + (members.isEmpty ? [] : [add(members)])
    }

    public var dropSQL: String { "DROP OPERATOR FAMILY \(sqlName)" }

    /// Members dropped and added in place (a changed one is dropped and added again).
    public func alterSQL(from old: OperatorFamily) -> [String]? {
        guard old.method == method else { return nil }
        let kept = Set(members).intersection(old.members)
        let gone = old.members.filter { !kept.contains($0) }
        let new = members.filter { !kept.contains($0) }
        let drop = "ALTER OPERATOR FAMILY \(sqlName) DROP \(gone.map(\.key).joined(separator: ", "))"
        return (gone.isEmpty ? [] : [drop]) + (new.isEmpty ? [] : [add(new)])
    }

    private func add(_ members: [OperatorFamilyMember]) -> String {
        "ALTER OPERATOR FAMILY \(sqlName) ADD \(members.map(\.item).joined(separator: ", "))"
    }
}

/// An operator or support function of an operator family or class, spelled as PostgreSQL's
/// catalog says (`OPERATOR 1 <(integer,bigint)`, `FUNCTION 1 (integer, bigint)
/// btint48cmp(integer,bigint)`); `key` is how `ALTER OPERATOR FAMILY … DROP` names it.
public struct OperatorFamilyMember: Sendable, Hashable, Codable {
    public var key: String
    public var item: String

    public init(key: String, item: String) {
        self.key = key
        self.item = item
    }

    /// What holds a member: its family (a loose member), or a class.
    enum Holder {
        case family, operatorClass
    }

    /// The class that owns the member `member` (an oid expression) of catalog `part`
    /// (`pg_amop`, `pg_amproc`), NULL for a loose one: PostgreSQL records a class's members
    /// as depending on it.
    static func owningClass(of member: String, in part: String) -> String {
        """
        (select x.refobjid from pg_depend x where x.classid = '\(part)'::regclass and x.objid = \(member)
         and x.refclassid = 'pg_opclass'::regclass)
        """
    }

    /// Members (key and item, unit- and record-separated, ordered by key) of the family or
    /// class `owner` (an oid expression): a family's are those no class owns.
    static func members(owner: String, of holder: Holder) -> String {
        func owned(_ part: String) -> String {
            let owningClass = owningClass(of: "m.oid", in: part)
            return switch holder {
            case .family: "\(owningClass) is null"
            case .operatorClass: "\(owningClass) = \(owner)"
            }
        }
        let familyOid = switch holder {
        case .family: owner
        case .operatorClass: "(select opcfamily from pg_opclass where oid = \(owner))"
        }
        let within = "m.amopfamily = \(familyOid)", functionsWithin = "m.amprocfamily = \(familyOid)"
        return """
            (select string_agg(x.key || E'\\x1f' || x.item, E'\\x1e' order by x.key collate "C") from (
                    select format('OPERATOR %s (%s, %s)', m.amopstrategy, format_type(m.amoplefttype, null),
                                  format_type(m.amoprighttype, null)) as key,
                           format('OPERATOR %s %s', m.amopstrategy, m.amopopr::regoperator)
                             || case when m.amoppurpose = 'o' then ' FOR ORDER BY ' || (
                                  select quote_ident(sn.nspname) || '.' || quote_ident(sf.opfname) from pg_opfamily sf
                                  join pg_namespace sn on sn.oid = sf.opfnamespace where sf.oid = m.amopsortfamily)
                                else '' end as item
                    from pg_amop m where \(within) and \(owned("pg_amop"))
                    union all
                    select format('FUNCTION %s (%s, %s)', m.amprocnum, format_type(m.amproclefttype, null),
                                  format_type(m.amprocrighttype, null)),
                           format('FUNCTION %s (%s, %s) %s', m.amprocnum, format_type(m.amproclefttype, null),
                                  format_type(m.amprocrighttype, null), m.amproc::regprocedure)
                    from pg_amproc m where \(functionsWithin) and \(owned("pg_amproc"))) x)
            """
    }

    /// The members of the families (loose ones) or classes as parts (see `ManagedKind.parts`).
    static func parts(of holder: Holder) -> [ManagedPart] {
        [("pg_amop", "amopfamily"), ("pg_amproc", "amprocfamily")].map { part, family in
            let owningClass = owningClass(of: "d.objid", in: part)
            let owner = switch holder {
            case .operatorClass: owningClass
            case .family: "(select m.\(family) from \(part) m where m.oid = d.objid and \(owningClass) is null)"
            }
            return ManagedPart(catalog: part, owner: owner)
        }
    }

    /// The members `members` read.
    static func parse(_ text: String?) -> [OperatorFamilyMember] {
        guard let text, !text.isEmpty else { return [] }
        return text.split(separator: "\u{1e}", omittingEmptySubsequences: false).map { record in
            let parts = record.split(separator: "\u{1f}", maxSplits: 1, omittingEmptySubsequences: false)
            return OperatorFamilyMember(key: String(parts[0]), item: parts.count > 1 ? String(parts[1]) : "")
        }
    }
}

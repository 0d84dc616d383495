import SchemaModel

/// The diff of every managed kind (`ManagedKind`), one way for all: objects matched by kind
/// and identity; a changed definition altered in place where the kind can, else dropped and
/// created; comments and owners compared by themselves. An object that belongs to a table or
/// view the plan drops goes with it: not dropped by itself, created again if still declared.
extension DiffState {
    mutating func diffManagedObjects() {
        let dropped = droppedRelations
        let gone = { (object: ManagedObject) in object.object.relation.map(dropped.contains) ?? false }
        let rebuilt = rebuiltManaged
        let now = Dictionary(current.managed.filter { !gone($0) && !rebuilt.contains($0.key) }
                                 .map { ($0.key, $0.object.leaving(dropped)) },
                             uniquingKeysWith: { a, _ in a })
        let wanted = Set(desired.managed.map(\.key))
        for object in desired.managed {
            let new = object.object
            let kind = type(of: new)
            let target = CommentTarget.managed(keyword: kind.keyword, name: new.sqlName)
            if let reason = new.refusal(from: now[object.key]?.object) {
                unsupported.append(.init(reason))
                continue
            }
            guard let existing = now[object.key] else {
                create(object)
                continue
            }
            let old = existing.object
            if new.mustReplace(old) {
                changes.append(.dropObject(existing))
                create(object)
                continue
            }
            if !new.sameDefinition(asAny: old) { changes.append(.alterObject(object, from: existing)) }
            comment(target, desired: new.comment, current: old.comment)
            owner(kind.keyword, new.sqlName, desired: new.owner, current: old.owner, created: false)
            grants(new, current: old.privileges)
        }
        for object in current.managed where !gone(object) {
            if !wanted.contains(object.key) || rebuilt.contains(object.key) { changes.append(.dropObject(object)) }
        }
    }

    /// Managed objects of the current database that go or are dropped to be created anew:
    /// what depends on them is rebuilt.
    var replacedManagedObjects: [ObjectKey] {
        let wanted = Dictionary(desired.managed.map { ($0.key, $0.object) }, uniquingKeysWith: { a, _ in a })
        return current.managed.filter { object in
            guard let new = wanted[object.key] else { return true }
            return new.mustReplace(object.object)
        }.map(\.dependencyKey)
    }

    /// `object` created, with its comment and owner.
    private mutating func create(_ object: ManagedObject) {
        let new = object.object
        let kind = type(of: new)
        changes.append(.createObject(object))
        comment(.managed(keyword: kind.keyword, name: new.sqlName), desired: new.comment, current: nil)
        owner(kind.keyword, new.sqlName, desired: new.owner, current: nil, created: true)
        grants(new, current: nil)
    }

    /// Grants and revokes turning `current` (nil: a new object's) into `object`'s privileges.
    private mutating func grants(_ object: any ManagedKind, current: [Grant]?) {
        guard let spec = type(of: object).privilegeSpec else { return }
        privileges(.managed(keyword: spec.keyword, name: object.sqlName), owner: object.owner,
                   desired: object.privileges, current: current ?? spec.initial)
    }
}

import Foundation
import Manifest
import Postgres
import SchemaDiff
import SchemaInspector
import SchemaModel
import SchemaPlanner
import SQLText

/// The engine behind the one-shot commands (`plan`, `apply`, `diff`, `inspect`): the same
/// normalise → inspect → diff → plan → apply path the daemon takes, driven by URLs and files.
public final class SchemaEngine {
    /// What a desired-schema file declares.
    public struct Desired {
        /// The normalised model.
        public var model: SchemaModel
        /// Managed schemas (from a manifest's `spec.schemas`; empty: all).
        public var schemas: [String]
        /// Whether the manifest allows destructive changes.
        public var allowDestructive: Bool
        /// The manifest's exclusions and skipped change kinds.
        public var policy = DiffPolicy()
        /// Things the user should know (e.g. a dev server of another major version).
        public var warnings: [String] = []
        /// A manifest's `spec.txMode` and `concurrent_index` (online: as the engine says).
        public var mode = ApplyMode()
        /// The rows its INSERT statements declare.
        public var data = ReferenceData()
        /// The manifest's `drover.dev/data` mode (sync for a `.sql` file).
        public var dataMode = DataMode.sync
    }

    let normaliser: Normaliser
    private let settings: ApplySettings
    /// Where lines on the progress of long online steps go (nil: nowhere).
    public var progress: (@Sendable (String) -> Void)?
    /// Whether changes on tables that hold rows run online (`--online/--no-online`).
    public var online = true

    /// An engine normalising on `dev`.
    public init(dev: DevServer, settings: ApplySettings = ApplySettings()) {
        self.normaliser = Normaliser(dev: dev)
        self.settings = settings
    }

    /// Reads `path`, a `.sql` file or a manifest (its first AtlasSchema document), and
    /// normalises the SQL it declares: on a dev server of the same major version as the
    /// database at `targetURL` where it can, so definitions are spelled as the target spells
    /// them.
    public func desired(from path: String, targetURL: String? = nil) throws(ReconcileError) -> Desired {
        // The target is needed next anyway: one that cannot be reached fails now, not after
        // a second connect timeout.
        var targetVersion: Int?
        if let targetURL {
            let connection = try connect(targetURL)
            targetVersion = connection.serverVersionNumber / 10000
            connection.close()
        }
        var desired = try declared(in: path, targetMajorVersion: targetVersion)
        desired.result.warnings += desired.normalised.warnings(targetMajorVersion: targetVersion)
        return desired.result
    }

    private func declared(in path: String, targetMajorVersion: Int?) throws(ReconcileError)
        -> (result: Desired, normalised: Normaliser.Normalised) {
        guard let data = FileManager.default.contents(atPath: path), let text = String(data: data, encoding: .utf8) else {
            throw ReconcileError(.invalidManifest, "\(path): cannot read the file")
        }
        guard path.hasSuffix(".yaml") || path.hasSuffix(".yml") else {
            let normalised = try normaliser.normalise(text, origin: SourceLocation(file: path, line: 1, column: 1), schemas: [],
                                                      targetMajorVersion: targetMajorVersion)
            var result = Desired(model: normalised.model, schemas: [], allowDestructive: false,
                                 policy: DiffPolicy(conversions: normalised.conversions))
            result.data = normalised.data
            return (result, normalised)
        }
        let documents: [ParsedDocument]
        do {
            documents = try ManifestParser.parse(text, file: path)
        } catch {
            throw ReconcileError(.invalidManifest, error.description)
        }
        var configMaps: [String: ConfigMap] = [:]
        var schema: AtlasSchema?
        for document in documents {
            switch document.result {
            case .failure(let error): throw ReconcileError(.invalidManifest, error.description)
            case .success(.configMap(let map)): configMaps[map.name] = map
            case .success(.atlasSchema(let found)): schema = schema ?? found
            case .success(.other): continue
            }
        }
        guard let schema else { throw ReconcileError(.invalidManifest, "\(path): no AtlasSchema document") }
        let (sql, origin) = try Reconciler.desiredSQL(schema, configMaps: configMaps)
        let normalised = try normaliser.normalise(sql, origin: origin, schemas: schema.schemas,
                                                  targetMajorVersion: targetMajorVersion)
        var result = Desired(model: normalised.model, schemas: schema.schemas,
                             allowDestructive: !schema.policy.destructiveIsError,
                             policy: DiffPolicy(exclude: schema.exclude, skip: schema.policy.skip,
                                                conversions: normalised.conversions))
        result.mode = ApplyMode(schema, online: true)
        result.data = normalised.data
        result.dataMode = try Reconciler.dataMode(schema)
        return (result, normalised)
    }

    /// The plan that makes the database at `url` match `desired`.
    public func plan(url: String, desired: Desired) throws(ReconcileError) -> Plan {
        let connection = try connect(url)
        defer { connection.close() }
        return try applier(desired).plan(desired: desired.model, schemas: desired.schemas, on: connection)
    }

    /// An applier with `desired`'s policy and mode, online steps as this engine says.
    private func applier(_ desired: Desired) -> Applier {
        var applier = Applier(settings: settings, policy: desired.policy)
        applier.mode = desired.mode
        applier.mode.online = online
        applier.data = desired.data
        applier.dataMode = desired.dataMode
        return applier
    }

    /// Applies and verifies; returns the applied plan, or nil when nothing needed doing.
    public func apply(url: String, desired: Desired, allowDestructive: Bool) throws(ReconcileError) -> Plan? {
        let connection = try connect(url)
        defer { connection.close() }
        var applier = applier(desired)
        applier.progress = progress.map { ApplyProgress(connect: { try Connection(url) }, report: $0) }
        return try applier.apply(desired: desired.model, schemas: desired.schemas,
                                 allowDestructive: allowDestructive || desired.allowDestructive, on: connection)
    }

    /// The managed schema of the database at `url`.
    public func inspect(url: String, schemas: [String] = []) throws(ReconcileError) -> SchemaModel {
        try Self.inspect(url: url, schemas: schemas)
    }

    /// The plan that turns the database at `from` into the one at `to`, with the rows of the
    /// reference tables `tables` (`schema.table`, synced from `to`). The two databases
    /// are inspected at the same time, each on its own connection and thread: the catalog
    /// queries, not drover, are where the time goes.
    public func diff(from: String, to: String, tables: [String] = []) throws(ReconcileError) -> Plan {
        let results = InspectionResults()
        let urls = [from, to]
        DispatchQueue.concurrentPerform(iterations: 2) { index in
            results.set(index, Result { () throws(ReconcileError) -> SchemaModel in try Self.inspect(url: urls[index], schemas: []) })
        }
        var plan = try Applier.plan(SchemaDiffer.diff(desired: try results.get(1), current: try results.get(0)))
        if !tables.isEmpty {
            var applier = Applier(settings: settings)
            let source = try connect(to)
            defer { source.close() }
            applier.data = try ReferenceCapture(connection: source).named(tables)
            let target = try connect(from)
            defer { target.close() }
            plan = try applier.withRows(plan, on: target)
        }
        // Freeing two models of thousands of tables takes milliseconds of the main thread;
        // the last reference is dropped on another thread so the caller does not wait.
        DispatchQueue.global(qos: .utility).async { withExtendedLifetime(results) {} }
        return plan
    }

    private static func inspect(url: String, schemas: [String]) throws(ReconcileError) -> SchemaModel {
        let connection: Connection
        do {
            connection = try Connection(url)
        } catch {
            throw ReconcileError(.targetUnreachable, "\(error)")
        }
        defer { connection.close() }
        do {
            return try SchemaInspector(schemas: schemas).inspect(connection)
        } catch {
            throw ReconcileError(.applyFailed, "cannot inspect: \(error)")
        }
    }

    private func connect(_ url: String) throws(ReconcileError) -> Connection {
        do {
            return try Connection(url)
        } catch {
            throw ReconcileError(.targetUnreachable, "\(error)")
        }
    }
}
/// The planner's plan, under a name that does not clash with the `plan` command.
public typealias PlanResult = SchemaPlanner.Plan

extension SchemaEngine {
    /// `model` as an SQL script that creates it in an empty database (which already has the
    /// `public` schema). Objects of kinds the engine cannot create yet are listed as comments.
    public static func script(for model: SchemaModel) -> String {
        // The public schema exists already, with privileges the script cannot know: taken as they are.
        let base = SchemaModel(schemas: model.schemas.filter { $0.name == "public" }.map { Schema(name: $0.name, privileges: $0.privileges) })
        var emptyish = model
        emptyish.otherObjects = []
        let plan = Planner.plan(SchemaDiffer.diff(desired: emptyish, current: base))
        var lines = plan.steps.map { $0.sql + ";" }
        // Functions come before the tables their bodies may read, as in the apply transaction.
        if !model.routines.isEmpty { lines.insert("SET check_function_bodies = off;", at: 0) }
        lines += model.otherObjects.map { "-- not rendered (not supported yet): \(escapingControlCharacters($0.description))" }
        return lines.joined(separator: "\n")
    }
}

/// Results of inspections running on other threads, handed back under a lock.
private final class InspectionResults: @unchecked Sendable {
    private let lock = NSLock()
    private var results: [Int: Result<SchemaModel, ReconcileError>] = [:]

    func set(_ index: Int, _ result: Result<SchemaModel, ReconcileError>) {
        lock.lock()
        results[index] = result
        lock.unlock()
    }

    func get(_ index: Int) throws(ReconcileError) -> SchemaModel {
        lock.lock()
        let result = results[index]
        lock.unlock()
        guard let result else { throw ReconcileError(.applyFailed, "inspection \(index) did not run") }
        return try result.get()
    }
}

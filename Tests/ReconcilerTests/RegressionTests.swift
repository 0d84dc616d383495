import Foundation
@testable import Reconciler
import Testing
import TestSupport

/// Plans that once failed against a real server; each must now apply and converge.
@Suite struct ApplyRegressionTests {
    static let cases: [(name: String, current: String, desired: String)] = [
        ("new enum value used in the same plan",
         "create type c as enum ('red', 'green'); create table t (id int, f c); insert into t values (1, 'red');",
         "create type c as enum ('red', 'amber', 'green'); create table t (id int, f c default 'amber' check (f <> 'green'));"),
        ("enum rebuilt while the column default is removed",
         "create type c as enum ('red', 'green', 'x'); create table t (id int, f c default 'red'); insert into t values (1, 'green');",
         "create type c as enum ('red', 'green'); create table t (id int, f c);"),
        ("foreign key to a column with only a unique index",
         "",
         "create table p (a int); create unique index p_a on p (a); create table c (a int references p (a));"),
        ("owning column dropped, sequence kept free-standing",
         "create table t (a int, b int); create sequence s owned by t.a;",
         "create table t (b int); create sequence s;"),
    ]

    @Test(arguments: cases.indices)
    func appliesAndConverges(index: Int) throws {
        let scenario = Self.cases[index]
        let database = try TestPostgres.shared.makeDatabase(prefix: "regress")
        defer { try? database.drop() }
        if !scenario.current.isEmpty { try Integration.run(scenario.current, on: database) }
        let engine = try Integration.engine()
        let desired = try Integration.desired(scenario.desired, engine: engine)
        let applied = try engine.apply(url: database.connectionString, desired: desired, allowDestructive: true)
        #expect(applied != nil, "\(scenario.name)")
        let left = try engine.plan(url: database.connectionString, desired: desired)
        #expect(left.isEmpty, "\(scenario.name): not converged:\n\(left.sql)")
        #expect(try engine.inspect(url: database.connectionString) == desired.model, "\(scenario.name)")
    }
}

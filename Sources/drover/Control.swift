import ArgumentParser
import Daemon
import Foundation
import Git
import Reconciler

/// The control socket of the daemon running with `config`.
private func controlPath(_ config: String) -> (socket: String, mirror: String) {
    do {
        let loaded = try DaemonConfig.load(path: config)
        return (ControlServer.path(stateDirectory: loaded.stateDirectory), loaded.stateDirectory + "/mirror.git")
    } catch {
        fail("invalid config: \(error)", code: 78)
    }
}

struct ReconcileNow: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "reconcile",
        abstract: "Ask the running daemon for an immediate pass over some manifests, or all (stalled ones too).")

    @Option(name: .long, help: "The daemon config file (YAML).") var config: String
    @Argument(help: "Manifest names (metadata.name) or status keys.") var names: [String] = []
    @Flag(name: .long, help: "Every manifest.") var all = false
    @Flag(name: .customLong("with-source"), help: "Fetch the source first, so the pass sees the latest commit.")
    var withSource = false

    func validate() throws {
        guard names.isEmpty == all else { throw ValidationError("name the manifests, or give --all (not both)") }
    }

    func run() throws {
        let path = controlPath(config).socket
        let response: ControlResponse
        do {
            response = try ControlClient.send(.init(.reconcile, manifests: all ? nil : names, withSource: withSource),
                                              path: path)
        } catch {
            fail("\(error)")
        }
        if let error = response.error { fail(error) }
        print("pass requested for \(response.accepted?.count ?? 0) manifest(s)"
              + (withSource ? ", after a source sync" : "") + ": " + (response.accepted ?? []).joined(separator: ", "))
    }
}

struct Wait: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Wait until a manifest is Ready at a revision (or a later one that includes it).",
        discussion: "Exits 0 once Ready, 1 when stalled at that revision, 2 at the timeout.")

    @Option(name: .long, help: "The daemon config file (YAML).") var config: String
    @Argument(help: "Manifest name (metadata.name) or status key.") var name: String
    @Option(name: .long, help: "The full commit id the manifest must be reconciled at.") var revision: String
    @Option(name: .long, help: "How long to wait: seconds, or 30s, 10m, 1h.") var timeout: String = "10m"

    func run() throws {
        guard let wanted = ObjectID(hex: revision.lowercased()) else {
            fail("--revision must be a full commit id (40 hex digits), e.g. from git rev-parse HEAD", code: 64)
        }
        guard let seconds = Self.seconds(timeout) else { fail("--timeout must be like 90, 30s, 10m or 1h", code: 64) }
        let (socket, mirror) = controlPath(config)
        let deadline = Date().addingTimeInterval(seconds)
        var last = "no answer from the daemon yet"
        while Date() < deadline {
            do {
                let response = try ControlClient.send(.init(.report, manifests: [name]), path: socket)
                if let error = response.error {
                    last = error
                } else if let report = response.report,
                          ControlClient.includes(report, revision: wanted, mirror: mirror) {
                    let line = "\(report.manifest.name) at \(report.revision.prefix(7)): \(report.reason.rawValue)"
                        + (report.message.isEmpty ? "" : ": \(report.message)")
                    if report.ready { print(line); return }
                    if report.stalled { fail("stalled: " + line) }
                    last = line
                } else {
                    last = response.report.map {
                        "reported at \($0.revision.prefix(7)), not yet at \(revision.prefix(7))"
                    } ?? "not reported yet"
                }
            } catch {
                last = "\(error)"
            }
            Thread.sleep(forTimeInterval: 1)
        }
        fail("timed out after \(timeout) waiting for \(name) at \(revision.prefix(7)): \(last)", code: 2)
    }

    static func seconds(_ text: String) -> Double? {
        let units: [Character: Double] = ["s": 1, "m": 60, "h": 3600]
        if let unit = text.last.flatMap({ units[$0] }) { return Double(text.dropLast()).map { $0 * unit } }
        return Double(text)
    }
}

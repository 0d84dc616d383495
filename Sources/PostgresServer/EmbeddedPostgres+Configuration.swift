extension EmbeddedPostgres {
    /// Where and how to run a private cluster.
    public struct Configuration: Sendable {
        /// The directory holding `data/`, `run/` (the socket) and `log/`; created if missing.
        public var baseDirectory: String
        /// The port number. With Unix sockets only it just names the socket file
        /// (`.s.PGSQL.<port>`), so clusters in different directories can share it.
        public var port: Int
        /// A PostgreSQL major version to insist on; nil takes the version that initialised
        /// an existing data directory, else the default installation.
        public var majorVersion: Int?
        /// A directory with the server binaries, bypassing the search.
        public var binDirectory: String?
        /// False turns off fsync, synchronous commit and full-page writes: only for
        /// throwaway test clusters, where a crash may lose data.
        public var fsync: Bool
        /// Extra server settings, passed as `-c key=value`.
        public var settings: [String: String]
        /// The database superuser initdb creates.
        public var superuser: String
        /// The OS user that runs initdb and the server when the process runs as root
        /// (PostgreSQL refuses to run as root). Ignored otherwise.
        public var serverUser: String
        /// Seconds `pg_ctl` waits for start-up and shutdown.
        public var timeoutSeconds: Int

        /// Creates a configuration with production-safe defaults.
        public init(
            baseDirectory: String,
            port: Int = 5432,
            majorVersion: Int? = nil,
            binDirectory: String? = nil,
            fsync: Bool = true,
            settings: [String: String] = [:],
            superuser: String = "postgres",
            serverUser: String = "postgres",
            timeoutSeconds: Int = 60
        ) {
            self.baseDirectory = baseDirectory
            self.port = port
            self.majorVersion = majorVersion
            self.binDirectory = binDirectory
            self.fsync = fsync
            self.settings = settings
            self.superuser = superuser
            self.serverUser = serverUser
            self.timeoutSeconds = timeoutSeconds
        }
    }
}

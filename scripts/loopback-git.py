#!/usr/bin/env python3
"""Real git servers on loopback for the SSH and HTTPS tests.

    loopback-git.py start DIR    start sshd and an HTTPS git server, write DIR/servers.json
    loopback-git.py stop DIR     stop them

Under DIR: repos/ (bare repositories served by both), ssh/ (host key, deploy keys, a wrong
key, known_hosts and a known_hosts with another host key), https/ (a private CA, the server
certificate, and `token`, the basic-auth password, re-read at every request so a test can
rotate it), logs/. Needs sshd (openssh-server), ssh-keygen, openssl and git; nothing is
installed here.
"""
import base64
import json
import os
import pwd
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

USERNAME = "drover"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def run(*args, **kwargs):
    subprocess.run(args, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, **kwargs)


def need(tool, package):
    path = shutil.which(tool) or (tool if os.path.exists(tool) else None)
    if not path:
        sys.exit(f"loopback-git: {tool} not found; install the Debian package {package}")
    return path


def wait_for(port, what):
    for _ in range(100):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return
        except OSError:
            time.sleep(0.1)
    sys.exit(f"loopback-git: {what} did not start on port {port}")


def login_user():
    """The user the deploy keys log in as: whoever runs this. sshd without PAM refuses a
    locked account (password field starting with '!') even for public keys."""
    user = pwd.getpwuid(os.getuid()).pw_name
    try:
        with open("/etc/shadow") as f:
            for line in f:
                name, _, rest = line.partition(":")
                if name == user and rest.startswith("!"):
                    sys.exit(f"loopback-git: the account {user} is locked ('!' in /etc/shadow), so sshd "
                             f"(UsePAM no) refuses key logins; unlock it with: usermod -p '*' {user}")
    except OSError:
        pass  # not root: /etc/shadow is unreadable, let sshd decide
    return user


def start(base):
    sshd = need("/usr/sbin/sshd", "openssh-server")
    need("ssh-keygen", "openssh-client")
    need("openssl", "openssl")
    need("git", "git")
    user = login_user()
    for sub in ("repos", "ssh", "https", "logs"):
        os.makedirs(os.path.join(base, sub), exist_ok=True)
    ssh_dir, https_dir = os.path.join(base, "ssh"), os.path.join(base, "https")

    # SSH: a host key, the authorized deploy keys (one with a passphrase), a wrong key.
    for name, passphrase in (("host_key", ""), ("other_host_key", ""), ("deploy_key", ""),
                             ("deploy_key_pass", "correct horse"), ("wrong_key", "")):
        run("ssh-keygen", "-q", "-t", "ed25519", "-N", passphrase, "-C", name, "-f", os.path.join(ssh_dir, name))
    with open(os.path.join(ssh_dir, "deploy_key_pass.passphrase"), "w") as f:
        f.write("correct horse\n")
    with open(os.path.join(ssh_dir, "authorized_keys"), "w") as f:
        for name in ("deploy_key", "deploy_key_pass"):
            f.write(open(os.path.join(ssh_dir, name + ".pub")).read())
    ssh_port = free_port()
    for name, key in (("known_hosts", "host_key"), ("known_hosts_wrong", "other_host_key")):
        kind, blob = open(os.path.join(ssh_dir, key + ".pub")).read().split()[:2]
        with open(os.path.join(ssh_dir, name), "w") as f:
            f.write(f"[127.0.0.1]:{ssh_port} {kind} {blob}\n")
    config = os.path.join(ssh_dir, "sshd_config")
    with open(config, "w") as f:
        f.write(f"""Port {ssh_port}
ListenAddress 127.0.0.1
HostKey {ssh_dir}/host_key
PidFile {ssh_dir}/sshd.pid
AuthorizedKeysFile {ssh_dir}/authorized_keys
PermitRootLogin prohibit-password
PubkeyAuthentication yes
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
StrictModes no
LogLevel VERBOSE
""")
    try:
        os.makedirs("/run/sshd", mode=0o755, exist_ok=True)  # privilege separation directory
    except PermissionError:
        pass  # not root: sshd runs unprivileged and does not need it
    run(sshd, "-f", config, "-E", os.path.join(base, "logs", "sshd.log"))
    wait_for(ssh_port, "sshd")

    # HTTPS: a private CA and a certificate for 127.0.0.1 / localhost.
    ca_key, ca_pem = os.path.join(https_dir, "ca.key"), os.path.join(https_dir, "ca.pem")
    key, csr, cert = (os.path.join(https_dir, n) for n in ("server.key", "server.csr", "server.pem"))
    run("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", ca_key, "-out", ca_pem,
        "-days", "2", "-subj", "/CN=drover test CA")
    run("openssl", "req", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", csr, "-subj", "/CN=127.0.0.1")
    ext = os.path.join(https_dir, "san.ext")
    with open(ext, "w") as f:
        # DNS:127.0.0.1 too: mbedTLS (libgit2's TLS on Debian) matches host names against
        # DNS entries only.
        f.write("subjectAltName=IP:127.0.0.1,DNS:127.0.0.1,DNS:localhost\n")
    run("openssl", "x509", "-req", "-in", csr, "-CA", ca_pem, "-CAkey", ca_key, "-CAcreateserial",
        "-out", cert, "-days", "2", "-extfile", ext)
    with open(os.path.join(https_dir, "token"), "w") as f:
        f.write(base64.b32encode(os.urandom(10)).decode().lower() + "\n")
    https_port = free_port()
    log = open(os.path.join(base, "logs", "https.log"), "ab")
    server = subprocess.Popen([sys.executable, os.path.abspath(__file__), "serve-https", base, str(https_port)],
                              stdout=log, stderr=log, stdin=subprocess.DEVNULL, start_new_session=True)
    wait_for(https_port, "the HTTPS git server")

    repos = os.path.join(base, "repos")
    info = {
        "ssh_port": ssh_port, "ssh_user": user, "ssh_url_prefix": f"ssh://{user}@127.0.0.1:{ssh_port}{repos}",
        "https_port": https_port, "https_url_prefix": f"https://127.0.0.1:{https_port}",
        "repos": repos, "ca_path": ca_pem, "token_path": os.path.join(https_dir, "token"), "username": USERNAME,
        "deploy_key": os.path.join(ssh_dir, "deploy_key"), "deploy_key_pass": os.path.join(ssh_dir, "deploy_key_pass"),
        "deploy_key_passphrase_path": os.path.join(ssh_dir, "deploy_key_pass.passphrase"),
        "wrong_key": os.path.join(ssh_dir, "wrong_key"), "known_hosts": os.path.join(ssh_dir, "known_hosts"),
        "known_hosts_wrong": os.path.join(ssh_dir, "known_hosts_wrong"),
        "pids": [int(open(os.path.join(ssh_dir, "sshd.pid")).read()), server.pid],
    }
    with open(os.path.join(base, "servers.json"), "w") as f:
        json.dump(info, f, indent=1)


def running(pid):
    """Alive and not a zombie (an orphan whose reaper never waits stays a zombie)."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rpartition(")")[2].split()[0] != "Z"
    except OSError:
        return False


def ours(pid, base):
    """The process still is one of our servers (its command line names DIR), not a
    stranger that got the PID after ours died."""
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            return base.encode() in f.read()
    except OSError:
        return False


def stop(base):
    try:
        pids = json.load(open(os.path.join(base, "servers.json")))["pids"]
    except (OSError, ValueError, KeyError):
        return
    pids = [pid for pid in pids if ours(pid, base)]
    for sig in (signal.SIGTERM, signal.SIGKILL):
        for pid in pids:
            try:
                os.kill(pid, sig)
            except ProcessLookupError:
                pass
        for _ in range(50):
            if not any(running(pid) for pid in pids):
                return
            time.sleep(0.05)


class GitHandler(BaseHTTPRequestHandler):
    """Basic auth, then `git http-backend` as a CGI program."""
    base = ""
    backend = ""
    timeout = 60  # a client that stalls frees its thread

    def authorized(self):
        header = self.headers.get("Authorization", "")
        if not header.startswith("Basic "):
            return False
        try:
            user, _, password = base64.b64decode(header[6:]).decode().partition(":")
        except ValueError:
            return False
        token = open(os.path.join(self.base, "https", "token")).read().strip()
        return user == USERNAME and password == token

    def body(self):
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            data = b""
            while True:
                size = int(self.rfile.readline().strip().split(b";")[0], 16)
                if size == 0:
                    while self.rfile.readline().strip():
                        pass
                    return data
                data += self.rfile.read(size)
                self.rfile.readline()
        return self.rfile.read(int(self.headers.get("Content-Length") or 0))

    def handle_git(self):
        if not self.authorized():
            self.send_response(401)
            self.send_header("WWW-Authenticate", 'Basic realm="git"')
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        data = self.body() if self.command == "POST" else b""
        path, _, query = self.path.partition("?")
        env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"), "GIT_PROJECT_ROOT": os.path.join(self.base, "repos"),
            "GIT_HTTP_EXPORT_ALL": "1", "GIT_CONFIG_COUNT": "1", "GIT_CONFIG_KEY_0": "http.receivepack",
            "GIT_CONFIG_VALUE_0": "true", "GATEWAY_INTERFACE": "CGI/1.1", "REQUEST_METHOD": self.command,
            "PATH_INFO": path, "QUERY_STRING": query, "REMOTE_USER": USERNAME, "REMOTE_ADDR": "127.0.0.1",
            "CONTENT_TYPE": self.headers.get("Content-Type", ""), "CONTENT_LENGTH": str(len(data)),
        }
        if self.headers.get("Content-Encoding"):
            env["HTTP_CONTENT_ENCODING"] = self.headers["Content-Encoding"]
        if self.headers.get("Git-Protocol"):
            env["GIT_PROTOCOL"] = self.headers["Git-Protocol"]
        output = subprocess.run([self.backend], input=data, env=env, stdout=subprocess.PIPE, check=False).stdout
        head, _, content = output.partition(b"\r\n\r\n")
        if not _:
            head, _, content = output.partition(b"\n\n")
        status, headers = 200, []
        for line in head.decode("latin-1").splitlines():
            name, _, value = line.partition(":")
            if name.lower() == "status":
                status = int(value.strip().split()[0])
            elif name:
                headers.append((name, value.strip()))
        self.send_response(status)
        for name, value in headers:
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(content)))
        self.end_headers()
        self.wfile.write(content)

    do_GET = handle_git
    do_POST = handle_git

    def log_message(self, format, *args):
        sys.stderr.write("%s %s\n" % (self.address_string(), format % args))


def serve_https(base, port):
    GitHandler.base = base
    GitHandler.backend = os.path.join(subprocess.check_output(["git", "--exec-path"]).decode().strip(), "git-http-backend")
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(os.path.join(base, "https", "server.pem"), os.path.join(base, "https", "server.key"))
    server = ThreadingHTTPServer(("127.0.0.1", int(port)), GitHandler, bind_and_activate=False)
    signal.signal(signal.SIGTERM, lambda *_: threading.Thread(target=server.shutdown).start())
    # The TLS handshake happens at the first read, in the request's thread: a client that
    # connects and says nothing cannot block accept().
    server.socket = context.wrap_socket(server.socket, server_side=True, do_handshake_on_connect=False)
    server.server_bind()
    server.server_activate()
    server.serve_forever()


if __name__ == "__main__":
    # A parent that spawned us from a thread blocking signals (dispatch does) passes that
    # mask on; with SIGTERM blocked the servers would outlive `stop`.
    signal.pthread_sigmask(signal.SIG_SETMASK, [])
    if len(sys.argv) >= 3 and sys.argv[1] == "start":
        start(os.path.abspath(sys.argv[2]))
    elif len(sys.argv) >= 3 and sys.argv[1] == "stop":
        stop(os.path.abspath(sys.argv[2]))
    elif len(sys.argv) == 4 and sys.argv[1] == "serve-https":
        serve_https(sys.argv[2], sys.argv[3])
    else:
        sys.exit(__doc__)

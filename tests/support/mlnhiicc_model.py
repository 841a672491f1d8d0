"""A stand-in for how the official Linux component (mLNHIICC 20240710.1) starts, for the
component checks' tests (real-component.md section 1):

* the foreground prints the libc line and exits 0 at once, whatever the daemon does next;
* the daemon: setsid, fds 0-2 on /dev/null, umask 027, chdir /tmp, a `lockf` lock on the
  lock file, which then holds its PID; a second daemon finding the lock held leaves
  without a word;
* it appends `YYYYMMDD:HHMMSS,<msg>: <strerror>` lines (some with `\\r\\n` inside) to
  `<log dir>/mNHIICC.err.YYYYMMDD.log`, mode 0640, opened and closed for each line;
* it loads its three certificate files and, when one is missing, logs
  `SSL_CTX_use_certificate_file 1 fail` and aborts (SIGABRT): nothing ever listens;
* it cannot resolve cloudicap.nhi.gov.tw (offline) and carries on;
* it listens on 127.0.0.1 only, SO_REUSEADDR, backlog 1; every accepted connection
  re-runs the whitelist fetch (a log block), here followed by a close;
* SIGTERM appends `terminate signal catched` to the stop log and exits.

The real binary takes no arguments and fixed paths; this one reads its paths and port
from NHIICC_MODEL_* variables so that a test never touches the real /tmp/exampled.lock.
Run it through a link named like the component so that the process is named so.
"""

import fcntl
import os
import resource
import signal
import socket
import sys
import time

CERT_DIR = os.environ["NHIICC_MODEL_CERT_DIR"]
LOCK = os.environ["NHIICC_MODEL_LOCK"]
LOG_DIR = os.environ["NHIICC_MODEL_LOG_DIR"]
STOP_LOG = os.environ["NHIICC_MODEL_STOP_LOG"]
PORT = int(os.environ["NHIICC_MODEL_PORT"])


def log(msg, err="Success"):
    now = time.localtime()
    path = os.path.join(LOG_DIR, time.strftime("mNHIICC.err.%Y%m%d.log", now))
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o640)
    try:
        os.write(fd, (time.strftime("%Y%m%d:%H%M%S,", now) + msg + ": " + err + "\n").encode())
    finally:
        os.close(fd)


def daemonize():
    print("gnu_get_libc_version() = 2.36", flush=True)
    if os.fork() > 0:
        os._exit(0)
    os.setsid()
    null = os.open(os.devnull, os.O_RDWR)
    for fd in (0, 1, 2):
        os.dup2(null, fd)
    os.umask(0o027)
    os.chdir("/tmp")
    lock = os.open(LOCK, os.O_RDWR | os.O_CREAT, 0o640)
    try:
        fcntl.lockf(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        os._exit(0)
    os.ftruncate(lock, 0)
    os.write(lock, ("%d\n" % os.getpid()).encode())
    return lock


def load_certificates():
    log("begin SSL_CTX_use_certificate_file")
    for name, step in (("NHIServerCert.crt", "SSL_CTX_use_certificate_file"),
                       ("NHIServerCert.key", "SSL_CTX_use_PrivateKey_file"),
                       ("NHIRootCA.crt", "SSL_CTX_use_certificate_file")):
        if not os.path.isfile(os.path.join(CERT_DIR, name)):
            log(step + " 1 fail \r\n", "No such file or directory")
            # No core file in the test's directories.
            resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
            os.abort()
    log("Finish SSL_CTX_check_private_key")
    log("Done LoadCertificates")


def whitelist_fetch():
    log("write_private_key")
    log("gethostbyname error")


def stop(signum, frame):
    with open(STOP_LOG, "a") as f:
        f.write("terminate signal catched\n")
    os._exit(0)


def main():
    # The lock's descriptor stays open, and the lock held, for the daemon's life.
    daemonize()
    log("SetServiceStatus SERVICE_ACCEPT_STOP : 0", "Bad file descriptor")
    log("This is the main process.\n", "Bad file descriptor")
    log("dllWebSocketServerEx : Hello\r\n")
    load_certificates()
    whitelist_fetch()
    signal.signal(signal.SIGTERM, stop)
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("127.0.0.1", PORT))
    s.listen(1)
    while True:
        conn, _ = s.accept()
        whitelist_fetch()
        log("No certificates.")
        conn.close()


if __name__ == "__main__":
    sys.exit(main())

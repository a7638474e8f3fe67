"""A throwaway PostgreSQL server for the tests: Debian's own binaries, a new cluster in a
temporary folder, on a free loopback port, stopped and deleted at the end.

PostgreSQL refuses to run as root, so under root (CI) the cluster belongs to the
``postgres`` user that Debian's package creates, and its commands run as that user.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import subprocess
import tempfile
import uuid
from pathlib import Path

import psycopg

from streaming.broker import free_port


def find_bindir() -> Path | None:
    """The newest installed server's bin folder (``/usr/lib/postgresql/N/bin``), or where
    ``initdb`` is on PATH; None without a server."""
    def version(initdb: str) -> int:
        name = Path(initdb).parent.parent.name
        return int(name) if name.isdigit() else 0

    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=version)
    if found:
        return Path(found[-1]).parent
    initdb = shutil.which("initdb")
    return Path(initdb).parent if initdb else None


class PostgresServer:
    """``with PostgresServer() as pg: url = pg.new_database()``."""

    def __init__(self) -> None:
        bindir = find_bindir()
        if bindir is None:
            raise RuntimeError("no PostgreSQL server installed (Debian: apt-get install postgresql)")
        self.bindir = bindir
        self.user: str | None = None
        if os.geteuid() == 0:
            try:
                pwd.getpwnam("postgres")
            except KeyError as exc:
                raise RuntimeError("running as root without a 'postgres' user to run the server") from exc
            self.user = "postgres"
        self.port = free_port()
        self.folder = Path(tempfile.mkdtemp(prefix="callheat-pg-"))
        self.data = self.folder / "data"

    def _run(self, *args: str) -> None:
        command = [str(self.bindir / args[0]), *args[1:]]
        if self.user:
            command = ["runuser", "-u", self.user, "--", *command]
        # run from the server's own folder: the postgres user may not read the checkout's
        done = subprocess.run(command, capture_output=True, text=True, timeout=120, cwd=self.folder)
        if done.returncode:
            log = self.folder / "server.log"
            tail = log.read_text(errors="replace")[-2000:] if log.exists() else ""
            raise RuntimeError(f"{args[0]} failed ({done.returncode}): {done.stderr.strip()}\n{tail}")

    def __enter__(self) -> PostgresServer:
        if self.user:
            shutil.chown(self.folder, self.user)
        self._run("initdb", "-D", str(self.data), "--auth=trust", "-U", "postgres", "--no-sync")
        self.start()
        return self

    def start(self) -> None:
        """Start the server (again, after :meth:`stop`: its databases are kept)."""
        options = (f"-p {self.port} -k {self.folder} -c listen_addresses=127.0.0.1 "
                   "-c fsync=off -c synchronous_commit=off -c full_page_writes=off")  # fmt: skip
        self._run("pg_ctl", "-D", str(self.data), "-o", options, "-l", str(self.folder / "server.log"),
                  "-w", "-t", "60", "start")  # fmt: skip

    def stop(self, mode: str = "fast") -> None:
        """Stop the server, as an outage would: open connections are cut. ``fast`` keeps what
        was committed (this server runs without fsync or synchronous commit, so an
        ``immediate`` stop can lose the last commits)."""
        self._run("pg_ctl", "-D", str(self.data), "-m", mode, "stop")

    def url(self, database: str = "postgres") -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{database}"

    def new_database(self) -> str:
        """A new, empty database; its URL."""
        name = f"t{uuid.uuid4().hex[:12]}"
        with psycopg.connect(self.url(), autocommit=True) as conn:
            conn.execute(f"CREATE DATABASE {name}")
        return self.url(name)

    def __exit__(self, *exc: object) -> None:
        try:
            if (self.data / "postmaster.pid").exists():  # not stopped by a test
                self.stop("immediate")
        finally:
            shutil.rmtree(self.folder, ignore_errors=True)

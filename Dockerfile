# kurz container image: `docker build -t kurz:0.1.0-SNAPSHOT .`, then `docker run -p 8080:8080 kurz:0.1.0-SNAPSHOT`.
# Two stages: the build stage has the JDK and Maven, the run stage only a JRE and the jar.
# src/test/java/dev/kurz/deploy/DockerfileTest.java checks the invariants below.

# ---- build ----------------------------------------------------------------------------------------
# Built with ./mvnw rather than the image's own mvn, so the image uses exactly the Maven version
# CI uses (.mvn/wrapper/maven-wrapper.properties). The wrapper downloads it with Java when the image
# has neither curl nor wget.
FROM maven:3.9-eclipse-temurin-25 AS build
WORKDIR /build

# Dependencies first, in their own layer: it is rebuilt only when the pom or the wrapper changes,
# not on every source edit.
COPY mvnw pom.xml ./
COPY .mvn/ .mvn/
RUN ./mvnw -B -q dependency:go-offline

# Tests run in CI (`./mvnw verify`), not in the image build: they start embedded PostgreSQL and
# Redis, which a container build should not need.
COPY src/ src/
RUN ./mvnw -B -DskipTests package

# ---- run ------------------------------------------------------------------------------------------
# eclipse-temurin:25-jre on Ubuntu 24.04 (noble): the same JDK build CI tests with, maintained with
# security updates and CA certificates. A jlink'ed runtime would be ~60 MB smaller, but the shaded
# jar loads JDK modules reflectively (JDBC drivers, java.management for HikariCP, jdk.unsupported
# for Netty and Caffeine, the crypto providers for SCRAM and TLS); a module left out only fails at
# run time on that code path, which no test here can catch without a container engine.
#
# The image has neither curl nor wget (the Temurin build purges them). The HEALTHCHECK uses bash's
# /dev/tcp instead of installing curl: bash is part of the base image, and this keeps the run stage
# free of extra packages.
FROM eclipse-temurin:25-jre-noble

# A fixed, non-root UID/GID (10001: clear of the base image's `ubuntu` user, 1000), so that
# Kubernetes' runAsUser and volume ownership can name it (deploy/k8s uses the same number).
RUN groupadd --system --gid 10001 kurz \
 && useradd --system --uid 10001 --gid 10001 --home-dir /nonexistent --no-create-home \
      --shell /usr/sbin/nologin kurz \
 && mkdir -p /data \
 && chown 10001:10001 /data

# The jar stays owned by root: the process can read it but not change it.
COPY --from=build /build/target/kurz.jar /app/kurz.jar

# Without KURZ_DB_URL kurz keeps its SQLite database in KURZ_DATA_DIR; /data is a volume so links
# survive a new container (mount a named one: -v kurz-data:/data). With PostgreSQL it stays empty.
ENV KURZ_PORT=8080 \
    KURZ_DATA_DIR=/data
VOLUME ["/data"]
WORKDIR /app
USER 10001:10001
EXPOSE 8080

# Liveness only: "the process answers HTTP". Readiness (database reachable) is for load balancers,
# which stop sending traffic instead of restarting the container. The status line must say 200.
HEALTHCHECK --interval=10s --timeout=3s --start-period=60s --retries=3 \
  CMD ["bash", "-c", "exec 3<>/dev/tcp/127.0.0.1/${KURZ_PORT:-8080} && printf 'GET /health/live HTTP/1.0\\r\\nHost: localhost\\r\\n\\r\\n' >&3 && IFS= read -r -t 2 status <&3 && [[ $status == *' 200 '* ]]"]

# The same flags as ./kurz: G1 with compact object headers (as fast as ZGC here with far less
# memory, see docs/BENCHMARKS.md); MaxRAMPercentage sizes the
# heap from the container's memory limit, leaving a quarter for metaspace, threads and direct
# buffers; a process that ran out of memory exits so the orchestrator restarts it. Add flags with
# JDK_JAVA_OPTIONS. exec form: java is PID 1 and gets SIGTERM itself, which starts the graceful stop.
ENTRYPOINT ["java", "-XX:+UseG1GC", "-XX:+UseCompactObjectHeaders", "-XX:MaxRAMPercentage=75", "-XX:+ExitOnOutOfMemoryError", \
            "--enable-native-access=ALL-UNNAMED", "-jar", "/app/kurz.jar"]
CMD ["serve"]

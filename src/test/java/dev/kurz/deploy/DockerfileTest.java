package dev.kurz.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kurz.deploy.Dockerfile.Instruction;
import dev.kurz.deploy.Dockerfile.Stage;
import java.nio.file.FileSystems;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import org.junit.jupiter.api.Test;

/** The Dockerfile linted as text (no engine here): stages, layer order, user, health check. */
class DockerfileTest {

    private final Dockerfile dockerfile = Dockerfile.load();

    @Test
    void buildsInAtLeastTwoStagesAndShipsOnlyTheLast() {
        assertThat(dockerfile.stages()).hasSizeGreaterThanOrEqualTo(2);
        Stage build = buildStage();
        assertThat(build.name()).as("the build stage is named, so the run stage can copy from it").isPresent();
        assertThat(build.from().toLowerCase(Locale.ROOT)).contains("25");
        assertThat(dockerfile.last().from().toLowerCase(Locale.ROOT)).contains("25").contains("jre");
    }

    @Test
    void dependenciesAreFetchedInTheirOwnLayerBeforeTheSourcesAreCopied() {
        Stage build = buildStage();
        int pom = build.indexOf("COPY", ".*\\bpom\\.xml\\b.*");
        int goOffline = build.indexOf("RUN", ".*\\./mvnw\\b.*\\bdependency:go-offline\\b.*");
        int sources = build.indexOf("COPY", "(src/?|\\./src/?)\\s+.*");
        int packaging = build.indexOf("RUN", ".*\\./mvnw\\b.*\\bpackage\\b.*");
        assertThat(pom).as("COPY pom.xml").isNotNegative();
        assertThat(goOffline).as("RUN ./mvnw dependency:go-offline").isGreaterThan(pom);
        assertThat(build.indexOf("COPY", ".*\\bmvnw\\b.*")).isNotNegative().isLessThan(goOffline);
        assertThat(build.indexOf("COPY", "\\.mvn/?\\s+.*")).isNotNegative().isLessThan(goOffline);
        assertThat(sources).as("COPY src").isGreaterThan(goOffline);
        assertThat(packaging).as("RUN ./mvnw package").isGreaterThan(sources);
        for (int i = 0; i < goOffline; i++) {
            Instruction ins = build.instructions().get(i);
            if (ins.keyword().equals("COPY") || ins.keyword().equals("ADD")) {
                assertThat(ins.args()).as("only build files before go-offline").doesNotContain("src");
            }
        }
    }

    @Test
    void finalStageRunsAsAFixedNonRootUser() {
        Instruction user = dockerfile.last().last("USER").orElseThrow(() -> new AssertionError("no USER"));
        String uid = user.args().split(":")[0];
        assertThat(uid).as("numeric, so Kubernetes can verify runAsNonRoot").matches("\\d+");
        assertThat(Long.parseLong(uid)).isNotZero();
        assertThat(dockerfile.last().all("RUN")).as("the user is created with that UID")
                .anySatisfy(run -> assertThat(run.args()).contains("--uid " + uid));
        List<String> keywords = dockerfile.last().instructions().stream().map(Instruction::keyword).toList();
        assertThat(keywords.subList(keywords.lastIndexOf("USER"), keywords.size()))
                .as("nothing runs as root after USER").doesNotContain("RUN");
    }

    @Test
    void finalStageHasNoBuildTools() {
        Stage run = dockerfile.last();
        String all = (run.from() + "\n" + String.join("\n",
                run.instructions().stream().map(i -> i.keyword() + " " + i.args()).toList())).toLowerCase(Locale.ROOT);
        assertThat(all).doesNotContain("mvn").doesNotContain("maven").doesNotContain("jdk").doesNotContain("gradle");
        assertThat(run.all("COPY")).as("the run stage copies only the jar from the build stage")
                .singleElement().satisfies(copy -> {
                    assertThat(copy.words()).anyMatch(w -> w.startsWith("--from="));
                    assertThat(copy.words()).anyMatch(w -> w.endsWith("/kurz.jar"));
                });
        assertThat(run.all("ADD")).isEmpty();
    }

    @Test
    void entrypointRunsTheJarWithJavaAndServesByDefault() {
        List<String> entrypoint = dockerfile.last().last("ENTRYPOINT").orElseThrow().execForm();
        assertThat(entrypoint.getFirst()).isEqualTo("java");
        assertThat(entrypoint.subList(entrypoint.size() - 2, entrypoint.size())).containsExactly("-jar", "/app/kurz.jar");
        assertThat(entrypoint).contains("-XX:+ExitOnOutOfMemoryError")
                .anyMatch(flag -> flag.startsWith("-XX:MaxRAMPercentage="));
        assertThat(dockerfile.last().last("CMD").orElseThrow().execForm()).containsExactly("serve");
    }

    @Test
    void dataDirIsAVolumeTheUserCanWrite() {
        Stage run = dockerfile.last();
        String env = String.join(" ", run.all("ENV").stream().map(Instruction::args).toList());
        assertThat(env).contains("KURZ_DATA_DIR=/data");
        assertThat(run.last("VOLUME").orElseThrow().execForm()).contains("/data");
        String uid = run.last("USER").orElseThrow().args().split(":")[0];
        assertThat(run.all("RUN")).anySatisfy(r -> assertThat(r.args()).containsPattern("chown\\s+" + uid + "(:\\d+)?\\s+/data"));
    }

    @Test
    void exposedPortIsKurzPort() {
        Stage run = dockerfile.last();
        String env = String.join(" ", run.all("ENV").stream().map(Instruction::args).toList());
        String expose = run.last("EXPOSE").orElseThrow().args();
        assertThat(env).contains("KURZ_PORT=" + expose);
    }

    @Test
    void healthcheckAsksTheLivenessEndpoint() {
        Instruction check = dockerfile.last().last("HEALTHCHECK").orElseThrow(() -> new AssertionError("no HEALTHCHECK"));
        assertThat(check.args()).contains("--timeout=").contains("--interval=").contains("--start-period=");
        assertThat(dockerfile.healthcheckCommand()).first().as("bash is in the base image; curl is not").isEqualTo("bash");
        assertThat(String.join(" ", dockerfile.healthcheckCommand())).contains("/health/live").contains("200");
    }

    @Test
    void dockerignoreSendsOnlyWhatTheBuildCopies() {
        List<String> rules = DeployFiles.read(".dockerignore").lines().map(String::strip)
                .filter(l -> !l.isEmpty() && !l.startsWith("#")).toList();
        assertThat(rules.getFirst()).as("everything is excluded first").isEqualTo("*");
        List<String> included = rules.stream().filter(r -> r.startsWith("!")).map(r -> r.substring(1)).toList();
        for (String excluded : List.of("target", "target/kurz.jar", "data/kurz.db", ".git", ".idea", "kurz.iml", "docs",
                "deploy", "compose.yaml")) {
            assertThat(included).as("%s must stay out of the build context", excluded)
                    .noneMatch(pattern -> matches(pattern, excluded));
        }
        for (Instruction copy : buildStage().all("COPY")) {
            List<String> words = copy.words();
            for (String source : words.subList(0, words.size() - 1)) {
                if (source.startsWith("--")) {
                    continue;
                }
                String path = source.replaceFirst("^\\./", "").replaceFirst("/$", "");
                assertThat(included).as("COPY %s needs a ! rule in .dockerignore", source)
                        .anyMatch(pattern -> matches(pattern, path));
            }
        }
    }

    private Stage buildStage() {
        String from = dockerfile.last().last("COPY").orElseThrow().words().stream()
                .filter(w -> w.startsWith("--from=")).findFirst().orElseThrow().substring("--from=".length());
        return dockerfile.stages().stream().filter(s -> s.name().orElse("").equals(from)).findFirst()
                .orElseThrow(() -> new AssertionError("no stage named " + from));
    }

    /** A .dockerignore pattern (Go filepath.Match syntax) against a path; a directory covers its files. */
    private static boolean matches(String pattern, String path) {
        String p = pattern.replaceFirst("^/", "").replaceFirst("/$", "");
        var matcher = FileSystems.getDefault().getPathMatcher("glob:" + p);
        for (Path prefix = Path.of(path); prefix != null; prefix = prefix.getParent()) {
            if (matcher.matches(prefix)) {
                return true;
            }
        }
        return false;
    }
}

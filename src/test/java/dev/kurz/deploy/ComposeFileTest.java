package dev.kurz.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kurz.config.Setting;
import dev.kurz.config.Settings;
import dev.kurz.http.TrustedProxies;
import java.net.URI;
import java.nio.file.Files;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;

/**
 * compose.yaml, checked without Docker: read as compose reads it (YAML with merge keys, then
 * {@code ${VAR:-default}} interpolation with no variables set, {@code $$} for a literal dollar),
 * then the stack's invariants are asserted.
 */
class ComposeFileTest {

    static final List<String> NODES = List.of("kurz-1", "kurz-2", "kurz-3");

    private static Map<String, Object> compose;
    private static Map<String, Map<String, Object>> services;

    @BeforeAll
    static void parse() {
        compose = load();
        services = new LinkedHashMap<>();
        map(compose.get("services")).forEach((name, body) -> services.put(name, map(body)));
    }

    /** compose.yaml as docker compose sees it with no environment variables set. */
    static Map<String, Object> load() {
        var yaml = new Yaml(new SafeConstructor(new LoaderOptions()));
        return map(interpolate(yaml.load(DeployFiles.read("compose.yaml"))));
    }

    @Test
    void servicesAreHaproxyPostgresRedisThreeKurzNodesAndAWorker() {
        assertThat(services.keySet()).containsExactlyInAnyOrder("haproxy", "postgres", "redis", "kurz-1", "kurz-2", "kurz-3",
                "worker");
        List<String> built = services.entrySet().stream().filter(e -> e.getValue().containsKey("build"))
                .map(Map.Entry::getKey).toList();
        var fromDockerfile = new ArrayList<>(NODES);
        fromDockerfile.add("worker");
        assertThat(built).as("services built from the Dockerfile").containsExactlyInAnyOrderElementsOf(fromDockerfile);
        for (String node : fromDockerfile) {
            Object build = service(node).get("build");
            Object context = build instanceof Map<?, ?> m ? m.get("context") : build;
            assertThat(context).as("%s build context", node).isEqualTo(".");
            assertThat(build instanceof Map<?, ?> m ? m.get("dockerfile") : null).isIn(null, "Dockerfile");
        }
        assertThat(string(service("haproxy").get("image"))).matches("haproxy:3(\\.\\d+)*([-.].*)?");
        assertThat(string(service("postgres").get("image"))).matches("postgres:17(\\.\\d+)*([-.].*)?");
        assertThat(string(service("redis").get("image"))).startsWith("redis:");
    }

    @Test
    void nodeAndWorkerImageIsTheProjectVersion() {
        for (String node : List.of("kurz-1", "kurz-2", "kurz-3", "worker")) {
            assertThat(service(node).get("image")).isEqualTo("kurz:" + DeployFiles.projectVersion());
        }
    }

    @Test
    void everyServiceHasAHealthcheck() {
        services.forEach((name, body) -> {
            assertThat(body).as("%s has a healthcheck", name).containsKey("healthcheck");
            Map<String, Object> check = map(body.get("healthcheck"));
            assertThat(check.get("disable")).as(name).isNotEqualTo(Boolean.TRUE);
            List<String> test = strings(check.get("test"));
            assertThat(test).as("%s healthcheck test", name).hasSizeGreaterThanOrEqualTo(2);
            assertThat(test.getFirst()).as(name).isIn("CMD", "CMD-SHELL");
            assertThat(check).as(name).containsKeys("interval", "timeout", "retries");
            assertThat(DeployFiles.composeDuration(string(check.get("timeout"))))
                    .isLessThanOrEqualTo(DeployFiles.composeDuration(string(check.get("interval"))));
        });
        assertThat(String.join(" ", healthcheck("postgres"))).contains("pg_isready");
        assertThat(String.join(" ", healthcheck("redis"))).contains("redis-cli").contains("ping");
        for (String node : NODES) {
            assertThat(String.join(" ", healthcheck(node))).as("nodes report ready, not just alive")
                    .contains("/health/ready");
        }
    }

    @Test
    void everyDependencyWaitsUntilItIsHealthy() {
        services.forEach((name, body) -> {
            if (!body.containsKey("depends_on")) {
                return;
            }
            assertThat(body.get("depends_on")).as("%s: the list form only waits for the container to start", name)
                    .isInstanceOf(Map.class);
            map(body.get("depends_on")).forEach((dependency, condition) -> {
                assertThat(services).as("%s depends on %s", name, dependency).containsKey(dependency);
                assertThat(map(condition).get("condition")).as("%s -> %s", name, dependency)
                        .isEqualTo("service_healthy");
            });
        });
        for (String node : NODES) {
            assertThat(map(service(node).get("depends_on"))).containsKeys("postgres", "redis");
        }
        assertThat(map(service("haproxy").get("depends_on"))).containsKeys(NODES.toArray(String[]::new));
    }

    @Test
    void theWorkerRunsJobsOnTheNodesDatabaseAndTheNodesRunNone() {
        Map<String, Object> worker = service("worker");
        assertThat(strings(worker.get("command"))).containsExactly("worker");
        Set<String> known = Setting.ALL.stream().map(Setting::name).collect(Collectors.toSet());
        Map<String, String> env = environment("worker");
        assertThat(env.keySet()).as("misspelt or unknown settings").isSubsetOf(known);
        Map<String, String> node = environment(NODES.getFirst());
        for (String shared : List.of("KURZ_DB_URL", "KURZ_DB_USER", "KURZ_DB_PASSWORD_FILE", "KURZ_BASE_URL")) {
            assertThat(env.get(shared)).as(shared).isEqualTo(node.get(shared));
        }
        assertThat(strings(worker.get("secrets"))).contains("db_password");
        assertThat(map(worker.get("depends_on"))).containsKey("postgres");
        var parseable = new HashMap<>(env);
        parseable.put("KURZ_DB_PASSWORD_FILE", DeployFiles.file(secretFile("db_password")).toString());
        Settings settings = Settings.from(parseable);
        assertThat(settings.purgeAfter()).isPresent();
        for (String n : NODES) {
            assertThat(Settings.from(Map.of("KURZ_SERVE_WORKER", environment(n).get("KURZ_SERVE_WORKER"))).serveWorker())
                    .as("%s leaves jobs to the worker", n).isFalse();
        }
    }

    @Test
    void postgresAndRedisKeepTheirDataInNamedVolumes() {
        assertNamedVolumeAt("postgres", "/var/lib/postgresql/data");
        assertNamedVolumeAt("redis", "/data");
    }

    @Test
    void redisPersistsWithAnAppendOnlyFile() {
        Object command = service("redis").get("command");
        List<String> words = command instanceof String s ? List.of(s.split("\\s+")) : strings(command);
        int flag = words.indexOf("--appendonly");
        assertThat(flag).as("redis command %s", words).isNotNegative();
        assertThat(words.get(flag + 1)).isEqualTo("yes");
    }

    @Test
    void nodesReachPostgresAndRedisByServiceNameWithSettingsKurzAccepts() {
        Set<String> known = Setting.ALL.stream().map(Setting::name).collect(Collectors.toSet());
        Map<String, String> first = environment(NODES.getFirst());
        for (String node : NODES) {
            Map<String, String> env = environment(node);
            assertThat(env).as("every node is configured alike").isEqualTo(first);
            assertThat(env.keySet()).as("misspelt or unknown settings").isSubsetOf(known);
            URI db = URI.create(env.get("KURZ_DB_URL").replaceFirst("^jdbc:", ""));
            assertThat(db.getHost()).isEqualTo("postgres");
            assertThat(db.getPort()).isEqualTo(5432);
            URI redis = URI.create(env.get("KURZ_REDIS_URL"));
            assertThat(redis.getHost()).isEqualTo("redis");
            var parseable = new HashMap<>(env);
            parseable.put("KURZ_DB_PASSWORD_FILE", DeployFiles.file(secretFile("db_password")).toString());
            Settings settings = Settings.from(parseable);
            assertThat(settings.usesPostgres()).isTrue();
            assertThat(settings.dbPassword()).isNotBlank();
        }
    }

    @Test
    void nodesTrustForwardedForOnlyFromHaproxy() {
        String haproxyAddress = string(map(map(service("haproxy").get("networks")).get("default")).get("ipv4_address"));
        Map<String, Object> network = map(map(compose.get("networks")).get("default"));
        String subnet = string(map(list(map(network.get("ipam")).get("config")).getFirst()).get("subnet"));
        assertThat(TrustedProxies.parse(subnet).trusts(haproxyAddress)).as("%s in %s", haproxyAddress, subnet).isTrue();
        for (String node : NODES) {
            TrustedProxies trusted = TrustedProxies.parse(environment(node).get("KURZ_TRUSTED_PROXIES"));
            assertThat(trusted.trusts(haproxyAddress)).as(node).isTrue();
            assertThat(trusted.trusts(otherAddressIn(subnet, haproxyAddress)))
                    .as("%s: other containers' X-Forwarded-For is not believed", node).isFalse();
        }
    }

    @Test
    void dbPasswordIsASecretFileSharedByPostgresAndTheNodes() {
        assertThat(map(compose.get("secrets"))).containsKey("db_password");
        assertThat(Files.isRegularFile(DeployFiles.file(secretFile("db_password")))).isTrue();
        for (String node : NODES) {
            Map<String, String> env = environment(node);
            assertThat(env).doesNotContainKey("KURZ_DB_PASSWORD");
            assertThat(env.get("KURZ_DB_PASSWORD_FILE")).isEqualTo("/run/secrets/db_password");
            assertThat(strings(service(node).get("secrets"))).contains("db_password");
        }
        Map<String, String> postgres = environment("postgres");
        assertThat(postgres).doesNotContainKey("POSTGRES_PASSWORD");
        assertThat(postgres.get("POSTGRES_PASSWORD_FILE")).isEqualTo("/run/secrets/db_password");
        assertThat(strings(service("postgres").get("secrets"))).contains("db_password");
        assertThat(postgres.get("POSTGRES_USER")).isEqualTo(environment(NODES.getFirst()).get("KURZ_DB_USER"));
        assertThat(URI.create(environment(NODES.getFirst()).get("KURZ_DB_URL").replaceFirst("^jdbc:", "")).getPath())
                .isEqualTo("/" + postgres.get("POSTGRES_DB"));
    }

    @Test
    void nodesAreGivenLongerToStopThanTheirShutdownGrace() {
        for (String node : NODES) {
            Duration grace = Settings.from(Map.of("KURZ_SHUTDOWN_GRACE",
                    environment(node).getOrDefault("KURZ_SHUTDOWN_GRACE", Setting.SHUTDOWN_GRACE.defaultValue())))
                    .shutdownGrace();
            Object stop = service(node).get("stop_grace_period");
            assertThat(stop).as("%s: Docker's default of 10 s would SIGKILL a draining node", node).isNotNull();
            assertThat(DeployFiles.composeDuration(string(stop))).isGreaterThan(grace);
        }
    }

    @Test
    void haproxyServesTheSharedConfigReadOnlyOnThePublishedPort() {
        Map<String, Object> haproxy = service("haproxy");
        assertThat(strings(haproxy.get("volumes")))
                .contains("./deploy/haproxy/haproxy.cfg:/usr/local/etc/haproxy/haproxy.cfg:ro");
        List<String> ports = strings(haproxy.get("ports"));
        assertThat(ports).singleElement().asString().matches("\\d+:\\d+");
        String[] mapping = ports.getFirst().split(":");
        assertThat(String.join(" ", healthcheck("haproxy"))).contains("/dev/tcp/127.0.0.1/" + mapping[1]);
        assertThat(URI.create(environment(NODES.getFirst()).get("KURZ_BASE_URL")).getPort())
                .as("short links point at the published port").isEqualTo(Integer.parseInt(mapping[0]));
        for (String name : services.keySet()) {
            if (!name.equals("haproxy")) {
                assertThat(service(name)).as("only HAProxy is published: %s", name).doesNotContainKey("ports");
            }
        }
    }

    /** The {@code test} of a service's healthcheck, as a list. */
    static List<String> healthcheck(String service) {
        return strings(map(service(service).get("healthcheck")).get("test"));
    }

    static Map<String, Object> service(String name) {
        Map<String, Object> s = services == null ? map(map(load().get("services")).get(name)) : services.get(name);
        assertThat(s).as("service %s", name).isNotNull();
        return s;
    }

    private static void assertNamedVolumeAt(String service, String target) {
        List<String> mounts = strings(service(service).get("volumes"));
        String mount = mounts.stream().filter(v -> v.split(":").length >= 2 && v.split(":")[1].equals(target))
                .findFirst().orElseThrow(() -> new AssertionError(service + " mounts nothing at " + target));
        String source = mount.split(":")[0];
        assertThat(source).as("%s: a named volume, not a bind mount", service).doesNotContain("/").doesNotStartWith(".");
        assertThat(map(compose.get("volumes"))).as("top-level volumes").containsKey(source);
    }

    private static Map<String, String> environment(String service) {
        Object env = service(service).get("environment");
        var out = new LinkedHashMap<String, String>();
        if (env instanceof Map<?, ?> m) {
            m.forEach((k, v) -> out.put(String.valueOf(k), v == null ? null : String.valueOf(v)));
        } else {
            for (String entry : strings(env)) {
                int eq = entry.indexOf('=');
                out.put(entry.substring(0, eq), entry.substring(eq + 1));
            }
        }
        return out;
    }

    private static String secretFile(String secret) {
        return string(map(map(compose.get("secrets")).get(secret)).get("file"));
    }

    /** An address in {@code subnet} (an IPv4 /24 or wider) other than {@code address}. */
    private static String otherAddressIn(String subnet, String address) {
        String[] net = subnet.split("/")[0].split("\\.");
        String candidate = net[0] + "." + net[1] + "." + net[2] + ".3";
        return candidate.equals(address) ? net[0] + "." + net[1] + "." + net[2] + ".4" : candidate;
    }

    private static final Pattern VARIABLE = Pattern.compile("\\$\\{([A-Za-z_][A-Za-z0-9_]*)(?::?-([^}]*))?}|\\$([A-Za-z_][A-Za-z0-9_]*)");

    /** Compose interpolation with an empty environment: defaults apply, a variable without one fails. */
    private static Object interpolate(Object node) {
        if (node instanceof Map<?, ?> m) {
            var out = new LinkedHashMap<String, Object>();
            m.forEach((k, v) -> out.put(String.valueOf(k), interpolate(v)));
            return out;
        }
        if (node instanceof List<?> l) {
            var out = new ArrayList<Object>();
            l.forEach(v -> out.add(interpolate(v)));
            return out;
        }
        if (node instanceof String s) {
            String escaped = s.replace("$$", "\u0000");
            Matcher m = VARIABLE.matcher(escaped);
            var out = new StringBuilder();
            while (m.find()) {
                if (m.group(2) == null) {
                    throw new AssertionError("compose.yaml needs " + (m.group(1) != null ? m.group(1) : m.group(3))
                            + " set; give it a default so `docker compose up` works as is");
                }
                m.appendReplacement(out, Matcher.quoteReplacement(m.group(2)));
            }
            m.appendTail(out);
            return out.toString().replace('\u0000', '$');
        }
        return node;
    }

    @SuppressWarnings("unchecked")
    static Map<String, Object> map(Object o) {
        assertThat(o).isInstanceOf(Map.class);
        return (Map<String, Object>) o;
    }

    static List<?> list(Object o) {
        assertThat(o).isInstanceOf(List.class);
        return (List<?>) o;
    }

    static List<String> strings(Object o) {
        return list(o).stream().map(String::valueOf).toList();
    }

    static String string(Object o) {
        assertThat(o).isNotNull();
        return String.valueOf(o);
    }
}

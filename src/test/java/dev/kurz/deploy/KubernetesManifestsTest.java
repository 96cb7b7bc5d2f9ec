package dev.kurz.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.kurz.config.Setting;
import dev.kurz.config.Settings;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ContainerPort;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.Namespace;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.Probe;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.api.model.VolumeMount;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.autoscaling.v2.HorizontalPodAutoscaler;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicy;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyPeer;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyPort;
import io.fabric8.kubernetes.api.model.policy.v1.PodDisruptionBudget;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * deploy/k8s, checked without a cluster: every manifest is parsed into fabric8's Kubernetes API
 * model, then the invariants docs/DEPLOY.md explains are asserted on the typed objects.
 */
class KubernetesManifestsTest {

    private static final Path K8S = DeployFiles.root().resolve("deploy/k8s");

    private static List<HasMetadata> base;
    private static Deployment deployment;
    private static Container container;
    private static ConfigMap config;

    @BeforeAll
    static void parseBase() {
        base = DeployFiles.manifestFiles(K8S.resolve("base")).stream().map(DeployFiles::kubernetes).toList();
        deployment = named(Deployment.class, "kurz");
        assertThat(deployment.getSpec().getTemplate().getSpec().getContainers()).hasSize(1);
        container = pod().getContainers().getFirst();
        config = only(ConfigMap.class);
    }

    @Test
    void everyManifestParsesIntoTheKubernetesModelWithNoUnknownField() {
        List<Path> files = allKustomizationDirs().stream().flatMap(d -> DeployFiles.manifestFiles(d).stream()).toList();
        assertThat(files).isNotEmpty();
        for (Path file : files) {
            HasMetadata object = DeployFiles.kubernetes(file);
            assertThat(object).as("%s: apiVersion/kind known to the model", file)
                    .isNotInstanceOf(GenericKubernetesResource.class);
            assertThat(object.getMetadata().getName()).as("%s: metadata.name", file).isNotBlank();
            assertThat(DeployFiles.unknownFields(object)).as("%s: fields the Kubernetes API doesn't have", file)
                    .isEmpty();
        }
        assertThat(base).extracting(o -> o.getClass().getSimpleName()).containsExactlyInAnyOrder(
                "ConfigMap", "Deployment", "Deployment", "HorizontalPodAutoscaler", "Namespace", "NetworkPolicy",
                "NetworkPolicy", "PodDisruptionBudget", "Service");
    }

    @Test
    void everyKustomizationListsEveryManifestBesideItAndNothingMissing() {
        for (Path dir : allKustomizationDirs()) {
            JsonNode kustomization = DeployFiles.yamlTree(dir.resolve("kustomization.yaml"));
            assertThat(kustomization.path("kind").asText()).isEqualTo("Kustomization");
            var listed = new HashSet<String>();
            for (JsonNode r : kustomization.path("resources")) {
                Path target = dir.resolve(r.asText()).normalize();
                assertThat(Files.isRegularFile(target) || Files.isRegularFile(target.resolve("kustomization.yaml")))
                        .as("%s lists %s, which does not exist", dir, r.asText()).isTrue();
                if (Files.isRegularFile(target) && target.getParent().equals(dir)) {
                    listed.add(target.getFileName().toString());
                }
            }
            Set<String> present = DeployFiles.manifestFiles(dir).stream()
                    .map(p -> p.getFileName().toString()).collect(Collectors.toSet());
            assertThat(listed).as("manifests in %s vs its kustomization.yaml resources", dir).isEqualTo(present);
        }
    }

    @Test
    void imageTagIsTheProjectVersion() {
        JsonNode images = DeployFiles.yamlTree(K8S.resolve("base/kustomization.yaml")).path("images");
        String imageName = container.getImage();
        assertThat(imageName).as("the Deployment names the image without a tag; kustomization sets it")
                .doesNotContain(":");
        JsonNode entry = null;
        for (JsonNode i : images) {
            if (i.path("name").asText().equals(imageName)) {
                entry = i;
            }
        }
        assertThat(entry).as("kustomization images: entry for %s", imageName).isNotNull();
        assertThat(entry.path("newTag").asText()).isEqualTo(DeployFiles.projectVersion());
    }

    @Test
    void configMapHoldsOnlyKurzSettingsThatKurzAccepts() {
        Set<String> known = Setting.ALL.stream().map(Setting::name).collect(Collectors.toSet());
        assertThat(config.getData().keySet()).as("misspelt or unknown settings").isSubsetOf(known);
        assertThat(config.getData()).as("secrets belong in the Secret").doesNotContainKeys(
                Setting.DB_PASSWORD.name(), Setting.CODE_KEY.name());
        Settings settings = Settings.from(config.getData());
        assertThat(settings.usesPostgres()).as("nodes on a read-only filesystem can't keep SQLite").isTrue();
        assertThat(container.getEnvFrom()).anySatisfy(e ->
                assertThat(e.getConfigMapRef().getName()).isEqualTo(config.getMetadata().getName()));
        assertThat(pod().getEnableServiceLinks())
                .as("service links would inject KURZ_* variables for a Service named kurz").isFalse();
    }

    @Test
    void containerPortIsKurzPort() {
        assertThat(container.getPorts()).hasSize(1);
        ContainerPort port = container.getPorts().getFirst();
        assertThat(port.getContainerPort()).isEqualTo(Integer.parseInt(config.getData().get("KURZ_PORT")));
        assertThat(port.getContainerPort()).as("the image's EXPOSE").isEqualTo(
                Integer.parseInt(Dockerfile.load().last().last("EXPOSE").orElseThrow().args()));
    }

    @Test
    void probesCheckTheHealthEndpointsOnTheHttpPort() {
        assertProbe(container.getReadinessProbe(), "/health/serving");
        assertProbe(container.getLivenessProbe(), "/health/live");
        assertProbe(container.getStartupProbe(), "/health/live");
        Probe liveness = container.getLivenessProbe();
        assertThat(liveness.getFailureThreshold() * liveness.getPeriodSeconds())
                .as("a hung node is restarted, but not on one slow answer").isBetween(15, 60);
        Probe readiness = container.getReadinessProbe();
        assertThat(readiness.getFailureThreshold() * readiness.getPeriodSeconds())
                .as("a node that lost the database leaves the Service within seconds").isLessThanOrEqualTo(15);
        Probe startup = container.getStartupProbe();
        assertThat(startup.getFailureThreshold() * startup.getPeriodSeconds())
                .as("start-up (migrations) is given time before liveness counts").isGreaterThanOrEqualTo(60);
    }

    @Test
    void everyContainerHasCpuAndMemoryRequestsAndLimits() {
        var resources = container.getResources();
        assertThat(resources.getRequests()).containsKeys("cpu", "memory");
        assertThat(resources.getLimits()).containsKeys("cpu", "memory");
        assertThat(Quantity.getAmountInBytes(resources.getLimits().get("memory")))
                .as("memory request = limit: the JVM sizes its heap from the limit")
                .isEqualTo(Quantity.getAmountInBytes(resources.getRequests().get("memory")));
        assertThat(Quantity.getAmountInBytes(resources.getLimits().get("cpu")))
                .isGreaterThanOrEqualTo(Quantity.getAmountInBytes(resources.getRequests().get("cpu")));
    }

    @Test
    void podRunsAsTheImagesNonRootUserOnAReadOnlyRootFilesystem() {
        String user = Dockerfile.load().last().last("USER").orElseThrow().args();
        long imageUid = Long.parseLong(user.split(":")[0]);

        var podSecurity = pod().getSecurityContext();
        assertThat(podSecurity.getRunAsNonRoot()).isTrue();
        assertThat(podSecurity.getRunAsUser()).isEqualTo(imageUid);
        assertThat(podSecurity.getSeccompProfile().getType()).isEqualTo("RuntimeDefault");

        var security = container.getSecurityContext();
        assertThat(security.getRunAsNonRoot()).isTrue();
        assertThat(security.getRunAsUser()).isEqualTo(imageUid).isNotZero();
        assertThat(security.getReadOnlyRootFilesystem()).isTrue();
        assertThat(security.getAllowPrivilegeEscalation()).isFalse();
        assertThat(security.getPrivileged()).isNotEqualTo(Boolean.TRUE);
        assertThat(security.getCapabilities()).as("capabilities: drop ALL").isNotNull();
        assertThat(security.getCapabilities().getDrop()).containsExactly("ALL");
        assertThat(security.getCapabilities().getAdd()).isNullOrEmpty();

        VolumeMount tmp = mountAt("/tmp").orElseThrow(() -> new AssertionError("no writable /tmp"));
        assertThat(volume(tmp.getName()).getEmptyDir()).as("/tmp is an emptyDir").isNotNull();
        assertThat(tmp.getReadOnly()).isNotEqualTo(Boolean.TRUE);

        Namespace namespace = only(Namespace.class);
        assertThat(namespace.getMetadata().getLabels())
                .containsEntry("pod-security.kubernetes.io/enforce", "restricted");
    }

    @Test
    void terminationGraceOutlastsThePreStopSleepPlusKurzShutdownGrace() {
        Duration shutdownGrace = Settings.from(config.getData()).shutdownGrace();
        List<String> preStop = container.getLifecycle().getPreStop().getExec().getCommand();
        assertThat(preStop).hasSize(2).first().isEqualTo("sleep");
        Duration preStopSleep = Duration.ofSeconds(Long.parseLong(preStop.get(1)));
        assertThat(preStopSleep).as("time for endpoints to drop the pod").isGreaterThanOrEqualTo(Duration.ofSeconds(3));
        Duration termination = Duration.ofSeconds(pod().getTerminationGracePeriodSeconds());
        assertThat(termination).isGreaterThan(preStopSleep.plus(shutdownGrace));
    }

    @Test
    void dbPasswordIsAFileFromTheSecretNeverAnEnvironmentValue() {
        assertThat(container.getEnv()).noneMatch(e -> e.getName().equals(Setting.DB_PASSWORD.name()));
        String passwordFile = container.getEnv().stream()
                .filter(e -> e.getName().equals(Setting.DB_PASSWORD_FILE.name()))
                .findFirst().orElseThrow().getValue();
        Path file = Path.of(passwordFile);
        VolumeMount mount = mountAt(file.getParent().toString())
                .orElseThrow(() -> new AssertionError("nothing mounted at " + file.getParent()));
        assertThat(mount.getReadOnly()).isTrue();
        var secretVolume = volume(mount.getName()).getSecret();
        assertThat(secretVolume).as("%s comes from a Secret", passwordFile).isNotNull();
        assertThat(secretVolume.getDefaultMode() & 0007).as("the password file is not world-readable").isZero();
        var item = secretVolume.getItems().stream()
                .filter(i -> i.getPath().equals(file.getFileName().toString())).findFirst().orElseThrow();

        Secret example = DeployFiles.manifestFiles(K8S.resolve("example")).stream().map(DeployFiles::kubernetes)
                .filter(Secret.class::isInstance).map(Secret.class::cast).findFirst().orElseThrow();
        assertThat(example.getMetadata().getName()).isEqualTo(secretVolume.getSecretName());
        assertThat(example.getMetadata().getNamespace()).isEqualTo(only(Namespace.class).getMetadata().getName());
        assertThat(example.getStringData()).containsKey(item.getKey());
        assertThat(example.getStringData().get(item.getKey())).as("clearly an example value").contains("example");
        assertThat(base).as("base carries no Secret: production brings its own").noneMatch(Secret.class::isInstance);
    }

    @Test
    void hpaScalesTheDeploymentOnCpu() {
        HorizontalPodAutoscaler hpa = only(HorizontalPodAutoscaler.class);
        var target = hpa.getSpec().getScaleTargetRef();
        assertThat(target.getApiVersion()).isEqualTo(deployment.getApiVersion());
        assertThat(target.getKind()).isEqualTo("Deployment");
        assertThat(target.getName()).isEqualTo(deployment.getMetadata().getName());
        assertThat(hpa.getSpec().getMinReplicas()).isEqualTo(deployment.getSpec().getReplicas());
        assertThat(deployment.getSpec().getReplicas()).isEqualTo(3);
        assertThat(hpa.getSpec().getMaxReplicas()).isGreaterThan(hpa.getSpec().getMinReplicas());
        assertThat(hpa.getSpec().getMetrics()).anySatisfy(m -> {
            assertThat(m.getType()).isEqualTo("Resource");
            assertThat(m.getResource().getName()).isEqualTo("cpu");
            assertThat(m.getResource().getTarget().getType()).isEqualTo("Utilization");
            assertThat(m.getResource().getTarget().getAverageUtilization()).isBetween(50, 90);
        });
        assertThat(container.getResources().getRequests()).as("CPU utilisation is measured against the request")
                .containsKey("cpu");
    }

    @Test
    void pdbCoversTheNodePodsAndStillAllowsADrain() {
        PodDisruptionBudget pdb = only(PodDisruptionBudget.class);
        Map<String, String> podLabels = deployment.getSpec().getTemplate().getMetadata().getLabels();
        assertThat(pdb.getSpec().getSelector().getMatchExpressions()).isNullOrEmpty();
        assertThat(podLabels).containsAllEntriesOf(pdb.getSpec().getSelector().getMatchLabels());
        assertThat(pdb.getSpec().getSelector().getMatchLabels())
                .isEqualTo(deployment.getSpec().getSelector().getMatchLabels());
        int minReplicas = only(HorizontalPodAutoscaler.class).getSpec().getMinReplicas();
        IntOrString maxUnavailable = pdb.getSpec().getMaxUnavailable();
        IntOrString minAvailable = pdb.getSpec().getMinAvailable();
        if (maxUnavailable != null) {
            assertThat(maxUnavailable.getIntVal()).isBetween(1, minReplicas - 1);
        } else {
            assertThat(minAvailable.getIntVal()).isBetween(1, minReplicas - 1);
        }
    }

    @Test
    void serviceSendsToTheHttpPortOfTheNodePods() {
        Service service = only(Service.class);
        assertThat(service.getMetadata().getName()).as("a Service named kurz injects KURZ_PORT=tcp://...")
                .isNotEqualTo("kurz");
        assertThat(service.getSpec().getSelector()).isEqualTo(deployment.getSpec().getSelector().getMatchLabels());
        assertThat(service.getSpec().getPorts()).singleElement().satisfies(p ->
                assertThat(resolve(p.getTargetPort())).isEqualTo(containerPort()));
    }

    @Test
    void networkPolicyAdmitsOnlyTheIngressNamespaceAndReachesOnlyTheBackends() {
        NetworkPolicy policy = named(NetworkPolicy.class, "kurz");
        var spec = policy.getSpec();
        assertThat(spec.getPodSelector().getMatchLabels()).isEqualTo(deployment.getSpec().getSelector().getMatchLabels());
        assertThat(spec.getPolicyTypes()).containsExactlyInAnyOrder("Ingress", "Egress");

        assertThat(spec.getIngress()).isNotEmpty().allSatisfy(rule -> {
            assertThat(rule.getFrom()).as("an empty `from` admits everyone").isNotEmpty();
            for (NetworkPolicyPeer peer : rule.getFrom()) {
                assertThat(peer.getIpBlock()).isNull();
                assertThat(peer.getNamespaceSelector().getMatchLabels())
                        .containsKey("kubernetes.io/metadata.name");
            }
            assertThat(rule.getPorts()).as("an empty `ports` admits every port").isNotEmpty();
            assertThat(rule.getPorts()).extracting(p -> resolve(p.getPort())).containsOnly(containerPort());
        });

        Set<String> egress = new HashSet<>();
        spec.getEgress().forEach(rule -> {
            assertThat(rule.getPorts()).as("an egress rule without ports allows everything").isNotEmpty();
            for (NetworkPolicyPort p : rule.getPorts()) {
                egress.add(Optional.ofNullable(p.getProtocol()).orElse("TCP") + "/" + p.getPort().getIntVal());
            }
        });
        var expected = new HashSet<String>(Set.of("UDP/53", "TCP/53"));
        for (String key : List.of("KURZ_DB_URL", "KURZ_DB_READ_URL", "KURZ_REDIS_URL")) {
            Optional.ofNullable(config.getData().get(key))
                    .ifPresent(url -> expected.add("TCP/" + URI.create(url.replaceFirst("^jdbc:", "")).getPort()));
        }
        assertThat(egress).as("egress ports = DNS + the ports of the configured backends").isEqualTo(expected)
                .contains("TCP/5432", "TCP/6379");
    }

    private static void assertProbe(Probe probe, String path) {
        assertThat(probe).as("probe for %s", path).isNotNull();
        assertThat(probe.getHttpGet().getPath()).isEqualTo(path);
        assertThat(resolve(probe.getHttpGet().getPort())).as("probe port of %s", path).isEqualTo(containerPort());
        assertThat(probe.getTimeoutSeconds()).isNotNull().isLessThanOrEqualTo(probe.getPeriodSeconds());
    }

    /** A port by number or by the container port's name, as the kubelet resolves it. */
    private static int resolve(IntOrString port) {
        if (port.getIntVal() != null) {
            return port.getIntVal();
        }
        return container.getPorts().stream().filter(p -> port.getStrVal().equals(p.getName()))
                .findFirst().orElseThrow(() -> new AssertionError("no container port named " + port.getStrVal()))
                .getContainerPort();
    }

    private static int containerPort() {
        return container.getPorts().getFirst().getContainerPort();
    }

    private static PodSpec pod() {
        return deployment.getSpec().getTemplate().getSpec();
    }

    private static Optional<VolumeMount> mountAt(String path) {
        return container.getVolumeMounts().stream().filter(m -> m.getMountPath().equals(path)).findFirst();
    }

    private static Volume volume(String name) {
        return pod().getVolumes().stream().filter(v -> v.getName().equals(name)).findFirst()
                .orElseThrow(() -> new AssertionError("no volume " + name));
    }

    @Test
    void workersRunTheWorkerCommandLockedDownLikeTheNodesAndNodesRunNoJobs() {
        Deployment workers = named(Deployment.class, "kurz-worker");
        PodSpec pod = workers.getSpec().getTemplate().getSpec();
        assertThat(pod.getContainers()).hasSize(1);
        Container worker = pod.getContainers().getFirst();
        assertThat(worker.getArgs()).containsExactly("worker");
        assertThat(worker.getImage()).isEqualTo(container.getImage());
        assertThat(workers.getSpec().getReplicas()).as("an import goes on through a drain").isGreaterThanOrEqualTo(2);
        assertThat(workers.getSpec().getSelector().getMatchLabels())
                .as("the node Service, PDB and HPA must not select workers")
                .isNotEqualTo(deployment.getSpec().getSelector().getMatchLabels());
        assertThat(worker.getEnvFrom()).anySatisfy(e ->
                assertThat(e.getConfigMapRef().getName()).isEqualTo(config.getMetadata().getName()));
        assertThat(worker.getEnv()).noneMatch(e -> e.getName().equals(Setting.DB_PASSWORD.name()));
        assertThat(worker.getSecurityContext().getReadOnlyRootFilesystem()).isTrue();
        assertThat(worker.getSecurityContext().getRunAsNonRoot()).isTrue();
        assertThat(worker.getSecurityContext().getCapabilities().getDrop()).containsExactly("ALL");
        assertThat(pod.getSecurityContext().getSeccompProfile().getType()).isEqualTo("RuntimeDefault");
        assertThat(Quantity.getAmountInBytes(worker.getResources().getLimits().get("memory")))
                .isEqualTo(Quantity.getAmountInBytes(worker.getResources().getRequests().get("memory")));
        assertThat(Settings.from(config.getData()).serveWorker()).as("nodes leave jobs to the workers").isFalse();

        NetworkPolicy policy = named(NetworkPolicy.class, "kurz-worker");
        assertThat(policy.getSpec().getPodSelector().getMatchLabels()).isEqualTo(workers.getSpec().getSelector().getMatchLabels());
        assertThat(policy.getSpec().getPolicyTypes()).containsExactlyInAnyOrder("Ingress", "Egress");
        assertThat(policy.getSpec().getIngress()).as("nothing connects to a worker").isNullOrEmpty();
    }

    private static <T extends HasMetadata> T named(Class<T> kind, String name) {
        List<T> matching = base.stream().filter(kind::isInstance).map(kind::cast)
                .filter(o -> o.getMetadata().getName().equals(name)).toList();
        assertThat(matching).as("exactly one %s %s in deploy/k8s/base", kind.getSimpleName(), name).hasSize(1);
        return matching.getFirst();
    }

    private static <T extends HasMetadata> T only(Class<T> kind) {
        List<T> matching = base.stream().filter(kind::isInstance).map(kind::cast).toList();
        assertThat(matching).as("exactly one %s in deploy/k8s/base", kind.getSimpleName()).hasSize(1);
        return matching.getFirst();
    }

    private static List<Path> allKustomizationDirs() {
        try (Stream<Path> paths = Files.walk(K8S)) {
            List<Path> dirs = new ArrayList<>(paths.filter(p -> p.getFileName().toString().equals("kustomization.yaml"))
                    .map(Path::getParent).sorted().toList());
            assertThat(dirs).contains(K8S.resolve("base"), K8S.resolve("example"));
            return dirs;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}

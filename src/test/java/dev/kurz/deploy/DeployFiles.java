package dev.kurz.deploy;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.KubernetesResource;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import javax.xml.parsers.DocumentBuilderFactory;
import org.w3c.dom.Element;
import org.w3c.dom.Node;

/**
 * The deployment files of the repository, read the way their tools read them: Kubernetes manifests
 * into fabric8's typed API model, YAML into trees, pom.xml as XML. Tests run with the project
 * directory as the working directory (Surefire's default).
 */
final class DeployFiles {

    static final YAMLMapper YAML = YAMLMapper.builder()
            .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .build();
    static final ObjectMapper JSON = new ObjectMapper();

    private DeployFiles() {}

    static Path root() {
        Path dir = Path.of("").toAbsolutePath();
        if (!Files.isRegularFile(dir.resolve("pom.xml"))) {
            throw new IllegalStateException("tests must run from the project directory, not " + dir);
        }
        return dir;
    }

    static Path file(String relative) {
        Path p = root().resolve(relative);
        if (!Files.exists(p)) {
            throw new IllegalStateException(relative + " is missing");
        }
        return p;
    }

    static String read(String relative) {
        try {
            return Files.readString(file(relative));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static JsonNode yamlTree(Path path) {
        try {
            return YAML.readTree(path.toFile());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot parse " + path, e);
        }
    }

    /** {@code <project><version>} of pom.xml: the version images are tagged with. */
    static String projectVersion() {
        try {
            var doc = DocumentBuilderFactory.newInstance().newDocumentBuilder().parse(file("pom.xml").toFile());
            for (Node n = doc.getDocumentElement().getFirstChild(); n != null; n = n.getNextSibling()) {
                if (n instanceof Element e && e.getTagName().equals("version")) {
                    return e.getTextContent().strip();
                }
            }
            throw new IllegalStateException("pom.xml has no <version>");
        } catch (Exception e) {
            throw new IllegalStateException("cannot read pom.xml", e);
        }
    }

    /** The YAML files of a directory, kustomization.yaml excluded, sorted by name. */
    static List<Path> manifestFiles(Path dir) {
        try (Stream<Path> files = Files.list(dir)) {
            return files.filter(p -> p.getFileName().toString().matches(".*\\.ya?ml"))
                    .filter(p -> !p.getFileName().toString().equals("kustomization.yaml"))
                    .sorted()
                    .toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * One Kubernetes object per file, deserialised by fabric8's {@code KubernetesDeserializer},
     * which picks the model class from {@code apiVersion} and {@code kind} (an unknown pair becomes a
     * {@code GenericKubernetesResource}, which the tests reject).
     */
    static HasMetadata kubernetes(Path file) {
        try {
            KubernetesResource r = YAML.readValue(file.toFile(), KubernetesResource.class);
            if (!(r instanceof HasMetadata h)) {
                throw new IllegalStateException(file + " is not a Kubernetes object: " + r);
            }
            return h;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot parse " + file, e);
        }
    }

    /**
     * Fields the model did not recognise anywhere in {@code model} (fabric8 keeps them in
     * {@code additionalProperties} instead of failing), as paths such as
     * {@code spec.template.spec.containers[0].readinesProbe}. A typo in a manifest shows up here.
     */
    static List<String> unknownFields(Object model) {
        var found = new ArrayList<String>();
        collectUnknown(model, "", found);
        return found;
    }

    private static void collectUnknown(Object value, String path, List<String> found) {
        if (value == null) {
            return;
        }
        if (value instanceof Collection<?> list) {
            int i = 0;
            for (Object item : list) {
                collectUnknown(item, path + "[" + i++ + "]", found);
            }
            return;
        }
        if (value instanceof Map<?, ?> map) {
            map.forEach((k, v) -> collectUnknown(v, path + "[" + k + "]", found));
            return;
        }
        if (!value.getClass().getName().startsWith("io.fabric8.kubernetes.api.model")) {
            return;
        }
        for (Method m : value.getClass().getMethods()) {
            if (m.getParameterCount() != 0 || Modifier.isStatic(m.getModifiers())
                    || m.getDeclaringClass() == Object.class || !m.getName().startsWith("get")) {
                continue;
            }
            Object child;
            try {
                child = m.invoke(value);
            } catch (ReflectiveOperationException e) {
                throw new IllegalStateException(m.toString(), e);
            }
            if (m.getName().equals("getAdditionalProperties")) {
                if (child instanceof Map<?, ?> extra) {
                    extra.keySet().forEach(k -> found.add(path.isEmpty() ? String.valueOf(k) : path + "." + k));
                }
                continue;
            }
            String name = Character.toLowerCase(m.getName().charAt(3)) + m.getName().substring(4);
            collectUnknown(child, path.isEmpty() ? name : path + "." + name, found);
        }
    }

    private static final Pattern DURATION = Pattern.compile("(\\d+)(ms|s|m|h)");

    /** A compose duration such as {@code 30s} or {@code 1m30s}. */
    static Duration composeDuration(String text) {
        Matcher m = DURATION.matcher(text);
        Duration total = Duration.ZERO;
        int end = 0;
        while (m.find()) {
            if (m.start() != end) {
                break;
            }
            long n = Long.parseLong(m.group(1));
            total = total.plus(switch (m.group(2)) {
                case "ms" -> Duration.ofMillis(n);
                case "s" -> Duration.ofSeconds(n);
                case "m" -> Duration.ofMinutes(n);
                default -> Duration.ofHours(n);
            });
            end = m.end();
        }
        if (end != text.length() || end == 0) {
            throw new IllegalArgumentException("not a compose duration: " + text);
        }
        return total;
    }
}

package dev.kurz.http;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.joran.JoranConfigurator;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/**
 * The production logback.xml, loaded into a fresh logging context with {@code KURZ_LOG_FORMAT}
 * set as the process environment would set it: what a log shipper would read from stdout.
 */
class JsonLogTest {

    @Test
    void jsonFormatWritesOneJsonObjectPerEvent() throws Exception {
        String out = logWith("json", "link {} created by \"{}\"", "abc", "line\nbreak");
        String[] lines = out.strip().split("\n");
        assertThat(lines).hasSize(1); // the newline in the message is escaped, not a second line
        JsonNode event = new ObjectMapper().readTree(lines[0]);
        assertThat(event.path("level").asText()).isEqualTo("INFO");
        assertThat(event.path("loggerName").asText()).isEqualTo("dev.kurz.test");
        assertThat(event.path("formattedMessage").asText()).isEqualTo("link abc created by \"line\nbreak\"");
        assertThat(event.path("timestamp").asLong()).isPositive();
    }

    @Test
    void textFormatIsTheDefaultAndReadsAsOneLine() throws Exception {
        String out = logWith(null, "link {} created", "abc", null);
        assertThat(out).contains(" INFO ").contains("dev.kurz.test - link abc created").doesNotContain("{\"");
    }

    private static String logWith(String format, String pattern, Object a, Object b) throws Exception {
        var context = new LoggerContext();
        context.setMDCAdapter(new ch.qos.logback.classic.util.LogbackMDCAdapter());
        if (format != null) {
            context.putProperty("KURZ_LOG_FORMAT", format);
        }
        var bytes = new ByteArrayOutputStream();
        PrintStream original = System.out;
        System.setOut(new PrintStream(bytes, true, StandardCharsets.UTF_8)); // ConsoleAppender binds System.out at start
        try {
            var configurator = new JoranConfigurator();
            configurator.setContext(context);
            configurator.doConfigure(JsonLogTest.class.getClassLoader().getResource("logback.xml"));
            context.getLogger("dev.kurz.test").info(pattern, a, b);
        } finally {
            context.stop();
            System.setOut(original);
        }
        return bytes.toString(StandardCharsets.UTF_8);
    }
}

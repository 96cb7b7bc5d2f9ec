package dev.kurz.deploy;

import com.fasterxml.jackson.core.type.TypeReference;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * A Dockerfile split the way Docker reads it: comments dropped, {@code \} continuations joined,
 * instructions grouped into stages at each {@code FROM}. Enough to lint a file without an engine.
 */
record Dockerfile(List<Dockerfile.Stage> stages) {

    /** One instruction: the upper-cased keyword and the rest of the (joined) line. */
    record Instruction(String keyword, String args) {

        /** The arguments of an exec-form instruction ({@code ["java", "-jar", ...]}). */
        List<String> execForm() {
            return json(args);
        }

        /** Words of a shell-form argument string, flags included ({@code --from=build ...}). */
        List<String> words() {
            return List.of(args.strip().split("\\s+"));
        }
    }

    record Stage(String from, Optional<String> name, List<Instruction> instructions) {

        List<Instruction> all(String keyword) {
            return instructions.stream().filter(i -> i.keyword().equals(keyword)).toList();
        }

        Optional<Instruction> last(String keyword) {
            List<Instruction> matching = all(keyword);
            return matching.isEmpty() ? Optional.empty() : Optional.of(matching.getLast());
        }

        /** Index of the first instruction whose keyword and arguments match, or -1. */
        int indexOf(String keyword, String argsRegex) {
            for (int i = 0; i < instructions.size(); i++) {
                Instruction ins = instructions.get(i);
                if (ins.keyword().equals(keyword) && ins.args().matches("(?s)" + argsRegex)) {
                    return i;
                }
            }
            return -1;
        }
    }

    static Dockerfile parse(String text) {
        var logical = new ArrayList<String>();
        var current = new StringBuilder();
        for (String raw : text.split("\n", -1)) {
            String line = raw.stripTrailing();
            if (line.strip().startsWith("#")) {
                continue; // comments, also inside a continued instruction
            }
            if (line.endsWith("\\")) {
                current.append(line, 0, line.length() - 1).append(' ');
                continue;
            }
            current.append(line);
            if (!current.toString().isBlank()) {
                logical.add(current.toString().strip());
            }
            current.setLength(0);
        }
        var stages = new ArrayList<Stage>();
        List<Instruction> instructions = null;
        for (String line : logical) {
            String[] parts = line.split("\\s+", 2);
            var ins = new Instruction(parts[0].toUpperCase(Locale.ROOT), parts.length > 1 ? parts[1].strip() : "");
            if (ins.keyword().equals("FROM")) {
                String[] from = ins.args().split("\\s+");
                Optional<String> name = from.length >= 3 && from[1].equalsIgnoreCase("AS")
                        ? Optional.of(from[2]) : Optional.empty();
                instructions = new ArrayList<>();
                stages.add(new Stage(from[0], name, instructions));
            } else if (instructions == null) {
                throw new IllegalArgumentException("instruction before the first FROM: " + line);
            } else {
                instructions.add(ins);
            }
        }
        return new Dockerfile(stages.stream()
                .map(s -> new Stage(s.from(), s.name(), List.copyOf(s.instructions()))).toList());
    }

    static Dockerfile load() {
        return parse(DeployFiles.read("Dockerfile"));
    }

    Stage last() {
        return stages.getLast();
    }

    /** The command of the final stage's {@code HEALTHCHECK ... CMD [...]}, in exec form. */
    List<String> healthcheckCommand() {
        String args = last().last("HEALTHCHECK").orElseThrow().args();
        int cmd = args.indexOf("CMD ");
        if (cmd < 0) {
            throw new IllegalStateException("HEALTHCHECK without CMD: " + args);
        }
        return json(args.substring(cmd + 4));
    }

    private static List<String> json(String args) {
        try {
            return DeployFiles.JSON.readValue(args.strip(), new TypeReference<List<String>>() {});
        } catch (IOException e) {
            throw new UncheckedIOException("not an exec-form (JSON array) argument: " + args, e);
        }
    }
}

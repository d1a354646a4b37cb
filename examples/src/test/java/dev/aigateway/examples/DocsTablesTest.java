package dev.aigateway.examples;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * Every table of the README and the docs renders whole: a run of {@code |} rows starts with a
 * header row and its {@code |---|} separator. A blank line inside a table ends it there, and the
 * rows after it show as one paragraph of pipes, not as rows of the table they belong to.
 */
class DocsTablesTest {

  private static final Path ROOT = Path.of("..");
  private static final Pattern SEPARATOR = Pattern.compile("^\\|[\\s:|-]+\\|?\\s*$");

  @Test
  void everyRunOfTableRowsStartsWithAHeaderAndItsSeparator() throws IOException {
    List<String> headless = new ArrayList<>();
    for (Path doc : documents()) {
      List<String> lines = Files.readAllLines(doc, StandardCharsets.UTF_8);
      boolean code = false;
      for (int i = 0; i < lines.size(); i++) {
        String line = lines.get(i);
        if (line.startsWith("```")) {
          code = !code;
        }
        boolean startsRun = line.startsWith("|") && (i == 0 || !lines.get(i - 1).startsWith("|"));
        if (!code
            && startsRun
            && (i + 1 == lines.size() || !SEPARATOR.matcher(lines.get(i + 1)).matches())) {
          headless.add(ROOT.relativize(doc) + ":" + (i + 1));
        }
      }
    }
    assertThat(headless).as("table rows cut off from their table's header").isEmpty();
  }

  private static List<Path> documents() throws IOException {
    List<Path> docs = new ArrayList<>();
    docs.add(ROOT.resolve("README.md"));
    try (Stream<Path> files = Files.list(ROOT.resolve("docs"))) {
      files.filter(p -> p.toString().endsWith(".md")).sorted().forEach(docs::add);
    }
    assertThat(docs).hasSizeGreaterThan(10);
    return docs;
  }
}

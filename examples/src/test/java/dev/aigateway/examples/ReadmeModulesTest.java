package dev.aigateway.examples;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * The README's "Modules" table, where a reader picks the artifacts to depend on, names every module
 * the build has, and only those.
 */
class ReadmeModulesTest {

  private static final Path ROOT = Path.of("..");

  @Test
  void theModulesTableListsEveryModuleOfTheBuild() throws IOException {
    List<String> built = new ArrayList<>();
    Matcher module =
        Pattern.compile("<module>([^<]+)</module>")
            .matcher(Files.readString(ROOT.resolve("pom.xml"), StandardCharsets.UTF_8));
    while (module.find()) {
      built.add(module.group(1).trim());
    }

    String readme = Files.readString(ROOT.resolve("README.md"), StandardCharsets.UTF_8);
    int start = readme.indexOf("\n## Modules\n");
    assertThat(start).as("README's Modules section").isNotNegative();
    int end = readme.indexOf("\n## ", start + 1);
    String section = end < 0 ? readme.substring(start) : readme.substring(start, end);
    List<String> listed = new ArrayList<>();
    Matcher row = Pattern.compile("(?m)^\\| `([\\w-]+)` \\|").matcher(section);
    while (row.find()) {
      listed.add(row.group(1));
    }

    assertThat(built).hasSizeGreaterThan(10);
    assertThat(listed)
        .as("modules in README's Modules table")
        .containsExactlyInAnyOrderElementsOf(built);
  }
}

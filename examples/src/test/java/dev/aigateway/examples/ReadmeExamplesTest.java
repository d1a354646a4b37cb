package dev.aigateway.examples;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * Every program of the examples module, a class with a {@code main}, is named in the README with
 * how to run it, so a reader finds each one there, not only the demo the scripts run.
 */
class ReadmeExamplesTest {

  private static final Path SOURCES =
      Path.of("src", "main", "java", "dev", "aigateway", "examples");

  @Test
  void theReadmeNamesEveryExampleProgram() throws IOException {
    String readme = Files.readString(Path.of("..", "README.md"), StandardCharsets.UTF_8);
    List<String> programs;
    try (Stream<Path> files = Files.walk(SOURCES)) {
      programs =
          files
              .filter(p -> p.toString().endsWith(".java"))
              .filter(ReadmeExamplesTest::hasMain)
              .map(p -> SOURCES.relativize(p).toString().replace(".java", "").replace('/', '.'))
              .sorted()
              .toList();
    }

    assertThat(programs).contains("Demo", "sdk.OpenAiJavaExample");
    List<String> unnamed =
        programs.stream().filter(name -> !readme.contains("`" + name + "`")).toList();
    assertThat(unnamed)
        .as(
            "example programs the README does not name (as `name`, relative to dev.aigateway.examples)")
        .isEmpty();
  }

  private static boolean hasMain(Path source) {
    try {
      return Files.readString(source, StandardCharsets.UTF_8)
          .contains("public static void main(String[] args)");
    } catch (IOException e) {
      throw new AssertionError(e);
    }
  }
}

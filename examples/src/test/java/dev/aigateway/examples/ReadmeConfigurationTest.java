package dev.aigateway.examples;

import static org.assertj.core.api.Assertions.assertThat;

import dev.aigateway.core.AiGateway;
import java.io.IOException;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The README's configuration reference for {@code AiGateway.builder()} has a row for every setting
 * the builder has, so a reader who looks a setting up there finds it, or learns there is none.
 */
class ReadmeConfigurationTest {

  @Test
  void theBuildersTableHasARowForEverySettingOfTheBuilder() throws IOException {
    String readme = Files.readString(Path.of("..", "README.md"), StandardCharsets.UTF_8);
    int start = readme.indexOf("\n`AiGateway.builder()`\n");
    assertThat(start).as("README's table of AiGateway.builder()").isNotNegative();
    int end = readme.indexOf("\n\n", readme.indexOf("\n|", start));
    String table = readme.substring(start, end);

    List<String> settings =
        Arrays.stream(AiGateway.Builder.class.getDeclaredMethods())
            .filter(m -> Modifier.isPublic(m.getModifiers()))
            .filter(m -> m.getReturnType() == AiGateway.Builder.class)
            .map(Method::getName)
            .distinct()
            .sorted()
            .toList();
    List<String> missing =
        settings.stream().filter(name -> !table.contains("\n| `" + name + "(")).toList();

    assertThat(settings).contains("tokenLimit", "backendPool");
    assertThat(missing)
        .as("settings of AiGateway.builder() without a row in README's table")
        .isEmpty();
  }
}

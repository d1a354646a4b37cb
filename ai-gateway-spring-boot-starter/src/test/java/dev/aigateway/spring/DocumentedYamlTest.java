package dev.aigateway.spring;

import static org.assertj.core.api.Assertions.assertThat;

import dev.aigateway.core.AiGateway;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.boot.env.YamlPropertySourceLoader;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.core.env.MapPropertySource;
import org.springframework.core.env.PropertySource;
import org.springframework.core.io.ByteArrayResource;

/**
 * Every {@code yaml} block of the README and the docs, pasted as an application's {@code
 * application.yml}: the context starts, the gateway is built, and no key of the example is one the
 * starter ignores.
 */
class DocumentedYamlTest {

  private static final Path ROOT = Path.of("..");

  /** The values the examples take from the environment; made-up, none is a real secret. */
  private static final Map<String, Object> ENVIRONMENT =
      Map.of(
          "OPENAI_API_KEY", "sk-example",
          "AZURE_EAST_KEY", "azure-example",
          "LLM_CLIENT_SECRET", "secret-example",
          "UAMI_CLIENT_ID", "00000000-0000-0000-0000-000000000000");

  static Stream<Arguments> examples() throws IOException {
    List<Arguments> examples = new ArrayList<>();
    for (String doc : List.of("README.md", "docs/integrations.md", "docs/security.md")) {
      List<String> lines = Files.readAllLines(ROOT.resolve(doc), StandardCharsets.UTF_8);
      StringBuilder block = null;
      int start = 0;
      for (int i = 0; i < lines.size(); i++) {
        String line = lines.get(i);
        if (block == null && line.trim().equals("```yaml")) {
          block = new StringBuilder();
          start = i + 1;
        } else if (block != null && line.trim().equals("```")) {
          examples.add(Arguments.of(doc + ":" + start, block.toString()));
          block = null;
        } else if (block != null) {
          block.append(line).append('\n');
        }
      }
    }
    assertThat(examples).as("yaml examples found in the docs").hasSizeGreaterThanOrEqualTo(4);
    return examples.stream();
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("examples")
  void aDocumentedYamlExampleStartsTheGatewayAndEveryKeyBinds(String where, String yaml)
      throws IOException {
    List<PropertySource<?>> sources =
        new YamlPropertySourceLoader()
            .load(
                "application.yml (" + where + ")",
                new ByteArrayResource(yaml.getBytes(StandardCharsets.UTF_8)));
    new ApplicationContextRunner()
        .withConfiguration(AutoConfigurations.of(AiGatewayAutoConfiguration.class))
        .withInitializer(
            context -> {
              var propertySources = context.getEnvironment().getPropertySources();
              propertySources.addLast(new MapPropertySource("example-environment", ENVIRONMENT));
              for (PropertySource<?> source : sources) {
                propertySources.addFirst(source);
              }
            })
        .run(
            context -> {
              assertThat(context).hasNotFailed();
              assertThat(context).hasSingleBean(AiGateway.class);
              assertThat(UnknownPropertiesWarning.unknownKeys(Binder.get(context.getEnvironment())))
                  .as("keys of %s the starter ignores", where)
                  .isEmpty();
            });
  }
}

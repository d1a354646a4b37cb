package dev.aigateway.spring;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;
import org.springframework.boot.actuate.autoconfigure.context.properties.ConfigurationPropertiesReportEndpointAutoConfiguration;
import org.springframework.boot.actuate.autoconfigure.env.EnvironmentEndpointAutoConfiguration;
import org.springframework.boot.actuate.context.properties.ConfigurationPropertiesReportEndpoint;
import org.springframework.boot.actuate.env.EnvironmentEndpoint;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.context.annotation.ImportCandidates;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.core.env.MapPropertySource;
import org.springframework.core.env.StandardEnvironment;
import org.springframework.core.env.SystemEnvironmentPropertySource;

/**
 * Actuator's configprops and env endpoints, with {@code show-values: always}, never show a
 * backend's api-key, an OAuth client secret or a URL's password, however the property is spelled
 * (kebab case, camel case, an environment variable); the gateway's other settings stay readable.
 */
class ActuatorSanitizingTest {

  private static final String KEY = "azure-key-7Hq2-SECRET";
  private static final String CLIENT_SECRET = "oauth-client-9Zx4-SECRET";
  private static final String URL_PASSWORD = "url-pass-3Kd8-SECRET";

  /** The starter's auto-configurations as its imports file lists them, and Actuator's two. */
  private final ApplicationContextRunner runner =
      new ApplicationContextRunner()
          .withConfiguration(AutoConfigurations.of(starterAutoConfigurations()))
          .withConfiguration(
              AutoConfigurations.of(
                  ConfigurationPropertiesReportEndpointAutoConfiguration.class,
                  EnvironmentEndpointAutoConfiguration.class))
          // The process's own environment and system properties are left out: the env
          // endpoint's answer, printed when an assertion fails, holds only the test's values.
          .withInitializer(
              context -> {
                org.springframework.core.env.MutablePropertySources sources =
                    context.getEnvironment().getPropertySources();
                sources.replace(
                    StandardEnvironment.SYSTEM_ENVIRONMENT_PROPERTY_SOURCE_NAME,
                    new SystemEnvironmentPropertySource(
                        StandardEnvironment.SYSTEM_ENVIRONMENT_PROPERTY_SOURCE_NAME, Map.of()));
                sources.replace(
                    StandardEnvironment.SYSTEM_PROPERTIES_PROPERTY_SOURCE_NAME,
                    new MapPropertySource(
                        StandardEnvironment.SYSTEM_PROPERTIES_PROPERTY_SOURCE_NAME, Map.of()));
              })
          .withPropertyValues(
              "management.endpoints.web.exposure.include=configprops,env",
              "management.endpoints.jmx.exposure.include=configprops,env",
              "management.endpoint.configprops.show-values=always",
              "management.endpoint.env.show-values=always");

  @Test
  void kebabCaseSecretsAreMasked() {
    runner
        .withPropertyValues(
            "ai-gateway.pool.backends[0].id=east",
            "ai-gateway.pool.backends[0].url=https://gateway:" + URL_PASSWORD + "@east.example.com",
            "ai-gateway.pool.backends[0].flavor=azure-v1",
            "ai-gateway.pool.backends[0].api-key=" + KEY,
            "ai-gateway.pool.backends[1].id=internal",
            "ai-gateway.pool.backends[1].url=https://llm.internal.example.com",
            "ai-gateway.pool.backends[1].oauth.token-url=https://login.example.com/token",
            "ai-gateway.pool.backends[1].oauth.client-id=ai-gateway-client",
            "ai-gateway.pool.backends[1].oauth.client-secret=" + CLIENT_SECRET,
            "ai-gateway.consumer-key.header=x-consumer-id")
        .run(context -> assertMasked(context, true));
  }

  @Test
  void camelCaseSecretsAreMasked() {
    // As a YAML file written with Java's names binds them: apiKey, clientSecret.
    Map<String, Object> yaml = new LinkedHashMap<>();
    yaml.put("ai-gateway.pool.backends[0].id", "east");
    yaml.put("ai-gateway.pool.backends[0].url", "https://east.example.com");
    yaml.put("ai-gateway.pool.backends[0].flavor", "azure-v1");
    yaml.put("ai-gateway.pool.backends[0].apiKey", KEY);
    yaml.put("ai-gateway.pool.backends[1].id", "internal");
    yaml.put("ai-gateway.pool.backends[1].url", "https://llm.internal.example.com");
    yaml.put("ai-gateway.pool.backends[1].oauth.tokenUrl", "https://login.example.com/token");
    yaml.put("ai-gateway.pool.backends[1].oauth.clientId", "ai-gateway-client");
    yaml.put("ai-gateway.pool.backends[1].oauth.clientSecret", CLIENT_SECRET);
    yaml.put("ai-gateway.consumer-key.header", "x-consumer-id");
    runner
        .withInitializer(
            context ->
                context
                    .getEnvironment()
                    .getPropertySources()
                    .addFirst(new MapPropertySource("application.yml", yaml)))
        .run(context -> assertMasked(context, false));
  }

  @Test
  void secretsFromEnvironmentVariablesAreMasked() {
    // Spring's two forms: dashes removed (AIGATEWAY_..._APIKEY) or, throughout, written as
    // underscores (AI_GATEWAY_..._API_KEY).
    Map<String, Object> variables = new LinkedHashMap<>();
    variables.put("AIGATEWAY_POOL_BACKENDS_0_ID", "east");
    variables.put("AIGATEWAY_POOL_BACKENDS_0_URL", "https://east.example.com");
    variables.put("AIGATEWAY_POOL_BACKENDS_0_FLAVOR", "azure-v1");
    variables.put("AIGATEWAY_POOL_BACKENDS_0_APIKEY", KEY);
    variables.put("AI_GATEWAY_POOL_BACKENDS_1_ID", "internal");
    variables.put("AI_GATEWAY_POOL_BACKENDS_1_URL", "https://llm.internal.example.com");
    variables.put("AI_GATEWAY_POOL_BACKENDS_1_OAUTH_TOKEN_URL", "https://login.example.com/token");
    variables.put("AI_GATEWAY_POOL_BACKENDS_1_OAUTH_CLIENT_ID", "ai-gateway-client");
    variables.put("AI_GATEWAY_POOL_BACKENDS_1_OAUTH_CLIENT_SECRET", CLIENT_SECRET);
    variables.put("AI_GATEWAY_CONSUMER_KEY_HEADER", "x-consumer-id");
    runner
        .withInitializer(
            context ->
                context
                    .getEnvironment()
                    .getPropertySources()
                    .replace(
                        StandardEnvironment.SYSTEM_ENVIRONMENT_PROPERTY_SOURCE_NAME,
                        new SystemEnvironmentPropertySource(
                            StandardEnvironment.SYSTEM_ENVIRONMENT_PROPERTY_SOURCE_NAME,
                            variables)))
        .run(context -> assertMasked(context, false));
  }

  @Test
  void theVariablesTheSecretsAreReadFromAreMaskedToo() {
    // api-key: ${AZURE_EAST_KEY}, as the documentation writes it: the env endpoint lists the
    // variable itself too, under its own name.
    runner
        .withInitializer(
            context ->
                context
                    .getEnvironment()
                    .getPropertySources()
                    .replace(
                        StandardEnvironment.SYSTEM_ENVIRONMENT_PROPERTY_SOURCE_NAME,
                        new SystemEnvironmentPropertySource(
                            StandardEnvironment.SYSTEM_ENVIRONMENT_PROPERTY_SOURCE_NAME,
                            Map.of("AZURE_EAST_KEY", KEY, "LLM_CLIENT_SECRET", CLIENT_SECRET))))
        .withPropertyValues(
            "ai-gateway.pool.backends[0].id=east",
            "ai-gateway.pool.backends[0].url=https://east.example.com",
            "ai-gateway.pool.backends[0].flavor=azure-v1",
            "ai-gateway.pool.backends[0].api-key=${AZURE_EAST_KEY}",
            "ai-gateway.pool.backends[1].id=internal",
            "ai-gateway.pool.backends[1].url=https://llm.internal.example.com",
            "ai-gateway.pool.backends[1].oauth.token-url=https://login.example.com/token",
            "ai-gateway.pool.backends[1].oauth.client-id=ai-gateway-client",
            "ai-gateway.pool.backends[1].oauth.client-secret=${LLM_CLIENT_SECRET}",
            "ai-gateway.consumer-key.header=x-consumer-id")
        .run(
            context -> {
              assertMasked(context, false);
              assertThat(env(context)).contains("AZURE_EAST_KEY=", "LLM_CLIENT_SECRET=");
            });
  }

  @Test
  void secretsAreMaskedInTheEnvironmentWithTheGatewayOff() {
    // The keys are in the environment whether or not the gateway bean is made.
    runner
        .withPropertyValues(
            "ai-gateway.enabled=false",
            "ai-gateway.pool.backends[0].id=east",
            "ai-gateway.pool.backends[0].url=https://east.example.com",
            "ai-gateway.pool.backends[0].api-key=${AZURE_EAST_KEY}",
            "AZURE_EAST_KEY=" + KEY)
        .run(
            context -> {
              assertThat(context).doesNotHaveBean(dev.aigateway.core.AiGateway.class);
              assertThat(env(context))
                  .contains("east", "AZURE_EAST_KEY=", "******")
                  .doesNotContain(KEY);
            });
  }

  @Test
  void aPrivateKeyIsNeverShownByItsContent(@org.junit.jupiter.api.io.TempDir Path dir)
      throws Exception {
    java.security.KeyPairGenerator generator = java.security.KeyPairGenerator.getInstance("RSA");
    generator.initialize(2048);
    String base64 =
        java.util.Base64.getMimeEncoder(64, new byte[] {'\n'})
            .encodeToString(generator.generateKeyPair().getPrivate().getEncoded());
    Path pem = dir.resolve("client.pem");
    Files.writeString(
        pem, "-----BEGIN PRIVATE KEY-----\n" + base64 + "\n-----END PRIVATE KEY-----\n");
    runner
        .withPropertyValues(
            "ai-gateway.pool.backends[0].id=internal",
            "ai-gateway.pool.backends[0].url=https://llm.internal.example.com",
            "ai-gateway.pool.backends[0].oauth.token-url=https://login.example.com/token",
            "ai-gateway.pool.backends[0].oauth.client-id=ai-gateway-client",
            "ai-gateway.pool.backends[0].oauth.private-key=file:" + pem)
        .run(
            context -> {
              assertThat(context).hasNotFailed();
              String configprops = configprops(context);
              String firstLine = base64.substring(0, 64);
              assertThat(env(context)).contains("client.pem").doesNotContain(firstLine);
              assertThat(configprops)
                  .contains("internal", "ai-gateway-client")
                  .doesNotContain(firstLine)
                  .doesNotContain("BEGIN PRIVATE KEY")
                  // the whole key, base64 of the file's bytes, as Jackson writes a byte[]
                  .doesNotContain(
                      java.util.Base64.getEncoder()
                          .encodeToString(Files.readAllBytes(pem))
                          .substring(0, 40));
            });
  }

  @Test
  void withoutActuatorTheStarterStartsWithoutTheFunction() {
    new ApplicationContextRunner()
        .withConfiguration(AutoConfigurations.of(starterAutoConfigurations()))
        .withClassLoader(
            new org.springframework.boot.test.context.FilteredClassLoader(
                "org.springframework.boot.actuate."))
        .withPropertyValues(
            "ai-gateway.pool.backends[0].id=east",
            "ai-gateway.pool.backends[0].url=https://east.example.com",
            "ai-gateway.pool.backends[0].api-key=" + KEY)
        .run(
            context -> {
              assertThat(context).hasNotFailed().hasSingleBean(dev.aigateway.core.AiGateway.class);
              assertThat(context.getBeanNamesForType(Object.class))
                  .doesNotContain("aiGatewaySecretsSanitizer");
            });
  }

  /**
   * Both endpoints' answers hold the backends and the gateway's other settings, and none of the
   * secrets; {@code urlPassword} says whether the first backend's URL held one.
   */
  private static void assertMasked(ConfigurableApplicationContext context, boolean urlPassword) {
    assertThat(context.getBean(dev.aigateway.core.AiGateway.class).backendPool().backends())
        .hasSize(2);

    String configprops = configprops(context);
    assertThat(configprops)
        .as("configprops")
        .contains("east", "internal", "ai-gateway-client", "x-consumer-id", "******")
        .doesNotContain(KEY, CLIENT_SECRET, URL_PASSWORD);
    if (urlPassword) {
      assertThat(configprops).contains("east.example.com");
    }

    String env = env(context);
    assertThat(env)
        .as("env")
        .contains("east", "internal", "ai-gateway-client", "x-consumer-id", "******")
        .doesNotContain(KEY, CLIENT_SECRET, URL_PASSWORD);
    if (urlPassword) {
      assertThat(env).contains("east.example.com");
    }
  }

  /** The configprops endpoint's answer for the gateway's properties: values and inputs. */
  private static String configprops(ConfigurableApplicationContext context) {
    List<String> out = new ArrayList<>();
    context
        .getBean(ConfigurationPropertiesReportEndpoint.class)
        .configurationProperties()
        .getContexts()
        .values()
        .forEach(
            described ->
                described.getBeans().values().stream()
                    .filter(bean -> bean.getPrefix().equals(AiGatewayProperties.PREFIX))
                    .forEach(
                        bean -> {
                          out.add(String.valueOf(bean.getProperties()));
                          out.add(String.valueOf(bean.getInputs()));
                        }));
    assertThat(out).as("the ai-gateway properties in configprops").isNotEmpty();
    return String.join("\n", out);
  }

  /** The env endpoint's answer: every property of every source, with its value. */
  private static String env(ConfigurableApplicationContext context) {
    StringBuilder out = new StringBuilder();
    Consumer<EnvironmentEndpoint.PropertySourceDescriptor> source =
        described ->
            described
                .getProperties()
                .forEach(
                    (name, value) ->
                        out.append(name).append('=').append(value.getValue()).append('\n'));
    context
        .getBean(EnvironmentEndpoint.class)
        .environment(null)
        .getPropertySources()
        .forEach(source);
    return out.toString();
  }

  private static Class<?>[] starterAutoConfigurations() {
    List<Class<?>> classes = new ArrayList<>();
    for (String name :
        ImportCandidates.load(
            AutoConfiguration.class, ActuatorSanitizingTest.class.getClassLoader())) {
      if (name.startsWith("dev.aigateway.spring.")) {
        try {
          classes.add(Class.forName(name));
        } catch (ClassNotFoundException e) {
          throw new AssertionError(e);
        }
      }
    }
    assertThat(classes).contains(AiGatewayAutoConfiguration.class);
    return classes.toArray(Class<?>[]::new);
  }
}
